"""The trajectory model: pure frame → frame functions over :class:`~trajdyn.analyzer.io.SpanData`.

* A *trajectory* is a span with ``gen_ai.operation.name == "invoke_agent"`` (its root); its id is
  ``trajdyn.trajectory.id`` when present, else the root's span id. Spans whose root never arrived (a crashed run)
  are grouped by the ``trajdyn.trajectory.id`` they carry (the SDK sets it on every step span), else by trace id,
  into trajectories with ``has_root = false``.
* A *step* is a span with ``trajdyn.phase`` in propose | observe | decide. It belongs to its own
  ``trajdyn.trajectory.id`` if set, else to its nearest ``invoke_agent`` ancestor (at any depth), else to its trace.
* *Events* are the span events of any span of a trajectory.
* *Foreign runs*: traces written by other instrumentations (OpenTelemetry GenAI, OpenInference, OpenLLMetry) without
  any ``trajdyn.*`` step are first written in conventions v1 by :func:`trajdyn.analyzer.foreign.map_foreign` (only
  the outermost agent span of a run is its root; tool calls are turns; model calls give its tokens and cost); the
  rules above then apply to that frame. Traces with trajdyn's own attributes are read as they are.

Column names are those of :mod:`trajdyn.analyzer._columns`. The functions read ``SpanData.span_frame`` (only the
attribute columns present in the input; absent conventions keys are typed nulls in the outputs) and cache what
they derive on the ``SpanData``, so calling ``steps``, ``trajectories`` and ``events`` on one read shares the work.
Only spans without their own ``trajdyn.trajectory.id`` need the ancestor walk (vectorised joins over id columns);
with the SDK's and the importers' output that is none of the step spans.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import foreign
from trajdyn.analyzer.io import SpanData
from trajdyn.analyzer.io._decode import span_schema
from trajdyn.analyzer.io._read import with_typed_columns

__all__ = ["events", "order_steps", "outside_runs_note", "span_trajectories", "steps", "trajectories"]

MAX_DEPTH: Final = 256
"""Ancestor walks stop after this many levels (guards against parent cycles in corrupt input)."""

_IS_AGENT: Final = "_is_agent"
_CUR: Final = "_cur"
_PARENT: Final = "_parent"
_ROW: Final = "_row"
_SCHEMA: Final = span_schema()


def _col(frame: pl.DataFrame, key: str) -> pl.Expr:
    """``pl.col(key)``, or a typed null column when the input has no such column.

    A full-length null column, not a literal: polars evaluates an operation on a literal once per chunk in
    ``select``, so on a frame of several chunks ``select(lit.is_in(...))`` gives one row per chunk, not per row.
    """
    if key in frame.columns:
        return pl.col(key)
    return pl.repeat(None, pl.len(), dtype=_SCHEMA.get(key, pl.Utf8())).alias(key)


def _is_agent(frame: pl.DataFrame) -> pl.Expr:
    if C.GEN_AI_OPERATION_NAME not in frame.columns:
        return pl.repeat(False, pl.len())  # a column, not a literal: a mask of the frame's length on its own
    return (pl.col(C.GEN_AI_OPERATION_NAME) == C.OPERATION_INVOKE_AGENT).fill_null(False)


def _is_step(frame: pl.DataFrame) -> pl.Expr:
    if C.PHASE not in frame.columns:
        return pl.repeat(False, pl.len())
    return pl.col(C.PHASE).is_in(C.PHASES).fill_null(False)


def _nearest_agent(spans: pl.DataFrame, start: pl.DataFrame) -> pl.DataFrame:
    """``_row`` of ``start`` → the span id and trajectory id of its nearest ``invoke_agent`` ancestor-or-self.

    ``start`` holds ``_row``, trace_id and ``_cur`` (the span to begin at). Vectorised: one join per level over
    the spans not yet resolved, at most :data:`MAX_DEPTH` levels; a chain that ends at a missing parent (an orphan)
    gives no row.
    """
    nodes = (
        spans.filter(pl.col(K.TRACE_ID).is_not_null() & pl.col(K.SPAN_ID).is_not_null())
        .select(
            K.TRACE_ID,
            pl.col(K.SPAN_ID).alias(_CUR),
            pl.col(K.PARENT_SPAN_ID).alias(_PARENT),
            _is_agent(spans).alias(_IS_AGENT),
            pl.coalesce(_col(spans, C.TRAJECTORY_ID), pl.col(K.SPAN_ID)).alias("_root_tid"),
        )
        .unique(subset=[K.TRACE_ID, _CUR], keep="last")
    )
    state = start
    found: list[pl.DataFrame] = []
    for _ in range(MAX_DEPTH):
        if state.height == 0:
            break
        joined = state.join(nodes, on=[K.TRACE_ID, _CUR], how="inner")
        found.append(joined.filter(pl.col(_IS_AGENT)).select(_ROW, pl.col(_CUR).alias(K.ROOT_SPAN_ID), "_root_tid"))
        state = joined.filter(~pl.col(_IS_AGENT) & pl.col(_PARENT).is_not_null()).select(
            _ROW, K.TRACE_ID, pl.col(_PARENT).alias(_CUR)
        )
    schema = {_ROW: pl.UInt32, K.ROOT_SPAN_ID: pl.Utf8, "_root_tid": pl.Utf8}
    return pl.concat([pl.DataFrame(schema=schema), *found], how="vertical_relaxed")


def _mapped(data: SpanData) -> foreign.Mapped:
    """The spans frame the model reads: ``data.span_frame`` with its foreign runs in conventions v1, the retry
    events the mapping found and the foreign spans outside any run (:class:`~trajdyn.analyzer.foreign.Mapped`).
    Cached on ``data``."""
    cached = data.cached("foreign")
    if isinstance(cached, foreign.Mapped):
        return cached
    result = foreign.map_foreign(data.span_frame)
    data.store("foreign", result)
    return result


def outside_runs_note(data: SpanData) -> str | None:
    """The note on foreign tool and model spans that belong to no agent run (:func:`trajdyn.analyzer.foreign.
    outside_runs_note`), or ``None``."""
    return foreign.outside_runs_note(_mapped(data).outside)


def _frame(data: SpanData) -> pl.DataFrame:
    return _mapped(data).spans


def _trajectory_ids(data: SpanData) -> pl.Series:
    """Every span's trajectory id, aligned with :func:`_frame` (cached on ``data``)."""
    cached = data.cached("trajectory_ids")
    if isinstance(cached, pl.Series):
        return cached
    spans = _frame(data)
    own = pl.when(_is_agent(spans)).then(pl.coalesce(_col(spans, C.TRAJECTORY_ID), pl.col(K.SPAN_ID)))
    tid = spans.select(own.otherwise(_col(spans, C.TRAJECTORY_ID)).alias(K.TRAJECTORY_ID)).to_series()
    if tid.null_count():
        start = (
            spans.select(K.TRACE_ID, pl.col(K.SPAN_ID).alias(_CUR))
            .with_row_index(_ROW)
            .filter(tid.is_null() & pl.col(K.TRACE_ID).is_not_null() & pl.col(_CUR).is_not_null())
        )
        walked = _nearest_agent(spans, start)
        if walked.height:
            tid = tid.scatter(walked[_ROW], walked["_root_tid"])
        tid = pl.select(pl.coalesce(tid, spans[K.TRACE_ID]).alias(K.TRAJECTORY_ID)).to_series()
    data.store("trajectory_ids", tid)
    return tid


def span_trajectories(data: SpanData) -> pl.DataFrame:
    """Every span's trajectory: the spans frame (``data.spans``) with ``trajectory_id`` and ``root_span_id`` added.

    ``trajectory_id`` = the span's own ``trajdyn.trajectory.id``, else that of its nearest ``invoke_agent``
    ancestor-or-self (its ``trajdyn.trajectory.id`` or span id), else the trace id. ``root_span_id`` is the span
    id of that trajectory's ``invoke_agent`` span in the same trace (null when it never arrived; the earliest
    one, ties by span id, when there are several).
    """
    frame = _frame(data)
    spans = (data.spans if frame is data.span_frame else with_typed_columns(frame)).with_columns(_trajectory_ids(data))
    roots = (
        spans.filter(_is_agent(spans))
        .select(K.TRACE_ID, K.TRAJECTORY_ID, K.START_NS, pl.col(K.SPAN_ID).alias(K.ROOT_SPAN_ID))
        .sort([K.TRACE_ID, K.TRAJECTORY_ID, K.START_NS, K.ROOT_SPAN_ID], nulls_last=True)
        .unique(subset=[K.TRACE_ID, K.TRAJECTORY_ID], keep="first", maintain_order=True)
        .drop(K.START_NS)
    )
    return spans.join(roots, on=[K.TRACE_ID, K.TRAJECTORY_ID], how="left", maintain_order="left")


WITHIN_TRAJECTORY: Final = (K.ITERATION, K.START_NS, K.SPAN_ID, K.TRACE_ID)
"""The order of one trajectory's rows in the steps frame (ascending, nulls last): the steps-frame contract."""

_HEX64: Final = 16
_FIRST: Final = "_first_start"


def _lexicographic_ok(columns: list[str]) -> pl.Expr:
    """Per row (from the second): whether the row is not before the previous one by ``columns``, each ascending
    with nulls last. String columns compare by bytes, as polars sorts them; ids are lower-case hex of a fixed
    length, so their byte order is their numeric order (what :func:`order_steps` sorts by)."""
    ok: pl.Expr = pl.lit(True)
    for name in reversed(columns):  # ok_k = not after the previous row on key k, and, on a tie, ok on the next keys
        cur, prev = pl.col(name), pl.col(name).shift(1)
        before = (cur < prev).fill_null(False) | (cur.is_not_null() & prev.is_null())
        tie = (cur == prev).fill_null(False) | (cur.is_null() & prev.is_null())
        ok = ~before & (~tie | ok)
    return ok


def _in_step_order(frame: pl.DataFrame, within: list[str]) -> bool:
    """Whether ``frame`` is in the steps-frame order (one vectorised pass, then a look at the first row of each
    trajectory): rows of a trajectory contiguous and ordered by ``within``; trajectories ordered by the start time
    of their first row (nulls last), then id; rows without a trajectory id last."""
    if frame.height < 2:
        return True
    tid = pl.col(K.TRAJECTORY_ID)
    same = (tid == tid.shift(1)).fill_null(False) | (tid.is_null() & tid.shift(1).is_null())
    within_ok, n_heads, n_ids = frame.select(
        (~same | _lexicographic_ok(within)).slice(1).all().alias("within"),
        (~same).sum().alias("heads"),
        tid.n_unique().alias("ids"),
    ).row(0)
    if not within_ok or n_heads != n_ids:  # out of order within a trajectory, or a trajectory in several runs
        return False
    start = pl.col(K.START_NS) if K.START_NS in frame.columns else pl.lit(None, pl.Int64).alias(K.START_NS)
    heads = frame.select(tid, start).filter(~same)  # the first row of each trajectory: few
    if heads[K.TRAJECTORY_ID].null_count() and heads[K.TRAJECTORY_ID][-1] is not None:
        return False  # rows without an id must come last
    named = heads.filter(pl.col(K.TRAJECTORY_ID).is_not_null())
    # strictly increasing (start, id) from one trajectory to the next (ids are distinct, so no tie)
    return bool(named.select(_lexicographic_ok([K.START_NS, K.TRAJECTORY_ID]).slice(1).all()).item())


def _rank(frame: pl.DataFrame, name: str) -> tuple[pl.Series, pl.Series]:
    """(distinct non-null values of a string column, sorted; each row's rank among them as UInt32, null for null).

    An ``Enum`` cast over the sorted distinct values: a hash lookup per row instead of a string sort of every row.
    """
    values = frame.get_column(name).cast(pl.Utf8).drop_nulls().unique().sort()
    ranks = frame.select(pl.col(name).cast(pl.Utf8).cast(pl.Enum(values)).to_physical().cast(pl.UInt32)).to_series()
    return values, ranks


def _sort_key(series: pl.Series) -> np.ndarray[Any, np.dtype[Any]]:
    """An integer column as a numpy sort key, nulls last (as the largest value of its type)."""
    dtype = np.uint64 if series.dtype == pl.UInt64 else np.int64
    filled = series.cast(pl.UInt64 if dtype is np.uint64 else pl.Int64).fill_null(np.iinfo(dtype).max)
    return filled.to_numpy().astype(dtype, copy=False)


def order_steps(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in the steps-frame order (docs/analyzer-api.md, the steps-frame contract).

    Each trajectory's rows are contiguous and ordered by (iteration, start_ns, span_id, trace_id), nulls last;
    trajectories are ordered by the start time of their first row in that order (nulls last), then by id; rows
    without a trajectory id come last. The order depends only on the content, never on the input order, and a loop
    that runs its trajectories one after another writes them in it. Columns ``frame`` lacks are left out of the key.

    An already ordered frame is returned as is (one vectorised pass checks it). Otherwise one ``numpy.lexsort`` over
    integer keys orders the rows: the trajectory id's and the trace id's ranks among their distinct values (ranks
    from an ``Enum`` cast, not a string sort of every row), the iteration, the start time and the span id read as a
    64-bit integer; then the trajectories, now contiguous, are put in order by a stable sort of their small ranks.
    """
    if K.TRAJECTORY_ID not in frame.columns:
        raise ValueError(f"order_steps needs a {K.TRAJECTORY_ID!r} column")
    within: list[str] = [c for c in WITHIN_TRAJECTORY if c in frame.columns]
    if _in_step_order(frame, within):
        return frame
    ids, alpha = _rank(frame, K.TRAJECTORY_ID)
    keys = [_sort_key(alpha)]
    for name in within:
        if name == K.SPAN_ID:
            span = frame.select(pl.col(name).str.to_integer(base=16, dtype=pl.UInt64, strict=False)).to_series()
            keys.append(_sort_key(span))
        elif name == K.TRACE_ID:
            keys.append(_sort_key(_rank(frame, name)[1]))
        else:
            keys.append(_sort_key(frame.get_column(name)))
    order = np.lexsort(keys[::-1])  # the last key is the primary one
    traj = keys[0][order]
    if ids.len():  # trajectories by (start of their first row, id): a stable sort of the contiguous runs' ranks
        heads = np.flatnonzero(np.r_[True, traj[1:] != traj[:-1]])
        named = heads[traj[heads] != np.iinfo(np.int64).max]
        first = (
            frame.get_column(K.START_NS).gather(order[named])
            if K.START_NS in frame.columns
            else pl.Series(K.START_NS, [None] * named.size, dtype=pl.Int64)
        )
        runs = pl.DataFrame({"_alpha": traj[named], _FIRST: first, "_id": ids.gather(traj[named])})
        final = np.full(ids.len() + 1, ids.len(), dtype=np.int64)  # the last slot: rows without an id
        final[runs.sort([_FIRST, "_id"], nulls_last=True)["_alpha"].to_numpy()] = np.arange(runs.height)
        alpha_index = np.where(traj == np.iinfo(np.int64).max, ids.len(), traj)
        order = order[np.argsort(final[alpha_index], kind="stable")]
    return frame[pl.Series(order)]


def steps(data: SpanData) -> pl.DataFrame:
    """The propose / observe / decide spans, one row each, in the steps-frame order (:func:`order_steps`): each
    trajectory's steps together, ordered by (iteration, start_ns) within it, nulls last, ties by span id then trace
    id; trajectories by the start time of their first step, then id. A span read more than once (same trace and span id) is one row
    (:func:`trajdyn.analyzer.read_spans` keeps one copy).

    Columns: trajectory_id, trace_id, span_id, parent_span_id, start_ns, end_ns, status_code, the
    ``STEP_COLUMNS`` of :mod:`._columns` (``decision`` normalised to keep | revert via ``DECISION_ALIASES``,
    unreadable spellings → null; ``blocked`` null → false), then the ``trajdyn.metrics.*`` columns.
    """
    cached = data.cached("steps")
    if isinstance(cached, pl.DataFrame):
        return cached
    spans = _frame(data)
    metrics = [c for c in spans.columns if c.startswith(C.METRICS_PREFIX)]
    step_cols: list[pl.Expr] = []
    for column, key in K.STEP_COLUMNS.items():
        expr = _col(spans, key)
        if column == K.DECISION and key in spans.columns:
            expr = (
                expr.str.strip_chars()
                .str.to_lowercase()
                .replace_strict(C.DECISION_ALIASES, default=None, return_dtype=pl.Utf8)
            )
        elif column == K.BLOCKED:
            expr = expr.fill_null(False)
        step_cols.append(expr.alias(column))
    mask = spans.select(_is_step(spans)).to_series()
    out = (
        spans.with_columns(_trajectory_ids(data))
        .select(  # zero-copy column selection first, so that the filter copies only these columns
            K.TRAJECTORY_ID,
            K.TRACE_ID,
            K.SPAN_ID,
            K.PARENT_SPAN_ID,
            K.START_NS,
            K.END_NS,
            K.STATUS_CODE,
            *step_cols,
            *metrics,
        )
        .filter(mask)
    )
    out = order_steps(out)
    data.store("steps", out)
    return out


def trajectories(data: SpanData) -> pl.DataFrame:
    """One row per trajectory: rooted ones, then root-less ones (a crashed run), each by (start_ns, trajectory_id).

    A trajectory id with several ``invoke_agent`` spans takes the earliest (ties by trace id, then span id).

    Columns: trajectory_id, trace_id, root_span_id, has_root, the ``TRAJECTORY_COLUMNS`` of :mod:`._columns`
    (read from the root span; for a root-less trajectory the first non-null value its steps carry, else null;
    ``objective`` defaults to ``maximize``), start_ns, end_ns, status_code (the root's; root-less: earliest start,
    latest end, highest status), n_steps (step spans) and n_iterations (proposes that are not blocked).
    """
    cached = data.cached("trajectories")
    if isinstance(cached, pl.DataFrame):
        return cached
    spans = _frame(data).with_columns(_trajectory_ids(data))
    step_frame = steps(data)
    counts = step_frame.group_by(K.TRAJECTORY_ID).agg(
        pl.len().cast(pl.Int64).alias(K.N_STEPS),
        ((pl.col(K.PHASE) == C.PHASE_PROPOSE) & ~pl.col(K.BLOCKED)).sum().cast(pl.Int64).alias("n_iterations"),
    )
    attr_cols = [_col(spans, key).alias(column) for column, key in K.TRAJECTORY_COLUMNS.items()]
    rooted = (
        spans.filter(_is_agent(spans))
        .select(
            K.TRAJECTORY_ID,
            K.TRACE_ID,
            pl.col(K.SPAN_ID).alias(K.ROOT_SPAN_ID),
            pl.lit(True).alias(K.HAS_ROOT),
            *attr_cols,
            K.START_NS,
            K.END_NS,
            K.STATUS_CODE,
        )
        .sort([K.TRAJECTORY_ID, K.START_NS, K.TRACE_ID, K.ROOT_SPAN_ID], nulls_last=True)
        .unique(subset=[K.TRAJECTORY_ID], keep="first", maintain_order=True)
    )
    present = [key for key in K.TRAJECTORY_COLUMNS.values() if key in spans.columns]
    orphan_mask = spans.select(
        _is_step(spans) & ~pl.col(K.TRAJECTORY_ID).is_in(rooted[K.TRAJECTORY_ID].implode())
    ).to_series()
    orphan_spans = (
        spans.select(K.TRAJECTORY_ID, K.TRACE_ID, K.SPAN_ID, *present, K.START_NS, K.END_NS, K.STATUS_CODE)
        .filter(orphan_mask)
        .sort([K.TRAJECTORY_ID, K.START_NS, K.TRACE_ID, K.SPAN_ID], nulls_last=True)
    )
    rootless = orphan_spans.group_by(K.TRAJECTORY_ID, maintain_order=True).agg(
        pl.col(K.TRACE_ID).drop_nulls().first(),
        pl.lit(None, dtype=pl.Utf8).alias(K.ROOT_SPAN_ID),
        pl.lit(False).alias(K.HAS_ROOT),
        *[_col(orphan_spans, key).drop_nulls().first().alias(column) for column, key in K.TRAJECTORY_COLUMNS.items()],
        pl.col(K.START_NS).min(),
        pl.col(K.END_NS).max(),
        pl.col(K.STATUS_CODE).max(),
    )
    by_start = [K.START_NS, K.TRAJECTORY_ID]
    out = pl.concat(
        [rooted.sort(by_start, nulls_last=True), rootless.select(rooted.columns).sort(by_start, nulls_last=True)],
        how="vertical_relaxed",
    )
    out = (
        out.with_columns(pl.col(K.OBJECTIVE).fill_null(C.DEFAULT_OBJECTIVE))
        .join(counts, on=K.TRAJECTORY_ID, how="left", maintain_order="left")
        .with_columns(pl.col(K.N_STEPS).fill_null(0), pl.col("n_iterations").fill_null(0))
    )
    data.store("trajectories", out)
    return out


def events(data: SpanData) -> pl.DataFrame:
    """The span events of every span, with the span's trajectory, ordered by (trajectory_id, time_ns, trace_id,
    span_id), nulls last; one span's events with the same time keep their order within the span.

    Columns: trajectory_id, trace_id, span_id, event, time_ns, entry_id, success, reason (``EVENT_COLUMNS`` of
    :mod:`._columns`), exception_type, exception_message, attributes (JSON of the other event attributes).
    """
    cached = data.cached("events")
    if isinstance(cached, pl.DataFrame):
        return cached
    ev = data.events
    retries = _mapped(data).retries
    if retries is not None and retries.height:
        ev = pl.concat([ev, retries], how="diagonal_relaxed")
    if ev.height:
        owners = (
            _frame(data)
            .select(K.TRACE_ID, K.SPAN_ID)
            .with_columns(_trajectory_ids(data))
            .join(ev.select(K.TRACE_ID, K.SPAN_ID).unique(), on=[K.TRACE_ID, K.SPAN_ID], how="semi")
            .filter(pl.col(K.SPAN_ID).is_not_null())
            .unique(subset=[K.TRACE_ID, K.SPAN_ID], keep="last")
        )
        ev = ev.join(owners, on=[K.TRACE_ID, K.SPAN_ID], how="left", maintain_order="left")
    else:
        ev = ev.with_columns(pl.lit(None, dtype=pl.Utf8).alias(K.TRAJECTORY_ID))
    out = ev.select(
        pl.coalesce(K.TRAJECTORY_ID, K.TRACE_ID).alias(K.TRAJECTORY_ID),
        K.TRACE_ID,
        K.SPAN_ID,
        K.EVENT_NAME,
        K.TIME_NS,
        *[pl.col(key).alias(column) for column, key in K.EVENT_COLUMNS.items()],
        pl.col(C.EXCEPTION_TYPE).alias("exception_type"),
        pl.col(C.EXCEPTION_MESSAGE).alias("exception_message"),
        K.ATTRIBUTES,
    ).sort([K.TRAJECTORY_ID, K.TIME_NS, K.TRACE_ID, K.SPAN_ID], nulls_last=True, maintain_order=True)
    data.store("events", out)
    return out
