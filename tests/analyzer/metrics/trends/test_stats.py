"""The statistics of the trends family against brute force, scipy and hand-computed known answers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from trajdyn.analyzer.stats import (
    benjamini_hochberg,
    e_divisive,
    e_divisive_statistic,
    lag1_autocorrelation,
    mann_kendall,
    mean_difference,
    median_shift,
    ols_slope,
    sen_slope,
)


def _brute_q(z: list[float], tau: int) -> float:
    """Q̂(τ) of Matteson & James (2014) straight from the definition (exponent 1)."""
    x, y = z[:tau], z[tau:]
    n, m = len(x), len(y)
    cross = sum(abs(a - b) for a in x for b in y)
    wx = sum(abs(a - b) for a, b in itertools.combinations(x, 2))
    wy = sum(abs(a - b) for a, b in itertools.combinations(y, 2))
    e = 2 * cross / (n * m) - wx / math.comb(n, 2) - wy / math.comb(m, 2)
    return n * m / (n + m) * e


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=4, max_size=24),
    st.integers(2, 4),
)
@example([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3)
@example([1.0, 1.0, 5.0, 5.0], 2)
def test_e_divisive_statistic_equals_the_definition(values: list[float], min_size: int) -> None:
    got = e_divisive_statistic(values, min_size=min_size)
    taus = range(min_size, len(values) - min_size + 1)
    assert got.shape == (len(taus),)
    assert np.allclose(got, [_brute_q(values, t) for t in taus], rtol=1e-9, atol=1e-6)


def test_e_divisive_statistic_is_vectorised_over_rows() -> None:
    rows = np.random.default_rng(0).normal(size=(5, 11))
    assert np.allclose(e_divisive_statistic(rows), np.stack([e_divisive_statistic(r) for r in rows]))


def test_a_planted_step_is_found_at_its_index_with_a_small_p() -> None:
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(0.0, 1.0, 15), rng.normal(3.0, 1.0, 15)]
    (cp,) = e_divisive(x)
    assert cp.index == 15
    assert cp.p_value == pytest.approx(0.001)  # 1/(B+1): no permutation reaches it


def test_two_planted_steps_are_both_found_in_order() -> None:
    x = np.r_[np.zeros(10), np.full(10, 5.0), np.full(10, 1.0)] + np.random.default_rng(2).normal(0, 0.3, 30)
    found = e_divisive(x)
    assert [c.index for c in found][:2] == [10, 20]
    assert [c.order for c in found][:2] == [1, 2]
    assert [c.index for c in e_divisive(x, max_change_points=2)] == [10, 20]


def test_constant_and_short_series_have_no_change_point() -> None:
    assert e_divisive(np.full(12, 0.8)) == []
    assert e_divisive([0.1, 0.9, 0.1, 0.9, 0.1]) == []  # shorter than 2 x min_size


def test_e_divisive_is_deterministic_for_a_seed() -> None:
    x = np.random.default_rng(3).normal(size=20)
    x[12:] += 0.8
    assert e_divisive(x, seed=7) == e_divisive(x, seed=7)


def test_e_divisive_rejects_missing_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        e_divisive([0.1, math.nan, 0.2, 0.3, 0.4, 0.5])


def test_mann_kendall_is_the_exact_kendall_test_against_the_index() -> None:
    x = [0.87, 0.85, 0.86, 0.83, 0.84, 0.80, 0.79]
    mk = mann_kendall(x)
    ref = stats.kendalltau(np.arange(7), x, method="exact")
    assert mk.method == "exact"
    assert mk.tau == pytest.approx(ref.statistic) and mk.p_value == pytest.approx(ref.pvalue)
    # 19 concordant-with-decrease of 21 pairs: tau = (2 - 19) / 21
    assert mk.tau == pytest.approx(-17 / 21)


def test_mann_kendall_falls_back_to_the_tie_corrected_normal_approximation() -> None:
    mk = mann_kendall([1.0, 1.0, 0.5, 0.5, 0.0, 0.0])
    assert mk.method == "asymptotic"
    assert mk.p_value is not None and mk.p_value < 0.05
    assert mann_kendall([0.5] * 6) == mann_kendall([0.1, 0.2])  # constant / too short: no test


def test_sen_and_ols_slopes_known_answers() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 100.0]
    assert sen_slope(x).slope == pytest.approx(1.0)  # robust to the outlier
    assert ols_slope(x) == pytest.approx(20.0)  # least squares is not
    ci = sen_slope([0.0, 1.1, 1.9, 3.2, 3.9, 5.1, 6.0, 6.9])
    assert ci.low is not None and ci.high is not None and ci.low <= ci.slope <= ci.high  # type: ignore[operator]
    assert ols_slope([0.87, 0.83, 0.79]) == pytest.approx(-0.04)  # the seed's -4 %/run


def test_lag1_autocorrelation_known_answers() -> None:
    assert lag1_autocorrelation([1.0, -1.0, 1.0, -1.0, 1.0, -1.0]) == pytest.approx(-5 / 6)
    assert lag1_autocorrelation([1.0, 2.0, 3.0]) == pytest.approx(0.0)
    assert lag1_autocorrelation([2.0, 2.0, 2.0]) is None


def test_median_shift_estimates_the_planted_difference() -> None:
    rng = np.random.default_rng(4)
    c = median_shift(rng.normal(0.85, 0.01, 12), rng.normal(0.80, 0.01, 12))
    assert c.delta == pytest.approx(-0.05, abs=0.01)
    assert c.low is not None and c.high is not None and c.low < -0.05 + 0.01 and c.high < 0
    assert c.p_value is not None and c.p_value < 0.01


def test_paired_difference_removes_the_task_effect() -> None:
    base = np.linspace(0.2, 1.0, 40)  # tasks differ a lot; every task drops by 0.04
    after = base - 0.04 + np.random.default_rng(5).normal(0, 0.01, 40)
    paired = mean_difference(base, after, paired=True)
    unpaired = mean_difference(base, after, paired=False)
    assert paired.delta == pytest.approx(unpaired.delta)
    assert paired.high is not None and paired.high < 0  # the pairs see it
    assert unpaired.low is not None and unpaired.high is not None and unpaired.low < 0 < unpaired.high


def test_comparison_with_one_unit_has_no_interval() -> None:
    c = mean_difference([0.9], [0.7], paired=True)
    assert c.delta == pytest.approx(-0.2) and c.low is None and c.p_value is None
    same = mean_difference([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], paired=True)
    assert same.delta == 0 and same.p_value == 1.0


def test_benjamini_hochberg_known_answer() -> None:
    # Benjamini & Hochberg (1995) step-up: q_(i) = min_{j>=i} p_(j) m / j
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20, math.nan])
    assert np.allclose(q[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert math.isnan(q[4])
