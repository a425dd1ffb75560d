"""``analyze``: the typed library entry point that ``trajdyn-analyze`` is thin over (also for notebooks).

Reads span dumps (and foreign loop logs through the importers), derives the trajectory model and builds the
report::

    from trajdyn.analyzer.analyze import analyze
    report = analyze(["spans.jsonl"], window=10)
    report.to_dict()["trajectories"][0]["exploration"]["repeat_rate"]
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajdyn._problems import ReadError
from trajdyn.analyzer.report import Report, ReportOptions, ReportSection, build_report, load_previous_report
from trajdyn.exceptions import InputError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["analyze"]

PathLike = str | Path


@dataclass(frozen=True, slots=True)
class _Input:
    """An input summary with the path the user gave (importers read into a temporary file)."""

    path: str
    spans: int
    errors: int


def _is_plain_file(raw: str) -> bool:
    return raw != "-" and not any(ch in raw for ch in "*?[") and Path(raw).is_file()


def _apply_menu(trajectories: pl.DataFrame, menu: Sequence[str]) -> pl.DataFrame:
    """Give ``menu`` to the trajectories that carry none."""
    import polars as pl

    from trajdyn.analyzer import _columns as K

    return trajectories.with_columns(pl.col(K.KNOB_MENU).fill_null(pl.lit(list(menu), dtype=pl.List(pl.Utf8))))


def analyze(
    paths: PathLike | Sequence[PathLike],
    *,
    window: int = 10,
    eta: float = 0.0,
    top: int = 8,
    strict: bool = False,
    fmt: str | None = None,
    menu: PathLike | None = None,
    progress: bool | None = None,
    sections: Sequence[ReportSection] | None = None,
    generated_at: datetime | str | None = None,
    compare_to: PathLike | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Report:
    """Read ``paths`` and build the report (``trajdyn.report/1``).

    ``paths``: files, directories, globs or ``"-"`` (see :func:`trajdyn.analyzer.read_spans`). A file whose
    content is a foreign loop log (:func:`trajdyn.formats.detect_format`), or every file when ``fmt``
    names an import format, is converted to conventions-v1 spans first; its problems are reported with the
    original path. A benchmark result file (:func:`trajdyn.analyzer.io._results.detect_result`, also inside a
    directory or glob) is read as a run summary for the ``trends`` section instead of as spans.
    ``menu``: a knob-menu file for the importers, also given to trajectories that carry no menu.
    ``window``, ``eta``, ``top``: exploration options (:func:`trajdyn.analyzer.metrics.exploration`).
    ``compare_to``: an earlier ``trajdyn.report/1`` JSON file; sections that support it report deltas against it.
    ``extra``: options of plug-in sections (``ReportOptions.extra``), e.g. ``{"trends.group_by": "dir",
    "trends.min_effect": 2.0}`` (see :mod:`trajdyn.analyzer.report._trends`).

    Input problems are collected in ``Report.errors`` and never abort the analysis; with ``strict=True`` the first
    one raises :class:`~trajdyn.analyzer.InputParseError`. An unknown format or an unreadable menu raises
    :class:`~trajdyn.exceptions.InputError`.
    """
    from trajdyn.analyzer import InputParseError, events, read_spans, steps, trajectories

    raw = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
    if not raw:
        raise InputError("no input paths given")
    try:
        from trajdyn.formats import convert, detect_format, load_menu, write_jsonl

        have_importers = True
    except ImportError:  # degrade: OTLP/JSON inputs only
        have_importers = False
    if (fmt is not None or menu is not None) and not have_importers:
        raise InputError("--format/--menu need trajdyn.formats, which is missing from this installation")
    previous = load_previous_report(compare_to) if compare_to is not None else None
    from trajdyn.analyzer.io._results import read_results, split_inputs

    walk_problems: list[ReadError] = []
    raw, result_files = split_inputs(raw, walk_problems) if fmt is None else (raw, [])
    results = read_results(result_files) if result_files else None
    if strict and results is not None and results.errors:
        raise InputParseError(results.errors[0])
    menu_path = Path(menu) if menu is not None else None
    menu_names = load_menu(menu_path) if menu_path is not None else None

    with tempfile.TemporaryDirectory(prefix="trajdyn-import-") as tmp:
        to_read: list[str] = []
        original: dict[str, str] = {}
        import_errors: list[ReadError] = []
        for index, item in enumerate(raw):
            detected = None
            if have_importers and _is_plain_file(item):
                detected = fmt or detect_format(Path(item))
            if detected is None:
                to_read.append(item)
                continue
            result = convert(Path(item), detected, menu=menu_path)
            problems = [replace(e, path=item) for e in result.errors]  # the path as the user gave it
            if strict and problems:
                raise InputParseError(problems[0])
            import_errors.extend(problems)
            converted = Path(tmp) / f"{index:04d}-{Path(item).name}.otlp.jsonl"
            write_jsonl(result.requests, converted)
            to_read.append(str(converted))
            original[str(converted)] = item
        data = read_spans(to_read, strict=strict, progress=progress)

    def where(path: str) -> str:
        return original.get(path, path)

    read_errors = [replace(e, path=where(e.path)) for e in data.errors]
    per_input_import = {item: sum(1 for e in import_errors if e.path == item) for item in original.values()}
    inputs = [_Input(where(i.path), i.spans, i.errors + per_input_import.get(where(i.path), 0)) for i in data.inputs]
    result_errors: list[ReadError] = []
    if results is not None:
        inputs += [_Input(i.path, 0, i.errors) for i in results.inputs]
        result_errors = results.errors
    traj = trajectories(data)
    if menu_names:
        traj = _apply_menu(traj, menu_names)
    step_frame, event_frame = steps(data), events(data)
    del data  # the spans frame is not needed any more: free it before the metrics allocate theirs
    return build_report(
        step_frame,
        traj,
        events=event_frame,
        inputs=inputs,
        errors=[*walk_problems, *import_errors, *read_errors, *result_errors],
        options=ReportOptions(window=window, eta=eta, top=top, extra=dict(extra or {})),
        sections=sections,
        generated_at=generated_at,
        previous=previous,
        results=None if results is None else results.records,
    )
