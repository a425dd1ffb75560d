"""The statistics behind the trends family: pure numpy/scipy functions over one short series (METHODS §5).

* :func:`e_divisive` — change points by the E-divisive procedure (Matteson & James 2014, *A nonparametric approach
  for multiple change point analysis of multivariate data*, JASA 109:334–345; as used for performance testing by
  MongoDB, Daly et al. 2020, *The use of change point detection to identify software performance regressions in a
  continuous integration system*, ICPE '20), each split tested by a permutation test.
* :func:`mann_kendall` — the Mann–Kendall trend test (Mann 1945, Kendall 1975): Kendall's τ between the values and
  the run index, exact null distribution without ties (``scipy.stats.kendalltau(method="exact")``).
* :func:`sen_slope` — the Theil–Sen slope (Theil 1950, Sen 1968) with its confidence interval
  (``scipy.stats.theilslopes``).
* :func:`ols_slope`, :func:`lag1_autocorrelation`, :func:`median_shift` (bootstrap CI of a difference of medians),
  :func:`mean_difference` (paired or unpaired bootstrap CI of a difference of means), :func:`benjamini_hochberg`.

Everything is deterministic: the random parts take a seed. Series are short (at most a few hundred runs), so the
E-divisive statistic is computed for every candidate split and every permutation at once with numpy.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "PERMUTATIONS",
    "SEED",
    "ChangePoint",
    "Comparison",
    "MannKendall",
    "SenSlope",
    "benjamini_hochberg",
    "e_divisive",
    "e_divisive_statistic",
    "lag1_autocorrelation",
    "mann_kendall",
    "mean_difference",
    "median_shift",
    "ols_slope",
    "sen_slope",
]

Array = npt.NDArray[np.float64]

PERMUTATIONS: Final = 999
"""B, the permutations of the E-divisive significance test (the smallest attainable p-value is 1/(B+1) = 0.001)."""
BOOTSTRAP_RESAMPLES: Final = 2000
"""Bootstrap resamples of the confidence intervals of Δ."""
SEED: Final = 20140401
"""Default seed of every random draw (permutations, bootstrap): the same input gives the same report."""
_MAX_CELLS: Final = 1 << 22
"""Distance-matrix cells computed at once (permutations are processed in chunks of this many n×n cells)."""
_BATCH: Final = 100
"""Permutations per batch of the E-divisive test; the test stops after a batch once p > α is certain."""
_EXACT_MAX_N: Final = 500
"""Above this length the Mann–Kendall p-value uses the normal approximation (the exact one is slow and equal)."""


def _as_array(values: npt.ArrayLike) -> Array:
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------------------------
# E-divisive
# ---------------------------------------------------------------------------------------------------------------------


def e_divisive_statistic(z: npt.ArrayLike, *, min_size: int = 3) -> Array:
    """Q̂(τ) of Matteson & James (2014) for every split τ of each row of ``z`` (shape ``(n,)`` or ``(B, n)``).

    For a split into X = z[:τ] and Y = z[τ:] (sizes τ and m = n − τ) with distances |·|¹ (exponent α = 1)::

        Ê(τ) = 2/(τ·m) Σᵢⱼ |Xᵢ − Yⱼ| − 1/C(τ,2) Σᵢ<ₖ |Xᵢ − Xₖ| − 1/C(m,2) Σⱼ<ₖ |Yⱼ − Yₖ|
        Q̂(τ) = τ·m/n · Ê(τ)

    Returns an array of shape ``(..., n − 2·min_size + 1)``: column j is τ = min_size + j (both segments at least
    ``min_size`` ≥ 2 long). Computed from the row sums of the lower and upper triangles of the distance matrix, so
    all splits of all rows cost O(B·n²).
    """
    if min_size < 2:
        raise ValueError(f"min_size must be >= 2, got {min_size}")
    arr = _as_array(z)
    rows = arr[None, :] if arr.ndim == 1 else arr
    n = rows.shape[1]
    taus = np.arange(min_size, n - min_size + 1)
    if taus.size == 0:
        return np.empty((*arr.shape[:-1], 0), dtype=np.float64)
    dist = np.abs(rows[:, :, None] - rows[:, None, :])
    lower = np.einsum("bjk,jk->bj", dist, np.tri(n, n, -1))  # r_j = Σ_{k<j} |z_j − z_k|
    upper = dist.sum(axis=2) - lower  # c_j = Σ_{k>j} |z_j − z_k|
    total = 2.0 * lower.sum(axis=1, keepdims=True)
    within_left = 2.0 * np.cumsum(lower, axis=1)[:, taus - 1]  # full-block sums of X
    within_right = 2.0 * np.cumsum(upper[:, ::-1], axis=1)[:, ::-1][:, taus]  # full-block sums of Y
    cross = (total - within_left - within_right) / 2.0
    m = n - taus
    e_hat = 2.0 * cross / (taus * m) - within_left / (taus * (taus - 1)) - within_right / (m * (m - 1))
    q_hat: Array = (taus * m / n) * e_hat
    return q_hat[0] if arr.ndim == 1 else q_hat


def _best_split(x: Array, min_size: int) -> tuple[int, float]:
    q = e_divisive_statistic(x, min_size=min_size)
    j = int(np.argmax(q))
    return min_size + j, float(q[j])


def _permuted_max(x: Array, min_size: int, permutations: int, rng: np.random.Generator) -> Array:
    """max_τ Q̂ of ``permutations`` random permutations of ``x`` (computed in chunks)."""
    n = x.size
    chunk = max(1, _MAX_CELLS // (n * n))
    out: list[Array] = []
    done = 0
    while done < permutations:
        size = min(chunk, permutations - done)
        perms = rng.permuted(np.broadcast_to(x, (size, n)), axis=1)
        out.append(e_divisive_statistic(perms, min_size=min_size).max(axis=1))
        done += size
    return np.concatenate(out)


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """A change point: the series changes between index ``index − 1`` and ``index`` (0-based).

    ``statistic``: Q̂ of the split within its segment; ``p_value``: its permutation p-value; ``order``: 1 for the
    first change point found, 2 for the second …
    """

    index: int
    statistic: float
    p_value: float
    order: int


def e_divisive(
    x: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    permutations: int = PERMUTATIONS,
    min_size: int = 3,
    seed: int = SEED,
    max_change_points: int | None = None,
) -> list[ChangePoint]:
    """Significant change points of ``x`` by E-divisive (Matteson & James 2014), sorted by index.

    Hierarchical: each round finds, within every current segment, the split maximising Q̂
    (:func:`e_divisive_statistic`, both parts at least ``min_size`` long) and takes the segment whose best split has
    the largest Q̂. Its significance is a permutation test: the observations are permuted within each current
    segment ``permutations`` times and the statistic recomputed the same way (best split of every segment, largest
    one); p = (1 + #{permuted ≥ observed}) / (permutations + 1). The split is kept when p ≤ ``alpha`` and the
    search continues in the new segments; the first non-significant round ends it. A constant series has no change.
    Permutations run in batches of 100; once so many exceed the observed statistic that p > ``alpha`` is certain the
    round stops (the decision is that of all B; its p-value, not reported, would be (1 + exceedances)/(done + 1)).

    The second segment of a split always runs to the end of its segment (the κ of the paper is not searched);
    the hierarchical rounds find changes in the middle of a segment instead. Deterministic for a given ``seed``.
    """
    arr = _as_array(x)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("the series must be finite (drop missing runs first)")
    rng = np.random.default_rng(seed)
    bounds = [0, arr.size]
    found: list[ChangePoint] = []
    while max_change_points is None or len(found) < max_change_points:
        segments = [(a, b) for a, b in itertools.pairwise(bounds) if b - a >= 2 * min_size]
        segments = [(a, b) for a, b in segments if np.ptp(arr[a:b]) > 0]
        if not segments:
            break
        best = [(a, *_best_split(arr[a:b], min_size)) for a, b in segments]
        start, tau, observed = max(best, key=lambda item: item[2])
        tolerance = 1e-9 * max(1.0, abs(observed))
        exceed, done = 0, 0
        while done < permutations:  # batches; stop once p > alpha is certain (the decision is that of all B)
            size = min(_BATCH, permutations - done)
            null = np.full(size, -np.inf)
            for a, b in segments:
                null = np.maximum(null, _permuted_max(arr[a:b], min_size, size, rng))
            exceed += int(np.count_nonzero(null >= observed - tolerance))
            done += size
            if (1.0 + exceed) / (permutations + 1.0) > alpha:
                break
        p_value = (1.0 + exceed) / (done + 1.0)
        if done < permutations or p_value > alpha:
            break
        found.append(ChangePoint(start + tau, observed, p_value, len(found) + 1))
        bounds = sorted([*bounds, start + tau])
    return sorted(found, key=lambda c: c.index)


# ---------------------------------------------------------------------------------------------------------------------
# Trend tests
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MannKendall:
    """Kendall's τ between the series and its index, the two-sided p-value, and how it was computed."""

    tau: float | None
    p_value: float | None
    method: str | None


def mann_kendall(x: npt.ArrayLike) -> MannKendall:
    """The Mann–Kendall test of a monotone trend: Kendall's τ-b of (index, value), two-sided p-value.

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


@dataclass(frozen=True, slots=True)
class SenSlope:
    """The Theil–Sen slope (per run) with its confidence interval."""

    slope: float | None
    low: float | None
    high: float | None


def sen_slope(x: npt.ArrayLike, *, confidence: float = 0.95) -> SenSlope:
    """Theil–Sen slope: the median of (xⱼ − xᵢ)/(j − i) over i < j, per run; CI from ``scipy.stats.theilslopes``.

    The CI is the distribution-free interval of Sen (1968) at ``confidence``. Null below 2 values.
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


def ols_slope(x: npt.ArrayLike) -> float | None:
    """Ordinary least-squares slope of the series against its index (per run); null below 2 values.

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


# ---------------------------------------------------------------------------------------------------------------------
# Effect sizes with bootstrap confidence intervals
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """An effect Δ with its percentile-bootstrap CI and a two-sided bootstrap p-value; ``n`` units compared."""

    delta: float
    low: float | None
    high: float | None
    p_value: float | None
    n: int


def _percentile_ci(boot: Array, delta: float, confidence: float) -> tuple[float, float, float]:
    """(low, high, two-sided p) of bootstrap replicates: p = min(1, 2·min(P*(Δ* ≤ 0), P*(Δ* ≥ 0))) with +1."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    b = boot.size
    below = (1.0 + float(np.count_nonzero(boot <= 0))) / (b + 1.0)
    above = (1.0 + float(np.count_nonzero(boot >= 0))) / (b + 1.0)
    p = min(1.0, 2.0 * min(below, above))
    if delta == 0 and float(np.ptp(boot)) == 0:
        p = 1.0
    return float(low), float(high), p


def median_shift(
    before: npt.ArrayLike,
    after: npt.ArrayLike,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> Comparison:
    """Δ = median(after) − median(before), CI by resampling each side independently (percentile bootstrap).

    ``n`` is the smaller side. Deterministic for a given ``seed``.
    """
    a = _as_array(before)
    b = _as_array(after)
    if a.size == 0 or b.size == 0:
        raise ValueError("median_shift needs values on both sides")
    delta = float(np.median(b) - np.median(a))
    rng = np.random.default_rng(seed)
    boot_a = np.median(a[rng.integers(0, a.size, size=(resamples, a.size))], axis=1)
    boot_b = np.median(b[rng.integers(0, b.size, size=(resamples, b.size))], axis=1)
    low, high, p = _percentile_ci(boot_b - boot_a, delta, confidence)
    return Comparison(delta, low, high, p, int(min(a.size, b.size)))


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
    resampled on its own. Percentile-bootstrap CI and two-sided bootstrap p-value (Efron & Tibshirani 1993).
    ``n``: pairs, or the smaller side. A side with fewer than 2 values gives Δ with no CI and no p-value.
    """
    a = _as_array(before)
    b = _as_array(after)
    rng = np.random.default_rng(seed)
    if paired:
        if a.shape != b.shape:
            raise ValueError("paired comparison needs equally long sides")
        diff = b - a
        delta = float(diff.mean()) if diff.size else math.nan
        if diff.size < 2:
            return Comparison(delta, None, None, None, int(diff.size))
        boot = diff[rng.integers(0, diff.size, size=(resamples, diff.size))].mean(axis=1)
        low, high, p = _percentile_ci(boot, delta, confidence)
        return Comparison(delta, low, high, p, int(diff.size))
    if a.size == 0 or b.size == 0:
        raise ValueError("mean_difference needs values on both sides")
    delta = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return Comparison(delta, None, None, None, int(min(a.size, b.size)))
    boot_a = a[rng.integers(0, a.size, size=(resamples, a.size))].mean(axis=1)
    boot_b = b[rng.integers(0, b.size, size=(resamples, b.size))].mean(axis=1)
    low, high, p = _percentile_ci(boot_b - boot_a, delta, confidence)
    return Comparison(delta, low, high, p, int(min(a.size, b.size)))


def benjamini_hochberg(p_values: npt.ArrayLike) -> Array:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values) of a family; NaN stays NaN and is not counted."""
    p = _as_array(p_values)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def _finite(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None
