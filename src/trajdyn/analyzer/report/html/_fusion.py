"""The HTML part of the ``fusion`` section (``docs/metrics/fusion.md``), from the report's JSON block.

Benchmark mean against the mean reweighted to the target task mix, with its interval: one forest plot of every
proportion (binary metrics share the 0–1 scale), one per other metric over the groups (model / run / directory);
the uncovered target mass and the bounds that replace a point estimate when some of the mix has no benchmark task;
the headline sentences of the section as findings, and a table of every estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.analyzer.report._model import Report
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import capped_table, ci_text, finite, obj, objects, pair
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart

__all__ = ["fusion_part"]

MAX_FINDINGS: Final = 6
BOUNDED: Final = ("binary", "bounded")
MAX_METRIC_CHARTS: Final = 4
"""Non-proportion metrics drawn (one forest over the groups each); the table lists every metric."""


def group_label(group: Mapping[str, Any]) -> str:
    """A group's name: its model, run and directory where given, else its source."""
    parts = [f"{k} {group.get(k)}" for k in ("model", "run", "dir") if group.get(k) is not None]
    return ", ".join(parts) or str(group.get("source") or "all")


def _estimate(m: Mapping[str, Any]) -> str:
    lo, hi = pair(m.get("ci"))
    ci = ci_text(lo, hi)
    return f"{fmt_num(m.get('reweighted_mean'), 3)} ({ci})" if ci else fmt_num(m.get("reweighted_mean"), 3)


def _bounds(m: Mapping[str, Any]) -> str:
    lo, hi = (finite(v) for v in pair(m.get("bounds")))
    return "–" if lo is None or hi is None else f"{fmt_num(lo, 3)} – {fmt_num(hi, 3)}"


def _covered(m: Mapping[str, Any]) -> float | None:
    return finite(m.get("covered_mass"))


def _row(label: str, m: Mapping[str, Any]) -> dict[str, Any] | None:
    est, (lo, hi) = finite(m.get("reweighted_mean")), pair(m.get("ci"))
    if est is None:
        return None
    low, high = finite(lo), finite(hi)
    covered = _covered(m)
    return {
        "label": label,
        "est": est,
        "lo": low if low is not None else est,
        "hi": high if high is not None else est,
        "other": finite(m.get("benchmark_mean")),
        "tone": "bad" if covered is not None and covered < 1 else "none",
    }


def fusion_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The fusion section's part of the page (``None`` without a fusion block)."""
    block = report.blocks.get("fusion")
    if not isinstance(block, dict):
        return None
    groups = objects(block.get("groups"))
    pairs = [(group_label(g), m) for g in groups for m in objects(g.get("metrics"))]
    level = fmt_pct(block.get("confidence"), 0)
    profile = obj(block.get("profile"))
    headlines: list[Headline] = []
    findings: list[Finding] = []
    primary: dict[
        str, Mapping[str, Any]
    ] = {}  # each group's headline estimate: its first proportion or bounded metric, else its first metric
    for label, m in pairs:
        if label not in primary or (primary[label].get("kind") not in BOUNDED and m.get("kind") in BOUNDED):
            primary[label] = m
    if primary:
        label, first = next(iter(primary.items()))
        headlines.append(
            Headline(
                f"Reweighted {first.get('metric')}",
                fmt_num(first.get("reweighted_mean"), 3),
                f"{ci_text(*pair(first.get('ci')), level=level) or 'no interval'}; benchmark "
                f"{fmt_num(first.get('benchmark_mean'), 3)} ({label})",
                href="#s-fusion",
            )
        )
    uncovered = [(label, m) for label, m in pairs if (_covered(m) or 1.0) < 1.0]
    if uncovered:
        headlines.append(
            Headline(
                "Target mass without benchmark tasks",
                f"{len(uncovered)} of {len(pairs)}",
                "estimates where part of the target mix has no benchmark task (bounds in the table where the metric "
                "is bounded)",
                tone="bad",
                href="#s-fusion",
            )
        )
    for head in primary.values():  # the section's own headline sentence
        if head.get("headline"):
            covered = _covered(head)
            findings.append(
                Finding(
                    str(head.get("headline")),
                    tone="bad" if covered is not None and covered < 1 else "neutral",
                    href="#s-fusion",
                )
            )
    warnings = block.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        findings.append(Finding(f"Fusion: {warning}", tone="bad", href="#s-fusion"))
    if len(findings) > MAX_FINDINGS:
        findings = [*findings[:MAX_FINDINGS], Finding(f"… {len(findings) - MAX_FINDINGS} more in the fusion section.")]
    figures: list[Markup] = []
    caption = (
        f"Point: the mean reweighted to the target mix ({profile.get('name') or 'the profile'}), bar its {level} "
        "interval; grey tick: the benchmark mean; red: part of the target mass has no benchmark task (see the bounds "
        "in the table)."
    )
    proportions = [
        r
        for label, m in pairs
        if m.get("kind") == "binary"
        for r in [_row(f"{m.get('metric')} · {label}" if len(groups) > 1 else str(m.get("metric")), m)]
        if r is not None
    ]
    if proportions:
        shown = proportions[: ctx.options.forest_rows]
        figures.append(
            ctx.figure(
                charts.forest(
                    shown,
                    title="Proportions: benchmark and reweighted",
                    x_title="share",
                    reference=None,
                    extra_ticks=True,
                    domain=(0, 1),
                ),
                f"{len(shown)} of {len(proportions)} proportions. {caption}",
            )
        )
    metrics: list[str] = []
    for _, m in pairs:
        name = str(m.get("metric"))
        if m.get("kind") != "binary" and name not in metrics:
            metrics.append(name)
    for name in metrics[:MAX_METRIC_CHARTS]:
        rows = [r for label, m in pairs if str(m.get("metric")) == name for r in [_row(label, m)] if r is not None]
        if rows:
            figures.append(
                ctx.figure(
                    charts.forest(
                        rows[: ctx.options.forest_rows], title=name, x_title=name, reference=None, extra_ticks=True
                    ),
                    caption,
                )
            )
    table_rows = [
        (
            label,
            str(m.get("metric")),
            fmt_num(m.get("n")),
            fmt_num(m.get("benchmark_mean"), 3),
            _estimate(m),
            fmt_num(m.get("ess"), 3),
            fmt_pct(m.get("covered_mass"), 0),
            _bounds(m),
        )
        for label, m in pairs
    ]
    body = join(
        [
            el(
                "p",
                f"Target mix: {profile.get('name') or '–'} ({profile.get('source') or 'no file'}); strata: "
                f"{block.get('strata_basis') or '–'}.",
                class_="muted",
            ),
            *figures,
            el("h3", "Estimates"),
            capped_table(
                ("group", "metric", "tasks", "benchmark", f"reweighted ({level} CI)", "ESS", "covered", "bounds"),
                table_rows,
                limit=ctx.options.table_rows,
                what="estimates",
                numeric=(2, 3, 5, 6),
            ),
        ]
    )
    return HtmlPart("fusion", "Fusion (reweighted to a target mix)", body, headlines, findings)
