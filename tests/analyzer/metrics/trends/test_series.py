"""The verdict of one series against planted truth: nulls (iid, AR(1)), steps and trends, the gate, small n.

Simulations use fixed seeds, B = 199 permutations and a modest number of series so that the file stays fast; the
bounds are loose (``benchmarks/trends_power.py`` prints the precise numbers with B = 999).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from trajdyn.analyzer.metrics.trends import SERIES_KEYS, Settings, analyze_series
from trajdyn.analyzer.stats import mean_difference

SIGMA = 0.03
LEVEL = 0.85


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    e = rng.normal(0.0, SIGMA, n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return LEVEL + x


def _verdicts(series: list[np.ndarray], **kwargs: Any) -> list[dict[str, Any]]:
    return [
        analyze_series(x, settings=Settings(permutations=199, seed=100 + i, **kwargs)) for i, x in enumerate(series)
    ]


def test_iid_null_false_alarm_rate_is_near_alpha() -> None:
    rng = np.random.default_rng(11)
    results = _verdicts([LEVEL + rng.normal(0, SIGMA, 20) for _ in range(200)], min_effect=0.0)
    regression = np.mean([r["verdict"] == "regression" for r in results])
    alarm = np.mean([r["verdict"] in ("regression", "improvement") for r in results])
    first_cp = np.mean([bool(r["change_points"]) for r in results])
    assert regression <= 0.08  # one direction of two tests at alpha = 0.05 each; measured 0.03-0.045
    assert alarm <= 0.12
    assert 0.01 <= first_cp <= 0.10  # the permutation test alone is calibrated
    assert np.mean([bool(r["autocorrelated"]) for r in results]) <= 0.10


def test_ar1_null_raises_the_autocorrelation_flag_on_its_false_alarms() -> None:
    rng = np.random.default_rng(12)
    results = _verdicts([_ar1(rng, 30, 0.6) for _ in range(100)], min_effect=0.0)
    alarms = [r for r in results if r["verdict"] in ("regression", "improvement")]
    assert len(alarms) >= 20  # every method over-alarms on an autocorrelated series ...
    assert np.mean([r["autocorrelated"] for r in alarms]) >= 0.6  # ... so the flag must be up there
    assert np.mean([r["autocorrelated"] for r in results]) >= 0.5


@pytest.mark.parametrize(
    ("size", "low", "high"), [(0.5, 0.0, 0.35), (1.0, 0.25, 0.75), (2.0, 0.8, 1.0), (3.0, 0.95, 1.0)]
)
def test_power_grows_with_the_step_and_the_change_is_located(size: float, low: float, high: float) -> None:
    rng = np.random.default_rng(13)
    series = []
    for _ in range(60):
        x = LEVEL + rng.normal(0, SIGMA, 20)
        x[10:] -= size * SIGMA
        series.append(x)
    results = _verdicts(series)
    power = np.mean([r["verdict"] == "regression" for r in results])
    assert low <= power <= high
    assert np.mean([r["verdict"] == "improvement" for r in results]) <= (0.0 if size >= 1.0 else 0.05)
    located = [min(abs(c["index"] - 10) for c in r["change_points"]) for r in results if r["change_points"]]
    if size >= 2.0:
        assert np.mean(located) <= 1.5  # measured 0.8 at 2 sigma, 0.3 at 3 sigma


def test_a_gradual_drift_is_caught_by_the_trend_test() -> None:
    rng = np.random.default_rng(14)
    drift = 3 * SIGMA * np.arange(20) / 19
    results = _verdicts([LEVEL + rng.normal(0, SIGMA, 20) - drift for _ in range(60)])
    assert np.mean([r["verdict"] == "regression" for r in results]) >= 0.85
    trend = [r for r in results if r["delta_from"] == "trend"]
    assert trend and all(r["delta"] < 0 and r["p_value"] <= 0.05 for r in trend)
    assert np.median([r["delta"] for r in trend]) == pytest.approx(-3 * SIGMA, rel=0.35)


def test_a_significant_change_below_the_minimum_effect_is_stable() -> None:
    x = np.r_[np.full(10, 0.900), np.full(10, 0.895)] + np.random.default_rng(15).normal(0, 0.0005, 20)
    gated = analyze_series(x, settings=Settings(min_effect=2.0))
    assert gated["change_points"] and gated["change_points"][0]["p_value"] <= 0.05
    assert gated["verdict"] == "stable"
    assert gated["reason"] == "significant change smaller than the minimum effect"
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
    assert r["lag1_autocorrelation_residual"] < 0.1  # ... because of the step, which explains it
    assert r["autocorrelated"] is False


def test_small_n_uses_the_last_vs_previous_comparison() -> None:
    prev = np.linspace(0.6, 1.0, 30)
    last = prev - 0.04
    cmp = mean_difference(prev, last, paired=True)
    r = analyze_series([0.87, 0.83, 0.79], last_vs_previous=cmp, comparison_method="paired-tasks")
    assert r["method"] == "last-vs-previous" and r["change_points"] == []
    assert r["verdict"] == "regression" and r["delta_from"] == "last-vs-previous"
    assert r["delta"] == pytest.approx(-0.04)
    assert r["ols_slope"] == pytest.approx(-0.04)
    few = analyze_series([0.87, 0.83], last_vs_previous=mean_difference([0.9, 0.8], [0.85, 0.8], paired=True))
    assert few["verdict"] == "insufficient-data" and "2 paired tasks" in few["reason"]
    assert analyze_series([0.87, 0.83])["verdict"] == "insufficient-data"


def test_one_run_and_no_run_are_insufficient() -> None:
    one = analyze_series([0.9])
    assert one["verdict"] == "insufficient-data" and one["series"] == [0.9]
    none = analyze_series([])
    assert none["verdict"] == "insufficient-data" and none["median"] is None
    assert list(one) == list(SERIES_KEYS) == list(none)


def test_the_same_series_gives_the_same_analysis() -> None:
    x = np.random.default_rng(18).normal(0.8, 0.03, 25)
    x[15:] -= 0.05
    assert analyze_series(x) == analyze_series(x)


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="min_effect"):
        Settings(min_effect=-1)
    with pytest.raises(ValueError, match="alpha"):
        Settings(alpha=1.5)
