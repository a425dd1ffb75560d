"""Input expansion (paths, directories, globs, pipes, ``-``) and splitting inputs into decoding parts and jobs.

A large plain JSON-lines file is split at newline boundaries into byte ranges that a worker reads itself (the
reading process never holds the whole file). gzip files (detected by their magic bytes, whatever their suffix),
stdin and pipes (a FIFO, ``<(…)`` process substitution, which is ``/dev/fd/N``) are streamed in blocks cut at the
last newline; a gzip stream that ends early (or turns corrupt) yields what came before, like ``zcat``, and the
problem is reported where the data stops. Small inputs are read whole and batched, several to a job, so that ten
thousand small files cost about what their lines cost in one file.

Whether an input is JSON lines or one pretty-printed document is decided by content
(:func:`~trajdyn.analyzer.io._documents.looks_like_document`): a torn or garbage first line does not make a
JSON-lines file one unreadable document. A UTF-8 byte-order mark at the start is ignored.
"""

from __future__ import annotations

import errno
import glob
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final, Protocol, TypeAlias

from trajdyn._problems import InputProblem
from trajdyn.analyzer.io._decode import Job, Part
from trajdyn.analyzer.io._documents import BOM, LAYOUT_LINES, looks_like_document, parses_alone

__all__ = [
    "STDIN",
    "Input",
    "NamedFile",
    "Source",
    "SpanDocuments",
    "SpanStream",
    "batched_jobs",
    "expand",
    "parts",
    "walk_directory",
]

STDIN: Final = "-"
DIRECTORY_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".gz")
"""Files picked up (recursively) from a directory input."""
GZIP_MAGIC: Final = b"\x1f\x8b"
SMALL_INPUT_BYTES: Final = 1 << 20
"""Plain files up to this size are read whole by the reading process and batched with their neighbours."""
MAX_BATCH_PARTS: Final = 4096
_GLOB_CHARS: Final = frozenset("*?[")
_NON_SPACE: Final = re.compile(rb"\S")
_SCAN: Final = 1 << 20
_HEAD_EXTRA: Final = 4 << 20
"""Bytes read past an unreadable first line to see whether the next lines are OTLP documents on their own."""


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SpanDocuments:
    """OTLP/JSON documents already in memory (the requests :func:`trajdyn.formats.convert` gives for a foreign log):
    an input of :func:`~trajdyn.analyzer.read_spans` reported as ``name``, document k as its line k. Read without
    writing them out as text: the frames are those the same documents give as JSON lines in a file."""

    name: str
    documents: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class SpanStream:
    """A binary stream of OTLP/JSON (plain or gzip) read once, front to back, reported as ``name``: stdin whose
    first bytes were already read to detect its format, put back in front (:func:`trajdyn.analyzer.io.route`)."""

    name: str
    stream: _Readable


@dataclass(frozen=True, slots=True)
class NamedFile:
    """A file read under another name: a spooled copy of standard input (``path``) reported as ``name``
    (``<stdin>``), for the readers that need a whole file (result and sweep summaries)."""

    name: str
    path: Path


def file_name(item: str | NamedFile) -> str:
    """How a summary file is reported: its path as given, or a :class:`NamedFile`'s name."""
    return item.name if isinstance(item, NamedFile) else item


def file_path(item: str | NamedFile) -> str | Path:
    """Where a summary file is read from: its path as given, or a :class:`NamedFile`'s spooled copy."""
    return item.path if isinstance(item, NamedFile) else item


Input: TypeAlias = str | Path | SpanDocuments | SpanStream
"""One input of :func:`~trajdyn.analyzer.read_spans`: a path, a directory, a glob, ``-``, documents in memory, or a
stream."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input to read: ``name`` as reported (the path as given or found); ``path`` None for stdin and for
    documents in memory; ``size`` None for a stream (stdin, a FIFO or pipe, a character device), which is read once,
    front to back, and for documents in memory (``documents``)."""

    name: str
    path: str | None
    size: int | None
    documents: tuple[Mapping[str, Any], ...] | None = None
    stream: _Readable | None = None


def os_problem(exc: OSError) -> str:
    """A one-line description of why a path cannot be read, from the error number (never the message text)."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "no such file or directory"
    return f"cannot read: {_reason(exc)}"


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno is not None else type(exc).__name__


def _missing(path: str | Path) -> str:
    """Why ``path`` (which could not be stat'ed) is missing: a dangling symbolic link, or nothing at all."""
    return (
        "broken symbolic link (its target does not exist)" if Path(path).is_symlink() else "no such file or directory"
    )


def _sort_key(path: str) -> tuple[str, ...]:
    return tuple(path.split(os.sep))  # noqa: PTH206 (the order of sorted pathlib paths, without building them)


def walk_directory(path: str | Path, *, every_file: bool = False) -> tuple[list[Source], list[InputProblem]]:
    """The regular files with a :data:`DIRECTORY_SUFFIXES` suffix under ``path``, sorted by path, and the problems.

    ``every_file``: every regular file whatever its name, but hidden ones (a name starting with ``.``), for
    detection by content; a pipe or device is then reported only when its name has a span-file suffix.

    A subdirectory that cannot be listed, a dangling symbolic link or a symbolic-link loop is a problem (never
    skipped silently); symbolic links to directories are not followed (as ``Path.rglob``); a FIFO or device with a
    matching name is reported and skipped (it would block a directory scan).
    """
    found: list[Source] = []
    problems: list[InputProblem] = []
    stack = [str(Path(path))]  # normalised as pathlib does (``runs/``, ``./runs`` → ``runs``): the names found
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError as exc:
            problems.append(InputProblem(directory, 0, f"cannot read directory: {_reason(exc)}"))
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink():
                    stack.append(entry.path)
                continue
            suffixed = entry.name.lower().endswith(DIRECTORY_SUFFIXES)
            if not suffixed and (not every_file or entry.name.startswith(".")):
                continue
            try:
                st = entry.stat()
            except OSError as exc:
                missing = exc.errno == errno.ENOENT
                problems.append(InputProblem(entry.path, 0, _missing(entry.path) if missing else os_problem(exc)))
                continue
            if stat.S_ISREG(st.st_mode):
                found.append(Source(entry.path, entry.path, st.st_size))
            elif suffixed:
                problems.append(
                    InputProblem(entry.path, 0, "not a regular file (a pipe or device): skipped in a directory")
                )
    found.sort(key=lambda s: _sort_key(s.name))
    problems.sort(key=lambda e: _sort_key(e.path))
    return found, problems


def expand(inputs: Input | Sequence[Input]) -> tuple[list[Source], list[InputProblem]]:
    """Expand the inputs in order; a missing path or a glob that matches nothing is an :class:`InputProblem`."""
    items: Sequence[Input] = [inputs] if isinstance(inputs, str | Path | SpanDocuments | SpanStream) else inputs
    sources: list[Source] = []
    errors: list[InputProblem] = []
    for item in items:
        if isinstance(item, SpanDocuments):
            sources.append(Source(item.name, None, None, tuple(item.documents)))
            continue
        if isinstance(item, SpanStream):
            sources.append(Source(item.name, None, None, stream=item.stream))
            continue
        text = str(item)
        if isinstance(item, str) and item == STDIN:
            sources.append(Source("<stdin>", None, None))
            continue
        path = Path(item)
        try:
            st = path.stat()
        except OSError as exc:
            if exc.errno == errno.ENOENT and isinstance(item, str) and _GLOB_CHARS & set(item):
                found_paths = glob.glob(item, recursive=True)  # noqa: PTH207 (absolute patterns too)
                matches = sorted(Path(m) for m in found_paths if Path(m).is_file())
                if not matches:
                    errors.append(InputProblem(text, 0, "no file matches this pattern"))
                sources.extend(Source(str(p), str(p), p.stat().st_size) for p in matches)
            else:
                errors.append(InputProblem(text, 0, _missing(path) if exc.errno == errno.ENOENT else os_problem(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            found, problems = walk_directory(path)
            if not found and not problems:
                errors.append(InputProblem(text, 0, f"directory has no {', '.join(DIRECTORY_SUFFIXES)} files"))
            sources.extend(found)
            errors.extend(problems)
        elif stat.S_ISREG(st.st_mode):
            sources.append(Source(text, text, st.st_size))
        elif stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
            sources.append(Source(text, text, None))  # a pipe (<(…) is /dev/fd/N) or a device: read as a stream
        else:
            errors.append(InputProblem(text, 0, "not a file, directory or pipe (a socket?): cannot read it"))
    return sources, errors


def _first_line_parses(head: bytes) -> bool:
    body = head[len(BOM) :] if head.startswith(BOM) else head
    stripped = body.lstrip()
    end = stripped.find(b"\n")
    return parses_alone(stripped if end < 0 else stripped[:end])


def _read_head(fh: _Readable) -> tuple[bytes, bool]:
    """Enough of the input to decide its layout, and whether that is all of it.

    The first line after some content; when it is not a JSON value by itself, also up to :data:`LAYOUT_LINES`
    more lines (at most :data:`_HEAD_EXTRA` more bytes), to tell a document from JSON lines with a torn first line.
    """
    buf = bytearray()
    content = -1  # where the first non-space byte is
    first_end = -1  # where the first line after it ends
    while first_end < 0:  # each block is scanned once (a first line of 100 MB costs its length, not its square)
        scanned = len(buf)
        block = fh.read(_SCAN)
        if not block:
            return bytes(buf), True
        buf += block
        if content < 0:
            found = _NON_SPACE.search(buf, scanned)
            content = -1 if found is None else found.start()
        if content >= 0:
            first_end = buf.find(b"\n", max(content, scanned))
    if _first_line_parses(bytes(buf)):
        return bytes(buf), False
    while buf.count(b"\n", first_end) <= LAYOUT_LINES and len(buf) - first_end < _HEAD_EXTRA:
        block = fh.read(_SCAN)
        if not block:
            return bytes(buf), True
        buf += block
    return bytes(buf), False


class _Prefixed:
    """A binary stream with the bytes already read from it put back in front (to sniff the gzip magic)."""

    def __init__(self, head: bytes, rest: _Readable) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(n)
        if n < 0:
            out, self.head = self.head + self.rest.read(), b""
            return out
        out, self.head = self.head[:n], self.head[n:]
        return out


class _Guarded:
    """Reads a stream until it ends or a read fails; ``problem`` then says what failed (the data before is kept)."""

    def __init__(self, fh: _Readable) -> None:
        self.fh = fh
        self.problem: str | None = None

    def read(self, n: int = -1) -> bytes:
        if self.problem is not None:
            return b""
        try:
            return self.fh.read(n)
        except EOFError:  # gzip: the compressed stream ends before its end-of-stream marker
            self.problem = "gzip data ends early (a truncated file): the lines before this point were read, like zcat"
        except zlib.error:
            self.problem = "corrupt gzip data from this point: the lines before it were read"
        except OSError as exc:
            reason = os_problem(exc).removeprefix("cannot read: ")
            self.problem = f"cannot read further ({reason}): the lines before this point were read"
        return b""


def _stream(fh: _Readable, index: int, name: str, chunk_bytes: int) -> Iterator[Part]:
    """Parts of a stream read front to back; a read that fails ends it: the data before, then the problem."""
    src = _Guarded(fh)
    head, eof = _read_head(src)
    if looks_like_document(head, eof):
        yield Part(index, name, "document", data=head if eof else head + src.read())
    else:
        pending = bytearray(head)
        scanned = 0  # pending[:scanned] holds no newline (a line longer than a block is scanned once)
        while True:
            if len(pending) >= chunk_bytes or eof:
                cut = len(pending) if eof else pending.rfind(b"\n", scanned) + 1
                scanned = len(pending)
                if cut > 0:
                    yield Part(index, name, data=bytes(pending[:cut]))
                    del pending[:cut]
                    scanned = len(pending)
                if eof:
                    break
            block = src.read(chunk_bytes)
            if not block:
                eof = True
            pending += block
    if src.problem is not None:
        yield Part(index, name, problem=src.problem)


class _Gunzip:
    """A gzip stream (one or more members) decompressed block by block with zlib.

    ``read`` returns what the compressed bytes so far decompress to, so a stream that ends early or turns corrupt
    yields its readable prefix before the error (as ``zcat`` does; ``gzip.GzipFile`` loses the last buffer):
    ``EOFError`` when the data ends inside a member, ``zlib.error`` for corrupt data.
    """

    def __init__(self, fh: _Readable) -> None:
        self.fh = fh
        self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def read(self, n: int = -1, /) -> bytes:
        limit = max(n, 0)
        while True:
            if self.d.unconsumed_tail:
                data = self.d.unconsumed_tail
            elif self.d.eof:  # a member ended: another may follow
                data = self.d.unused_data or self.fh.read(_SCAN)
                if not data.strip(b"\x00"):  # the end (zero padding is allowed after the last member)
                    return b""
                self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = self.fh.read(_SCAN)
                if not data:
                    raise EOFError("the compressed data ends inside a gzip member")
            out = self.d.decompress(data, limit)
            if out:
                return out


def _gzip_stream(fh: _Readable, index: int, name: str, chunk_bytes: int) -> Iterator[Part]:
    yield from _stream(_Gunzip(fh), index, name, chunk_bytes)


def _ranges(fh: BinaryIO, path: str, index: int, name: str, size: int, chunk_bytes: int) -> Iterator[Part]:
    head, eof = _read_head(fh)
    if looks_like_document(head, eof):
        fh.seek(0)
        yield Part(index, name, "document", data=fh.read())
        return
    start = 0
    while start < size:
        end = min(start + chunk_bytes, size)
        if end < size:
            fh.seek(end)
            while True:
                block = fh.read(_SCAN)
                if not block:
                    end = size
                    break
                nl = block.find(b"\n")
                if nl >= 0:
                    end += nl + 1
                    break
                end += len(block)
        yield Part(index, name, path=path, offset=start, length=end - start)
        start = end


def parts(source: Source, index: int, chunk_bytes: int) -> Iterator[Part]:
    """The decoding parts of one input, in input order; a problem reading it is a part with ``problem`` set."""
    name = source.name
    if source.documents is not None:
        yield Part(index, name, documents=source.documents)
        return
    if source.path is None:
        yield from _sniffed(sys.stdin.buffer if source.stream is None else source.stream, index, name, chunk_bytes)
        return
    try:
        fh = open(source.path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        yield Part(index, name, problem=os_problem(exc))
        return
    with fh:
        try:
            if source.size is None:  # a pipe or device: one pass, front to back
                yield from _sniffed(fh, index, name, chunk_bytes)
            elif source.size <= SMALL_INPUT_BYTES:
                data = fh.read()
                if data[:2] == GZIP_MAGIC:
                    yield from _gzip_stream(io.BytesIO(data), index, name, chunk_bytes)
                else:
                    yield Part(index, name, "auto", data=data)
            elif fh.read(2) == GZIP_MAGIC:
                fh.seek(0)
                yield from _gzip_stream(fh, index, name, chunk_bytes)
            else:
                fh.seek(0)
                yield from _ranges(fh, source.path, index, name, source.size, chunk_bytes)
        except OSError as exc:
            yield Part(index, name, problem=os_problem(exc))


def _sniffed(fh: _Readable, index: int, name: str, chunk_bytes: int) -> Iterator[Part]:
    """A stream that may be gzip'd: its first bytes are read, checked for the gzip magic, and put back."""
    try:
        magic = fh.read(2)
    except OSError as exc:
        yield Part(index, name, problem=os_problem(exc))
        return
    stream = _Prefixed(magic, fh)
    if magic == GZIP_MAGIC:
        yield from _gzip_stream(stream, index, name, chunk_bytes)
    else:
        yield from _stream(stream, index, name, chunk_bytes)


def batched_jobs(sources: Sequence[Source], chunk_bytes: int, first_index: int = 0) -> Iterator[Job]:
    """The jobs of all ``sources`` in input order: an input that is one small part joins its neighbours' batch.

    A batch holds whole inputs only, up to ``chunk_bytes`` bytes or :data:`MAX_BATCH_PARTS` inputs, and is
    yielded before any part of a later input, so results still arrive in input order.
    """
    batch: list[Part] = []
    size = 0
    for offset, source in enumerate(sources):
        it = parts(source, first_index + offset, chunk_bytes)
        first = next(it, None)
        if first is None:
            continue
        second = next(it, None)
        if second is None and first.nbytes < chunk_bytes:
            batch.append(first)
            size += first.nbytes
            if size >= chunk_bytes or len(batch) >= MAX_BATCH_PARTS:
                yield Job(batch)
                batch, size = [], 0
            continue
        if batch:
            yield Job(batch)
            batch, size = [], 0
        yield Job([first])
        if second is not None:
            yield Job([second])
            for part in it:
                yield Job([part])
    if batch:
        yield Job(batch)
