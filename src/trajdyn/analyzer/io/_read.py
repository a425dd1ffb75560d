"""``read_spans``: OTLP/JSON inputs → a spans frame, an events frame and the input problems found.

Inputs are split into jobs (see :mod:`._sources`); jobs are decoded in this process for small inputs and in a
``ProcessPoolExecutor`` (spawn context: polars is not fork-safe) for large ones, because msgspec holds the GIL while
decoding so threads would not run in parallel. Results are consumed in input order, so line numbers, error order
and the "last duplicate wins" rule do not depend on scheduling.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import sys
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.errors import ReadError
from trajdyn.analyzer.io._decode import ROW, ChunkResult, Job, event_schema, run_job, span_schema
from trajdyn.analyzer.io._errors import InputParseError
from trajdyn.analyzer.io._sources import Source, expand, jobs
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["InputSummary", "SpanData", "read_spans"]

PARALLEL_MIN_BYTES: Final = 32 << 20
"""Below this many input bytes everything is decoded in this process (a worker pool costs ~0.5 s to start)."""
SERIAL_CHUNK_BYTES: Final = 8 << 20
MIN_CHUNK_BYTES: Final = 4 << 20
MAX_CHUNK_BYTES: Final = 32 << 20
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


@dataclass(frozen=True, slots=True)
class SpanData:
    """What :func:`read_spans` returns: the spans and events frames, the problems, and a summary per input."""

    spans: pl.DataFrame
    events: pl.DataFrame
    errors: list[ReadError]
    inputs: list[InputSummary]


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
    """Consumes chunk results in input order: shifts lines and rows, counts per input, enforces ``strict``."""

    def __init__(self, sources: list[Source], strict: bool) -> None:
        self.sources = sources
        self.strict = strict
        self.line_offset = [0] * len(sources)
        self.n_spans = [0] * len(sources)
        self.n_docs = [0] * len(sources)
        self.errors: list[list[ReadError]] = [[] for _ in sources]
        self.span_frames: list[pl.DataFrame] = []
        self.event_frames: list[pl.DataFrame] = []
        self.rows = 0

    def error(self, index: int, error: ReadError) -> None:
        self.errors[index].append(error)
        if self.strict:
            raise InputParseError(error)

    def add(self, index: int, result: ChunkResult) -> None:
        name = self.sources[index].name
        offset = self.line_offset[index]
        for line, message in result.errors:
            self.error(index, ReadError(name, line + offset, message))
        self.line_offset[index] += result.n_lines
        self.n_docs[index] += result.n_documents
        height = result.spans.height
        self.n_spans[index] += height
        if height:
            self.span_frames.append(result.spans.with_columns(pl.col(K.LINE) + offset))
            if result.events.height:
                self.event_frames.append(result.events.with_columns(pl.col(ROW) + self.rows))
        self.rows += height

    def finish(self) -> None:
        for index, source in enumerate(self.sources):
            if self.n_docs[index] == 0 and not self.errors[index]:
                self.error(index, ReadError(source.name, 0, "empty input: no OTLP data"))


def _job_stream(sources: list[Source], chunk_bytes: int, collector: _Collector) -> Iterator[tuple[int, Job]]:
    for index, source in enumerate(sources):
        try:
            for job in jobs(source, chunk_bytes):
                yield index, job
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            collector.error(index, ReadError(source.name, 0, f"cannot read: {exc}"))


def _concat(frames: list[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="diagonal_relaxed")


def _finish_frames(collector: _Collector) -> tuple[pl.DataFrame, pl.DataFrame]:
    spans = _concat(collector.span_frames, span_schema())
    events = _concat(collector.event_frames, event_schema())
    fixed = list(span_schema())
    fixed.remove(K.ATTRIBUTES)
    fixed.remove(K.SOURCE)
    fixed.remove(K.LINE)
    metrics = sorted(c for c in spans.columns if c.startswith(C.METRICS_PREFIX))
    spans = spans.select(*fixed, *metrics, K.ATTRIBUTES, K.SOURCE, K.LINE).with_row_index(ROW)
    # duplicates (same trace and span id, e.g. a span exported twice): keep the last one read
    has_ids = pl.col(K.TRACE_ID).is_not_null() & pl.col(K.SPAN_ID).is_not_null()
    if spans.height:
        n_distinct = spans.filter(has_ids).select(pl.struct(K.TRACE_ID, K.SPAN_ID).n_unique()).item()
        if n_distinct < spans.filter(has_ids).height:
            spans = spans.filter(~has_ids | pl.struct(K.TRACE_ID, K.SPAN_ID).is_last_distinct())
    ev_metrics = sorted(c for c in events.columns if c.startswith(C.METRICS_PREFIX))
    ev_typed = [c for c in event_schema() if c not in (ROW, K.EVENT_NAME, K.TIME_NS, K.ATTRIBUTES)]
    events = (
        events.with_columns(pl.col(ROW).cast(pl.UInt32))
        .join(spans.select(ROW, K.TRACE_ID, K.SPAN_ID), on=ROW, how="inner", maintain_order="left")
        .select(K.TRACE_ID, K.SPAN_ID, K.EVENT_NAME, K.TIME_NS, *ev_typed, *ev_metrics, K.ATTRIBUTES)
    )
    return spans.drop(ROW), events


def read_spans(
    paths: str | Path | Sequence[str | Path],
    *,
    strict: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
) -> SpanData:
    """Read OTLP/JSON span dumps into polars frames.

    ``paths``: a path, a directory (searched recursively for ``*.json``, ``*.jsonl``, ``*.ndjson``, ``*.gz``), a
    glob, ``"-"`` for stdin, or a sequence of these. Each file may be OTLP/JSON lines (one ``TracesData`` per
    line, as the SDK's and the Collector's file exporters write), one pretty-printed document, or either gzipped.

    Bad input never aborts the read: a malformed or truncated line, a JSON value that is not OTLP, invalid UTF-8,
    an empty input, a missing path, an id that cannot be read or a value of the wrong type for a conventions key
    becomes a :class:`ReadError` (``path:line: message``) in ``errors`` and everything else is kept. With
    ``strict=True`` the first such problem raises :class:`InputParseError` (an ``InputError``) instead.

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
    stream = _job_stream(sources, chunk_bytes, collector)
    try:
        if parallel:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
                pending: deque[tuple[int, Job, Future[ChunkResult]]] = deque()
                try:
                    for index, job in stream:
                        pending.append((index, job, pool.submit(run_job, job)))
                        while len(pending) >= 2 * n_workers:
                            done_index, done_job, future = pending.popleft()
                            collector.add(done_index, future.result())
                            bar.advance(done_job.nbytes)
                    while pending:
                        index, done_job, future = pending.popleft()
                        collector.add(index, future.result())
                        bar.advance(done_job.nbytes)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        else:
            for index, job in stream:
                collector.add(index, run_job(job))
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
