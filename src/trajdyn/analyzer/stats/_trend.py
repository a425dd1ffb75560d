"""Trend statistics of a series against its index: Mann–Kendall, Theil–Sen, least squares, lag-1 autocorrelation.

Two named Mann–Kendall variants (``docs/metrics/statistics.md``):

* :func:`mann_kendall` — one series, Kendall's τ-b of (index, value) with the **exact** null distribution when there
  are no ties (``scipy.stats.kendalltau(method="exact")``), else the normal approximation; used where a verdict rests
  on one short series (trends).
* :func:`mann_kendall_z` — many series of one length at once, the normal z with continuity correction and,
  by default, the **lag-1 Hamed–Rao** variance correction for autocorrelated series; used where thousands of short
  series are tested together (the drift of every trajectory).

Two Theil–Sen functions: :func:`theil_sen_slope` (the point estimate over any abscissa, exact up to 300 points) and
:func:`sen_slope` (a series against its index, with Sen's confidence interval from ``scipy.stats.theilslopes``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_SLOPE_PAIRS",
    "MannKendall",
    "SenSlope",
    "lag1_autocorrelation",
    "mann_kendall",
    "mann_kendall_z",
    "ols_slope",
    "sen_slope",
    "theil_sen_slope",
]

Array = npt.NDArray[np.float64]

_EXACT_MAX_N: Final = 500
"""Above this length :func:`mann_kendall` uses the normal approximation (the exact one is slow and equal)."""
MAX_SLOPE_PAIRS: Final = 45_000
"""Above this many point pairs (more than 300 points) :func:`theil_sen_slope` takes the median over this many pairs
drawn with a fixed generator, so that very long series cost O(1) memory."""


def _as_array(values: npt.ArrayLike) -> Array:
    return np.asarray(values, dtype=np.float64)


def _finite(value: object) -> float | None:
    """``float(value)`` when it is a finite number, else ``None`` (a scipy result that is NaN, inf or not a number)."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


# ---------------------------------------------------------------------------------------------------------------------
# Mann–Kendall
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MannKendall:
    """Kendall's τ between the series and its index, the two-sided p-value, and how it was computed."""

    tau: float | None
    p_value: float | None
    method: str | None


def mann_kendall(x: npt.ArrayLike) -> MannKendall:
    """The Mann–Kendall test of a monotone trend (Mann 1945; Kendall 1975): Kendall's τ-b of (index, value), two-sided.

    Exact null distribution (``scipy.stats.kendalltau(method="exact")``) when the series has no ties and at most
    500 values; otherwise the normal approximation with the tie-corrected variance (``method="asymptotic"``).
    A series shorter than 3 or constant has no test (all fields null).
    """
    from scipy import stats

    arr = _as_array(x)
    if arr.size < 3 or np.ptp(arr) == 0:
        return MannKendall(None, None, None)
    exact = arr.size <= _EXACT_MAX_N and np.unique(arr).size == arr.size
    method = "exact" if exact else "asymptotic"
    result = stats.kendalltau(np.arange(arr.size), arr, method=method)
    return MannKendall(_finite(result.statistic), _finite(result.pvalue), method)


def mann_kendall_z(series: npt.NDArray[np.float64], *, autocorrelation: bool = True) -> Array:
    """Mann–Kendall trend z of each row of ``series`` ``(T, m)``, vectorised over the rows; NaN when m < 4.

    ``S = Σ_{i<j} sign(x_j − x_i)``, variance ``(m(m−1)(2m+5) − Σ_ties t(t−1)(2t+5)) / 18``, continuity-corrected
    ``z = (S − sign S) / sqrt(var)`` (Mann 1945; Kendall 1975); values are compared after rounding to 12 decimals,
    so that float noise does not break ties. With ``autocorrelation`` (the **Hamed–Rao lag-1** variant) the variance
    is multiplied by ``1 + 2(m−3)r₁/m`` when the lag-1 autocorrelation r₁ of the ranks of the detrended series
    (least-squares trend) is positive (Hamed & Rao 1998, *A modified Mann–Kendall trend test for autocorrelated
    data*, J. Hydrology 204:182–196, first lag only): consecutive step sizes share a turn and may be positively
    correlated, which makes the plain test over-reject. NaN where the variance is 0 (a constant row).
    """
    t, m = series.shape
    if m < 4:
        return np.full(t, np.nan)
    out = np.empty(t)
    per_chunk = max(1, (1 << 21) // (m * m))
    upper = np.triu(np.ones((m, m), dtype=bool), k=1)
    position = np.arange(m, dtype=np.float64)
    for s0 in range(0, t, per_chunk):
        x = np.round(series[s0 : s0 + per_chunk], 12)
        rows = x.shape[0]
        later, earlier = x[:, None, :], x[:, :, None]  # [r, i, j] compares x_j with x_i
        total = np.count_nonzero((later > earlier) & upper, axis=(1, 2)) - np.count_nonzero(
            (later < earlier) & upper, axis=(1, 2)
        )
        ordered = np.sort(x, axis=1)
        boundary = np.ones(ordered.shape, dtype=bool)
        boundary[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        run_id = (np.cumsum(boundary, axis=1) - 1) + (np.arange(rows) * m)[:, None]
        ties = np.bincount(run_id.ravel(), minlength=rows * m).reshape(rows, m).astype(np.float64)
        correction = (ties * (ties - 1) * (2 * ties + 5)).sum(axis=1)
        variance = (m * (m - 1) * (2 * m + 5) - correction) / 18.0
        if autocorrelation:
            centred_t = position - position.mean()
            slope = (x * centred_t).sum(axis=1) / (centred_t * centred_t).sum()
            residual = x - slope[:, None] * position[None, :]
            ranks = residual.argsort(axis=1).argsort(axis=1).astype(np.float64)
            ranks -= ranks.mean(axis=1, keepdims=True)
            denom = (ranks * ranks).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                r1 = np.where(denom > 0, (ranks[:, 1:] * ranks[:, :-1]).sum(axis=1) / denom, 0.0)
            variance = variance * np.where(r1 > 0, 1.0 + 2.0 * (m - 3) * r1 / m, 1.0)
        total_f = total.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s0 : s0 + rows] = np.where(variance > 0, (total_f - np.sign(total_f)) / np.sqrt(variance), np.nan)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Theil–Sen
# ---------------------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _slope_pairs(n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Index pairs i < j of :func:`theil_sen_slope`: all of them, or :data:`MAX_SLOPE_PAIRS` drawn with seed n."""
    if n * (n - 1) // 2 <= MAX_SLOPE_PAIRS:
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int64), j.astype(np.int64)
    rng = np.random.default_rng(n)
    a = rng.integers(0, n, MAX_SLOPE_PAIRS)
    b = rng.integers(0, n - 1, MAX_SLOPE_PAIRS)
    b = b + (b >= a)  # a pair of distinct points
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


def theil_sen_slope(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Theil–Sen slope (Theil 1950; Sen 1968): the median of ``(y_j − y_i) / (x_j − x_i)`` over i < j with x_j ≠ x_i.

    NaN without any such pair. Exact up to 300 points (it then equals ``scipy.stats.theilslopes``, which also
    computes a confidence interval and costs more per call); beyond, the median over :data:`MAX_SLOPE_PAIRS` pairs
    drawn with a generator seeded by the number of points.
    """
    i, j = _slope_pairs(len(x))
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        return math.nan
    return float(np.median((y[j] - y[i])[ok] / dx[ok]))


@dataclass(frozen=True, slots=True)
class SenSlope:
    """The Theil–Sen slope (per index step) with its confidence interval."""

    slope: float | None
    low: float | None
    high: float | None


def sen_slope(x: npt.ArrayLike, *, confidence: float = 0.95) -> SenSlope:
    """Theil–Sen slope of a series against its index, ``median (x_j − x_i)/(j − i)`` over i < j, with its CI.

    The CI is the distribution-free interval of Sen (1968) at ``confidence`` (``scipy.stats.theilslopes``). Null
    below 2 values; 2 values give their difference without a CI; a constant series gives 0 with the CI [0, 0].
    """
    from scipy import stats

    arr = _as_array(x)
    if arr.size < 2:
        return SenSlope(None, None, None)
    if arr.size == 2 or np.ptp(arr) == 0:
        slope = float(np.median(np.diff(arr))) if arr.size == 2 else 0.0
        return SenSlope(slope, None if arr.size == 2 else 0.0, None if arr.size == 2 else 0.0)
    result = stats.theilslopes(arr, np.arange(arr.size, dtype=np.float64), alpha=confidence)
    return SenSlope(_finite(result.slope), _finite(result.low_slope), _finite(result.high_slope))


# ---------------------------------------------------------------------------------------------------------------------
# Least squares and autocorrelation
# ---------------------------------------------------------------------------------------------------------------------


def ols_slope(x: npt.ArrayLike) -> float | None:
    """Ordinary least-squares slope of the series against its index (per index step); null below 2 values.

    The PinchBench RunTrendAnalyzer's statistic (``statistics.linear_regression`` over the run index).
    """
    arr = _as_array(x)
    if arr.size < 2:
        return None
    t = np.arange(arr.size, dtype=np.float64)
    t -= t.mean()
    return float(np.dot(t, arr - arr.mean()) / np.dot(t, t))


def lag1_autocorrelation(x: npt.ArrayLike) -> float | None:
    """r₁ = Σₜ (xₜ − x̄)(xₜ₊₁ − x̄) / Σₜ (xₜ − x̄)²: the sample lag-1 autocorrelation (Box & Jenkins).

    Null below 3 values or for a constant series.
    """
    arr = _as_array(x)
    if arr.size < 3:
        return None
    dev = arr - arr.mean()
    denom = float(np.dot(dev, dev))
    if denom <= 0:
        return None
    return float(np.dot(dev[:-1], dev[1:]) / denom)
