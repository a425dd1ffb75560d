"""Rendering shared by the per-trajectory sections: a summary table over trajectories and a detail table for each.

A section supplies its headers, a summary-row function and a detail-rows function; these helpers lay them out as
Markdown or as rich tables, with the "more trajectories omitted" line after ``max_detail`` details. Every cell is
escaped here (:mod:`._escape`), so a section's row functions return plain text, data included.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._escape import markdown_cell, markdown_text, terminal_text
from trajdyn.analyzer.report._model import JSONValue

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "as_block",
    "entry_label",
    "hidden_line",
    "md_cell",
    "shown_rows",
    "trajectory_markdown",
    "trajectory_terminal",
]

Rows = Sequence[tuple[dict[str, JSONValue], JSONValue]]
SummaryRow = Callable[[dict[str, JSONValue], dict[str, Any]], tuple[str, ...]]
DetailRows = Callable[[dict[str, Any]], list[tuple[str, str]]]


def entry_label(entry: Mapping[str, JSONValue]) -> str:
    """``trajectory_id (task, model, run)`` with the identity parts a trajectory has."""
    parts = [str(entry[k]) for k in (K.TASK_ID, K.MODEL, K.RUN_ID) if entry.get(k) is not None]
    return f"{entry[K.TRAJECTORY_ID]}" + (f" ({', '.join(parts)})" if parts else "")


def as_block(value: JSONValue, section: str) -> dict[str, Any]:
    """A section's per-trajectory block as a dict (``TypeError`` naming the section otherwise)."""
    if not isinstance(value, dict):
        raise TypeError(f"expected the {section} block of a trajectory to be an object, got {type(value).__name__}")
    return value


def shown_rows(rows: Rows, section: str, key: str) -> tuple[list[tuple[dict[str, JSONValue], JSONValue]], list[str]]:
    """The rows whose block has a positive ``key`` (iterations, turns), and the labels of those left out: a
    trajectory with nothing to show (a sweep run scored on its root, an agent span without a turn) is named in one
    line (:func:`hidden_line`), not laid out as a table of dashes. The JSON report keeps every block."""
    kept = [(e, b) for e, b in rows if (as_block(b, section).get(key) or 0) > 0]
    hidden = [entry_label(e) for e, b in rows if (as_block(b, section).get(key) or 0) <= 0]
    return kept, hidden


def hidden_line(hidden: Sequence[str], what: str, *, named: int = 3) -> str:
    """The line for :func:`shown_rows`' left-out trajectories, naming the first ``named`` (plain text, data
    included: a section escapes it)."""
    n = len(hidden)
    names = ", ".join(hidden[:named]) + (" …" if n > named else "")
    return f"{n} trajector{'y' if n == 1 else 'ies'} with no {what} not shown ({names}; all are in the JSON report)."


def md_cell(text: str) -> str:
    """A Markdown table cell: ``text`` made inert (:func:`~._escape.markdown_cell`)."""
    return markdown_cell(text)


def trajectory_markdown(
    rows: Rows, *, section: str, headers: Sequence[str], summary: SummaryRow, details: DetailRows, max_detail: int
) -> list[str]:
    """The summary table (with several trajectories), then a detail table for the first ``max_detail``."""
    lines: list[str] = []
    if len(rows) > 1:
        lines += ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(md_cell(c) for c in summary(e, as_block(b, section))) + " |" for e, b in rows]
        lines.append("")
    for entry, block in rows[:max_detail]:
        lines += [f"### {markdown_text(entry_label(entry), block_start=True)}", "", "| metric | value |", "|---|---|"]
        lines += [f"| {md_cell(label)} | {md_cell(text)} |" for label, text in details(as_block(block, section))]
        lines.append("")
    if len(rows) > max_detail:
        lines += [f"_{len(rows) - max_detail} more trajectories omitted from the detail (see the JSON report)._", ""]
    return lines


def trajectory_terminal(
    rows: Rows,
    *,
    section: str,
    title: str,
    headers: Sequence[str],
    keep: Sequence[int],
    left: Collection[int],
    summary: SummaryRow,
    details: DetailRows,
    max_detail: int,
    wrap_metric: bool = False,
) -> list[RenderableType]:
    """rich tables: the summary (columns ``keep``, those in ``left`` left-aligned), then the details."""
    from rich.table import Table

    out: list[RenderableType] = []
    if len(rows) > 1:
        table = Table(title=f"{title} — {len(rows)} trajectories", expand=False)
        for i in keep:
            table.add_column(headers[i], justify="left" if i in left else "right", overflow="fold")
        for entry, block in rows:
            cells = summary(entry, as_block(block, section))
            table.add_row(*(terminal_text(cells[i]) for i in keep))
        out.append(table)
    for entry, block in rows[:max_detail]:
        detail = Table(title=terminal_text(f"{title} — {entry_label(entry)}"), show_header=False, expand=False)
        if wrap_metric:
            detail.add_column("metric", style="bold", overflow="fold")
        else:
            detail.add_column("metric", style="bold", no_wrap=True)
        detail.add_column("value", overflow="fold")
        for label, text in details(as_block(block, section)):
            detail.add_row(terminal_text(label), terminal_text(text))
        out.append(detail)
    if len(rows) > max_detail:
        out.append(f"{len(rows) - max_detail} more trajectories omitted from the detail (use --json for all).")
    return out
