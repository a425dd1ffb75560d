"""The verdict of one series against planted truth: iid and AR(1) nulls, steps and trends, the gate, drift, small n.

The calibration tests run the vectorised statistics on thousands of seeded series (seconds); the verdict-level
tests run :func:`analyze_series` on a few hundred with fewer table simulations. Bounds are a few Monte-Carlo
standard errors from the measured rates (``docs/metrics/trends.md``) and well below the uncorrected procedure's,
so a test that assumed independent runs would fail them. ``benchmarks/trends_power.py`` prints the precise numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from trajdyn.analyzer.metrics.trends import SERIES_KEYS, Settings, analyze_series
from trajdyn.analyzer.stats import (
    ar1_null_table,
    ar1_paths,
    max_t_split,
    mean_difference,
    phi_quantile_level,
    slope_t,
)

SIGMA = 0.03
LEVEL = 0.85
ALPHA = 0.05


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float) -> np.ndarray:
    return LEVEL + SIGMA * ar1_paths(rng.standard_normal(shape), phi)


def _verdicts(series: list[np.ndarray], **kwargs: Any) -> list[dict[str, Any]]:
    settings = Settings(simulations=499, **kwargs)
    return [analyze_series(x, settings=settings) for x in series]


def _rate(results: list[dict[str, Any]], verdict: str) -> float:
    return float(np.mean([r["verdict"] == verdict for r in results]))


def _vector_regressions(x: np.ndarray, gate: float = 0.02) -> np.ndarray:
    """The two series tests of the verdict, vectorised: a gated drop at the change point, else a gated trend."""
    n = x.shape[1]
    table = ar1_null_table(n)
    q = phi_quantile_level(n)
    split, trend = max_t_split(x), slope_t(x)
    phi_s = table.unbiased_phi("step", split.phi_hat, q)
    phi_t = table.unbiased_phi("trend", trend.phi_hat, q)
    p_s = table.p_value("step", split.statistic, phi_s)
    p_t = table.p_value("trend", trend.statistic, phi_t)
    idx = np.arange(n)
    before = np.where(idx < split.index[:, None], x, np.nan)
    after = np.where(idx >= split.index[:, None], x, np.nan)
    delta = np.nanmedian(after, axis=1) - np.nanmedian(before, axis=1)
    step = (p_s <= ALPHA) & (np.abs(delta) >= gate)
    slope = np.polyfit(idx, x.T, 1)[0] * (n - 1)
    return (step & (delta < 0)) | (~step & (p_t <= ALPHA) & (slope <= -gate))


@pytest.mark.parametrize(("phi", "high"), [(0.0, 0.06), (0.3, 0.07), (0.6, 0.09)])
def test_the_series_tests_hold_their_level_under_planted_ar1_nulls(phi: float, high: float) -> None:
    """20,000 AR(1) nulls at n = 20: false drops ≤ the bound (measured 0.04 / 0.05 / 0.07; main's were 0.035 /
    0.10 / 0.25); SE ≈ 0.002, so the bounds can fail."""
    x = _ar1(np.random.default_rng(int(phi * 10) + 1), (20_000, 20), phi)
    rate = _vector_regressions(x).mean()
    assert 0.015 <= rate <= high


def test_the_series_tests_keep_power_for_a_planted_two_sigma_step() -> None:
    x = _ar1(np.random.default_rng(21), (4_000, 20), 0.0)
    x[:, 10:] -= 2 * SIGMA
    assert 0.76 <= _vector_regressions(x).mean() <= 0.88  # measured 0.82 (the frontier at n = 20 is ≈ 0.85)


def test_verdicts_on_ar1_null_series_rarely_say_regression() -> None:
    rng = np.random.default_rng(31)
    results = _verdicts(list(_ar1(rng, (300, 20), 0.6)))
    assert _rate(results, "regression") <= 0.12  # measured 0.07; an independent-runs test gives 0.25 (SE 0.025)
    assert _rate(results, "improvement") <= 0.12
    assert 0.03 <= _rate(results, "drift") <= 0.22  # measured 0.12: the noise is persistent, the verdict says so
    assert all(r["method"] == "ar1-bootstrap" and r["phi"] is not None for r in results)
    assert np.median([r["phi"] for r in results]) == pytest.approx(0.6, abs=0.2)


def test_verdicts_on_iid_null_series() -> None:
    rng = np.random.default_rng(32)
    results = _verdicts(list(_ar1(rng, (300, 20), 0.0)))
    assert _rate(results, "regression") <= 0.08  # measured 0.04
    assert _rate(results, "drift") <= 0.02
    assert abs(np.median([r["phi"] for r in results])) <= 0.1


@pytest.mark.parametrize(("size", "low", "high"), [(1.0, 0.25, 0.60), (2.0, 0.70, 0.92), (3.0, 0.88, 1.0)])
def test_power_grows_with_the_step_and_the_change_is_located(size: float, low: float, high: float) -> None:
    x = _ar1(np.random.default_rng(13), (120, 20), 0.0)
    x[:, 10:] -= size * SIGMA
    results = _verdicts(list(x))
    assert low <= _rate(results, "regression") <= high  # measured 0.40 / 0.82 / 0.95
    assert _rate(results, "improvement") == 0.0
    found = [r for r in results if r["verdict"] == "regression" and r["delta_from"] == "change-point"]
    if size >= 2.0:
        assert np.mean([min(abs(c["index"] - 10) for c in r["change_points"]) for r in found]) <= 1.5
    assert all(r["delta_ci"][0] <= r["delta"] <= r["delta_ci"][1] for r in found)


def test_a_gradual_drift_is_caught_by_the_trend_test() -> None:
    rng = np.random.default_rng(14)
    x = _ar1(rng, (100, 20), 0.0) - 3 * SIGMA * np.arange(20) / 19
    results = _verdicts(list(x))
    assert _rate(results, "regression") >= 0.8  # measured 0.9
    trend = [r for r in results if r["delta_from"] == "trend"]
    assert trend and all(r["delta"] < 0 and r["p_value"] <= ALPHA for r in trend)
    assert np.median([r["delta"] for r in trend]) == pytest.approx(-3 * SIGMA, rel=0.35)


def test_a_random_walk_level_says_drift_not_regression() -> None:
    """A persistent level wander (near-unit-root AR(1)) with a net fall: the verdict names it."""
    x = _ar1(np.random.default_rng(41), (80, 30), 0.97)
    results = _verdicts(list(x))
    assert _rate(results, "drift") >= 0.35
    drifting = [r for r in results if r["verdict"] == "drift"]
    assert all(r["phi"] >= 0.8 and abs(r["delta"]) >= 0.02 and "autocorrelated" in r["reason"] for r in drifting)
    assert _rate(results, "regression") <= 0.25


def test_a_huge_step_is_a_regression_whatever_the_residuals_suggest() -> None:
    x = _ar1(np.random.default_rng(42), (30, 10), 0.0)
    x[:, 6:] -= 10 * SIGMA
    assert {r["verdict"] for r in _verdicts(list(x))} == {"regression"}


@pytest.mark.parametrize("n", [5, 6, 7])
def test_fewer_than_eight_runs_are_never_a_regression(n: int) -> None:
    x = _ar1(np.random.default_rng(50 + n), (60, n), 0.0)
    x[:, n // 2 :] -= 4 * SIGMA
    results = _verdicts(list(x))
    assert {r["verdict"] for r in results} <= {"insufficient-data", "stable"}
    flagged = [r for r in results if r["verdict"] == "insufficient-data"]
    assert len(flagged) >= 0.25 * len(results)  # a 4σ drop would be significant if runs were independent
    assert all(r["method"] == "independent-runs" and r["delta"] < 0 and "independent" in r["reason"] for r in flagged)
    assert all(r["phi"] is None for r in results)


def test_the_quantile_unbiased_phi_recovers_planted_autocorrelation() -> None:
    """Known answer: over many AR(1) series the median-unbiased φ from the trend residuals centres on the truth;
    the raw residual estimate is biased low (Marriott & Pope 1954)."""
    table = ar1_null_table(30)
    for phi in (0.0, 0.3, 0.6):
        x = ar1_paths(np.random.default_rng(60).standard_normal((400, 30)), phi)
        raw = slope_t(x).phi_hat
        unbiased = table.unbiased_phi("trend", raw)
        assert np.median(raw) < phi - 0.05
        assert np.median(unbiased) == pytest.approx(phi, abs=0.07)
    assert phi_quantile_level(20) == pytest.approx(0.375) and phi_quantile_level(10**6) == pytest.approx(0.5, abs=1e-5)


def test_the_null_table_p_value_is_calibrated_at_the_true_phi() -> None:
    table = ar1_null_table(20)
    x = ar1_paths(np.random.default_rng(61).standard_normal((5_000, 20)), 0.6)
    p = table.p_value("step", max_t_split(x).statistic, 0.6)
    assert np.mean(p <= ALPHA) == pytest.approx(ALPHA, abs=0.012)
    assert np.mean(table.p_value("step", max_t_split(x).statistic, 0.0) <= ALPHA) > 0.3  # independence over-alarms


def test_a_significant_change_below_the_minimum_effect_is_stable() -> None:
    x = np.r_[np.full(10, 0.900), np.full(10, 0.895)] + np.random.default_rng(15).normal(0, 0.0005, 20)
    gated = analyze_series(x, settings=Settings(min_effect=2.0))
    assert gated["change_points"] and gated["change_points"][0]["p_value"] <= 0.05
    assert gated["verdict"] == "stable"
    assert gated["reason"].startswith("significant change smaller than the minimum effect")
    assert gated["min_effect"] == pytest.approx(0.02)
    loose = analyze_series(x, settings=Settings(min_effect=0.2))
    assert loose["verdict"] == "regression"
    assert loose["delta"] == pytest.approx(-0.005, abs=0.001) and loose["delta_from"] == "change-point"


def test_a_rise_is_an_improvement_and_a_rising_cost_a_regression() -> None:
    x = np.r_[np.full(8, 0.70), np.full(8, 0.80)] + np.random.default_rng(16).normal(0, 0.01, 16)
    up = analyze_series(x)
    assert up["verdict"] == "improvement" and up["change_points"][0]["index"] == 8
    cost = analyze_series(x, higher_is_better=False, relative=True)
    assert cost["verdict"] == "regression"
    assert cost["min_effect"] == pytest.approx(0.02 * cost["change_points"][0]["before_median"])


def test_a_level_shift_alone_does_not_raise_the_autocorrelation_flag() -> None:
    x = np.r_[np.full(10, 0.85), np.full(10, 0.79)] + np.random.default_rng(17).normal(0, 0.01, 20)
    r = analyze_series(x)
    assert r["lag1_autocorrelation"] > 0.3  # the raw series looks autocorrelated ...
    assert r["phi_source"] == "segment residuals" and r["phi"] < 0.3  # ... because of the step, which explains it
    assert r["autocorrelated"] is False and r["verdict"] == "regression"


def test_an_exact_step_of_a_two_valued_series_is_a_change() -> None:
    r = analyze_series(np.r_[np.full(6, 1055.0), np.full(4, 1455.0)], higher_is_better=False, relative=True)
    assert r["verdict"] == "regression" and r["phi"] == 0.0 and r["change_points"][0]["index"] == 6


def test_small_n_uses_the_last_vs_previous_comparison() -> None:
    prev = np.linspace(0.6, 1.0, 30)
    last = prev - 0.04
    cmp = mean_difference(prev, last, paired=True)
    r = analyze_series([0.87, 0.83, 0.79], last_vs_previous=cmp, comparison_method="paired-tasks")
    assert r["method"] == "last-vs-previous" and r["change_points"] == []
    assert r["verdict"] == "regression" and r["delta_from"] == "last-vs-previous"
    assert "run-to-run drift" in r["reason"]
    assert r["delta"] == pytest.approx(-0.04)
    assert r["ols_slope"] == pytest.approx(-0.04)
    few = analyze_series([0.87, 0.83], last_vs_previous=mean_difference([0.9, 0.8], [0.85, 0.8], paired=True))
    assert few["verdict"] == "insufficient-data" and "2 paired tasks" in few["reason"]
    assert analyze_series([0.87, 0.83])["verdict"] == "insufficient-data"


def test_one_run_no_run_and_a_constant_series() -> None:
    one = analyze_series([0.9])
    assert one["verdict"] == "insufficient-data" and one["series"] == [0.9]
    none = analyze_series([])
    assert none["verdict"] == "insufficient-data" and none["median"] is None
    assert list(one) == list(SERIES_KEYS) == list(none)
    flat = analyze_series(np.full(12, 0.5))
    assert flat["verdict"] == "stable" and flat["phi"] is None


def test_the_same_series_gives_the_same_analysis() -> None:
    x = np.random.default_rng(18).normal(0.8, 0.03, 25)
    x[15:] -= 0.05
    assert analyze_series(x) == analyze_series(x.copy())


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="min_effect"):
        Settings(min_effect=-1)
    with pytest.raises(ValueError, match="alpha"):
        Settings(alpha=1.5)
    with pytest.raises(ValueError, match="phi_quantile"):
        Settings(phi_quantile=1.0)
    with pytest.raises(ValueError, match="min_runs"):
        Settings(min_runs=4)
