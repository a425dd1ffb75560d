"""Proportion and mean-difference intervals: published values, scipy, and the edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trajdyn.analyzer.stats import jeffreys_interval, welch_interval, wilson_interval


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (Wilson score, no correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_table(x: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(x, n)
    assert got is not None
    assert got[0] == pytest.approx(low, abs=6e-5) and got[1] == pytest.approx(high, abs=6e-5)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [  # Brown, Cai & DasGupta (2001), Statistical Science 16:101–133: Jeffreys intervals are Beta quantiles
        (0, 10, 0.0, 0.2172),
        (5, 10, 0.2235, 0.7765),
        (10, 10, 0.7828, 1.0),
    ],
)
def test_jeffreys_known_values_and_ends(x: int, n: int, low: float, high: float) -> None:
    got = jeffreys_interval(x, n)
    assert got is not None
    assert got[0] == pytest.approx(low, abs=6e-5) and got[1] == pytest.approx(high, abs=6e-5)


def test_jeffreys_is_the_beta_quantile_pair() -> None:
    for n in range(1, 40):
        for x in range(1, n):
            lo, hi = jeffreys_interval(x, n)  # type: ignore[misc]
            assert lo == stats.beta.ppf(0.025, x + 0.5, n - x + 0.5)
            assert hi == stats.beta.ppf(0.975, x + 0.5, n - x + 0.5)


def test_proportion_intervals_without_trials_or_with_bad_counts() -> None:
    assert jeffreys_interval(0, 0) is None and wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="successes"):
        jeffreys_interval(-1, 2)


def test_both_proportion_intervals_contain_the_estimate_and_nest_by_level() -> None:
    for x, n in ((3, 17), (9, 10), (40, 41)):
        for interval in (jeffreys_interval, wilson_interval):
            wide = interval(x, n, levels=(0.005, 0.995))
            narrow = interval(x, n)
            assert wide is not None and narrow is not None
            assert wide[0] <= narrow[0] <= x / n <= narrow[1] <= wide[1]


def test_welch_batch_equals_scipys_interval_row_by_row() -> None:
    rng = np.random.default_rng(6)
    samples = [
        (rng.normal(1.0, 2.0, size=rng.integers(2, 30)), rng.normal(0.0, 0.5, size=rng.integers(2, 30)))
        for _ in range(25)
    ]
    m1 = np.array([a.mean() for a, _ in samples])
    v1 = np.array([a.var(ddof=1) for a, _ in samples])
    n1 = np.array([a.size for a, _ in samples], dtype=float)
    m0 = np.array([b.mean() for _, b in samples])
    v0 = np.array([b.var(ddof=1) for _, b in samples])
    n0 = np.array([b.size for _, b in samples], dtype=float)
    lo, hi = welch_interval(m1, v1, n1, m0, v0, n0, 0.9)
    for i, (a, b) in enumerate(samples):
        want = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
        assert lo[i] == pytest.approx(want.low, rel=1e-9) and hi[i] == pytest.approx(want.high, rel=1e-9)
        scalar = welch_interval(m1[i], v1[i], n1[i], m0[i], v0[i], n0[i], 0.9)
        assert (float(scalar[0]), float(scalar[1])) == (lo[i], hi[i])


def test_welch_needs_two_values_per_arm_and_collapses_without_spread() -> None:
    lo, hi = welch_interval([1.0, 1.0], [0.5, 0.0], [1, 3], [0.0, 0.4], [0.5, 0.0], [4, 3], 0.95)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert lo[1] == pytest.approx(0.6) and hi[1] == pytest.approx(0.6)  # no variance: the interval is the point
