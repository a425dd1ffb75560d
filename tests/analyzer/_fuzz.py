"""Mutations of real span dumps and the properties the reader must keep on them.

Shared by the ingest fuzz test (``tests/analyzer/io/test_fuzz.py``, a couple of thousand examples in CI) and
the longer ``benchmarks/fuzz_ingest.py`` run. A mutated input is written to a file and read with ``read_spans``
in this process (no subprocess per example).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import read_spans
from trajdyn.analyzer.io import normalize_id


def nested_value(levels: int, kind: str) -> bytes:
    """An OTLP/JSON AnyValue nested ``levels`` deep in ``kvlist`` or ``array`` values, around a string."""
    value = b'{"stringValue":"x"}'
    for _ in range(levels):
        if kind == "kvlist":
            value = b'{"kvlistValue":{"values":[{"key":"k","value":' + value + b"}]}}"
        else:
            value = b'{"arrayValue":{"values":[' + value + b"]}}"
    return value


TOKENS: tuple[bytes, ...] = (
    b"\xef\xbb\xbf",  # a UTF-8 byte-order mark
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xc3",  # a cut multi-byte character
    b"\xed\xa0\x80",  # a surrogate encoded in UTF-8 (invalid)
    b'"\\ud800"',
    b"1e999",
    b"-1e999",
    str(2**63).encode(),
    str(2**70).encode(),
    b"9" * 5000,  # more digits than Python converts by default
    b"NaN",
    b"Infinity",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"\\",
    b"1 2",
    b"\x1b[2J\x1b]0;title\x07",
    b'{"resourceSpans":',
    b'{"resourceSpans":[]}',
    b'{"resource_spans":[{"scope_spans":[{"spans":[{"name":"snake"}]}]}]}',
    nested_value(70, "kvlist"),
    nested_value(400, "kvlist"),
    nested_value(1200, "array"),
)
_VALUE: re.Pattern[bytes] = re.compile(
    rb'"(?:startTimeUnixNano|endTimeUnixNano|timeUnixNano|intValue|doubleValue|stringValue|boolValue|traceId|spanId'
    rb'|parentSpanId|kind|code|key)":("(?:[^"\\]|\\.)*"|[-0-9.eE+]+|true|false|\{)'
)


@dataclass(frozen=True)
class Case:
    """A mutated input: the bytes written, the plain (uncompressed) bytes, and whether gzip data was cut."""

    written: bytes
    plain: bytes
    cut_gzip: bool


Draw = Callable[[st.SearchStrategy[object]], object]


def _at(draw: Draw, data: bytes) -> int:
    return int(draw(st.integers(0, max(len(data) - 1, 0))))  # type: ignore[call-overload]


def _flip(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    if not data:
        return data
    i = _at(draw, data)
    return data[:i] + bytes([int(draw(st.integers(0, 255)))]) + data[i + 1 :]  # type: ignore[call-overload]


def _delete(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    i = _at(draw, data)
    return data[:i] + data[i + int(draw(st.integers(1, 300))) :]  # type: ignore[call-overload]


def _insert(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    i = _at(draw, data)
    token = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16)))
    return data[:i] + bytes(token) + data[i:]  # type: ignore[arg-type]


def _duplicate(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    i = _at(draw, data)
    j = min(len(data), i + int(draw(st.integers(1, 2000))))  # type: ignore[call-overload]
    return data[:j] + data[i:j] + data[j:]


def _truncate(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    return data[: _at(draw, data)]


def _splice(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    """Replace a line with a line of another dump (or of this one)."""
    lines = data.split(b"\n")
    other = bytes(draw(st.sampled_from(seeds))).split(b"\n")  # type: ignore[arg-type]
    lines[int(draw(st.integers(0, len(lines) - 1)))] = other[int(draw(st.integers(0, len(other) - 1)))]  # type: ignore[call-overload]
    return b"\n".join(lines)


def _value(draw: Draw, data: bytes, seeds: Sequence[bytes]) -> bytes:
    """Replace one JSON value of a known field (a time, an id, an attribute value) with a hostile token."""
    found = list(_VALUE.finditer(data))
    if not found:
        return data
    match = found[int(draw(st.integers(0, len(found) - 1)))]  # type: ignore[call-overload]
    token = bytes(draw(st.sampled_from(TOKENS)))  # type: ignore[arg-type]
    return data[: match.start(1)] + token + data[match.end(1) :]


MUTATIONS = (_flip, _delete, _insert, _duplicate, _truncate, _splice, _value, _value, _insert)


@st.composite
def cases(draw: Draw, seeds: Sequence[bytes]) -> Case:
    """A seed dump with one to four mutations, sometimes gzip'd (and sometimes the gzip data cut short)."""
    data = bytes(draw(st.sampled_from(seeds)))  # type: ignore[arg-type]
    for _ in range(int(draw(st.integers(1, 4)))):  # type: ignore[call-overload]
        mutate = draw(st.sampled_from(MUTATIONS))
        data = mutate(draw, data, seeds)  # type: ignore[operator]
    packing = draw(st.sampled_from(("plain", "plain", "plain", "gzip", "cut-gzip")))
    if packing == "plain":
        return Case(data, data, False)
    packed = gzip.compress(data, mtime=0)
    if packing == "gzip":
        return Case(packed, data, False)
    return Case(packed[: int(draw(st.integers(0, len(packed))))], data, True)  # type: ignore[call-overload]


def span_ids(line: bytes) -> set[tuple[str, str]]:
    """(trace id, span id) of every span with readable ids on an OTLP/JSON line, normalised as the reader does."""
    doc = json.loads(line)
    out: set[tuple[str, str]] = set()
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                trace, span = normalize_id(sp.get("traceId", ""), 16), normalize_id(sp.get("spanId", ""), 8)
                if trace is not None and span is not None:
                    out.add((trace, span))
    return out


def seed_index(seeds: Sequence[bytes]) -> dict[bytes, set[tuple[str, str]]]:
    """Every line of the seed dumps that holds spans → the ids of its spans."""
    index: dict[bytes, set[tuple[str, str]]] = {}
    for seed in seeds:
        for line in seed.split(b"\n"):
            line = line.strip()
            if line.startswith(b'{"resourceSpans"'):
                ids = span_ids(line)
                if ids:
                    index[line] = ids
    return index


def check(case: Case, path: Path, index: dict[bytes, set[tuple[str, str]]]) -> int:
    """Read ``case`` from ``path``; assert the reader's promises; return the number of spans read.

    Never raises; every problem is ``path:line: message`` with a line inside the input; and every line that is
    byte for byte a line of a seed dump has all its spans read (the reader resynchronises after anything).
    """
    path.write_bytes(case.written)
    data = read_spans(path, progress=False)
    n_lines = case.plain.count(b"\n") + 1
    for error in data.errors:
        assert error.path == str(path), error
        assert 0 <= error.line <= n_lines, error
        assert error.message and "\n" not in error.message, error
    frame = data.span_frame
    read = set(zip(frame[K.TRACE_ID].to_list(), frame[K.SPAN_ID].to_list(), strict=True))
    if not case.cut_gzip:
        for line in case.plain.split(b"\n"):
            expected = index.get(line.strip())
            if expected is not None:
                assert expected <= read, f"spans of an intact line were lost: {line[:120]!r}"
    return frame.height
