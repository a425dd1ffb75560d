"""The HTML part of the ``trends`` section (``docs/metrics/trends.md``), from the report's JSON block.

One chart per group (regressions first, then improvements, then the rest; up to :data:`MAX_CHARTS`): the score series
in run order; the Theil–Sen trend through the median with the band its 95 % slope interval spans (scipy's
``theilslopes`` intercept: median(y) − slope · median(x)); each change point as a dashed rule between its two runs
with the medians of the segments on either side; the last run's change against the previous one as an error bar
(its 95 % bootstrap interval, placed at previous score + Δ). The verdict table lists every group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import Report
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import capped_table, finite, numbers, objects
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart, Tone

__all__ = ["MAX_CHARTS", "trend_layers", "trends_part"]

MAX_CHARTS: Final = 12
_ORDER: Final = {"regression": 0, "improvement": 1, "stable": 2, "insufficient-data": 3}
_TONE: Final[dict[str, Tone]] = {"regression": "bad", "improvement": "good"}


def _pp(value: object) -> str:
    v = finite(value)
    return "–" if v is None else f"{v * 100:+.1f} pp"


def _measured(value: object, *, signed: bool = False) -> str:
    """A raw measurement (or a difference, ``signed``) of a measured series, with 3 significant digits."""
    v = finite(value)
    return "–" if v is None else f"{v:+.3g}" if signed else fmt_num(v, 3)


def _effect(group: Mapping[str, Any]) -> str:
    """Δ [CI]: percentage points for a score, the measurement's unit for a measured series (asv …)."""
    delta, ci, tag = group.get("delta"), group.get("delta_ci"), ""
    unit = group.get("unit")
    lvp = group.get("last_vs_previous")
    if finite(delta) is None and isinstance(lvp, dict):
        delta, ci, tag = lvp.get("delta"), lvp.get("delta_ci"), " (last vs previous)"
    if finite(delta) is None:
        return "–"
    if unit is not None:
        band = f" [{_measured(ci[0])}, {_measured(ci[1])}]" if isinstance(ci, list) and len(ci) == 2 else ""
        return f"{_measured(delta, signed=True)}{band} {unit}{tag}"
    band = f" [{_pp(ci[0])}, {_pp(ci[1])}]" if isinstance(ci, list) and len(ci) == 2 else ""
    return f"{_pp(delta)}{band}{tag}"


def _label(group: Mapping[str, Any]) -> str:
    name = "–" if group.get("group") is None else str(group.get("group"))
    return name if group.get("source") == "spans" else f"{name} ({group.get('source')})"


def trend_layers(group: Mapping[str, Any]) -> dict[str, Any]:
    """The rows of one group's chart: ``points``, ``fan``, ``changes``, ``segments``, ``last_ci`` (see the module)."""
    series = [finite(v) for v in group.get("series") or []]
    runs = group.get("runs") or []
    n = len(series)
    points = [
        {"x": i, "y": v, "run": str(runs[i].get("run_id")) if i < len(runs) and isinstance(runs[i], dict) else str(i)}
        for i, v in enumerate(series)
        if v is not None
    ]
    fan: list[dict[str, Any]] = []
    slope, median = finite(group.get("sen_slope")), finite(group.get("median"))
    ci = group.get("sen_slope_ci")
    if n >= 3 and slope is not None and median is not None and isinstance(ci, list) and len(ci) == 2:
        lo_s, hi_s = finite(ci[0]), finite(ci[1])
        if lo_s is not None and hi_s is not None:
            centre = (n - 1) / 2
            for x in range(n):
                a, b = median + lo_s * (x - centre), median + hi_s * (x - centre)
                fan.append({"x": x, "mid": median + slope * (x - centre), "lo": min(a, b), "hi": max(a, b)})
    cps = [c for c in group.get("change_points") or [] if isinstance(c, dict) and isinstance(c.get("index"), int)]
    bounds = [0, *(c["index"] for c in cps), n]
    changes, segments = [], []
    for j, cp in enumerate(cps):
        changes.append({"x": cp["index"] - 0.5})
        before, after = finite(cp.get("before_median")), finite(cp.get("after_median"))
        if before is not None:
            segments.append({"a": bounds[j], "b": bounds[j + 1] - 1, "m": before})
        if after is not None:
            segments.append({"a": bounds[j + 1], "b": bounds[j + 2] - 1, "m": after})
    last_ci = None
    lvp = group.get("last_vs_previous")
    if isinstance(lvp, dict) and n >= 2 and series[-2] is not None:
        band = lvp.get("delta_ci")
        if isinstance(band, list) and len(band) == 2 and finite(band[0]) is not None and finite(band[1]) is not None:
            prev = series[-2]
            assert prev is not None
            last_ci = {"x": n - 1, "lo": prev + float(band[0]), "hi": prev + float(band[1])}
    return {"points": points, "fan": fan, "changes": changes, "segments": segments, "last_ci": last_ci}


def _runs_text(group: Mapping[str, Any]) -> str:
    """Which run each index of the chart is: ``Runs 0 = a, 1 = b, …`` (the first and last three of a long series)."""
    runs = [str(r.get("run_id")) for r in objects(group.get("runs"))]
    named = [f"{i} = {r}" for i, r in enumerate(runs)]
    if len(named) > 7:
        named = [*named[:3], "…", *named[-3:]]
    return f"Runs {', '.join(named)}." if named else ""


def _row(group: Mapping[str, Any]) -> tuple[str, ...]:
    series = [finite(v) for v in group.get("series") or []]
    last = series[-1] if series else None
    unit = group.get("unit")
    return (
        _label(group),
        str(group.get("n_runs")),
        "–" if last is None else f"{last * 100:.1f} %" if unit is None else f"{fmt_num(last, 3)} {unit}",
        _effect(group),
        fmt_num(group.get("p_value"), 2),
        str(group.get("verdict")),
        str(group.get("reason")),
    )


def trends_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The trends section's part of the page (``None`` without a trends block)."""
    block = report.blocks.get("trends")
    if not isinstance(block, list):
        return None
    groups = [g for g in block if isinstance(g, dict)]
    ordered = sorted(groups, key=lambda g: _ORDER.get(str(g.get("verdict")), 9))
    regressions = [g for g in groups if g.get("verdict") == "regression"]
    improvements = [g for g in groups if g.get("verdict") == "improvement"]
    headlines = [
        Headline(
            "Regressions",
            f"{len(regressions)} of {len(groups)}",
            f"groups by {groups[0].get('group_by')} with a regression verdict" if groups else "no groups",
            tone="bad" if regressions else "good" if groups else "neutral",
            href="#s-trends",
        )
    ]
    if improvements:
        headlines.append(
            Headline("Improvements", f"{len(improvements)} of {len(groups)}", "groups", tone="good", href="#s-trends")
        )
    findings = [
        Finding(
            f"{str(g.get('verdict')).capitalize()} in {_label(g)}: Δ {_effect(g)} ({g.get('reason')}).",
            tone=_TONE.get(str(g.get("verdict")), "neutral"),
            href="#s-trends",
        )
        for g in regressions + improvements
    ]
    figures: list[Markup] = []
    drawable = [g for g in ordered if len(numbers(g.get("series"))) >= 2]
    for group in drawable[:MAX_CHARTS]:
        layers = trend_layers(group)
        figures.append(
            ctx.figure(
                charts.trend(
                    layers["points"],
                    title=_label(group),
                    y_title="score" if group.get("unit") is None else str(group.get("unit")),
                    fan=layers["fan"],
                    changes=layers["changes"],
                    segments=layers["segments"],
                    last_ci=layers["last_ci"],
                ),
                el(
                    "span",
                    el("strong", str(group.get("verdict")), class_=_TONE.get(str(group.get("verdict")), "")),
                    f": {group.get('reason')}. Δ {_effect(group)}. {_runs_text(group)}",
                ),
            )
        )
    parts: list[Markup] = []
    if figures:
        note = (
            f" Charts for {len(figures)} of {len(drawable)} groups (regressions first); the table lists all."
            if len(drawable) > len(figures)
            else ""
        )
        parts.append(
            el(
                "p",
                "Blue: the score of each run in order. Orange: the Theil–Sen trend through the median and the band of its "
                "95 % slope interval. Red dashes: change points, with the median of the runs on either side. Black bar "
                "on the last run: its change against the previous run with the 95 % interval." + note,
                class_="muted",
            )
        )
        parts.append(el("div", *figures, class_="figures"))
    parts += [
        el("h3", "Verdicts"),
        capped_table(
            ("group", "runs", "last score", "Δ [95 % CI]", "p", "verdict", "reason"),
            [_row(g) for g in ordered],
            limit=ctx.options.table_rows,
            what="groups (regressions first)",
            numeric=(1, 2, 4),
        ),
    ]
    warnings = [(str(_label(g)), str(w)) for g in groups for w in numbers(g.get("warnings"))]
    if warnings:
        parts += [
            el("h3", "Warnings"),
            capped_table(("group", "warning"), warnings, limit=ctx.options.table_rows, what="warnings"),
        ]
    return HtmlPart("trends", "Trends", join(parts) if groups else el("p", "No runs."), headlines, findings)
