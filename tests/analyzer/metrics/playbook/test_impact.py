"""Playbook metrics: Atlas's formulas on a hand-made example, and the within-task estimator against planted truth."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

pl = pytest.importorskip("polars", reason="needs the analyze extra")

from scipy import stats  # noqa: E402

from tests.analyzer._playbook_data import HAND, frames, simulate  # noqa: E402
from trajdyn.analyzer.metrics.playbook import (  # noqa: E402
    ENTRY_COLUMNS,
    LEARNING_KEY_COLUMNS,
    PlaybookOptions,
    learning_key_report,
    learning_key_slug,
    playbook_entries,
    playbook_sessions,
    transfer_level,
)
from trajdyn.analyzer.stats import benjamini_hochberg  # noqa: E402
from trajdyn.analyzer.stats import stratified_difference as within_task_delta  # noqa: E402


def _entries(sessions: Any = HAND, **options: Any) -> dict[str, dict[str, Any]]:
    traj, events = frames(sessions)
    out = playbook_entries(traj, events, PlaybookOptions(**options))
    assert out.columns == list(ENTRY_COLUMNS)
    return {row["entry_id"]: row for row in out.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------------------
# known answers on the hand-made example (numbers derived by hand in tests/analyzer/_playbook_data.py terms)
# ---------------------------------------------------------------------------------------------------------
def test_counts_and_both_adoption_rates() -> None:
    e = _entries()["E"]
    assert (e["cue_hits"], e["adoptions"], e["successful_adoptions"], e["failed_adoptions"]) == (5, 2, 1, 1)
    assert e["adoption_rate_per_cue_hit"] == pytest.approx(1 / 5)  # Atlas per entry: successes / cue hits
    assert e["adoption_success_rate"] == pytest.approx(1 / 2)  # Atlas per session: successes / adoptions
    f = _entries()["F"]
    assert f["adoption_rate_per_cue_hit"] == 0.0 and f["adoption_success_rate"] is None


def test_eligible_sessions_start_at_the_first_firing_within_the_entrys_keys() -> None:
    """s1 precedes E's first firing and s9 is another learning key: neither is a 'not fired' session of E."""
    e = _entries()["E"]
    assert (e["sessions_fired"], e["sessions_not_fired"]) == (5, 2)  # fired s2 s4 s6 s7 s8; not s3 s5
    assert e["learning_keys"] == ["k"]


def test_naive_reward_and_token_deltas() -> None:
    e = _entries()["E"]
    assert e["reward_fired"] == pytest.approx((0.6 + 0.9 + 0.5 + 0.6) / 4)  # s7 has no reward
    assert e["reward_not_fired"] == pytest.approx((0.4 + 0.8) / 2)
    assert e["reward_delta_naive"] == pytest.approx(0.05)
    assert (e["reward_n_fired"], e["reward_n_not_fired"]) == (4, 2)
    assert e["tokens_fired"] == pytest.approx((80 + 60 + 100 + 70) / 4)  # s6 has no tokens
    assert e["token_delta_naive"] == pytest.approx(77.5 - 105.0)


def test_within_task_delta_uses_harmonic_mean_weights() -> None:
    """Task A: 0.6 vs 0.4 (1 vs 1, ω = 1/2); task B: mean(0.9, 0.6) vs 0.8 (2 vs 1, ω = 2/3); task C: one arm."""
    e = _entries()["E"]
    expected = (0.5 * 0.2 + (2 / 3) * (0.75 - 0.8)) / (0.5 + 2 / 3)
    assert e["reward_delta_within"] == pytest.approx(expected)
    assert (e["n_tasks_both_arms"], e["support_fired"], e["support_not"]) == (2, 3, 2)
    assert e["low_support"] is True


def test_cluster_bootstrap_and_exact_permutation_p_value() -> None:
    """With two task clusters the bootstrap can only give Δ_A, Δ_B or Δ̂; 5 of the 6 within-task arrangements
    are at least as extreme as the observed one, so p → 5/6."""
    e = _entries(n_boot=4000, n_perm=4000, perm_stop=0)["E"]
    assert e["ci_low"] == pytest.approx(-0.05) and e["ci_high"] == pytest.approx(0.2)
    assert e["p_value"] == pytest.approx(5 / 6, abs=0.02)
    assert e["q_value"] == e["p_value"] and e["significant"] is False


def test_sequential_stopping_estimates_large_p_values_from_fewer_draws() -> None:
    """Besag–Clifford: after 100 exceedances the draws stop; p is then exceedances / draws (≈ 5/6 here)."""
    early = _entries(n_perm=4000)["E"]["p_value"]
    assert early == pytest.approx(5 / 6, abs=0.06)
    assert early != pytest.approx((1 + round(early * 4000)) / 4001)  # not the full-run formula
    strong = _entries(simulate(1), n_boot=200, n_perm=999)["E"]["p_value"]
    assert strong == 1 / 1000  # a clear effect: every draw is made, none as extreme


def test_no_stratum_with_both_arms_gives_nulls() -> None:
    f = _entries()["F"]
    for key in ("reward_delta_within", "ci_low", "ci_high", "p_value", "q_value", "significant"):
        assert f[key] is None, key
    assert f["reward_delta_naive"] == pytest.approx(0.4 - (0.9 + 0.8 + 0.5 + 0.6) / 4)
    assert f["impact_score_within"] is None


def test_transfer_failure_avoidance_and_impact() -> None:
    e = _entries()["E"]
    assert (e["distinct_tasks"], e["transfer"], e["transfer_level"]) == (3, True, "domain")
    assert e["retries_fired"] == pytest.approx(1 / 5) and e["retries_not"] == pytest.approx(1.0)
    assert e["retry_delta"] == pytest.approx(-0.8)
    assert e["failures_fired"] == 0.0 and e["failures_not"] == pytest.approx(0.5)
    assert e["impact_score"] == pytest.approx(0.2 * 0.05)
    assert e["impact_score_within"] == pytest.approx(0.2 * e["reward_delta_within"])
    f = _entries()["F"]
    assert (f["distinct_tasks"], f["transfer"], f["transfer_level"]) == (1, False, "task")


@pytest.mark.parametrize(
    ("tasks", "level"), [(0, "task"), (1, "task"), (2, "domain"), (4, "domain"), (5, "workflow"), (10, "universal")]
)
def test_atlas_transfer_levels(tasks: int, level: str) -> None:
    assert transfer_level(tasks) == level


def test_rank_puts_negative_estimates_first_then_positive_then_none() -> None:
    sessions = simulate(3, n_tasks=12, per_task=6, effect=0.0, n_null=6)
    traj, events = frames(sessions)
    out = playbook_entries(traj, events, PlaybookOptions(n_boot=200, n_perm=200))
    est = out["reward_delta_within"].to_list()
    assert out["rank"].to_list() == list(range(1, out.height + 1))
    negatives = [x for x in est if x is not None and x < 0]
    assert negatives and est[: len(negatives)] == sorted(negatives)  # most negative first
    rest = [x for x in est[len(negatives) :] if x is not None]
    assert rest == sorted(rest, reverse=True)
    assert out["audit"].to_list() == [x is not None and x < 0 for x in est]


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan, 0.002])
    q = benjamini_hochberg(p)
    finite = ~np.isnan(p)
    assert np.isnan(q[4])
    np.testing.assert_allclose(q[finite], stats.false_discovery_control(p[finite]))
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5])), [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_within_task_delta_without_strata_or_values() -> None:
    y = np.array([1.0, np.nan, 2.0])
    assert within_task_delta(y, np.array([True, False, True]), np.array([0, 0, 1])).estimate is None
    empty = within_task_delta(np.array([]), np.array([], dtype=bool), np.array([], dtype=np.int64))
    assert empty.estimate is None and empty.n_strata == 0


def test_results_do_not_depend_on_other_entries() -> None:
    """Each entry has its own random stream: adding entries does not change another entry's interval."""
    alone = _entries(simulate(5, n_tasks=10, per_task=6), n_boot=300, n_perm=300)["E"]
    sessions = simulate(5, n_tasks=10, per_task=6)
    for s in sessions[:3]:
        s.events.append(("trajdyn.playbook.cue_hit", "Z", None))
    other = _entries(sessions, n_boot=300, n_perm=300)["E"]
    assert (other["ci_low"], other["ci_high"], other["p_value"]) == (
        alone["ci_low"],
        alone["ci_high"],
        alone["p_value"],
    )


def test_no_events_gives_an_empty_frame_with_the_columns() -> None:
    traj, _ = frames(HAND)
    out = playbook_entries(traj, None)
    assert out.height == 0 and out.columns == list(ENTRY_COLUMNS)


def test_sessions_count_events_and_order_by_start() -> None:
    traj, events = frames(HAND)
    s = playbook_sessions(traj.reverse(), events)
    assert s["trajectory_id"].to_list() == [x.sid for x in HAND]
    row = s.row(1, named=True)
    assert (row["retries"], row["cue_hits"], row["adoptions"], row["successful_adoptions"]) == (1, 2, 1, 1)
    assert s["tokens"].to_list()[5] is None


# ---------------------------------------------------------------------------------------------------------
# per learning key
# ---------------------------------------------------------------------------------------------------------
def _key(name: str, **options: Any) -> dict[str, Any]:
    traj, events = frames(HAND)
    out = learning_key_report(traj, events, PlaybookOptions(**options))
    assert out.columns == list(LEARNING_KEY_COLUMNS)
    return next(r for r in out.iter_rows(named=True) if r["learning_key"] == name)


def test_momentum_windows_do_not_overlap() -> None:
    """Rewards in order: .2 .6 .4 .9 .8 .5 .6 (s7 has none). recent = last 2, baseline = the 3 before them."""
    r = _key("k", recent_window=2, baseline_window=3)["reward"]
    assert (r["recent_n"], r["baseline_n"]) == (2, 3)
    assert r["recent_mean"] == pytest.approx(0.55)
    assert r["baseline_mean"] == pytest.approx(0.7)  # Atlas's overlapping baseline would be mean(.8 .5 .6)
    assert r["delta"] == pytest.approx(-0.15)
    welch = stats.ttest_ind([0.5, 0.6], [0.4, 0.9, 0.8], equal_var=False).confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((welch.low, welch.high))
    assert r["latest"] == pytest.approx(0.6) and r["mean"] == pytest.approx(4.0 / 7)
    assert r["too_little_data"] is False


def test_momentum_with_short_history_flags_too_little_data() -> None:
    r = _key("k", recent_window=6, baseline_window=50)["reward"]
    assert (r["recent_n"], r["baseline_n"]) == (6, 1)
    assert r["ci_low"] is None and r["too_little_data"] is True
    one = _key("j")["reward"]
    assert (one["recent_n"], one["baseline_n"], one["delta"]) == (1, 0, None)


def test_modes_models_retries_usage_and_latest() -> None:
    k = _key("k", latest=3)
    assert (k["sessions"], k["tasks"]) == (8, 3)
    modes = {m["mode"]: m for m in k["execution_modes"]}
    assert [m["mode"] for m in k["execution_modes"]] == ["auto", "paired"]
    assert (modes["auto"]["sessions"], modes["auto"]["share"]) == (4, 0.5)
    assert modes["paired"]["reward_n"] == 2 and k["execution_mode_missing"] == 1
    models = {m["model"]: m for m in k["models"]}
    assert models["m1"]["reward_mean"] == pytest.approx(3.4 / 6)
    assert (models["m2"]["sessions"], models["m2"]["reward_n"], models["m2"]["latest_reward"]) == (2, 1, 0.6)
    assert k["retries"] == {"total": 3, "sessions_with": 2, "per_session": 3 / 8}
    assert k["failures"]["total"] == 1
    u = k["usage"]
    assert (u["cue_hits"], u["sessions_with_cue_hits"], u["adoptions"]) == (6, 5, 2)
    assert u["cue_trigger_rate"] == pytest.approx(5 / 8)
    assert u["adoption_success_rate"] == 0.5 and u["adoption_rate_per_cue_hit"] == pytest.approx(1 / 6)
    assert [s["trajectory_id"] for s in k["latest_sessions"]] == ["s8", "s7", "s6"]


def test_slugs_never_collide_even_with_a_shared_prefix() -> None:
    a, b = "persona:webops.marketing/alpha", "persona:webops.marketing/beta"
    assert a[:16] == b[:16]  # Atlas's file names would collide
    sa, sb = learning_key_slug(a), learning_key_slug(b)
    assert sa != sb and sa.lower() != sb.lower()
    assert learning_key_slug("Key") != learning_key_slug("key")
    assert learning_key_slug("../../etc/passwd").startswith("etc-passwd-")
    assert all(c.isalnum() or c in "._-" for c in learning_key_slug("a b/c\\d:e?*"))


# ---------------------------------------------------------------------------------------------------------
# planted truth: confounded firing
# ---------------------------------------------------------------------------------------------------------
def test_naive_delta_is_biased_and_the_within_task_estimate_recovers_the_planted_effect() -> None:
    """Harder tasks fire the entry more often and have lower rewards; the entry adds +0.10."""
    e = _entries(simulate(1), n_boot=1000, n_perm=500)["E"]
    assert e["reward_delta_naive"] < 0.0  # confounding flips the sign
    assert e["ci_low"] <= 0.10 <= e["ci_high"]
    assert e["reward_delta_within"] == pytest.approx(0.10, abs=0.03)
    assert e["significant"] is True and e["low_support"] is False


def test_bootstrap_interval_covers_the_planted_effect_in_most_replicates() -> None:
    covered = 0
    naive_errors, within_errors = [], []
    for seed in range(20):
        e = _entries(simulate(100 + seed, n_tasks=30, per_task=10), n_boot=500, n_perm=50)["E"]
        covered += e["ci_low"] <= 0.10 <= e["ci_high"]
        naive_errors.append(e["reward_delta_naive"] - 0.10)
        within_errors.append(e["reward_delta_within"] - 0.10)
    assert covered >= 16  # nominal 95 %: 19 of 20 expected
    assert abs(float(np.mean(within_errors))) < 0.01
    assert float(np.mean(naive_errors)) < -0.1


def test_null_entries_are_not_flagged_after_benjamini_hochberg() -> None:
    """200 entries with no effect (firing still confounded by difficulty): BH flags at most the nominal rate."""
    e = _entries(simulate(7, n_tasks=30, per_task=8, effect=0.0, n_null=200), n_boot=100, n_perm=300)
    nulls = [v for k, v in e.items() if k.startswith("N")]
    assert len(nulls) == 200
    flagged = sum(1 for v in nulls if v["significant"])
    raw = sum(1 for v in nulls if v["p_value"] < 0.05)
    naive_far = sum(1 for v in nulls if abs(v["reward_delta_naive"]) > 0.05)
    assert flagged <= 0.05 * len(nulls)
    assert raw <= 0.10 * len(nulls)  # the permutation test is calibrated (≈ 5 % expected)
    assert naive_far > 0.5 * len(nulls)  # while the naive deltas are systematically off
    assert math.isclose(np.mean([v["reward_delta_within"] for v in nulls]), 0.0, abs_tol=0.01)
