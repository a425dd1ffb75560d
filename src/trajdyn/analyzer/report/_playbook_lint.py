"""The playbook linter's renderings: the ``trajdyn.playbook-lint/1`` JSON text, Markdown and the terminal.

Takes a :class:`~trajdyn.analyzer.metrics.playbook.LintResult` or its JSON document (as kept in a report's
``playbook.lint``); every data string passes through the escaping module (docs/report.md#escaping).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trajdyn.analyzer.report._escape import markdown_cell, markdown_code, markdown_text, terminal_markup, terminal_text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from trajdyn.analyzer.metrics.playbook import LintResult

__all__ = ["lint_to_json", "render_lint_markdown", "render_lint_terminal"]


def lint_to_json(result: LintResult | Mapping[str, Any]) -> str:
    """The ``trajdyn.playbook-lint/1`` document as JSON text."""
    doc = dict(result) if isinstance(result, Mapping) else result.to_dict()
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def _doc(result: LintResult | Mapping[str, Any]) -> Mapping[str, Any]:
    return result if isinstance(result, Mapping) else result.to_dict()


def _score_text(entry: Mapping[str, Any]) -> str:
    from trajdyn.analyzer.metrics.playbook import SCORES

    scores = entry["scores"]
    return " ".join(f"{name[:4]} {scores[name]:.2f}" for name in SCORES)


def _summary_text(doc: Mapping[str, Any]) -> str:
    s = doc["summary"]
    avg = s["average_weighted_score"]
    fails = ", ".join(f"{g} {n}" for g, n in s["gate_failures"].items())
    return (
        f"{s['total']} entries, {s['passed']} passed, {s['failed']} failed (gate failures: {fails}); "
        f"average weighted score {'–' if avg is None else f'{avg:.3f}'}; {s['problems']} malformed"
    )


def render_lint_markdown(result: LintResult | Mapping[str, Any]) -> list[str]:
    """Markdown lines: a heading, the summary, a table of every entry, then the malformed entries.

    Entry ids, reasons, paths and messages are escaped.
    """
    doc = _doc(result)
    lines = [f"## Playbook lint — {markdown_code(doc['path'])}", "", markdown_text(_summary_text(doc)), ""]
    if doc["entries"]:
        lines += ["| line | entry | passed | weighted | scores | reasons |", "|---|---|---|---|---|---|"]
        for e in doc["entries"]:
            reasons = markdown_cell("; ".join(e["reasons"]) or "–")
            lines.append(
                f"| {e['line']} | {markdown_code(e['entry_id'], table=True)} | {'yes' if e['passed'] else '**no**'} | "
                f"{e['weighted_score']:.3f} | {markdown_cell(_score_text(e))} | {reasons} |"
            )
        lines.append("")
    for p in doc["problems"]:
        where = markdown_code(f"{p['path']}:{p['line']}")
        lines.append(f"- {where}: {markdown_text(p['message'])}")
    if doc["problems"]:
        lines.append("")
    return lines


def render_lint_terminal(result: LintResult | Mapping[str, Any], *, width: int = 120) -> list[RenderableType]:
    """rich renderables: the summary line and a table of the entries (failures first); data shown inert."""
    from rich.table import Table
    from rich.text import Text

    doc = _doc(result)
    out: list[RenderableType] = [
        f"[bold]Playbook lint[/bold] — {terminal_markup(doc['path'])}: {terminal_markup(_summary_text(doc))}"
    ]
    if doc["entries"]:
        table = Table(expand=width >= 100)
        table.add_column("line", justify="right")
        table.add_column("entry", overflow="fold")
        table.add_column("passed")
        table.add_column("weighted", justify="right")
        if width >= 100:
            table.add_column("scores", overflow="fold")
        table.add_column("reasons", overflow="fold", ratio=2 if width >= 100 else None)
        for e in sorted(doc["entries"], key=lambda e: (e["passed"], e["line"])):
            cells: list[Text] = [
                terminal_text(e["line"]),
                terminal_text(e["entry_id"]),
                Text("yes") if e["passed"] else Text("no", style="red"),
                terminal_text(f"{e['weighted_score']:.3f}"),
            ]
            if width >= 100:
                cells.append(terminal_text(_score_text(e)))
            cells.append(terminal_text("; ".join(e["reasons"]) or "–"))
            table.add_row(*cells)
        out.append(table)
    return out
