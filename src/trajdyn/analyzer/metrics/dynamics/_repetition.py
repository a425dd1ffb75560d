"""The repetition score: how much of a trajectory repeats what it already did (docs/metrics/dynamics.md,
"Repetition score"; validated against expert labels in docs/validation.md).

``repetition_score = max(near_repeat_share, loop_share, trapped_share)`` ∈ [0, 1], no fitted weight:

- ``near_repeat_share`` — the share of turns that **near-repeat** an earlier turn of the same trajectory: same action
  symbol (importers of multi-agent logs spell it ``agent:tool``), and arguments (the turn's captured content) whose
  token sets overlap with Jaccard ≥ :data:`JACCARD` (tokens: lower-cased ``\\w+``; identical arguments always
  count; a turn without content has empty arguments). This is the **arguments** basis. When no turn of the
  trajectory has captured content the arguments cannot be compared and a turn counts only when it repeats an
  earlier (state, action) pair exactly — the **state-action** basis, stricter, named in
  ``basis`` because its numbers are not comparable with the other's;
- ``loop_share`` — with a significant suffix loop of the (state, action) sequence (``loop.detected``, :mod:`._loops`),
  the share of turns from its onset to the end, else 0;
- ``trapped_share`` — with a final run of one (state, action) symbol over at least max(``min_turns``, ⌈n/2⌉) turns
  (the trapped rule of :mod:`._regime`), that run's share, else 0.

``flagged`` = score ≥ ``threshold`` (:data:`THRESHOLD`, 0.125: about one near-repeat in every eight turns), the
median of the cross-validated thresholds on TRAIL's Resource Abuse label (docs/validation.md). The threshold is
framework-specific (it flags every HyperAgent run), and the score ranks runs no better than their length does on the
labelled data: report it next to the turn count, and read ``repeat_turns`` (where the repeats are), which agree with
where experts mark wasteful calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._turns import STATE, TEXT, TURN

__all__ = ["BASIS_ARGUMENTS", "BASIS_STATE_ACTION", "JACCARD", "MAX_LISTED", "THRESHOLD", "near_repeats", "repetition"]

JACCARD: Final = 0.5
"""Token-Jaccard overlap of two calls' arguments at or above which the later call is a near-repeat (fixed before
the expert-label evaluation; docs/validation.md shows the sensitivity to it)."""
THRESHOLD: Final = 0.125
"""Flag threshold of ``repetition_score`` (cross-validated on TRAIL Resource Abuse; docs/validation.md)."""
MAX_LISTED: Final = 20
"""At most this many near-repeat turns are listed per trajectory (``repeat_turns``); the count is always exact."""
BASIS_ARGUMENTS: Final = "arguments"
BASIS_STATE_ACTION: Final = "state-action"
NEAR_REPEAT: Final = "near_repeat"
_TOKEN: Final = r"\w+"


def near_repeats(turns: pl.DataFrame, *, jaccard: float = JACCARD) -> pl.DataFrame:
    """Per turn of a turn table: ``trajectory_id``, ``turn``, ``near_repeat`` (see the module docstring) and
    ``basis`` of its trajectory. Vectorised: token sets are exploded and self-joined within (trajectory, action)."""
    tid = K.TRAJECTORY_ID
    base = turns.select(tid, TURN, K.ACTION, TEXT, STATE).with_row_index("_r")
    with_text = base.group_by(tid).agg(pl.col(TEXT).is_not_null().any().alias("_args"))
    base = base.join(with_text, on=tid, how="left", maintain_order="left")
    # exact repeats: same (action, arguments) on the arguments basis, same (state, action) on the other
    key = pl.when(pl.col("_args")).then(pl.col(TEXT).hash(1)).otherwise(pl.col(STATE).cast(pl.UInt64))
    base = base.with_columns(key.alias("_key")).with_columns(
        (~pl.struct(K.ACTION, "_key").is_first_distinct().over(tid)).alias("_exact")
    )
    tokens = (
        base.filter(pl.col("_args"))
        .select(
            "_r",
            tid,
            K.ACTION,
            pl.col(TEXT).str.to_lowercase().str.extract_all(_TOKEN).list.unique().alias("_tok"),
        )
        .with_columns(pl.col("_tok").list.len().alias("_size"))
    )
    exploded = tokens.select("_r", tid, K.ACTION, "_tok").explode("_tok").drop_nulls("_tok")
    sizes = tokens.select("_r", "_size")
    pairs = (
        exploded.lazy()
        .join(exploded.lazy(), on=[tid, K.ACTION, "_tok"], suffix="_b")
        .filter(pl.col("_r_b") < pl.col("_r"))
        .group_by("_r", "_r_b")
        .agg(pl.len().alias("_inter"))
        .join(sizes.lazy(), on="_r")
        .join(sizes.lazy().rename({"_r": "_r_b", "_size": "_size_b"}), on="_r_b")
        .filter(pl.col("_inter") >= jaccard * (pl.col("_size") + pl.col("_size_b") - pl.col("_inter")))
        .select(pl.col("_r").unique())
        .collect()
    )
    near = pl.col("_r").is_in(pairs["_r"].implode()) & pl.col("_args")
    return base.select(
        tid,
        TURN,
        (pl.col("_exact") | near).alias(NEAR_REPEAT),
        pl.when(pl.col("_args")).then(pl.lit(BASIS_ARGUMENTS)).otherwise(pl.lit(BASIS_STATE_ACTION)).alias("basis"),
    )


def repetition(
    turns: pl.DataFrame,
    loops: Mapping[str, Mapping[str, Any]],
    *,
    min_turns: int = 3,
    jaccard: float = JACCARD,
    threshold: float = THRESHOLD,
) -> dict[str, dict[str, Any]]:
    """``{trajectory_id: repetition object}`` of a turn table and each trajectory's ``loop`` object (keys
    ``detected``, ``onset_turn``, ``final_run``): ``score``, ``flagged``, ``threshold``, ``basis``,
    ``near_repeats``, ``near_repeat_share``, ``loop_share``, ``trapped_share``, ``repeat_turns`` (the first
    :data:`MAX_LISTED` near-repeat turns)."""
    tid = K.TRAJECTORY_ID
    if turns.height == 0:
        return {}
    per_turn = near_repeats(turns, jaccard=jaccard)
    summary = (
        per_turn.group_by(tid, maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col(NEAR_REPEAT).sum().alias("k"),
            pl.col(TURN).filter(pl.col(NEAR_REPEAT)).sort().head(MAX_LISTED).alias("listed"),
            pl.col("basis").first(),
        )
        .iter_rows(named=True)
    )
    out: dict[str, dict[str, Any]] = {}
    for row in summary:
        n, k = int(row["n"]), int(row["k"])
        loop = loops.get(str(row[tid])) or {}
        onset = loop.get("onset_turn")
        loop_share = (n - int(onset)) / n if loop.get("detected") and isinstance(onset, int) else 0.0
        final_run = int(loop.get("final_run") or 0)
        trapped = final_run >= max(min_turns, math.ceil(n / 2))
        trapped_share = final_run / n if trapped else 0.0
        near_share = k / n
        score = max(near_share, loop_share, trapped_share)
        out[str(row[tid])] = {
            "score": score,
            "flagged": score >= threshold,
            "threshold": threshold,
            "basis": row["basis"],
            "near_repeats": k,
            "near_repeat_share": near_share,
            "loop_share": loop_share,
            "trapped_share": trapped_share,
            "repeat_turns": list(row["listed"]),
        }
    return out
