"""Resampling: the bootstrap and permutation engine every family uses (``docs/metrics/statistics.md``).

The pieces, each small and reused:

* draws — :func:`bootstrap_indices` (``rng.integers(0, n, (B, n))``: B resamples of n units with replacement) and
  :func:`bootstrap_counts` (the same draws as an ``(B, n)`` matrix of multiplicities, for weighted statistics);
* summaries of the replicates — :func:`percentile_interval` (the percentile interval, Efron & Tibshirani 1993,
  ch. 13), :func:`bootstrap_p_value` (two-sided, from the share of replicates on either side of 0),
  :func:`permutation_p_value` (``(1 + exceedances) / (draws + 1)``, never 0) and :func:`null_z_score`;
* estimators built on them — :func:`mean_interval` (mean with a bootstrap CI), :func:`mean_difference` and
  :func:`median_shift` (two samples, paired or not), :func:`stratified_difference` (a within-stratum difference of
  two arms with a cluster bootstrap and a within-stratum permutation test, stopped early by Besag & Clifford's rule).

Every function takes its seed or generator: the same input gives the same numbers, and the order of the draws is
part of the contract (a report's confidence intervals do not move when code around them changes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "SEED",
    "Comparison",
    "MeanInterval",
    "StratifiedDifference",
    "bootstrap_counts",
    "bootstrap_indices",
    "bootstrap_p_value",
    "central_levels",
    "mean_difference",
    "mean_interval",
    "median_shift",
    "null_z_score",
    "percentile_interval",
    "permutation_p_value",
    "stratified_difference",
]

Array = npt.NDArray[np.float64]

BOOTSTRAP_RESAMPLES: Final = 2000
"""Default bootstrap resamples B."""
SEED: Final = 20140401
"""Default seed of :func:`mean_difference`, :func:`median_shift` and the change-point test (the trends family)."""
_PERM_BATCH: Final = 100
_PERM_BATCH_CELLS: Final = 2_000_000
""":func:`stratified_difference` draws permutations in batches of at most 100 and at most this many
(permutation × unit) cells."""


# ---------------------------------------------------------------------------------------------------------------------
# draws and summaries
# ---------------------------------------------------------------------------------------------------------------------


def bootstrap_indices(rng: np.random.Generator, n: int, resamples: int) -> npt.NDArray[np.int64]:
    """``(resamples, n)`` unit indices: each row one bootstrap resample of n units drawn with replacement."""
    return rng.integers(0, n, size=(resamples, n))


def bootstrap_counts(rng: np.random.Generator, n: int, resamples: int) -> Array:
    """``(resamples, n)`` multiplicities: how often each unit is in each resample (the draws of
    :func:`bootstrap_indices`, counted), so that a weighted statistic of a resample is one matrix product."""
    picks = bootstrap_indices(rng, n, resamples) + (np.arange(resamples) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def central_levels(confidence: float) -> tuple[float, float]:
    """The quantile levels ``((1 − c)/2, 1 − (1 − c)/2)`` of a central interval at confidence c."""
    tail = (1.0 - confidence) / 2.0
    return tail, 1.0 - tail


def percentile_interval(replicates: Array, levels: tuple[float, float]) -> tuple[float, float]:
    """The percentile interval: the ``levels`` quantiles of the bootstrap replicates (numpy's linear interpolation).

    ``levels`` are probabilities, e.g. :func:`central_levels` ``(0.95)`` or ``(0.025, 0.975)``; they are taken as
    given, so that a caller's numbers are reproducible to the last bit.
    """
    low, high = np.quantile(replicates, list(levels))
    return float(low), float(high)


def bootstrap_p_value(replicates: Array, estimate: float) -> float:
    """Two-sided bootstrap p-value of "the effect is 0": ``min(1, 2·min(P*(Δ* ≤ 0), P*(Δ* ≥ 0)))``, each share
    counted with +1 in numerator and denominator; 1 when the estimate is 0 and every replicate equals it."""
    b = replicates.size
    below = (1.0 + float(np.count_nonzero(replicates <= 0))) / (b + 1.0)
    above = (1.0 + float(np.count_nonzero(replicates >= 0))) / (b + 1.0)
    p = min(1.0, 2.0 * min(below, above))
    if estimate == 0 and float(np.ptp(replicates)) == 0:
        p = 1.0
    return p


@overload
def permutation_p_value(exceedances: int, draws: int) -> float: ...
@overload
def permutation_p_value(exceedances: npt.NDArray[Any], draws: int) -> Array: ...
def permutation_p_value(exceedances: int | npt.NDArray[Any], draws: int) -> float | Array:
    """``(1 + exceedances) / (draws + 1)``: the permutation p-value that counts the observed arrangement as one of
    the draws, so it is never 0 (Phipson & Smyth 2010). ``exceedances`` may be a number or an array."""
    return (1.0 + exceedances) / (draws + 1.0)


def null_z_score(observed: npt.NDArray[Any], null: Array) -> Array:
    """``(observed − mean) / sd`` of each row's value against its row of null draws ``null`` ``(R, B)`` (sd with
    ddof 1); NaN where the null draws all agree (sd = 0)."""
    sd = null.std(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, (observed - null.mean(axis=1)) / sd, np.nan)


# ---------------------------------------------------------------------------------------------------------------------
# one sample: a mean with its interval
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeanInterval:
    """The mean of ``n`` finite values and its bootstrap interval (``None`` below 2 values, or without values)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int


def mean_interval(
    values: Iterable[float | None],
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    levels: tuple[float, float] = (0.025, 0.975),
) -> MeanInterval:
    """The mean of the finite ``values`` (None, NaN and ±inf left out) with a percentile bootstrap interval.

    The n values are resampled ``resamples`` times with replacement (generator ``default_rng(seed)``), the interval
    is the ``levels`` quantiles of the resample means (default the 2.5th and 97.5th percentiles).
    """
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    n = int(finite.shape[0])
    if n == 0:
        return MeanInterval(None, None, None, 0)
    mean = float(finite.mean())
    if n < 2:
        return MeanInterval(mean, None, None, n)
    draws = finite[bootstrap_indices(np.random.default_rng(seed), n, resamples)].mean(axis=1)
    low, high = percentile_interval(draws, levels)
    return MeanInterval(mean, low, high, n)


# ---------------------------------------------------------------------------------------------------------------------
# two samples: Δ with its interval and p-value
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """An effect Δ with its percentile-bootstrap CI and a two-sided bootstrap p-value; ``n`` units compared."""

    delta: float
    low: float | None
    high: float | None
    p_value: float | None
    n: int


def _replicates(values: Array, statistic: Callable[..., Array], rng: np.random.Generator, resamples: int) -> Array:
    return statistic(values[bootstrap_indices(rng, values.size, resamples)], axis=1)


def _compare(boot: Array, delta: float, confidence: float, n: int) -> Comparison:
    low, high = percentile_interval(boot, central_levels(confidence))
    return Comparison(delta, low, high, bootstrap_p_value(boot, delta), n)


def median_shift(
    before: npt.ArrayLike,
    after: npt.ArrayLike,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> Comparison:
    """Δ = median(after) − median(before), CI by resampling each side independently (percentile bootstrap).

    ``n`` is the smaller side. Deterministic for a given ``seed`` (``before`` is resampled first).
    """
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        raise ValueError("median_shift needs values on both sides")
    delta = float(np.median(b) - np.median(a))
    rng = np.random.default_rng(seed)
    boot_a = _replicates(a, np.median, rng, resamples)
    boot_b = _replicates(b, np.median, rng, resamples)
    return _compare(boot_b - boot_a, delta, confidence, int(min(a.size, b.size)))


def mean_difference(
    before: npt.ArrayLike,
    after: npt.ArrayLike,
    *,
    paired: bool,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> Comparison:
    """Δ = mean(after − before) (``paired``: the same units measured twice) or mean(after) − mean(before).

    Paired: the per-unit differences are resampled (units = tasks present in both runs); unpaired: each side is
    resampled on its own, ``before`` first. Percentile-bootstrap CI and two-sided bootstrap p-value (Efron &
    Tibshirani 1993). ``n``: pairs, or the smaller side. A side with fewer than 2 values gives Δ with no CI and no
    p-value.
    """
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if paired:
        if a.shape != b.shape:
            raise ValueError("paired comparison needs equally long sides")
        diff = b - a
        delta = float(diff.mean()) if diff.size else math.nan
        if diff.size < 2:
            return Comparison(delta, None, None, None, int(diff.size))
        return _compare(_replicates(diff, np.mean, rng, resamples), delta, confidence, int(diff.size))
    if a.size == 0 or b.size == 0:
        raise ValueError("mean_difference needs values on both sides")
    delta = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return Comparison(delta, None, None, None, int(min(a.size, b.size)))
    boot_a = _replicates(a, np.mean, rng, resamples)
    boot_b = _replicates(b, np.mean, rng, resamples)
    return _compare(boot_b - boot_a, delta, confidence, int(min(a.size, b.size)))


# ---------------------------------------------------------------------------------------------------------------------
# a stratified difference: cluster bootstrap and within-stratum permutations
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StratifiedDifference:
    """Δ̂ with its interval, permutation p-value and support (see :func:`stratified_difference`).

    ``n_strata``: strata with both arms; ``support_treated`` / ``support_control``: units of each arm in them.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_strata: int
    support_treated: int
    support_control: int


def stratified_difference(
    y: Array,
    treated: npt.NDArray[np.bool_],
    strata: npt.NDArray[np.int64],
    *,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    n_perm: int = 2000,
    ci_level: float = 0.95,
    perm_stop: int = 100,
    rng: np.random.Generator | None = None,
) -> StratifiedDifference:
    """The within-stratum difference Δ̂ of ``y`` between treated and control units, with a CI and a p-value.

    Δ̂ = Σ_t ω_t (ȳ_{t,1} − ȳ_{t,0}) / Σ_t ω_t over the strata t having both arms, ω_t = n_{t,1} n_{t,0} /
    (n_{t,1} + n_{t,0}) (∝ the harmonic mean of the arm counts: the inverse variance of the difference under equal
    within-stratum variances; the Cochran–Mantel–Haenszel weights). Units with a non-finite ``y`` are left out;
    ``strata`` are integer codes ≥ 0.

    * Interval: a percentile interval at ``ci_level`` of a cluster bootstrap that resamples whole strata ``n_boot``
      times (Efron & Tibshirani 1993, §8 on resampling clusters as units); one multinomial draw matrix
      (:func:`bootstrap_counts`); none with fewer than 2 strata.
    * p-value: ``treated`` is permuted within strata (arm sizes fixed), two-sided. With the harmonic-mean weights,
      Δ̂ Σω = Σ_t S_{t,1} − Σ_t n_{t,1} ȳ_t (S_{t,1} the treated arm's sum), so only the treated-arm sums move under
      a permutation: a permuted arm of stratum t is the n_{t,1} values with the smallest of fresh uniform keys;
      strata of similar size (within 25 %) are padded into one matrix, one sort per batch of 100 permutations.
      p = (1 + #{|Δ*| ≥ |Δ̂|}) / (n_perm + 1), or, once ``perm_stop`` permutations were at least as extreme
      (sequential stopping, Besag & Clifford 1991, Biometrika 78:301–304; 0: never stop early), exceedances / draws.

    The bootstrap draws come first from ``rng`` (default ``default_rng(0)``), then the permutation keys.
    """
    gen = rng if rng is not None else np.random.default_rng(0)
    ok = np.isfinite(y)
    y, treated, strata = y[ok], treated[ok], strata[ok]
    if y.size == 0:
        return StratifiedDifference(None, None, None, None, 0, 0, 0)
    size = int(strata.max()) + 1
    n1 = np.bincount(strata[treated], minlength=size)
    n0 = np.bincount(strata[~treated], minlength=size)
    both = (n1 > 0) & (n0 > 0)
    n_strata = int(both.sum())
    if n_strata == 0:
        return StratifiedDifference(None, None, None, None, 0, 0, 0)
    s1 = np.bincount(strata[treated], weights=y[treated], minlength=size)
    s0 = np.bincount(strata[~treated], weights=y[~treated], minlength=size)
    b1, b0 = n1[both].astype(np.float64), n0[both].astype(np.float64)
    d = s1[both] / b1 - s0[both] / b0
    w = b1 * b0 / (b1 + b0)
    estimate = float(np.dot(w, d) / w.sum())

    ci_low = ci_high = None
    if n_strata >= 2:
        draws = bootstrap_counts(gen, n_strata, n_boot)
        ci_low, ci_high = percentile_interval((draws @ (w * d)) / (draws @ w), central_levels(ci_level))

    sizes = (n1 + n0)[both]
    centre = float(np.dot(n1[both], (s1[both] + s0[both]) / sizes))
    observed = abs(float(s1[both].sum()) - centre)
    p_value = _stratified_permutation_p(
        y, strata, n1, n0, both, centre, observed - 1e-9 * (1.0 + observed), n_perm, perm_stop, gen
    )
    return StratifiedDifference(estimate, ci_low, ci_high, p_value, n_strata, int(n1[both].sum()), int(n0[both].sum()))


def _stratified_permutation_p(
    y: Array,
    strata: npt.NDArray[np.int64],
    n1: npt.NDArray[np.int64],
    n0: npt.NDArray[np.int64],
    both: npt.NDArray[np.bool_],
    centre: float,
    threshold: float,
    n_perm: int,
    perm_stop: int,
    gen: np.random.Generator,
) -> float:
    """The permutation p-value of :func:`stratified_difference`: treated-arm sums of random within-stratum subsets,
    ``|Σ − centre| ≥ threshold`` counted as at least as extreme."""
    sizes = (n1 + n0)[both]
    labels = np.flatnonzero(both)
    order = np.argsort(strata, kind="stable")
    y_sorted, sorted_strata = y[order], strata[order]
    bins = np.floor(np.log(sizes) / np.log(1.25)).astype(np.int64)
    groups: list[tuple[Any, Any, Any, Any]] = []
    for bin_id in np.unique(bins):
        members = labels[bins == bin_id]
        lengths = (n1 + n0)[members]
        width = int(lengths.max())
        starts = np.searchsorted(sorted_strata, members)
        cols = np.arange(width)[None, :]
        pad = cols >= lengths[:, None]
        matrix = np.where(pad, 0.0, y_sorted[np.minimum(starts[:, None] + cols, y_sorted.size - 1)])
        groups.append((matrix, pad, n1[members] - 1, np.arange(members.size)))
    cells = int(sum(g[0].size for g in groups))
    batch = max(1, min(n_perm, _PERM_BATCH, _PERM_BATCH_CELLS // max(cells, 1)))
    exceed = 0
    done = 0
    while done < n_perm:
        b = min(batch, n_perm - done)
        total = np.zeros(b)
        for matrix, pad, kth, rows in groups:
            keys = gen.random((b, *matrix.shape))
            keys[:, pad] = 2.0  # padding sorts after every uniform key
            cut = np.sort(keys, axis=2)[:, rows, kth]
            total += np.einsum("brj,rj->b", keys <= cut[:, :, None], matrix)
        exceed += int(np.count_nonzero(np.abs(total - centre) >= threshold))
        done += b
        if perm_stop and exceed >= perm_stop and done < n_perm:
            return exceed / done  # Besag–Clifford: p is clearly large; exceedances / draws estimates it
    return permutation_p_value(exceed, n_perm)
