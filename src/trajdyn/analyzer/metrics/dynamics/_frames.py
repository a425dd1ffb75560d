"""Frame → frame views of the dynamics family: each sequence metric on its own, and the analysis' main frames.

:func:`dynamics` and :func:`sensitivity` each run the whole analysis (:func:`analyze_dynamics`) and return one of its
frames; call :func:`analyze_dynamics` once when more than one is needed (the report does). Definitions:
``docs/metrics/dynamics.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._analysis import DynamicsOptions, analyze_dynamics
from trajdyn.analyzer.metrics.dynamics._complexity import batch_lz
from trajdyn.analyzer.metrics.dynamics._entropy import batch_entropy
from trajdyn.analyzer.metrics.dynamics._loops import DEFAULT_ALPHA, DEFAULT_MAX_PERIOD, batch_laminarity, batch_loops
from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, encode
from trajdyn.analyzer.metrics.dynamics._turns import PAIR, TURN, pair_symbol

if TYPE_CHECKING:
    from trajdyn.analyzer.embeddings import Embedder

__all__ = ["dynamics", "laminarity", "lz_complexity", "sensitivity", "suffix_loop"]


def _batch(turns: pl.DataFrame, *, pairs: bool = False) -> SequenceBatch:
    ordered = turns.sort([K.TRAJECTORY_ID, TURN], maintain_order=True)
    if pairs:
        return encode(ordered.with_columns(pair_symbol()), K.TRAJECTORY_ID, PAIR)
    return encode(ordered, K.TRAJECTORY_ID, K.ACTION)


def lz_complexity(turns: pl.DataFrame, *, shuffles: int = 100, seed: int = 0) -> pl.DataFrame:
    """Per trajectory of a turn table: ``lz_complexity`` (normalised LZ76), ``lz_z``, ``lz_p`` (see ``_complexity``)."""
    batch = _batch(turns)
    _, _, distinct, _ = batch_entropy(batch, 2)
    value, z, p = batch_lz(batch, distinct, shuffles, seed)
    return pl.DataFrame({K.TRAJECTORY_ID: batch.ids, "lz_complexity": value, "lz_z": z, "lz_p": p}).fill_nan(None)


def laminarity(turns: pl.DataFrame, *, shuffles: int = 100, seed: int = 0) -> pl.DataFrame:
    """Per trajectory of a turn table: ``laminarity`` (RQA LAM of the (state, action) sequence), ``laminarity_z``,
    ``laminarity_p`` (see ``_loops``)."""
    batch = _batch(turns, pairs=True)
    lam, z, p = batch_laminarity(batch, shuffles, seed)
    return pl.DataFrame({K.TRAJECTORY_ID: batch.ids, "laminarity": lam, "laminarity_z": z, "laminarity_p": p}).fill_nan(
        None
    )


def suffix_loop(
    turns: pl.DataFrame, *, max_period: int = DEFAULT_MAX_PERIOD, alpha: float = DEFAULT_ALPHA
) -> pl.DataFrame:
    """Per trajectory of a turn table: ``loop`` {detected, period, onset_turn, repeats, p_value, final_run} of the
    (state, action) sequence (see ``_loops``)."""
    batch = _batch(turns, pairs=True)
    return pl.DataFrame(
        [pl.Series(K.TRAJECTORY_ID, batch.ids, dtype=pl.Utf8), batch_loops(batch, max_period=max_period, alpha=alpha)]
    )


def dynamics(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    embedder: Embedder | None = None,
    options: DynamicsOptions | None = None,
) -> pl.DataFrame:
    """One row per trajectory: ``trajectory_id`` then the keys of :data:`DYNAMICS_KEYS` (``TRAJECTORY_SCHEMA``)."""
    return analyze_dynamics(steps, trajectories, embedder=embedder, options=options).trajectories


def sensitivity(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    embedder: Embedder | None = None,
    options: DynamicsOptions | None = None,
) -> pl.DataFrame:
    """One row per group (task × model × agent, ``TASK_SCHEMA``): replicate and perturbation divergence, outcomes,
    regimes, ClawBench C(q)."""
    return analyze_dynamics(steps, trajectories, embedder=embedder, options=options).tasks
