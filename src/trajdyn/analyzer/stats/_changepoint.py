"""Change points of a short series: the E-divisive procedure with its permutation test (``docs/metrics/statistics.md``).

Matteson & James (2014), *A nonparametric approach for multiple change point analysis of multivariate data*, JASA
109:334–345; as used for performance testing by MongoDB, Daly et al. (2020), *The use of change point detection to
identify software performance regressions in a continuous integration system*, ICPE '20. Series are short (at most a
few hundred runs), so the statistic is computed for every candidate split and every permutation at once with numpy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from trajdyn.analyzer.stats._resample import SEED, permutation_p_value

__all__ = ["PERMUTATIONS", "ChangePoint", "e_divisive", "e_divisive_statistic"]

Array = npt.NDArray[np.float64]

PERMUTATIONS: Final = 999
"""B, the permutations of the E-divisive significance test (the smallest attainable p-value is 1/(B+1) = 0.001)."""
_MAX_CELLS: Final = 1 << 22
"""Distance-matrix cells computed at once (permutations are processed in chunks of this many n×n cells)."""
_BATCH: Final = 100
"""Permutations per batch of the E-divisive test; the test stops after a batch once p > α is certain."""


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
    arr = np.asarray(z, dtype=np.float64)
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
    arr = np.asarray(x, dtype=np.float64)
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
            if permutation_p_value(exceed, permutations) > alpha:
                break
        p_value = permutation_p_value(exceed, done)
        if done < permutations or p_value > alpha:
            break
        found.append(ChangePoint(start + tau, observed, p_value, len(found) + 1))
        bounds = sorted([*bounds, start + tau])
    return sorted(found, key=lambda c: c.index)
