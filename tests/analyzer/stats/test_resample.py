"""The resampling engine: draws, intervals and p-values by definition; estimators against brute force and planted truth."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from trajdyn.analyzer.stats import (
    bootstrap_counts,
    bootstrap_indices,
    bootstrap_p_value,
    central_levels,
    mean_interval,
    null_z_score,
    percentile_interval,
    permutation_p_value,
    stratified_difference,
)


def test_counts_are_the_indices_counted_from_the_same_stream() -> None:
    idx = bootstrap_indices(np.random.default_rng(9), 7, 50)
    counts = bootstrap_counts(np.random.default_rng(9), 7, 50)
    assert idx.shape == counts.shape == (50, 7)
    for row, c in zip(idx, counts, strict=True):
        np.testing.assert_array_equal(np.bincount(row, minlength=7), c)
    assert (counts.sum(axis=1) == 7).all()


def test_percentile_interval_uses_the_levels_as_given() -> None:
    replicates = np.arange(101, dtype=np.float64)
    assert percentile_interval(replicates, (0.1, 0.9)) == (10.0, 90.0)
    assert percentile_interval(replicates, central_levels(0.5)) == (25.0, 75.0)
    assert central_levels(0.9) == pytest.approx((0.05, 0.95))


def test_mean_interval_is_the_percentile_bootstrap_of_the_finite_values() -> None:
    values = [0.1, 0.2, 0.15, 0.3, 0.05, 0.25, math.nan, None, math.inf]
    got = mean_interval(values, seed=1, resamples=500)
    finite = np.array([0.1, 0.2, 0.15, 0.3, 0.05, 0.25])
    draws = finite[np.random.default_rng(1).integers(0, 6, (500, 6))].mean(axis=1)
    assert got.n == 6 and got.mean == pytest.approx(finite.mean())
    assert (got.low, got.high) == tuple(np.percentile(draws, [2.5, 97.5]))
    assert mean_interval([]).mean is None and mean_interval([0.4]).low is None


def test_mean_interval_agrees_with_scipys_percentile_bootstrap() -> None:
    x = np.random.default_rng(2).exponential(size=60)
    got = mean_interval(x, seed=3, resamples=20000)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20000, method="percentile", rng=4).confidence_interval
    assert got.low == pytest.approx(ref.low, abs=0.02) and got.high == pytest.approx(ref.high, abs=0.02)


def test_bootstrap_and_permutation_p_values_by_definition() -> None:
    boot = np.array([-1.0, 0.5, 1.0, 2.0])
    assert bootstrap_p_value(boot, 0.8) == pytest.approx(min(1.0, 2 * (1 + 1) / 5))
    assert bootstrap_p_value(np.zeros(10), 0.0) == 1.0
    assert permutation_p_value(0, 999) == pytest.approx(0.001)
    np.testing.assert_allclose(permutation_p_value(np.array([0, 9]), 9), [0.1, 1.0])
    z = null_z_score(np.array([3.0, 1.0]), np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
    assert z[0] == pytest.approx(1.0) and math.isnan(z[1])


def _exact_stratified_p(y: np.ndarray, treated: np.ndarray, strata: np.ndarray) -> float:
    """Every within-stratum relabelling (arm sizes kept): the share with |Δ*| ≥ |Δ̂|, Δ on the harmonic weights."""

    def delta(t: np.ndarray) -> float:
        num = den = 0.0
        for s in np.unique(strata):
            a, b = y[(strata == s) & t], y[(strata == s) & ~t]
            if a.size and b.size:
                w = a.size * b.size / (a.size + b.size)
                num += w * (a.mean() - b.mean())
                den += w
        return num / den

    observed = abs(delta(treated))
    per_stratum = []
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        k = int(treated[rows].sum())
        per_stratum.append([rows[list(c)] for c in itertools.combinations(range(rows.size), k)])
    hits = total = 0
    for choice in itertools.product(*per_stratum):
        t = np.zeros(y.size, dtype=bool)
        for rows in choice:
            t[rows] = True
        total += 1
        hits += abs(delta(t)) >= observed - 1e-12
    return hits / total


def test_stratified_difference_known_estimate_and_the_exact_permutation_p() -> None:
    """Three strata with both arms (2 vs 2, 2 vs 1, 1 vs 1) and one with a control only, which does not count."""
    y = np.array([0.6, 0.4, 0.9, 0.6, 0.8, 0.3, 0.2, 0.7, 0.1, 0.5])
    treated = np.array([True, False, True, True, False, True, False, True, False, False])
    strata = np.array([0, 0, 1, 1, 1, 2, 2, 0, 0, 3])
    got = stratified_difference(y, treated, strata, n_boot=200, n_perm=20000, perm_stop=0, rng=np.random.default_rng(5))
    assert got.n_strata == 3 and (got.support_treated, got.support_control) == (5, 4)
    w = np.array([1.0, 2 / 3, 0.5])
    d = np.array([(0.6 + 0.7) / 2 - (0.4 + 0.1) / 2, (0.9 + 0.6) / 2 - 0.8, 0.3 - 0.2])
    assert got.estimate == pytest.approx(float(w @ d / w.sum()))
    exact = _exact_stratified_p(y[strata < 3], treated[strata < 3], strata[strata < 3])
    assert got.p_value == pytest.approx(exact, abs=0.015)
    assert got.ci_low is not None and got.ci_high is not None and got.ci_low <= got.estimate <= got.ci_high  # type: ignore[operator]


def test_stratified_difference_is_reproducible_and_stops_early_when_p_is_large() -> None:
    """Within every stratum both arms have the same mean (Δ̂ = 0): every permutation is as extreme, so the test
    stops after the first batch of 100 with p = 100/100, where the full run gives (1 + 2000)/2001."""
    strata = np.repeat(np.arange(12), 8)
    treated = np.tile([True, False], 48)
    y = np.repeat(np.random.default_rng(6).normal(size=48), 2)
    a = stratified_difference(y, treated, strata, rng=np.random.default_rng(1))
    assert a == stratified_difference(y, treated, strata, rng=np.random.default_rng(1))
    assert a.estimate == pytest.approx(0.0, abs=1e-12) and a.p_value == 1.0
    full = stratified_difference(y, treated, strata, perm_stop=0, rng=np.random.default_rng(1))
    assert full.p_value == 1.0
    assert (full.ci_low, full.ci_high) == (a.ci_low, a.ci_high)  # the bootstrap is drawn first: same interval
    shifted = stratified_difference(y + 3.0 * treated, treated, strata, perm_stop=0, rng=np.random.default_rng(1))
    assert shifted.p_value == pytest.approx(1 / 2001)


def test_stratified_difference_recovers_a_planted_effect_with_a_small_p() -> None:
    rng = np.random.default_rng(7)
    strata = np.repeat(np.arange(20), 10)
    treated = rng.random(200) < 0.5
    y = strata * 0.3 + 0.4 * treated + rng.normal(scale=0.3, size=200)
    got = stratified_difference(y, treated, strata, rng=np.random.default_rng(8))
    assert got.estimate == pytest.approx(0.4, abs=0.1)
    assert got.p_value is not None and got.p_value <= 1 / 2001 + 1e-12
    assert got.ci_low is not None and got.ci_low > 0.2
