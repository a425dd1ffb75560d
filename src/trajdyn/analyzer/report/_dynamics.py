"""The ``dynamics`` report section (per trajectory) and the ``sensitivity`` block (per task, and regimes vs reward).

Both render one :func:`~trajdyn.analyzer.metrics.dynamics.analyze_dynamics` result per report: the first of the two
sections to compute asks the report context's memo for it, the other gets the same one (the analysis, embeddings
included, runs once per report). Here, and only here, the frames become the report's JSON: series are rounded to
:data:`SERIES_DECIMALS`, lists of counts become objects, and the findings about regimes and reward are written.

Options (both sections): :class:`~trajdyn.analyzer.metrics.dynamics.DynamicsOptions` (``window``, ``shuffles``,
``seed`` …) and :class:`~trajdyn.analyzer.embeddings.EmbeddingOptions` (the turn embeddings), set by the
``trajdyn-analyze`` flags ``--dynamics-window``, ``--shuffles``, ``--embeddings``, ``--embeddings-device``.
Angles are radians in the JSON and degrees in the Markdown and terminal renderings (docs/report.md). Definitions:
``docs/metrics/dynamics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._escape import markdown_text, terminal_text
from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.analyzer.report._json import to_json_value
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.analyzer.report._tables import (
    entry_label,
    hidden_line,
    md_cell,
    shown_rows,
    trajectory_markdown,
    trajectory_terminal,
)

if TYPE_CHECKING:
    import polars as pl
    from rich.console import RenderableType

    from trajdyn.analyzer.metrics.dynamics import DynamicsResult, RegimeOutcomes

__all__ = [
    "DynamicsBlocks",
    "DynamicsSection",
    "SensitivitySection",
    "dynamics_blocks",
    "outcomes_json",
]

SERIES_DECIMALS: Final = 6
"""Series (anchor, step, windowed entropy, replicate band) are rounded to this many decimals in the report: far
below the angle resolution (1e-3 rad), and it keeps the JSON of a large report small. Scalars keep full precision."""
MIN_FINDING: Final = 3
"""A category with fewer runs than this is listed as "too few to say", not stated as a finding."""


def _analysis(ctx: ReportContext) -> DynamicsResult:
    from trajdyn.analyzer.embeddings import EmbeddingOptions
    from trajdyn.analyzer.metrics.dynamics import DynamicsOptions, analyze_dynamics

    embedder = ctx.options.get(EmbeddingOptions).embedder()
    return analyze_dynamics(ctx.steps, ctx.trajectories, embedder=embedder, options=ctx.options.get(DynamicsOptions))


# ---------------------------------------------------------------------------------------------------------------------
# frames → JSON
# ---------------------------------------------------------------------------------------------------------------------


def _rounded(series: pl.Series) -> list[list[float]]:
    """A ``List(Float64)`` series (null rows as empty) as Python lists rounded to :data:`SERIES_DECIMALS`."""
    import numpy as np

    filled = series.fill_null([])
    ends = np.cumsum(filled.list.len().to_numpy()).tolist()
    values = np.round(filled.explode(empty_as_null=False).to_numpy(), SERIES_DECIMALS).tolist()
    return [values[a:b] for a, b in zip([0, *ends][:-1], ends, strict=True)]


def trajectory_blocks(frame: pl.DataFrame) -> dict[str, dict[str, JSONValue]]:
    """``{trajectory_id: dynamics object}`` of the per-trajectory frame: its columns in order, series rounded."""
    from trajdyn.analyzer.metrics.dynamics import DYNAMICS_KEYS

    drift = frame["drift"]
    parts = drift.struct.unnest()
    drift_keys = parts.columns
    drift_rows = zip(
        *(_rounded(parts[key]) if key in ("anchor", "step") else parts[key].to_list() for key in drift_keys),
        strict=True,
    )
    drifts = [
        dict(zip(drift_keys, values, strict=True)) if present else None
        for present, values in zip(drift.is_not_null().to_list(), drift_rows, strict=True)
    ]
    columns = [
        drifts if key == "drift" else _rounded(frame[key]) if key == "windowed_entropy" else frame[key].to_list()
        for key in DYNAMICS_KEYS
    ]
    rows = zip(*columns, strict=True)
    return {
        key: dict(zip(DYNAMICS_KEYS, values, strict=True))
        for key, values in zip(frame[K.TRAJECTORY_ID].to_list(), rows, strict=True)
    }


def _categories(categories: pl.DataFrame, by: str, binary: bool) -> list[dict[str, Any]]:
    keep = ["category", "trajectories", "with_reward", "mean_reward", "mean_turns", "rest_mean_turns"]
    if binary:
        keep += ["failures", "failure_rate", "failure_ci", "rest_failure_rate", "fisher_p"]
    return [{k: row[k] for k in keep} for row in categories.iter_rows(named=True) if row["by"] == by]


def outcomes_json(outcomes: RegimeOutcomes) -> dict[str, Any]:
    """The ``outcomes`` object of the sensitivity block: the categories by regime, loop and repeats, and the
    findings in words."""
    out: dict[str, Any] = {"reward": outcomes.reward, "trajectories": outcomes.trajectories}
    if outcomes.reward is None:
        out.update(by_regime=[], by_loop=[], by_repeats=[], findings=[], reason="no rewards or outcomes recorded")
        return out
    binary = outcomes.reward == "binary"
    out["failure_rate"] = outcomes.failure_rate
    for key, by in (("by_regime", "regime"), ("by_loop", "loop"), ("by_repeats", "repeats")):
        out[key] = _categories(outcomes.categories, by, binary)
    out["findings"] = _findings(out, binary)
    return out


def _length_note(c: Mapping[str, Any]) -> str:
    """How long the category's runs are against the rest's: a failure difference may be length, not the regime."""
    mine, rest = c.get("mean_turns"), c.get("rest_mean_turns")
    if mine is None or rest is None:
        return ""
    return f"; its runs average {mine:.0f} turns vs {rest:.0f}" + (
        " (longer runs fail more often whatever their regime: compare at equal length)" if mine > rest else ""
    )


def _findings(summary: Mapping[str, Any], binary: bool) -> list[str]:
    """The categories of at least :data:`MIN_FINDING` runs that fail more often than the rest, highest failure rate
    first, each with its runs' mean turn count against the rest's (:func:`_length_note`), then the smaller ones that did as "too few runs to say"; with continuous rewards, the mean reward of every
    category, lowest first."""
    items = [c for key in ("by_regime", "by_loop", "by_repeats") for c in summary[key]]
    lines: list[str] = []
    if binary:
        overall = summary.get("failure_rate")
        ranked = sorted(
            (c for c in items if c.get("failure_rate") is not None and c["with_reward"] > 0),
            key=lambda c: (-c["failure_rate"], c["category"]),
        )
        small: list[str] = []
        for c in ranked:
            rest = c.get("rest_failure_rate")
            if rest is None or c["failure_rate"] <= rest:
                continue
            if c["with_reward"] < MIN_FINDING:
                small.append(f"{c['category']} ({c['failures']} of {c['with_reward']} failed)")
                continue
            ci = c["failure_ci"]
            p = c.get("fisher_p")
            lines.append(
                f"{c['category']}: {c['failures']} of {c['with_reward']} failed ({c['failure_rate']:.0%}, "
                f"95 % CI {ci[0]:.0%}–{ci[1]:.0%}) vs {rest:.0%} of the rest"
                + (f" (Fisher p = {p:.2g})" if p is not None else "")
                + _length_note(c)
            )
        if not lines and overall is not None:
            lines.append(f"no regime or loop category fails more often than the rest (overall {overall:.0%} failed)")
        if small:
            lines.append(f"too few runs to say (< {MIN_FINDING}): " + ", ".join(small))
    else:
        ranked = sorted(
            (c for c in items if c.get("mean_reward") is not None), key=lambda c: (c["mean_reward"], c["category"])
        )
        lines = [f"{c['category']}: mean reward {c['mean_reward']:.3g} over {c['with_reward']}" for c in ranked]
    return lines


def _group_json(row: dict[str, Any], band: list[float]) -> dict[str, Any]:
    replicates = row["replicates"]
    if replicates["reason"] is not None:
        replicates = {"pairs": replicates["pairs"], "reason": replicates["reason"]}
    else:
        replicates = {k: v for k, v in replicates.items() if k != "reason"} | {"band": band}
    return {
        **row,
        "variants": {v["variant"]: v["runs"] for v in row["variants"]},
        "replicates": replicates,
        "regimes": {r["regime"]: r["trajectories"] for r in row["regimes"]},
    }


def group_blocks(tasks: pl.DataFrame) -> list[dict[str, Any]]:
    """The ``groups`` of the sensitivity block: one object per row of the per-task frame, band rounded."""
    bands = _rounded(tasks["replicates"].struct.field("band"))
    return [_group_json(row, band) for row, band in zip(tasks.iter_rows(named=True), bands, strict=True)]


@dataclass(frozen=True, slots=True)
class DynamicsBlocks:
    """The report's JSON of one dynamics analysis: every trajectory's ``dynamics`` object and the parts of the
    ``sensitivity`` block."""

    per_trajectory: dict[str, dict[str, JSONValue]]
    groups: list[dict[str, Any]]
    summary: dict[str, Any]
    outcomes: dict[str, Any]
    embeddings: dict[str, Any]
    options: dict[str, Any]

    def sensitivity_block(self) -> dict[str, Any]:
        """The report's ``sensitivity`` block (without ``compare``, which needs the previous report)."""
        return {
            "embeddings": self.embeddings,
            "options": self.options,
            "summary": self.summary,
            "outcomes": self.outcomes,
            "groups": self.groups,
        }


def dynamics_blocks(result: DynamicsResult) -> DynamicsBlocks:
    """The JSON of a :class:`~trajdyn.analyzer.metrics.dynamics.DynamicsResult` (module docstring)."""
    s, e, o = result.summary, result.embeddings, result.options
    cache = e.cache
    return DynamicsBlocks(
        per_trajectory=trajectory_blocks(result.trajectories),
        groups=group_blocks(result.tasks),
        summary={
            "groups": s.groups,
            "with_replicates": s.with_replicates,
            "with_perturbation": s.with_perturbation,
            "replicate_lambda": dict(s.replicate_lambda),
            "delta_lambda": dict(s.delta_lambda),
            "pass_k": [{"k": p.k, "value": p.value, "cells": p.cells} for p in s.pass_k],
            "regimes": dict(s.regimes),
        },
        outcomes=outcomes_json(result.outcomes),
        embeddings={
            "backend": e.backend,
            "model": e.model,
            "dim": e.dim,
            "cache": (
                {"enabled": cache.enabled, "hits": cache.hits, "misses": cache.misses, "path": cache.path}
                if cache is not None
                else None
            ),
        },
        options={
            "window": o.window,
            "shuffles": o.shuffles,
            "seed": o.seed,
            "alpha": o.alpha,
            "resolution": o.resolution,
        },
    )


def _blocks(ctx: ReportContext) -> DynamicsBlocks:
    """The dynamics analysis of ``ctx`` as JSON, computed once for both sections of one report (kept on the
    context's memo)."""
    return ctx.memo(_blocks, lambda: dynamics_blocks(_analysis(ctx)))


def _options_types() -> tuple[type[Any], ...]:
    from trajdyn.analyzer.embeddings import EmbeddingOptions
    from trajdyn.analyzer.metrics.dynamics import DynamicsOptions

    return (DynamicsOptions, EmbeddingOptions)


def _deg(value: object, digits: int = 3) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    return f"{math.degrees(value):.{digits}g}°"


def _loop_text(loop: Mapping[str, Any] | None) -> str:
    if not loop or loop.get("period") is None:
        return "none"
    state = "loop" if loop.get("detected") else "not significant"
    return (
        f"{state}: period {loop['period']} from turn {loop['onset_turn']}, {loop['repeats']} repeats "
        f"(p = {fmt_num(loop['p_value'], 2)})"
    )


def _repeats_text(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items or []:
        text = f"n={item['n']}: {item['repeated']}/{item['of']}"
        top = item.get("top")
        if top:
            text += f" (top {' → '.join(top['actions'])} ×{top['count']} from turn {top['first_turn']})"
        parts.append(text)
    return "; ".join(parts) or "–"


def _repetition_short(rep: Mapping[str, Any] | None) -> str:
    if not rep:
        return "–"
    return fmt_num(rep["score"], 2) + (" flag" if rep["flagged"] else "")


def _repetition_text(rep: Mapping[str, Any] | None, turns: int) -> str:
    if not rep:
        return "–"
    listed = ", ".join(str(t) for t in rep["repeat_turns"])
    more = " …" if rep["near_repeats"] > len(rep["repeat_turns"]) else ""
    return (
        f"{fmt_num(rep['score'], 3)} ({'flagged' if rep['flagged'] else 'not flagged'} at ≥ "
        f"{fmt_num(rep['threshold'], 3)}): {rep['near_repeats']} of {turns} turns near-repeat an earlier call "
        f"[{rep['basis']}]; loop share {fmt_num(rep['loop_share'], 2)}, trapped share "
        f"{fmt_num(rep['trapped_share'], 2)}" + (f"; repeat turns {listed}{more}" if listed else "")
    )


def _details(block: dict[str, Any]) -> list[tuple[str, str]]:
    drift = block.get("drift") or {}
    windowed = block.get("windowed_entropy") or []
    rows = [
        ("regime", f"{block['regime']}: {block['regime_reason']}"),
        ("turns", f"{block['turns']} ({block['distinct_actions']} distinct actions)"),
        (
            "action entropy",
            f"{fmt_num(block['action_entropy'], 3)} (Miller–Madow, normalised; plug-in "
            f"{fmt_num(block['action_entropy_plugin'], 3)})",
        ),
        (
            f"entropy / window of {block['entropy_window']}",
            (sparkline(windowed, lo=0.0, hi=1.0, width=60) if windowed else "– (fewer turns than the window)"),
        ),
        (
            "LZ76 complexity",
            f"{fmt_num(block['lz_complexity'], 3)} (z = {fmt_num(block['lz_z'], 3)}, p = {fmt_num(block['lz_p'], 2)} "
            f"vs {block['shuffles']} shuffles)",
        ),
        ("loop", _loop_text(block.get("loop"))),
        (
            "laminarity",
            f"{fmt_num(block['laminarity'], 3)} (z = {fmt_num(block['laminarity_z'], 3)}, "
            f"p = {fmt_num(block['laminarity_p'], 2)})",
        ),
        (f"repeated (state, action) n-grams [{block['state_basis']}]", _repeats_text(block["state_action_repeats"])),
        ("repetition score", _repetition_text(block.get("repetition"), block["turns"])),
    ]
    if drift:
        rows += [
            ("drift basis", f"{drift['basis']}{' (mean-centred)' if drift.get('centred') else ''}"),
            ("anchor drift", sparkline(drift["anchor"], lo=0.0, width=60)),
            ("step size", sparkline(drift["step"], lo=0.0, width=60) if drift["step"] else "–"),
            (
                "drift final / max / mean",
                f"{_deg(drift['final'])} / {_deg(drift['max'])} / {_deg(drift['mean'])}",
            ),
            ("tortuosity", fmt_num(drift["tortuosity"], 3)),
            (
                "trend z (anchor, step)",
                f"{fmt_num(drift['anchor_trend_z'], 3)}, {fmt_num(drift['step_trend_z'], 3)}",
            ),
        ]
    rows.append(("ClawBench constraint index", fmt_num(block["clawbench_constraint_index"], 3)))
    return rows


_SUMMARY = (
    "trajectory",
    "turns",
    "regime",
    "entropy",
    "LZ z",
    "loop",
    "repetition",
    "LAM",
    "drift",
    "tortuosity",
    "entropy/window",
)


def _summary_row(entry: Mapping[str, JSONValue], block: dict[str, Any]) -> tuple[str, ...]:
    loop = block.get("loop") or {}
    drift = block.get("drift") or {}
    return (
        entry_label(entry),
        str(block["turns"]),
        str(block["regime"]),
        fmt_num(block["action_entropy"], 2),
        fmt_num(block["lz_z"], 2),
        f"p{loop['period']}@{loop['onset_turn']}" if loop.get("detected") else "–",
        _repetition_short(block.get("repetition")),
        fmt_num(block["laminarity"], 2),
        _deg(drift.get("final"), 2),
        fmt_num(drift.get("tortuosity"), 2),
        sparkline(block.get("windowed_entropy") or [], lo=0.0, hi=1.0, width=20),
    )


def _has_tasks(block: Mapping[str, Any]) -> bool:
    """Whether the sensitivity block has any task to show (an empty summary is said in one line, not as tables)."""
    return bool((block.get("summary") or {}).get("groups"))


class DynamicsSection(ReportSection):
    """Per-trajectory temporal dynamics (``docs/metrics/dynamics.md``)."""

    name: ClassVar[str] = "dynamics"

    def options_types(self) -> tuple[type[Any], ...]:
        return _options_types()

    def compute(self, ctx: ReportContext) -> SectionResult:
        # plain Python values already (the builder turns them into JSON values, NaN → null)
        return SectionResult(per_trajectory=_blocks(ctx).per_trajectory)

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        rows = report.section(self.name)
        if not rows:
            return ["## Dynamics", "", "No trajectories.", ""]
        shown, hidden = shown_rows(rows, self.name, "turns")
        return [
            "## Dynamics",
            "",
            *trajectory_markdown(
                shown,
                section=self.name,
                headers=_SUMMARY,
                summary=_summary_row,
                details=_details,
                max_detail=max_detail,
            ),
            *([markdown_text(hidden_line(hidden, "turns"), block_start=True), ""] if hidden else []),
        ]

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        rows = report.section(self.name)
        if not rows:
            return ["[bold]Dynamics[/bold]: no trajectories."]
        shown, hidden = shown_rows(rows, self.name, "turns")
        note: list[RenderableType] = [terminal_text(f"Dynamics: {hidden_line(hidden, 'turns')}")] if hidden else []
        return [
            *trajectory_terminal(
                shown,
                section=self.name,
                title="Dynamics",
                headers=_SUMMARY,
                keep=[0, 1, 2, 3, 5, 6, 8] if width < 100 else range(len(_SUMMARY)),
                left=(0, 2, 5, 10),
                summary=_summary_row,
                details=_details,
                max_detail=max_detail,
                wrap_metric=True,
            ),
            *note,
        ]


def _ci(value: Mapping[str, Any] | None, digits: int = 3) -> str:
    if not value or value.get("mean") is None:
        return "–"
    text = fmt_num(value["mean"], digits)
    if value.get("ci"):
        lo, hi = value["ci"]
        text += f" [{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"
    text += f" (n = {value['n']}{', too little data' if value.get('too_little_data') else ''})"
    return text


def _pass_k(values: list[dict[str, Any]]) -> str:
    return ", ".join(f"pass^{v['k']} = {fmt_num(v['value'], 3)}" for v in values) or "–"


def _group_row(group: Mapping[str, Any]) -> tuple[str, ...]:
    rep = group.get("replicates") or {}
    per = group.get("perturbation") or {}
    outcomes = group.get("outcomes") or []
    passes = "; ".join(
        f"{o['variant']}: {o['successes']}/{o['runs']}" + (f", pass^{o['runs']} = {fmt_num(o['pass_k'][-1], 2)}")
        for o in outcomes
    )
    claw = group.get("clawbench") or {}
    label = str(group["group"]) + (f" ({group['model']})" if group.get("model") else "")
    return (
        label,
        str(group["trajectories"]),
        ", ".join(f"{k}×{v}" for k, v in (group.get("variants") or {}).items()),
        passes or "–",
        _deg(rep.get("mean_angle")),
        fmt_num(rep.get("lambda"), 3),
        _deg(group.get("noise_floor")),
        _deg(group.get("saturation_angle")),
        fmt_num(per.get("delta_lambda"), 3) if per else "–",
        fmt_num(per.get("divergence_time"), 3) if per else "–",
        fmt_num(per.get("excess_area"), 3) if per else "–",
        " ".join(str(k) + "×" + str(v) for k, v in (group.get("regimes") or {}).items()),
        fmt_num(claw.get("C_q"), 3),
    )


_GROUP_HEADERS = (
    "task",
    "runs",
    "variants",
    "outcomes",
    "replicate angle",
    "λ replicate",
    "noise floor",
    "saturation",
    "Δλ",
    "divergence time",
    "excess area",
    "regimes",
    "C(q)",
)

_OUTCOME_HEADERS = ("category", "runs", "failed", "failure rate", "95 % CI", "rest", "Fisher p", "mean reward")


def _outcome_row(c: Mapping[str, Any]) -> tuple[str, ...]:
    ci = c.get("failure_ci")
    return (
        str(c["category"]),
        str(c["with_reward"]),
        str(c.get("failures", "–")),
        fmt_pct(c.get("failure_rate"), 0),
        f"{fmt_pct(ci[0], 0)}–{fmt_pct(ci[1], 0)}" if ci else "–",
        fmt_pct(c.get("rest_failure_rate"), 0),
        fmt_num(c.get("fisher_p"), 2),
        fmt_num(c.get("mean_reward"), 3),
    )


def _compare(block: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Deltas of the summary numbers against the previous report's ``sensitivity`` block."""
    if previous is None:
        return None
    old = previous.get(SensitivitySection.name)
    if not isinstance(old, dict) or not isinstance(old.get("summary"), dict):
        return {"previous": False}
    new_summary, old_summary = block["summary"], old["summary"]

    def delta(a: object, b: object) -> float | None:
        ok = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
        return float(a) - float(b) if ok else None  # type: ignore[arg-type]

    old_pass = {p.get("k"): p.get("value") for p in old_summary.get("pass_k") or [] if isinstance(p, dict)}
    regimes = set(new_summary.get("regimes") or {}) | set(old_summary.get("regimes") or {})
    return {
        "previous": True,
        "pass_k": [{"k": p["k"], "delta": delta(p["value"], old_pass.get(p["k"]))} for p in new_summary["pass_k"]],
        "delta_lambda": delta(
            (new_summary.get("delta_lambda") or {}).get("mean"), (old_summary.get("delta_lambda") or {}).get("mean")
        ),
        "replicate_lambda": delta(
            (new_summary.get("replicate_lambda") or {}).get("mean"),
            (old_summary.get("replicate_lambda") or {}).get("mean"),
        ),
        "regimes": {
            r: int((new_summary.get("regimes") or {}).get(r, 0)) - int((old_summary.get("regimes") or {}).get(r, 0))
            for r in sorted(regimes)
        },
    }


class SensitivitySection(ReportSection):
    """Per-task replicate / perturbation divergence, pass^k, ClawBench C(q), and regimes against reward."""

    name: ClassVar[str] = "sensitivity"
    scope = "report"

    def options_types(self) -> tuple[type[Any], ...]:
        return _options_types()

    def compute(self, ctx: ReportContext) -> SectionResult:
        block = _blocks(ctx).sensitivity_block()
        block["compare"] = _compare(block, ctx.previous)
        return SectionResult(block=to_json_value(block))

    def _block(self, report: Report) -> dict[str, Any] | None:
        block = report.blocks.get(self.name)
        return block if isinstance(block, dict) else None

    def _summary_lines(self, block: Mapping[str, Any]) -> list[tuple[str, str]]:
        emb = block.get("embeddings") or {}
        summary = block.get("summary") or {}
        cache = emb.get("cache")
        cache_text = f", cache {cache['hits']} hits / {cache['misses']} misses" if cache else ""
        rows = [
            ("embeddings", f"{emb.get('backend')} ({emb.get('model')}, {emb.get('dim')} dims{cache_text})"),
            (
                "tasks",
                f"{summary.get('groups', 0)} ({summary.get('with_replicates', 0)} with replicates, "
                f"{summary.get('with_perturbation', 0)} with reworded prompts)",
            ),
            ("λ replicate (mean over tasks, 95 % CI)", _ci(summary.get("replicate_lambda"))),
            ("Δλ perturbed − replicate (95 % CI)", _ci(summary.get("delta_lambda"))),
            ("pass^k", _pass_k(summary.get("pass_k") or [])),
            ("regimes", ", ".join(f"{k} {v}" for k, v in (summary.get("regimes") or {}).items()) or "–"),
        ]
        compare = block.get("compare")
        if compare and compare.get("previous"):
            rows.append(
                (
                    "vs previous report",
                    ", ".join(f"pass^{p['k']} {fmt_num(p['delta'], 3)}" for p in compare["pass_k"])
                    + f"; Δλ {fmt_num(compare['delta_lambda'], 3)}",
                )
            )
        return rows

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        block = self._block(report)
        lines = ["## Sensitivity and regimes", ""]
        if not block:
            return [*lines, "No trajectories.", ""]
        if not _has_tasks(block):
            return [*lines, "No tasks: no trajectory with turns to compare.", ""]
        lines += ["| | |", "|---|---|"]
        lines += [f"| {md_cell(a)} | {md_cell(b)} |" for a, b in self._summary_lines(block)]
        lines.append("")
        outcomes = block.get("outcomes") or {}
        lines += ["### Regimes and loops against reward", ""]
        cats = [c for key in ("by_regime", "by_loop", "by_repeats") for c in outcomes.get(key) or []]
        if cats:
            lines += ["| " + " | ".join(_OUTCOME_HEADERS) + " |", "|" + "|".join("---" for _ in _OUTCOME_HEADERS) + "|"]
            lines += ["| " + " | ".join(md_cell(x) for x in _outcome_row(c)) + " |" for c in cats]
            lines.append("")
        lines += [
            f"- {markdown_text(f, block_start=True)}"
            for f in outcomes.get("findings") or [outcomes.get("reason") or "no rewards recorded"]
        ]
        lines.append("")
        groups = block.get("groups") or []
        if groups:
            lines += ["### Tasks", ""]
            lines += ["| " + " | ".join(_GROUP_HEADERS) + " |", "|" + "|".join("---" for _ in _GROUP_HEADERS) + "|"]
            lines += ["| " + " | ".join(md_cell(x) for x in _group_row(g)) + " |" for g in groups]
            lines.append("")
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        block = self._block(report)
        if not block:
            return ["[bold]Sensitivity[/bold]: no trajectories."]
        if not _has_tasks(block):
            return ["[bold]Sensitivity[/bold]: no tasks: no trajectory with turns to compare."]
        out: list[RenderableType] = []
        summary = Table(title="Sensitivity and regimes", show_header=False, expand=False)
        summary.add_column("what", style="bold", overflow="fold")
        summary.add_column("value", overflow="fold")
        for a, b in self._summary_lines(block):
            summary.add_row(terminal_text(a), terminal_text(b))
        out.append(summary)
        outcomes = block.get("outcomes") or {}
        cats = [c for key in ("by_regime", "by_loop", "by_repeats") for c in outcomes.get(key) or []]
        if cats:
            keep = [0, 1, 2, 3, 6] if width < 100 else list(range(len(_OUTCOME_HEADERS)))
            table = Table(title="Regimes and loops against reward", expand=False)
            for i in keep:
                table.add_column(_OUTCOME_HEADERS[i], justify="left" if i == 0 else "right", overflow="fold")
            for c in cats:
                cells = _outcome_row(c)
                table.add_row(*(terminal_text(cells[i]) for i in keep))
            out.append(table)
        out += [
            terminal_text(f"• {f}")
            for f in outcomes.get("findings") or [outcomes.get("reason") or "no rewards recorded"]
        ]
        groups = block.get("groups") or []
        if groups:
            keep = [0, 1, 3, 5, 8, 11] if width < 120 else list(range(len(_GROUP_HEADERS)))
            table = Table(title=f"Tasks — {len(groups)}", expand=False)
            for i in keep:
                table.add_column(_GROUP_HEADERS[i], justify="left" if i in (0, 2, 3, 11) else "right", overflow="fold")
            for g in groups[: max(max_detail, 1) * 5]:
                cells = _group_row(g)
                table.add_row(*(terminal_text(cells[i]) for i in keep))
            out.append(table)
            if len(groups) > max(max_detail, 1) * 5:
                out.append(f"{len(groups) - max(max_detail, 1) * 5} more tasks omitted (use --json for all).")
        return out
