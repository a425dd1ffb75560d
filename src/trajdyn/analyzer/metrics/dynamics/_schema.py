"""The declared schemas of the dynamics frames: per turn, per trajectory, per task, per outcome category.

Every column is defined in ``docs/metrics/dynamics.md`` and in the docstring of the module that computes it (the
table below names it). Undefined values are null, never NaN; nested values are structs and lists, so that a frame
converts to the report's JSON without renaming anything.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from trajdyn.analyzer import _columns as K

__all__ = [
    "CLAWBENCH_TYPE",
    "DRIFT_TYPE",
    "DYNAMICS_KEYS",
    "LOOP_TYPE",
    "NGRAM_TYPE",
    "OUTCOME_SCHEMA",
    "PERTURBATION_TYPE",
    "REPETITION_TYPE",
    "REPLICATES_TYPE",
    "TASK_SCHEMA",
    "TRAJECTORY_SCHEMA",
    "TURN_SCHEMA",
    "list_column",
]

Schema = dict[str, pl.DataType]

LOOP_TYPE: Final = pl.Struct(
    {
        "detected": pl.Boolean(),
        "period": pl.Int64(),
        "onset_turn": pl.Int64(),
        "repeats": pl.Int64(),
        "p_value": pl.Float64(),
        "final_run": pl.Int64(),
    }
)
"""``loop`` (:mod:`._loops`, the suffix-period detector)."""

TOP_TYPE: Final = pl.Struct({"actions": pl.List(pl.Utf8()), "count": pl.Int64(), "first_turn": pl.Int64()})
NGRAM_TYPE: Final = pl.Struct({"n": pl.Int64(), "repeated": pl.Int64(), "of": pl.Int64(), "top": TOP_TYPE})
"""One item of ``state_action_repeats`` (:mod:`._loops`, repeated (state, action) n-grams)."""

REPETITION_TYPE: Final = pl.Struct(
    {
        "score": pl.Float64(),
        "flagged": pl.Boolean(),
        "threshold": pl.Float64(),
        "basis": pl.Utf8(),
        "near_repeats": pl.Int64(),
        "near_repeat_share": pl.Float64(),
        "loop_share": pl.Float64(),
        "trapped_share": pl.Float64(),
        "repeat_turns": pl.List(pl.Int64()),
    }
)
"""``repetition`` (:mod:`._repetition`, the repetition score and its flag): null for a trajectory without turns."""

DRIFT_TYPE: Final = pl.Struct(
    {
        "basis": pl.Utf8(),
        "centred": pl.Boolean(),
        "anchor": pl.List(pl.Float64()),
        "step": pl.List(pl.Float64()),
        "final": pl.Float64(),
        "max": pl.Float64(),
        "mean": pl.Float64(),
        "path_length": pl.Float64(),
        "tortuosity": pl.Float64(),
        "anchor_trend_z": pl.Float64(),
        "step_trend_z": pl.Float64(),
    }
)
"""``drift`` (:mod:`._drift`): null for a trajectory without turns."""

TRAJECTORY_SCHEMA: Final[Schema] = {
    K.TRAJECTORY_ID: pl.Utf8(),
    "turns": pl.Int64(),
    "group": pl.Utf8(),
    "distinct_actions": pl.Int64(),
    "action_entropy": pl.Float64(),
    "action_entropy_plugin": pl.Float64(),
    "entropy_window": pl.Int64(),
    "windowed_entropy": pl.List(pl.Float64()),
    "lz_complexity": pl.Float64(),
    "lz_z": pl.Float64(),
    "lz_p": pl.Float64(),
    "laminarity": pl.Float64(),
    "laminarity_z": pl.Float64(),
    "laminarity_p": pl.Float64(),
    "shuffles": pl.Int64(),
    "loop": LOOP_TYPE,
    "state_action_repeats": pl.List(NGRAM_TYPE),
    "state_basis": pl.Utf8(),
    "repetition": REPETITION_TYPE,
    "drift": DRIFT_TYPE,
    "regime": pl.Utf8(),
    "regime_reason": pl.Utf8(),
    "clawbench_constraint_index": pl.Float64(),
}
"""Per trajectory (``DynamicsResult.trajectories``, sorted by trajectory id): ``turns``, ``group``,
``distinct_actions``, the entropies (:mod:`._entropy`), LZ76 (:mod:`._complexity`), laminarity, ``loop`` and
``state_action_repeats`` (:mod:`._loops`), ``repetition`` (:mod:`._repetition`), ``drift`` (:mod:`._drift`), ``regime`` (:mod:`._regime`) and the ClawBench
index (:mod:`._clawbench`); ``entropy_window`` and ``shuffles`` repeat the options the numbers depend on."""

DYNAMICS_KEYS: Final = tuple(TRAJECTORY_SCHEMA)[1:]
"""Columns of the per-trajectory frame after ``trajectory_id``: the keys of a trajectory's ``dynamics`` object, in
report order."""

TURN_SCHEMA: Final[Schema] = {
    K.TRAJECTORY_ID: pl.Utf8(),
    "turn": pl.Int64(),
    K.ACTION: pl.Utf8(),
    "anchor": pl.Float64(),
    "step": pl.Float64(),
    "window_entropy": pl.Float64(),
}
"""Per turn (``DynamicsResult.turns``, sorted by trajectory id, turn): the anchor drift θ(e_t, e_0), the step
θ(e_t, e_{t−1}) (null at turn 0) and the normalised entropy of the window of W turns that starts at this turn (null
when fewer than W turns are left): the series of the per-trajectory lists, one row per point."""

VARIANT_COUNT_TYPE: Final = pl.Struct({"variant": pl.Utf8(), "runs": pl.Int64()})
_PAIR_FIELDS: Final[Schema] = {
    "pairs": pl.Int64(),
    "truncated_pairs": pl.Int64(),
    "turns_compared": pl.Float64(),
    "identical_starts": pl.Int64(),
    "zero_distance_turns": pl.Int64(),
    "mean_angle": pl.Float64(),
    "lambda": pl.Float64(),
    "lambda_pairs": pl.Int64(),
    "lambda_iqr": pl.List(pl.Float64()),
    "why_undefined": pl.List(pl.Utf8()),
}
REPLICATES_TYPE: Final = pl.Struct({**_PAIR_FIELDS, "band": pl.List(pl.Float64()), "reason": pl.Utf8()})
"""``replicates`` (:mod:`._divergence`): the replicate pairs; ``reason`` set (and the rest null) without any."""
PERTURBATION_TYPE: Final = pl.Struct(
    {
        **_PAIR_FIELDS,
        "variants": pl.List(pl.Utf8()),
        "delta_lambda": pl.Float64(),
        "divergence_time": pl.Float64(),
        "left_band": pl.Float64(),
        "excess_area": pl.Float64(),
        "reason": pl.Utf8(),
    }
)
"""``perturbation`` (:mod:`._divergence`): the perturbed pairs; null without any."""
PASS_K_TYPE: Final = pl.Struct(
    {"variant": pl.Utf8(), "runs": pl.Int64(), "successes": pl.Int64(), "pass_k": pl.List(pl.Float64())}
)
REGIME_COUNT_TYPE: Final = pl.Struct({"regime": pl.Utf8(), "trajectories": pl.Int64()})
CLAWBENCH_TYPE: Final = pl.Struct(
    {
        "runs": pl.Int64(),
        "PR": pl.Float64(),
        "entropy": pl.Float64(),
        "BOPS": pl.Float64(),
        "z_PR": pl.Float64(),
        "z_entropy": pl.Float64(),
        "z_BOPS": pl.Float64(),
        "C_q": pl.Float64(),
    }
)
"""``clawbench`` (:mod:`._clawbench`, C(q) of the group's task)."""

TASK_SCHEMA: Final[Schema] = {
    "group": pl.Utf8(),
    K.TASK_ID: pl.Utf8(),
    K.MODEL: pl.Utf8(),
    K.AGENT: pl.Utf8(),
    "trajectories": pl.Int64(),
    "variants": pl.List(VARIANT_COUNT_TYPE),
    "basis": pl.Utf8(),
    "centred": pl.Boolean(),
    "noise_floor": pl.Float64(),
    "saturation_angle": pl.Float64(),
    "replicates": REPLICATES_TYPE,
    "perturbation": PERTURBATION_TYPE,
    "outcomes": pl.List(PASS_K_TYPE),
    "regimes": pl.List(REGIME_COUNT_TYPE),
    "clawbench": CLAWBENCH_TYPE,
}
"""Per group = task × model × agent (``DynamicsResult.tasks``, sorted by group, model, agent): replicate and
perturbation divergence (:mod:`._divergence`), pass^k per variant (``outcomes``, null without binary outcomes), the
regimes of its trajectories and ClawBench's C(q)."""

OUTCOME_SCHEMA: Final[Schema] = {
    "by": pl.Utf8(),
    "category": pl.Utf8(),
    "trajectories": pl.Int64(),
    "with_reward": pl.Int64(),
    "mean_reward": pl.Float64(),
    "mean_turns": pl.Float64(),
    "rest_mean_turns": pl.Float64(),
    "failures": pl.Int64(),
    "failure_rate": pl.Float64(),
    "failure_ci": pl.List(pl.Float64()),
    "rest_failure_rate": pl.Float64(),
    "fisher_p": pl.Float64(),
}
"""Per outcome category (``RegimeOutcomes.categories``, :mod:`._regime`): ``by`` is ``regime``, ``loop`` or
``repeats``; ``mean_turns`` / ``rest_mean_turns`` are the mean turn counts of the category's runs and of all the
others (null without any); the failure columns are null unless the rewards are binary."""


def list_column(name: str, flat: npt.NDArray[np.float64], lengths: npt.NDArray[np.int64]) -> pl.Series:
    """A ``List(Float64)`` series of ``len(lengths)`` rows: row i holds the next ``lengths[i]`` values of ``flat``."""
    rows = len(lengths)
    owner = np.repeat(np.arange(rows, dtype=np.int64), lengths)
    grouped = pl.DataFrame({"_row": owner, name: flat}).group_by("_row", maintain_order=True).agg(pl.col(name))
    full = pl.DataFrame({"_row": np.arange(rows, dtype=np.int64)}).join(
        grouped, on="_row", how="left", maintain_order="left"
    )
    return full[name].cast(pl.List(pl.Float64())).fill_null(pl.lit([], dtype=pl.List(pl.Float64())))
