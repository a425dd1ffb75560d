"""The report layer: JSON structure, section plug-ins, Markdown and terminal renderings, sparklines."""

from __future__ import annotations

import io
import json
import math
from typing import Any, ClassVar

import pytest
from rich.console import Console, RenderableType

from tests.analyzer.metrics.test_exploration_frames import Step, Traj, frames, p
from trajdyn import conventions as C
from trajdyn.analyzer import InputProblem
from trajdyn.analyzer.metrics import EXPLORATION_KEYS
from trajdyn.analyzer.report import (
    Report,
    ReportContext,
    ReportSection,
    SectionResult,
    build_report,
    register_section,
    registered_sections,
    render_markdown,
    render_terminal,
    report_to_json,
    sparkline,
    to_json_value,
    unregister_section,
    write_json,
)

STAMP = "2026-01-01T00:00:00Z"


class _Input:
    def __init__(self, path: str, spans: int, errors: int) -> None:
        self.path, self.spans, self.errors = path, spans, errors


def _trajs() -> list[Traj]:
    return [
        Traj("z", [p("a", 1, 2.0, "keep"), p("a", 1, 2.5, "keep")], run_id="r1", task_id="t2", start_ns=5),
        Traj("y", [p("b", 2, 1.0), p("c", 3, math.nan)], run_id="r1", task_id="t1", start_ns=9, menu=["b", "c", "d"]),
        Traj("x", [p("a", 1)], run_id="r0", task_id="t9", start_ns=1, baseline=1.0, model="m"),
        Traj("w", [p("a", 1)], run_id="r1", task_id="t1", start_ns=3),
    ]


def _report(**kwargs: Any) -> Report:
    steps, trajectories = frames(_trajs())
    return build_report(steps, trajectories, generated_at=STAMP, **kwargs)


def _strict_loads(text: str) -> Any:
    def bad(constant: str) -> None:
        raise AssertionError(f"non-JSON constant {constant}")

    return json.loads(text, parse_constant=bad)


def test_json_structure_and_key_order() -> None:
    errors = [InputProblem("a.jsonl", 3, "not JSON")]
    report = _report(inputs=[_Input("a.jsonl", 10, 1)], errors=errors)
    doc = _strict_loads(report_to_json(report))
    assert list(doc) == ["schema", "generated_at", "inputs", "errors", "trajectories", "sensitivity"]
    assert doc["schema"] == C.REPORT_SCHEMA == "trajdyn.report/1"
    assert doc["generated_at"] == STAMP
    assert doc["inputs"] == [{"path": "a.jsonl", "spans": 10, "errors": 1}]
    assert doc["errors"] == [{"path": "a.jsonl", "line": 3, "message": "not JSON"}]
    entry = doc["trajectories"][0]
    assert list(entry) == [
        "trajectory_id",
        "trace_id",
        "task_id",
        "model",
        "run_id",
        "iterations",
        "exploration",
        "dynamics",
    ]
    assert list(entry["exploration"]) == list(EXPLORATION_KEYS)


def test_trajectories_are_ordered_by_run_task_and_start() -> None:
    doc = _report().to_dict()
    assert [t["trajectory_id"] for t in doc["trajectories"]] == ["x", "w", "y", "z"]  # type: ignore[index]


def test_values_are_canonical_and_knob_counts_an_ordered_object() -> None:
    doc = _strict_loads(report_to_json(_report()))
    z = next(t for t in doc["trajectories"] if t["trajectory_id"] == "z")["exploration"]
    assert z["top_pairs"] == [{"knob": "a", "value": "1", "n": 2}]
    assert z["knob_counts"] == {"a": 2}
    y = next(t for t in doc["trajectories"] if t["trajectory_id"] == "y")["exploration"]
    assert y["knobs_untouched"] == ["d"]
    assert y["best_value"] == 1.0  # the NaN metric is absent, not propagated


def test_json_is_deterministic_and_has_no_nan() -> None:
    a, b = report_to_json(_report()), report_to_json(_report())
    assert a == b
    assert "NaN" not in a and "Infinity" not in a
    buf = io.StringIO()
    write_json(_report(), buf)
    assert buf.getvalue() == a + "\n"


def test_to_json_value_nulls_non_finite_floats_and_rejects_objects() -> None:
    assert to_json_value({"a": [math.nan, math.inf, 1.5, (1, None)]}) == {"a": [None, None, 1.5, [1, None]]}
    with pytest.raises(TypeError, match="object"):
        to_json_value(object())


def test_trajectory_only_in_steps_is_reported() -> None:
    steps, trajectories = frames(_trajs())
    report = build_report(steps, trajectories.filter(trajectories["trajectory_id"] != "z"), generated_at=STAMP)
    ids = [t["trajectory_id"] for t in report.trajectories]
    assert ids[-1] == "z"
    assert report.trajectories[-1]["iterations"] == 2


class _CountSection(ReportSection):
    """A plug-in per-trajectory section: the number of steps."""

    name: ClassVar[str] = "stepcount"

    def compute(self, ctx: ReportContext) -> SectionResult:
        counts = ctx.steps.group_by("trajectory_id").len()
        return SectionResult(per_trajectory={r[0]: {"steps": r[1]} for r in counts.iter_rows()})

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        return ["## Step count", "", *(f"- {t['trajectory_id']}: {b}" for t, b in report.section(self.name)), ""]

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        return [f"step count section ({len(report.section(self.name))})"]


class _TotalSection(_CountSection):
    """A plug-in top-level section."""

    name: ClassVar[str] = "total"
    scope = "report"

    def compute(self, ctx: ReportContext) -> SectionResult:
        return SectionResult(block={"trajectories": ctx.trajectories.height, "nan": math.nan})


def test_a_section_plugs_in_without_touching_the_others() -> None:
    sections = [*registered_sections(), _CountSection(), _TotalSection()]
    report = _report(sections=sections)
    doc = _strict_loads(report_to_json(report))
    assert list(doc)[-1] == "total"
    assert doc["total"] == {"trajectories": 4, "nan": None}
    z = next(t for t in doc["trajectories"] if t["trajectory_id"] == "z")
    assert list(z)[-3:] == ["exploration", "dynamics", "stepcount"]
    assert z["stepcount"] == {"steps": 6}
    assert "## Step count" in render_markdown(report)


def test_registry_rejects_duplicates_and_unregisters() -> None:
    with pytest.raises(ValueError, match="exploration"):
        register_section(registered_sections()[0])
    before = [s.name for s in registered_sections()]
    assert before[0] == "exploration"
    register_section(_CountSection())
    try:
        assert [s.name for s in registered_sections()] == [*before, "stepcount"]
        first = _report().trajectories[0]
        steps, _ = frames(_trajs())
        assert first["stepcount"] == {"steps": steps.filter(steps["trajectory_id"] == first["trajectory_id"]).height}
    finally:
        unregister_section("stepcount")
    assert [s.name for s in registered_sections()] == before


def test_duplicate_section_names_in_one_report_raise() -> None:
    with pytest.raises(ValueError, match="distinct"):
        _report(sections=[_CountSection(), _CountSection()])


def test_markdown_has_summary_details_sparklines_and_omission_note() -> None:
    errors = [InputProblem("a.jsonl", i, f"bad {i}") for i in range(1, 6)]
    text = render_markdown(_report(inputs=[_Input("a.jsonl", 10, 5)], errors=errors), max_detail=2, max_errors=3)
    assert text.startswith("# trajdyn report\n")
    assert "| `a.jsonl` | 10 | 5 |" in text
    assert "- `a.jsonl:3`: bad 3" in text and "bad 4" not in text and "and 2 more" in text
    assert "| trajectory | iters |" in text
    assert text.split("## Dynamics")[0].count("### ") == 2
    assert "2 more trajectories omitted" in text
    assert "| top pairs | a=1×1 |" in text


def test_terminal_rendering_fits_the_width() -> None:
    for width in (60, 140):
        console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
        render_terminal(_report(errors=[InputProblem("b.jsonl", 7, "truncated")]), console, max_detail=1)
        out = console.export_text()
        assert "b.jsonl:7" in out and "truncated" in out
        assert "Exploration — 4 trajectories" in out
        assert "3 more trajectories omitted" in out
        assert max(len(line) for line in out.splitlines()) <= width


def test_single_trajectory_has_no_summary_table() -> None:
    steps, trajectories = frames([Traj("only", [p("a", 1, 1.0), Step("a", "1", blocked=True)])])
    report = build_report(steps, trajectories, generated_at=STAMP)
    console = Console(record=True, width=100, file=io.StringIO(), color_system=None)
    render_terminal(report, console)
    out = console.export_text()
    assert "trajectories" in out and "Exploration — only" in out and "Exploration — 1" not in out


def test_sparkline_known_answers() -> None:
    assert sparkline([0.0, 0.5, 1.0], lo=0.0, hi=1.0) == "▁▅█"
    assert sparkline([1.0, None, 3.0]) == "▁ █"
    assert sparkline([2.0, 2.0]) == "▄▄"
    assert sparkline([]) == ""
    assert sparkline([None, math.nan]) == "  "
    assert sparkline([5.0], lo=0.0, hi=1.0) == "█"
    assert len(sparkline([float(i) for i in range(500)], width=40)) == 40
