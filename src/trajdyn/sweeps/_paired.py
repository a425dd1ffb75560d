"""The paired interval of the Ratchet, in pure Python (the SDK imports no numpy or scipy).

Given paired improvements ``d_i`` (candidate minus incumbent on the same task or seed, signed so that positive is
better), the interval is the **paired Student t interval** of their mean:

    d̄ ± t_{c, n−1} · s / √n,   s² = Σ (d_i − d̄)² / (n − 1),

with ``t_{c, n−1}`` the ``c``-quantile of Student's t with ``n − 1`` degrees of freedom. ``c`` is the Ratchet's
``confidence``, so each end is a one-sided bound at that confidence: ``P(lower ≤ mean) ≥ c``, and a rule that keeps
only when the lower end exceeds ``η`` keeps a candidate whose true improvement is ``η`` or less at most ``1 − c``
of the time (when the ``d_i`` are roughly normal; with ``n ≥ 20`` or so the central limit theorem covers the rest).
The two ends together form a ``2c − 1`` two-sided interval (90 % for ``c = 0.95``). See docs/sdk.md#the-ratchet.

The t quantile is found by bisection on the t distribution function, computed from the regularised incomplete beta
function ``I_x(ν/2, 1/2)`` (Press et al., *Numerical Recipes*, 3rd ed., §6.4, continued fraction by the modified
Lentz method). It agrees with ``scipy.stats.t.ppf`` to better than 1e-9 (tests/sweeps/test_paired.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

__all__ = ["PairedInterval", "paired_t_interval", "t_cdf", "t_quantile"]

_EPS: Final = 1e-15
_TINY: Final = 1e-300
_MAX_ITER: Final = 500
_NORMAL_DF: Final = 1e6
"""From this many degrees of freedom on, the t quantile is the normal quantile ``z`` with the first two terms of its
Cornish–Fisher expansion, ``z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²)`` (Abramowitz & Stegun 26.7.5; the next term
is below 1e-17 there), where bisection on the distribution function would lose digits."""


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1) / (a + b + 2)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df > 0`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"expected df > 0, got {df!r}")
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    t2 = t * t
    if t2 < df:  # near the centre: I_{t²/(ν+t²)}(1/2, ν/2) keeps the digits that 1 − I_{ν/(ν+t²)}(ν/2, 1/2) loses
        half = 0.5 * _betainc(0.5, df / 2.0, t2 / (df + t2))
        return 0.5 + half if t > 0 else 0.5 - half
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t2))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p``-quantile of Student's t with ``df > 0`` degrees of freedom (``0 < p < 1``)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"expected 0 < p < 1, got {p!r}")
    if df <= 0:
        raise ValueError(f"expected df > 0, got {df!r}")
    if df >= _NORMAL_DF:
        z = NormalDist().inv_cdf(p)
        return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df * df)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo = 0.0
    hi = max(1.0, NormalDist().inv_cdf(p))
    while t_cdf(hi, df) < p:  # the t quantile exceeds the normal one; double until bracketed
        lo = hi
        hi *= 2.0
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True, slots=True)
class PairedInterval:
    """The mean paired improvement, its one-sided bounds at the confidence, and the number of pairs used."""

    mean: float
    low: float
    high: float
    n: int
    sd: float


def paired_t_interval(diffs: Sequence[float], confidence: float) -> PairedInterval | None:
    """The paired t interval of the mean of ``diffs`` (finite numbers); ``None`` with fewer than two.

    ``low`` and ``high`` are one-sided bounds at ``confidence`` (together a ``2·confidence − 1`` interval). With
    all differences equal (``s = 0``) both bounds are the mean.
    """
    n = len(diffs)
    if n < 2:
        return None
    mean = math.fsum(diffs) / n
    var = math.fsum((d - mean) ** 2 for d in diffs) / (n - 1)
    sd = math.sqrt(var)
    half = t_quantile(confidence, n - 1) * sd / math.sqrt(n) if sd > 0 else 0.0
    return PairedInterval(mean=mean, low=mean - half, high=mean + half, n=n, sd=sd)
