"""The repetition score against planted truth: near-repeated calls, identical calls, loops and trapped runs."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics import near_repeats, repetition
from trajdyn.analyzer.metrics.dynamics._repetition import BASIS_ARGUMENTS, BASIS_STATE_ACTION, JACCARD, THRESHOLD


def table(runs: dict[str, list[tuple[str, str | None]]], states: dict[str, list[int]] | None = None) -> pl.DataFrame:
    rows = []
    for tid, turns in runs.items():
        for t, (action, text) in enumerate(turns):
            state = states[tid][t] if states is not None else t  # distinct situations unless planted
            rows.append((tid, t, action, text, state))
    return pl.DataFrame(
        rows,
        schema={K.TRAJECTORY_ID: pl.Utf8, "turn": pl.Int64, K.ACTION: pl.Utf8, "text": pl.Utf8, "state": pl.UInt64},
        orient="row",
    )


def no_loop(n: int) -> dict[str, Any]:
    return {"detected": False, "onset_turn": None, "final_run": 1}


def flags(frame: pl.DataFrame, tid: str) -> list[bool]:
    return frame.filter(pl.col(K.TRAJECTORY_ID) == tid).sort("turn")["near_repeat"].to_list()


def brute_force(turns: list[tuple[str, str | None]], cut: float = JACCARD) -> list[bool]:
    """The definition, written the slow way: a turn repeats an earlier one of the same action whose token sets
    overlap with Jaccard >= cut, or whose arguments are identical."""
    import re

    def tokens(text: str | None) -> set[str]:
        return set(re.findall(r"\w+", (text or "").lower()))

    out = []
    for j, (action, text) in enumerate(turns):
        hit = False
        for i in range(j):
            a, b = turns[i], (action, text)
            if a[0] != b[0]:
                continue
            if (a[1] or None) == (b[1] or None):
                hit = True
                break
            x, y = tokens(a[1]), tokens(b[1])
            if x | y and len(x & y) >= cut * len(x | y):
                hit = True
                break
        out.append(hit)
    return out


def test_reworded_query_is_a_near_repeat_and_a_new_query_is_not() -> None:
    run = [
        ("search_agent:web_search", '{"query":"population of Paris 2020 census"}'),
        ("search_agent:web_search", '{"query":"Paris population 2020 census figures"}'),  # reworded: 4 of 6 tokens
        ("search_agent:web_search", '{"query":"tallest building in Lyon"}'),  # new question
        ("search_agent:visit_page", '{"query":"population of Paris 2020 census"}'),  # other tool: never a repeat
        ("search_agent:web_search", '{"query":"population of Paris 2020 census"}'),  # identical to turn 0
    ]
    frame = near_repeats(table({"t": run}))
    assert flags(frame, "t") == [False, True, False, False, True]
    assert flags(frame, "t") == brute_force(run)
    assert frame["basis"].unique().to_list() == [BASIS_ARGUMENTS]


def test_matches_the_definition_on_random_calls() -> None:
    rng = random.Random(18)
    vocab = [f"w{i}" for i in range(12)]
    runs = {}
    for k in range(40):
        runs[f"r{k}"] = [
            (rng.choice(["a:x", "a:y", "b:x"]), " ".join(rng.sample(vocab, rng.randint(0, 5))) or None)
            for _ in range(rng.randint(1, 25))
        ]
    frame = near_repeats(table(runs))
    for tid, run in runs.items():
        assert flags(frame, tid) == brute_force(run), tid


def test_order_of_rows_does_not_matter_but_turn_order_does() -> None:
    run = [("a:x", "alpha beta"), ("a:x", "alpha beta gamma"), ("a:x", "delta")]
    shuffled = table({"t": run}).sample(fraction=1.0, shuffle=True, seed=3).sort(K.TRAJECTORY_ID, "turn")
    assert flags(near_repeats(shuffled), "t") == [False, True, False]
    assert flags(near_repeats(table({"t": list(reversed(run))})), "t") == [False, False, True]


def test_without_content_only_exact_state_action_repeats_count() -> None:
    run: list[tuple[str, str | None]] = [("a", None), ("a", None), ("b", None), ("a", None)]
    frame = near_repeats(table({"t": run}, states={"t": [1, 2, 1, 1]}))
    # turn 1 is the same action in another situation; turn 3 repeats turn 0's (state 1, a)
    assert flags(frame, "t") == [False, False, False, True]
    assert frame["basis"].unique().to_list() == [BASIS_STATE_ACTION]


def test_score_is_the_largest_share_and_flags_at_the_threshold() -> None:
    calls = [(f"a:t{i}", f"distinct call {i}") for i in range(16)]
    two_repeats = [*calls[:14], ("a:t0", "distinct call 0"), ("a:t1", "distinct call 1")]  # 2 of 16 = 0.125
    one_repeat = [*calls[:15], ("a:t0", "distinct call 0")]  # 1 of 16
    turns = table({"two": two_repeats, "one": one_repeat, "loop": calls, "trap": calls})
    loops = {
        "two": no_loop(16),
        "one": no_loop(16),
        "loop": {"detected": True, "onset_turn": 4, "final_run": 1},
        "trap": {"detected": False, "onset_turn": None, "final_run": 9},
    }
    out = repetition(turns, loops)
    assert out["two"]["score"] == pytest.approx(0.125) and out["two"]["flagged"] and THRESHOLD == 0.125
    assert out["one"]["score"] == pytest.approx(1 / 16) and not out["one"]["flagged"]
    assert out["one"]["repeat_turns"] == [15] and out["one"]["near_repeats"] == 1
    assert out["loop"]["loop_share"] == pytest.approx(12 / 16) and out["loop"]["score"] == pytest.approx(0.75)
    assert out["trap"]["trapped_share"] == pytest.approx(9 / 16) and out["trap"]["score"] == pytest.approx(9 / 16)
    # a final run shorter than half of the turns is not trapped
    short = repetition(turns, {**loops, "trap": {"detected": False, "onset_turn": None, "final_run": 7}})
    assert short["trap"]["trapped_share"] == 0.0


def test_score_stays_in_the_unit_interval_and_lists_at_most_twenty_turns() -> None:
    run = [("a:x", "same call")] * 60
    out = repetition(table({"t": run}), {"t": {"detected": True, "onset_turn": 0, "final_run": 60}})["t"]
    assert out["score"] == 1.0 and out["near_repeats"] == 59 and out["repeat_turns"] == list(range(1, 21))


def test_jaccard_at_the_cut_counts() -> None:
    # Jaccard exactly at the cut counts (>=): {a b c} vs {a b d} share 2 of 4 tokens = 0.5
    run = [("a:x", "a b c"), ("a:x", "a b d")]
    assert flags(near_repeats(table({"t": run})), "t") == [False, True]
    assert flags(near_repeats(table({"t": run}), jaccard=0.51), "t") == [False, False]
