"""Markdown rendering of a report: header, inputs, input errors, then every section in report order."""

from __future__ import annotations

from trajdyn.analyzer.report._model import Report

__all__ = ["render_markdown"]


def render_markdown(report: Report, *, max_detail: int = 20, max_errors: int = 20) -> str:
    """The report as a Markdown document; per-trajectory detail capped at ``max_detail``, errors at ``max_errors``."""
    lines = [
        "# trajdyn report",
        "",
        f"Schema `{report.schema}`, generated {report.generated_at}, {len(report.trajectories)} trajectories.",
        "",
        "## Inputs",
        "",
        "| path | spans | errors |",
        "|---|---|---|",
    ]
    lines += [f"| `{i['path']}` | {i['spans']} | {i['errors']} |" for i in report.inputs]
    lines.append("")
    if report.errors:
        lines += [f"## Input errors ({len(report.errors)})", ""]
        lines += [f"- `{e['path']}:{e['line']}`: {e['message']}" for e in report.errors[:max_errors]]
        if len(report.errors) > max_errors:
            lines.append(f"- … and {len(report.errors) - max_errors} more (see the JSON report)")
        lines.append("")
    for section in report.sections:
        lines += section.to_markdown(report, max_detail=max_detail)
    return "\n".join(lines).rstrip("\n") + "\n"
