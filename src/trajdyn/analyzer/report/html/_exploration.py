"""The HTML part of the ``exploration`` section (``docs/metrics/exploration.md``), from the report's JSON blocks.

Across trajectories: the distribution of the repeat rate, the repeat rate per window and the coverage growth (one line
per trajectory when there are a few, else median and interquartile band), the most proposed knobs. Per trajectory
(detail): the cumulative best against the iteration with the keeps marked, the repeat rate per window, the coverage
growth, the top (knob, value) pairs and the key numbers. A trajectory without knobs (``basis`` ``"actions"``: tool
calls, free-text descriptions) is shown by its action diversity instead: distinct actions, their growth, the top
actions (long labels cut), the Chao1 estimate of distinct actions; no knob coverage.

Coverage growth is read off the windows: a window of n iterations with repeat rate r proposed n·(1 − r) pairs not
seen before (repeat status is relative to the whole earlier history), so the distinct pairs at the end of each window
are exact; their total is ``unique_pairs``. That needs n, which the window's iteration numbers give when the
trajectory's iterations are numbered 1 … N without a gap (the SDK's numbering); otherwise (an imported log with gaps)
coverage growth is not drawn, and the cumulative best is drawn by position without the keeps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._exploration import action_label, actions_only
from trajdyn.analyzer.report._format import fmt_num, fmt_pct, fmt_value
from trajdyn.analyzer.report._model import JSONValue, Report
from trajdyn.analyzer.report._tables import hidden_line, shown_rows
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import (
    binned,
    capped_table,
    finite,
    numbers,
    obj,
    objects,
    quartiles,
    short_label,
)
from trajdyn.analyzer.report.html._markup import Markup, el, join, table
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart, Interest

__all__ = ["coverage_points", "exploration_part", "numbered_from_one"]

NAME: Final = "exploration"
FEW: Final = 8
"""Up to this many trajectories, the summary charts draw one line each; above, a median and a band."""


def numbered_from_one(block: Mapping[str, Any]) -> bool:
    """Whether the trajectory's iterations are numbered 1 … N without a gap (read off its windows)."""
    windows = objects(block.get("windows_repeat_rate"))
    n = block.get("iterations")
    if not windows or not isinstance(n, int):
        return False
    sizes = []
    expected_first = 1
    for w in windows:
        first, last = w.get("first"), w.get("last")
        if not isinstance(first, int) or not isinstance(last, int) or first != expected_first or last < first:
            return False
        sizes.append(last - first + 1)
        expected_first = last + 1
    return sum(sizes) == n


def coverage_points(block: Mapping[str, Any]) -> list[tuple[int, int]] | None:
    """(iteration, distinct pairs so far) at 0 and at the end of every window; ``None`` unless the iterations are
    numbered 1 … N (:func:`numbered_from_one`)."""
    if not numbered_from_one(block):
        return None
    points = [(0, 0)]
    total = 0
    for w in objects(block.get("windows_repeat_rate")):
        rate = finite(w.get("rate"))
        if rate is None:
            return None
        n = int(w["last"]) - int(w["first"]) + 1
        total += n - round(rate * n)
        points.append((int(w["last"]), total))
    return points


class _Words:
    """What the proposals of the trajectories shown are called: knob pairs, actions (no trajectory has knobs) or both."""

    def __init__(self, blocks: Sequence[Mapping[str, Any]]) -> None:
        kinds = {actions_only(b) for b in blocks}
        self.actions = kinds == {True}
        mixed = kinds == {True, False}
        self.pairs = "actions" if self.actions else "pairs or actions" if mixed else "pairs"
        self.distinct = "distinct actions" if self.actions else f"distinct (knob, value) {self.pairs}"
        self.knobs = "actions" if self.actions else "knobs and actions" if mixed else "knobs"
        self.knob = "action" if self.actions else "knob or action" if mixed else "knob"
        self.growth = "Distinct actions" if self.actions else "Coverage growth"
        self.cut = kinds != {False}

    def label(self, name: str) -> str:
        """A knob's name as is; an action's (which may be a long free-text description) cut with an ellipsis."""
        return action_label(name) if self.cut else name


def _blocks(report: Report) -> list[tuple[dict[str, JSONValue], dict[str, Any]]]:
    return [(e, b) for e, b in report.section(NAME) if isinstance(b, dict)]


def _interest(block: Mapping[str, Any]) -> list[Interest]:
    out = []
    n = block.get("iterations") or 0
    rate = finite(block.get("repeat_rate"))
    if n >= 10 and rate is not None and rate >= 0.5:
        out.append(Interest("repeats", rate, f"repeat rate {fmt_num(rate, 2)} ({block.get('repeat_count')} of {n})"))
    since = block.get("since_improvement")
    if n >= 10 and block.get("best_iteration") is not None and isinstance(since, int) and since / n >= 0.5:
        out.append(Interest("plateau", since / n, f"no improvement in the last {since} of {n} iterations"))
    return out


def _summary_rows(blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[tuple[str, ...]]:
    return [
        (
            short_label(e),
            str(b.get("iterations")),
            str(b.get("unique_pairs")),
            fmt_num(b.get("repeat_rate"), 2),
            str(b.get("keep_count")),
            fmt_num(b.get("best_value"), 5),
            fmt_pct(b.get("improvement")),
            str(b.get("longest_plateau")),
        )
        for e, b in blocks
    ]


def _per_window(blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """Rows of the repeat-rate-per-window and coverage-growth summary charts."""
    rates: dict[int, list[float]] = defaultdict(list)
    coverage: dict[int, list[float]] = defaultdict(list)
    ends: dict[int, list[int]] = defaultdict(list)
    few_rates: list[dict[str, Any]] = []
    few_cov: list[dict[str, Any]] = []
    few = len(blocks) <= FEW
    for entry, block in blocks:
        windows = objects(block.get("windows_repeat_rate"))
        label = str(entry.get(K.TRAJECTORY_ID))
        for k, w in enumerate(windows):
            rate = finite(w.get("rate"))
            if rate is not None and isinstance(w.get("last"), int):
                rates[k].append(rate)
                ends[k].append(w["last"])
                if few:
                    few_rates.append({"x": w["last"], "y": rate, "series": label})
        points = coverage_points(block) or []
        for k, (_, n) in enumerate(points[1:]):
            coverage[k].append(n)
        if few:
            few_cov += [{"x": i, "y": n, "series": label} for i, n in points]

    def band_rows(values: dict[int, list[float]]) -> list[dict[str, Any]]:
        out = []
        for k in sorted(values):
            q = quartiles(values[k])
            x = quartiles(ends[k])
            if q is not None and x is not None:
                out.append({"x": x[1], "lo": q[0], "mid": q[1], "hi": q[2]})
        return out

    return {"rates": band_rows(rates), "coverage": band_rows(coverage), "few_rates": few_rates, "few_cov": few_cov}


def _trajectory_table(
    blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], ctx: HtmlContext, words: _Words
) -> Markup:
    return join(
        [
            el("h3", "Trajectories"),
            capped_table(
                ("trajectory", "iterations", words.pairs, "repeat rate", "keeps", "best", "improvement", "plateau"),
                _summary_rows(blocks),
                limit=ctx.options.table_rows,
                what="trajectories (report order)",
                numeric=range(1, 8),
            ),
        ]
    )


def _summary_body(
    blocks: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], ctx: HtmlContext, *, hidden: bool
) -> tuple[Markup, list[Headline], list[Finding]]:
    """Charts and tables over ``blocks`` (the trajectories with iterations); ``hidden``: some were left out, so every
    count says what it counts."""
    n = len(blocks)
    them = f"{n:,} trajectories" + (" with iterations" if hidden else "")
    words = _Words([b for _, b in blocks])
    rates = [b.get("repeat_rate") for _, b in blocks]
    q = quartiles(rates)
    headlines: list[Headline] = []
    findings: list[Finding] = []
    if q is not None:
        headlines.append(
            Headline(
                "Repeat rate (median)",
                fmt_num(q[1], 2),
                f"interquartile {fmt_num(q[0], 2)} – {fmt_num(q[2], 2)} over {them}",
                href="#s-exploration",
            )
        )
    stuck = sum(1 for _, b in blocks if b.get("keep_count") == 0 and (b.get("iterations") or 0) > 0)
    if 0 < stuck < n:  # when no trajectory kept anything, the loop probably records no decisions at all
        findings.append(Finding(f"{stuck:,} of {them} kept nothing (no keep decision).", href="#s-exploration"))
    figures = [
        ctx.figure(
            charts.histogram(
                binned(rates, bins=20, lo=0.0, hi=1.0),
                title="Repeat rate",
                x_title="repeat rate (repeated proposals / iterations)",
            ),
            f"Distribution over all {them}.",
        )
    ]
    rows = _per_window(blocks)
    few = n <= FEW
    panels = (
        (
            "few_rates" if few else "rates",
            "Repeat rate per window",
            "repeat rate",
            (0, 1),
            "One line per trajectory."
            if few
            else f"Median (line) and interquartile range (band) over the {them}, window by window.",
        ),
        (
            "few_cov" if few else "coverage",
            words.growth,
            words.distinct,
            None,
            f"Distinct {words.pairs} proposed by the end of each window"
            + (", one line per trajectory." if few else ": median and interquartile range."),
        ),
    )
    for key, title, y_title, domain, caption in panels:
        spec = charts.lines_or_band(
            rows[key], few=few, title=title, x_title="iteration (window end)", y_title=y_title, domain=domain
        )
        figures.append(ctx.figure(spec, caption))
    knobs: dict[str, list[int]] = {}
    for _, b in blocks:
        counts = b.get("knob_counts")
        if isinstance(counts, dict):
            for knob, count in counts.items():
                if isinstance(count, int):
                    slot = knobs.setdefault(knob, [0, 0])
                    slot[0] += count
                    slot[1] += 1
    top = sorted(knobs.items(), key=lambda kv: (-kv[1][0], kv[0]))[:15]
    if top:
        figures.append(
            ctx.figure(
                charts.category_bars(
                    [{"label": words.label(k), "n": v[0]} for k, v in top],
                    title=f"Most proposed {words.knobs}",
                    x_title="proposals",
                ),
                (f"The {len(top)} {words.knobs}" if len(top) > 1 else f"The {words.knob}")
                + f" proposed most often, over all {'trajectories with iterations' if hidden else 'trajectories'}"
                + ("." if words.actions else " (tool calls count under the tool)."),
            )
        )
    body = join(
        [
            el("div", *figures, class_="figures"),
            _trajectory_table(blocks, ctx, words),
            el("h3", f"Most proposed {words.knobs}"),
            capped_table(
                (words.knob, "proposals", "trajectories"),
                [
                    (words.label(k), f"{v[0]:,}", f"{v[1]:,}")
                    for k, v in sorted(knobs.items(), key=lambda kv: (-kv[1][0], kv[0]))
                ],
                limit=min(ctx.options.table_rows, 30),
                what=words.knobs,
                numeric=(1, 2),
            ),
        ]
    )
    return body, headlines, findings


def _best(b: Mapping[str, Any], *, actions: bool) -> str:
    if b.get("best_iteration") is None:
        return "–"
    pair = b.get("best_pair") or {}
    at = f"{fmt_num(b.get('best_value'), 6)} at iteration {b.get('best_iteration')}"
    if not actions:
        return f"{at} ({pair.get('knob')}={fmt_value(pair.get('value'))})"
    return f"{at} ({action_label(pair.get('knob'))})" if pair.get("knob") else at  # an unnamed action: nothing to add


def _key_numbers(b: Mapping[str, Any]) -> list[tuple[str, str]]:
    actions = actions_only(b)
    if actions:
        head = [
            ("iterations", str(b.get("iterations"))),
            (
                "distinct actions",
                f"{b.get('unique_pairs')} (Chao1 estimate of distinct actions {fmt_num(b.get('chao1'), 4)})",
            ),
        ]
    else:
        head = _knob_head(b)
    keeps = f"{b.get('keep_count')}" + (f" at {b.get('keep_iterations')}" if b.get("keep_count") else "")
    return [
        *head,
        ("repeats", f"{b.get('repeat_count')} ({fmt_num(b.get('repeat_rate'), 3)})"),
        ("keeps", keeps),
        ("best", _best(b, actions=actions)),
        ("baseline", fmt_num(b.get("baseline_value"), 6)),
        ("improvement", fmt_pct(b.get("improvement"))),
        ("novelty (Good–Turing)", fmt_num(b.get("novelty_good_turing"), 3)),
        ("noise floor", fmt_num(b.get("noise_floor"), 3)),
        ("keeps within noise", fmt_num(b.get("keeps_within_noise"))),
        ("longest plateau", str(b.get("longest_plateau"))),
        ("since improvement", str(b.get("since_improvement"))),
    ]


def _knob_head(b: Mapping[str, Any]) -> list[tuple[str, str]]:
    coverage = (
        f"{b.get('knobs_touched')} of {b.get('knobs_total')} knobs ({fmt_pct(b.get('knob_coverage'), 1)})"
        if b.get("knobs_total") is not None
        else f"{b.get('knobs_touched')} knobs (no menu)"
    )
    return [
        ("iterations", str(b.get("iterations"))),
        ("coverage", coverage),
        ("distinct pairs", f"{b.get('unique_pairs')} (Chao1 estimate of reachable pairs {fmt_num(b.get('chao1'), 4)})"),
    ]


def _detail(entry: Mapping[str, JSONValue], ctx: HtmlContext) -> Markup:
    block = obj(entry.get(NAME))
    if not block:
        return Markup("")
    windows = objects(block.get("windows_repeat_rate"))
    panels = []
    captions = []
    best = numbers(block.get("running_best"))
    numbered = numbered_from_one(block)
    words = _Words([block])
    if any(finite(v) is not None for v in best):
        if numbered:
            captions.append("Cumulative best: the running best after each iteration, triangles at kept iterations.")
        else:
            captions.append(
                "Cumulative best: the running best after each iteration, by position (the iteration numbers have "
                "gaps, so the keeps are listed below instead of marked)."
            )
        panels.append(
            charts.cumulative_best(
                [finite(v) for v in best],
                [k for k in numbers(block.get("keep_iterations")) if isinstance(k, int)] if numbered else [],
                title="Cumulative best (▲ keep)" if numbered else "Cumulative best",
                y_title="best metric so far",
            )
        )
    if windows:
        captions.append("Repeat rate: repeated proposals per window.")
        panels.append(charts.window_bars(windows, title="Repeat rate per window", y_title="repeat rate"))
        points = coverage_points(block)
        if points is not None:
            captions.append(
                f"{words.growth}: distinct {words.pairs} by the end of each window; the dashed diagonal is every "
                "proposal new."
            )
            panels.append(charts.coverage_growth(points, title=words.growth, y_title=words.distinct))
    parts: list[Markup] = []
    if panels:
        parts.append(ctx.figure(charts.hconcat(panels), " ".join(captions), wide=True))
    pairs = objects(block.get("top_pairs"))
    parts.append(
        el(
            "div",
            table(("metric", "value"), _key_numbers(block), class_="kv"),
            _top_table(pairs, actions=words.actions) if pairs else Markup(""),
            class_="side-by-side",
        )
    )
    return join(parts)


def _top_table(pairs: Sequence[Mapping[str, Any]], *, actions: bool) -> Markup:
    if actions:
        rows = [(action_label(p.get("knob")), str(p.get("n"))) for p in pairs]
        return table(("action", "proposals"), rows, numeric=(1,), caption="Top actions")
    return table(
        ("knob", "value", "proposals"),
        [(p.get("knob"), fmt_value(p.get("value")), str(p.get("n"))) for p in pairs],
        numeric=(2,),
        caption="Top (knob, value) pairs",
    )


def exploration_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The exploration section's part of the page (``None`` when no input held spans), over the trajectories with
    iterations; those without are named in one line (:func:`~.._tables.hidden_line`), their blocks are in the JSON."""
    blocks = _blocks(report)
    if not blocks:
        if report.inputs and all(i.get("spans") == 0 for i in report.inputs):
            return None
        return HtmlPart(NAME, "Exploration", el("p", "No trajectories."))
    kept, hidden = shown_rows(blocks, NAME, "iterations")
    blocks = [(e, obj(b)) for e, b in kept]
    note = el("p", hidden_line(hidden, "iterations"), class_="muted") if hidden else Markup("")
    if not blocks:
        return HtmlPart(NAME, "Exploration", note, detail=_detail, detail_for=())
    interest = {str(e.get(K.TRAJECTORY_ID)): _interest(b) for e, b in blocks}
    drawn = frozenset(interest)
    if len(blocks) == 1:
        entry, block = blocks[0]
        one = f" ({short_label(entry)}, the one trajectory with iterations)" if hidden else ""
        headlines = [
            Headline(
                "Repeat rate",
                fmt_num(block.get("repeat_rate"), 2),
                f"{block.get('repeat_count')} of {block.get('iterations')} iterations repeated "
                + ("an action" if actions_only(block) else "a pair")
                + one,
                href="#s-exploration",
            ),
            Headline(
                "Improvement over baseline",
                fmt_pct(block.get("improvement")),
                (
                    f"best {fmt_num(block.get('best_value'), 6)} at iteration {block.get('best_iteration')}"
                    if block.get("best_iteration") is not None
                    else "no metric"
                )
                + one,
                href="#s-exploration",
            ),
        ]
        body = join([_trajectory_table(blocks, ctx, _Words([block])), note]) if hidden else Markup("")
        return HtmlPart(NAME, "Exploration", body, headlines, (), interest, _detail, drawn)
    body, headlines, findings = _summary_body(blocks, ctx, hidden=bool(hidden))
    return HtmlPart(NAME, "Exploration", join([body, note]), headlines, findings, interest, _detail, drawn)
