"""The HTML page treats trajectories with nothing to show as the Markdown does (``test_hidden_trajectories.py``):
exploration and dynamics draw the trajectories with iterations (resp. turns), name the others in one escaped line,
count only the drawn ones in their headlines (saying so), and spend no detail article on a trajectory with no
iterations and no turns; a report of only such trajectories shows the lines alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analyzer.metrics.test_exploration_frames import Traj
from tests.analyzer.report._html import check_page, outline
from tests.analyzer.report.test_hidden_trajectories import HOSTILE, _busy, _report

pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")

from trajdyn.analyzer.report import DynamicsSection, ExplorationSection, Report
from trajdyn.analyzer.report.html import HtmlOptions, HtmlPart, el, render_html, select_detail


def _part(lines: list[str], name: str) -> list[str]:
    """The outline lines of section ``s-<name>`` (up to the next section or article)."""
    start = lines.index(f"section s-{name}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("section ", "article "))), len(lines))
    return lines[start + 1 : end]


def _articles(lines: list[str]) -> list[str]:
    """The titles (trajectory ids) of the detail articles."""
    return [lines[i + 1].removeprefix("  h3: ") for i, line in enumerate(lines) if line.startswith("article ")]


def _rows(section: list[str]) -> list[str]:
    return [line.strip().split(" | ", 1)[0] for line in section if line.startswith("    ")]


def test_busy_and_empty_trajectories_draw_the_busy_ones_and_name_the_others_escaped() -> None:
    report = _report(
        _busy("busy-a", 1), Traj("empty-1", [], start_ns=2), _busy("busy-b", 3), Traj(HOSTILE, [], start_ns=4)
    )
    doc = report.to_dict()
    page = render_html(report)
    assert report.to_dict() == doc  # the page reads the report, changes nothing in it
    parsed = check_page(page)  # inert: no element or attribute from the data, every link's target exists
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;|[y](javascript:z)" in page
    assert not [a for tag, a in parsed.tags if tag == "a" and "javascript" in str(a.get("href"))]
    lines = outline(page).splitlines()
    for name, what in (("exploration", "iterations"), ("dynamics", "turns")):
        section = _part(lines, name)
        trajectory_rows = [r for r in _rows(section) if r.startswith(("busy", "empty", "run"))]
        assert trajectory_rows == ["busy-a", "busy-b"], (name, section)
        assert section[-1] == (
            f"  p: 2 trajectories with no {what} not shown (empty-1, {HOSTILE}; all are in the JSON report)."
        )
        assert sum(line.startswith("  [chart]") for line in section) >= 2  # the charts over the two busy ones
    overview = "\n".join(_part(lines, "overview"))
    assert "| Repeat rate (median) | 0 | interquartile 0 – 0 over 2 trajectories with iterations" in overview
    assert "| Loops detected | 0 of 2 | trajectories with turns ending in a significant suffix loop" in overview
    assert "  figcaption: Distribution over all 2 trajectories with iterations." in _part(lines, "exploration")
    assert _articles(lines) == ["busy-a", "busy-b"]
    (intro,) = [line for line in _part(lines, "detail") if line.startswith("  p: ")]
    assert intro.startswith("  p: 2 of 4 trajectories (all 2 with iterations or turns). The other 2 have no")
    # the JSON keeps every block: the empty ones are still there, with their zeros
    assert [(t["trajectory_id"], t["exploration"]["iterations"]) for t in doc["trajectories"]] == [
        ("busy-a", 2),
        ("empty-1", 0),
        ("busy-b", 2),
        (HOSTILE, 0),
    ]
    assert [t["dynamics"]["turns"] for t in doc["trajectories"]] == [2, 0, 2, 0]


def test_only_empty_trajectories_give_each_section_the_line_alone_and_no_detail() -> None:
    report = _report(Traj("e1", [], start_ns=1), Traj("e2", [], start_ns=2), Traj(HOSTILE, [], start_ns=3))
    page = render_html(report)
    check_page(page)
    lines = outline(page).splitlines()
    for name, what in (("exploration", "iterations"), ("dynamics", "turns")):
        assert _part(lines, name) == [
            f"  h2: {name.capitalize()}",
            f"  p: 3 trajectories with no {what} not shown (e1, e2, {HOSTILE}; all are in the JSON report).",
        ]
    overview = "\n".join(_part(lines, "overview"))
    assert "Repeat rate" not in overview and "Loops detected" not in overview  # no headline over nothing
    assert 'id="s-detail"' not in page and "<article" not in page and "Trajectories in detail" not in page
    # a single trajectory, empty: its (empty) detail is not made the sections' body either
    alone = outline(render_html(_report(Traj("e1", [], start_ns=1)))).splitlines()
    assert _part(alone, "exploration") == [
        "  h2: Exploration",
        "  p: 1 trajectory with no iterations not shown (e1; all are in the JSON report).",
    ]
    assert _part(alone, "dynamics")[1:] == [
        "  p: 1 trajectory with no turns not shown (e1; all are in the JSON report)."
    ]


def test_one_busy_trajectory_among_empty_ones_is_its_row_its_named_cards_and_its_article() -> None:
    report = _report(Traj("empty-1", [], start_ns=1), _busy("busy-a", 2), Traj("empty-2", [], start_ns=3))
    lines = outline(render_html(report)).splitlines()
    exploration = _part(lines, "exploration")
    assert "  [chart]" not in exploration  # no distribution over one trajectory
    assert _rows(exploration) == ["busy-a"]
    assert exploration[-1].startswith("  p: 2 trajectories with no iterations not shown (empty-1, empty-2;")
    overview = "\n".join(_part(lines, "overview"))
    assert "| Repeat rate | 0 | 0 of 2 iterations repeated an action (busy-a, the one trajectory with iterations)" in (
        overview
    )
    assert "| Regime | degenerate | " in overview and "(busy-a, the one trajectory with turns)" in overview
    assert _articles(lines) == ["busy-a"]
    (intro,) = [line for line in _part(lines, "detail") if line.startswith("  p: ")]
    assert intro.startswith("  p: 1 of 3 trajectories (the one with iterations or turns). The other 2 have no")
    none = render_html(report, HtmlOptions(detail=0))
    assert "<article" not in none and "busy-a" in none  # without articles, the section's row still names it


def _entry(tid: str, iterations: int, turns: int) -> dict[str, Any]:
    return {
        "trajectory_id": tid,
        "iterations": iterations,
        "exploration": {"iterations": iterations, "repeat_rate": 0.0 if iterations else None, "basis": "actions"},
        "dynamics": {"turns": turns, "regime": "degenerate", "regime_reason": f"reason of {tid}"},
    }


def test_an_article_leaves_out_the_part_with_nothing_to_draw() -> None:
    report = Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "in.jsonl", "spans": 9, "errors": 0}],
        errors=[],
        trajectories=[_entry("iter-only", 3, 0), _entry("both", 3, 3), _entry("neither", 0, 0)],  # type: ignore[list-item]
        blocks={},
        sections=(ExplorationSection(), DynamicsSection()),
    )
    page = render_html(report)
    check_page(page)
    lines = outline(page).splitlines()
    assert _articles(lines) == ["iter-only", "both"]
    start = lines.index("article t-0")
    first = lines[start : lines.index("article t-1")]
    assert "  h4: Exploration" in first and "  h4: Dynamics" not in first
    assert "reason of iter-only" not in page  # its dynamics block (0 turns) is drawn nowhere
    assert "  h4: Dynamics" in lines[lines.index("article t-1") :] and "reason of both" in page
    assert _rows(_part(lines, "dynamics")) == ["both"]
    assert _part(lines, "dynamics")[-1].startswith("  p: 2 trajectories with no turns not shown (iter-only, neither;")


def test_select_detail_takes_only_trajectories_some_part_draws() -> None:
    report = Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "x", "spans": 1, "errors": 0}],
        errors=[],
        trajectories=[{"trajectory_id": f"t{i}", "iterations": 1} for i in range(6)],
        blocks={},
    )

    def draw(entry: Any, ctx: Any) -> Any:
        return el("p", "drawn")

    a = HtmlPart("a", "A", el("p", ""), detail=draw, detail_for={"t1", "t4"})
    b = HtmlPart("b", "B", el("p", ""), detail=draw, detail_for=frozenset({"t4", "t2"}))
    chosen = [str(e["trajectory_id"]) for e, _ in select_detail(report, [a, b], 10)]
    assert chosen == ["t1", "t2", "t4"]  # report order, each once
    assert [str(e["trajectory_id"]) for e, _ in select_detail(report, [a, b], 2)] == ["t1", "t2"]
    nothing = HtmlPart("c", "C", el("p", ""), detail=draw, detail_for=())
    assert select_detail(report, [nothing], 10) == []  # nothing to draw for anyone: no article at all
    every = HtmlPart("d", "D", el("p", ""), detail=draw)  # no detail_for: it draws every trajectory
    assert len(select_detail(report, [nothing, every], 10)) == 6
