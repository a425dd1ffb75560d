"""Trend statistics: the batch Mann–Kendall against a brute-force scalar and scipy; Theil–Sen against scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from trajdyn.analyzer.stats import MAX_SLOPE_PAIRS, mann_kendall, mann_kendall_z, sen_slope, theil_sen_slope


def _brute_z(x: list[float]) -> float:
    """Mann–Kendall z of one series, written from the definition: S, tie-corrected variance, continuity correction."""
    m = len(x)
    s = sum(np.sign(x[j] - x[i]) for i, j in itertools.combinations(range(m), 2))
    ties = [x.count(v) for v in set(x)]
    var = (m * (m - 1) * (2 * m + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if var <= 0:
        return math.nan
    return float((s - np.sign(s)) / math.sqrt(var))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=4, max_size=25))
@example([1, 1, 1, 1])
@example([0, 1, 2, 3, 4])
def test_batch_z_without_the_correction_equals_the_scalar_definition(values: list[int]) -> None:
    x = [float(v) for v in values]
    got = mann_kendall_z(np.array([x]), autocorrelation=False)[0]
    want = _brute_z(x)
    assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_batch_rows_are_independent_of_each_other() -> None:
    rng = np.random.default_rng(1)
    series = rng.normal(size=(40, 17))
    together = mann_kendall_z(series)
    one_by_one = np.array([mann_kendall_z(series[i : i + 1])[0] for i in range(40)])
    np.testing.assert_array_equal(together, one_by_one)


def test_batch_z_matches_scipys_kendall_normal_approximation() -> None:
    """scipy's asymptotic Kendall test has no continuity correction: |z_scipy| = (|S|) / sd, ours (|S| − 1) / sd."""
    rng = np.random.default_rng(2)
    for m in (8, 20, 60):
        x = np.round(rng.normal(size=m) + 0.05 * np.arange(m), 1)  # ties included
        result = stats.kendalltau(np.arange(m), x, method="asymptotic")
        z_scipy = stats.norm.isf(result.pvalue / 2)
        ties = np.unique(x, return_counts=True)[1]
        sd = math.sqrt((m * (m - 1) * (2 * m + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18)
        z = mann_kendall_z(x[None, :], autocorrelation=False)[0]
        assert abs(z) + 1 / sd == pytest.approx(z_scipy, rel=1e-9)
        assert np.sign(z) == np.sign(result.statistic)


def test_hamed_rao_variant_only_widens_the_variance_of_positively_correlated_series() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(size=(500, 30))
    smooth = np.cumsum(noise, axis=1)  # strongly autocorrelated
    plain = mann_kendall_z(smooth, autocorrelation=False)
    corrected = mann_kendall_z(smooth)
    assert (np.abs(corrected) <= np.abs(plain) + 1e-12).all()
    assert np.mean(np.abs(corrected) < np.abs(plain) - 1e-9) > 0.5


def test_exact_and_batch_variants_agree_on_the_direction_of_a_planted_trend() -> None:
    rng = np.random.default_rng(4)
    x = np.arange(30) * 0.2 + rng.normal(size=30)
    exact = mann_kendall(x)
    z = mann_kendall_z(x[None, :], autocorrelation=False)[0]
    assert exact.method == "exact" and exact.p_value is not None and exact.p_value < 1e-4
    assert exact.tau is not None and exact.tau > 0 and z > 3.5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=60))
def test_theil_sen_equals_scipy_on_an_index(values: list[float]) -> None:
    y = np.asarray(values)
    x = np.arange(y.size, dtype=np.float64)
    assert theil_sen_slope(x, y) == stats.theilslopes(y, x).slope
    if y.size > 2 and np.ptp(y) > 0:
        assert sen_slope(y).slope == theil_sen_slope(x, y)


def test_theil_sen_with_repeated_abscissae_and_long_series() -> None:
    x = np.array([0.0, 0.0, 1.0, 2.0, 2.0])
    y = np.array([1.0, 3.0, 2.0, 5.0, 7.0])
    assert theil_sen_slope(x, y) == stats.theilslopes(y, x).slope  # pairs with equal x are left out by both
    assert math.isnan(theil_sen_slope(np.array([1.0, 1.0]), np.array([0.0, 2.0])))
    n = 400  # above 300 points: a fixed sample of MAX_SLOPE_PAIRS pairs
    assert n * (n - 1) // 2 > MAX_SLOPE_PAIRS
    xs = np.arange(n, dtype=np.float64)
    ys = 0.05 * xs + np.random.default_rng(5).normal(scale=0.5, size=n)
    got = theil_sen_slope(xs, ys)
    assert got == pytest.approx(stats.theilslopes(ys, xs).slope, rel=0.02)
    assert got == theil_sen_slope(xs, ys)
