"""Routing the inputs of :func:`trajdyn.analyzer.analyze` by content: span dumps, foreign logs, result files, the
SDK's sidecar and files of no known format, whether named, found in a directory, matched by a glob or piped in.

Naming a file, quoting a glob that matches it, pointing at its directory and piping it to ``-`` give the same
result: every file is judged by its first bytes (:func:`trajdyn.formats.sniff_format`). In a directory, a file with
a span-file suffix (``.json``, ``.jsonl``, ``.ndjson``, ``.gz``) of no foreign format is read as OTLP/JSON; a file
with another suffix (``.tsv``, ``.traj`` …) is read when a format recognises it and otherwise skipped with a note
that says so; the SDK's live coverage sidecar (``trajdyn.coverage/1``) is skipped with a note wherever it is found.
See docs/cli.md ("Inputs").
"""

from __future__ import annotations

import glob
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.analyzer.io._sources import (
    DIRECTORY_SUFFIXES,
    GZIP_MAGIC,
    STDIN,
    NamedFile,
    SpanStream,
    _Prefixed,
    walk_directory,
)
from trajdyn.formats import FORMATS, FormatKind, sniff_format
from trajdyn.formats._read import read_head

__all__ = ["STDIN_NAME", "Foreign", "Routed", "route"]

STDIN_NAME: Final = "<stdin>"
"""How standard input is named in the report (as the span reader names it)."""
_GLOB_CHARS: Final = frozenset("*?[")
_HEAD_BYTES: Final = 65536
_SIDECAR_MARK: Final = f'"{C.SIDECAR_SCHEMA}"'.encode()


@dataclass(frozen=True, slots=True)
class Foreign:
    """A file of a foreign span format: ``name`` as reported, the file to convert (a spooled copy for stdin)."""

    name: str
    format: str
    path: Path


@dataclass(slots=True)
class Routed:
    """The inputs sorted by what they hold, in input order.

    ``spans``: OTLP/JSON inputs for the span reader (paths, directories and globs with nothing else in them,
    stdin) and :class:`Foreign` logs to convert first; ``results``: benchmark result and sweep summary files (a
    :class:`NamedFile` for stdin); ``notes``: files skipped on purpose, and why; ``problems``: what a directory walk
    could not read.
    """

    spans: list[str | SpanStream | Foreign] = field(default_factory=list)
    results: list[str | NamedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def _is_sidecar(head: bytes) -> bool:
    return head.lstrip().startswith(b"{") and _SIDECAR_MARK in head[:4096]


def _members(item: str) -> tuple[list[Path], list[InputProblem], bool] | None:
    """The files a directory (every file) or a glob stands for, the walk's problems, and whether it was a
    directory; None for anything else."""
    path = Path(item)
    if path.is_dir():
        found, problems = walk_directory(path, every_file=True)
        return [Path(s.name) for s in found], problems, True
    if not path.exists() and _GLOB_CHARS & set(item):
        matches = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())  # noqa: PTH207
        return matches, [], False
    return None


def _suffix(path: Path) -> str:
    return path.suffix.lower() or "(no suffix)"


def _skipped_note(item: str, skipped: Sequence[Path]) -> str:
    by_suffix = Counter(_suffix(p) for p in skipped)
    kinds = ", ".join(f"{suffix} ×{n}" for suffix, n in sorted(by_suffix.items()))
    first = ", ".join(str(p) for p in skipped[:3]) + (" …" if len(skipped) > 3 else "")
    return (
        f"{item}: skipped {len(skipped)} file(s) of no format trajdyn reads ({kinds}: {first}); "
        "name a file to read it as OTLP/JSON, or give --format"
    )


def _sidecar_note(name: str) -> str:
    return (
        f"{name}: the SDK's live coverage sidecar ({C.SIDECAR_SCHEMA}), not spans: skipped "
        "(the spans file next to it holds the same trajectories)"
    )


def _classify(path: Path, fmt: str | None, kind: FormatKind | None) -> tuple[str, str | None]:
    """``("spans" | "results" | "sidecar" | "unknown", format name)`` of one file, judged by its first bytes
    (``"results"``: a run summary, of a result or a sweep format)."""
    head = read_head(path)
    if _is_sidecar(head):
        return "sidecar", None
    if kind is not None:
        return ("spans", fmt) if kind == "spans" else ("results", fmt)
    name = sniff_format(head)  # registry order: result and sweep formats before span formats
    if name is None:
        return "unknown", None
    return ("spans", name) if FORMATS[name].kind == "spans" else ("results", name)


def _route_file(out: Routed, path: Path, name: str, fmt: str | None, kind: FormatKind | None) -> bool:
    """Route one file; False when it is of no known format (the caller decides: read as OTLP or skip)."""
    what, found = _classify(path, fmt, kind)
    if what == "sidecar":
        out.notes.append(_sidecar_note(name))
    elif what == "results":
        out.results.append(name)
    elif what == "spans" and found is not None:
        out.spans.append(Foreign(name, found, path))
    elif what == "spans":
        out.spans.append(name)  # --format names no span format: read as OTLP/JSON
    else:
        return False
    return True


def _route_collection(out: Routed, item: str, fmt: str | None, kind: FormatKind | None) -> bool:
    """Route the members of a directory or glob; False when ``item`` is neither."""
    expanded = _members(item)
    if expanded is None:
        return False
    members, problems, is_dir = expanded
    routed = Routed()
    skipped: list[Path] = []
    plain: list[Path] = []
    for member in members:
        if _route_file(routed, member, str(member), fmt, kind):
            continue
        if is_dir and not member.name.lower().endswith(DIRECTORY_SUFFIXES):
            skipped.append(member)
        else:
            plain.append(member)
            routed.spans.append(str(member))
    if not routed.results and not routed.notes and not skipped and len(plain) == len(routed.spans):
        out.spans.append(item)  # only OTLP/JSON in it: the span reader expands it (and reports its problems)
        return True
    out.spans.extend(routed.spans)
    out.results.extend(routed.results)
    out.notes.extend(routed.notes)
    if skipped:
        out.notes.append(_skipped_note(item, skipped))
    out.problems.extend(problems)
    return True


def _head_of_stream(raw: bytes) -> bytes:
    """The first bytes of a stream as a sniffer sees them (decompressed when gzip'd, as far as they go)."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, _HEAD_BYTES)
    except zlib.error:
        return b""


def _spool(stack: ExitStack, raw: bytes, rest: BinaryIO) -> Path:
    """Standard input (``raw`` already read, then ``rest``) copied to a temporary file removed when ``stack`` closes."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trajdyn-stdin-")))
    spooled = folder / "stdin"
    with spooled.open("wb") as fh:
        fh.write(raw)
        while block := rest.read(1 << 20):
            fh.write(block)
    return spooled


def _route_stdin(out: Routed, stack: ExitStack, fmt: str | None, kind: FormatKind | None) -> None:
    """Standard input: its first bytes decide, as a file's do (:func:`_classify`). A foreign log or a result or sweep
    summary is spooled to a temporary file (removed when ``stack`` closes) and read from there under the name
    ``<stdin>``; OTLP/JSON (or anything of no known format) is streamed to the span reader with those bytes put
    back."""
    stdin = sys.stdin.buffer
    raw = bytearray()
    while len(raw) < _HEAD_BYTES:
        block = stdin.read(_HEAD_BYTES - len(raw))
        if not block:
            break
        raw += block
    head = _head_of_stream(bytes(raw))
    if _is_sidecar(head):
        out.notes.append(_sidecar_note(STDIN_NAME))
        return
    found = fmt if kind is not None else sniff_format(head)  # registry order: result and sweep formats first
    if found is None:
        out.spans.append(SpanStream(STDIN_NAME, _Prefixed(bytes(raw), stdin)))
        return
    spooled = _spool(stack, bytes(raw), stdin)
    if FORMATS[found].kind == "spans":
        out.spans.append(Foreign(STDIN_NAME, found, spooled))
    else:
        out.results.append(NamedFile(STDIN_NAME, spooled))


def route(items: Sequence[str], stack: ExitStack, *, fmt: str | None = None, kind: FormatKind | None = None) -> Routed:
    """Sort ``items`` (paths, directories, globs, ``-``) by content, in order (see the module docstring).

    ``fmt`` / ``kind``: a format the user chose (``--format``) and its kind: every file is then of that format.
    ``stack`` owns the temporary copy of a piped-in foreign log. Missing paths go to the span reader, which
    reports them.
    """
    out = Routed()
    for item in items:
        if item == STDIN:
            _route_stdin(out, stack, fmt, kind)
            continue
        path = Path(item)
        if path.is_file():
            if not _route_file(out, path, item, fmt, kind):
                out.spans.append(item)
            continue
        if not _route_collection(out, item, fmt, kind):
            out.spans.append(item)
    return out
