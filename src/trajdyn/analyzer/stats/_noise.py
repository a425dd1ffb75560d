"""Noise of a curve without replicates: the robust scale of its pseudo-residuals (Gasser, Sroka & Jennen-Steinmetz
1986, "Residual variance and residual pattern in nonlinear regression", Biometrika 73(3)).

For ordered points ``(x_i, y_i)`` with ``y_i = f(x_i) + ε_i``, ``ε_i`` independent with SD σ, the pseudo-residual of
an inner point is its distance from the straight line through its two neighbours,
``r_i = y_i − (w_i·y_{i−1} + (1 − w_i)·y_{i+1})`` with ``w_i = (x_{i+1} − x_i)/(x_{i+1} − x_{i−1})``, whose variance
is ``σ²(1 + w_i² + (1 − w_i)²)`` where ``f`` is locally linear. Scaled to unit variance and summarised by
``1.4826 · median |r̃_i|`` (the MAD consistency constant for a normal), one cliff or kink in the curve moves the
estimate little. See docs/metrics/sweeps.md#noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np

__all__ = ["MAD_NORMAL", "pseudo_residual_sd"]

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
