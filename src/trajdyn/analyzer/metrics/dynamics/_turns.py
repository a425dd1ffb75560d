"""The turn table: one row per agent turn, the unit every dynamics metric counts in.

Definitions below, mirrored in ``docs/metrics/dynamics.md`` (Turns, actions and states).

A *turn* is an iteration of a trajectory: a propose step that is not blocked (``trajdyn.blocked`` false), in
iteration order (``trajdyn.iteration``, then start time). A turn-based log imported with ``shape="propose"`` steps
(an agent message or a tool call) gives one turn per agent step; an iteration-based loop one turn per iteration.

Columns of :func:`turns` (one row per turn, ordered by trajectory id then turn):

==============  ===================================================================================================
column          meaning
==============  ===================================================================================================
trajectory_id   the trajectory
turn            0-based position of the turn in its trajectory
iteration       its ``trajdyn.iteration``
action          ``trajdyn.action``, else ``trajdyn.knob``, else ``"(none)"``: the categorical symbol of the turn
text            the propose step's captured content (``trajdyn.content``), null without content capture
state           a 64-bit fingerprint of what the agent saw before the turn, i.e. of the observe steps of the previous
                iteration (of iteration 0 / no iteration for the first turn): of their captured content when they
                have any, else of their status (``ok`` / ``error``), else of "nothing observed"
state_content   whether ``state`` is a fingerprint of observation content
error           whether any step of the turn's iteration has status ERROR
tokens          input + output tokens of the steps of the turn's iteration (0 when absent)
text_length     characters of ``text`` (0 when absent)
==============  ===================================================================================================
"""

from __future__ import annotations

from typing import Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K

__all__ = ["NO_ACTION", "PAIR", "TURN_COLUMNS", "pair_symbol", "turns"]

NO_ACTION: Final = "(none)"
"""The action symbol of a turn whose propose step carries neither an action nor a knob."""

TURN = "turn"
TEXT = "text"
STATE = "state"
STATE_CONTENT = "state_content"
ERROR = "error"
TOKENS = "tokens"
TEXT_LENGTH = "text_length"
PAIR: Final = "_pair"
"""Column of the (state, action) symbol added by :func:`pair_symbol`."""

TURN_COLUMNS: Final = (
    K.TRAJECTORY_ID,
    TURN,
    K.ITERATION,
    K.ACTION,
    TEXT,
    STATE,
    STATE_CONTENT,
    ERROR,
    TOKENS,
    TEXT_LENGTH,
)
"""Columns of :func:`turns`, in order."""

_ERROR_STATUS: Final = 2
_NOTHING: Final = "\x00nothing observed"
_OK: Final = "\x00ok"
_FAILED: Final = "\x00error"


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)


def turns(steps: pl.DataFrame) -> pl.DataFrame:
    """The turn table of ``steps`` (the frame of :func:`trajdyn.analyzer.steps`); see the module docstring.

    Steps without a trajectory id are ignored; a trajectory without a turn has no row (the dynamics report calls it
    degenerate). Vectorised: one sort and one group-by over all steps.
    """
    tid = K.TRAJECTORY_ID
    content = _col(steps, K.CONTENT, pl.Utf8())
    has_content = content.str.strip_chars().str.len_chars() > 0
    frame = (
        steps.lazy()
        .select(
            _col(steps, tid, pl.Utf8()),
            _col(steps, K.PHASE, pl.Utf8()),
            _col(steps, K.ITERATION, pl.Int64()).cast(pl.Int64),
            _col(steps, K.START_NS, pl.Int64()).cast(pl.Int64),
            _col(steps, K.ACTION, pl.Utf8()),
            _col(steps, K.KNOB, pl.Utf8()),
            _col(steps, K.BLOCKED, pl.Boolean()).fill_null(False),
            pl.when(has_content).then(content).otherwise(None).alias(K.CONTENT),
            (_col(steps, K.STATUS_CODE, pl.Int8()).cast(pl.Int64) == _ERROR_STATUS).fill_null(False).alias(ERROR),
            (
                _col(steps, K.INPUT_TOKENS, pl.Int64()).cast(pl.Int64).fill_null(0)
                + _col(steps, K.OUTPUT_TOKENS, pl.Int64()).cast(pl.Int64).fill_null(0)
            ).alias(TOKENS),
        )
        .filter(pl.col(tid).is_not_null())
        .with_columns(pl.col(K.ITERATION).fill_null(0).alias("_it"))
        .sort([tid, "_it", K.START_NS], nulls_last=True, maintain_order=True)
        .with_columns(pl.struct(tid, "_it").rle_id().alias("_g"))
        .collect()
    )
    is_observe = pl.col(K.PHASE) == C.PHASE_OBSERVE
    observed = is_observe & pl.col(K.CONTENT).is_not_null()
    per_iteration = (
        frame.lazy()
        .group_by("_g")
        .agg(
            pl.col(tid).first(),
            pl.col("_it").first(),
            pl.col(ERROR).any(),
            pl.col(TOKENS).sum(),
            # the fingerprint of the observations: a sum of 56-bit content hashes (order-insensitive, no overflow)
            (pl.col(K.CONTENT).hash(0) // 256).cast(pl.Int64).filter(observed).sum().alias("_obs_hash"),
            observed.sum().alias("_obs_content"),
            is_observe.sum().alias("_obs"),
            (is_observe & pl.col(ERROR)).any().alias("_obs_error"),
        )
        .collect()
    )
    proposes = frame.filter(
        (pl.col(K.PHASE) == C.PHASE_PROPOSE) & ~pl.col(K.BLOCKED) & pl.col(K.ITERATION).is_not_null()
    ).filter(pl.col("_g").is_first_distinct())
    previous = per_iteration.select(
        tid,
        # the observations of iteration i are the state of the turn that opens iteration i + 1
        (pl.col("_it") + 1).alias(K.ITERATION),
        pl.when(pl.col("_obs_content") > 0)
        .then(pl.col("_obs_hash").cast(pl.UInt64))
        .when(pl.col("_obs") == 0)
        .then(pl.lit(_NOTHING).hash(0))
        .when(pl.col("_obs_error"))
        .then(pl.lit(_FAILED).hash(0))
        .otherwise(pl.lit(_OK).hash(0))
        .alias(STATE),
        (pl.col("_obs_content") > 0).alias(STATE_CONTENT),
    )
    out = (
        proposes.select(
            tid,
            K.ITERATION,
            "_g",
            pl.coalesce(K.ACTION, K.KNOB, pl.lit(NO_ACTION)).alias(K.ACTION),
            pl.col(K.CONTENT).alias(TEXT),
        )
        .join(per_iteration.select("_g", ERROR, TOKENS), on="_g", how="left", maintain_order="left")
        .join(previous, on=[tid, K.ITERATION], how="left", maintain_order="left")
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).over(tid).alias(TURN),
            pl.col(STATE).fill_null(pl.lit(_NOTHING).hash(0)),
            pl.col(STATE_CONTENT).fill_null(False),
            pl.col(TEXT).str.len_chars().fill_null(0).cast(pl.Int64).alias(TEXT_LENGTH),
        )
    )
    return out.select(TURN_COLUMNS)


def pair_symbol() -> pl.Expr:
    """The (state, action) symbol of a turn as one 64-bit value (column :data:`PAIR`)."""
    return pl.struct(STATE, K.ACTION).hash(0).alias(PAIR)
