"""The ``trends`` section end to end: spans written by the real OpenTelemetry SDK, PinchBench result files (planted
and real), ``analyze()``, ``trajdyn-analyze`` (``--group-by``, ``--min-effect``, ``--fail-on-regression``,
``--compare-to``) and the renderings."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from rich.console import Console

from tests.formats.test_pinchbench import pinchbench_run, write_run
from trajdyn import conventions as C
from trajdyn.analyzer import TrendsOptions, analyze
from trajdyn.analyzer.metrics.trends import GROUP_KEYS, TASK_KEYS
from trajdyn.analyzer.report import render_markdown, render_terminal, report_to_json
from trajdyn.cli.analyze import EXIT_INPUT_ERROR, EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, main
from trajdyn.sdk.testing import IncrementalIdGenerator

T0 = 1_700_000_000_000_000_000
RUN_NS = 3_600 * 10**9
FAST = TrendsOptions(permutations=199)


@dataclass(frozen=True)
class Attempt:
    model: str
    run: int
    task: str
    reward: float | None = None
    outcome: str | None = None
    tokens: int | None = None


def write_spans(path: Path, attempts: Sequence[Attempt]) -> Path:
    """One root ``invoke_agent`` span per attempt through the SDK and the official OTLP/JSON file exporter."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": "trends-test"}), id_generator=IncrementalIdGenerator()
    )
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE)
    for k, a in enumerate(attempts):
        attrs: dict[str, Any] = {
            C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
            C.GEN_AI_REQUEST_MODEL: a.model,
            C.GEN_AI_AGENT_NAME: "solver",
            C.TRAJECTORY_ID: f"{a.model}-{a.run}-{a.task}-{k}",
            C.TASK_ID: a.task,
            C.RUN_ID: f"{a.model}-r{a.run:02d}",
        }
        if a.reward is not None:
            attrs[C.REWARD] = a.reward
        if a.outcome is not None:
            attrs[C.OUTCOME] = a.outcome
        if a.tokens is not None:
            attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = a.tokens - 100
            attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = 100
        start = T0 + a.run * RUN_NS + k * 10**6
        span = tracer.start_span(C.trajectory_span_name("solver"), start_time=start, attributes=attrs)
        span.end(end_time=start + 10**6)
    provider.shutdown()
    return path


TASKS = [f"t{i:02d}" for i in range(12)]


def _two_models(path: Path) -> Path:
    """'steady' scores ~0.8 over 10 runs; 'slipping' drops by 0.15 from run 6 on and uses more tokens from run 6."""
    rng = np.random.default_rng(0)
    attempts = []
    for run in range(10):
        for i, task in enumerate(TASKS):
            wobble = round(float(rng.normal(0.0, 0.01)), 4)
            attempts.append(Attempt("steady", run, task, reward=0.8 + wobble, tokens=1000 + 10 * i))
            drop = 0.15 if run >= 6 else 0.0
            extra = 400 if run >= 6 else 0
            attempts.append(Attempt("slipping", run, task, reward=0.8 - drop + wobble, tokens=1000 + extra + 10 * i))
    return write_spans(path, attempts)


def _trends(report: Any) -> list[dict[str, Any]]:
    """The report's trends block (a list of group objects)."""
    block: list[dict[str, Any]] = report.to_dict()["trends"]
    return block


def _groups(report: Any) -> dict[Any, dict[str, Any]]:
    return {g["group"]: g for g in _trends(report)}


def test_span_runs_are_grouped_by_model_and_a_planted_drop_is_caught(tmp_path: Path) -> None:
    report = analyze(_two_models(tmp_path / "spans.jsonl"), options=[FAST])
    groups = _groups(report)
    assert set(groups) == {"steady", "slipping"}
    slipping, steady = groups["slipping"], groups["steady"]
    assert list(slipping) == list(GROUP_KEYS)
    assert slipping["group_by"] == "model" and slipping["source"] == "spans" and slipping["score_source"] == "reward"
    assert slipping["n_runs"] == 10 and [r["run_id"] for r in slipping["runs"]][:2] == ["slipping-r00", "slipping-r01"]
    assert slipping["verdict"] == "regression"
    assert slipping["delta_from"] == "change-point"
    (cp,) = slipping["change_points"]
    assert cp["index"] == 6 and cp["run"] == "slipping-r06" and cp["p_value"] <= 0.05
    assert cp["delta"] == pytest.approx(-0.15, abs=0.01)
    assert slipping["tokens"]["verdict"] == "regression"  # +400 tokens per task is worse
    assert slipping["cost"] is None  # spans carry no cost
    assert steady["verdict"] == "stable" and steady["change_points"] == []
    assert steady["tokens"]["verdict"] == "stable"
    # per task: every task dropped by 0.15 at run 6; all 12 survive the Benjamini–Hochberg correction
    assert len(slipping["tasks"]) == 12 and list(slipping["tasks"][0]) == list(TASK_KEYS)
    assert {t["verdict"] for t in slipping["tasks"]} == {"regression"}
    assert all(t["q_value"] <= 0.05 for t in slipping["tasks"])
    assert {t["verdict"] for t in steady["tasks"]} == {"stable"}


def test_the_section_is_absent_without_two_runs_of_one_group(tmp_path: Path) -> None:
    path = write_spans(tmp_path / "s.jsonl", [Attempt("a", 0, "t", reward=1.0), Attempt("b", 1, "t", reward=0.0)])
    doc = analyze(path).to_dict()
    assert "trends" not in doc
    assert "## Trends" not in render_markdown(analyze(path))


def test_success_rate_is_the_score_without_rewards_and_group_by_task(tmp_path: Path) -> None:
    attempts = [
        Attempt("m", run, task, outcome=C.OUTCOME_SUCCESS if (run < 3 or task != "t1") else C.OUTCOME_FAILURE)
        for run in range(6)
        for task in ("t1", "t2")
        for _ in range(3)
    ]
    path = write_spans(tmp_path / "s.jsonl", attempts)
    (group,) = _trends(analyze(path, options=[FAST]))
    assert group["score_source"] == "success_rate"
    assert group["series"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    by_task = _groups(analyze(path, options=[replace(FAST, group_by="task")]))
    assert set(by_task) == {"t1", "t2"} and by_task["t1"]["group_by"] == "task"
    assert by_task["t1"]["series"] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert by_task["t2"]["verdict"] == "stable"


def _seed_files(root: Path, *, flaky: bool) -> list[Path]:
    """The seed's 87 % → 83 % → 79 %, three PinchBench runs of one model."""
    if flaky:  # 100 pass/fail tasks; each run flips tasks both ways, net -4 tasks
        first = [1.0] * 87 + [0.0] * 13
        second = [*first[:4], 0.0, 0.0, 0.0, 0.0, *first[8:]]  # 4 tasks fail: 83
        third = list(second)
        for k in range(8, 18):
            third[k] = 0.0  # 10 more fail ...
        for k in range(87, 93):
            third[k] = 1.0  # ... 6 that failed pass: 79
        runs = [first, second, third]
    else:  # 50 partially graded tasks, each losing about 4 points per run
        base = [0.87 + 0.08 * ((3 * i) % 10 - 4.5) / 4.5 for i in range(50)]
        runs = [
            [b - 0.04 * r + (0.01 if (i + r) % 2 else -0.01) * (r > 0) for i, b in enumerate(base)] for r in range(3)
        ]
    paths = []
    for r, scores in enumerate(runs):
        doc = pinchbench_run(f"{r + 1:04d}", {f"task_{i:03d}": s for i, s in enumerate(scores)}, timestamp=1e9 + r)
        paths.append(write_run(root / f"{r + 1:04d}_main.json", doc))
    return paths


def test_the_seed_example_is_judged_by_the_small_n_path(tmp_path: Path) -> None:
    (group,) = _trends(analyze(_seed_files(tmp_path / "steady-slip", flaky=False)))
    assert [round(s, 4) for s in group["series"]] == [0.87, 0.83, 0.79]
    assert group["method"] == "last-vs-previous" and group["change_points"] == []
    assert group["verdict"] == "regression"
    lvp = group["last_vs_previous"]
    assert lvp["method"] == "paired-tasks" and lvp["n"] == 50
    assert lvp["delta"] == pytest.approx(-0.04) and lvp["delta_ci"][1] < -0.02
    assert group["pinchbench_rule"]["slope_pct_per_run"] == pytest.approx(-4.0) and group["pinchbench_rule"]["flagged"]


def test_flaky_pass_fail_flips_with_the_same_means_are_not_a_regression(tmp_path: Path) -> None:
    (group,) = _trends(analyze(_seed_files(tmp_path / "flaky", flaky=True)))
    assert [round(s, 4) for s in group["series"]] == [0.87, 0.83, 0.79]
    assert group["pinchbench_rule"]["flagged"] is True  # the source tool cries wolf ...
    assert group["verdict"] == "stable"  # ... the paired comparison sees 10 tasks down, 6 up
    lo, hi = group["last_vs_previous"]["delta_ci"]
    assert lo < 0 < hi and "CI includes 0" in group["reason"]


def test_real_pinchbench_runs_grouped_by_model_are_merged_and_warned(external: Path) -> None:
    report = analyze(external / "pinchbench")
    (group,) = _trends(report)
    assert group["group"] == "agent:main" and group["n_runs"] == 6
    assert [r["dir"] for r in group["runs"]] == [
        "results",
        "results_qwen3.5-9b",
        "results_qwen3.5-9b-v2",
        "results_qwen3.5-4b",
        "results_qwen3.5-9b-v3",
        "results_smartrouter",
    ]  # in timestamp order
    assert [round(s * 100, 1) for s in group["series"]] == [99.0, 77.2, 83.0, 84.6, 90.5, 88.9]
    warnings = " ".join(group["warnings"])
    assert "6 directories" in warnings and "'agent:main'" in warnings and "--group-by dir" in warnings
    assert "2 benchmark versions (1e2ba6b ×5, 856f6d1 ×1)" in warnings
    assert group["verdict"] == "stable"  # six different LLMs: no significant change point or trend
    assert group["mann_kendall_p"] == pytest.approx(0.7194, abs=1e-3)
    assert group["tokens"]["n_runs"] == 5  # smartrouter recorded no usage
    assert len(group["tasks"]) == 52
    assert report.inputs and all(i["spans"] == 0 for i in report.inputs)


def test_two_real_runs_of_different_llms_look_like_a_regression_unless_grouped_by_dir(
    external: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        external / "pinchbench" / "results" / "0005_main.json",
        external / "pinchbench" / "results_qwen3.5-9b" / "0006_main.json",
    ]
    code = main([*map(str, files), "--json", "-", "--fail-on-regression"])
    out = capsys.readouterr()
    assert code == EXIT_REGRESSION
    (group,) = json.loads(out.out)["trends"]
    assert group["verdict"] == "regression" and group["delta"] == pytest.approx(-0.2179, abs=1e-3)
    assert any("2 directories" in w for w in group["warnings"])
    assert "regression in 1 group(s): model=agent:main" in out.err
    code = main([*map(str, files), "--json", "-", "--fail-on-regression", "--group-by", "dir"])
    groups = json.loads(capsys.readouterr().out)["trends"]
    assert code == EXIT_OK
    assert [(g["group"], g["verdict"]) for g in groups] == [
        ("results", "insufficient-data"),
        ("results_qwen3.5-9b", "insufficient-data"),
    ]


def test_the_skill_summary_alone_is_nothing_readable(external: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(external / "pinchbench-skill-results.json"), "--json", "-"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "pinchbench-skill-results.json:0: a PinchBench skill summary" in err
    assert "nothing readable" in err and "Traceback" not in err


def test_spans_and_result_files_mix_on_one_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spans = _two_models(tmp_path / "spans.jsonl")
    files = _seed_files(tmp_path / "bench", flaky=False)
    code = main([str(spans), str(tmp_path / "bench"), "--json", "-", "--min-effect", "5"])
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert [(g["source"], g["group"]) for g in doc["trends"]] == [
        ("pinchbench", "agent:main"),
        ("spans", "slipping"),
        ("spans", "steady"),
    ]
    bench = doc["trends"][0]
    assert bench["verdict"] == "stable" and bench["min_effect"] == pytest.approx(0.05)  # -4 pp < 5 pp
    assert [i["path"] for i in doc["inputs"]] == [str(spans), *map(str, files)]
    assert len(doc["trajectories"]) == 240


def test_fail_on_regression_exit_code_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spans = _two_models(tmp_path / "spans.jsonl")
    assert main([str(spans), "--json", str(tmp_path / "r.json"), "--fail-on-regression"]) == EXIT_REGRESSION
    assert json.loads((tmp_path / "r.json").read_text())["trends"]  # the report is written all the same
    assert main([str(spans), "--json", str(tmp_path / "r.json")]) == EXIT_OK
    assert main([str(spans), "--json", "-", "--fail-on-regression", "--min-effect", "20"]) == EXIT_OK
    capsys.readouterr()
    assert main([str(spans), "--json", "-", "--group-by", "colour"]) == EXIT_USAGE
    assert "unknown --group-by key 'colour'" in capsys.readouterr().err
    assert main([str(spans), "--min-effect", "-1"]) == EXIT_USAGE


def test_strict_stops_at_a_bad_result_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "0001_main.json"
    bad.write_text('{"model": "m", "run_id": "1", "timestamp": 1, "tasks": [{"task_id": "t", "grading": {}}]}')
    assert main([str(bad), "--json", "-", "--strict"]) == EXIT_INPUT_ERROR
    assert "grading.mean" in capsys.readouterr().err


def test_in_progress_runs_are_skipped_and_reported(tmp_path: Path) -> None:
    files = _seed_files(tmp_path / "b", flaky=False)
    write_run(tmp_path / "b" / "0004_main.json", pinchbench_run("0004", {"task_000": 0.1}, in_progress=True))
    (group,) = _trends(analyze(tmp_path / "b"))
    assert group["n_runs"] == len(files) == 3
    assert any("1 run(s) still in progress" in w and "0004_main.json" in w for w in group["warnings"])


def test_compare_to_reports_deltas_against_the_previous_report(tmp_path: Path) -> None:
    files = _seed_files(tmp_path / "b", flaky=False)
    old = analyze(files[:2])
    (tmp_path / "old.json").write_text(report_to_json(old), encoding="utf-8")
    (group,) = _trends(analyze(files, compare_to=tmp_path / "old.json"))
    compare = group["compare"]
    assert compare["previous_verdict"] == "regression" and compare["previous_n_runs"] == 2
    assert compare["new_runs"] == ["0003"]
    assert compare["last_score_delta"] == pytest.approx(-0.04)
    assert compare["verdict_changed"] is False
    (fresh,) = _trends(analyze(files))
    assert fresh["compare"] is None


def test_markdown_and_terminal_show_a_sparkline_and_the_verdict(tmp_path: Path) -> None:
    report = analyze(_two_models(tmp_path / "spans.jsonl"), options=[FAST])
    md = render_markdown(report)
    assert "## Trends" in md and "### slipping" in md
    assert "change at slipping-r06" in md and "regression" in md
    assert "▁" in md and "█" in md
    for width in (80, 140):
        buf = io.StringIO()
        render_terminal(report, Console(file=buf, width=width, color_system=None))
        text = buf.getvalue()
        assert "Trends — 2 group(s) by model" in text and "regression" in text
        assert max(len(line) for line in text.splitlines()) <= width
    json.loads(report_to_json(report), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_group_by_accepts_attribute_keys_and_synonyms() -> None:
    from trajdyn.analyzer.metrics.trends import GROUP_BY_KEYS, resolve_group_by

    assert resolve_group_by("gen_ai.request.model") == "model"
    assert resolve_group_by("gen_ai.agent.name") == "agent"
    assert resolve_group_by("trajdyn.task.id") == "task"
    assert resolve_group_by("directory") == "dir"
    assert {"model", "agent", "task", "dir", "benchmark_version", "none"} <= set(GROUP_BY_KEYS)
    with pytest.raises(ValueError, match="expected one of"):
        resolve_group_by("colour")


def test_a_key_the_source_lacks_is_one_null_group_with_a_warning(tmp_path: Path) -> None:
    _seed_files(tmp_path / "b", flaky=False)
    (group,) = _trends(analyze(tmp_path / "b", options=[TrendsOptions(group_by="agent")]))
    assert group["group"] is None and group["n_runs"] == 3
    assert "pinchbench result files have no 'agent': all their runs are in one group" in group["warnings"]
