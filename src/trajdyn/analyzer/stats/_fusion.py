"""Reweighted fusion: a benchmark's per-task results re-aimed at a target task mix (METHODS §3).

Definitions in ``docs/metrics/fusion.md``. Notation: n tasks (the units; a task's trials are averaged into one value
y_t first, so that tasks, not trials, are resampled), each in a stratum s; the benchmark share of a stratum is
Q_s = n_s / n; the target gives a mass p_t ≥ 0 to every task (with a profile by stratum, p_t = P_s / n_s) and may give
mass to strata or tasks the benchmark lacks. The covered mass is c = Σ_t p_t ≤ 1.

* :func:`task_weights` — w_t = n·p_t, the importance weight P(s)/Q(s) of ClawBench's stage 1 (ρ_k) for a profile by
  stratum; 0 for a task the target does not ask for.
* :func:`hajek_mean` — Σ w_t y_t / Σ w_t (Hájek 1971). With w = P/Q it equals the post-stratified mean
  Σ_s P_s ȳ_s / c over the covered strata: the **covered estimate** μ_c. Never renormalised silently: the caller
  reports c next to it, and :func:`manski_bounds` for a score in [0, 1].
* :func:`kish_ess` — (Σw)²/Σw² (Kish 1965), and :func:`max_weight_share` — max w / Σ w.
* :func:`hajek_se` — the linearised standard error of the Hájek mean, with pools of tasks as strata; with a profile by
  stratum it is Cochran's sqrt(Σ_s P_s² s_s²/n_s) / c (Cochran 1977, §5.3), s_s² the sample variance of the stratum's
  task values.
* :func:`jeffreys_mixture_interval` — for a bounded or binary score: per stratum θ_s ~ Beta(k_s + ½, n_s − k_s + ½)
  with k_s = Σ_{t∈s} y_t (fractional for a bounded score or several trials), μ* = Σ_s P_s θ_s / c, the interval is the
  quantiles of μ* (METHODS §3: 93.6 % coverage where Wald gave 89.1 % with about 4 tasks per stratum).
* :func:`stratified_bootstrap_interval` — for a continuous score (and for weights by task): tasks resampled with
  replacement within their stratum, strata with fewer than :data:`MIN_BOOTSTRAP_STRATUM` tasks merged first
  (:func:`bootstrap_pools`); the studentized (bootstrap-t) interval of the Hájek mean.
* :func:`manski_bounds` — [c·μ_c, c·μ_c + (1 − c)]: what the target mean can be when the uncovered mass scores
  anything in [0, 1] (Manski 1989).

Every random function takes a seed or a numpy generator; the order of the draws is part of the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from trajdyn.analyzer.stats._resample import bootstrap_counts

__all__ = [
    "CI_BOOTSTRAP",
    "CI_JEFFREYS",
    "FUSION_DRAWS",
    "KINDS",
    "MIN_BOOTSTRAP_STRATUM",
    "Fused",
    "bootstrap_pools",
    "fuse",
    "hajek_mean",
    "hajek_se",
    "jeffreys_mixture_interval",
    "kish_ess",
    "manski_bounds",
    "max_weight_share",
    "strata_codes",
    "stratified_bootstrap_interval",
    "stratum_summary",
    "task_weights",
]

Array = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int64]

FUSION_DRAWS: Final = 10_000
"""Default draws of the Jeffreys mixture and resamples of the stratified bootstrap."""
MIN_BOOTSTRAP_STRATUM: Final = 5
"""A stratum with fewer tasks than this is merged with the other small ones before the bootstrap resamples it."""
_TINY: Final = 1e-12
KINDS: Final = ("binary", "bounded", "continuous")
"""Kinds of score: binary (0/1), bounded (in [0, 1]), continuous (any real)."""
CI_JEFFREYS: Final = "jeffreys-mixture"
CI_BOOTSTRAP: Final = "stratified-bootstrap-t"
Kind = Literal["binary", "bounded", "continuous"]


def _levels_ok(levels: tuple[float, float]) -> None:
    if not 0.0 <= levels[0] < levels[1] <= 1.0:
        raise ValueError(f"expected quantile levels 0 <= lo < hi <= 1, got {levels}")


def task_weights(task_mass: npt.ArrayLike) -> Array:
    """w_t = n·p_t: each task's importance weight relative to the benchmark's uniform 1/n.

    With a profile by stratum (p_t = P_s/n_s) this is P_s/Q_s, Q_s = n_s/n: ClawBench's ρ_k, and 0 for a stratum the
    target does not ask for.
    """
    p = np.asarray(task_mass, dtype=np.float64)
    if p.ndim != 1 or np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ValueError("expected a 1-d array of finite task masses >= 0")
    return np.asarray(p * p.shape[0], dtype=np.float64)


def hajek_mean(values: npt.ArrayLike, weights: npt.ArrayLike) -> float | None:
    """Σ w·y / Σ w (the Hájek, self-normalised, estimator); ``None`` when Σ w = 0."""
    y = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0.0:
        return None
    return float(np.dot(w, y) / total)


def kish_ess(weights: npt.ArrayLike) -> float | None:
    """Kish's effective sample size (Σw)²/Σw²: n for equal weights, 1 when one weight holds everything; ``None``
    when every weight is 0."""
    w = np.asarray(weights, dtype=np.float64)
    square = float(np.dot(w, w))
    if square <= 0.0:
        return None
    return float(w.sum()) ** 2 / square


def max_weight_share(weights: npt.ArrayLike) -> float | None:
    """The largest weight's share of the total, max w / Σ w; ``None`` when every weight is 0."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if w.size == 0 or total <= 0.0:
        return None
    return float(w.max()) / total


def manski_bounds(
    covered_estimate: float, covered_mass: float, low: float = 0.0, high: float = 1.0
) -> tuple[float, float]:
    """[c·μ_c + (1 − c)·low, c·μ_c + (1 − c)·high]: the target mean's range when the uncovered mass (1 − c) may score
    anything in [low, high] (Manski 1989, *Anatomy of the selection problem*). Equal ends when c = 1."""
    if not 0.0 <= covered_mass <= 1.0 + 1e-12:
        raise ValueError(f"expected a covered mass in [0, 1], got {covered_mass}")
    c = min(covered_mass, 1.0)
    base = c * covered_estimate
    return base + (1.0 - c) * low, base + (1.0 - c) * high


def stratum_summary(values: npt.ArrayLike, strata: npt.ArrayLike, k: int) -> tuple[Array, Array, Array, Array]:
    """Per stratum code 0..k−1: (task count n_s, sum Σy, mean ȳ_s, sample variance s_s² with ddof 1).

    Means are NaN for an empty stratum, variances NaN below 2 tasks.
    """
    y = np.asarray(values, dtype=np.float64)
    s = np.asarray(strata, dtype=np.int64)
    n = np.bincount(s, minlength=k).astype(np.float64)
    total = np.bincount(s, weights=y, minlength=k).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.where(n > 0, n, 1.0), np.nan)
        dev = y - mean[s]
        ss = np.bincount(s, weights=dev * dev, minlength=k)
        var = np.where(n > 1, ss / np.where(n > 1, n - 1.0, 1.0), np.nan)
    return n, total, np.asarray(mean, dtype=np.float64), np.asarray(var, dtype=np.float64)


def jeffreys_mixture_interval(
    successes: npt.ArrayLike,
    counts: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    levels: tuple[float, float] = (0.025, 0.975),
    draws: int = FUSION_DRAWS,
    rng: np.random.Generator | int = 0,
) -> tuple[float, float] | None:
    """The Jeffreys-mixture interval of Σ_s P_s θ_s / c for a bounded or binary score.

    Per covered stratum (n_s > 0 and P_s > 0) ``draws`` values θ_s ~ Beta(k_s + ½, n_s − k_s + ½) (the Jeffreys
    posterior of the stratum's mean; k_s may be fractional: the sum of task values in [0, 1]), mixed by the target
    shares and divided by the covered mass c; the interval is the ``levels`` quantiles of the mixture (numpy's linear
    interpolation), with Brown, Cai & DasGupta's boundary rule (an end at 0 or 1 when every covered stratum is at
    that boundary) and widened, if need be, to hold the point estimate. Draw order: strata in code order, each a block of ``draws`` (``rng.beta``). ``None`` without a
    covered stratum.
    """
    _levels_ok(levels)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    p = np.asarray(target, dtype=np.float64)
    if np.any(k < -1e-9) or np.any(k > n + 1e-9):
        raise ValueError("expected 0 <= successes <= counts in every stratum (a score in [0, 1])")
    k = np.clip(k, 0.0, n)
    covered = np.flatnonzero((n > 0) & (p > 0))
    if covered.size == 0:
        return None
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    mix = np.zeros(draws, dtype=np.float64)
    for s in covered:
        mix += p[s] * gen.beta(k[s] + 0.5, n[s] - k[s] + 0.5, size=draws)
    mix /= float(p[covered].sum())
    lo, hi = (float(v) for v in np.quantile(mix, list(levels)))
    # Brown, Cai & DasGupta's boundary rule, as in jeffreys_interval: every covered stratum at 0 (at n) → the lower
    # (upper) end is 0 (1); and the interval always holds the point estimate Σ P_s k_s/n_s / c
    if np.all(k[covered] <= 0.0):
        lo = 0.0
    if np.all(k[covered] >= n[covered]):
        hi = 1.0
    point = float(np.dot(p[covered], k[covered] / n[covered]) / p[covered].sum())
    return min(lo, point), max(hi, point)


def bootstrap_pools(strata: npt.ArrayLike, min_size: int = MIN_BOOTSTRAP_STRATUM) -> Codes:
    """The resampling pool of each task: its stratum when the stratum has ``min_size`` tasks or more; otherwise one
    pool of all the small strata together; when that pool is itself smaller than ``min_size``, it joins the smallest
    large stratum (the first in code order on a tie), and when there is no large stratum every task is in one pool.

    Pools are numbered 0.. in order of their smallest stratum code.
    """
    s = np.asarray(strata, dtype=np.int64)
    if s.size == 0:
        return s.copy()
    codes, counts = np.unique(s, return_counts=True)
    large = codes[counts >= min_size]
    small = codes[counts < min_size]
    target = {int(c): int(c) for c in large}
    if small.size:
        small_total = int(counts[counts < min_size].sum())
        if large.size == 0:
            merged_into = int(codes[0])
        elif small_total >= min_size:
            merged_into = int(small[0])
        else:
            large_counts = counts[counts >= min_size]
            merged_into = int(large[int(np.argmin(large_counts))])
        for c in small:
            target[int(c)] = merged_into
        if large.size == 0:
            target = dict.fromkeys(target, merged_into)
    mapped = np.array([target[int(c)] for c in s], dtype=np.int64)
    _, pools = np.unique(mapped, return_inverse=True)
    return pools.astype(np.int64)


def _pool_variance(z: Array, counts: Array, pools: Codes) -> Array:
    """Σ_g n_g/(n_g − 1) · Σ_{t∈g} C_t (z_t − z̄_g)² per row of ``z`` (B, n), with multiplicities ``counts`` (B, n) and
    z̄_g the C-weighted mean of pool g; pools of one task add nothing."""
    total = np.zeros(z.shape[0], dtype=np.float64)
    for pool in np.unique(pools):
        members = pools == pool
        size = int(np.count_nonzero(members))
        if size < 2:
            continue
        c, zg = counts[:, members], z[:, members]
        drawn = c.sum(axis=1)
        first = (c * zg).sum(axis=1)
        second = (c * zg * zg).sum(axis=1)
        total += size / (size - 1.0) * (second - first * first / drawn)
    return np.maximum(total, 0.0)


def _hajek_rows(values: Array, weights: Array, pools: Codes, counts: Array) -> tuple[Array, Array]:
    """Hájek means and linearised standard errors of every row of multiplicities ``counts`` (B, n)."""
    total = counts @ weights
    mean = (counts @ (weights * values)) / total
    z = weights[None, :] * (values[None, :] - mean[:, None]) / total[:, None]
    return mean, np.sqrt(_pool_variance(z, counts, pools))


def hajek_se(values: npt.ArrayLike, weights: npt.ArrayLike, pools: npt.ArrayLike) -> float | None:
    """The linearised standard error of the Hájek mean under stratified sampling of tasks within ``pools``.

    With z_t = w_t (y_t − μ̂)/Σw, se² = Σ_g n_g/(n_g − 1) Σ_{t∈g} (z_t − z̄_g)² over the tasks of positive weight
    (Särndal, Swensson & Wretman 1992, §5.7). With a profile by stratum and pools equal to the strata it is
    Cochran's sqrt(Σ_s P_s² s_s²/n_s)/c. ``None`` without a task of positive weight.
    """
    y = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(pools, dtype=np.int64)
    keep = w > 0
    if not np.any(keep):
        return None
    _, se = _hajek_rows(y[keep], w[keep], g[keep], np.ones((1, int(keep.sum())), dtype=np.float64))
    return float(se[0])


def stratified_bootstrap_interval(
    values: npt.ArrayLike,
    weights: npt.ArrayLike,
    pools: npt.ArrayLike,
    *,
    levels: tuple[float, float] = (0.025, 0.975),
    resamples: int = FUSION_DRAWS,
    rng: np.random.Generator | int = 0,
) -> tuple[float, float] | None:
    """The stratified bootstrap-t interval of the Hájek mean: tasks resampled within their pool.

    Tasks with weight 0 take no part (they do not move the estimate). In each of ``resamples`` replicates every pool
    (:func:`bootstrap_pools`) is resampled with replacement to its own size (multiplicities C); the replicate's Hájek
    mean μ* and linearised standard error se* (:func:`hajek_se`) give t* = (μ* − μ̂)/se*, and the interval is
    [μ̂ − t*_hi·se, μ̂ − t*_lo·se] with t*_lo, t*_hi the ``levels`` quantiles of t* (the studentized bootstrap: Efron &
    Tibshirani 1993, ch. 12; Hall 1988). Replicates with se* = 0 (one value drawn over and over) are left out. It
    covers better than the percentile interval when a heavy stratum has few tasks (``benchmarks/fusion_coverage.py``).
    Draw order: pools in code order, each one ``(resamples, n_pool)`` block of
    :func:`~trajdyn.analyzer.stats.bootstrap_counts` (the engine's draws). ``None`` without a task of positive
    weight; the point (μ̂, μ̂) when se = 0.
    """
    _levels_ok(levels)
    y = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(pools, dtype=np.int64)
    keep = w > 0
    if not np.any(keep):
        return None
    y, w, g = y[keep], w[keep], g[keep]
    n = y.shape[0]
    mean, se = _hajek_rows(y, w, g, np.ones((1, n), dtype=np.float64))
    estimate, error = float(mean[0]), float(se[0])
    if error <= _TINY * (1.0 + abs(estimate)):  # every pool constant (up to rounding): nothing varies
        return estimate, estimate
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    counts = np.zeros((resamples, n), dtype=np.float64)
    for pool in np.unique(g):
        members = np.flatnonzero(g == pool)
        counts[:, members] = bootstrap_counts(gen, members.size, resamples)
    means, errors = _hajek_rows(y, w, g, counts)
    usable = errors > _TINY * (1.0 + abs(estimate))
    if not np.any(usable):
        return estimate, estimate
    t = (means[usable] - estimate) / errors[usable]
    t_lo, t_hi = np.quantile(t, list(levels))
    return estimate - float(t_hi) * error, estimate - float(t_lo) * error


def strata_codes(labels: Sequence[str]) -> tuple[list[str], Codes]:
    """Distinct labels in first-appearance order and each label's code (a helper for callers with string strata)."""
    order: dict[str, int] = {}
    codes = [order.setdefault(label, len(order)) for label in labels]
    return list(order), np.asarray(codes, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Fused:
    """One score fused to a target mix (:func:`fuse`). Per-stratum arrays are indexed by stratum code.

    ``reweighted_mean`` is the covered estimate μ_c (the Hájek mean over the tasks the target asks for), to be read with
    ``covered_mass``; ``bounds``/``bounds_ci`` (bounded and binary scores only) widen it, and its interval, to the
    whole target mass.
    """

    n: int
    benchmark_mean: float | None
    reweighted_mean: float | None
    ci: tuple[float, float] | None
    ci_method: str | None
    se: float | None
    ess: float | None
    max_weight_share: float | None
    covered_mass: float
    bounds: tuple[float, float] | None
    bounds_ci: tuple[float, float] | None
    counts: Array
    target: Array
    weights: Array
    means: Array


def fuse(
    values: npt.ArrayLike,
    strata: npt.ArrayLike,
    *,
    stratum_target: npt.ArrayLike | None = None,
    task_mass: npt.ArrayLike | None = None,
    k: int | None = None,
    kind: Kind = "continuous",
    levels: tuple[float, float] = (0.025, 0.975),
    draws: int = FUSION_DRAWS,
    seed: int = 0,
    min_stratum: int = MIN_BOOTSTRAP_STRATUM,
) -> Fused:
    """Fuse the task values ``values`` (one per task, a task's trials averaged) to a target mix.

    ``strata``: each task's stratum code in 0..k−1 (``k`` defaults to 1 + the largest code, or the length of
    ``stratum_target``). Exactly one of ``stratum_target`` — P_s for every code, summing to at most 1 (codes without a
    task carry the uncovered mass) — and ``task_mass`` — p_t for every task, the target mass that task stands for
    (mass of tasks missing from ``values`` is uncovered). ``kind``: ``binary`` and ``bounded`` scores lie in [0, 1]
    and get Manski bounds; with a stratum target their interval is the Jeffreys mixture, otherwise (and for a
    continuous score) the stratified bootstrap over pools of at least ``min_stratum`` tasks. The same ``seed``
    gives the same interval.
    """
    y = np.asarray(values, dtype=np.float64)
    s = np.asarray(strata, dtype=np.int64)
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError("expected values and strata of one length")
    if np.any(~np.isfinite(y)):
        raise ValueError("expected finite task values")
    if kind not in KINDS:
        raise ValueError(f"expected kind to be one of {KINDS}, got {kind!r}")
    if kind != "continuous" and np.any((y < 0.0) | (y > 1.0)):
        raise ValueError(f"expected {kind} task values in [0, 1]")
    if (stratum_target is None) == (task_mass is None):
        raise ValueError("give exactly one of stratum_target and task_mass")
    size = int(s.max()) + 1 if s.size else 0
    if stratum_target is not None:
        size = max(size, int(np.asarray(stratum_target).shape[0]))
    k = max(size, k or 0)
    counts, sums, means, _ = stratum_summary(y, s, k)
    if stratum_target is not None:
        target = np.zeros(k, dtype=np.float64)
        given = np.asarray(stratum_target, dtype=np.float64)
        target[: given.shape[0]] = given
        if np.any(~np.isfinite(target)) or np.any(target < 0) or float(target.sum()) > 1.0 + 1e-9:
            raise ValueError("expected stratum target shares >= 0 summing to at most 1")
        mass = np.where(counts[s] > 0, target[s] / np.maximum(counts[s], 1.0), 0.0)
    else:
        mass = np.asarray(task_mass, dtype=np.float64)
        if mass.shape != y.shape or np.any(~np.isfinite(mass)) or np.any(mass < 0) or float(mass.sum()) > 1.0 + 1e-9:
            raise ValueError("expected one task mass >= 0 per task, summing to at most 1")
        target = np.bincount(s, weights=mass, minlength=k).astype(np.float64)
    n = int(y.shape[0])
    covered = float(min(mass.sum(), 1.0))
    weights = task_weights(mass)
    with np.errstate(invalid="ignore", divide="ignore"):
        stratum_weight = np.where(counts > 0, target / (counts / max(n, 1)), np.nan)
    estimate = hajek_mean(y, weights)
    bench = float(y.mean()) if n else None
    positive = weights > 0
    pools = np.zeros(n, dtype=np.int64)
    pools[positive] = bootstrap_pools(s[positive], min_stratum)
    ci: tuple[float, float] | None = None
    method: str | None = None
    if estimate is not None:
        if kind != "continuous" and stratum_target is not None:
            method = CI_JEFFREYS
            ci = jeffreys_mixture_interval(sums, counts, target, levels=levels, draws=draws, rng=seed)
        else:
            method = CI_BOOTSTRAP
            ci = stratified_bootstrap_interval(y, weights, pools, levels=levels, resamples=draws, rng=seed)
            if ci is not None and kind != "continuous":  # a score in [0, 1]: so is its interval
                ci = (max(0.0, ci[0]), min(1.0, ci[1]))
    se = hajek_se(y, weights, pools)
    bounds: tuple[float, float] | None = None
    bounds_ci: tuple[float, float] | None = None
    if kind != "continuous":
        if estimate is None:  # nothing covered: the target mean may be anything in [0, 1]
            bounds = bounds_ci = (0.0, 1.0)
        else:
            bounds = manski_bounds(estimate, covered)
            if ci is not None:
                bounds_ci = (manski_bounds(ci[0], covered)[0], manski_bounds(ci[1], covered)[1])
    return Fused(
        n=n,
        benchmark_mean=bench,
        reweighted_mean=estimate,
        ci=ci,
        ci_method=method,
        se=se,
        ess=kish_ess(weights),
        max_weight_share=max_weight_share(weights),
        covered_mass=covered,
        bounds=bounds,
        bounds_ci=bounds_ci,
        counts=counts,
        target=target,
        weights=stratum_weight,
        means=means,
    )
