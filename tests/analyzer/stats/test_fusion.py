"""The reweighted-fusion estimator (METHODS §3): planted truths, ClawBench's known answer, the interval rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from trajdyn.analyzer.stats import (
    CI_BOOTSTRAP,
    CI_JEFFREYS,
    bootstrap_pools,
    fuse,
    hajek_mean,
    hajek_se,
    jeffreys_mixture_interval,
    kish_ess,
    manski_bounds,
    max_weight_share,
    stratified_bootstrap_interval,
    task_weights,
)


def test_clawbench_two_strata_known_answer() -> None:
    """Benchmark math 0.8 / code 0.2, target math 0.2 / code 0.8 → weights 0.25 / 4.0 (ClawBench's example)."""
    math_scores = [1, 1, 1, 1, 1, 1, 0, 0]  # 8 math tasks, mean 0.75
    code_scores = [1, 0]  # 2 code tasks, mean 0.5
    values = np.array(math_scores + code_scores, dtype=float)
    strata = np.array([0] * 8 + [1] * 2)
    fused = fuse(values, strata, stratum_target=[0.2, 0.8], kind="binary")
    assert fused.weights.tolist() == pytest.approx([0.25, 4.0])
    assert fused.benchmark_mean == pytest.approx(0.7)
    assert fused.reweighted_mean == pytest.approx(0.2 * 0.75 + 0.8 * 0.5)
    assert fused.covered_mass == pytest.approx(1.0)
    assert fused.bounds == pytest.approx((0.55, 0.55))
    # Kish ESS of 8 weights 0.25 and 2 weights 4.0: (8·0.25 + 2·4)² / (8·0.0625 + 2·16)
    assert fused.ess == pytest.approx(100.0 / 32.5)
    assert fused.max_weight_share == pytest.approx(4.0 / 10.0)
    assert fused.ci_method == CI_JEFFREYS
    assert fused.ci is not None and fused.ci[0] < 0.55 < fused.ci[1]


def test_uncovered_stratum_is_reported_not_renormalised_silently() -> None:
    """A stratum with target mass 0.08 and no task: covered mass 0.92, the covered estimate, Manski bounds."""
    values = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    strata = np.array([0, 0, 0, 1, 1, 1])
    target = [0.46, 0.46, 0.08]  # stratum 2 has no benchmark task
    fused = fuse(values, strata, stratum_target=target, kind="binary")
    covered = (0.46 * (2 / 3) + 0.46 * (1 / 3)) / 0.92
    assert fused.covered_mass == pytest.approx(0.92)
    assert fused.reweighted_mean == pytest.approx(covered)
    assert fused.counts.tolist() == [3, 3, 0]
    assert math.isnan(fused.weights[2])
    assert fused.bounds == pytest.approx((0.92 * covered, 0.92 * covered + 0.08))
    assert fused.bounds_ci is not None and fused.ci is not None
    assert fused.bounds_ci[0] == pytest.approx(0.92 * fused.ci[0])
    assert fused.bounds_ci[1] == pytest.approx(0.92 * fused.ci[1] + 0.08)


def test_stratum_without_target_mass_gets_weight_zero_and_does_not_move_the_estimate() -> None:
    values = np.array([0.2, 0.4, 10.0, 12.0])
    strata = np.array([0, 0, 1, 1])
    fused = fuse(values, strata, stratum_target=[1.0, 0.0], kind="continuous")
    assert fused.weights.tolist() == [2.0, 0.0]
    assert fused.reweighted_mean == pytest.approx(0.3)
    assert fused.benchmark_mean == pytest.approx(5.65)
    assert fused.ess == pytest.approx(2.0)


def test_nothing_covered_gives_no_estimate_and_the_whole_range_as_bounds() -> None:
    fused = fuse([1.0, 0.0], [0, 0], stratum_target=[0.0, 1.0], kind="binary")
    assert fused.reweighted_mean is None and fused.ci is None and fused.ess is None
    assert fused.covered_mass == 0.0
    assert fused.bounds == (0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.floats(-5, 5)), min_size=1, max_size=30),
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
)
@example([(0, 1.0)], [0.0, 0.0, 0.0, 1.0])
def test_hajek_with_stratum_weights_equals_the_post_stratified_mean(
    rows: list[tuple[int, float]], raw: list[float]
) -> None:
    """Σw·y/Σw with w = P/Q equals Σ_s P_s ȳ_s / c over the covered strata (METHODS §3)."""
    strata = np.array([s for s, _ in rows])
    values = np.array([v for _, v in rows])
    total = sum(raw)
    target = np.array(raw) / total if total > 0 else np.zeros(4)
    fused = fuse(values, strata, stratum_target=target, k=4, kind="continuous", draws=50)
    present = [s for s in range(4) if np.any(strata == s) and target[s] > 0]
    c = sum(target[s] for s in present)
    if c == 0:
        assert fused.reweighted_mean is None
        return
    post = sum(target[s] * values[strata == s].mean() for s in present) / c
    assert fused.reweighted_mean == pytest.approx(post, abs=1e-9)
    assert fused.covered_mass == pytest.approx(c)


def test_task_weights_are_importance_ratios() -> None:
    assert task_weights([0.1, 0.1, 0.4, 0.4]).tolist() == pytest.approx([0.4, 0.4, 1.6, 1.6])
    with pytest.raises(ValueError, match="task masses"):
        task_weights([0.5, -0.1])


def test_kish_ess_and_max_weight_share() -> None:
    assert kish_ess([1.0] * 7) == pytest.approx(7.0)
    assert kish_ess([0.0, 0.0, 3.0]) == pytest.approx(1.0)
    assert kish_ess([0.0, 0.0]) is None
    assert max_weight_share([1.0, 1.0, 2.0]) == pytest.approx(0.5)
    assert max_weight_share([]) is None
    assert hajek_mean([1.0, 3.0], [1.0, 3.0]) == pytest.approx(2.5)
    assert hajek_mean([1.0], [0.0]) is None


def test_manski_bounds() -> None:
    assert manski_bounds(0.5, 1.0) == (0.5, 0.5)
    assert manski_bounds(0.5, 0.8) == pytest.approx((0.4, 0.6))
    assert manski_bounds(0.5, 0.0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="covered mass"):
        manski_bounds(0.5, 1.5)


def test_jeffreys_mixture_of_one_stratum_is_the_jeffreys_interval() -> None:
    """One stratum: the mixture is Beta(k + ½, n − k + ½) itself; its quantiles to Monte Carlo precision."""
    lo, hi = stats.beta.ppf([0.025, 0.975], 3.5, 7.5)
    ci = jeffreys_mixture_interval([3.0], [10.0], [1.0], draws=200_000, rng=1)
    assert ci == pytest.approx((lo, hi), abs=4e-3)


def test_jeffreys_mixture_skips_uncovered_and_untargeted_strata() -> None:
    with_extra = jeffreys_mixture_interval([3.0, 5.0, 0.0], [10.0, 5.0, 0.0], [0.9, 0.0, 0.1], draws=5000, rng=3)
    alone = jeffreys_mixture_interval([3.0], [10.0], [1.0], draws=5000, rng=3)
    assert with_extra == pytest.approx(alone)
    assert jeffreys_mixture_interval([0.0], [0.0], [1.0]) is None
    with pytest.raises(ValueError, match="successes"):
        jeffreys_mixture_interval([4.0], [3.0], [1.0])


def test_jeffreys_mixture_is_seeded() -> None:
    a = jeffreys_mixture_interval([1.0, 2.5], [4.0, 5.0], [0.3, 0.7], rng=9)
    b = jeffreys_mixture_interval([1.0, 2.5], [4.0, 5.0], [0.3, 0.7], rng=9)
    c = jeffreys_mixture_interval([1.0, 2.5], [4.0, 5.0], [0.3, 0.7], rng=10)
    assert a == b and a != c


@pytest.mark.parametrize(
    ("strata", "pools"),
    [
        ([0] * 5 + [1] * 6, [0] * 5 + [1] * 6),  # every stratum large: its own pool
        ([0] * 5 + [1] * 2 + [2] * 3, [0] * 5 + [1] * 5),  # small strata together make a pool of 5
        ([0] * 6 + [1] * 5 + [2] * 2, [0] * 6 + [1] * 5 + [1] * 2),  # too few: they join the smallest large one
        ([0, 1, 1, 2], [0, 0, 0, 0]),  # no large stratum: one pool
        ([3] * 5 + [1] * 5 + [2] * 2, [1] * 5 + [0] * 7),  # ties: the first large one; numbered by stratum code
    ],
)
def test_bootstrap_pools_merge_strata_below_five_tasks(strata: list[int], pools: list[int]) -> None:
    assert bootstrap_pools(np.array(strata)).tolist() == pools


def test_hajek_se_is_cochrans_stratified_standard_error() -> None:
    """sqrt(Σ_s P_s² s_s²/n_s)/c with w = P/Q and pools = strata."""
    rng = np.random.default_rng(4)
    strata = np.repeat([0, 1, 2], [6, 9, 5])
    values = rng.normal(size=strata.size) + strata
    target = np.array([0.5, 0.2, 0.3])
    counts = np.bincount(strata)
    weights = target[strata] / counts[strata] * strata.size
    cochran = math.sqrt(sum(target[s] ** 2 * values[strata == s].var(ddof=1) / counts[s] for s in range(3)))
    assert hajek_se(values, weights, strata) == pytest.approx(cochran)


def test_bootstrap_t_interval_covers_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(2)
    strata = np.repeat([0, 1], [12, 8])
    values = rng.lognormal(size=20)
    weights = np.where(strata == 0, 0.5, 2.0)
    a = stratified_bootstrap_interval(values, weights, strata, resamples=2000, rng=5)
    b = stratified_bootstrap_interval(values, weights, strata, resamples=2000, rng=5)
    est = hajek_mean(values, weights)
    assert a == b and a is not None and est is not None
    assert a[0] < est < a[1]
    # zero weights take no part
    more = stratified_bootstrap_interval(
        np.append(values, 1e6), np.append(weights, 0.0), np.append(strata, 1), resamples=2000, rng=5
    )
    assert more == a


def test_bootstrap_t_of_constant_values_is_the_point() -> None:
    assert stratified_bootstrap_interval([0.4] * 6, [1.0] * 6, [0] * 6) == pytest.approx((0.4, 0.4), abs=1e-15)
    assert stratified_bootstrap_interval([0.4], [0.0], [0]) is None


def test_continuous_and_task_weights_use_the_bootstrap_and_bounded_ones_are_clipped() -> None:
    values = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    strata = np.array([0] * 5 + [1] * 5)
    mass = np.full(10, 0.1)
    fused = fuse(values, strata, task_mass=mass, kind="binary", draws=500)
    assert fused.ci_method == CI_BOOTSTRAP
    assert fused.ci is not None and 0.0 <= fused.ci[0] <= fused.ci[1] <= 1.0
    assert fused.reweighted_mean == pytest.approx(0.6)
    cont = fuse(values * 3, strata, stratum_target=[0.5, 0.5], kind="continuous", draws=500)
    assert cont.ci_method == CI_BOOTSTRAP and cont.bounds is None


def test_task_mass_of_missing_tasks_is_uncovered() -> None:
    fused = fuse([1.0, 0.0], [0, 0], task_mass=[0.3, 0.2], kind="binary", draws=200)
    assert fused.covered_mass == pytest.approx(0.5)
    assert fused.reweighted_mean == pytest.approx(0.6)
    assert fused.bounds == pytest.approx((0.3, 0.8))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"values": [0.5, 2.0], "strata": [0, 0], "stratum_target": [1.0], "kind": "bounded"}, r"\[0, 1\]"),
        ({"values": [0.5], "strata": [0, 0], "stratum_target": [1.0]}, "one length"),
        ({"values": [float("nan")], "strata": [0], "stratum_target": [1.0]}, "finite"),
        ({"values": [0.5], "strata": [0]}, "exactly one"),
        ({"values": [0.5], "strata": [0], "stratum_target": [0.7, 0.7]}, "at most 1"),
        ({"values": [0.5], "strata": [0], "task_mass": [-0.1]}, "task mass"),
        ({"values": [0.5], "strata": [0], "stratum_target": [1.0], "kind": "ordinal"}, "kind"),
    ],
)
def test_fuse_rejects_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fuse(**kwargs)  # type: ignore[arg-type]
