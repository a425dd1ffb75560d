"""One OTLP/JSON document (a line, or a whole pretty-printed file) → ``TracesData``, or why not.

:func:`decode_document` never raises anything but :class:`BadDocument`, whose message is ours: a JSON syntax or
encoding problem is classified by :func:`~trajdyn.analyzer.io._diagnose.diagnose` (by type and position, never by
msgspec's message text), a JSON value that is not OTLP is described by its shape. :func:`split_torn_line` recovers
the complete documents of a line on which a writer's unfinished fragment and its next batch were glued together
(a full disk, then space again); :func:`looks_like_document` decides by content whether a file is JSON lines or one
document, so that a torn or garbage first line does not make a JSON-lines file unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Final

import msgspec

from trajdyn.analyzer.io._diagnose import BOM, diagnose
from trajdyn.analyzer.io._otlp import TracesData

__all__ = [
    "BOM",
    "BadDocument",
    "convert_document",
    "decode_document",
    "looks_like_document",
    "parses_alone",
    "split_torn_line",
]

_DECODER: Final = msgspec.json.Decoder(TracesData)
_DOCUMENT_START: Final = re.compile(rb'\{\s*"resource_?[sS]pans"\s*:')
"""Where an OTLP traces document (camelCase or proto snake_case) starts: inside a JSON string the quotes would be
escaped, so this only matches the opening of an object."""
MAX_SEGMENTS: Final = 64
"""Documents looked for on one torn line (more fragments than this are reported with the last segment)."""
LAYOUT_LINES: Final = 8
"""Lines after an unreadable first line examined to tell a JSON-lines file from a pretty-printed document."""


class BadDocument(Exception):
    """A document (line) that yields no spans: ``message`` says why, ``line`` where (1-based within the text)."""

    def __init__(self, message: str, line: int = 1, *, torn: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.torn = torn


def _camelize(obj: object) -> object:
    if isinstance(obj, dict):
        return {_camel_key(k): _camelize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_camelize(e) for e in obj]
    return obj


def _camel_key(key: object) -> object:
    if not isinstance(key, str) or "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _describe(obj: object) -> str:
    if isinstance(obj, dict):
        keys = ", ".join(repr(k[:40]) for k in list(obj)[:5])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(obj, list):
        return "a JSON array"
    return f"a JSON {type(obj).__name__}"


def _undecodable(buf: bytes | memoryview) -> BadDocument:
    found = diagnose(buf)
    return BadDocument(found.message, found.line, torn=found.kind == "truncated")


def _too_deep() -> BadDocument:
    return BadDocument("JSON nested too deeply to decode (about a thousand levels or more)")


def decode_document(buf: bytes | memoryview) -> TracesData:
    """Decode one OTLP/JSON traces document (camelCase, or the proto snake_case field names as a fallback).

    A UTF-8 byte-order mark before it is ignored. Raises :class:`BadDocument` with a one-line reason for malformed
    or truncated JSON, invalid UTF-8, JSON nested too deeply, or valid JSON that is not an OTLP traces document.
    """
    try:
        return _DECODER.decode(buf)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: valid JSON of the wrong shape
        error: Exception = exc
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec 0.22 raised UnicodeDecodeError, 0.23 DecodeError
        if bytes(buf[:3]) == BOM:
            return decode_document(buf[3:])
        raise _undecodable(buf) from None
    except RecursionError:
        raise _too_deep() from None
    try:
        generic = msgspec.json.decode(buf)
    except (msgspec.DecodeError, UnicodeDecodeError):  # e.g. ``1 2``, ``1e999``: the typed decoder stopped earlier
        raise _undecodable(buf) from None
    except RecursionError:
        raise _too_deep() from None
    if isinstance(generic, dict) and "resource_spans" in generic and "resourceSpans" not in generic:
        try:
            return msgspec.convert(_camelize(generic), TracesData)
        except msgspec.ValidationError as exc:
            error = exc
    if isinstance(generic, dict) and ("resourceSpans" in generic or "resource_spans" in generic):
        raise BadDocument(f"malformed OTLP document: {error}")
    raise BadDocument(f'not an OTLP document: expected an object with "resourceSpans", got {_describe(generic)}')


def convert_document(obj: object) -> TracesData:
    """One OTLP/JSON traces document already in Python objects (a request dict, as the span formats build it), as
    :func:`decode_document` would decode its JSON text; raises :class:`BadDocument` when it is not one."""
    if isinstance(obj, Mapping):
        obj = dict(obj)
        if "resource_spans" in obj and "resourceSpans" not in obj:
            obj = _camelize(obj)
    try:
        return msgspec.convert(obj, TracesData)
    except msgspec.ValidationError as exc:
        if isinstance(obj, dict) and "resourceSpans" in obj:
            raise BadDocument(f"malformed OTLP document: {exc}") from None
        raise BadDocument(
            f'not an OTLP document: expected an object with "resourceSpans", got {_describe(obj)}'
        ) from None
    except RecursionError:
        raise _too_deep() from None


def _segments(line: bytes) -> Iterator[tuple[int, int]]:
    """``(start, end)`` byte ranges of ``line`` cut where an OTLP document opens (after the first byte)."""
    starts = [0]
    for match in _DOCUMENT_START.finditer(line, 1):
        starts.append(match.start())
        if len(starts) == MAX_SEGMENTS:
            break
    yield from zip(starts, [*starts[1:], len(line)], strict=True)


def split_torn_line(line: bytes) -> tuple[list[TracesData], BadDocument] | None:
    """The complete OTLP documents on a line that did not decode as a whole, or ``None`` when there are none.

    A writer interrupted mid-line (disk full, killed) leaves a fragment; if it writes again, its next document is
    glued onto that fragment on the same line. Every segment of the line that starts where a document opens is
    decoded on its own; the complete ones are kept and the others described in the returned :class:`BadDocument`.
    """
    segments = list(_segments(line))
    if len(segments) < 2:
        return None
    found: list[TracesData] = []
    skipped: list[tuple[int, int, BadDocument]] = []
    for start, end in segments:
        segment = line[start:end].strip()
        try:
            found.append(decode_document(segment))
        except BadDocument as exc:
            skipped.append((start, end - start, exc))
    if not found:
        return None
    if not skipped:
        return found, BadDocument(
            f"{len(found)} complete OTLP documents on one line (no newline between them); read all"
        )
    nbytes = sum(size for _, size, _ in skipped)
    what = (
        "an unfinished fragment"
        if len(skipped) == 1 and skipped[0][2].torn
        else f"{len(skipped)} unreadable fragment(s) (the first: {skipped[0][2].message})"
    )
    message = (
        f"torn line: skipped {what} of {nbytes:,} bytes and read the {len(found)} complete OTLP document(s) on the "
        "same line (a writer interrupted mid-line, e.g. by a full disk, then wrote again)"
    )
    return found, BadDocument(message)


def looks_like_document(head: bytes, complete: bool) -> bool:
    """Whether an input starting with ``head`` is one (pretty-printed) document rather than JSON lines.

    ``complete``: ``head`` is the whole input. A document starts with ``{`` (after a byte-order mark and white
    space) and its first line is not a JSON value on its own; but when one of the next :data:`LAYOUT_LINES` lines
    is an OTLP document by itself, the input is JSON lines whose first line is torn or garbage.
    """
    if head.startswith(BOM):
        head = head[len(BOM) :]
    stripped = head.lstrip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return False
    end = stripped.find(b"\n")
    if end < 0:
        return complete and not parses_alone(stripped)
    if parses_alone(stripped[:end]):
        return False
    rest = stripped[end + 1 :].split(b"\n")
    if not complete or (rest and not rest[-1].strip()):
        rest = rest[:-1]  # a last line that may be cut short by the end of ``head``
    checked = 0
    for line in rest:
        if not line.strip():
            continue
        try:
            decode_document(line)
        except BadDocument:
            pass
        else:
            return False
        checked += 1
        if checked == LAYOUT_LINES:
            break
    return True


def parses_alone(line: bytes) -> bool:
    """Whether ``line`` is a JSON value by itself."""
    try:
        msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return False
    return True
