"""Benchmark result files: run summaries (not trajectories) that feed the ``trends`` report section.

Span formats turn foreign *trajectory* logs into spans; a benchmark result file instead summarises one whole run
(a score per task), so its result format (:class:`trajdyn.formats.ResultFormat`) reads it into records that are
collected here into a records frame, one row per (run, task), and never become spans. ``trajdyn-analyze`` detects
these files by content (:func:`trajdyn.formats.detect_format` with ``kind="results"``), also inside directories and
globs (:func:`trajdyn.analyzer.io.route`), so they can be mixed with span dumps on one command line (docs/analyzer-api.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from trajdyn._problems import InputProblem
from trajdyn.analyzer.io._sources import NamedFile, file_name, file_path
from trajdyn.analyzer.io._sweeps import SweepData, read_sweeps
from trajdyn.formats import FORMATS, detect_format, read_result

__all__ = [
    "RESULT_SCHEMA",
    "ResultData",
    "ResultInput",
    "read_results",
]


RESULT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "path": pl.Utf8(),
    "dir": pl.Utf8(),
    "format": pl.Utf8(),
    "model": pl.Utf8(),
    "run_id": pl.Utf8(),
    "time": pl.Float64(),
    "benchmark_version": pl.Utf8(),
    "suite": pl.Utf8(),
    "in_progress": pl.Boolean(),
    "task_id": pl.Utf8(),
    "score": pl.Float64(),
    "cost": pl.Float64(),
    "tokens": pl.Float64(),
    "duplicates": pl.Int64(),
    "category": pl.Utf8(),
    "run": pl.Utf8(),
    "unit": pl.Utf8(),
    "higher_is_better": pl.Boolean(),
}
"""Columns of :attr:`ResultData.records`: one row per task of a run (``path`` identifies the run), ``time`` in unix
seconds, ``score`` in [0, 1], ``cost`` in USD and ``tokens`` per task (null when not measured), ``dir`` the run
file's parent directory (its name; the whole path where two parents share a name), ``category`` the task's kind
when the result file gives one (null otherwise); ``run`` the run's key where a file holds several runs (null: the
file), ``unit`` the unit of a raw measurement (null: a 0–1 score: ``score`` is then that measurement) and
``higher_is_better`` its direction (null: true)."""


@dataclass(frozen=True, slots=True)
class ResultInput:
    """One result file as read: its path, the runs it held (0 or 1) and its problems."""

    path: str
    runs: int
    errors: int


@dataclass(frozen=True, slots=True)
class ResultData:
    """What :func:`read_results` returns: the records frame (:data:`RESULT_SCHEMA`), the problems, the inputs, and
    the frames of the parameter-sweep summaries among them (``None`` when there were none)."""

    records: pl.DataFrame
    errors: list[InputProblem]
    inputs: list[ResultInput]
    sweeps: SweepData | None = None


def _summary_kind(item: str | NamedFile) -> str | None:
    """``"results"`` or ``"sweeps"`` when a result or sweep format recognises the file, else None."""
    name = detect_format(file_path(item))
    found = FORMATS.get(name) if name is not None else None
    return found.kind if found is not None and found.kind != "spans" else None


def _dir_labels(paths: Sequence[str]) -> dict[str, str]:
    """path → its parent directory's name, or the parent's whole path where two parents share a name."""
    parents = {p: Path(p).parent for p in paths}
    by_name: dict[str, set[Path]] = {}
    for parent in parents.values():
        by_name.setdefault(parent.name, set()).add(parent.resolve())
    out: dict[str, str] = {}
    for p, parent in parents.items():
        name = parent.name or str(parent)
        out[p] = str(parent) if len(by_name.get(parent.name, set())) > 1 else name
    return out


def read_results(paths: Sequence[str | Path | NamedFile], fmt: str | None = None) -> ResultData:
    """Read benchmark result files (any result format, detected per file unless ``fmt`` names one) into one records
    frame, and parameter-sweep summaries into :attr:`ResultData.sweeps`; never raises on bad input (a file's
    problems are in ``errors``). A :class:`NamedFile` (stdin spooled to a file) is reported under its name."""
    rows: list[dict[str, object]] = []
    errors: list[InputProblem] = []
    inputs: list[ResultInput] = []
    items = [p if isinstance(p, NamedFile) else str(p) for p in paths]
    fmt_kind = FORMATS[fmt].kind if fmt is not None and fmt in FORMATS else None
    is_sweep = [(fmt_kind or _summary_kind(item)) == "sweeps" for item in items]
    sweep_items = [item for item, sweep in zip(items, is_sweep, strict=True) if sweep]
    result_items = [item for item, sweep in zip(items, is_sweep, strict=True) if not sweep]
    labels = _dir_labels([item for item in result_items if isinstance(item, str)])
    labels.update({item.name: item.name for item in result_items if isinstance(item, NamedFile)})  # no directory
    sweeps: SweepData | None = None
    if sweep_items:
        sweeps, counts = read_sweeps(sweep_items, fmt if fmt_kind == "sweeps" else None)
        errors.extend(sweeps.errors)
        inputs += [ResultInput(file_name(i), 1 if r else 0, p) for i, (r, p) in zip(sweep_items, counts, strict=True)]
    for item in result_items:
        name = file_name(item)
        fmt_name, records, problems = read_result(file_path(item), fmt, name=name)
        for record in records:
            record["dir"] = labels[name]
            record["format"] = fmt_name
        rows.extend(records)
        errors.extend(problems)
        inputs.append(ResultInput(name, 1 if records else 0, len(problems)))
    frame = pl.DataFrame(rows, schema=RESULT_SCHEMA) if rows else pl.DataFrame(schema=RESULT_SCHEMA)
    return ResultData(frame, errors, inputs, sweeps)
