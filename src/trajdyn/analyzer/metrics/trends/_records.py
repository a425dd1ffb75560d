"""The trends input: a records frame, one row per (run, task record), built from spans or benchmark result files.

Definitions mirrored in ``docs/metrics/trends.md`` (Inputs).

A *run* is one evaluation of a system over a set of tasks: from spans, the trajectories that share
``trajdyn.run.id``; from a benchmark result file, the file. A *record* is one scored attempt within a run: a
trajectory, or one task entry of a result file. Records are grouped by a key the user chooses (``group_by``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K

__all__ = [
    "GROUP_BY_ALIASES",
    "GROUP_BY_KEYS",
    "RECORD_SCHEMA",
    "RESULT_GROUP_COLUMNS",
    "SOURCE_RESULTS",
    "SOURCE_SPANS",
    "SPAN_GROUP_COLUMNS",
    "empty_records",
    "records_from_results",
    "records_from_trajectories",
    "resolve_group_by",
]

SOURCE_SPANS: Final = "spans"
SOURCE_RESULTS: Final = "pinchbench"

SCORE_REWARD: Final = "reward"
SCORE_SUCCESS: Final = "success_rate"
SCORE_GRADING: Final = "grading.mean"

NO_GROUP: Final = "none"
"""``group_by`` value that puts every run of a source into one group (its value is ``"all"``)."""
ALL: Final = "all"

SPAN_GROUP_COLUMNS: Final[dict[str, str]] = {
    "model": K.MODEL,
    "agent": K.AGENT,
    "provider": K.PROVIDER,
    "task": K.TASK_ID,
    "task_category": K.TASK_CATEGORY,
    "variant": K.VARIANT,
    "perturbation_group": K.PERTURBATION_GROUP,
    "split": K.SPLIT,
    "learning_key": K.LEARNING_KEY,
    "execution_mode": K.EXECUTION_MODE,
    "metric_name": K.METRIC_NAME,
}
"""``group_by`` key → trajectories-frame column it groups span runs by."""

RESULT_GROUP_COLUMNS: Final[dict[str, str]] = {
    "model": "model",
    "dir": "dir",
    "benchmark_version": "benchmark_version",
    "suite": "suite",
    "task": "task_id",
}
"""``group_by`` key → result-records column it groups benchmark runs by."""

GROUP_BY_KEYS: Final = tuple(dict.fromkeys([*SPAN_GROUP_COLUMNS, *RESULT_GROUP_COLUMNS, NO_GROUP]))
"""Every accepted ``group_by`` key (a key a source lacks puts that source's runs in one null group, with a warning)."""

_KEY_OF_COLUMN: Final = {column: key for key, column in SPAN_GROUP_COLUMNS.items()}
GROUP_BY_ALIASES: Final[dict[str, str]] = {
    **{attr: _KEY_OF_COLUMN[column] for column, attr in K.TRAJECTORY_COLUMNS.items() if column in _KEY_OF_COLUMN},
    "task_id": "task",
    "directory": "dir",
    "version": "benchmark_version",
}
"""Other spellings: the conventions attribute keys (``gen_ai.request.model`` …) and a few synonyms."""

RECORD_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source": pl.Utf8(),
    "group_by": pl.Utf8(),
    "group": pl.Utf8(),
    "run": pl.Utf8(),
    "run_id": pl.Utf8(),
    "time": pl.Float64(),
    "task_id": pl.Utf8(),
    "score": pl.Float64(),
    "cost": pl.Float64(),
    "tokens": pl.Float64(),
    "score_source": pl.Utf8(),
    "path": pl.Utf8(),
    "dir": pl.Utf8(),
    "benchmark_version": pl.Utf8(),
    "in_progress": pl.Boolean(),
    "duplicates": pl.Int64(),
}
"""Columns of the records frame: ``source`` (spans | pinchbench), ``group_by`` and ``group`` (its value), ``run``
(the run's key: the run id for spans, the file for result files) and ``run_id`` (its label), ``time`` (unix
seconds: the run's earliest trajectory start, or the result file's timestamp), ``task_id``, ``score`` (a reward,
a success 0/1 or a grading mean), ``cost`` (USD) and ``tokens`` of the record, ``score_source`` (reward |
success_rate | grading.mean), ``path`` / ``dir`` / ``benchmark_version`` (result files), ``in_progress`` (a result
file of an unfinished run: kept only to be reported) and ``duplicates`` (task entries averaged into the record)."""


def resolve_group_by(name: str) -> str:
    """The canonical ``group_by`` key of ``name`` (``gen_ai.request.model`` → ``model``); ``ValueError`` if unknown."""
    key = name.strip()
    key = GROUP_BY_ALIASES.get(key, key)
    if key not in GROUP_BY_KEYS:
        raise ValueError(f"unknown --group-by key {name!r}: expected one of {', '.join(GROUP_BY_KEYS)}")
    return key


def empty_records() -> pl.DataFrame:
    """A records frame with no rows."""
    return pl.DataFrame(schema=RECORD_SCHEMA)


def _group_expr(group_by: str, columns: Mapping[str, str], present: list[str]) -> pl.Expr:
    if group_by == NO_GROUP:
        return pl.lit(ALL, pl.Utf8)
    column = columns.get(group_by)
    if column is None or column not in present:
        return pl.lit(None, pl.Utf8)
    return pl.col(column).cast(pl.Utf8)


def records_from_trajectories(
    trajectories: pl.DataFrame, steps: pl.DataFrame | None = None, *, group_by: str = "model"
) -> pl.DataFrame:
    """Records of span runs: one per trajectory that carries ``trajdyn.run.id``.

    ``score``: the trajectory's ``trajdyn.reward`` when any trajectory of its group has a reward, else its success
    from ``trajdyn.outcome`` (success → 1, failure | error → 0, anything else → null): a run's score is then its mean
    reward or its success rate. ``tokens``: input + output tokens of the root span (``gen_ai.usage.*``), else the
    sum over its steps; null when neither carries any. ``cost``: null (spans carry no cost convention). ``time``:
    the trajectory's start; the run's time is its earliest trajectory start.
    """
    key = resolve_group_by(group_by)
    if trajectories.height == 0 or K.RUN_ID not in trajectories.columns:
        return empty_records()
    traj = trajectories.filter(pl.col(K.RUN_ID).is_not_null())
    if traj.height == 0:
        return empty_records()

    def _total(frame_cols: list[str]) -> pl.Expr:
        parts = [pl.col(c) for c in (K.INPUT_TOKENS, K.OUTPUT_TOKENS) if c in frame_cols]
        if not parts:
            return pl.lit(None, pl.Float64)
        known = pl.any_horizontal(*(p.is_not_null() for p in parts))
        return pl.when(known).then(pl.sum_horizontal(*parts).cast(pl.Float64)).otherwise(None)

    traj = traj.with_columns(_total(traj.columns).alias("_root_tokens"))
    if steps is not None and steps.height and K.TRAJECTORY_ID in steps.columns:
        per_step = (
            steps.select(K.TRAJECTORY_ID, _total(steps.columns).alias("_t"))
            .group_by(K.TRAJECTORY_ID)
            .agg(
                pl.when(pl.col("_t").is_not_null().any()).then(pl.col("_t").sum()).otherwise(None).alias("_step_tokens")
            )
        )
        traj = traj.join(per_step, on=K.TRAJECTORY_ID, how="left")
    else:
        traj = traj.with_columns(pl.lit(None, pl.Float64).alias("_step_tokens"))
    success = (
        pl.when(pl.col(K.OUTCOME) == C.OUTCOME_SUCCESS)
        .then(1.0)
        .when(pl.col(K.OUTCOME).is_in([C.OUTCOME_FAILURE, C.OUTCOME_ERROR]))
        .then(0.0)
        .otherwise(None)
    )
    reward = pl.col(K.REWARD).cast(pl.Float64)
    reward = pl.when(reward.is_finite()).then(reward).otherwise(None)
    out = traj.select(
        pl.lit(SOURCE_SPANS).alias("source"),
        pl.lit(key).alias("group_by"),
        _group_expr(key, SPAN_GROUP_COLUMNS, traj.columns).alias("group"),
        pl.col(K.RUN_ID).cast(pl.Utf8).alias("run"),
        pl.col(K.RUN_ID).cast(pl.Utf8).alias("run_id"),
        (pl.col(K.START_NS).cast(pl.Float64) / 1e9).alias("time"),
        pl.col(K.TASK_ID).cast(pl.Utf8).alias("task_id"),
        reward.alias("_reward"),
        success.alias("_success"),
        pl.lit(None, pl.Float64).alias("cost"),
        pl.coalesce(pl.col("_root_tokens"), pl.col("_step_tokens").cast(pl.Float64)).alias("tokens"),
    )
    has_reward = pl.col("_reward").is_not_null().any().over("group")
    out = out.with_columns(
        pl.when(has_reward).then(pl.col("_reward")).otherwise(pl.col("_success")).alias("score"),
        pl.when(has_reward).then(pl.lit(SCORE_REWARD)).otherwise(pl.lit(SCORE_SUCCESS)).alias("score_source"),
        pl.lit(None, pl.Utf8).alias("path"),
        pl.lit(None, pl.Utf8).alias("dir"),
        pl.lit(None, pl.Utf8).alias("benchmark_version"),
        pl.lit(False).alias("in_progress"),
        pl.lit(0, pl.Int64).alias("duplicates"),
    )
    return out.select(pl.col(name).cast(dtype) for name, dtype in RECORD_SCHEMA.items())


def records_from_results(results: pl.DataFrame, *, group_by: str = "model") -> pl.DataFrame:
    """Records of benchmark runs from :func:`trajdyn.analyzer.read_results`' frame (one per task entry).

    The run key is the file; ``score`` is ``grading.mean``; cost and tokens are per task.
    """
    key = resolve_group_by(group_by)
    if results.height == 0:
        return empty_records()
    out = results.select(
        pl.col("format").alias("source"),
        pl.lit(key).alias("group_by"),
        _group_expr(key, RESULT_GROUP_COLUMNS, results.columns).alias("group"),
        pl.col("path").alias("run"),
        pl.col("run_id"),
        pl.col("time"),
        pl.col("task_id"),
        pl.col("score"),
        pl.col("cost"),
        pl.col("tokens"),
        pl.lit(SCORE_GRADING).alias("score_source"),
        pl.col("path"),
        pl.col("dir"),
        pl.col("benchmark_version"),
        pl.col("in_progress"),
        pl.col("duplicates"),
    )
    return out.select(pl.col(name).cast(dtype) for name, dtype in RECORD_SCHEMA.items())
