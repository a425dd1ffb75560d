"""Sweep runs in spans: the trajectories that each ran one constant at one value, as sweep frames for the ``sweeps``
section (docs/metrics/sweeps.md#sweep-runs-in-spans).

Input: the model frames (:func:`trajdyn.analyzer.steps`, :func:`trajdyn.analyzer.trajectories`). Output: a
:class:`trajdyn.analyzer.io.SweepData` with source ``"spans"``, the same frames a popoto sweep summary gives, so that
both feed one analysis. Definitions:

- **sweep run**: a trajectory whose root span carries ``trajdyn.knob`` and ``trajdyn.value`` (the constant and its
  value); or, when the root does not carry them, whose first step carrying a knob does, when the trajectory has at
  most one iteration **and** its root carries a sweep marker (``trajdyn.knob.default`` or
  ``trajdyn.sweep.degenerate``). An exploration loop sets a knob and a value on its propose steps, never on its
  root, and has many iterations and no marker: it is never a sweep run. A trajectory whose root span was lost
  (a truncated file) takes its trajectory attributes from its other spans (:func:`trajdyn.analyzer.trajectories`):
  it is a sweep run by the second rule when those spans carry the marker and a knob — no root is required there, so
  that a run is counted (usually unscored: its reward was on the lost root) rather than silently lost.
- **scenario**: the run's ``trajdyn.task.id`` (:attr:`trajdyn.sweeps.Scenario.id`); **split**: ``trajdyn.split``
  (none = train).
- **score**: the root's ``trajdyn.reward``; without one, the ``trajdyn.metric`` of its steps when exactly one step
  carries one. Its direction is the runs' ``trajdyn.objective`` (the SDK always sets it; maximize by default); when
  the constant's runs disagree, none (the section's option applies) and ``mixed_objectives`` names them.
- **error**: root status ERROR or ``trajdyn.outcome = error``: counted in ``n_errors``, never scored.
  **degenerate**: ``trajdyn.sweep.degenerate = true`` (and no error): counted in ``n_degenerate``, never scored.
  **unscored**: a run that is neither and has no finite score (no reward, or a NaN or ±inf one): counted in
  ``n_unscored`` (``n_nonfinite`` of them with a non-finite reward), never scored.
- **default**: the most frequent ``trajdyn.knob.default`` of the constant's runs (ties: the smallest string).

Vectorised polars over the frames: no per-run Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io._sweeps import SWEEP_CONSTANT_SCHEMA, SWEEP_POINT_SCHEMA, SweepData

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SPANS_SOURCE", "sweep_runs"]

SPANS_SOURCE: Final = "spans"
"""The ``source`` of the constants read from spans of sweep runs."""
_STATUS_ERROR: Final = 2

_TRAJECTORY_NEEDS: Final[Mapping[str, pl.DataType]] = {
    K.HAS_ROOT: pl.Boolean(),
    K.SWEEP_KNOB: pl.Utf8(),
    K.SWEEP_VALUE: pl.Utf8(),
    K.KNOB_DEFAULT: pl.Utf8(),
    K.SWEEP_DEGENERATE: pl.Boolean(),
    K.REWARD: pl.Float64(),
    K.OUTCOME: pl.Utf8(),
    K.STATUS_CODE: pl.Int8(),
    K.SPLIT: pl.Utf8(),
    K.TASK_ID: pl.Utf8(),
    K.OBJECTIVE: pl.Utf8(),
    K.START_NS: pl.Int64(),
    "n_iterations": pl.Int64(),
}


def _columns(frame: pl.DataFrame, needs: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with every column of ``needs`` (typed nulls for those it lacks)."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in needs.items() if name not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def _step_facts(steps: pl.DataFrame) -> pl.DataFrame:
    """Per trajectory: the knob and value of its first step carrying a knob, and its single step metric (null when
    no step or several steps carry a metric)."""
    st = _columns(steps, {K.KNOB: pl.Utf8(), K.VALUE: pl.Utf8(), K.METRIC: pl.Float64()})
    knobs = (
        st.filter(pl.col(K.KNOB).is_not_null() & pl.col(K.VALUE).is_not_null())
        .group_by(K.TRAJECTORY_ID, maintain_order=True)
        .agg(pl.col(K.KNOB).first().alias("_step_knob"), pl.col(K.VALUE).first().alias("_step_value"))
    )
    metrics = (
        st.filter(pl.col(K.METRIC).is_not_null())
        .group_by(K.TRAJECTORY_ID, maintain_order=True)
        .agg(pl.when(pl.len() == 1).then(pl.col(K.METRIC).first()).alias("_step_metric"))
    )
    return knobs.join(metrics, on=K.TRAJECTORY_ID, how="full", coalesce=True)


def sweep_runs(steps: pl.DataFrame, trajectories: pl.DataFrame) -> SweepData:
    """The sweep runs of the model frames as :class:`~trajdyn.analyzer.io.SweepData` (source ``"spans"``); empty
    frames when there is none (see the module docstring for the rules)."""
    if trajectories.height == 0 or K.TRAJECTORY_ID not in trajectories.columns:
        return SweepData.empty()
    tr = _columns(trajectories, _TRAJECTORY_NEEDS)
    facts = (
        _step_facts(steps)
        if steps.height and K.TRAJECTORY_ID in steps.columns
        else pl.DataFrame(
            schema={K.TRAJECTORY_ID: pl.Utf8, "_step_knob": pl.Utf8, "_step_value": pl.Utf8, "_step_metric": pl.Float64}
        )
    )
    tr = tr.join(facts, on=K.TRAJECTORY_ID, how="left", maintain_order="left")
    on_root = (
        pl.col(K.HAS_ROOT).fill_null(False) & pl.col(K.SWEEP_KNOB).is_not_null() & pl.col(K.SWEEP_VALUE).is_not_null()
    )
    marked = pl.col(K.KNOB_DEFAULT).is_not_null() | pl.col(K.SWEEP_DEGENERATE).is_not_null()
    on_step = (
        ~on_root
        & (pl.col("n_iterations").fill_null(0) <= 1)
        & marked
        & pl.col("_step_knob").is_not_null()
        & pl.col("_step_value").is_not_null()
    )
    runs = tr.filter(on_root | on_step).select(
        pl.when(on_root).then(pl.col(K.SWEEP_KNOB)).otherwise(pl.col("_step_knob")).alias("constant"),
        pl.when(on_root).then(pl.col(K.SWEEP_VALUE)).otherwise(pl.col("_step_value")).alias("value"),
        pl.coalesce(pl.col(K.REWARD), pl.col("_step_metric")).alias("_score"),
        (
            (pl.col(K.STATUS_CODE).cast(pl.Int64) == _STATUS_ERROR).fill_null(False)
            | (pl.col(K.OUTCOME) == C.OUTCOME_ERROR).fill_null(False)
        ).alias("_error"),
        pl.col(K.SWEEP_DEGENERATE).fill_null(False).alias("_degenerate"),
        pl.col(K.KNOB_DEFAULT).alias("default"),
        pl.col(K.OBJECTIVE).fill_null(C.DEFAULT_OBJECTIVE).alias("objective"),
        pl.col(K.TASK_ID).alias("scenario"),
        pl.col(K.SPLIT).alias("split"),
        pl.col(K.START_NS).alias("_start"),
        pl.col(K.TRAJECTORY_ID).alias("_tid"),
    )
    if runs.height == 0:
        return SweepData.empty()
    runs = runs.sort(["constant", "_start", "_tid"], nulls_last=True).with_columns(
        (~pl.col("_error") & ~pl.col("_degenerate") & pl.col("_score").is_finite().fill_null(False)).alias("_ok"),
        (pl.col("_degenerate") & ~pl.col("_error")).alias("_degenerate"),
    )
    first_seen = (
        runs.group_by("constant", "value", maintain_order=True)
        .agg(pl.len().alias("_n"))
        .with_columns(pl.int_range(pl.len()).over("constant").cast(pl.Int64).alias("order"))
        .drop("_n")
    )
    points = (
        runs.filter(pl.col("_ok"))
        .join(first_seen, on=["constant", "value"], how="left", maintain_order="left")
        .with_columns(pl.int_range(pl.len()).over("constant", "value").cast(pl.Int64).alias("replicate"))
        .select(
            pl.lit(SPANS_SOURCE).alias("source"),
            "constant",
            "value",
            "order",
            pl.col("_score").alias("score"),
            "replicate",
            "scenario",
            "split",
        )
    )
    constants = runs.group_by("constant", maintain_order=True).agg(
        pl.lit(SPANS_SOURCE).alias("source"),
        pl.col("default").drop_nulls().value_counts(sort=True).alias("_defaults"),
        pl.col("_ok").sum().cast(pl.Int64).alias("n_points_ok"),
        pl.len().cast(pl.Int64).alias("n_points_total"),
        pl.col("_error").sum().cast(pl.Int64).alias("n_errors"),
        pl.col("_degenerate").sum().cast(pl.Int64).alias("n_degenerate"),
        (~pl.col("_ok") & ~pl.col("_error") & ~pl.col("_degenerate")).sum().cast(pl.Int64).alias("n_unscored"),
        (~pl.col("_error") & ~pl.col("_degenerate") & pl.col("_score").is_not_null() & ~pl.col("_score").is_finite())
        .sum()
        .cast(pl.Int64)
        .alias("n_nonfinite"),
        pl.when(pl.col("objective").n_unique() == 1).then(pl.col("objective").first()).alias("objective"),
        pl.when(pl.col("objective").n_unique() > 1)
        .then(pl.col("objective").unique().sort().str.join(", "))
        .alias("mixed_objectives"),
    )
    default = (
        constants.select("constant", pl.col("_defaults"))
        .explode("_defaults")
        .unnest("_defaults")
        .drop_nulls("default")
        .sort(["constant", "count", "default"], descending=[False, True, False])
        .unique("constant", keep="first")
        .select("constant", "default")
    )
    constants = constants.drop("_defaults").join(default, on="constant", how="left", maintain_order="left")
    empty = SweepData.empty()
    return SweepData(
        points.select([pl.col(c).cast(t) for c, t in SWEEP_POINT_SCHEMA.items()]),
        constants.select(
            [
                (pl.col(c) if c in constants.columns else pl.lit(None)).cast(t).alias(c)
                for c, t in SWEEP_CONSTANT_SCHEMA.items()
            ]
        ),
        empty.pairs,
        [],
    )
