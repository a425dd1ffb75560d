"""``analyze``: the typed library entry point that ``trajdyn-analyze`` is thin over (also for notebooks).

Reads span dumps, foreign loop logs (through :mod:`trajdyn.formats`, in process) and benchmark result files, derives
the trajectory model and builds the report (docs/analyzer-api.md, docs/architecture.md)::

    from trajdyn.analyzer import ExplorationOptions, analyze
    report = analyze(["spans.jsonl"], options=[ExplorationOptions(window=5)])
    report.to_dict()["trajectories"][0]["exploration"]["repeat_rate"]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trajdyn._problems import InputProblem
from trajdyn.analyzer.report import (
    Report,
    ReportOptions,
    ReportSection,
    build_report,
    check_options,
    load_previous_report,
)
from trajdyn.exceptions import InputError
from trajdyn.formats import FORMATS, FormatKind, convert, load_menu
from trajdyn.formats.swebench import load_labels

if TYPE_CHECKING:
    import polars as pl

    from trajdyn.analyzer.io import ResultData
    from trajdyn.analyzer.io._sources import Input

__all__ = ["analyze"]

PathLike = str | Path


@dataclass(frozen=True, slots=True)
class _Input:
    """An input summary whose problem count includes the problems of its import."""

    path: str
    spans: int
    errors: int


def _apply_menu(trajectories: pl.DataFrame, menu: Sequence[str]) -> pl.DataFrame:
    """Give ``menu`` to the trajectories that carry none."""
    import polars as pl

    from trajdyn.analyzer import _columns as K

    return trajectories.with_columns(pl.col(K.KNOB_MENU).fill_null(pl.lit(list(menu), dtype=pl.List(pl.Utf8))))


def _format_kind(fmt: str | None) -> FormatKind | None:
    if fmt is None:
        return None
    found = FORMATS.get(fmt)
    if found is None:
        raise InputError(f"unknown import format {fmt!r} (known: {', '.join(FORMATS)})")
    return found.kind


def analyze(
    paths: PathLike | Sequence[PathLike],
    *,
    options: ReportOptions | Iterable[object] = (),
    strict: bool = False,
    fmt: str | None = None,
    menu: PathLike | None = None,
    labels: PathLike | None = None,
    progress: bool | None = None,
    sections: Sequence[ReportSection] | None = None,
    generated_at: datetime | str | None = None,
    compare_to: PathLike | None = None,
) -> Report:
    """Read ``paths`` and build the report (``trajdyn.report/1``).

    ``paths``: files, directories, globs or ``"-"`` (see :func:`trajdyn.analyzer.read_spans`). A file whose content
    is a foreign loop log (a span format of :func:`trajdyn.formats.detect_format`), or every file when ``fmt`` names
    a span format, is converted to conventions-v1 spans and read in process; its problems are reported with its
    path. A benchmark result file (a result format, also inside a directory or glob; every file when ``fmt`` names a
    result format) is read as a run summary for the ``trends`` section instead of as spans; a parameter-sweep
    summary (a sweep format, popoto's ``sweep_*.json``) feeds the ``sweeps`` section.
    ``options``: the sections' options objects (``ExplorationOptions(window=5)``, ``TrendsOptions(group_by="dir")``
    …, see :class:`~trajdyn.analyzer.report.ReportOptions`); one that no section reads raises
    :class:`~trajdyn.exceptions.ConfigurationError` before any input is read.
    ``menu``: a knob-menu file for the importers, also given to trajectories that carry no menu.
    ``labels``: a SWE-bench results or report file whose resolved labels become the rewards of imported runs (by
    instance id) that carry none (SWE-agent, mini-swe-agent …; docs/importers.md).
    ``compare_to``: an earlier ``trajdyn.report/1`` JSON file; sections that support it report deltas against it.

    Input problems are collected in ``Report.errors`` and never abort the analysis; with ``strict=True`` the first
    one raises :class:`~trajdyn.analyzer.InputParseError`. An unknown format or an unreadable menu raises
    :class:`~trajdyn.exceptions.InputError`.
    """
    from trajdyn.analyzer.io import Foreign, InputParseError, SpanDocuments, read_results, read_spans, route
    from trajdyn.analyzer.model import events, outside_runs_note, steps, trajectories

    raw = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
    if not raw:
        raise InputError("no input paths given")
    report_options = ReportOptions.of(options)
    check_options(report_options, sections or ())
    kind = _format_kind(fmt)
    previous = load_previous_report(compare_to) if compare_to is not None else None
    menu_path = Path(menu) if menu is not None else None
    menu_names = load_menu(menu_path) if menu_path is not None else None
    labels_path = Path(labels) if labels is not None else None
    if labels_path is not None:
        load_labels(labels_path)  # a bad labels file is a usage error before any input is read

    with ExitStack() as stack:  # owns the temporary copy of a foreign log piped in on stdin
        routed = route(raw, stack, fmt=fmt, kind=kind)
        results: ResultData | None = None
        if routed.results:
            results = read_results(routed.results, fmt if kind in ("results", "sweeps") else None)
            if strict and results.errors:
                raise InputParseError(results.errors[0])
        to_read: list[Input] = []
        imported: list[str] = []
        import_errors: list[InputProblem] = []
        for item in routed.spans:
            if not isinstance(item, Foreign):
                to_read.append(item)
                continue
            converted = convert(item.path, item.format, menu=menu_path, labels=labels_path, name=item.name)
            problems = [replace(e, path=item.name) for e in converted.errors]  # the path as the user gave it
            if strict and problems:
                raise InputParseError(problems[0])
            import_errors.extend(problems)
            to_read.append(SpanDocuments(item.name, converted.requests))  # straight to frames: no temporary file
            imported.append(item.name)
        data = read_spans(to_read, strict=strict, progress=progress)

    per_input_import = {item: sum(1 for e in import_errors if e.path == item) for item in imported}
    inputs = [_Input(i.path, i.spans, i.errors + per_input_import.get(i.path, 0)) for i in data.inputs]
    result_errors: list[InputProblem] = []
    if results is not None:
        inputs += [_Input(i.path, 0, i.errors) for i in results.inputs]
        result_errors = results.errors
    traj = trajectories(data)
    if menu_names:
        traj = _apply_menu(traj, menu_names)
    step_frame, event_frame = steps(data), events(data)
    read_errors = data.errors
    notes = list(routed.notes)
    if traj.is_empty() and step_frame.is_empty() and not data.span_frame.is_empty():
        from trajdyn.analyzer.foreign import no_run_note

        notes.append(no_run_note(data.span_frame))  # what was found and what a run needs, instead of empty tables
    elif (outside := outside_runs_note(data)) is not None:
        notes.append(outside)  # foreign tool / model spans under no run: counted, never dropped silently
    del data  # the spans frame is not needed any more: free it before the metrics allocate theirs
    return build_report(
        step_frame,
        traj,
        events=event_frame,
        inputs=inputs,
        errors=[*routed.problems, *import_errors, *read_errors, *result_errors],
        notes=notes,
        options=report_options,
        sections=sections,
        generated_at=generated_at,
        previous=previous,
        results=None if results is None else results.records,
        sweeps=None if results is None else results.sweeps,
    )
