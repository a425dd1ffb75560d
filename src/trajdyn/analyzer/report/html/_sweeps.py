"""The HTML part of the ``sweeps`` section (``docs/metrics/sweeps.md``), from the report's JSON block.

Per swept constant, the score against its values (a sensitivity curve) with the cliffs marked red, the constants
with cliffs first, then the sensitive ones; cliffs and proposals as findings; the table of every constant (the
columns of the Markdown report but the sparkline, which the curves replace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import Report
from trajdyn.analyzer.report._sweeps import HEADERS, VALIDATION_HEADERS, constant_row, validation_row
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import capped_table, finite, objects
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart

__all__ = ["sweeps_part"]

MAX_CURVES: Final = 12
"""Constants drawn per sweep (cliffs first, then sensitive, then by spread); the table lists every one."""
MAX_FINDINGS: Final = 6
CURVE: Final = HEADERS.index("curve")


def curve_points(c: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{x, y, cliff}`` per swept value with a finite mean; ``cliff``: a cliff falls into this value."""
    into = {str(x.get("to")) for x in objects(c.get("cliffs"))}
    values, means = c.get("values") or [], c.get("means") or []
    return [
        {"x": str(v), "y": finite(m), "cliff": str(v) in into}
        for v, m in zip(values, means, strict=False)
        if finite(m) is not None
    ]


def _order(c: Mapping[str, Any]) -> tuple[int, int, float, str]:
    spread = finite(c.get("spread")) or 0.0
    return (0 if c.get("cliffs") else 1, 0 if c.get("sensitivity") == "sensitive" else 1, -spread, str(c.get("name")))


def sweeps_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The sweeps section's part of the page (``None`` without a sweeps block)."""
    block = report.blocks.get("sweeps")
    if not isinstance(block, dict):
        return None
    constants = objects(block.get("constants"))
    sensitive = [c for c in constants if c.get("sensitivity") == "sensitive"]
    with_cliffs = [c for c in constants if c.get("cliffs")]
    headlines = [
        Headline(
            "Sensitive constants",
            f"{len(sensitive)} of {len(constants)}",
            "the score moves beyond its noise across the swept values",
            href="#s-sweeps",
        ),
        Headline(
            "Cliffs",
            f"{sum(len(objects(c.get('cliffs'))) for c in constants)}",
            f"harmful drops between neighbouring values, in {len(with_cliffs)} constant(s)",
            tone="bad" if with_cliffs else "neutral",
            href="#s-sweeps",
        ),
    ]
    findings: list[Finding] = []
    for c in with_cliffs:
        for x in objects(c.get("cliffs")):
            findings.append(
                Finding(
                    f"{c.get('name')}: cliff {x.get('from')} → {x.get('to')}, the score drops by "
                    f"{fmt_num(x.get('delta'), 3)}.",
                    tone="bad",
                    href="#s-sweeps",
                )
            )
    findings += [  # a proposal without a known default compares with nothing: it stays in the table
        Finding(str(c.get("proposal")), href="#s-sweeps")
        for c in sensitive
        if c.get("proposal") and c.get("decision") != "no-default"
    ]
    if len(findings) > MAX_FINDINGS:
        findings = [*findings[:MAX_FINDINGS], Finding(f"… {len(findings) - MAX_FINDINGS} more in the sweeps section.")]
    sources: dict[str, list[dict[str, Any]]] = {}
    for c in constants:
        sources.setdefault(str(c.get("source")), []).append(c)
    pieces: list[Markup] = [
        el(
            "p",
            f"Objective {block.get('objective')}; cliffs and sensitivity at family-wise α {fmt_num(block.get('alpha'))}, "
            f"cliff drop ≥ {fmt_num(block.get('cliff_min_drop'))}. A rise is never a cliff; proposals are text only.",
            class_="muted",
        )
    ]
    for source, items in sources.items():
        if len(sources) > 1:
            pieces.append(el("h3", source))
        drawn = [c for c in sorted(items, key=_order) if len(curve_points(c)) >= 2][:MAX_CURVES]
        for c in drawn:
            pieces.append(
                ctx.figure(
                    charts.value_curve(curve_points(c), title=str(c.get("name")), y_title="mean score"),
                    f"{c.get('name')}: {c.get('sensitivity')}; best {c.get('best_value')}; decision "
                    f"{c.get('decision')}.",
                )
            )
        if len(drawn) < len(items):
            pieces.append(
                el("p", f"{len(drawn)} of {len(items)} constants drawn; all are in the table.", class_="muted")
            )
        rows = [[cell for i, cell in enumerate(constant_row(c)) if i != CURVE] for c in items]
        pieces.append(
            capped_table(
                tuple(h for i, h in enumerate(HEADERS) if i != CURVE),
                rows,
                limit=ctx.options.table_rows,
                what="constants",
            )
        )
        validated = [list(r) for r in (validation_row(c) for c in items) if r is not None]
        if validated:
            pieces.append(el("p", "Validation of the best train value against the default:", class_="muted"))
            pieces.append(capped_table(VALIDATION_HEADERS, validated, limit=ctx.options.table_rows, what="constants"))
    return HtmlPart("sweeps", "Sweeps", join(pieces), headlines, findings)
