"""Known-answer and property tests of the exploration metrics (METHODS §1)."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tests.analyzer.metrics.test_exploration_frames import Step, Traj, frames, p
from trajdyn.analyzer.metrics import EXPLORATION_KEYS, exploration


def one(traj: Traj, **options: Any) -> dict[str, Any]:
    steps, trajectories = frames([traj])
    result = exploration(steps, trajectories, **options)
    assert result.height == 1
    return result.row(0, named=True)


def test_result_has_every_report_key_in_order() -> None:
    steps, trajectories = frames([Traj("t", [p("a", 1)])])
    assert exploration(steps, trajectories).columns == ["trajectory_id", *EXPLORATION_KEYS]


def test_repeats_and_unique_pairs_with_canonical_values() -> None:
    """768, 768.0 and "768" are one value; a pair is a repeat when proposed at an earlier iteration."""
    r = one(Traj("t", [p("d", 768), p("d", 768.0), p("d", "768"), p("h", 8), p("d", 512), p("h", 8)]))
    assert r["iterations"] == 6
    assert r["unique_pairs"] == 3
    assert r["repeat_count"] == 3
    assert r["repeat_rate"] == pytest.approx(0.5)
    assert r["knobs_touched"] == 2
    assert r["knob_counts"] == [{"knob": "d", "n": 4}, {"knob": "h", "n": 2}]


def test_windows_include_a_partial_last_window_and_whole_history_repeats() -> None:
    # 7 iterations, window 3: [1..3] [4..6] [7]; iteration 4 repeats iteration 1 (a pair of an earlier window)
    seq = [p("a", 1), p("a", 2), p("a", 2), p("a", 1), p("a", 3), p("a", 4), p("a", 4)]
    r = one(Traj("t", seq), window=3)
    assert r["windows_repeat_rate"] == [
        {"first": 1, "last": 3, "rate": pytest.approx(1 / 3)},
        {"first": 4, "last": 6, "rate": pytest.approx(1 / 3)},
        {"first": 7, "last": 7, "rate": 1.0},
    ]


def test_top_pairs_rank_by_count_then_first_appearance_and_cap_at_top() -> None:
    seq = [p("x", 1), p("y", 1), p("z", 1), p("y", 1), p("x", 1), p("w", 1), p("w", 1), p("v", 1)]
    r = one(Traj("t", seq), top=3)
    assert r["top_pairs"] == [
        {"knob": "x", "value": "1", "n": 2},
        {"knob": "y", "value": "1", "n": 2},
        {"knob": "w", "value": "1", "n": 2},
    ]


def test_tool_calls_use_the_action_as_knob_with_null_value() -> None:
    seq = [Step(None, action="search"), Step(None, action="search"), Step(None, action="open")]
    r = one(Traj("t", seq))
    assert r["unique_pairs"] == 2
    assert r["repeat_count"] == 1
    assert r["top_pairs"][0] == {"knob": "search", "value": None, "n": 2}


def test_menu_coverage_and_untouched_in_menu_order() -> None:
    r = one(Traj("t", [p("c", 1), p("a", 1)], menu=["a", "b", "c", "d"]))
    assert r["knobs_total"] == 4
    assert r["knob_coverage"] == pytest.approx(0.5)
    assert r["knobs_untouched"] == ["b", "d"]


def test_no_menu_gives_null_menu_keys() -> None:
    r = one(Traj("t", [p("a", 1)]))
    assert r["knobs_total"] is None
    assert r["knob_coverage"] is None
    assert r["knobs_untouched"] is None


def test_keeps_and_keep_pair_counts() -> None:
    seq = [
        p("a", 1, 1.0, "revert"),
        p("b", 2, 2.0, "keep"),
        p("a", 1, 1.5, "accepted"),  # not normalised here: only "keep" counts (ingest normalises)
        p("b", 2, 2.5, "keep"),
        p("c", 3, 0.5, "keep"),
    ]
    r = one(Traj("t", seq))
    assert r["keep_count"] == 3
    assert r["keep_iterations"] == [2, 4, 5]
    assert r["first_keep_iteration"] == 2
    assert r["keep_pair_counts"] == [{"knob": "b", "value": "2", "n": 2}, {"knob": "c", "value": "3", "n": 1}]


def test_best_maximize_first_wins_ties_and_improvement_fraction() -> None:
    seq = [p("a", 1, 2.0), p("a", 2, 3.0), p("a", 3, 3.0), p("a", 4, 1.0)]
    r = one(Traj("t", seq, baseline=2.5))
    assert (r["best_iteration"], r["best_value"]) == (2, 3.0)
    assert r["best_pair"] == {"knob": "a", "value": "2"}
    assert r["improvement"] == pytest.approx(0.2)


def test_best_minimize_and_negative_baseline() -> None:
    seq = [p("a", 1, -1.0), p("a", 2, -3.0), p("a", 3, -2.0)]
    r = one(Traj("t", seq, objective="minimize", baseline=-2.0))
    assert (r["best_iteration"], r["best_value"]) == (2, -3.0)
    assert r["improvement"] == pytest.approx(0.5)  # (−2 − (−3)) / |−2|


def test_no_baseline_or_zero_baseline_gives_null_improvement() -> None:
    seq = [p("a", 1, 1.0)]
    assert one(Traj("t", seq))["improvement"] is None
    assert one(Traj("t", seq))["baseline_value"] is None
    assert one(Traj("t", seq, baseline=0.0))["improvement"] is None


def test_no_metric_gives_null_best_and_no_improvements() -> None:
    r = one(Traj("t", [p("a", 1), p("b", 1), p("a", 1)], baseline=1.0))
    assert r["best_iteration"] is None and r["best_value"] is None and r["best_pair"] is None
    assert r["improvement"] is None
    assert r["since_improvement"] == 3
    assert r["longest_plateau"] == 3
    assert r["noise_floor"] is None and r["keeps_within_noise"] is None
    assert r["running_best"] == [1.0, 1.0, 1.0]


def test_all_blocked_is_zero_iterations_with_nulls() -> None:
    r = one(Traj("t", [Step("a", "1", blocked=True), Step("b", "1", blocked=True)], menu=["a", "b"]))
    assert r["iterations"] == 0
    assert r["repeat_rate"] is None and r["novelty_good_turing"] is None and r["chao1"] is None
    assert r["knobs_touched"] == 0 and r["knob_coverage"] == 0.0
    assert r["knobs_untouched"] == ["a", "b"]
    assert r["windows_repeat_rate"] == [] and r["top_pairs"] == [] and r["keep_iterations"] == []
    assert r["since_improvement"] == 0 and r["longest_plateau"] == 0


def test_blocked_proposals_are_not_iterations_nor_repeats() -> None:
    seq = [p("a", 1), Step("a", "1", blocked=True), p("b", 1), p("a", 1)]
    r = one(Traj("t", seq))
    assert r["iterations"] == 3
    assert r["repeat_count"] == 1
    assert r["knob_counts"] == [{"knob": "a", "n": 2}, {"knob": "b", "n": 1}]


def test_single_iteration() -> None:
    r = one(Traj("t", [p("a", 1, 5.0, "keep")]))
    assert r["iterations"] == 1 and r["repeat_rate"] == 0.0
    assert r["novelty_good_turing"] == 1.0
    assert r["chao1"] == 1.0  # D + f1(f1−1)/2 with f1 = 1, f2 = 0
    assert r["since_improvement"] == 0 and r["longest_plateau"] == 0  # the first metric improves (no baseline)
    assert r["windows_repeat_rate"] == [{"first": 1, "last": 1, "rate": 0.0}]


def test_good_turing_and_chao1_known_answer() -> None:
    # counts: a1×3, a2×2, a3×1, a4×1 → N=7, D=4, f1=2, f2=1
    seq = [p("a", 1), p("a", 1), p("a", 1), p("a", 2), p("a", 2), p("a", 3), p("a", 4)]
    r = one(Traj("t", seq))
    assert r["novelty_good_turing"] == pytest.approx(2 / 7)
    assert r["chao1"] == pytest.approx(4 + 4 / 2)


def test_plateau_with_baseline_and_eta() -> None:
    """Maximize, baseline 100, η = 0.05: only gains above 5 % of the running best improve."""
    metrics = [101.0, 110.0, 112.0, 113.0, 130.0, 131.0, 120.0]
    seq = [p("a", i, m) for i, m in enumerate(metrics)]
    strict = one(Traj("t", seq, baseline=100.0))
    # η = 0: improves at 1, 2, 3, 4, 5, 6 → trailing run of 1
    assert strict["since_improvement"] == 1 and strict["longest_plateau"] == 1
    relaxed = one(Traj("t", seq, baseline=100.0), eta=0.05)
    # running best before: 100, 101, 110, 112, 113, 130, 131; improves only at 2 (110 > 101·1.05) and 5 (130 > 113·1.05)
    assert relaxed["since_improvement"] == 2
    assert relaxed["longest_plateau"] == 2  # iterations 3–4 and 6–7
    assert relaxed["running_best"] == [101.0, 110.0, 112.0, 113.0, 130.0, 131.0, 131.0]


def test_noise_floor_pooled_sd_and_keeps_within_noise() -> None:
    # pair a=1 evaluated at 10, 12 (var 2); pair b=1 at 20, 22, 24 (var 4) → sqrt((1·2 + 2·4)/3)
    seq = [
        p("a", 1, 10.0, "keep"),  # first metric, no baseline: no running best before it → not within noise
        p("a", 1, 12.0, "keep"),  # beats 10 by 2 (≥ floor 1.83 → no)
        p("b", 1, 20.0, "keep"),  # beats 12 by 8 → no
        p("b", 1, 22.0, "revert"),
        p("b", 1, 24.0, "keep"),  # beats 22 by 2 → no
        p("c", 1, 25.0, "keep"),  # beats 24 by 1 → yes
        p("c", 2, 24.5, "keep"),  # does not beat → no
    ]
    r = one(Traj("t", seq))
    assert r["noise_floor"] == pytest.approx(math.sqrt(10 / 3))
    assert r["keeps_within_noise"] == 1


def test_non_finite_metric_is_absent() -> None:
    r = one(Traj("t", [p("a", 1, math.nan), p("a", 2, math.inf), p("a", 3, 1.0)]))
    assert (r["best_iteration"], r["best_value"]) == (3, 1.0)


def test_a_trajectory_without_steps_still_gets_a_row() -> None:
    steps, trajectories = frames([Traj("empty"), Traj("t", [p("a", 1)])])
    result = exploration(steps, trajectories)
    assert result["trajectory_id"].to_list() == ["empty", "t"]
    assert result["iterations"].to_list() == [0, 1]


@pytest.mark.parametrize(("option", "value"), [("window", 0), ("eta", -0.1), ("eta", math.nan), ("top", 0)])
def test_bad_options_raise_value_error(option: str, value: float) -> None:
    steps, trajectories = frames([Traj("t", [p("a", 1)])])
    with pytest.raises(ValueError, match=option):
        exploration(steps, trajectories, **{option: value})


# ---- reference implementation (plain Python, straight from the shared definitions) -------------------------


def reference(traj: Traj, window: int = 10, eta: float = 0.0) -> dict[str, Any]:
    its = [s for s in traj.steps if not s.blocked]
    pairs = [(s.knob if s.knob is not None else s.action, s.value if s.knob is not None else None) for s in its]
    n = len(its)
    counts = Counter(pairs)
    seen: set[tuple[str | None, str | None]] = set()
    repeat = []
    for pair in pairs:
        repeat.append(pair in seen)
        seen.add(pair)
    sign = -1.0 if traj.objective == "minimize" else 1.0
    rb = None if traj.baseline is None else sign * traj.baseline
    improves = []
    for s in its:
        if s.metric is None:
            improves.append(False)
            continue
        sc = sign * s.metric
        improves.append(rb is None or sc - rb > eta * abs(rb))
        rb = sc if rb is None else max(rb, sc)
    run = longest = 0
    for imp in improves:
        run = 0 if imp else run + 1
        longest = max(longest, run)
    last = max((i + 1 for i, imp in enumerate(improves) if imp), default=0)
    f1 = sum(1 for c in counts.values() if c == 1)
    f2 = sum(1 for c in counts.values() if c == 2)
    d = len(counts)
    windows = []
    for start in range(0, n, window):
        chunk = repeat[start : start + window]
        windows.append({"first": start + 1, "last": start + len(chunk), "rate": sum(chunk) / len(chunk)})
    return {
        "iterations": n,
        "unique_pairs": d,
        "repeat_count": sum(repeat),
        "repeat_rate": sum(repeat) / n if n else None,
        "novelty_good_turing": f1 / n if n else None,
        "chao1": None if not n else (d + f1 * f1 / (2 * f2) if f2 else d + f1 * (f1 - 1) / 2),
        "since_improvement": n - last,
        "longest_plateau": longest,
        "keep_count": sum(1 for s in its if s.decision == "keep"),
        "windows_repeat_rate": windows,
    }


_step = st.builds(
    Step,
    knob=st.sampled_from(["a", "b", "c"]),
    value=st.sampled_from(["1", "2", "3"]),
    metric=st.one_of(st.none(), st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 1))),
    decision=st.sampled_from([None, "keep", "revert"]),
    blocked=st.sampled_from([False, False, False, True]),
)
_traj_lists = st.lists(
    st.tuples(
        st.lists(_step, max_size=25),
        st.sampled_from(["minimize", "maximize"]),
        st.one_of(st.none(), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 1))),
    ),
    min_size=1,
    max_size=5,
)


def _build(spec: list[tuple[list[Step], str, float | None]]) -> list[Traj]:
    return [Traj(f"t{i:02d}", s, objective=o, baseline=b) for i, (s, o, b) in enumerate(spec)]


@settings(max_examples=60, deadline=None)
@given(_traj_lists, st.integers(1, 7), st.sampled_from([0.0, 0.01, 0.5]))
@example([([], "maximize", None)], 10, 0.0)
@example([([Step("a", "1", 1.0)] * 3, "minimize", 1.0)], 2, 0.0)
def test_matches_the_reference_and_invariants(
    spec: list[tuple[list[Step], str, float | None]], window: int, eta: float
) -> None:
    trajs = _build(spec)
    steps, trajectories = frames(trajs)
    result = exploration(steps, trajectories, window=window, eta=eta)
    for traj, row in zip(trajs, result.iter_rows(named=True), strict=True):
        want = reference(traj, window, eta)
        for key, value in want.items():
            assert row[key] == (pytest.approx(value) if isinstance(value, float) else value), key
        assert row["repeat_count"] == row["iterations"] - row["unique_pairs"]
        for rate in (row["repeat_rate"], row["novelty_good_turing"], *(w["rate"] for w in row["windows_repeat_rate"])):
            assert rate is None or 0.0 <= rate <= 1.0
        assert row["chao1"] is None or row["chao1"] >= row["unique_pairs"]
        for value in row.values():
            assert not (isinstance(value, float) and not math.isfinite(value))


@settings(max_examples=20, deadline=None)
@given(_traj_lists, st.randoms(use_true_random=False))
def test_permuting_trajectory_order_does_not_change_results(
    spec: list[tuple[list[Step], str, float | None]], rnd: random.Random
) -> None:
    trajs = _build(spec)
    shuffled = list(trajs)
    rnd.shuffle(shuffled)
    a = exploration(*frames(trajs))
    b = exploration(*frames(shuffled))
    # float sums may differ in the last bit with the row order
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12)


def test_noise_floor_bits_do_not_depend_on_other_trajectories() -> None:
    """A trajectory's pooled sum runs over its pairs in the order of their first proposal: the same bits whatever
    other trajectories come first (they change the pairs' categorical codes, whose order the sum followed before,
    and under parallel casting that order changed from run to run)."""
    # one pair with a large spread first, then ten with spreads below its rounding step: summed large-first the small
    # ones vanish, summed small-first they add up
    knobs = [f"k{i:02d}" for i in range(11)]
    spread = [math.sqrt(2.0)] + [1.5e-8] * 10
    steps = [p(k, 1, m) for k, d in zip(knobs, spread, strict=True) for m in (0.0, d)]
    alone = one(Traj("x", steps))["noise_floor"]
    others = Traj("a", [p(k, 1, 1.0) for k in reversed(knobs)])  # first in the frame: reversed codes
    with_other = exploration(*frames([others, Traj("x", steps)])).row(1, named=True)["noise_floor"]
    assert with_other == alone  # exactly: the same bits
    assert alone is not None and alone > 0
