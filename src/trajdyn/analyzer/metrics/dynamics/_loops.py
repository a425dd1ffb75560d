"""Loops and stuck behaviour: a suffix-period detector, repeated (state, action) n-grams, RQA laminarity.

Definitions below, mirrored in ``docs/metrics/dynamics.md``.

All three read the **(state, action) sequence**: a turn's symbol is the pair of what the agent observed before acting
(:mod:`._turns`: the fingerprint of the observation content when captured, else of its status ok / error) and the
action it took. An agent that does the same thing in the same situation again is looping; one that answers a
different message each time with the same kind of action (a chat agent that only replies) is not. Without captured
content the state is the observation's status, and the sequence is essentially the action sequence.

**Suffix-period loop** (agents are not deterministic, so Floyd/Brent cycle detection does not apply).
For each period ``p ≤ P = min(max_period, n // 2)`` let ``m_p`` be the length of the longest suffix of the sequence
with ``s_t = s_{t−p}`` throughout; the last ``S_p = m_p + p`` turns are then p-periodic, i.e. ``S_p / p``
repetitions of a block of p symbols. A candidate needs at least two full repetitions (``S_p ≥ 2p``). Its chance
probability under an i.i.d. sequence with the trajectory's own symbol frequencies ``f`` (plug-in) is
``Π_{u<p} Σ_a f_a^{r_u}``, ``r_u`` = how many of the S_p positions fall on block offset u; this is conservative for
the shuffle null (drawing without replacement makes repeats rarer). The reported loop is the candidate with the
smallest chance probability (ties: the shortest period); its ``p_value`` is that probability times P (Bonferroni
over the periods examined), and ``detected`` is ``p_value ≤ alpha`` (default 0.01). ``onset_turn = n − S_p``
(0-based), ``repeats = S_p // p``; ``final_run`` = the number of final turns that repeat one symbol. A sequence of
one symbol has chance probability 1: it is not a loop but a trapped trajectory (see the regimes). Only loops that
last until the end of the trajectory are found; a loop the agent escaped from shows in the repeated n-grams and in
the LZ76 z-score.

**Repeated (state, action) n-grams**: for n = 1, 2, 3: ``repeated`` = n-gram occurrences that repeat an earlier
identical n-gram (occurrences − distinct), ``of`` = n-gram positions (turns − n + 1), ``top`` = the most frequent
n-gram (its actions, count and first turn) when it occurs at least twice.

**Laminarity** (RQA LAM; Marwan, Romano, Thiel & Kurths 2007, *Recurrence plots for the analysis of complex
systems*): the fraction of recurrence points that lie on vertical lines of length ≥ 2 in the recurrence matrix
``R_ij = 1[s_i = s_j]`` (line of identity included). For a symbolic sequence the vertical lines of column j are the
runs of the symbol ``s_j``, so ``LAM = Σ_a c_a·L_a / Σ_a c_a²`` with ``c_a`` the count of symbol a and ``L_a`` the
number of its occurrences inside runs of length ≥ 2 — exact and O(n). Reported with its z-score and upper-tail
p-value ``(1 + #{LAM_shuffled ≥ LAM}) / (B + 1)`` against the shuffled copies (DET does not separate loops from
noise at n = 40; LAM against shuffles does detect long stretches of one symbol).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._schema import LOOP_TYPE, NGRAM_TYPE
from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, shuffled_chunks, symbol_counts
from trajdyn.analyzer.metrics.dynamics._turns import STATE, TURN
from trajdyn.analyzer.stats import null_z_score, permutation_p_value

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "batch_laminarity",
    "batch_loops",
    "final_runs",
    "laminarity_of_rows",
    "ngram_frame",
    "ngram_repeats",
    "state_action_ngrams",
    "suffix_loops",
]

DEFAULT_MAX_PERIOD: Final = 10
DEFAULT_ALPHA: Final = 0.01
NGRAM_SIZES: Final = (1, 2, 3)


def suffix_loops(
    local: npt.NDArray[np.int64], max_period: int = DEFAULT_MAX_PERIOD
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
    """Best suffix-period candidate of each row of ``local`` ``(T, n)`` (per-row dense codes).

    Returns ``(period, periodic_suffix_length, chance_probability, periods_examined)``; period 0 and probability
    NaN where no period has two full repetitions at the end.
    """
    t, n = local.shape
    top = min(max_period, n // 2)
    best_p = np.zeros(t, dtype=np.int64)
    best_len = np.zeros(t, dtype=np.int64)
    best_logp = np.full(t, np.inf)
    if top < 1 or t == 0:
        return best_p, best_len, np.full(t, np.nan), max(top, 0)
    freq = symbol_counts(local) / float(n)  # (T, k)
    with np.errstate(divide="ignore"):
        log_freq = np.where(freq > 0, np.log(freq), -np.inf)
    for p in range(1, top + 1):
        differs = local[:, p:] != local[:, :-p]  # (T, n − p)
        reversed_ = differs[:, ::-1]
        has_break = reversed_.any(axis=1)
        m = np.where(has_break, reversed_.argmax(axis=1), n - p)
        length = m + p
        candidate = length >= 2 * p
        if not candidate.any():
            continue
        u = np.arange(p)
        reps = -((u[None, :] - length[:, None]) // p)  # ceil((length − u) / p), (T, p)
        # log Σ_a f_a^r for every row and offset: log-sum-exp over the row's symbols
        terms = reps[:, :, None] * log_freq[:, None, :]  # (T, p, k)
        peak = terms.max(axis=2, keepdims=True)
        with np.errstate(invalid="ignore"):
            lse = (peak[..., 0] + np.log(np.exp(terms - peak).sum(axis=2))).sum(axis=1)
        better = candidate & (lse < best_logp - 1e-12)
        best_p[better], best_len[better], best_logp[better] = p, length[better], lse[better]
    prob = np.where(best_p > 0, np.exp(np.minimum(best_logp, 0.0)), np.nan)
    return best_p, best_len, prob, top


def final_runs(local: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Length of the final run of one symbol in each row of ``local`` ``(T, n)`` (n for a constant row)."""
    t, n = local.shape
    if n == 0:
        return np.zeros(t, dtype=np.int64)
    differs = (local[:, 1:] != local[:, :-1])[:, ::-1]
    has_break = differs.any(axis=1)
    out: npt.NDArray[np.int64] = np.where(has_break, differs.argmax(axis=1) + 1, n).astype(np.int64)
    return out


def batch_loops(
    batch: SequenceBatch, *, max_period: int = DEFAULT_MAX_PERIOD, alpha: float = DEFAULT_ALPHA
) -> pl.Series:
    """The ``loop`` struct of every trajectory of ``batch`` (:data:`LOOP_TYPE`): detected, period, onset_turn,
    repeats, p_value (the best suffix-period candidate; null without one) and final_run (turns at the end that
    repeat one symbol)."""
    t = len(batch.ids)
    found = np.zeros(t, dtype=bool)
    detected = np.zeros(t, dtype=bool)
    period = np.zeros(t, dtype=np.int64)
    onset = np.zeros(t, dtype=np.int64)
    repeats = np.zeros(t, dtype=np.int64)
    p_value = np.full(t, np.nan)
    final_run = batch.lengths.astype(np.int64).copy()
    for group in batch.groups(min_length=2):
        best, length, prob, examined = suffix_loops(group.local, max_period)
        p_group = np.minimum(1.0, prob * max(examined, 1))
        final_run[group.rows] = final_runs(group.local)
        ok = best > 0
        rows = group.rows[ok]
        found[rows] = True
        detected[rows] = p_group[ok] <= alpha
        period[rows] = best[ok]
        onset[rows] = group.n - length[ok]
        repeats[rows] = length[ok] // best[ok]
        p_value[rows] = p_group[ok]
    columns = pl.DataFrame(
        {
            "_found": found,
            "detected": detected,
            "period": period,
            "onset_turn": onset,
            "repeats": repeats,
            "p_value": p_value,
            "final_run": final_run,
        }
    )
    when_found = [pl.when(pl.col("_found")).then(pl.col(c)).alias(c) for c in ("period", "onset_turn", "repeats")]
    return columns.select(
        pl.struct(
            "detected", *when_found, pl.when(pl.col("_found")).then(pl.col("p_value")).alias("p_value"), "final_run"
        ).alias("loop")
    )["loop"].cast(LOOP_TYPE)


def laminarity_of_rows(local: npt.NDArray[Any], counts_at: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """LAM of each row of ``local`` ``(R, n)``; ``counts_at[r, t]`` = occurrences in the row of the symbol at t."""
    same = local[:, 1:] == local[:, :-1]
    in_run = np.zeros(local.shape, dtype=bool)
    in_run[:, 1:] |= same
    in_run[:, :-1] |= same
    numerator = (in_run * counts_at).sum(axis=1)
    denominator = counts_at.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def batch_laminarity(
    batch: SequenceBatch, shuffles: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per trajectory: LAM, its z-score and upper-tail p-value against ``shuffles`` shuffled copies."""
    t = len(batch.ids)
    lam = np.full(t, np.nan)
    z = np.full(t, np.nan)
    p_high = np.full(t, np.nan)
    for group in batch.groups(min_length=2):
        counts = symbol_counts(group.local)
        counts_at = np.take_along_axis(counts, group.local, axis=1)
        observed = laminarity_of_rows(group.local, counts_at)
        lam[group.rows] = observed
        if shuffles < 2:
            continue
        for part, (local, at) in shuffled_chunks(group, shuffles, seed, group.local, counts_at):
            null = laminarity_of_rows(local, at).reshape(-1, shuffles)
            obs = observed[part]
            rows = group.rows[part]
            z[rows] = null_z_score(obs, null)
            p_high[rows] = permutation_p_value((null >= obs[:, None] - 1e-12).sum(axis=1), shuffles)
    return lam, z, p_high


def _dense_codes(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], int]:
    _, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.astype(np.int64).ravel()
    return inverse, int(inverse.max()) + 1 if inverse.size else 0


def ngram_repeats(
    owner: npt.NDArray[np.int64],
    position: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    symbols: npt.NDArray[Any],
    sizes: tuple[int, ...] = NGRAM_SIZES,
) -> dict[int, dict[str, npt.NDArray[np.int64]]]:
    """For every n of ``sizes``, per trajectory: ``repeated``, ``of``, and the top n-gram's ``count`` and ``first`` row.

    ``owner`` (trajectory index), ``position`` (turn index) and ``symbols`` are per row, rows grouped by trajectory in
    turn order; ``lengths`` per trajectory. ``first`` is the row where the top n-gram first starts (−1 without one).
    """
    t = lengths.shape[0]
    base, k1 = _dense_codes(symbols)
    out: dict[int, dict[str, npt.NDArray[np.int64]]] = {}
    code = base
    span = k1
    for n in range(1, max(sizes) + 1):
        if n > 1:
            following = np.full(code.shape, -1, dtype=np.int64)  # the symbol n − 1 rows further on
            following[: max(code.shape[0] - (n - 1), 0)] = base[n - 1 :]
            ok = (code >= 0) & (position + n - 1 < lengths[owner])
            combined = np.where(ok, code * k1 + following, -1)
            keep = combined >= 0
            dense, span = _dense_codes(combined[keep])
            code = np.full(code.shape, -1, dtype=np.int64)
            code[keep] = dense
        if n not in sizes:
            continue
        rows = np.flatnonzero(code >= 0)
        repeated = np.zeros(t, dtype=np.int64)
        of = np.zeros(t, dtype=np.int64)
        count = np.zeros(t, dtype=np.int64)
        first = np.full(t, -1, dtype=np.int64)
        if rows.size:
            keys = owner[rows] * max(span, 1) + code[rows]
            uniq, first_at, counts = np.unique(keys, return_index=True, return_counts=True)
            who = uniq // max(span, 1)
            of = np.bincount(who, weights=counts, minlength=t).astype(np.int64)
            distinct = np.bincount(who, minlength=t).astype(np.int64)
            repeated = of - distinct
            order = np.lexsort((rows[first_at], -counts, who))
            head = np.ones(order.shape[0], dtype=bool)
            head[1:] = who[order][1:] != who[order][:-1]
            best = order[head]
            count[who[best]] = counts[best]
            first[who[best]] = rows[first_at[best]]
        out[n] = {"repeated": repeated, "of": of, "count": count, "first": first}
    return out


def ngram_frame(turns: pl.DataFrame, sizes: tuple[int, ...] = NGRAM_SIZES) -> pl.DataFrame:
    """``trajectory_id`` and ``state_action_repeats`` (``List(NGRAM_TYPE)``) of every trajectory of a turn table, in
    trajectory id order (see :func:`state_action_ngrams`)."""
    tid = K.TRAJECTORY_ID
    base = turns.sort([tid, TURN], maintain_order=True).select(
        tid,
        K.ACTION,
        pl.col(tid).rle_id().alias("_owner"),
        pl.int_range(pl.len(), dtype=pl.Int64).over(tid).alias("_pos"),
        pl.struct(STATE, K.ACTION).hash(0).alias("_z"),
    )
    ids = base.select(pl.col(tid).unique(maintain_order=True))
    owner = base["_owner"].to_numpy().astype(np.int64)
    position = base["_pos"].to_numpy().astype(np.int64)
    lengths = np.bincount(owner, minlength=ids.height).astype(np.int64) if owner.size else np.zeros(0, dtype=np.int64)
    found = ngram_repeats(owner, position, lengths, base["_z"].to_numpy(), sizes)
    actions = base[K.ACTION]
    last = max(base.height - 1, 0)
    items = []
    for n in sizes:
        f = found[n]
        first = np.maximum(f["first"], 0)
        columns = {
            "_has_top": f["count"] >= 2,
            "repeated": f["repeated"],
            "of": f["of"],
            "count": f["count"],
            "first_turn": position[first] if position.size else np.zeros(ids.height, dtype=np.int64),
            **{f"_a{k}": actions.gather(np.minimum(first + k, last)) if base.height else actions for k in range(n)},
        }
        top = pl.struct(pl.concat_list([f"_a{k}" for k in range(n)]).alias("actions"), "count", "first_turn")
        items.append(
            pl.DataFrame(columns)
            .select(
                pl.struct(
                    pl.lit(n, dtype=pl.Int64).alias("n"),
                    "repeated",
                    "of",
                    pl.when(pl.col("_has_top")).then(top).alias("top"),
                )
            )
            .to_series()
            .alias(f"_n{n}")
        )
    if not items:
        return ids.with_columns(pl.lit([], dtype=pl.List(NGRAM_TYPE)).alias("state_action_repeats"))
    repeats = pl.DataFrame(items).select(pl.concat_list(pl.all()).alias("state_action_repeats"))
    return pl.concat([ids, repeats], how="horizontal").cast({"state_action_repeats": pl.List(NGRAM_TYPE)})


def state_action_ngrams(turns: pl.DataFrame, sizes: tuple[int, ...] = NGRAM_SIZES) -> pl.DataFrame:
    """Per trajectory of a turn table: ``state_action_repeats`` = ``[{n, repeated, of, top}]`` (module docstring).

    ``top`` is ``{actions, count, first_turn}`` of the most frequent (state, action) n-gram when it occurs twice or
    more (ties: the earliest), else null. Vectorised in numpy over all turns.
    """
    return ngram_frame(turns, sizes)
