"""Input expansion (paths, directories, globs, ``-``) and splitting inputs into decoding jobs.

A plain JSON-lines file is split at newline boundaries into byte ranges that a worker reads itself (the reading
process never holds the whole file). gzip files (detected by their magic bytes, whatever their suffix) and stdin
are streamed in blocks cut at the last newline. A file whose first non-space character is ``{`` or ``[`` and whose
first line is not a JSON value on its own is one pretty-printed document and is decoded whole.
"""

from __future__ import annotations

import glob
import gzip
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import msgspec

from trajdyn.analyzer.errors import ReadError
from trajdyn.analyzer.io._decode import Job

__all__ = ["STDIN", "Source", "expand", "jobs"]

STDIN: Final = "-"
DIRECTORY_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".gz")
"""Files picked up (recursively) from a directory input."""
GZIP_MAGIC: Final = b"\x1f\x8b"
_GLOB_CHARS: Final = frozenset("*?[")
_SCAN: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class Source:
    """One input to read: ``name`` as reported (the path as given or found), ``path`` None for stdin."""

    name: str
    path: Path | None
    size: int | None


def _file(path: Path) -> Source:
    return Source(str(path), path, path.stat().st_size)


def expand(inputs: str | Path | Sequence[str | Path]) -> tuple[list[Source], list[ReadError]]:
    """Expand the inputs in order; a missing path or a glob that matches nothing is a :class:`ReadError`."""
    items: Sequence[str | Path] = [inputs] if isinstance(inputs, str | Path) else inputs
    sources: list[Source] = []
    errors: list[ReadError] = []
    for item in items:
        text = str(item)
        if isinstance(item, str) and item == STDIN:
            sources.append(Source("<stdin>", None, None))
            continue
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DIRECTORY_SUFFIXES))
            if not found:
                errors.append(ReadError(text, 0, f"directory has no {', '.join(DIRECTORY_SUFFIXES)} files"))
            sources.extend(_file(p) for p in found)
        elif path.is_file():
            sources.append(_file(path))
        elif isinstance(item, str) and _GLOB_CHARS & set(item):
            found_paths = glob.glob(item, recursive=True)  # noqa: PTH207 (absolute patterns too)
            matches = sorted(Path(m) for m in found_paths if Path(m).is_file())
            if not matches:
                errors.append(ReadError(text, 0, "no file matches this pattern"))
            sources.extend(_file(p) for p in matches)
        else:
            errors.append(ReadError(text, 0, "no such file or directory"))
    return sources, errors


def _is_document(head: bytes, complete: bool) -> bool:
    """First non-space byte ``{``/``[`` and the first line does not parse alone → one whole document."""
    stripped = head.lstrip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return False
    end = stripped.find(b"\n")
    if end < 0:
        return complete and _parses(stripped) is False
    return _parses(stripped[:end]) is False


def _parses(line: bytes) -> bool:
    try:
        msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return True


def _read_head(fh: BinaryIO) -> tuple[bytes, bool]:
    """Read until the first newline after some content (or EOF); return the bytes and whether EOF was reached."""
    buf = bytearray()
    while True:
        block = fh.read(_SCAN)
        if not block:
            return bytes(buf), True
        buf += block
        if buf.strip() and b"\n" in buf.lstrip():
            return bytes(buf), False


def _stream(fh: BinaryIO, name: str, chunk_bytes: int) -> Iterator[Job]:
    head, eof = _read_head(fh)
    if _is_document(head, eof):
        yield Job(name, True, data=head + fh.read())
        return
    pending = bytearray(head)
    while True:
        if len(pending) >= chunk_bytes or eof:
            cut = len(pending) if eof else pending.rfind(b"\n") + 1
            if cut > 0:
                yield Job(name, False, data=bytes(pending[:cut]))
                del pending[:cut]
            if eof:
                return
        block = fh.read(chunk_bytes)
        if not block:
            eof = True
        pending += block


def _ranges(path: Path, name: str, size: int, chunk_bytes: int) -> Iterator[Job]:
    with path.open("rb") as fh:
        head, eof = _read_head(fh)
        if _is_document(head, eof):
            fh.seek(0)
            yield Job(name, True, data=fh.read())
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
            yield Job(name, False, path=str(path), offset=start, length=end - start)
            start = end


def jobs(source: Source, chunk_bytes: int) -> Iterator[Job]:
    """The decoding jobs of one input, in input order (raises ``OSError`` when it cannot be opened)."""
    if source.path is None:
        yield from _stream(sys.stdin.buffer, source.name, chunk_bytes)
        return
    with source.path.open("rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        with gzip.open(source.path, "rb") as gz:
            yield from _stream(gz, source.name, chunk_bytes)  # type: ignore[arg-type]
        return
    yield from _ranges(source.path, source.name, source.size or 0, chunk_bytes)
