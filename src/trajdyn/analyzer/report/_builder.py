"""``build_report``: run every section over the model frames and assemble the ``trajdyn.report/1`` structure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._json import to_json_value
from trajdyn.analyzer.report._model import InputLike, JSONValue, Report, ReportContext, ReportSection
from trajdyn.analyzer.report._options import ReportOptions
from trajdyn.analyzer.report._registry import registered_sections

if TYPE_CHECKING:
    import polars as pl

    from trajdyn._problems import InputProblem
    from trajdyn.analyzer.io import SweepData

from trajdyn.exceptions import ConfigurationError, InputError

__all__ = ["IDENTITY_KEYS", "build_report", "check_options", "load_previous_report"]

IDENTITY_KEYS = (K.TRAJECTORY_ID, K.TRACE_ID, K.TASK_ID, K.MODEL, K.RUN_ID)
"""Keys that open every trajectory entry, followed by ``iterations`` and the sections."""


def _trajectory_index(steps: pl.DataFrame, trajectories: pl.DataFrame) -> list[dict[str, JSONValue]]:
    """One identity entry per trajectory (those of both frames), ordered by (run_id, task_id, start time, id)."""
    import polars as pl

    tid = K.TRAJECTORY_ID
    meta = trajectories.select(
        *(pl.col(c) if c in trajectories.columns else pl.lit(None, pl.Utf8).alias(c) for c in IDENTITY_KEYS),
        (pl.col(K.START_NS) if K.START_NS in trajectories.columns else pl.lit(None, pl.Int64)).alias(K.START_NS),
    ).unique(tid, keep="first", maintain_order=True)
    from_steps = steps.group_by(tid).agg(
        pl.col(K.TRACE_ID).first() if K.TRACE_ID in steps.columns else pl.lit(None, pl.Utf8).alias(K.TRACE_ID),
        pl.col(K.START_NS).min() if K.START_NS in steps.columns else pl.lit(None, pl.Int64).alias(K.START_NS),
    )
    is_iteration = (
        (pl.col(K.PHASE) == C.PHASE_PROPOSE) & ~pl.col(K.BLOCKED).fill_null(False) & pl.col(K.ITERATION).is_not_null()
    )
    counts = (
        steps.filter(is_iteration).group_by(tid).agg(pl.col(K.ITERATION).n_unique().cast(pl.Int64).alias("iterations"))
    )
    orphans = from_steps.join(meta.select(tid), on=tid, how="anti").select(
        tid,
        pl.col(K.TRACE_ID),
        *(pl.lit(None, pl.Utf8).alias(c) for c in (K.TASK_ID, K.MODEL, K.RUN_ID)),
        pl.col(K.START_NS),
    )
    merged = (
        pl.concat([meta, orphans.select(meta.columns)], how="vertical_relaxed")
        .join(counts, on=tid, how="left")
        .with_columns(pl.col("iterations").fill_null(0))
        .sort([K.RUN_ID, K.TASK_ID, K.START_NS, tid], nulls_last=True)
    )
    return [
        {key: to_json_value(row[key]) for key in (*IDENTITY_KEYS, "iterations")} for row in merged.iter_rows(named=True)
    ]


def load_previous_report(path: str | Path) -> dict[str, Any]:
    """Read a ``trajdyn.report/1`` JSON document written earlier (for ``--compare-to``).

    Raises :class:`~trajdyn.exceptions.InputError` naming the file when it cannot be read, is not JSON, or is not
    a trajdyn report of a schema this version reads.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read the report to compare with: {exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{p}: the report to compare with is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != C.REPORT_SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"{p}: expected a {C.REPORT_SCHEMA} report to compare with, got schema {got!r}")
    return doc


def check_options(options: ReportOptions, sections: Sequence[ReportSection] = ()) -> None:
    """Raise :class:`~trajdyn.exceptions.ConfigurationError` when an options object is of a type that neither a
    registered section nor one of ``sections`` reads (a section not chosen may still read it: that is no error)."""
    accepted = {kind for section in (*registered_sections(), *sections) for kind in section.options_types()}
    unknown = [kind.__name__ for kind in options.types() if kind not in accepted]
    if unknown:
        readers = sorted({kind.__name__ for kind in accepted})
        raise ConfigurationError(
            f"no report section reads {', '.join(unknown)} options (the sections read: {', '.join(readers) or 'none'})"
        )


def build_report(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    events: pl.DataFrame | None = None,
    inputs: Sequence[InputLike] = (),
    errors: Sequence[InputProblem] = (),
    options: ReportOptions | Iterable[object] | None = None,
    sections: Sequence[ReportSection] | None = None,
    generated_at: datetime | str | None = None,
    previous: Mapping[str, Any] | None = None,
    results: pl.DataFrame | None = None,
    notes: Sequence[str] = (),
    sweeps: SweepData | None = None,
) -> Report:
    """Build the report from the model frames (:func:`trajdyn.analyzer.steps` / ``trajectories`` / ``events``).

    ``sections`` defaults to the registered ones (:func:`registered_sections`). Trajectory entries are ordered by
    (run_id, task_id, start time), nulls last, then trajectory id. ``generated_at`` defaults to now (UTC).
    ``options``: the sections' options objects (:class:`ReportOptions`, or an iterable of them); one that no
    registered or chosen section reads raises :class:`~trajdyn.exceptions.ConfigurationError`.
    ``previous``: an earlier report to compare with (see :func:`load_previous_report`), handed to the sections.
    ``results``: records of benchmark result files (:func:`trajdyn.analyzer.read_results`), handed to the sections;
    ``sweeps``: the frames of parameter-sweep summaries (:class:`trajdyn.analyzer.io.SweepData`), likewise.
    A report-scope section that returns no block (``None``) is left out. ``notes``: what the reader should know
    about the inputs that is no problem with them (:attr:`Report.notes`).
    """
    opts = ReportOptions.of(options)
    chosen = tuple(registered_sections() if sections is None else sections)
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"report sections must have distinct names, got {names}")
    check_options(opts, chosen)
    computed: dict[str, Mapping[str, dict[str, JSONValue]]] = {}
    ctx = ReportContext(
        steps=steps,
        trajectories=trajectories,
        events=events,
        options=opts,
        previous=previous,
        results=results,
        computed=computed,
        sweeps=sweeps,
    )
    entries = _trajectory_index(steps, trajectories)
    blocks: dict[str, JSONValue] = {}
    for section in chosen:
        result = section.compute(ctx)
        if section.scope == "report":
            if result.block is not None:  # a report-scope section with nothing to say is left out
                blocks[section.name] = to_json_value(result.block)
            continue
        computed[section.name] = result.per_trajectory
        for entry in entries:
            values = result.per_trajectory.get(str(entry[K.TRAJECTORY_ID]))
            if values is not None:
                entry[section.name] = values  # JSON-ready by the section's contract (checked in its tests)
    when = generated_at or datetime.now(UTC)
    stamp = when if isinstance(when, str) else when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Report(
        generated_at=stamp,
        inputs=[{"path": i.path, "spans": i.spans, "errors": i.errors} for i in inputs],
        errors=[{"path": e.path, "line": e.line, "message": e.message} for e in errors],
        trajectories=entries,
        blocks=blocks,
        sections=chosen,
        problems=tuple(errors),
        notes=tuple(notes),
    )
