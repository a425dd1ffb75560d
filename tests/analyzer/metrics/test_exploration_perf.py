"""Performance-shaped smoke of ``exploration`` on 10k trajectories × 50 iterations (no timing assertion)."""

from __future__ import annotations

import numpy as np
import polars as pl

from tests.analyzer.metrics.test_exploration_frames import STEP_SCHEMA, TRAJECTORY_SCHEMA
from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics import exploration

MENU = [f"k{i}" for i in range(13)]


def synthetic_frames(n_traj: int, n_iter: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Vectorised synthetic steps (propose, observe, decide per iteration) and trajectories frames."""
    rng = np.random.default_rng(seed)
    n = n_traj * n_iter
    tid = np.repeat(np.arange(n_traj), n_iter)
    iteration = np.tile(np.arange(1, n_iter + 1), n_traj)
    knob = rng.integers(0, 8, n)
    value = rng.integers(0, 4, n)
    metric = rng.normal(10.0, 0.1, n)
    keep = rng.random(n) < 0.2
    ids = pl.Series(tid).cast(pl.Utf8).str.zfill(6)
    base = pl.DataFrame(
        {
            K.TRAJECTORY_ID: ids,
            K.ITERATION: iteration,
            K.START_NS: iteration.astype(np.int64) * 1_000,
        }
    )
    knob_s = pl.Series(knob).cast(pl.Utf8)
    value_s = pl.Series(value).cast(pl.Utf8)
    propose = base.with_columns(
        pl.lit(C.PHASE_PROPOSE).alias(K.PHASE),
        ("k" + knob_s).alias(K.KNOB),
        value_s.alias(K.VALUE),
    )
    observe = base.with_columns(
        pl.lit(C.PHASE_OBSERVE).alias(K.PHASE),
        pl.Series(metric).alias(K.METRIC),
        pl.col(K.START_NS) + 1,
    )
    decide = base.with_columns(
        pl.lit(C.PHASE_DECIDE).alias(K.PHASE),
        pl.Series(np.where(keep, C.DECISION_KEEP, C.DECISION_REVERT)).alias(K.DECISION),
        pl.col(K.START_NS) + 2,
    )
    steps = (
        pl.concat([propose, observe, decide], how="diagonal")
        .with_columns(pl.lit(False).alias(K.BLOCKED))
        .select(
            [
                pl.col(c).cast(t)
                if c in propose.columns or c in (K.METRIC, K.DECISION, K.BLOCKED)
                else pl.lit(None, t).alias(c)
                for c, t in STEP_SCHEMA.items()
            ]
        )
        .sort([K.TRAJECTORY_ID, K.ITERATION, K.START_NS])
    )
    trajectories = pl.DataFrame({K.TRAJECTORY_ID: ids.unique().sort()}).select(
        [
            pl.col(K.TRAJECTORY_ID)
            if c == K.TRAJECTORY_ID
            else pl.lit(MENU, t).alias(c)
            if c == K.KNOB_MENU
            else pl.lit(C.OBJECTIVE_MINIMIZE, t).alias(c)
            if c == K.OBJECTIVE
            else pl.lit(10.0, t).alias(c)
            if c == K.BASELINE
            else pl.lit(None, t).alias(c)
            for c, t in TRAJECTORY_SCHEMA.items()
        ]
    )
    return steps, trajectories


def test_ten_thousand_trajectories_of_fifty_iterations() -> None:
    steps, trajectories = synthetic_frames(10_000, 50)
    result = exploration(steps, trajectories)
    assert result.height == 10_000
    assert result["iterations"].to_list() == [50] * 10_000
    assert (result["repeat_count"] == 50 - result["unique_pairs"]).all()
    assert result.select(pl.col("repeat_rate").is_between(0, 1).all()).item()
    assert result["knobs_total"].to_list() == [13] * 10_000
    assert result.select((pl.col("knobs_untouched").list.len() >= 5).all()).item()
