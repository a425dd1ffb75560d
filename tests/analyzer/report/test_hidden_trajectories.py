"""Trajectories with nothing to show in a per-trajectory section (no iterations for exploration, no turns for
dynamics: sweep runs scored on their root, an agent span without a turn) are named in one line, not laid out as
tables of dashes; the JSON keeps every block; the line's ids stay inert in Markdown and the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from tests.analyzer.metrics.test_exploration_frames import Step, Traj, frames
from trajdyn.analyzer.report import Report, build_report, render_markdown, render_terminal

STAMP = "2026-01-01T00:00:00Z"
HOSTILE = "run*<b>x</b>|[y](javascript:z)"


def _report(*trajs: Traj) -> Report:
    steps, trajectories = frames(list(trajs))
    return build_report(steps, trajectories, generated_at=STAMP)


def _busy(name: str, start: int) -> Traj:
    return Traj(name, [Step(None, action="search"), Step(None, action="open")], start_ns=start)


def _section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_empty_trajectories_are_named_in_one_line_and_kept_in_the_json() -> None:
    report = _report(
        _busy("busy-a", 1), Traj("empty-1", [], start_ns=2), _busy("busy-b", 3), Traj(HOSTILE, [], start_ns=4)
    )
    doc = report.to_dict()
    assert [t["iterations"] for t in doc["trajectories"]] == [2, 0, 2, 0]  # every block is in the JSON
    assert all("exploration" in t and "dynamics" in t for t in doc["trajectories"])
    markdown = render_markdown(report)
    for title, what in (("Exploration", "iterations"), ("Dynamics", "turns")):
        section = _section(markdown, title)
        assert "### busy-a" in section and "### busy-b" in section
        assert "### empty-1" not in section and "| empty-1 |" not in section
        (line,) = [x for x in section.splitlines() if "not shown" in x]
        assert line.startswith(f"2 trajectories with no {what} not shown (empty-1, ")
        assert "<b>" not in line and "&lt;b&gt;" in line  # no HTML
        assert r"run\*" in line and r"[y\](javascript" in line  # no emphasis, and the link bracket escaped: no link


def test_only_empty_trajectories_give_the_line_alone_in_markdown_and_terminal() -> None:
    report = _report(Traj("e1", [], start_ns=1), Traj("e2", [], start_ns=2))
    markdown = render_markdown(report)
    for title in ("Exploration", "Dynamics"):
        section = _section(markdown, title)
        assert "|" not in section  # no table at all
        assert "2 trajectories with no" in section and "(e1, e2; all are in the JSON report)" in section
    console = Console(record=True, width=200, file=io.StringIO(), color_system=None)
    render_terminal(report, console, max_detail=5)
    text = console.export_text()
    assert "Exploration: 2 trajectories with no iterations not shown (e1, e2;" in text
    assert "Dynamics: 2 trajectories with no turns not shown (e1, e2;" in text


def test_a_single_busy_trajectory_is_shown_as_before() -> None:
    alone = render_markdown(_report(_busy("busy-a", 1)))
    with_empty = render_markdown(_report(_busy("busy-a", 1), Traj("empty-1", [], start_ns=2)))
    for title in ("Exploration", "Dynamics"):
        shown = _section(with_empty, title).split("\n1 trajectory with no", 1)[0].rstrip()
        assert shown == _section(alone, title).rstrip()
