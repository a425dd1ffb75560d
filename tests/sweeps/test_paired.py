"""The Ratchet's pure-Python paired t interval agrees with scipy."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats

from trajdyn.sweeps import paired_t_interval, t_cdf, t_quantile


@given(
    p=st.floats(min_value=1e-6, max_value=1 - 1e-6),
    df=st.one_of(st.integers(min_value=1, max_value=500), st.floats(min_value=0.5, max_value=1e9)),
)
@example(p=0.975, df=1)
@example(p=0.95, df=2)
@example(p=0.5, df=7)
@example(p=0.999999, df=1)
@example(p=0.95, df=999_999)
@example(p=0.95, df=1_000_000)
@example(p=0.9999, df=1e8)
def test_t_quantile_matches_scipy(p: float, df: float) -> None:
    ours = t_quantile(p, df)
    theirs = float(stats.t.ppf(p, df))
    assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-9)


@given(t=st.floats(min_value=-1e3, max_value=1e3), df=st.integers(min_value=1, max_value=10_000))
@example(t=0.0, df=1)
@example(t=-40.0, df=3)
@example(t=12.706204736174698, df=1)
def test_t_cdf_matches_scipy(t: float, df: int) -> None:
    assert t_cdf(t, df) == pytest.approx(float(stats.t.cdf(t, df)), abs=1e-11)


def test_known_quantiles() -> None:
    """Table values: t_{0.975,10} = 2.228139, t_{0.95,1} = 6.313752, t_{0.95,∞} = 1.644854."""
    assert t_quantile(0.975, 10) == pytest.approx(2.228138851986274, abs=1e-12)
    assert t_quantile(0.95, 1) == pytest.approx(6.313751514675043, abs=1e-10)
    assert t_quantile(0.95, 1e12) == pytest.approx(1.6448536269514722, abs=2e-12)  # z + (z³ + z)/(4ν)
    assert t_quantile(0.05, 4) == -t_quantile(0.95, 4)


@given(
    diffs=st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=2, max_size=60),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
@example(diffs=[0.1, 0.1, 0.1], confidence=0.95)
@example(diffs=[0.0, 1.0], confidence=0.95)
def test_paired_interval_matches_scipy(diffs: list[float], confidence: float) -> None:
    """Each end is the one-sided bound at ``confidence``: scipy's two-sided t.interval at 2c − 1."""
    ours = paired_t_interval(diffs, confidence)
    assert ours is not None
    n = len(diffs)
    mean = sum(diffs) / n
    sem = float(stats.sem(diffs))
    assert ours.n == n
    assert ours.mean == pytest.approx(mean, abs=1e-12)
    if sem == 0 or not math.isfinite(sem):
        assert ours.low == pytest.approx(ours.mean, abs=1e-9) and ours.high == pytest.approx(ours.mean, abs=1e-9)
        return
    low, high = stats.t.interval(2 * confidence - 1, n - 1, loc=mean, scale=sem)
    assert ours.low == pytest.approx(low, rel=1e-7, abs=1e-9)
    assert ours.high == pytest.approx(high, rel=1e-7, abs=1e-9)


def test_paired_interval_agrees_with_the_paired_t_test() -> None:
    """The lower bound exceeds 0 exactly when scipy's one-sided paired t test rejects at 1 − confidence."""
    cand = [0.71, 0.69, 0.75, 0.80, 0.66, 0.73, 0.70, 0.77]
    inc = [0.70, 0.66, 0.71, 0.78, 0.65, 0.69, 0.70, 0.72]
    diffs = [c - i for c, i in zip(cand, inc, strict=True)]
    p = float(stats.ttest_rel(cand, inc, alternative="greater").pvalue)
    for confidence in (0.9, 0.95, 0.99, 0.999):
        interval = paired_t_interval(diffs, confidence)
        assert interval is not None
        assert (interval.low > 0) == (p < 1 - confidence)


def test_too_few_pairs_and_bad_arguments() -> None:
    assert paired_t_interval([], 0.95) is None
    assert paired_t_interval([0.3], 0.95) is None
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError):
        t_quantile(0.5, 0)
    with pytest.raises(ValueError):
        t_cdf(0.0, -1)
    assert t_cdf(math.inf, 3) == 1.0 and t_cdf(-math.inf, 3) == 0.0
