"""Terminal rendering of a report with rich: width-aware tables and sparklines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajdyn.analyzer.report._escape import terminal_markup, terminal_text
from trajdyn.analyzer.report._model import Report
from trajdyn.exceptions import MissingExtraError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["render_terminal"]


def render_terminal(
    report: Report, console: Console | None = None, *, max_detail: int = 20, max_errors: int = 10
) -> None:
    """Print the report to ``console`` (default: stdout): inputs, the first input errors, every section.

    Every string from the data is shown inert (:mod:`._escape`): control characters as escapes, never parsed
    as rich markup, long strings clipped for display.
    """
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError("rich", "analyze") from exc
    con = console or Console()
    spans = sum(int(i["spans"] or 0) for i in report.inputs if isinstance(i["spans"], int))
    con.print(
        f"[bold]trajdyn report[/bold] — {len(report.inputs)} input(s), {spans} spans, "
        f"{len(report.trajectories)} trajectories, {len(report.errors)} input error(s)"
    )
    for note in report.notes:
        con.print(f"[dim]note:[/dim] {terminal_markup(note)}")
    if report.errors:
        table = Table(
            expand=True, title=f"Input errors (first {min(max_errors, len(report.errors))} of {len(report.errors)})"
        )
        table.add_column("where", overflow="fold", ratio=2)
        table.add_column("problem", overflow="fold", ratio=3)
        for e in report.errors[:max_errors]:
            table.add_row(terminal_text(f"{e['path']}:{e['line']}"), terminal_text(e["message"]))
        con.print(table)
    for section in report.sections:
        for renderable in section.to_terminal(report, max_detail=max_detail, width=con.width):
            con.print(renderable)
