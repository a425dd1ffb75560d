"""Loops and stuck behaviour against planted truth: suffix-period loops, laminarity, repeated (state, action) n-grams."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics import laminarity, state_action_ngrams, suffix_loop
from trajdyn.analyzer.metrics.dynamics._loops import laminarity_of_rows
from trajdyn.analyzer.metrics.dynamics._sequences import local_codes, symbol_counts


def table(sequences: dict[str, list[str]], states: dict[str, list[int]] | None = None) -> pl.DataFrame:
    rows = []
    for tid, seq in sequences.items():
        for t, a in enumerate(seq):
            state = states[tid][t] if states is not None else 0
            rows.append((tid, t, a, state))
    return pl.DataFrame(
        rows,
        schema={K.TRAJECTORY_ID: pl.Utf8, "turn": pl.Int64, K.ACTION: pl.Utf8, "state": pl.UInt64},
        orient="row",
    )


def loops_of(sequences: dict[str, list[str]], **kwargs: object) -> dict[str, dict[str, object]]:
    frame = suffix_loop(table(sequences), **kwargs)  # type: ignore[arg-type]
    return dict(zip(frame[K.TRAJECTORY_ID].to_list(), frame["loop"].to_list(), strict=True))


@pytest.mark.parametrize(("period", "onset", "n"), [(2, 20, 40), (3, 12, 40), (4, 30, 60), (5, 10, 50), (3, 25, 37)])
def test_planted_loop_is_found_with_its_period_and_onset(period: int, onset: int, n: int) -> None:
    rng = np.random.default_rng(period * 100 + onset)
    hits = 0
    for _trial in range(20):
        noise = [f"n{x}" for x in rng.choice(8, onset)]
        block = [f"b{i}" for i in range(period)]
        seq = noise + (block * n)[: n - onset]
        loop = loops_of({"t": seq})["t"]
        if loop["detected"]:
            hits += 1
            assert loop["period"] == period
            # the noise may by chance continue the pattern for a few turns before the planted onset
            assert onset - period <= loop["onset_turn"] <= onset  # type: ignore[operator]
            assert loop["repeats"] == (n - loop["onset_turn"]) // period  # type: ignore[operator]
    assert hits >= 19, f"found {hits} of 20 planted period-{period} loops"


def test_detector_does_not_fire_on_iid_or_shuffled_controls_above_alpha() -> None:
    rng = np.random.default_rng(2024)
    iid = {f"i{k}": [str(x) for x in rng.choice(5, 40)] for k in range(400)}
    shuffled = {}
    for k in range(400):
        seq = [f"n{x}" for x in rng.choice(6, 15)] + ["a", "b", "c"] * 8
        rng.shuffle(seq)
        shuffled[f"s{k}"] = seq
    for controls in (iid, shuffled):
        found = sum(1 for loop in loops_of(controls, alpha=0.01).values() if loop["detected"])
        assert found / len(controls) <= 0.02  # nominal 1 %, the test is conservative


def test_one_symbol_is_not_a_loop_but_reports_its_final_run() -> None:
    got = loops_of({"flat": ["a"] * 12, "tail": ["x", "y", "z"] + ["a"] * 9})
    assert got["flat"]["detected"] is False and got["flat"]["final_run"] == 12
    assert got["tail"]["final_run"] == 9


def test_loops_read_states_too() -> None:
    """The same action in a new situation every time is not a loop; in the same situation it is."""
    seq = ["respond", "lookup"] * 10
    frame = suffix_loop(table({"new": seq, "same": seq}, {"new": list(range(20)), "same": [1, 2] * 10}))
    got = dict(zip(frame[K.TRAJECTORY_ID].to_list(), frame["loop"].to_list(), strict=True))
    assert got["same"]["detected"] and got["same"]["period"] == 2
    assert not got["new"]["detected"]


def brute_force_laminarity(seq: list[int]) -> float:
    """LAM from the recurrence matrix: points on vertical lines of length >= 2 over all recurrence points."""
    n = len(seq)
    r = np.array([[seq[i] == seq[j] for j in range(n)] for i in range(n)], dtype=int)
    on_lines = 0
    for j in range(n):
        run = 0
        for i in range(n + 1):
            if i < n and r[i, j]:
                run += 1
            else:
                if run >= 2:
                    on_lines += run
                run = 0
    return on_lines / r.sum()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=40))
@example([0, 0, 1, 1, 1, 0])
@example([0, 1, 0, 1])
def test_laminarity_closed_form_equals_the_recurrence_matrix(seq: list[int]) -> None:
    local = local_codes(np.array([seq]))
    counts = symbol_counts(local)
    lam = laminarity_of_rows(local, np.take_along_axis(counts, local, axis=1))[0]
    assert lam == pytest.approx(brute_force_laminarity(seq))
    assert 0.0 <= lam <= 1.0


def test_stuck_stretch_is_laminar_against_shuffles_and_iid_is_not() -> None:
    rng = np.random.default_rng(8)
    stuck = [f"n{x}" for x in rng.choice(6, 12)] + ["retry"] * 14 + [f"n{x}" for x in rng.choice(6, 10)]
    iid = {f"i{k}": [str(x) for x in rng.choice(4, 36)] for k in range(200)}
    frame = laminarity(table({"stuck": stuck, **iid}), shuffles=100, seed=1)
    rows = {r[K.TRAJECTORY_ID]: r for r in frame.iter_rows(named=True)}
    assert rows["stuck"]["laminarity_p"] <= 0.01 and rows["stuck"]["laminarity_z"] > 3
    rate = np.mean([rows[k]["laminarity_p"] <= 0.01 for k in iid])
    assert rate <= 0.03


def brute_force_ngrams(pairs: list[tuple[int, str]], n: int) -> tuple[int, int, int]:
    grams = [tuple(pairs[i : i + n]) for i in range(len(pairs) - n + 1)]
    counts = Counter(grams)
    return len(grams) - len(counts), len(grams), max(counts.values(), default=0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from("ab")), min_size=1, max_size=30))
def test_repeated_state_action_ngrams_match_a_brute_force_count(pairs: list[tuple[int, str]]) -> None:
    frame = state_action_ngrams(table({"t": [a for _, a in pairs]}, {"t": [s for s, _ in pairs]}))
    items = frame["state_action_repeats"][0].to_list()
    for item in items:
        repeated, of, top = brute_force_ngrams(pairs, item["n"])
        assert (item["repeated"], item["of"]) == (repeated, of)
        if top >= 2:
            assert item["top"]["count"] == top
            start = item["top"]["first_turn"]
            assert item["top"]["actions"] == [a for _, a in pairs[start : start + item["n"]]]
        else:
            assert item["top"] is None
