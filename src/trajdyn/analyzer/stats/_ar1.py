"""Change-point and trend tests calibrated under AR(1) run-to-run noise (``docs/metrics/trends.md``, issue 17).

The pieces, vectorised over series (rows) wherever a simulation needs them:

* statistics, invariant to the location and scale of a series — :func:`max_t_split` (the largest two-sample t over
  the splits of a series, with the lag-1 autocorrelation of the residuals around the two segment means) and
  :func:`slope_t` (the t of the least-squares slope, with the lag-1 autocorrelation of the detrended residuals);
* null distributions — :func:`ar1_null_table`: for one length n, both statistics and both autocorrelation
  estimates of no-change AR(1) series at every φ of :data:`PHI_GRID` (Gaussian, or a Gaussian copula carrying the
  series' own values when they have ties); :meth:`Ar1NullTable.unbiased_phi` (Andrews 1993: the φ at which an
  observed estimate is a chosen quantile of its null distribution) and :meth:`Ar1NullTable.p_value`;
* :func:`phi_quantile_level` — q(n) = 0.5 − 2.5/n, the quantile at which φ for the null is read;
* intervals — :func:`ar1_sieve_resample` (Bühlmann 1997), :func:`step_shift_interval`, :func:`trend_drift_interval`;
* :func:`further_splits` — binary segmentation after a first change, each round against AR(1) noise.

Why these and not a permutation test, Hamed–Rao or prewhitening: a step inflates the lag-1 autocorrelation of the
series exactly as AR(1) noise does, so φ must come from the residuals of the alternative being tested, and a
biased, noisy φ̂ at n = 20 must be mapped back through its simulated distribution. The measurements behind every
choice are in ``docs/metrics/trends.md``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from trajdyn.analyzer.stats._resample import (
    BOOTSTRAP_RESAMPLES,
    SEED,
    Comparison,
    bootstrap_indices,
    central_levels,
    percentile_interval,
    permutation_p_value,
)
from trajdyn.analyzer.stats._trend import _slope_pairs

__all__ = [
    "AR1_SIMULATIONS",
    "PHI_GRID",
    "Ar1NullTable",
    "SplitStatistics",
    "TrendStatistics",
    "ar1_null_table",
    "ar1_paths",
    "ar1_sieve_resample",
    "further_splits",
    "max_t_split",
    "phi_quantile_level",
    "slope_t",
    "step_shift_interval",
    "trend_drift_interval",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Which = Literal["step", "trend"]

AR1_SIMULATIONS: Final = 999
"""No-change series simulated per φ of the grid (B of the null tables)."""
PHI_GRID: Final = np.round(np.concatenate([np.arange(-0.5, 0.95, 0.05), [0.95, 0.975, 0.99]]), 4)
"""The φ grid of the null tables (32 points); estimates are clipped to [−0.5, 0.99]."""
_PHI_CI_RANGE: Final = (-0.9, 0.95)
"""φ used by the sieve bootstrap is clipped to this range (a unit root has no stationary resample)."""
_TINY: Final = 1e-300


# ---------------------------------------------------------------------------------------------------------------------
# statistics (rows are series)
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitStatistics:
    """:func:`max_t_split` of each row: ``statistic`` = max |t|, ``index`` = τ̂ (first run after the split), ``t``
    signed, ``phi_hat`` = lag-1 autocorrelation of the segment residuals at τ̂ (pairs across the split left out)."""

    statistic: Array
    index: IntArray
    t: Array
    phi_hat: Array


@dataclass(frozen=True, slots=True)
class TrendStatistics:
    """:func:`slope_t` of each row: ``statistic`` = |t|, ``t`` signed, ``phi_hat`` of the detrended residuals."""

    statistic: Array
    t: Array
    phi_hat: Array


def _pick(values: Array, where: IntArray) -> Array:
    return np.take_along_axis(values, where[..., None], axis=-1)[..., 0]


def max_t_split(z: npt.ArrayLike, min_size: int = 3) -> SplitStatistics:
    """The max-t change-point statistic of each row of ``z`` (shape ``(..., n)``, n ≥ 2·``min_size``).

    For each split τ with both segments ``z[:τ]``, ``z[τ:]`` at least ``min_size`` long, t(τ) = (mean after − mean
    before) / √(s²(1/τ + 1/(n − τ))), s² the pooled within-segment variance on n − 2 degrees of freedom (the
    Gaussian analogue of the E-divisive split search). T = max_τ |t(τ)|, τ̂ its argmax; φ̂ = Σ e_t e_{t−1} / Σ e_t²
    over pairs inside a segment, e the residuals around the segment means at τ̂. O(n) per split from cumulative sums.
    """
    x = np.asarray(z, dtype=np.float64)
    n = x.shape[-1]
    if n < 2 * min_size:
        raise ValueError(f"max_t_split needs at least {2 * min_size} values, got {n}")
    taus = np.arange(min_size, n - min_size + 1)
    cs = np.cumsum(x, axis=-1)
    cs2 = np.cumsum(x * x, axis=-1)
    zero = np.zeros((*x.shape[:-1], 1))
    lag = np.concatenate([zero, np.cumsum(x[..., 1:] * x[..., :-1], axis=-1)], axis=-1)  # lag[k] = Σ_{t≤k} x_t x_{t−1}
    n_before = taus.astype(np.float64)
    n_after = n - n_before
    sum_before = cs[..., taus - 1]
    sum_after = cs[..., -1:] - sum_before
    ss = np.maximum(
        (cs2[..., taus - 1] - sum_before**2 / n_before) + (cs2[..., -1:] - cs2[..., taus - 1] - sum_after**2 / n_after),
        _TINY,
    )
    mean_before, mean_after = sum_before / n_before, sum_after / n_after
    t = (mean_after - mean_before) / np.sqrt(ss / (n - 2) * (1.0 / n_before + 1.0 / n_after))
    best = np.argmax(np.abs(t), axis=-1)
    tau = taus[best]
    sb, sa, mb, ma = _pick(sum_before, best), _pick(sum_after, best), _pick(mean_before, best), _pick(mean_after, best)
    x_last_before, x_first_after = _pick(x, tau - 1), _pick(x, tau)
    pairs_before = _pick(lag, tau - 1)
    pairs_after = lag[..., -1] - _pick(lag, tau)
    # Σ (x_t − m)(x_{t−1} − m) inside each segment, expanded over the cumulative sums
    num = (pairs_before - mb * (2 * sb - x[..., 0] - x_last_before) + (tau - 1) * mb * mb) + (
        pairs_after - ma * (2 * sa - x_first_after - x[..., -1]) + (n - tau - 1) * ma * ma
    )
    signed = _pick(t, best)
    return SplitStatistics(np.abs(signed), tau.astype(np.int64), signed, num / _pick(ss, best))


def slope_t(z: npt.ArrayLike) -> TrendStatistics:
    """The trend statistic of each row: the t of the least-squares slope on the run index (iid variance, n − 2
    degrees of freedom), and φ̂ = lag-1 autocorrelation of the residuals around the fitted line."""
    x = np.asarray(z, dtype=np.float64)
    n = x.shape[-1]
    if n < 3:
        raise ValueError(f"slope_t needs at least 3 values, got {n}")
    tc = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    xc = x - x.mean(axis=-1, keepdims=True)
    sxx = float(tc @ tc)
    slope = (xc @ tc) / sxx
    resid = xc - slope[..., None] * tc
    ss = np.maximum(np.sum(resid * resid, axis=-1), _TINY)
    t = slope / np.sqrt(ss / (n - 2) / sxx)
    phi_hat = np.sum(resid[..., 1:] * resid[..., :-1], axis=-1) / ss
    return TrendStatistics(np.abs(t), t, phi_hat)


def ar1_paths(innovations: Array, phi: float) -> Array:
    """Stationary AR(1) series x_t = φ x_{t−1} + u_t from the rows of ``innovations`` (|φ| < 1; x_0 = u_0/√(1 − φ²))."""
    out = np.empty_like(innovations)
    out[..., 0] = innovations[..., 0] / np.sqrt(1.0 - phi * phi)
    for k in range(1, innovations.shape[-1]):
        out[..., k] = phi * out[..., k - 1] + innovations[..., k]
    return out


# ---------------------------------------------------------------------------------------------------------------------
# null tables
# ---------------------------------------------------------------------------------------------------------------------


def phi_quantile_level(n: int) -> float:
    """q(n) = 0.5 − 2.5/n within [0.1, 0.5]: the quantile of φ̂'s null distribution at which φ for the null is read.

    0.375 at n = 20 (the upper limit of a one-sided 62.5 % interval for φ), 0.25 at n = 10, → 0.5 (median-unbiased)
    as n grows. φ̂'s spread shrinks like 1/√n and the critical value is convex in φ, so a median-unbiased φ
    under-calibrates at small n; this level keeps false regressions under AR(1) φ = 0.6 at 0.06–0.07 for n = 8…40
    (``docs/metrics/trends.md``).
    """
    return float(min(0.5, max(0.1, 0.5 - 2.5 / n)))


@dataclass(frozen=True)
class Ar1NullTable:
    """Sorted null statistics and φ̂ estimates of no-change AR(1) series of length ``n``, one row per φ of
    :data:`PHI_GRID` (``step``, ``phi_step``: :func:`max_t_split`, empty when n < 2·``min_size``; ``trend``,
    ``phi_trend``: :func:`slope_t`)."""

    n: int
    min_size: int
    step: Array
    trend: Array
    phi_step: Array
    phi_trend: Array

    def _sample(self, which: Which, phi: bool) -> Array:
        if which == "step":
            return self.phi_step if phi else self.step
        return self.phi_trend if phi else self.trend

    def unbiased_phi(self, which: Which, phi_hat: npt.ArrayLike, level: float = 0.5) -> Array:
        """The φ of the grid (interpolated) at which ``phi_hat`` is the ``level``-quantile of φ̂'s null distribution
        (Andrews 1993; ``level`` 0.5: median-unbiased; lower levels give an upper confidence limit for φ); the
        shape of ``phi_hat``, clipped to the grid."""
        quantiles = np.maximum.accumulate(np.quantile(self._sample(which, True), level, axis=1))
        ramp = np.arange(quantiles.size) * 1e-12  # strictly increasing for np.interp
        estimate = np.asarray(phi_hat, dtype=np.float64)
        return np.asarray(np.interp(estimate, quantiles + ramp, PHI_GRID), dtype=np.float64)

    def p_value(self, which: Which, statistic: npt.ArrayLike, phi: npt.ArrayLike) -> Array:
        """``(1 + #{T* ≥ T}) / (B + 1)`` from the rows around φ, linearly interpolated in φ (arrays broadcast)."""
        null = self._sample(which, False)
        stat = np.atleast_1d(np.asarray(statistic, dtype=np.float64))
        ph = np.broadcast_to(np.asarray(phi, dtype=np.float64), stat.shape)
        draws = null.shape[1]
        pos = np.interp(ph, PHI_GRID, np.arange(PHI_GRID.size, dtype=np.float64))
        low = np.floor(pos).astype(np.int64)
        high = np.minimum(low + 1, PHI_GRID.size - 1)
        weight = pos - low
        exceed = np.empty((2, stat.size))
        for row, rows in enumerate((low, high)):
            for g in np.unique(rows):
                mask = rows == g
                exceed[row, mask] = draws - np.searchsorted(null[g], stat[mask], side="left")
        p: Array = permutation_p_value((1 - weight) * exceed[0] + weight * exceed[1], draws)
        return p


def ar1_null_table(
    n: int,
    *,
    min_size: int = 3,
    simulations: int = AR1_SIMULATIONS,
    seed: int = SEED,
    marginal: npt.ArrayLike | None = None,
) -> Ar1NullTable:
    """Simulate ``simulations`` no-change AR(1) series of length ``n`` at each φ of :data:`PHI_GRID` and tabulate
    both statistics and both φ̂ estimates (common random numbers: the same innovations at every φ; deterministic).

    The statistics are location- and scale-free, so unit Gaussian AR(1) noise stands for any Gaussian AR(1) noise:
    one table serves every series of that length. With ``marginal`` (a series' values, which have ties) each path
    is mapped through its ranks onto those sorted values instead: an AR(1) Gaussian copula with the observed
    marginal, ties included (the law of t for a 0/1 or count series differs from the Gaussian one). Cached.
    """
    if n < 3:
        raise ValueError(f"ar1_null_table needs n >= 3, got {n}")
    values = None if marginal is None else tuple(float(v) for v in np.sort(np.asarray(marginal, dtype=np.float64)))
    if values is not None and len(values) != n:
        raise ValueError(f"marginal has {len(values)} values for n = {n}")
    return _null_table(n, min_size, simulations, seed, values)


@functools.lru_cache(maxsize=128)
def _null_table(n: int, min_size: int, simulations: int, seed: int, values: tuple[float, ...] | None) -> Ar1NullTable:
    rng = np.random.default_rng([seed, n, min_size])
    innovations = rng.standard_normal((simulations, n))
    sorted_values = None if values is None else np.asarray(values)
    has_split = n >= 2 * min_size
    rows: dict[str, list[Array]] = {"step": [], "trend": [], "phi_step": [], "phi_trend": []}
    for phi in PHI_GRID:
        paths = ar1_paths(innovations, float(phi))
        if sorted_values is not None:
            paths = sorted_values[np.argsort(np.argsort(paths, axis=-1, kind="stable"), axis=-1, kind="stable")]
        if has_split:
            split = max_t_split(paths, min_size)
            rows["step"].append(np.sort(split.statistic))
            rows["phi_step"].append(np.sort(split.phi_hat))
        trend = slope_t(paths)
        rows["trend"].append(np.sort(trend.statistic))
        rows["phi_trend"].append(np.sort(trend.phi_hat))
    empty = np.empty((PHI_GRID.size, 0))
    return Ar1NullTable(
        n,
        min_size,
        np.stack(rows["step"]) if has_split else empty,
        np.stack(rows["trend"]),
        np.stack(rows["phi_step"]) if has_split else empty,
        np.stack(rows["phi_trend"]),
    )


# ---------------------------------------------------------------------------------------------------------------------
# intervals: the AR(1) sieve bootstrap of the residuals
# ---------------------------------------------------------------------------------------------------------------------


def ar1_sieve_resample(
    residuals: npt.ArrayLike, phi: float, breaks: list[int], rng: np.random.Generator, resamples: int
) -> Array:
    """``(resamples, n)`` resampled residual series (Bühlmann 1997): innovations u_t = e_t − φ e_{t−1} (the first
    residual of each segment, whose predecessor lies across a break in ``breaks``, scaled by √(1 − φ²) instead),
    centred, drawn with replacement and filtered back through x_t = φ x_{t−1} + u_t. φ is clipped to [−0.9, 0.95]."""
    e = np.asarray(residuals, dtype=np.float64)
    ph = float(np.clip(phi, *_PHI_CI_RANGE))
    inside = np.ones(e.size, dtype=bool)
    inside[0] = False
    inside[[b for b in breaks if 0 < b < e.size]] = False
    u = e * np.sqrt(1.0 - ph * ph)
    at = np.nonzero(inside)[0]
    u[at] = e[at] - ph * e[at - 1]
    u -= u.mean()
    return ar1_paths(u[bootstrap_indices(rng, e.size, resamples)], ph)


def step_shift_interval(
    x: npt.ArrayLike,
    index: int,
    phi: float,
    *,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = SEED,
) -> Comparison:
    """Δ = median(x[index:]) − median(x[:index]) with a percentile CI from the AR(1) sieve bootstrap at ``phi``.

    The residuals around the two segment *means* are resampled (those around a median of a few values pile up at 0
    and under-cover), added back to the segment means, and Δ recomputed on each resample; φ = 0 gives a residual
    bootstrap. ``n`` is the shorter segment; no p-value (the change point's test gives it).
    """
    arr = np.asarray(x, dtype=np.float64)
    before, after = arr[:index], arr[index:]
    delta = float(np.median(after) - np.median(before))
    fitted = np.where(np.arange(arr.size) < index, before.mean(), after.mean())
    rng = np.random.default_rng([seed, index, arr.size])
    boot = fitted + ar1_sieve_resample(arr - fitted, phi, [index], rng, resamples)
    replicates = np.median(boot[:, index:], axis=1) - np.median(boot[:, :index], axis=1)
    low, high = percentile_interval(replicates, central_levels(confidence))
    return Comparison(delta, low, high, None, int(min(before.size, after.size)))


def trend_drift_interval(
    x: npt.ArrayLike,
    phi: float,
    *,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES // 2,
    seed: int = SEED,
) -> tuple[float, float]:
    """CI of the drift (Theil–Sen slope × (n − 1)) from the AR(1) sieve bootstrap around the least-squares line.

    The residuals are rescaled by √(n/(n − 2)) for the two fitted parameters, resampled at ``phi`` and added back to
    the line; the Sen slope is recomputed on each resample (over the pairs of :func:`theil_sen_slope`). The trends
    family passes the φ of the null (an upper limit): with the median-unbiased φ this interval under-covers (0.87 at
    φ = 0.6, n = 20).
    """
    arr = np.asarray(x, dtype=np.float64)
    n = arr.size
    tc = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    fitted = arr.mean() + ((arr - arr.mean()) @ tc) / (tc @ tc) * tc
    rng = np.random.default_rng([seed, n, 7])
    resid = (arr - fitted) * np.sqrt(n / max(n - 2, 1))
    boot = fitted + ar1_sieve_resample(resid, phi, [], rng, resamples)
    i, j = _slope_pairs(n)
    slopes = np.empty(resamples)
    chunk = max(1, 2_000_000 // max(i.size, 1))
    for start in range(0, resamples, chunk):
        part = boot[start : start + chunk]
        slopes[start : start + chunk] = np.median((part[:, j] - part[:, i]) / (j - i), axis=1)
    low, high = percentile_interval(slopes * (n - 1), central_levels(confidence))
    return low, high


# ---------------------------------------------------------------------------------------------------------------------
# binary segmentation after the first change
# ---------------------------------------------------------------------------------------------------------------------


def _segments_max_t(z: Array, bounds: list[int], min_size: int) -> tuple[Array, IntArray]:
    """The largest within-segment max-t over the segments between ``bounds`` (rows of z), and where it splits."""
    best = np.full(z.shape[:-1], -np.inf)
    where = np.zeros(z.shape[:-1], dtype=np.int64)
    for a, b in itertools.pairwise(bounds):
        if b - a < 2 * min_size:
            continue
        split = max_t_split(z[..., a:b], min_size)
        better = split.statistic > best
        best = np.where(better, split.statistic, best)
        where = np.where(better, a + split.index, where)
    return best, where


def further_splits(
    x: npt.ArrayLike,
    first: int,
    phi: float,
    *,
    alpha: float,
    min_size: int = 3,
    max_changes: int = 3,
    simulations: int = AR1_SIMULATIONS,
    seed: int = SEED,
) -> list[tuple[int, float]]:
    """Change points after the first (at ``first``) by binary segmentation: each round takes the best split inside
    the current segments and tests it against Gaussian AR(1) noise at ``phi`` cut by the same segmentation
    (``simulations`` series, fixed seed); the first round with p > ``alpha`` stops. Returns ``(index, p)`` pairs,
    at most ``max_changes − 1``."""
    arr = np.asarray(x, dtype=np.float64)[None, :]
    n = arr.shape[-1]
    rng = np.random.default_rng([seed, n, 99])
    null_paths = ar1_paths(rng.standard_normal((simulations, n)), float(np.clip(phi, PHI_GRID[0], PHI_GRID[-1])))
    bounds = [0, first, n]
    found: list[tuple[int, float]] = []
    while len(found) + 1 < max_changes:
        observed, where = _segments_max_t(arr, bounds, min_size)
        if not np.isfinite(observed[0]):
            break
        null, _ = _segments_max_t(null_paths, bounds, min_size)
        p = permutation_p_value(int(np.count_nonzero(null >= observed[0] * (1 - 1e-12))), simulations)
        if p > alpha:
            break
        found.append((int(where[0]), p))
        bounds = sorted([*bounds, int(where[0])])
    return found
