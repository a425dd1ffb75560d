"""The HTML parts of the ``dynamics`` and ``sensitivity`` sections (``docs/metrics/dynamics.md``), read from the
report's JSON blocks only (never from the metrics' internals), every key optional.

dynamics — across trajectories: regimes, action entropy by regime, entropy over windows (a line per trajectory when
there are a few, else median and band); per trajectory: entropy over windows and semantic drift against the turn with
a detected loop's turns shaded, the regime and its reason, the repeated (state, action) n-grams.

sensitivity — λ per task (replicate divergence rate, with the interquartile range over replicate pairs) against the
mean over tasks with its 95 % CI, regimes and loops against reward (failure rate with its 95 % CI against the rest),
pass^k.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.analyzer.report._model import JSONValue, Report
from trajdyn.analyzer.report._tables import hidden_line, shown_rows
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import (
    binned,
    capped_table,
    ci_text,
    finite,
    numbers,
    obj,
    objects,
    pair,
    quartiles,
    short_label,
)
from trajdyn.analyzer.report.html._markup import Markup, el, join, table
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart, Interest

__all__ = ["dynamics_part", "loop_segment", "sensitivity_part"]

FEW: Final = 8
REGIMES: Final = ("degenerate", "trapped", "looping", "convergent", "diffusive", "non_repeating", "unknown")
"""The regimes in display order: the metric's (``metrics.dynamics.REGIMES``, which imports polars; a test checks the
two agree)."""


def _deg(value: object) -> str:
    """Radians (the JSON's unit) as degrees: whole degrees from 10° up, one decimal below."""
    v = finite(value)
    if v is None:
        return "–"
    deg = math.degrees(v)
    return f"{deg:.0f}°" if abs(deg) >= 10 else f"{deg:.1f}°"


def _no_spans(report: Report) -> bool:
    """No input held spans (benchmark result files only): the per-trajectory views have nothing to show."""
    return bool(report.inputs) and all(i.get("spans") == 0 for i in report.inputs)


def loop_segment(block: Mapping[str, Any]) -> tuple[int, int] | None:
    """The turns (0-based, first and last) of a detected suffix loop: from its onset to the last turn."""
    loop = block.get("loop")
    turns = block.get("turns")
    if not isinstance(loop, dict) or not loop.get("detected") or not isinstance(turns, int):
        return None
    onset = loop.get("onset_turn")
    return (onset, turns - 1) if isinstance(onset, int) else None


def _loop_text(loop: object) -> str:
    if not isinstance(loop, dict) or loop.get("period") is None:
        return "none"
    state = "loop" if loop.get("detected") else "not significant"
    return (
        f"{state}: period {loop.get('period')} from turn {loop.get('onset_turn')}, {loop.get('repeats')} repeats "
        f"(p = {fmt_num(loop.get('p_value'), 2)})"
    )


def _interest(block: Mapping[str, Any]) -> list[Interest]:
    out = []
    loop = block.get("loop")
    turns = block.get("turns") or 0
    segment = loop_segment(block)
    if segment is not None and isinstance(loop, dict) and turns:
        share = (segment[1] - segment[0] + 1) / turns
        out.append(Interest("loop", 1.0 + share, f"loop over {share:.0%} of its turns ({_loop_text(loop)})"))
    if block.get("regime") == "trapped":
        out.append(Interest("trapped", 1.0, f"trapped: {block.get('regime_reason')}"))
    return out


def _blocks(report: Report) -> list[tuple[dict[str, JSONValue], dict[str, Any]]]:
    return [(e, b) for e, b in report.section("dynamics") if isinstance(b, dict)]


def _trajectory_table(blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], ctx: HtmlContext) -> Markup:
    table_rows = [
        (
            short_label(e),
            str(b.get("turns")),
            str(b.get("regime")),
            fmt_num(b.get("action_entropy"), 2),
            fmt_num(b.get("lz_z"), 2),
            _loop_text(b.get("loop")) if loop_segment(b) else "–",
            fmt_num(b.get("laminarity"), 2),
            _deg(obj(b.get("drift")).get("final")),
        )
        for e, b in blocks
    ]
    return join(
        [
            el("h3", "Trajectories"),
            capped_table(
                ("trajectory", "turns", "regime", "entropy", "LZ z", "loop", "laminarity", "final drift"),
                table_rows,
                limit=ctx.options.table_rows,
                what="trajectories (report order)",
                numeric=(1, 3, 4, 6, 7),
            ),
        ]
    )


def _summary(
    blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], ctx: HtmlContext, *, hidden: bool
) -> tuple[Markup, list[Headline], list[Finding]]:
    """Charts and tables over ``blocks`` (the trajectories with turns); ``hidden``: some were left out, so every count
    says what it counts."""
    n = len(blocks)
    with_turns = " with turns" if hidden else ""
    regimes = Counter(str(b.get("regime")) for _, b in blocks)
    order = [r for r in REGIMES if r in regimes] + sorted(r for r in regimes if r not in REGIMES)
    loops = [(e, b) for e, b in blocks if loop_segment(b) is not None]
    headlines = [
        Headline(
            "Loops detected",
            f"{len(loops):,} of {n:,}",
            f"trajectories{with_turns} ending in a significant suffix loop (p ≤ 0.01)",
            tone="bad" if loops else "neutral",
            href="#s-dynamics",
        )
    ]
    findings: list[Finding] = []
    if loops:
        # the same order as the detail selection: the largest share of turns in the loop, then the smallest id
        worst = min(loops, key=lambda eb: (-_interest(eb[1])[0].score, str(eb[0].get(K.TRAJECTORY_ID))))
        findings.append(
            Finding(
                f"Loops in {len(loops):,} of {n:,} trajectories{with_turns}; the longest: {short_label(worst[0])}, "
                f"{_loop_text(worst[1].get('loop'))}.",
                tone="bad",
                href="#s-dynamics",
                trajectory=str(worst[0].get(K.TRAJECTORY_ID)),
            )
        )
    if regimes.get("trapped"):
        findings.append(
            Finding(
                f"{regimes['trapped']:,} of {n:,} trajectories{with_turns} are trapped.", tone="bad", href="#s-dynamics"
            )
        )
    figures = [
        ctx.figure(
            charts.category_bars(
                [{"label": r, "n": regimes[r]} for r in order], title="Regimes", x_title="trajectories"
            ),
            f"How many trajectories{with_turns} fell in each regime (rules in docs/metrics/dynamics.md).",
        )
    ]
    by_regime: dict[str, list[object]] = defaultdict(list)
    for _, b in blocks:
        by_regime[str(b.get("regime"))].append(b.get("action_entropy"))
    stacked = [
        {**row, "group": regime}
        for regime in order
        for row in binned(by_regime[regime], bins=20, lo=0.0, hi=1.0)
        if row["n"] > 0
    ]
    if stacked:
        figures.append(
            ctx.figure(
                charts.histogram(stacked, title="Action entropy by regime", x_title="normalised action entropy"),
                f"Distribution over all trajectories{with_turns}, coloured by regime.",
            )
        )
    few = n <= FEW
    if few:
        rows = [
            {"x": i + (b.get("entropy_window") or 1) - 1, "y": v, "series": str(e.get(K.TRAJECTORY_ID))}
            for e, b in blocks
            for i, v in enumerate(b.get("windowed_entropy") or [])
        ]
    else:
        per: dict[int, list[float]] = defaultdict(list)
        for _, b in blocks:
            w = b.get("entropy_window") or 1
            for i, v in enumerate(b.get("windowed_entropy") or []):
                value = finite(v)
                if value is not None:
                    per[i + w - 1].append(value)
        rows = []
        for x in sorted(per):
            q = quartiles(per[x])
            if q is not None:
                rows.append({"x": x, "lo": q[0], "mid": q[1], "hi": q[2]})
    if rows:
        spec = charts.lines_or_band(
            rows, few=few, title="Entropy over windows", x_title="turn (window end)", y_title="entropy", domain=(0, 1)
        )
        caption = (
            "Normalised action entropy of each window of turns, one line per trajectory."
            if few
            else f"Median and interquartile range over the {n:,} trajectories{with_turns}."
        )
        figures.append(ctx.figure(spec, caption))
    body = join([el("div", *figures, class_="figures"), _trajectory_table(blocks, ctx)])
    return body, headlines, findings


def _detail(entry: Mapping[str, JSONValue], ctx: HtmlContext) -> Markup:
    block = obj(entry.get("dynamics"))
    if not block:
        return Markup("")
    segment = loop_segment(block)
    shade = (segment[0] - 0.5, segment[1] + 0.5) if segment else None
    window = block.get("entropy_window") or 1
    panels = []
    entropy = [
        {"x": i + window - 1, "y": v, "series": f"entropy (window {window})"}
        for i, v in enumerate(numbers(block.get("windowed_entropy")))
    ]
    if entropy:
        panels.append(
            charts.series_with_segment(
                entropy,
                title="Entropy over windows",
                x_title="turn (window end)",
                y_title="normalised entropy",
                segment=shade,
                domain=(0, 1),
                legend=False,
            )
        )
    drift = obj(block.get("drift"))
    if drift:
        rows = [
            {"x": t, "y": _as_deg(v), "series": "from the first turn"}
            for t, v in enumerate(numbers(drift.get("anchor")))
        ]
        rows += [{"x": t + 1, "y": _as_deg(v), "series": "step"} for t, v in enumerate(numbers(drift.get("step")))]
        if rows:
            panels.append(
                charts.series_with_segment(
                    rows,
                    title=f"Semantic drift ({drift.get('basis')})",
                    x_title="turn",
                    y_title="angle (degrees)",
                    segment=shade,
                    domain=(0, 180),
                )
            )
    parts: list[Markup] = [el("p", el("strong", f"Regime {block.get('regime')}"), f": {block.get('regime_reason')}.")]
    if panels:
        caption = "Shaded: the turns of the detected loop. " if segment else ""
        parts.append(
            ctx.figure(
                charts.hconcat(panels),
                caption
                + "Drift: the angle of each turn's embedding from the first turn's, and from the previous turn's.",
                wide=True,
            )
        )
    repeats = objects(block.get("state_action_repeats"))
    key_numbers = [
        ("turns", f"{block.get('turns')} ({block.get('distinct_actions')} distinct actions)"),
        ("action entropy", fmt_num(block.get("action_entropy"), 3)),
        (
            "LZ76 complexity",
            f"{fmt_num(block.get('lz_complexity'), 3)} (z = {fmt_num(block.get('lz_z'), 3)}, "
            f"p = {fmt_num(block.get('lz_p'), 2)})",
        ),
        ("loop", _loop_text(block.get("loop"))),
        ("laminarity", f"{fmt_num(block.get('laminarity'), 3)} (p = {fmt_num(block.get('laminarity_p'), 2)})"),
    ]
    if drift:
        key_numbers.append(
            (
                "drift final / max / mean",
                f"{_deg(drift.get('final'))} / {_deg(drift.get('max'))} / {_deg(drift.get('mean'))}",
            )
        )
    gram_rows = []
    for r in repeats:
        top = r.get("top") if isinstance(r.get("top"), dict) else None
        gram_rows.append(
            (
                str(r.get("n")),
                f"{r.get('repeated')} of {r.get('of')}",
                " → ".join(str(a) for a in top.get("actions") or []) if top else "–",
                str(top.get("count")) if top else "–",
            )
        )
    parts.append(
        el(
            "div",
            table(("metric", "value"), key_numbers, class_="kv"),
            table(
                ("n", "repeated", "most frequent", "times"),
                gram_rows,
                numeric=(0, 3),
                caption="Repeated (state, action) n-grams",
            )
            if gram_rows
            else Markup(""),
            class_="side-by-side",
        )
    )
    return join(parts)


def _group_label(group: Mapping[str, Any]) -> str:
    model = group.get("model")
    return str(group.get("group")) + (f" ({model})" if model else "")


def _range(bounds: tuple[object, object], *, pct: bool = False) -> str:
    lo, hi = finite(bounds[0]), finite(bounds[1])
    if lo is None or hi is None:
        return "–"
    return f"{fmt_pct(lo, 0)} – {fmt_pct(hi, 0)}" if pct else f"{fmt_num(lo, 3)} – {fmt_num(hi, 3)}"


def _as_deg(value: object) -> float | None:
    v = finite(value)
    return None if v is None else math.degrees(v)


def dynamics_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The dynamics section's part of the page, over the trajectories with turns; those without are named in one line
    (:func:`~.._tables.hidden_line`), their blocks are in the JSON."""
    blocks = _blocks(report)
    if not blocks:
        if _no_spans(report):
            return None
        return HtmlPart("dynamics", "Dynamics", el("p", "No trajectories."))
    kept, hidden = shown_rows(blocks, "dynamics", "turns")
    blocks = [(e, obj(b)) for e, b in kept]
    note = el("p", hidden_line(hidden, "turns"), class_="muted") if hidden else Markup("")
    if not blocks:
        return HtmlPart("dynamics", "Dynamics", note, detail=_detail, detail_for=())
    interest = {str(e.get(K.TRAJECTORY_ID)): _interest(b) for e, b in blocks}
    drawn = frozenset(interest)
    if len(blocks) == 1:
        entry, block = blocks[0]
        one = f" ({short_label(entry)}, the one trajectory with turns)" if hidden else ""
        headlines = [
            Headline(
                "Regime",
                str(block.get("regime")),
                f"{block.get('regime_reason')}{one}",
                tone="bad" if block.get("regime") in ("trapped", "looping") else "neutral",
                href="#s-dynamics",
            )
        ]
        findings: list[Finding] = []  # one trajectory: its loop and a stuck regime are the findings
        if loop_segment(block) is not None:
            findings.append(Finding(f"{_loop_text(block.get('loop')).capitalize()}.", tone="bad", href="#s-dynamics"))
        if block.get("regime") in ("trapped", "looping"):
            findings.append(
                Finding(f"Regime {block.get('regime')}: {block.get('regime_reason')}.", tone="bad", href="#s-dynamics")
            )
        body = join([_trajectory_table(blocks, ctx), note]) if hidden else Markup("")
        return HtmlPart("dynamics", "Dynamics", body, headlines, findings, interest, _detail, drawn)
    body, headlines, findings = _summary(blocks, ctx, hidden=bool(hidden))
    return HtmlPart("dynamics", "Dynamics", join([body, note]), headlines, findings, interest, _detail, drawn)


# ----------------------------------------------------------------------------------------------------------------------
# sensitivity
# ----------------------------------------------------------------------------------------------------------------------
def _ci_card(value: object) -> tuple[str, str]:
    if not isinstance(value, dict) or finite(value.get("mean")) is None:
        n = value.get("n") if isinstance(value, dict) else 0
        return "–", f"too little data (n = {n})"
    note = ci_text(*pair(value.get("ci"))) or "no interval"
    return fmt_num(value.get("mean"), 3), f"{note} (n = {value.get('n')} tasks)"


SIGNIFICANT: Final = 0.05
"""Fisher p at or below which a category's failure rate is flagged against the rest (the Markdown's findings list
every category with enough runs; the overview only these)."""


def _tone(category: Mapping[str, Any]) -> str:
    """``bad`` / ``good`` when the category fails significantly more / less often than the rest, else ``none``."""
    p, rate, rest = (finite(category.get(k)) for k in ("fisher_p", "failure_rate", "rest_failure_rate"))
    if p is None or rate is None or rest is None or p > SIGNIFICANT or rate == rest:
        return "none"
    return "bad" if rate > rest else "good"


def _category_text(c: Mapping[str, Any]) -> str:
    ci = _range(pair(c.get("failure_ci")), pct=True)
    return (
        f"{c.get('category')}: {c.get('failures')} of {c.get('with_reward')} failed ({fmt_pct(c.get('failure_rate'), 0)}, "
        f"95 % CI {ci}) vs {fmt_pct(c.get('rest_failure_rate'), 0)} of the rest (Fisher p = {fmt_num(c.get('fisher_p'), 2)})."
    )


def _outcome_rows(outcomes: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for key in ("by_regime", "by_loop", "by_repeats") for c in objects(outcomes.get(key))]


def sensitivity_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The sensitivity section's part of the page (``None`` without a sensitivity block)."""
    block = report.blocks.get("sensitivity")
    if not isinstance(block, dict) or _no_spans(report):
        return None
    summary = obj(block.get("summary"))
    outcomes = obj(block.get("outcomes"))
    groups = objects(block.get("groups"))
    lam_value, lam_note = _ci_card(summary.get("replicate_lambda"))
    dl_value, dl_note = _ci_card(summary.get("delta_lambda"))
    headlines = []
    if lam_value != "–":
        headlines.append(Headline("λ replicate (mean over tasks)", lam_value, lam_note, href="#s-sensitivity"))
    if dl_value != "–":
        headlines.append(Headline("Δλ reworded − replicate", dl_value, dl_note, href="#s-sensitivity"))
    pass_k = objects(summary.get("pass_k"))
    if pass_k:
        headlines.append(
            Headline(
                "pass^k",
                " / ".join(fmt_num(p.get("value"), 2) for p in pass_k[:4]),
                "k = " + ", ".join(str(p.get("k")) for p in pass_k[:4]) + f" over {pass_k[0].get('cells')} tasks",
                href="#s-sensitivity",
            )
        )
    findings = [
        Finding(_category_text(c), tone="bad" if _tone(c) == "bad" else "good", href="#s-sensitivity")
        for c in _outcome_rows(outcomes)
        if _tone(c) != "none"
    ]
    figures: list[Markup] = []
    lam_rows: list[dict[str, Any]] = []
    for g in groups:
        rep = obj(g.get("replicates"))
        lam = finite(rep.get("lambda"))
        if lam is None:
            continue
        lo, hi = pair(rep.get("lambda_iqr"))
        lam_rows.append({"label": _group_label(g), "est": lam, "lo": lo, "hi": hi, "tone": "none"})
    lam_rows.sort(key=lambda r: (-r["est"], r["label"]))
    overall = obj(summary.get("replicate_lambda"))
    ci_lo, ci_hi = (finite(v) for v in pair(overall.get("ci")))
    if lam_rows:
        shown = lam_rows[: ctx.options.forest_rows]
        figures.append(
            ctx.figure(
                charts.forest(
                    shown,
                    title="λ per task (replicate divergence rate)",
                    x_title="λ (per turn)",
                    reference=finite(overall.get("mean")),
                    reference_band=(ci_lo, ci_hi) if ci_lo is not None and ci_hi is not None else None,
                ),
                f"{len(shown)} of {len(lam_rows)} tasks with λ, largest first: point λ, bar the interquartile range over "
                "replicate pairs; dashed rule and shaded band: the mean over tasks and its 95 % CI.",
            )
        )
    cats = _outcome_rows(outcomes)
    drawable = [c for c in cats if finite(c.get("failure_rate")) is not None]
    if drawable:
        rows = []
        for c in drawable:
            ci_c = pair(c.get("failure_ci"))
            rate, rest = finite(c.get("failure_rate")), finite(c.get("rest_failure_rate"))
            rows.append(
                {
                    "label": str(c.get("category")),
                    "est": rate,
                    "lo": ci_c[0],
                    "hi": ci_c[1],
                    "other": rest,
                    "tone": _tone(c),
                }
            )
        figures.append(
            ctx.figure(
                charts.forest(
                    rows,
                    title="Regimes and loops against reward",
                    x_title="failure rate",
                    reference=finite(outcomes.get("failure_rate")),
                    extra_ticks=True,
                    domain=(0, 1),
                ),
                "Failure rate of each category with its 95 % CI; grey tick: the failure rate of the other trajectories; "
                "dashed: overall. Red / green: Fisher p ≤ 0.05.",
            )
        )
    if pass_k:
        figures.append(
            ctx.figure(
                charts.multi_line(
                    [{"x": p.get("k"), "y": p.get("value"), "series": "pass^k"} for p in pass_k],
                    title="pass^k",
                    x_title="k",
                    y_title="pass^k",
                    domain=(0, 1),
                    legend=False,
                    integer_x=True,
                ),
                "Probability that k runs of a task all succeed (mean over tasks with at least k runs).",
            )
        )
    outcome_rows = [
        (
            str(c.get("category")),
            str(c.get("with_reward")),
            str(c.get("failures", "–")),
            fmt_pct(c.get("failure_rate"), 0),
            _range(pair(c.get("failure_ci")), pct=True),
            fmt_pct(c.get("rest_failure_rate"), 0),
            fmt_num(c.get("fisher_p"), 2),
        )
        for c in cats
    ]
    task_rows = []
    for g in groups:
        rep = obj(g.get("replicates"))
        per = obj(g.get("perturbation"))
        task_rows.append(
            (
                _group_label(g),
                str(g.get("trajectories")),
                fmt_num(rep.get("lambda"), 3),
                _deg(rep.get("mean_angle")),
                _deg(g.get("noise_floor")),
                fmt_num(per.get("delta_lambda"), 3) if per else "–",
                ", ".join(f"{k} {v}" for k, v in (g.get("regimes") or {}).items()),
            )
        )
    body_parts: list[Markup] = [el("div", *figures, class_="figures")] if figures else []
    listed = [str(f) for f in numbers(outcomes.get("findings"))]
    if listed:
        body_parts.append(el("ul", *(el("li", f) for f in listed)))
    elif outcomes.get("reason"):
        body_parts.append(el("p", f"Regimes against reward: {outcomes.get('reason')}.", class_="muted"))
    if outcome_rows:
        body_parts += [
            el("h3", "Regimes and loops against reward"),
            table(
                ("category", "runs", "failed", "failure rate", "95 % CI", "rest", "Fisher p"),
                outcome_rows,
                numeric=(1, 2, 3, 5, 6),
            ),
        ]
    if task_rows:
        body_parts += [
            el("h3", "Tasks"),
            capped_table(
                ("task", "runs", "λ replicate", "replicate angle", "noise floor", "Δλ", "regimes"),
                task_rows,
                limit=ctx.options.table_rows,
                what="tasks",
                numeric=(1, 2, 3, 4, 5),
            ),
        ]
    if not body_parts:
        body_parts.append(el("p", "No tasks."))
    return HtmlPart("sensitivity", "Sensitivity and regimes", join(body_parts), headlines, findings)
