"""Multiple testing: the Benjamini–Hochberg false-discovery-rate adjustment (``docs/metrics/statistics.md``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values) of one family of tests.

    ``q_(i) = min_{j ≥ i} m·p_(j) / j`` over the m finite p-values sorted ascending (ties in input order), capped at
    1; rejecting ``q ≤ α`` controls the false discovery rate at α for independent or positively dependent tests
    (Benjamini & Hochberg 1995, *Controlling the false discovery rate*, JRSS B 57:289–300). A NaN p-value (a test
    that could not run) stays NaN and does not count in m.

    ``scipy.stats.false_discovery_control`` computes the same adjustment but as ``p·(m/j)`` (a different rounding
    in the last bit) and rejects NaN; this function is checked against it to 1e-12 in the tests.
    """
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return q
    order = finite[np.argsort(p[finite], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q
