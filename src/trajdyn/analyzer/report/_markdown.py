"""Markdown rendering of a report: header, inputs, input errors, then every section in report order."""

from __future__ import annotations

from trajdyn.analyzer.report._escape import markdown_code, markdown_text
from trajdyn.analyzer.report._model import Report

__all__ = ["render_markdown"]


def render_markdown(report: Report, *, max_detail: int = 20, max_errors: int = 20) -> str:
    """The report as a Markdown document; per-trajectory detail capped at ``max_detail``, errors at ``max_errors``.

    Every string from the data is escaped (:mod:`._escape`): no HTML, Markdown or control character passes.
    """
    lines = [
        "# trajdyn report",
        "",
        f"Schema {markdown_code(report.schema)}, generated {markdown_text(report.generated_at)}, "
        f"{len(report.trajectories)} trajectories.",
        "",
        "## Inputs",
        "",
        "| path | spans | errors |",
        "|---|---|---|",
    ]
    lines += [f"| {markdown_code(i['path'], table=True)} | {i['spans']} | {i['errors']} |" for i in report.inputs]
    lines.append("")
    if report.errors:
        lines += [f"## Input errors ({len(report.errors)})", ""]
        for e in report.errors[:max_errors]:
            where = markdown_code(f"{e['path']}:{e['line']}")
            lines.append(f"- {where}: {markdown_text(e['message'])}")
        if len(report.errors) > max_errors:
            lines.append(f"- … and {len(report.errors) - max_errors} more (see the JSON report)")
        lines.append("")
    if report.notes:
        lines += ["## Notes", ""]
        lines += [f"- {markdown_text(note)}" for note in report.notes]
        lines.append("")
    for section in report.sections:
        lines += section.to_markdown(report, max_detail=max_detail)
    return "\n".join(lines).rstrip("\n") + "\n"
