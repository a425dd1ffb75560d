"""The sweeps family: per-constant sensitivity, cliffs and a validated proposal from parameter sweeps
(docs/metrics/sweeps.md; methods: ../shared/METHODS.md §6).

Input: the sweep frames of :class:`trajdyn.analyzer.io.SweepData` (points: a score of a constant at a value,
replicates optional; constants: counts and the file's own claims; pairs: two-constant grids). Output: JSON-ready
dicts, one per (source, constant) and one per (source, pair). Definitions:

- **mean** ``m_v`` of a value: the mean of its train scores (a score without a split is a train score; ``test`` scores
  are left out: a test split is for the user's own last check, never for choosing). Values are ordered
  by number when every value is a number, else as swept.
- **noise** σ: with replicates on shared scenarios (≥ 2 scenarios run at ≥ 2 values, every value scored there,
  at least half the scores), the residual SD of the additive value + scenario fit on those scenarios
  (:func:`trajdyn.analyzer.stats.blocked_noise`; the means are then the values' adjusted means, and the variance
  of a difference is ``C_ii + C_jj − 2 C_ij`` from the fit's covariance ``C``, not ``σ²(1/n_i + 1/n_j)`` unless the
  design is balanced), ``noise_source = "replicates-by-scenario"``; scores of scenarios run at one value only and
  scores without a scenario are left out of that fit and counted (``n_unblocked``); with other replicates (any
  value scored ≥ 2 times), the pooled within-value SD, and ``SE_v = σ/√n_v``; without, when the values are
  numbers, the robust scale of the curve's pseudo-residuals (:func:`trajdyn.analyzer.stats.pseudo_residual_sd`),
  ``SE_v = σ`` (each point is one mean). Fewer than 3 values, or categorical values, and no replicates: no noise,
  ``insufficient-data``.
- **spread** ``max m − min m``; **sensitive** when ``spread ≥ min_effect`` and
  ``spread / √Var(m_max − m_min)`` exceeds the two-sided Student t quantile at ``alpha`` Bonferroni-corrected
  over the ``k(k−1)/2`` value pairs (with σ = 0: when spread > 0); else ``within-noise``. The t quantile has the
  noise estimate's degrees of freedom: ``Σ(n_v − 1)`` from replicates, ``0.37·(k − 2)`` from the curve (the MAD's
  efficiency), so a short curve without replicates needs a large effect.
- **cliff** between adjacent values ``i, i+1``: ``Δ_i = s·(m_i − m_{i+1})`` (``s = +1`` when the objective is
  maximised), the harmful fall of the score as the constant grows; ``z_i = Δ_i/√Var(m_i − m_{i+1})``. A cliff when
  ``z_i`` exceeds the one-sided t quantile (same degrees of freedom) at ``alpha/(k−1)`` (Bonferroni over the gaps; with σ = 0 any
  Δ > 0), ``Δ_i ≥ cliff_min_drop`` and, with ≥ 4 values, ``Δ_i ≥ cliff_gap_ratio ×`` the median
  ``|m_i − m_{i+1}|`` (with 1 or 2 gaps the median holds half the drop itself: the gate could never pass). A rise is
  never a cliff; categorical values (not all numbers) have no order and no cliffs. ``largest_drop`` reports the largest Δ with its z whether or not it is a cliff.
- **best value**: the argmax of ``s·m`` (the first in sweep order on ties); **proposal**: the best value against the
  default (when known) with the train delta and its z; **validation**: when validation scores exist for both, the
  delta's one-sided ``1 − alpha`` bounds (the ends of the central ``1 − 2 alpha`` interval; the SDK's Ratchet's
  rule at ``confidence = 1 − alpha``): of the paired t interval of the per-scenario differences when both values ran on
  the same ≥ 2 scenarios (:func:`trajdyn.analyzer.stats.paired_t_interval`; scenarios run by one value only are
  left out), else the Welch interval of all their scores; accepted when its lower bound exceeds ``min_effect`` and
  the best value is not next to a cliff.
- **objective**: the one the constant's runs declared (spans of sweep runs, :mod:`.sweep_runs`), else the option.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    import polars as pl

    from trajdyn.analyzer.io import SweepData

__all__ = ["SENSITIVITY_LABELS", "SweepSettings", "analyze_sweeps"]

SENSITIVITY_LABELS: Final = ("sensitive", "within-noise", "insufficient-data")
_TRAIN: Final = C.SPLITS[0]
_VALIDATION: Final = C.SPLITS[1]
_NO_SCENARIO: Final = "\x00"
"""Scenario key of scores without a scenario id: never paired."""
_MAD_EFFICIENCY: Final = 0.37
"""Asymptotic efficiency of the MAD against the SD for normal data: the curve's noise estimate from ``k − 2``
pseudo-residuals is worth about ``0.37 (k − 2)`` degrees of freedom, used for its t quantiles."""


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """Settings of the sweeps family (docs/metrics/sweeps.md); see the module docstring for their roles."""

    objective: str = C.OBJECTIVE_MAXIMIZE
    alpha: float = 0.05
    min_effect: float = 0.01
    cliff_min_drop: float = 0.05
    cliff_gap_ratio: float = 3.0
    defaults: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.objective not in C.OBJECTIVES:
            raise ConfigurationError(f"expected sweeps objective in {C.OBJECTIVES}, got {self.objective!r}")
        if not 0 < self.alpha < 1:
            raise ConfigurationError(f"expected sweeps alpha in (0, 1), got {self.alpha!r}")
        for name in ("min_effect", "cliff_min_drop", "cliff_gap_ratio"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"expected sweeps option {name} to be a finite number >= 0, got {value!r}")


def _number(value: str) -> float | None:
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _isf(p: float, dof: float | None) -> float:
    """The upper ``p`` quantile of the z statistic: Student t with the noise estimate's degrees of freedom (normal
    when they are unknown or the noise is from replicates with many)."""
    from scipy.stats import norm, t

    return float(norm.isf(p)) if dof is None else float(t.isf(p, dof))


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


@dataclass(slots=True)
class _Curve:
    values: list[str]
    x: list[float]
    numeric: bool
    means: list[float]
    ns: list[int]
    cov: list[list[float]] | None
    """Covariance of the means (diagonal unless the noise is blocked by scenario); ``None`` without noise."""
    noise: float | None
    noise_source: str | None
    dof: float | None = None
    n_unblocked: int = 0
    """Scores left out of the blocked fit: scenarios run at one value only, scores without a scenario."""

    def var_diff(self, i: int, j: int) -> float | None:
        """``Var(m_i − m_j) = C_ii + C_jj − 2 C_ij`` (``None`` without noise)."""
        if self.cov is None:
            return None
        return max(0.0, self.cov[i][i] + self.cov[j][j] - 2.0 * self.cov[i][j])


def _diagonal(variances: Sequence[float]) -> list[list[float]]:
    k = len(variances)
    return [[variances[i] if i == j else 0.0 for j in range(k)] for i in range(k)]


def _curve(
    scores: Mapping[str, list[float]], order: Mapping[str, int], scenarios: Mapping[str, list[str]] | None = None
) -> _Curve:
    values = list(scores)
    nums = [_number(v) for v in values]
    numeric = all(n is not None for n in nums) and len({n for n in nums}) == len(nums)
    if numeric:
        values.sort(key=lambda v: float(v))
    else:
        values.sort(key=lambda v: order[v])
    means = [math.fsum(scores[v]) / len(scores[v]) for v in values]
    ns = [len(scores[v]) for v in values]
    x = [float(v) for v in values] if numeric else [float(i) for i in range(len(values))]
    if any(n >= 2 for n in ns):
        blocked = _blocked(values, scores, scenarios) if scenarios is not None else None
        if blocked is not None:
            adjusted, noise, dof, cov, left_out = blocked
            return _Curve(values, x, numeric, adjusted, ns, cov, noise, "replicates-by-scenario", dof, left_out)
        ss = math.fsum(math.fsum((s - m) ** 2 for s in scores[v]) for v, m in zip(values, means, strict=True))
        dof = sum(n - 1 for n in ns)
        noise = math.sqrt(ss / dof)
        return _Curve(
            values, x, numeric, means, ns, _diagonal([noise * noise / n for n in ns]), noise, "replicates", dof
        )
    if not numeric:  # no curve to be smooth along: the order of categorical values is arbitrary
        return _Curve(values, x, numeric, means, ns, None, None, None, None)
    from trajdyn.analyzer.stats import pseudo_residual_sd

    sd = pseudo_residual_sd(x, means)
    curve_cov = None if sd is None else _diagonal([sd * sd] * len(values))
    return _Curve(values, x, numeric, means, ns, curve_cov, sd, "curve", _MAD_EFFICIENCY * (len(values) - 2))


def _blocked(
    values: Sequence[str], scores: Mapping[str, list[float]], scenarios: Mapping[str, list[str]]
) -> tuple[list[float], float, int, list[list[float]], int] | None:
    """The additive value + scenario fit (:func:`trajdyn.analyzer.stats.blocked_noise`) on the scores of the
    scenarios run at 2 or more values, when there are at least 2 such scenarios, every value has a score on them and
    they hold at least half of the scores; ``None`` otherwise. Scenarios run at one value only (their offset is not
    separable from the value's effect) and scores without a scenario are left out of the fit and counted (the last
    element)."""
    if any(len(scenarios.get(v) or []) != len(scores[v]) for v in values):
        return None
    seen: dict[str, set[str]] = {}
    for v in values:
        for sc in scenarios.get(v) or []:
            seen.setdefault(sc, set()).add(v)
    shared = sorted(sc for sc, vs in seen.items() if len(vs) >= 2 and sc != _NO_SCENARIO)
    if len(shared) < 2:
        return None
    from trajdyn.analyzer.stats import blocked_noise

    index = {sc: i for i, sc in enumerate(shared)}
    levels: list[int] = []
    blocks: list[int] = []
    ys: list[float] = []
    total = 0
    for i, v in enumerate(values):
        for sc, y in zip(scenarios[v], scores[v], strict=True):
            total += 1
            if sc in index:
                levels.append(i)
                blocks.append(index[sc])
                ys.append(y)
    if 2 * len(ys) < total:
        return None
    fit = blocked_noise(levels, blocks, ys, len(values))
    if fit is None:
        return None
    adjusted, sigma, dof, cov = fit
    return adjusted, sigma, dof, cov, total - len(ys)


def _z(delta: float, var: float | None) -> float | None:
    """``delta`` over its SE ``√var``; ``None`` when the SE is 0 (any ``delta > 0`` is then beyond noise)."""
    if var is None:
        return None
    return delta / math.sqrt(var) if var > 0 else None


_MIN_GAPS_FOR_RATIO: Final = 3
"""The gap-ratio gate needs at least this many gaps (4 values): with 1 or 2 gaps the median gap is at least half
the drop itself, so no drop could ever be ``cliff_gap_ratio`` (≥ 2) median gaps."""


def _cliffs(c: _Curve, sign: float, s: SweepSettings) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    k = len(c.values)
    if k < 2 or not c.numeric:  # categorical values have no order: no neighbours, no cliffs
        return [], None
    gaps = [abs(c.means[i] - c.means[i + 1]) for i in range(k - 1)]
    median_gap = (
        sorted(gaps)[(k - 2) // 2]
        if (k - 1) % 2
        else 0.5 * (sorted(gaps)[(k - 1) // 2 - 1] + sorted(gaps)[(k - 1) // 2])
    )
    gap_gate = k - 1 >= _MIN_GAPS_FOR_RATIO
    z_star = _isf(s.alpha / (k - 1), c.dof)
    out: list[dict[str, Any]] = []
    largest: dict[str, Any] | None = None
    for i in range(k - 1):
        delta = sign * (c.means[i] - c.means[i + 1])
        if delta <= 0:
            continue
        var = c.var_diff(i, i + 1)
        z = _z(delta, var)
        significant = var is not None and (z is None or z > z_star)
        practical = delta >= s.cliff_min_drop
        abrupt = not gap_gate or delta >= s.cliff_gap_ratio * median_gap
        cliff = significant and practical and abrupt
        why = [
            *([] if var is not None else ["no noise estimate"]),
            *([] if significant or var is None else [f"z {z:.2f} <= {z_star:.2f}" if z is not None else "z undefined"]),
            *([] if practical else [f"drop {delta:.4g} < cliff_min_drop {s.cliff_min_drop:.4g}"]),
            *([] if abrupt else [f"drop {delta:.4g} < {s.cliff_gap_ratio:g} x median gap {median_gap:.4g}"]),
        ]
        entry = {"from": c.values[i], "to": c.values[i + 1], "delta": delta, "z": _round(z), "position": i}
        if cliff:
            out.append(entry)
        if largest is None or delta > largest["delta"]:
            largest = {**entry, "z_threshold": z_star, "cliff": cliff, "why_not": "; ".join(why) or None}
    return out, largest


def _distance(c: _Curve, best: int, cliffs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Grid steps (and value units when numeric) from the best value to the nearest side of the nearest cliff."""
    nearest: dict[str, Any] | None = None
    for cl in cliffs:
        i = int(cl["position"])
        steps, edge = (i - best, i) if best <= i else (best - (i + 1), i + 1)
        units = abs(c.x[best] - c.x[edge]) if c.numeric else None
        if nearest is None or steps < nearest["steps"]:
            nearest = {"steps": steps, "value_units": units, "cliff_from": cl["from"], "cliff_to": cl["to"]}
    return nearest


def _validation(
    val: Mapping[str, Mapping[str, list[float]]], best: str, default: str | None, sign: float, s: SweepSettings
) -> dict[str, Any] | None:
    """The validation delta of ``best`` against ``default`` with its one-sided ``1 − alpha`` bounds (the ends of the
    central ``1 − 2·alpha`` interval): ``low`` is the lower confidence bound the accept rule uses, as the SDK's
    :class:`trajdyn.sweeps.Ratchet` does at ``confidence = 1 − alpha``."""
    if default is None or best == default:
        return None
    by_a, by_b = val.get(best) or {}, val.get(default) or {}
    a = [x for xs in by_a.values() for x in xs]
    b = [x for xs in by_b.values() for x in xs]
    shared = sorted(set(by_a) & set(by_b) - {_NO_SCENARIO})
    import numpy as np

    from trajdyn.analyzer.stats import paired_t_interval, welch_interval

    central = 1 - 2 * s.alpha
    if len(shared) >= 2:  # both values ran on the same scenarios: the paired interval, by scenario
        diffs = [math.fsum(by_a[k]) / len(by_a[k]) - math.fsum(by_b[k]) / len(by_b[k]) for k in shared]
        paired = paired_t_interval(diffs, central)
        if paired is not None:
            mean, low, high = paired
            if sign < 0:
                low, high = -high, -low
            return {
                "method": "paired",
                "delta": sign * mean,
                "ci": [low, high],
                "confidence": 1 - s.alpha,
                "sided": "one-sided",
                "n_best": sum(len(by_a[k]) for k in shared),
                "n_default": sum(len(by_b[k]) for k in shared),
                "n_pairs": len(shared),
                "n_unpaired": len(a) + len(b) - sum(len(by_a[k]) + len(by_b[k]) for k in shared),
            }
    if len(a) < 2 or len(b) < 2:
        return None
    ma, mb = float(np.mean(a)), float(np.mean(b))
    lo, hi = welch_interval(ma, float(np.var(a, ddof=1)), len(a), mb, float(np.var(b, ddof=1)), len(b), central)
    low, high = float(lo), float(hi)
    if sign < 0:
        low, high = -high, -low
    return {
        "method": "welch",
        "delta": sign * (ma - mb),
        "ci": [low, high],
        "confidence": 1 - s.alpha,
        "sided": "one-sided",
        "n_best": len(a),
        "n_default": len(b),
        "n_pairs": 0,
        "n_unpaired": 0,
    }


def _not_validated(val: Mapping[str, Mapping[str, list[float]]], best: str | None, default: str | None) -> str:
    n_best = sum(len(xs) for xs in (val.get(best or "") or {}).values())
    n_default = sum(len(xs) for xs in (val.get(default or "") or {}).values())
    if n_best == 0 and n_default == 0:
        return "no validation scores for the best value and the default: not accepted"
    return (
        f"too few validation scores (best {n_best}, default {n_default}; need >= 2 a side, or >= 2 shared "
        "scenarios): not accepted"
    )


def _constant(
    source: str,
    name: str,
    train: Mapping[str, list[float]],
    train_scenarios: Mapping[str, list[str]],
    val: Mapping[str, Mapping[str, list[float]]],
    order: Mapping[str, int],
    meta: Mapping[str, Any],
    default: str | None,
    s: SweepSettings,
) -> dict[str, Any]:
    objective = str(meta.get("objective") or s.objective)
    sign = 1.0 if objective == C.OBJECTIVE_MAXIMIZE else -1.0
    c = _curve(train, order, train_scenarios)
    k = len(c.values)
    cliffs, largest = _cliffs(c, sign, s)
    best = max(range(k), key=lambda i: (sign * c.means[i], -i)) if k else None
    spread = (max(c.means) - min(c.means)) if k else None
    if c.cov is None or spread is None:
        sensitivity, why = (
            "insufficient-data",
            (
                f"{k} value(s) and no replicates: no noise estimate (need >= 3 values)"
                if c.numeric or k < 3
                else f"{k} categorical values and no replicates: no noise estimate (a curve's noise needs ordered values)"
            ),
        )
    elif k < 2:
        sensitivity, why = "insufficient-data", "one value: nothing to compare"
    else:
        hi, lo = c.means.index(max(c.means)), c.means.index(min(c.means))
        z = _z(spread, c.var_diff(hi, lo))
        pairs = k * (k - 1) // 2
        z_star = _isf(s.alpha / (2 * pairs), c.dof) if pairs else math.inf
        beyond_noise = spread > 0 and (z is None or z > z_star)
        if beyond_noise and spread >= s.min_effect:
            sensitivity, why = "sensitive", f"spread {spread:.4g} >= min_effect and z {_fmt_z(z)} > {z_star:.2f}"
        elif beyond_noise:
            sensitivity, why = "within-noise", f"spread {spread:.4g} beyond noise but < min_effect {s.min_effect:.4g}"
        else:
            sensitivity, why = "within-noise", f"spread {spread:.4g}, z {_fmt_z(z)} <= {z_star:.2f}"
    best_value = c.values[best] if best is not None else None
    best_score = c.means[best] if best is not None else None
    distance = _distance(c, best, cliffs) if best is not None else None
    train_delta: float | None = None
    train_z: float | None = None
    if default is not None and default in c.values and best is not None:
        d = c.values.index(default)
        train_delta = sign * (c.means[best] - c.means[d])
        train_z = _z(train_delta, c.var_diff(best, d)) if best != d else None
    validation = _validation(val, best_value, default, sign, s) if best_value is not None else None
    decision, reason = _decide(best_value, default, train_delta, validation, distance, s)
    if decision == "not-validated":
        reason = _not_validated(val, best_value, default)
    elif best_value is None and any(val.values()):
        reason = "no train runs: the best value is chosen on train runs only"
    proposal = _proposal(name, default, best_value, train_delta, train_z, validation, decision, reason)
    return {
        "source": source,
        "name": name,
        "objective": objective,
        "objective_note": (
            f"the runs declare different objectives ({meta['mixed_objectives']}): the option's {objective} applies"
            if meta.get("mixed_objectives")
            else None
        ),
        "default": default,
        "best_value": best_value,
        "best_score": best_score,
        "sensitivity": sensitivity,
        "sensitivity_reason": why,
        "noise": c.noise,
        "noise_source": c.noise_source,
        "n_unblocked": c.n_unblocked,
        "spread": spread,
        "ordered": c.numeric,
        "values": c.values,
        "means": c.means,
        "cliffs": [{k2: v for k2, v in cl.items() if k2 != "position"} for cl in cliffs],
        "largest_drop": None if largest is None else {k2: v for k2, v in largest.items() if k2 != "position"},
        "cliff_distance": distance,
        "train_delta": train_delta,
        "train_z": _round(train_z),
        "validation": validation,
        "decision": decision,
        "reason": reason,
        "n_values": k,
        "n_points": meta.get("n_points_ok"),
        "n_points_total": meta.get("n_points_total"),
        "n_errors": meta.get("n_errors"),
        "n_degenerate": meta.get("n_degenerate"),
        "n_unscored": meta.get("n_unscored"),
        "n_nonfinite": meta.get("n_nonfinite"),
        "reported": {
            "best_value": meta.get("reported_best_value"),
            "best_score": meta.get("reported_best_score"),
            "cliffs": json.loads(meta["reported_cliffs"]) if meta.get("reported_cliffs") else [],
        },
        "proposal": proposal,
    }


def _fmt_z(z: float | None) -> str:
    return "inf (noise 0)" if z is None else f"{z:.2f}"


def _decide(
    best: str | None,
    default: str | None,
    train_delta: float | None,
    validation: Mapping[str, Any] | None,
    distance: Mapping[str, Any] | None,
    s: SweepSettings,
) -> tuple[str, str]:
    if best is None:
        return "reject", "no scored value"
    if default is None:
        return "no-default", "the default value is not known: nothing to compare the best value with"
    if best == default:
        return "keep-default", "the default is already the best value on the sweep"
    if distance is not None and distance["steps"] == 0:
        return "reject", f"the best value is next to a cliff ({distance['cliff_from']} -> {distance['cliff_to']})"
    if validation is None:
        return "not-validated", "no validation scores for the best value and the default: not accepted"
    low = validation["ci"][0]
    level = f"one-sided {100 * validation['confidence']:.4g} %"
    if low > s.min_effect:
        return "accept", f"validation delta lower bound ({level}) {low:+.4g} > min_effect {s.min_effect:.4g}"
    return "reject", f"validation delta lower bound ({level}) {low:+.4g} <= min_effect {s.min_effect:.4g}"


def _proposal(
    name: str,
    default: str | None,
    best: str | None,
    train_delta: float | None,
    train_z: float | None,
    validation: Mapping[str, Any] | None,
    decision: str,
    reason: str,
) -> str:
    parts = []
    if train_delta is not None:
        parts.append(f"train {train_delta:+.4g}" + (f", z {train_z:.2f}" if train_z is not None else ""))
    if validation is not None:
        lo, hi = validation["ci"]
        parts.append(
            f"validation {validation['delta']:+.4g}, one-sided {100 * validation['confidence']:.4g} % bounds "
            f"[{lo:+.4g}, {hi:+.4g}]"
        )
    detail = f" ({'; '.join(parts)})" if parts else ""
    return f"{name}: {default if default is not None else '?'} -> {best}{detail} {decision.upper()}: {reason}"


def _pairs(pairs: pl.DataFrame, s: SweepSettings) -> list[dict[str, Any]]:
    import polars as pl

    if pairs.height == 0:
        return []
    sign = 1.0 if s.objective == C.OBJECTIVE_MAXIMIZE else -1.0
    cells = (
        pairs.group_by("source", "pair", "constant_a", "constant_b", "value_a", "value_b", maintain_order=True)
        .agg(pl.col("score").mean().alias("mean"), pl.len().alias("n"), pl.col("score").std().alias("sd"))
        .sort("source", "pair", maintain_order=True)
    )
    out: list[dict[str, Any]] = []
    for (source, pair), grid in cells.group_by("source", "pair", maintain_order=True):
        rows = grid.to_dicts()
        best = max(rows, key=lambda r: sign * r["mean"])
        worst = min(rows, key=lambda r: sign * r["mean"])
        out.append(
            {
                "source": source,
                "name": pair,
                "constant_a": rows[0]["constant_a"],
                "constant_b": rows[0]["constant_b"],
                "n_points": int(grid["n"].sum()),
                "n_cells": len(rows),
                "best": {"value_a": best["value_a"], "value_b": best["value_b"], "score": best["mean"]},
                "worst": {"value_a": worst["value_a"], "value_b": worst["value_b"], "score": worst["mean"]},
                "spread": abs(best["mean"] - worst["mean"]),
                "cells": [
                    {"value_a": r["value_a"], "value_b": r["value_b"], "mean": r["mean"], "n": r["n"], "sd": r["sd"]}
                    for r in rows
                ],
            }
        )
    return out


def _labels(raw: Sequence[str], default: str | None) -> tuple[dict[str, str], str | None]:
    """One label per value of a constant, values equal as numbers merged (``"0.10"`` and ``"0.1"``, ``"1.0"`` and
    ``"1"``: spans written by other tools); a value spelled one way only keeps its spelling, one spelled several ways
    takes the canonical one. The default is mapped to the label of the value equal to it as a number."""
    from trajdyn._values import canonical_number_text

    spellings: dict[float | str, list[str]] = {}
    for v in raw:
        n = _number(v)
        spellings.setdefault(v if n is None else n, []).append(v)
    label = {v: (vs[0] if len(vs) == 1 else canonical_number_text(vs[0])) for vs in spellings.values() for v in vs}
    if default is not None:
        n = _number(default)
        if default in label:
            default = label[default]
        elif n is not None and n in spellings:
            default = label[spellings[n][0]]
    return label, default


def analyze_sweeps(data: SweepData, settings: SweepSettings | None = None) -> dict[str, Any] | None:
    """The ``sweeps`` block (``constants`` and ``pairwise``), or ``None`` when the data holds no sweep."""
    import polars as pl

    s = settings or SweepSettings()
    if data.points.height == 0 and data.pairs.height == 0 and data.constants.height == 0:
        return None
    defaults = dict(s.defaults)
    meta = {(r["source"], r["constant"]): r for r in data.constants.iter_rows(named=True)}
    pts = data.points.with_columns(pl.col("split").fill_null(_TRAIN), pl.col("scenario").fill_null(_NO_SCENARIO))
    constants: list[dict[str, Any]] = []
    for (source, name), group in pts.group_by("source", "constant", maintain_order=True):
        order: dict[str, int] = {}
        train: dict[str, list[float]] = {}
        train_scenarios: dict[str, list[str]] = {}
        val: dict[str, dict[str, list[float]]] = {}
        row = meta.get((source, name), {})
        default = defaults.get(str(name), row.get("default"))
        label, default = _labels(group["value"].unique(maintain_order=True).to_list(), default)
        for raw, o, score, split, scenario in group.select("value", "order", "score", "split", "scenario").iter_rows():
            value = label[raw]
            order.setdefault(value, o if o is not None else len(order))
            if split == _TRAIN:
                train.setdefault(value, []).append(score)
                train_scenarios.setdefault(value, []).append(scenario)
            elif split == _VALIDATION:
                val.setdefault(value, {}).setdefault(scenario, []).append(score)
        constants.append(_constant(str(source), str(name), train, train_scenarios, val, order, row, default, s))
    seen = {(c["source"], c["name"]) for c in constants}
    for key, row in meta.items():  # a constant none of whose runs was scored (all errors or degenerate): still shown
        if (str(key[0]), str(key[1])) not in seen:
            default = defaults.get(str(key[1]), row.get("default"))
            constants.append(_constant(str(key[0]), str(key[1]), {}, {}, {}, {}, row, default, s))
    return {
        "objective": s.objective,
        "alpha": s.alpha,
        "min_effect": s.min_effect,
        "cliff_min_drop": s.cliff_min_drop,
        "constants": constants,
        "pairwise": _pairs(data.pairs, s),
    }
