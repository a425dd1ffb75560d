"""Confidence intervals of a proportion (Jeffreys, Wilson) and of a difference of means (Welch).

Definitions in ``docs/metrics/statistics.md``. The proportion intervals take their quantile ``levels`` as given (by
default ``(0.025, 0.975)``: a central 95 % interval), so that a report's numbers reproduce to the last bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["jeffreys_interval", "paired_t_interval", "welch_interval", "wilson_interval"]

Array = npt.NDArray[np.float64]


def _check(successes: int, n: int) -> None:
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"expected 0 <= successes <= n, got {successes} of {n}")


def jeffreys_interval(
    successes: int, n: int, *, levels: tuple[float, float] = (0.025, 0.975)
) -> tuple[float, float] | None:
    """Jeffreys interval of a binomial proportion: the ``levels`` quantiles of Beta(x + ½, n − x + ½).

    The equal-tailed interval of the posterior under the Jeffreys prior Beta(½, ½) (Brown, Cai & DasGupta 2001,
    *Interval estimation for a binomial proportion*, Statistical Science 16:101–133), with the lower end 0 when
    x = 0 and the upper end 1 when x = n, as they recommend. ``None`` when n = 0.
    """
    _check(successes, n)
    if n == 0:
        return None
    from scipy.special import betaincinv

    a, b = successes + 0.5, n - successes + 0.5
    lo = 0.0 if successes == 0 else float(betaincinv(a, b, levels[0]))
    hi = 1.0 if successes == n else float(betaincinv(a, b, levels[1]))
    return lo, hi


def wilson_interval(
    successes: int, n: int, *, levels: tuple[float, float] = (0.025, 0.975)
) -> tuple[float, float] | None:
    """Wilson score interval of a binomial proportion (Wilson 1927): the proportions p that the score test accepts.

    With p̂ = x/n and z the normal quantile of each side (``z_lo = Φ⁻¹(1 − levels[0])``, ``z_hi = Φ⁻¹(levels[1])``),
    each end is ``(p̂ + z²/2n ∓ z·sqrt(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``. Unlike the Wald interval it stays
    inside [0, 1] and does not collapse at x = 0 or x = n. ``None`` when n = 0.
    """
    _check(successes, n)
    if n == 0:
        return None
    from scipy.stats import norm

    p = successes / n

    def end(z: float, sign: float) -> float:
        centre = p + z * z / (2 * n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return (centre + sign * half) / (1 + z * z / n)

    lo = end(float(norm.ppf(1.0 - levels[0])), -1.0)
    hi = end(float(norm.ppf(levels[1])), 1.0)
    return max(0.0, lo), min(1.0, hi)


def welch_interval(
    mean1: npt.ArrayLike,
    var1: npt.ArrayLike,
    n1: npt.ArrayLike,
    mean0: npt.ArrayLike,
    var0: npt.ArrayLike,
    n0: npt.ArrayLike,
    confidence: float,
) -> tuple[Array, Array]:
    """Welch–Satterthwaite t interval of ``mean1 − mean0`` from each arm's mean, sample variance and size.

    ``se² = v1/n1 + v0/n0``, degrees of freedom ``se⁴ / ((v1/n1)²/(n1 − 1) + (v0/n0)²/(n0 − 1))`` (Welch 1947),
    half-width ``t_{df}(0.5 + confidence/2) · se``; the normal quantile when se = 0. Element-wise over arrays (one
    interval per row of a table) or on scalars; NaN where an arm has fewer than 2 values.
    """
    from scipy import stats

    m1, v1, c1 = (np.asarray(a, dtype=np.float64) for a in (mean1, var1, n1))
    m0, v0, c0 = (np.asarray(a, dtype=np.float64) for a in (mean0, var0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / c1, v0 / c0
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (c1 - 1) + b**2 / (c0 - 1))
        df = np.where(se == 0, np.inf, df)
        t: Any = stats.t.ppf(0.5 + confidence / 2.0, df)
        half = t * se
    bad = (c1 < 2) | (c0 < 2)
    diff = m1 - m0
    return np.where(bad, np.nan, diff - half), np.where(bad, np.nan, diff + half)


def paired_t_interval(differences: npt.ArrayLike, confidence: float) -> tuple[float, float, float] | None:
    """Paired Student t interval of the mean of per-unit differences: ``(mean, low, high)``.

    ``d̄ ± t_{n−1}(0.5 + confidence/2) · s/√n`` with ``s`` the differences' sample SD (Student 1908): a central
    ``confidence`` interval, as :func:`welch_interval`; a point when every difference is the same (s = 0). ``None``
    with fewer than 2 finite differences. (The SDK's Ratchet computes the same interval in pure Python, one-sided:
    :func:`trajdyn.sweeps.paired_t_interval`.)
    """
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    n = d.size
    if n < 2:
        return None
    mean = float(np.mean(d))
    se = float(np.std(d, ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * se if se > 0 else 0.0
    return mean, mean - half, mean + half
