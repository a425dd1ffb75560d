"""The trajectory model: pure frame → frame functions over :class:`~trajdyn.analyzer.io.SpanData`.

* A *trajectory* is a span with ``gen_ai.operation.name == "invoke_agent"`` (its root); its id is
  ``trajdyn.trajectory.id`` when present, else the root's span id. Spans whose root never arrived (a crashed run)
  are grouped by the ``trajdyn.trajectory.id`` they carry (the SDK sets it on every step span), else by trace id,
  into trajectories with ``has_root = false``.
* A *step* is a span with ``trajdyn.phase`` in propose | observe | decide. It belongs to its own
  ``trajdyn.trajectory.id`` if set, else to its nearest ``invoke_agent`` ancestor (at any depth), else to its trace.
* *Events* are the span events of any span of a trajectory.

Column names are those of :mod:`trajdyn.analyzer._columns`.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io import SpanData

__all__ = ["events", "span_trajectories", "steps", "trajectories"]

MAX_DEPTH: Final = 256
"""Ancestor walks stop after this many levels (guards against parent cycles in corrupt input)."""

_IS_AGENT: Final = "_is_agent"
_CUR: Final = "_cur"
_PARENT: Final = "_parent"


def _is_agent() -> pl.Expr:
    return (pl.col(C.GEN_AI_OPERATION_NAME) == C.OPERATION_INVOKE_AGENT).fill_null(False)


def _root_tid() -> pl.Expr:
    return pl.coalesce(pl.col(C.TRAJECTORY_ID), pl.col(K.SPAN_ID))


def _nearest_agent(spans: pl.DataFrame) -> pl.DataFrame:
    """(trace_id, span_id) → root_span_id of the nearest ``invoke_agent`` span among the span itself and its ancestors.

    Vectorised: one self-join per level over the spans not yet resolved, at most :data:`MAX_DEPTH` levels; spans
    whose chain ends at a missing parent (orphans) are left out.
    """
    nodes = spans.filter(pl.col(K.TRACE_ID).is_not_null() & pl.col(K.SPAN_ID).is_not_null()).select(
        K.TRACE_ID, pl.col(K.SPAN_ID).alias(_CUR), pl.col(K.PARENT_SPAN_ID).alias(_PARENT), _is_agent().alias(_IS_AGENT)
    )
    nodes = nodes.unique(subset=[K.TRACE_ID, _CUR], keep="last")
    state = nodes.select(K.TRACE_ID, pl.col(_CUR).alias(K.SPAN_ID), _CUR)
    found: list[pl.DataFrame] = []
    for _ in range(MAX_DEPTH):
        if state.height == 0:
            break
        joined = state.join(nodes, on=[K.TRACE_ID, _CUR], how="inner")
        hit = joined.filter(pl.col(_IS_AGENT))
        found.append(hit.select(K.TRACE_ID, K.SPAN_ID, pl.col(_CUR).alias(K.ROOT_SPAN_ID)))
        state = joined.filter(~pl.col(_IS_AGENT) & pl.col(_PARENT).is_not_null()).select(
            K.TRACE_ID, K.SPAN_ID, pl.col(_PARENT).alias(_CUR)
        )
    if not found:
        return pl.DataFrame(schema={K.TRACE_ID: pl.Utf8, K.SPAN_ID: pl.Utf8, K.ROOT_SPAN_ID: pl.Utf8})
    return pl.concat(found)


def span_trajectories(data: SpanData) -> pl.DataFrame:
    """Every span's trajectory: the spans frame with ``trajectory_id`` and ``root_span_id`` added.

    ``trajectory_id`` = the span's own ``trajdyn.trajectory.id``, else that of its nearest ``invoke_agent``
    ancestor-or-self (its ``trajdyn.trajectory.id`` or span id), else the trace id. ``root_span_id`` is that
    ancestor's span id (null without one).
    """
    spans = data.spans
    roots = spans.filter(_is_agent()).select(
        K.TRACE_ID, pl.col(K.SPAN_ID).alias(K.ROOT_SPAN_ID), _root_tid().alias("_root_tid")
    )
    roots = roots.unique(subset=[K.TRACE_ID, K.ROOT_SPAN_ID], keep="last")
    links = _nearest_agent(spans).join(roots, on=[K.TRACE_ID, K.ROOT_SPAN_ID], how="left")
    out = spans.join(links, on=[K.TRACE_ID, K.SPAN_ID], how="left", maintain_order="left", nulls_equal=False)
    own = pl.when(_is_agent()).then(_root_tid()).otherwise(pl.col(C.TRAJECTORY_ID))
    return out.with_columns(pl.coalesce(own, pl.col("_root_tid"), pl.col(K.TRACE_ID)).alias(K.TRAJECTORY_ID)).drop(
        "_root_tid"
    )


def steps(data: SpanData) -> pl.DataFrame:
    """The propose / observe / decide spans, one row each, ordered by (trajectory_id, iteration, start_ns).

    Columns: trajectory_id, trace_id, span_id, parent_span_id, start_ns, end_ns, status_code, the
    ``STEP_COLUMNS`` of :mod:`._columns` (``decision`` normalised to keep | revert via ``DECISION_ALIASES``,
    unreadable spellings → null; ``blocked`` null → false), then the ``trajdyn.metrics.*`` columns.
    """
    return _steps(span_trajectories(data))


def _steps(spans: pl.DataFrame) -> pl.DataFrame:
    metrics = [c for c in spans.columns if c.startswith(C.METRICS_PREFIX)]
    step_cols: list[pl.Expr] = []
    for column, key in K.STEP_COLUMNS.items():
        expr = pl.col(key)
        if column == K.DECISION:
            expr = (
                expr.str.strip_chars()
                .str.to_lowercase()
                .replace_strict(C.DECISION_ALIASES, default=None, return_dtype=pl.Utf8)
            )
        elif column == K.BLOCKED:
            expr = expr.fill_null(False)
        step_cols.append(expr.alias(column))
    return (
        spans.filter(pl.col(C.PHASE).is_in(C.PHASES))
        .select(
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
        .sort([K.TRAJECTORY_ID, K.ITERATION, K.START_NS], nulls_last=True, maintain_order=True)
    )


def trajectories(data: SpanData) -> pl.DataFrame:
    """One row per trajectory: rooted ones in root order, then root-less ones (a crashed run) in first-step order.

    Columns: trajectory_id, trace_id, root_span_id, has_root, the ``TRAJECTORY_COLUMNS`` of :mod:`._columns`
    (read from the root span; for a root-less trajectory the first non-null value its steps carry, else null;
    ``objective`` defaults to ``maximize``), start_ns, end_ns, status_code (the root's; root-less: earliest start,
    latest end, highest status), n_steps (step spans) and n_iterations (proposes that are not blocked).
    """
    spans = span_trajectories(data)
    step_frame = _steps(spans)
    counts = step_frame.group_by(K.TRAJECTORY_ID).agg(
        pl.len().cast(pl.Int64).alias(K.N_STEPS),
        ((pl.col(K.PHASE) == C.PHASE_PROPOSE) & ~pl.col(K.BLOCKED)).sum().cast(pl.Int64).alias("n_iterations"),
    )
    attr_cols = [pl.col(key).alias(column) for column, key in K.TRAJECTORY_COLUMNS.items()]
    rooted = (
        spans.filter(_is_agent())
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
        .unique(subset=[K.TRAJECTORY_ID], keep="first", maintain_order=True)
    )
    orphan_spans = spans.filter(
        pl.col(C.PHASE).is_in(C.PHASES) & ~pl.col(K.TRAJECTORY_ID).is_in(rooted[K.TRAJECTORY_ID].implode())
    ).sort(K.START_NS, nulls_last=True, maintain_order=True)
    rootless = orphan_spans.group_by(K.TRAJECTORY_ID, maintain_order=True).agg(
        pl.col(K.TRACE_ID).drop_nulls().first(),
        pl.lit(None, dtype=pl.Utf8).alias(K.ROOT_SPAN_ID),
        pl.lit(False).alias(K.HAS_ROOT),
        *[pl.col(key).drop_nulls().first().alias(column) for column, key in K.TRAJECTORY_COLUMNS.items()],
        pl.col(K.START_NS).min(),
        pl.col(K.END_NS).max(),
        pl.col(K.STATUS_CODE).max(),
    )
    out = pl.concat([rooted, rootless.select(rooted.columns)], how="vertical_relaxed")
    return (
        out.with_columns(pl.col(K.OBJECTIVE).fill_null(C.DEFAULT_OBJECTIVE))
        .join(counts, on=K.TRAJECTORY_ID, how="left", maintain_order="left")
        .with_columns(pl.col(K.N_STEPS).fill_null(0), pl.col("n_iterations").fill_null(0))
    )


def events(data: SpanData) -> pl.DataFrame:
    """The span events of every span, with the span's trajectory, in input order.

    Columns: trajectory_id, trace_id, span_id, event, time_ns, entry_id, success, reason (``EVENT_COLUMNS`` of
    :mod:`._columns`), exception_type, exception_message, attributes (JSON of the other event attributes).
    """
    owners = span_trajectories(data).select(K.TRACE_ID, K.SPAN_ID, K.TRAJECTORY_ID)
    owners = owners.filter(pl.col(K.SPAN_ID).is_not_null()).unique(subset=[K.TRACE_ID, K.SPAN_ID], keep="last")
    return data.events.join(owners, on=[K.TRACE_ID, K.SPAN_ID], how="left", maintain_order="left").select(
        pl.coalesce(K.TRAJECTORY_ID, K.TRACE_ID).alias(K.TRAJECTORY_ID),
        K.TRACE_ID,
        K.SPAN_ID,
        K.EVENT_NAME,
        K.TIME_NS,
        *[pl.col(key).alias(column) for column, key in K.EVENT_COLUMNS.items()],
        pl.col(C.EXCEPTION_TYPE).alias("exception_type"),
        pl.col(C.EXCEPTION_MESSAGE).alias("exception_message"),
        K.ATTRIBUTES,
    )
