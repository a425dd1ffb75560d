"""Noise of a curve without replicates: the robust scale of its pseudo-residuals (Gasser, Sroka & Jennen-Steinmetz
1986, "Residual variance and residual pattern in nonlinear regression", Biometrika 73(3)).

For ordered points ``(x_i, y_i)`` with ``y_i = f(x_i) + ε_i``, ``ε_i`` independent with SD σ, the pseudo-residual of
an inner point is its distance from the straight line through its two neighbours,
``r_i = y_i − (w_i·y_{i−1} + (1 − w_i)·y_{i+1})`` with ``w_i = (x_{i+1} − x_i)/(x_{i+1} − x_{i−1})``, whose variance
is ``σ²(1 + w_i² + (1 − w_i)²)`` where ``f`` is locally linear. Scaled to unit variance and summarised by
``1.4826 · median |r̃_i|`` (the MAD consistency constant for a normal), one cliff or kink in the curve moves the
estimate little. See docs/metrics/sweeps.md#noise.

Noise of replicates run on shared blocks (the same scenarios at every value of a sweep): :func:`blocked_noise` fits the
additive two-way model ``y = α_level + β_block + ε`` by least squares, so that the blocks' own spread (a hard scenario
is hard at every value) is not taken for noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np

__all__ = ["MAD_NORMAL", "blocked_noise", "pseudo_residual_sd"]

_ROUNDING: Final = 1e-12

MAD_NORMAL: Final = 1.482602218505602
"""1 / Φ⁻¹(3/4): the median absolute deviation times this estimates σ for normal data."""


def pseudo_residual_sd(x: Sequence[float], y: Sequence[float]) -> float | None:
    """σ̂ of the noise around a smooth curve through ``(x, y)`` (``x`` strictly increasing); ``None`` below 3 points.

    An estimate below 1e-12 of the curve's scale is floating-point rounding and is returned as exactly 0.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.size < 3 or xs.size != ys.size:
        return None
    span = xs[2:] - xs[:-2]
    if np.any(span <= 0) or not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        return None
    w = (xs[2:] - xs[1:-1]) / span
    r = ys[1:-1] - (w * ys[:-2] + (1.0 - w) * ys[2:])
    scaled = r / np.sqrt(1.0 + w * w + (1.0 - w) ** 2)
    value = float(MAD_NORMAL * np.median(np.abs(scaled)))
    if value <= _ROUNDING * max(1.0, float(np.max(np.abs(ys)))):
        return 0.0  # floating-point rounding of an exactly linear or flat curve, not noise
    return value if math.isfinite(value) else None


def blocked_noise(
    levels: Sequence[int], blocks: Sequence[int], y: Sequence[float], n_levels: int
) -> tuple[list[float], float, int, list[list[float]]] | None:
    """Least-squares fit of ``y = α_level + β_block + ε`` (no interaction): ``(adjusted means, σ̂, degrees of
    freedom, covariance of the adjusted means)``.

    ``levels`` are ``0 … n_levels−1`` and ``blocks`` ``0 … m−1`` per observation. The adjusted mean of a level is
    ``α_level + mean_b β_b`` (the level's mean over the average block; its plain mean when every level ran on every
    block once), ``σ̂² = RSS / (N − rank)``. Their covariance is ``σ̂² L (XᵀX)⁻¹ Lᵀ`` (``X`` the design, ``L`` the
    rows that form the adjusted means): ``Var(m_i − m_j) = C_ii + C_jj − 2 C_ij``. Only in a balanced design (every
    level on every block equally often) is it ``σ̂²/n_i`` on the diagonal and 0 off it; in an unbalanced one the
    differences are less precise than ``σ̂²(1/n_i + 1/n_j)`` says. ``None`` when the residual has no degrees of
    freedom, a level has no observation, fewer than 2 blocks are given, or the design is not connected (a level's
    mean not estimable).
    """
    lv = np.asarray(levels, dtype=np.int64)
    bl = np.asarray(blocks, dtype=np.int64)
    ys = np.asarray(y, dtype=np.float64)
    m = int(bl.max()) + 1 if bl.size else 0
    if m < 2 or ys.size != lv.size or ys.size != bl.size or np.bincount(lv, minlength=n_levels).min() == 0:
        return None
    p = n_levels + m - 1
    design = np.zeros((ys.size, p), dtype=np.float64)
    design[np.arange(ys.size), lv] = 1.0
    rows = np.flatnonzero(bl > 0)
    design[rows, n_levels + bl[rows] - 1] = 1.0
    coef, _, rank, _ = np.linalg.lstsq(design, ys, rcond=None)
    dof = int(ys.size - rank)
    if dof <= 0 or rank < p:
        return None
    resid = ys - design @ coef
    sigma = math.sqrt(float(resid @ resid) / dof)
    shift = float(np.sum(coef[n_levels:])) / m  # mean block effect (block 0's is 0)
    if sigma <= _ROUNDING * max(1.0, float(np.max(np.abs(ys)))):
        sigma = 0.0
    contrast = np.zeros((n_levels, p), dtype=np.float64)
    contrast[:, :n_levels] = np.eye(n_levels)
    contrast[:, n_levels:] = 1.0 / m
    cov = sigma * sigma * (contrast @ np.linalg.solve(design.T @ design, contrast.T))
    return [float(a) + shift for a in coef[:n_levels]], sigma, dof, cov.tolist()
