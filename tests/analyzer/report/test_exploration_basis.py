"""Knobs or actions (``basis``, docs/metrics/exploration.md): a trajectory without knobs (tool calls, free-text
descriptions) is shown by its action diversity, one with knobs by its knob coverage exactly as before; a report with
both kinds shows each its own way; action names stay inert in the terminal, Markdown and HTML, cut or not."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.console import Console

from tests.analyzer.metrics.test_exploration_frames import Step, Traj, frames, p
from trajdyn.analyzer.metrics import exploration
from trajdyn.analyzer.report import Report, build_report, render_markdown, render_terminal
from trajdyn.analyzer.report._escape import visible
from trajdyn.analyzer.report._format import fmt_label

STAMP = "2026-01-01T00:00:00Z"

KNOB_ROWS = [
    "iterations",
    "coverage",
    "untouched",
    "knob counts",
    "unique pairs",
    "repeats",
    "repeat rate / window",
    "top pairs",
    "keeps",
    "kept pairs",
    "best",
    "baseline",
    "improvement",
    "cumulative best",
    "novelty (Good–Turing)",
    "Chao1 pairs",
    "noise floor",
    "keeps within noise",
    "longest plateau",
    "since improvement",
]
ACTION_ROWS = [
    "iterations",
    "distinct actions",
    "action counts",
    "repeats",
    "repeat rate / window",
    "keeps",
    "kept actions",
    "best",
    "baseline",
    "improvement",
    "cumulative best",
    "novelty (Good–Turing)",
    "Chao1 distinct actions",
    "noise floor",
    "keeps within noise",
    "longest plateau",
    "since improvement",
]

LONG = "exp7: batch 16K->8K (too noisy, quality dropped) and then some more words to pass sixty"
HOSTILE = "tool\x1b[2J<script>alert(1)</script>|[x](javascript:alert(1))*em*"
# the cut (60 characters) falls inside the tag: truncation comes before escaping, so no half-escaped entity
HOSTILE_LONG = "a" * 55 + "<img src=x onerror=alert(1)>|`code`\x1b[31m"


def tool(action: str, metric: float | None = None, decision: str | None = None) -> Step:
    return Step(None, metric=metric, decision=decision, action=action)


def _tools() -> Traj:
    seq = [
        tool("bash", 2.0, "keep"),
        tool("bash", 1.0, "keep"),
        tool(LONG),
        tool(HOSTILE, 3.0, "keep"),
        tool(HOSTILE_LONG),
        tool(""),
        *(tool(f"t{i}") for i in range(8)),
    ]
    return Traj("tools", seq, task_id="task-tools", baseline=2.0, start_ns=1)


def _knobs() -> Traj:
    seq = [p("lr", 0.1, 2.0, "keep"), p("lr", 0.1, 1.5), p("depth", 4, 3.0, "keep"), tool("bash")]
    return Traj("knobs", seq, task_id="task-knobs", menu=["lr", "depth", "width"], baseline=2.0, start_ns=2)


def _report(*trajs: Traj) -> Report:
    steps, trajectories = frames(list(trajs))
    return build_report(steps, trajectories, generated_at=STAMP)


def _detail_rows(markdown: str, trajectory: str) -> dict[str, str]:
    """The (metric → value) rows of one trajectory's exploration detail table."""
    section = markdown.split("## Exploration", 1)[1].split("\n## ", 1)[0]
    block = section.split(f"### {trajectory}", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in block.splitlines():
        m = re.match(r"^\| (.+?) \| (.*) \|$", line)
        if m and m.group(1) not in ("metric", "---"):
            rows[m.group(1)] = m.group(2)
    return rows


def _summary(markdown: str) -> list[str]:
    section = markdown.split("## Exploration", 1)[1].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def _terminal(report: Report, width: int) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    render_terminal(report, console, max_detail=5)
    return console.export_text()


# ---- the rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traj", "basis"),
    [
        (Traj("t", [tool("search"), tool("open")]), "actions"),
        (Traj("t", [Step("desc one"), Step("desc two")]), "actions"),  # knob names without values: descriptions
        (Traj("t", [p("lr", 0.1)]), "knobs"),
        (Traj("t", [tool("bash"), tool("bash"), p("lr", 0.1)]), "knobs"),  # one valued proposal is enough
        (Traj("t", [tool("bash")], menu=["lr"]), "knobs"),  # a menu says there are knobs
        (Traj("t", [Step("lr", "0.1", blocked=True), tool("bash")]), "actions"),  # blocked: not an iteration
        (Traj("t", [], menu=["lr"]), "knobs"),
        (Traj("t", []), "actions"),
    ],
)
def test_basis_is_knobs_with_a_menu_or_a_valued_proposal(traj: Traj, basis: str) -> None:
    steps, trajectories = frames([traj])
    assert exploration(steps, trajectories)["basis"].to_list() == [basis]


def test_basis_changes_no_number() -> None:
    """With no values a pair is its action: the same numbers, only the words differ."""
    steps, trajectories = frames([_tools()])
    (row,) = exploration(steps, trajectories).to_dicts()
    assert row["basis"] == "actions"
    assert row["unique_pairs"] == row["knobs_touched"] == 13
    assert row["repeat_count"] == 1
    assert [(t["knob"], t["n"]) for t in row["top_pairs"][:2]] == [("bash", 2), (LONG, 1)]


# ---- Markdown ---------------------------------------------------------------------------------------------------


def test_a_knobless_trajectory_shows_action_diversity_and_no_knob_rows() -> None:
    text = render_markdown(_report(_tools()))
    rows = _detail_rows(text, "tools")
    assert list(rows) == ACTION_ROWS
    assert rows["distinct actions"] == "13"
    assert rows["repeats"] == "1 (0.0714)"
    counts = rows["action counts"]
    assert fmt_label(LONG) == LONG[:59] + "…"
    assert counts.startswith("bash×2, exp7: batch 16K-&gt;8K (too noisy, quality dropped) and then s…×1, ")
    assert counts.endswith(", … 5 more")  # the top 8 of 13
    assert rows["kept actions"].startswith("bash×2, tool")
    assert rows["best"] == "3 at iteration 4 (" + rows["kept actions"].split("×2, ")[1].removesuffix("×1") + ")"
    section = text.split("## Exploration", 1)[1].split("\n## ", 1)[0]
    for knob_word in ("=–", "knobs", "untouched", "pairs", "coverage"):
        assert knob_word not in section, knob_word
    assert LONG not in section  # cut; the JSON keeps it whole


def test_an_unnamed_action_is_named_so() -> None:
    text = render_markdown(_report(Traj("t", [tool(""), tool(""), tool("x")])))
    assert _detail_rows(text, "t")["action counts"] == "(unnamed)×2, x×1"


def test_a_knob_trajectory_renders_as_before() -> None:
    text = render_markdown(_report(_knobs()))
    rows = _detail_rows(text, "knobs")
    assert list(rows) == KNOB_ROWS
    assert rows["coverage"] == "3 of 3 knobs (100.0 %)"  # the tool call counts as an off-menu knob, as before
    assert rows["knob counts"] == "lr×2, depth×1, bash×1"
    assert rows["top pairs"] == "lr=0.1×2, depth=4×1, bash=–×1"
    assert rows["kept pairs"] == "lr=0.1×1, depth=4×1"
    assert rows["best"] == "3 at iteration 3 (depth=4)"
    assert rows["Chao1 pairs"] == "5"  # D = 3, f1 = 2, f2 = 1


def test_a_mixed_report_shows_each_kind_its_own_way() -> None:
    text = render_markdown(_report(_tools(), _knobs()))
    header, _rule, *rows = _summary(text)
    assert header == (
        "| trajectory | iters | coverage | pairs / actions | repeat | keeps | best | improv. | plateau | repeats |"
    )
    cells = {r.split(" | ")[0].removeprefix("| "): r.split(" | ") for r in rows}
    assert cells["tools (task-tools)"][2] == "no knobs" and cells["tools (task-tools)"][3] == "13"
    assert cells["knobs (task-knobs)"][2] == "100 %" and cells["knobs (task-knobs)"][3] == "3"
    assert list(_detail_rows(text, "tools")) == ACTION_ROWS
    assert list(_detail_rows(text, "knobs")) == KNOB_ROWS


def test_an_all_action_summary_has_no_coverage_column() -> None:
    other = Traj("more", [tool("a"), tool("a"), tool("b")], task_id="task-more", start_ns=3)
    text = render_markdown(_report(_tools(), other))
    header, *_ = _summary(text)
    assert header == "| trajectory | iters | actions | repeat | keeps | best | improv. | plateau | repeats |"
    assert "no knobs" not in text and "coverage" not in text.split("## Exploration", 1)[1].split("\n## ", 1)[0]


def test_action_names_stay_inert_in_markdown() -> None:
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (a dependency of rich) parses Markdown")
    text = render_markdown(_report(_tools(), _knobs()))
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    kinds: set[str] = set()
    stack = list(md.parse(text))
    while stack:
        token = stack.pop()
        kinds.add(token.type)
        stack.extend(token.children or [])
    assert not kinds & {"html_block", "html_inline", "link_open", "image", "em_open"}, kinds
    assert "\x1b" not in text and "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text and "&lt;img src=x onerror=alert(1)&gt;|`code`" not in text  # cut
    assert "a" * 55 + "&lt;img…" in text  # cut before escaping: the entity is whole


# ---- terminal ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 160])
def test_the_terminal_shows_each_kind_and_fits(width: int) -> None:
    out = _terminal(_report(_tools(), _knobs()), width)
    assert max(len(line) for line in out.splitlines()) <= width
    details = dict(re.findall(r"Exploration — (tools|knobs) \(task-\w+\)(.*?)(?=Exploration — |Dynamics)", out, re.S))
    tools_detail = details["tools"]
    assert "distinct actions" in tools_detail and "Chao1 distinct actions" in tools_detail
    assert "coverage" not in tools_detail and "=–" not in tools_detail and "Chao1 pairs" not in tools_detail
    knobs_detail = details["knobs"]
    assert "coverage" in knobs_detail and "Chao1 pairs" in knobs_detail and "distinct actions" not in knobs_detail
    assert "no knobs" in out


def test_action_names_stay_inert_in_the_terminal() -> None:
    out = _terminal(_report(_tools()), 400)
    assert "\x1b" not in out
    assert visible(fmt_label(HOSTILE)) in out  # cut at 60 characters, then made visible
    assert "[x](javascript:alert(1))*…×1" in out


# ---- HTML -------------------------------------------------------------------------------------------------------


def _html(report: Report) -> Any:
    pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")
    from tests.analyzer.report._html import check_page
    from trajdyn.analyzer.report.html import render_html

    page_text = render_html(report)
    return page_text, check_page(page_text)


def test_html_shows_action_diversity_without_knobs() -> None:
    page_text, page = _html(_report(_tools(), Traj("more", [tool("a"), tool("a")], task_id="m", start_ns=3)))
    plain = page.plain
    assert "Most proposed actions" in plain and "Top actions" in plain and "distinct actions" in plain
    assert "Chao1 estimate of distinct actions" in plain
    for knob_word in ("knobs (no menu)", "Top (knob, value) pairs", "Coverage growth", "reachable pairs"):
        assert knob_word not in plain, knob_word
    assert "<script>" not in page_text and "<img" not in page_text
    assert visible("tool\x1b[2J<script>alert(1)</script>") in plain
    assert "a" * 55 + "<img…" in plain and "onerror=alert(1)>|" not in plain  # cut, then escaped


def test_html_keeps_the_knob_view_and_names_both_when_mixed() -> None:
    _, page = _html(_report(_tools(), _knobs()))
    plain = page.plain
    assert "Most proposed knobs and actions" in plain and "pairs or actions" in plain
    assert "Top (knob, value) pairs" in plain and "Top actions" in plain  # one detail of each kind
    assert "3 of 3 knobs (100.0 %)" in plain and "Chao1 estimate of distinct actions" in plain
