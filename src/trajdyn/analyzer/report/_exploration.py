"""The ``exploration`` report section: :func:`trajdyn.analyzer.metrics.exploration` per trajectory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._escape import markdown_text, terminal_text
from trajdyn.analyzer.report._format import fmt_label, fmt_num, fmt_pct, fmt_value
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.analyzer.report._tables import (
    as_block,
    entry_label,
    hidden_line,
    shown_rows,
    trajectory_markdown,
    trajectory_terminal,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["ExplorationSection", "action_counts", "action_label", "actions_only"]


def _rates(block: dict[str, Any]) -> list[float | None]:
    return [w["rate"] for w in block["windows_repeat_rate"]]


def _pairs(pairs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['knob']}={fmt_value(p['value'])}×{p['n']}" for p in pairs) or "–"


def actions_only(block: Mapping[str, Any]) -> bool:
    """Whether the trajectory's exploration block is about actions, not knobs: its ``basis`` is ``"actions"`` (the
    rule is the metric's, :data:`trajdyn.analyzer.metrics.exploration.BASIS_ACTIONS`; a block without ``basis``,
    from an older report, renders as knobs as it did then)."""
    return block.get("basis") == "actions"


def action_label(name: object) -> str:
    """An action's name for display: cut with an ellipsis when long (:func:`~._format.fmt_label`; a free-text
    description can run to hundreds of characters), ``(unnamed)`` for a proposal that names no action."""
    return "(unnamed)" if name is None or name == "" else fmt_label(name)


def action_counts(counts: list[dict[str, Any]], *, total: int | None = None) -> str:
    """``action×n, …`` (:func:`action_label`), and how many more actions there are when
    ``total`` (the distinct actions) exceeds the ones listed."""
    text = ", ".join(f"{action_label(c['knob'])}×{c['n']}" for c in counts) or "–"
    more = (total or 0) - len(counts)
    return text + (f", … {more} more" if counts and more > 0 else "")


def _best(block: dict[str, Any], *, actions: bool) -> str:
    if block["best_iteration"] is None:
        return "–"
    pair = block["best_pair"]
    at = f"{fmt_num(block['best_value'], 6)} at iteration {block['best_iteration']}"
    if not actions:
        return f"{at} ({pair['knob']}={fmt_value(pair['value'])})"
    return f"{at} ({action_label(pair['knob'])})" if pair["knob"] else at  # an unnamed action: nothing to add


def _window_rates(block: dict[str, Any]) -> str:
    rates = _rates(block)
    return f"{sparkline(rates, lo=0.0, hi=1.0, width=60)}  {' '.join(fmt_num(r, 2) for r in rates[:30])}" + (
        " …" if len(rates) > 30 else ""
    )


def _outcome(block: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows after the proposals, the same for knobs and actions (best excepted)."""
    return [
        ("baseline", fmt_num(block["baseline_value"], 6)),
        ("improvement", fmt_pct(block["improvement"])),
        ("cumulative best", sparkline(block["running_best"], width=60)),
    ]


def _tail(block: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("noise floor", fmt_num(block["noise_floor"], 3)),
        ("keeps within noise", fmt_num(block["keeps_within_noise"])),
        ("longest plateau", str(block["longest_plateau"])),
        ("since improvement", str(block["since_improvement"])),
    ]


def _keeps(block: dict[str, Any]) -> str:
    return f"{block['keep_count']} at {block['keep_iterations']}" if block["keep_count"] else "0"


def _action_details(block: dict[str, Any]) -> list[tuple[str, str]]:
    """Action diversity: a trajectory whose proposals carry no values (tool calls, free-text descriptions)."""
    return [
        ("iterations", str(block["iterations"])),
        ("distinct actions", str(block["unique_pairs"])),
        ("action counts", action_counts(block["top_pairs"], total=block["unique_pairs"])),
        ("repeats", f"{block['repeat_count']} ({fmt_num(block['repeat_rate'], 3)})"),
        ("repeat rate / window", _window_rates(block)),
        ("keeps", _keeps(block)),
        ("kept actions", action_counts(block["keep_pair_counts"])),
        ("best", _best(block, actions=True)),
        *_outcome(block),
        ("novelty (Good–Turing)", fmt_num(block["novelty_good_turing"], 3)),
        ("Chao1 distinct actions", fmt_num(block["chao1"], 4)),
        *_tail(block),
    ]


def _details(block: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows of one trajectory's detail view: knob coverage, or action diversity without knobs."""
    if actions_only(block):
        return _action_details(block)
    coverage = (
        f"{block['knobs_touched']} of {block['knobs_total']} knobs ({fmt_pct(block['knob_coverage'], 1)})"
        if block["knobs_total"] is not None
        else f"{block['knobs_touched']} knobs (no menu)"
    )
    return [
        ("iterations", str(block["iterations"])),
        ("coverage", coverage),
        ("untouched", ", ".join(block["knobs_untouched"]) if block["knobs_untouched"] else "–"),
        ("knob counts", ", ".join(f"{k}×{n}" for k, n in block["knob_counts"].items()) or "–"),
        ("unique pairs", str(block["unique_pairs"])),
        ("repeats", f"{block['repeat_count']} ({fmt_num(block['repeat_rate'], 3)})"),
        ("repeat rate / window", _window_rates(block)),
        ("top pairs", _pairs(block["top_pairs"])),
        ("keeps", _keeps(block)),
        ("kept pairs", _pairs(block["keep_pair_counts"])),
        ("best", _best(block, actions=False)),
        *_outcome(block),
        ("novelty (Good–Turing)", fmt_num(block["novelty_good_turing"], 3)),
        ("Chao1 pairs", fmt_num(block["chao1"], 4)),
        *_tail(block),
    ]


_SUMMARY_HEADERS = (
    "trajectory",
    "iters",
    "coverage",
    "pairs",
    "repeat",
    "keeps",
    "best",
    "improv.",
    "plateau",
    "repeats",
)
_NARROW = (0, 1, 2, 4, 5, 7, 9)
"""Columns kept in a terminal narrower than 100 characters."""


def _summary_row(entry: dict[str, JSONValue], block: dict[str, Any]) -> tuple[str, ...]:
    return (
        entry_label(entry),
        str(block["iterations"]),
        "no knobs" if actions_only(block) else fmt_pct(block["knob_coverage"], 0),
        str(block["unique_pairs"]),
        fmt_num(block["repeat_rate"], 2),
        str(block["keep_count"]),
        fmt_num(block["best_value"], 5),
        fmt_pct(block["improvement"]),
        str(block["longest_plateau"]),
        sparkline(_rates(block), lo=0.0, hi=1.0, width=20),
    )


class _Summary:
    """The summary table's columns for the trajectories shown: today's knob columns when every trajectory has knobs;
    without the coverage column and with "actions" for "pairs" when none has; both, "pairs / actions", when mixed."""

    def __init__(self, rows: Sequence[tuple[dict[str, JSONValue], JSONValue]]) -> None:
        kinds = {actions_only(as_block(b, ExplorationSection.name)) for _, b in rows}
        headers = list(_SUMMARY_HEADERS)
        self.columns = list(range(len(headers)))
        if kinds == {True}:
            headers[3] = "actions"
            self.columns.remove(2)
        elif kinds == {True, False}:
            headers[3] = "pairs / actions"
        self.headers = tuple(headers[i] for i in self.columns)

    def row(self, entry: dict[str, JSONValue], block: dict[str, Any]) -> tuple[str, ...]:
        cells = _summary_row(entry, block)
        return tuple(cells[i] for i in self.columns)

    def keep(self, width: int) -> list[int]:
        return [k for k, i in enumerate(self.columns) if width >= 100 or i in _NARROW]

    def left(self) -> tuple[int, int]:
        return (0, len(self.columns) - 1)


def _no_spans(report: Report) -> bool:
    """Whether no input held spans (e.g. only benchmark result files): the section then says nothing."""
    return bool(report.inputs) and all(i.get("spans") == 0 for i in report.inputs)


class ExplorationSection(ReportSection):
    """Per-trajectory exploration coverage (docs/metrics/exploration.md); options
    :class:`~trajdyn.analyzer.metrics.exploration.ExplorationOptions`."""

    name: ClassVar[str] = "exploration"

    def options_types(self) -> tuple[type[Any], ...]:
        from trajdyn.analyzer.metrics.exploration import ExplorationOptions

        return (ExplorationOptions,)

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.metrics.exploration import ExplorationOptions, exploration

        opts = ctx.options.get(ExplorationOptions)
        frame = exploration(ctx.steps, ctx.trajectories, window=opts.window, eta=opts.eta, top=opts.top)
        out: dict[str, dict[str, JSONValue]] = {}
        for row in frame.iter_rows(named=True):
            tid = row.pop(K.TRAJECTORY_ID)
            row["knob_counts"] = {c["knob"]: c["n"] for c in row["knob_counts"]}
            out[str(tid)] = row  # made JSON-ready (NaN → null) once, by the report builder
        return SectionResult(per_trajectory=out)

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        rows = report.section(self.name)
        if not rows:
            return [] if _no_spans(report) else ["## Exploration", "", "No trajectories.", ""]
        shown, hidden = shown_rows(rows, self.name, "iterations")
        lines = ["## Exploration", ""]
        if shown:
            summary = _Summary(shown)
            lines += trajectory_markdown(
                shown,
                section=self.name,
                headers=summary.headers,
                summary=summary.row,
                details=_details,
                max_detail=max_detail,
            )
        return lines + ([markdown_text(hidden_line(hidden, "iterations"), block_start=True), ""] if hidden else [])

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        rows = report.section(self.name)
        if not rows:
            return [] if _no_spans(report) else ["[bold]Exploration[/bold]: no trajectories."]
        shown, hidden = shown_rows(rows, self.name, "iterations")
        out: list[RenderableType] = []
        if shown:
            summary = _Summary(shown)
            out += trajectory_terminal(
                shown,
                section=self.name,
                title="Exploration",
                headers=summary.headers,
                keep=summary.keep(width),
                left=summary.left(),
                summary=summary.row,
                details=_details,
                max_detail=max_detail,
            )
        return out + ([terminal_text(f"Exploration: {hidden_line(hidden, 'iterations')}")] if hidden else [])
