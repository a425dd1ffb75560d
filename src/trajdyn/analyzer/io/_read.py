"""``read_spans``: OTLP/JSON inputs → a spans frame, an events frame and the input problems found.

Inputs are split into jobs (see :mod:`._sources`); jobs are decoded in this process for small inputs and by a
pool of worker processes (:mod:`._pool`) for large ones, because msgspec holds the GIL while decoding so threads
would not run in parallel. Results are consumed in input order, so line numbers and error order do not depend on
scheduling; which copy of a duplicated span is kept depends on neither (:mod:`._duplicates`).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io._attributes import MAX_METRIC_COLUMNS, TYPES, excerpt, spill_into_attributes
from trajdyn.analyzer.io._decode import ROW, ChunkResult, Job, event_schema, run_job, span_schema
from trajdyn.analyzer.io._duplicates import duplicate_keep_mask
from trajdyn.analyzer.io._errors import InputParseError
from trajdyn.analyzer.io._pool import WorkerPool
from trajdyn.analyzer.io._sources import Input, Source, batched_jobs, expand
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["InputSummary", "SpanData", "read_spans"]

PARALLEL_MIN_BYTES: Final = 32 << 20
"""Below this many input bytes everything is decoded in this process (a worker pool costs ~0.5 s to start)."""
SERIAL_CHUNK_BYTES: Final = 4 << 20
MIN_CHUNK_BYTES: Final = 1 << 20
MAX_CHUNK_BYTES: Final = 4 << 20
PROGRESS_AFTER_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class InputSummary:
    """One input as read: its name, the spans decoded from it (before de-duplication) and its problems."""

    path: str
    spans: int
    errors: int

    def to_dict(self) -> dict[str, object]:
        """``{path, spans, errors}`` as in the JSON report."""
        return {"path": self.path, "spans": self.spans, "errors": self.errors}


class SpanData:
    """What :func:`read_spans` returns: the spans and events frames, the problems, and a summary per input.

    ``spans`` has every key of conventions v1 as a typed column (all null when no span carries it), built on first
    access; ``span_frame`` is the same frame with only the attribute columns present in the input, which is what
    the trajectory model reads (absent keys cost no memory there). ``events``, ``errors``, ``inputs`` as read.
    Results derived by :mod:`trajdyn.analyzer.model` are cached on the object.
    """

    __slots__ = ("_cache", "_full", "errors", "events", "inputs", "span_frame")

    def __init__(
        self, spans: pl.DataFrame, events: pl.DataFrame, errors: list[InputProblem], inputs: list[InputSummary]
    ) -> None:
        self.span_frame = spans
        self.events = events
        self.errors = errors
        self.inputs = inputs
        self._full: pl.DataFrame | None = None
        self._cache: dict[str, object] = {}

    @property
    def spans(self) -> pl.DataFrame:
        """The spans frame with every conventions key as a typed column (see :func:`span_schema`)."""
        if self._full is None:
            self._full = with_typed_columns(self.span_frame)
        return self._full

    def cached(self, key: str) -> object | None:
        """A derived result stored with :meth:`store` (used by the trajectory model), or ``None``."""
        return self._cache.get(key)

    def store(self, key: str, value: object) -> None:
        """Keep a derived result for later calls."""
        self._cache[key] = value

    def __repr__(self) -> str:
        return (
            f"SpanData(spans={self.span_frame.height} rows, events={self.events.height} rows, "
            f"errors={len(self.errors)}, inputs={len(self.inputs)})"
        )


def with_typed_columns(spans: pl.DataFrame) -> pl.DataFrame:
    """``spans`` with the conventions columns it lacks added as typed nulls, in :func:`span_schema` order."""
    schema = span_schema()
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name not in spans.columns]
    if not missing:
        return spans
    fixed = [c for c in schema if c not in (K.ATTRIBUTES, K.SOURCE, K.LINE)]
    metrics = [c for c in spans.columns if c not in schema]
    return spans.with_columns(missing).select(*fixed, *metrics, K.ATTRIBUTES, K.SOURCE, K.LINE)


class _Progress:
    """A transient rich progress bar on stderr that appears only once the work has taken over a second."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and total > 0
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if not self.enabled:
            return
        if self.bar is None and time.monotonic() - self.started > PROGRESS_AFTER_S:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "reading spans",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("read", total=self.total)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=min(self.done, self.total))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _Collector:
    """Consumes job results in input order: shifts lines and rows, counts per input, enforces ``strict``.

    It also caps the ``trajdyn.metrics.*`` columns across jobs at :data:`MAX_METRIC_COLUMNS` (each job caps its
    own): the values of a key beyond the cap move into the ``attributes`` JSON, with one warning per input.
    """

    def __init__(self, sources: list[Source], strict: bool) -> None:
        self.sources = sources
        self.strict = strict
        self.line_offset = [0] * len(sources)
        self.n_spans = [0] * len(sources)
        self.n_docs = [0] * len(sources)
        self.errors: list[list[InputProblem]] = [[] for _ in sources]
        self.span_frames: list[pl.DataFrame] = []
        self.event_frames: list[pl.DataFrame] = []
        self.rows = 0
        self.metric_columns: dict[str, set[str]] = {"spans": set(), "events": set()}
        self.spill_reported: set[int] = set()

    def error(self, index: int, error: InputProblem) -> None:
        self.errors[index].append(error)
        if self.strict:
            raise InputParseError(error)

    def _spill(self, index: int, line: int, key: str) -> None:
        """Warn (once per input) that metric keys beyond the column cap stay in the attributes JSON."""
        if index in self.spill_reported:
            return
        self.spill_reported.add(index)
        message = (
            f"more than {MAX_METRIC_COLUMNS} distinct trajdyn.metrics.* keys: {excerpt(key)!r} and later new keys "
            "are kept in the attributes JSON, not as columns"
        )
        self.error(index, InputProblem(self.sources[index].name, line, message))

    def add(self, job: Job, result: ChunkResult) -> None:
        shifts = [self.line_offset[part.index] for part in job.parts]
        for k, line, message in result.errors:
            part = job.parts[k]
            self.error(part.index, InputProblem(part.source, line + shifts[k], message))
        for k, line, key in result.spills:
            self._spill(job.parts[k].index, line + shifts[k], key)
        for k, part in enumerate(job.parts):
            n_lines, n_docs, n_spans = result.counts[k]
            self.line_offset[part.index] += n_lines
            self.n_docs[part.index] += n_docs
            self.n_spans[part.index] += n_spans
        spans, events = result.spans, result.events
        height = spans.height
        if height:
            if any(shifts):
                spans = spans.with_columns(pl.col(K.LINE) + _per_row(shifts, [n for _, _, n in result.counts]))
            spans = self._cap_metrics(spans, job, result, shifts, events=False)
            self.span_frames.append(spans)
            if events.height:
                events = self._cap_metrics(events, job, result, shifts, events=True)
                self.event_frames.append(events.with_columns(pl.col(ROW) + self.rows))
        self.rows += height

    def _cap_metrics(
        self, frame: pl.DataFrame, job: Job, result: ChunkResult, shifts: list[int], *, events: bool
    ) -> pl.DataFrame:
        """``frame`` with the metric columns beyond the cap (over all jobs so far) moved into its attributes JSON."""
        admitted = self.metric_columns["events" if events else "spans"]
        new = [c for c in frame.columns if c.startswith(C.METRICS_PREFIX) and c not in admitted and c not in TYPES]
        if not new:
            return frame
        room = max(0, MAX_METRIC_COLUMNS - len(admitted))
        admitted.update(new[:room])
        excess = new[room:]
        if not excess:
            return frame
        rows = frame.select(pl.any_horizontal(pl.col(excess).is_not_null())).to_series().arg_true()
        if rows.len():
            # the first span (or the owning span of the first event) that holds such a key, for the warning
            span_row = int(frame[ROW][int(rows[0])]) if events else int(rows[0])
            ends = list(itertools.accumulate(n for _, _, n in result.counts))
            k = next((i for i, end in enumerate(ends) if span_row < end), 0)
            line = int(result.spans[K.LINE][span_row]) + shifts[k]
            self._spill(job.parts[k].index, line, excess[0])
            moved = spill_into_attributes(frame[rows].select(K.ATTRIBUTES, *excess))
            frame = frame.with_columns(frame[K.ATTRIBUTES].scatter(rows, moved))
        return frame.drop(excess)

    def finish(self) -> None:
        for index, source in enumerate(self.sources):
            if self.n_docs[index] == 0 and not self.errors[index]:
                self.error(index, InputProblem(source.name, 0, "empty input: no OTLP data"))


def _per_row(shifts: list[int], rows_per_part: list[int]) -> pl.Series | int:
    """The line shift of every row of a job whose parts have ``rows_per_part`` rows (a constant for one part)."""
    if len(shifts) == 1:
        return shifts[0]
    parts = pl.int_range(len(shifts), dtype=pl.UInt32, eager=True)
    return pl.Series(shifts, dtype=pl.Int64).gather(parts.repeat_by(pl.Series(rows_per_part)).explode())


def _concat(frames: list[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="diagonal_relaxed")


def _finish_frames(collector: _Collector) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Concatenate the chunks' frames; drop duplicate spans (:mod:`._duplicates` picks the copy kept); attach span
    ids to events.

    The spans frame keeps only the attribute columns present in some input (:class:`SpanData` adds the others on
    demand); chunks are concatenated without copying when their columns agree.
    """
    frames, collector.span_frames = collector.span_frames, []
    event_frames, collector.event_frames = collector.event_frames, []
    if frames:
        columns = frames[0].columns
        same = all(f.columns == columns for f in frames) and all(f.schema == frames[0].schema for f in frames)
        spans = pl.concat(frames, how="vertical" if same else "diagonal_relaxed", rechunk=False)
    else:
        spans = pl.DataFrame(schema={c: d for c, d in span_schema().items() if c not in C.ATTRIBUTE_TYPES})
    del frames
    schema = span_schema()
    fixed = [c for c in schema if c not in (K.ATTRIBUTES, K.SOURCE, K.LINE) and c in spans.columns]
    metrics = sorted(c for c in spans.columns if c.startswith(C.METRICS_PREFIX) and c not in schema)
    spans = spans.select(*fixed, *metrics, K.ATTRIBUTES, K.SOURCE, K.LINE)
    events = _concat(event_frames, event_schema())
    del event_frames
    # duplicates (same trace and span id, e.g. a span exported twice): one copy, chosen by content (_duplicates)
    keep = duplicate_keep_mask(spans, events[ROW] if events.height else None)
    ev_metrics = sorted(c for c in events.columns if c.startswith(C.METRICS_PREFIX))
    ev_typed = [c for c in event_schema() if c not in (ROW, K.EVENT_NAME, K.TIME_NS, K.ATTRIBUTES)]
    if events.height:
        rows = events[ROW].cast(pl.UInt32)
        owners = spans.select(K.TRACE_ID, K.SPAN_ID)[rows]  # gather: the owning span of each event
        events = events.with_columns(owners.to_series(0), owners.to_series(1))
        if keep is not None:
            events = events.filter(keep.gather(rows))
    else:
        events = events.with_columns(pl.lit(None, pl.Utf8).alias(K.TRACE_ID), pl.lit(None, pl.Utf8).alias(K.SPAN_ID))
    events = events.select(K.TRACE_ID, K.SPAN_ID, K.EVENT_NAME, K.TIME_NS, *ev_typed, *ev_metrics, K.ATTRIBUTES)
    if keep is not None:
        spans = spans.filter(keep)
    return spans, events


def read_spans(
    paths: Input | Sequence[Input],
    *,
    strict: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
) -> SpanData:
    """Read OTLP/JSON span dumps into polars frames.

    ``paths``: a path, a directory (searched recursively for ``*.json``, ``*.jsonl``, ``*.ndjson``, ``*.gz``), a
    glob, ``"-"`` for stdin, a FIFO or pipe (``<(…)``), OTLP/JSON documents already in memory
    (:class:`~trajdyn.analyzer.io.SpanDocuments`: an imported log, read without a file), or a sequence of these.
    Each input may be OTLP/JSON lines
    (one ``TracesData`` per line, as the SDK's and the Collector's file exporters write) or one pretty-printed
    document (decided by content), either gzipped.

    Bad input never aborts the read: a malformed or truncated line, a torn line, a JSON value that is not OTLP,
    invalid UTF-8, JSON nested too deeply, an empty input, a missing path, a link loop, an unreadable directory, a
    truncated gzip (its readable prefix is kept), an id that cannot be read, a value of the wrong type for a
    conventions key or out of 64 bits becomes a :class:`InputProblem` (``path:line: message``) in ``errors`` and
    everything else is kept (``docs/reliability.md``). With ``strict=True`` the first such problem raises
    :class:`InputParseError` (an ``InputError``) instead.

    ``progress``: ``None`` shows a transient progress bar on stderr when it is a terminal and reading takes more
    than a second, ``True`` shows it regardless of the terminal, ``False`` never. ``workers``: processes used
    for large inputs (default ``os.cpu_count()``; inputs under 32 MiB are always read in this process).
    """
    if workers is not None and workers < 1:
        raise ConfigurationError(f"workers must be >= 1, got {workers}")
    sources, missing = expand(paths)
    n_found = len(sources)
    # a missing input is listed (after the found ones) with its error and no spans
    collector = _Collector([*sources, *(Source(e.path, None, 0) for e in missing)], strict)
    for k, error in enumerate(missing):
        collector.error(n_found + k, error)
    n_workers = workers or os.cpu_count() or 1
    total = sum(s.size or 0 for s in sources)
    parallel = n_workers > 1 and total >= PARALLEL_MIN_BYTES
    chunk_bytes = (
        max(MIN_CHUNK_BYTES, min(MAX_CHUNK_BYTES, total // (n_workers * 4))) if parallel else SERIAL_CHUNK_BYTES
    )
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(show, total)
    stream = batched_jobs(sources, chunk_bytes)
    try:
        if parallel:
            with WorkerPool(n_workers - 1) as pool:  # this process decodes a share too
                for job, result in pool.map(stream):
                    collector.add(job, result)
                    bar.advance(job.nbytes)
        else:
            for job in stream:
                collector.add(job, run_job(job))
                bar.advance(job.nbytes)
        collector.finish()
    finally:
        bar.close()
    spans, events = _finish_frames(collector)
    errors = [e for per_input in collector.errors for e in per_input]
    inputs = [
        InputSummary(s.name, collector.n_spans[i], len(collector.errors[i])) for i, s in enumerate(collector.sources)
    ]
    return SpanData(spans, events, errors, inputs)
