"""Action-sequence metrics against planted truth: Miller–Madow entropy, windowed entropy, LZ76 and its shuffle z."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.analyzer._dynamics_frames import entropy_rate, markov_chain, stationary
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics import action_entropy, lz76_counts, lz_complexity
from trajdyn.analyzer.metrics.dynamics._entropy import miller_madow_entropy
from trajdyn.analyzer.metrics.dynamics._sequences import local_codes, permutations


def kaspar_schuster(s: list[int]) -> int:
    """The reference LZ76 phrase count (Kaspar & Schuster 1987), a plain loop."""
    n = len(s)
    if n <= 1:
        return n
    c, i, k, length, k_max = 1, 0, 1, 1, 1
    while True:
        if s[i + k - 1] == s[length + k - 1]:
            k += 1
            if length + k > n:
                c += 1
                break
        else:
            k_max = max(k, k_max)
            i += 1
            if i == length:
                c += 1
                length += k_max
                if length + 1 > n:
                    break
                i, k, k_max = 0, 1, 1
            else:
                k = 1
    return c


def table(sequences: dict[str, list[str]]) -> pl.DataFrame:
    rows = [(tid, t, a) for tid, seq in sequences.items() for t, a in enumerate(seq)]
    return pl.DataFrame(rows, schema={K.TRAJECTORY_ID: pl.Utf8, "turn": pl.Int64, K.ACTION: pl.Utf8}, orient="row")


def test_lz76_matches_the_textbook_example() -> None:
    """Lempel & Ziv's 0001101001000101 parses into 0·001·10·100·1000·101."""
    assert lz76_counts(np.array([[int(c) for c in "0001101001000101"]])).tolist() == [6]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=140), min_size=1, max_size=6), st.integers(1, 140))
@example([[0] * 70], 70)
@example([[0, 1] * 40], 80)
@example([list(range(65))], 65)
def test_lz76_equals_the_kaspar_schuster_loop(rows: list[list[int]], n: int) -> None:
    """Exact on any length, including the multi-word bit sets beyond 64 turns."""
    batch = np.array([(r * (n // len(r) + 1))[:n] for r in rows])
    assert lz76_counts(batch).tolist() == [kaspar_schuster(list(r)) for r in batch]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=60), st.integers(2, 40))
@example([3], 10)
@example([1, 1, 1, 1], 5)
def test_entropy_is_within_unit_interval_and_never_nan_past_one_turn(seq: list[int], alphabet: int) -> None:
    mm, pi, distinct = miller_madow_entropy(local_codes(np.array([seq])), max(alphabet, max(seq) + 1))
    if len(seq) < 2:
        assert math.isnan(mm[0]) and math.isnan(pi[0])
        return
    assert 0.0 <= mm[0] <= 1.0 and 0.0 <= pi[0] <= 1.0
    assert distinct[0] == len(set(seq))
    assert mm[0] >= pi[0] - 1e-12  # the Miller–Madow correction only adds


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from("abcdef"), min_size=2, max_size=50), st.randoms(use_true_random=False))
def test_whole_trajectory_entropy_is_permutation_invariant(seq: list[str], rnd: object) -> None:
    shuffled = list(seq)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    frame = action_entropy(table({"a": seq, "b": shuffled}), window=5, alphabet_size=6)
    a, b = frame.sort(K.TRAJECTORY_ID)["action_entropy"].to_list()
    assert a == pytest.approx(b)


def test_entropy_of_known_distributions() -> None:
    """Uniform over all symbols → 1; one symbol → 0; Miller–Madow recovers H(p) of an i.i.d. source."""
    rng = np.random.default_rng(1)
    frame = action_entropy(table({"u": list("abcd") * 10, "c": ["a"] * 12}), window=4)
    got = dict(zip(frame[K.TRAJECTORY_ID].to_list(), frame["action_entropy"].to_list(), strict=True))
    assert got["c"] == 0.0 and got["u"] == pytest.approx(1.0)
    p = np.array([0.5, 0.25, 0.125, 0.125])
    truth = float(-(p * np.log(p)).sum() / np.log(4))
    estimates = []
    for _ in range(200):
        seq = rng.choice(4, size=40, p=p)
        mm, plug_in, _ = miller_madow_entropy(local_codes(seq[None, :]), 4)
        estimates.append((mm[0], plug_in[0]))
    mm_mean, plug_mean = np.mean(estimates, axis=0)
    assert abs(mm_mean - truth) < abs(plug_mean - truth)  # the correction removes most of the downward bias
    assert mm_mean == pytest.approx(truth, abs=0.02)


def test_markov_chain_marginal_entropy_and_entropy_rate() -> None:
    """Unigram entropy estimates H(π); LZ76 tracks the entropy rate h (ordering and, at n = 4096, value)."""
    rng = np.random.default_rng(7)
    chains = {
        "sticky": np.array([[0.95, 0.05], [0.05, 0.95]]),
        "mixed": np.array([[0.8, 0.2], [0.3, 0.7]]),
        "fair": np.array([[0.5, 0.5], [0.5, 0.5]]),
    }
    rates = {}
    for name, p in chains.items():
        pi = stationary(p)
        h_pi = float(-(pi * np.log(pi)).sum() / np.log(2))
        seqs = np.stack([markov_chain(p, 4096, rng) for _ in range(3)])
        mm, _, _ = miller_madow_entropy(local_codes(seqs), 2)
        assert np.mean(mm) == pytest.approx(h_pi, abs=0.03)
        lz = lz76_counts(seqs) * math.log(4096, 2) / 4096
        rate = entropy_rate(p) / math.log(2)
        assert np.mean(lz) == pytest.approx(rate, abs=0.12)
        rates[name] = np.mean(lz)
    assert rates["sticky"] < rates["mixed"] < rates["fair"]


def test_windowed_entropy_follows_a_planted_change() -> None:
    """Ten turns of one action, then ten of four alternating: the series rises from 0 to 1."""
    seq = ["a"] * 10 + list("abcd") * 3
    frame = action_entropy(table({"t": seq}), window=4)
    series = frame["windowed_entropy"][0].to_list()
    assert len(series) == len(seq) - 4 + 1
    assert series[0] == 0.0 and series[-1] == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in series)


def test_short_trajectories_have_an_empty_window_series_and_null_entropy() -> None:
    frame = action_entropy(table({"one": ["a"], "three": ["a", "b", "a"]}), window=5).sort(K.TRAJECTORY_ID)
    rows = {r[K.TRAJECTORY_ID]: r for r in frame.iter_rows(named=True)}
    assert rows["one"]["action_entropy"] is None and rows["one"]["windowed_entropy"] == []
    assert rows["three"]["windowed_entropy"] == [] and rows["three"]["action_entropy"] is not None


def test_lz_z_separates_a_loop_from_noise_where_raw_values_overlap() -> None:
    """At n = 30 a period-3 loop is far more compressible than its shuffles; an i.i.d. sequence is not."""
    rng = np.random.default_rng(3)
    loop = list("abc") * 10
    noise = [str(x) for x in rng.choice(3, 30)]
    frame = lz_complexity(table({"loop": loop, "noise": noise}), shuffles=200).sort(K.TRAJECTORY_ID)
    z = dict(zip(frame[K.TRAJECTORY_ID].to_list(), frame["lz_z"].to_list(), strict=True))
    p = dict(zip(frame[K.TRAJECTORY_ID].to_list(), frame["lz_p"].to_list(), strict=True))
    assert z["loop"] < -3 and p["loop"] < 0.01
    assert abs(z["noise"]) < 2.5


def test_lz_z_is_calibrated_on_iid_controls() -> None:
    """i.i.d. sequences: the lower-tail permutation p-value falls below 0.05 about 5 % of the time (loosely)."""
    rng = np.random.default_rng(11)
    seqs = {f"s{i}": [str(x) for x in rng.choice(5, 40)] for i in range(300)}
    frame = lz_complexity(table(seqs), shuffles=100, seed=4)
    rate = float((frame["lz_p"] <= 0.05).mean())  # type: ignore[operator]
    assert rate <= 0.10


def test_lz_is_null_for_one_turn_and_z_null_without_variation() -> None:
    frame = lz_complexity(table({"one": ["a"], "flat": ["a"] * 8}), shuffles=50).sort(K.TRAJECTORY_ID)
    rows = {r[K.TRAJECTORY_ID]: r for r in frame.iter_rows(named=True)}
    assert rows["one"]["lz_complexity"] is None and rows["one"]["lz_z"] is None
    assert rows["flat"]["lz_complexity"] is not None and rows["flat"]["lz_z"] is None


def test_shuffles_depend_only_on_length_seed_and_count() -> None:
    """A trajectory's z-score does not change when other trajectories are analysed with it."""
    rng = np.random.default_rng(5)
    target = {"x": [str(v) for v in rng.choice(4, 25)]}
    others = {f"o{i}": [str(v) for v in rng.choice(4, 25)] for i in range(20)}
    alone = lz_complexity(table(target), shuffles=60, seed=9)["lz_z"][0]
    together = lz_complexity(table({**others, **target}), shuffles=60, seed=9).filter(pl.col(K.TRAJECTORY_ID) == "x")
    assert together["lz_z"][0] == alone
    assert (permutations(25, 60, 9) == permutations(25, 60, 9)).all()
