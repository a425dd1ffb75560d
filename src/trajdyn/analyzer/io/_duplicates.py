"""Duplicate spans: which copy of a span read more than once is kept.

A span is identified by (trace id, span id), both normalised to lower-case hex when read. A span exported twice
(an exporter retry, two collectors, a file concatenated with itself) appears as several rows; exactly one is kept,
chosen by content only, never by input position, so the analysis does not depend on the order of the input:

1. the copy with the latest end time (an ended span beats an unended one: no end time, or 0, counts as earliest);
2. then the copy with more span events;
3. then the copy whose content (every column but the input file and line) has the larger 64-bit hash: arbitrary
   but deterministic. Identical copies are interchangeable, so this only decides between copies that differ in
   attributes and nothing above.

The kept copy's events are kept and the other copies' dropped (see :func:`trajdyn.analyzer.read_spans`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from trajdyn.analyzer import _columns as K

__all__ = ["duplicate_keep_mask"]

_ROW: Final = "_dup_row"
_EVENTS: Final = "_dup_events"
_HASH: Final = "_dup_hash"
_POSITIONAL: Final = (K.SOURCE, K.LINE)
"""Columns that say where a copy was read, not what it holds: left out of the content hash."""


def duplicate_keep_mask(spans: pl.DataFrame, event_rows: pl.Series | None) -> pl.Series | None:
    """The rows of ``spans`` to keep (one per (trace_id, span_id)), or ``None`` when no span is duplicated.

    ``event_rows``: the row of ``spans`` each event belongs to (the events frame's row column), or ``None``.
    Rows without a trace or span id are never duplicates of each other. Cheap when there is no duplicate:
    distinct 64-bit hashes of the ids prove it; otherwise only the duplicated rows are ranked.
    """
    if spans.height < 2:
        return None
    ids = pl.struct(K.TRACE_ID, K.SPAN_ID)
    has_ids = pl.col(K.TRACE_ID).is_not_null() & pl.col(K.SPAN_ID).is_not_null()
    hashed = spans.select(ids.hash(seed=0).filter(has_ids).alias("_h"))
    if hashed["_h"].n_unique() == hashed.height:
        return None
    duplicated = spans.select((has_ids & ids.is_duplicated()).alias("_d")).to_series()
    if not duplicated.any():  # equal hashes of different ids
        return None
    n_events = np.zeros(spans.height, dtype=np.int64)
    if event_rows is not None and event_rows.len():
        n_events = np.bincount(event_rows.cast(pl.Int64).to_numpy(), minlength=spans.height)
    content = [c for c in spans.columns if c not in _POSITIONAL]
    candidates = (
        spans.with_row_index(_ROW)
        .with_columns(pl.Series(_EVENTS, n_events))
        .filter(duplicated)
        .select(
            _ROW,
            K.TRACE_ID,
            K.SPAN_ID,
            pl.col(K.END_NS).fill_null(0),
            _EVENTS,
            pl.struct(content).hash(seed=0).alias(_HASH),
        )
    )
    winners = (
        candidates.sort(
            [K.TRACE_ID, K.SPAN_ID, K.END_NS, _EVENTS, _HASH, _ROW],
            descending=[False, False, True, True, True, False],
        )
        .unique([K.TRACE_ID, K.SPAN_ID], keep="first", maintain_order=True)
        .get_column(_ROW)
    )
    keep = ~duplicated.to_numpy()
    keep[winners.to_numpy()] = True
    return pl.Series("_keep", keep)
