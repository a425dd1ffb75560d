"""The format registry: every foreign format trajdyn reads, span formats and result formats alike, detected by content.

Two kinds of format, one registry (:data:`FORMATS`, a :class:`trajdyn._registry.Registry`):

- a :class:`SpanFormat` reads a foreign agent-loop log into :class:`~trajdyn.formats.ImportedTrajectory` records,
  which :func:`convert` turns into conventions-v1 OTLP/JSON spans (the analyzer reads them in process, without a file;
  ``trajdyn-import`` writes them for other tools);
- a :class:`ResultFormat` reads a benchmark run summary (a score per task, no trajectory) into result records
  (:data:`~trajdyn.formats.RESULT_KEYS`) for the ``trends`` report section (:func:`read_result`).

Adding a format is one module under ``trajdyn/formats/`` that defines the format object, plus one line in
:data:`BUILTIN` (``"module:attribute"``); code outside trajdyn calls :func:`register_format`. Detection
(:func:`detect_format`) asks each format's ``sniff`` in registration order about the first bytes of a file
(decompressed when gzip'd). See docs/importers.md and docs/architecture.md.
"""

from __future__ import annotations

import gzip
import importlib
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn._registry import Registry
from trajdyn.exceptions import InputError
from trajdyn.formats._builder import build_requests
from trajdyn.formats._imported import ImportResult
from trajdyn.formats._kinds import Format, FormatKind, ResultFormat, SpanFormat, SweepFormat
from trajdyn.formats._menu import load_menu
from trajdyn.formats._read import GZIP_MAGIC, read_head
from trajdyn.formats.swebench import apply_labels, load_labels
from trajdyn.redact import scrub_secrets

__all__ = [
    "BUILTIN",
    "FORMATS",
    "convert",
    "detect_format",
    "read_result",
    "read_sweep",
    "register_format",
    "sniff_format",
    "unregister_format",
]

BUILTIN: Final = (
    "trajdyn.formats.pinchbench:FORMAT",
    "trajdyn.formats.pinchbench:SKILL_SUMMARY_FORMAT",
    "trajdyn.formats.asv:FORMAT",
    "trajdyn.formats.asv:METADATA_FORMAT",
    "trajdyn.formats.action_benchmark:FORMAT",
    "trajdyn.formats.swebench:RESULTS_FORMAT",
    "trajdyn.formats.swebench:REPORT_FORMAT",
    "trajdyn.formats.popoto_sweep:FORMAT",
    "trajdyn.formats.atlas:FORMAT",
    "trajdyn.formats.autoresearch:FORMAT",
    "trajdyn.formats.autoresearch_tsv:FORMAT",
    "trajdyn.formats.tau_bench:FORMAT",
    "trajdyn.formats.trail:FORMAT",
    "trajdyn.formats.expert_labels:TRAIL_ANNOTATIONS_FORMAT",
    "trajdyn.formats.expert_labels:MAST_ANNOTATIONS_FORMAT",
    "trajdyn.formats.mast:HYPERAGENT_FORMAT",
    "trajdyn.formats.mast:AG2_FORMAT",
    "trajdyn.formats.mast:METAGPT_FORMAT",
    "trajdyn.formats.whowhen:FORMAT",
    "trajdyn.formats.sweagent:FORMAT",
    "trajdyn.formats.minisweagent:FORMAT",
    "trajdyn.formats.openhands:EVENTS_FORMAT",
    "trajdyn.formats.openhands:EVAL_FORMAT",
    "trajdyn.formats.openhands:OPENDEVIN_FORMAT",
    "trajdyn.formats.inspect_ai:FORMAT",
)
"""The built-in formats, in detection order (result and sweep formats first: such a file is never read as a log)."""


def _builtins() -> Iterator[Format]:
    for spec in BUILTIN:
        module, attribute = spec.split(":")
        found = getattr(importlib.import_module(module), attribute)
        if not isinstance(found, SpanFormat | ResultFormat | SweepFormat):
            raise TypeError(f"{spec} is not a SpanFormat, ResultFormat or SweepFormat")
        yield found


FORMATS: Final[Registry[Format]] = Registry("format", _builtins)
"""Every format by name, in detection order (``pinchbench``, ``atlas``, ``autoresearch`` …)."""


def register_format(fmt: Format, *, replace: bool = False) -> None:
    """Add a format after those registered (``ValueError`` if the name is taken, unless ``replace``)."""
    if not isinstance(fmt, SpanFormat | ResultFormat | SweepFormat):
        raise TypeError(f"expected a SpanFormat, ResultFormat or SweepFormat, got {type(fmt).__name__}")
    FORMATS.register(fmt, replace=replace)


def unregister_format(name: str) -> None:
    """Remove the format called ``name`` (``KeyError`` when there is none)."""
    FORMATS.unregister(name)


def _of_kind(kind: FormatKind | None) -> Mapping[str, Format]:
    return {n: f for n, f in FORMATS.items() if kind is None or f.kind == kind}


def detect_format(path: str | Path, *, kind: FormatKind | None = None) -> str | None:
    """The name of the format of the file at ``path`` judged from its first bytes, or ``None`` (OTLP/JSON, unknown).

    ``kind`` limits the candidates to span formats (``"spans"``) or result formats (``"results"``). Never raises: an
    unreadable or empty file, or a sniffer that fails, gives no match.
    """
    return sniff_format(read_head(Path(path)), kind=kind)


def sniff_format(head: bytes, *, kind: FormatKind | None = None) -> str | None:
    """The name of the format whose sniffer recognises ``head`` (the first bytes of an input, decompressed), or
    ``None``; as :func:`detect_format` for bytes already read (stdin). Never raises."""
    if not head.strip():
        return None
    for name, fmt in _of_kind(kind).items():
        try:
            if fmt.sniff(head):
                return name
        except Exception:  # a sniffer must never make detection fail
            continue
    return None


def _lookup(fmt: str, kind: FormatKind) -> Format:
    found = FORMATS.get(fmt)
    if found is None or found.kind != kind:
        known = ", ".join(_of_kind(kind))
        what = {"spans": "import format", "results": "result format", "sweeps": "sweep format"}[kind]
        raise InputError(f"unknown {what} {fmt!r} (known: {known})")
    return found


def convert(
    path: Path,
    fmt: str | None = None,
    *,
    menu: Path | None = None,
    labels: Path | None = None,
    name: str | None = None,
) -> ImportResult:
    """Convert a foreign log into conventions-v1 OTLP/JSON requests (one per trajectory).

    ``fmt`` is the name of a span format, or ``None`` to detect it from the content; ``menu`` a knob menu file
    that overrides one embedded in the log; ``labels`` a SWE-bench results or report file whose resolved labels
    become the rewards of the runs (by instance id) that have none (:mod:`trajdyn.formats.swebench`); ``name`` how
    the source is named (default: ``path``; ``<stdin>`` for a spooled copy of standard input). Bad rows are skipped
    and reported in ``ImportResult.errors``;
    an unreadable file, an unknown format or a bad menu raises :class:`~trajdyn.exceptions.InputError`.
    """
    path = Path(path)
    if fmt is None:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        fmt = detect_format(path, kind="spans")
        if fmt is None:
            raise InputError(f"{path}: not a log format trajdyn can import (known: {', '.join(_of_kind('spans'))})")
    found = _lookup(fmt, "spans")
    assert isinstance(found, SpanFormat)
    menu_names = load_menu(menu) if menu is not None else None
    resolved = load_labels(labels) if labels is not None else None
    trajectories, errors = found.parse(path, menu_names)
    if resolved is not None:
        trajectories = apply_labels(trajectories, resolved)
    requests = build_requests(trajectories, source=path, format_name=found.name, source_name=name)
    errors = [InputProblem(e.path, e.line, scrub_secrets(e.message)) for e in errors]  # messages may quote a row
    return ImportResult(requests=requests, errors=errors, format=found.name, source=str(path) if name is None else name)


def read_result(
    path: str | Path, fmt: str | None = None, *, name: str | None = None
) -> tuple[str | None, list[dict[str, Any]], list[InputProblem]]:
    """Read one benchmark result file: ``(format name, records, problems)``; never raises on bad input.

    ``fmt``: the name of a result format, or ``None`` to detect it. ``name``: how records and problems name the file
    (default ``path``; ``<stdin>`` for a spooled copy of standard input). Records hold :data:`~trajdyn.formats.RESULT_KEYS`; a file that
    cannot be read, is of no known result format or holds no usable run gives no record and its problems.
    """
    return _read_summary(path, fmt, "results", "benchmark result file", "result file", name)


def _read_summary(
    path: str | Path, fmt: str | None, kind: FormatKind, noun: str, what: str, name: str | None
) -> tuple[str | None, list[dict[str, Any]], list[InputProblem]]:
    """:func:`read_results` and :func:`read_sweep`: detect (or look up) a format of ``kind``, read the text, parse it.

    ``noun`` names the kind in the problem of an unknown file ("not a NOUN trajdyn can read"), ``what`` in the problem
    of an unreadable one ("cannot read the WHAT").
    """
    name = str(path) if name is None else name
    chosen = fmt if fmt is not None else detect_format(path, kind=kind)
    if chosen is None:
        known = ", ".join(_of_kind(kind))
        return None, [], [InputProblem(name, 0, f"not a {noun} trajdyn can read (known: {known})")]
    found = _lookup(chosen, kind)
    assert isinstance(found, ResultFormat | SweepFormat)
    text, problem = _read_text(path, what, name)
    if problem is not None:
        return found.name, [], [problem]
    records, problems = found.parse(name, text)
    return found.name, records, problems


def _read_text(path: str | Path, what: str, name: str) -> tuple[str, InputProblem | None]:
    """The text of ``path`` (gunzipped, BOM and CR line ends removed, as ``read_text`` reads it) or a problem that
    names it ``name``."""
    try:
        data = Path(path).read_bytes()
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n"), None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        return "", InputProblem(name, 0, f"cannot read the {what}: {exc}")


def read_sweep(
    path: str | Path, fmt: str | None = None, *, name: str | None = None
) -> tuple[str | None, list[dict[str, Any]], list[InputProblem]]:
    """Read one parameter-sweep summary: ``(format name, sweep records, problems)``; never raises on bad input.

    ``fmt``: the name of a sweep format, or ``None`` to detect it; ``name`` as for :func:`read_result`. Records are described by
    :data:`~trajdyn.formats.SWEEP_RECORD_KINDS`.
    """
    return _read_summary(path, fmt, "sweeps", "sweep summary", "sweep summary", name)
