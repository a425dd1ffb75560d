"""Action entropy: Miller–Madow corrected, normalised, over the whole trajectory and over sliding windows.

Definitions below, mirrored in ``docs/metrics/dynamics.md``.

Definitions (natural logarithms; N symbols, m̂ distinct ones among them, counts c_a):

- plug-in entropy ``Ĥ = ln N − (1/N) Σ_a c_a ln c_a``;
- Miller–Madow correction ``Ĥ_MM = Ĥ + (m̂ − 1) / (2N)`` (Miller 1955, *Note on the bias of information
  estimates*), which removes the first-order O(1/N) downward bias of the plug-in estimate;
- normalised: divided by ``ln min(|A|, N)`` (|A| the size of the action alphabet of everything analysed together,
  N the number of symbols: with N turns at most N distinct actions can appear), then clipped to [0, 1] (the
  correction may push a near-uniform sequence slightly above 1). One symbol only → 0; N < 2 → undefined (null).

The windowed series applies the same estimator to every window of ``W`` consecutive turns (a stride of one turn),
normalised by ``ln min(|A|, W)``; one fixed W across everything compared. A trajectory with fewer than
W turns has an empty series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._schema import list_column
from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, encode
from trajdyn.analyzer.metrics.dynamics._turns import TURN

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["action_entropy", "batch_entropy", "entropy_of_windows", "miller_madow_entropy", "windowed_series"]


def entropy_of_windows(windows: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Plug-in entropy (nats) and distinct count of each window along the last axis of ``windows`` (..., W)."""
    w = windows.shape[-1]
    if w == 0:
        shape = windows.shape[:-1]
        return np.zeros(shape), np.zeros(shape, dtype=np.int64)
    ordered = np.sort(windows, axis=-1)
    idx = np.broadcast_to(np.arange(w), ordered.shape)
    boundary = np.ones(ordered.shape, dtype=bool)
    boundary[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    # each element's run: [start, end]; Σ over elements of ln(run length) = Σ over runs of c ln c
    start = np.maximum.accumulate(np.where(boundary, idx, 0), axis=-1)
    last = np.ones(ordered.shape, dtype=bool)
    last[..., :-1] = boundary[..., 1:]
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, idx, w - 1), axis=-1), axis=-1), axis=-1)
    runs = (end - start + 1).astype(np.float64)
    sum_c_log_c = np.log(runs).sum(axis=-1)
    distinct = boundary.sum(axis=-1).astype(np.int64)
    return np.log(w) - sum_c_log_c / w, distinct


def miller_madow_entropy(
    windows: npt.NDArray[np.int64], alphabet_size: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Normalised Miller–Madow and plug-in entropy of each window (..., W), and its distinct count.

    Normalised by ``ln min(alphabet_size, W)``; NaN where that is undefined (W < 2), 0 for one distinct symbol.
    """
    w = windows.shape[-1]
    plug_in, distinct = entropy_of_windows(windows)
    corrected = plug_in + (distinct - 1) / (2.0 * max(w, 1))
    scale = np.log(min(alphabet_size, w)) if min(alphabet_size, w) >= 2 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        mm = np.where(distinct <= 1, 0.0, np.clip(corrected / scale, 0.0, 1.0))
        pi = np.where(distinct <= 1, 0.0, np.clip(plug_in / scale, 0.0, 1.0))
    if w < 2:
        mm = np.full(plug_in.shape, np.nan)
        pi = np.full(plug_in.shape, np.nan)
    return mm, pi, distinct


def batch_entropy(
    batch: SequenceBatch, window: int, alphabet_size: int | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per trajectory of ``batch``: normalised MM entropy, plug-in entropy, distinct actions; and per turn (aligned
    with ``batch.flat``) the normalised MM entropy of the window of ``window`` turns starting there (NaN where fewer
    than ``window`` turns are left)."""
    t = len(batch.ids)
    size = alphabet_size if alphabet_size is not None else len(batch.alphabet)
    mm = np.full(t, np.nan)
    pi = np.full(t, np.nan)
    distinct = np.zeros(t, dtype=np.int64)
    per_turn = np.full(batch.flat.shape[0], np.nan)
    for group in batch.groups():
        h_mm, h_pi, m = miller_madow_entropy(group.local, size)
        mm[group.rows], pi[group.rows], distinct[group.rows] = h_mm, h_pi, m
        if group.n >= window:
            views = sliding_window_view(group.local, window, axis=1)
            w_mm, _, _ = miller_madow_entropy(views, size)
            starts = batch.offsets[group.rows][:, None] + np.arange(w_mm.shape[1])[None, :]
            per_turn[starts] = w_mm
    return mm, pi, distinct, per_turn


def windowed_series(batch: SequenceBatch, per_turn: npt.NDArray[np.float64], window: int) -> pl.Series:
    """``windowed_entropy``: per trajectory of ``batch`` the list of its window entropies (empty below ``window``
    turns), from the per-turn values of :func:`batch_entropy`."""
    counts = np.maximum(batch.lengths - window + 1, 0)
    position = np.arange(batch.flat.shape[0]) - np.repeat(batch.offsets, batch.lengths)
    starts = position < np.repeat(counts, batch.lengths)
    return list_column("windowed_entropy", per_turn[starts], counts)


def action_entropy(turns: pl.DataFrame, *, window: int = 10, alphabet_size: int | None = None) -> pl.DataFrame:
    """Per trajectory of a turn table (:func:`turns`): ``turns``, ``distinct_actions``, ``action_entropy`` (Miller–Madow,
    normalised), ``action_entropy_plugin`` and ``windowed_entropy`` (list, windows of ``window`` turns).

    ``alphabet_size`` defaults to the number of distinct actions in ``turns``. Definitions: module docstring.
    """
    if window < 2:
        raise ValueError(f"window must be >= 2 turns, got {window}")
    ordered = turns.sort([K.TRAJECTORY_ID, TURN], maintain_order=True)
    batch = encode(ordered, K.TRAJECTORY_ID, K.ACTION)
    mm, pi, distinct, per_turn = batch_entropy(batch, window, alphabet_size)
    return pl.DataFrame(
        {
            K.TRAJECTORY_ID: batch.ids,
            "turns": batch.lengths,
            "distinct_actions": distinct,
            "action_entropy": mm,
            "action_entropy_plugin": pi,
            "windowed_entropy": windowed_series(batch, per_turn, window),
        },
    ).with_columns(pl.col("action_entropy", "action_entropy_plugin").fill_nan(None))
