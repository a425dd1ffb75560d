"""Decode a block of OTLP/JSON (JSON lines or one document) into columnar polars frames.

One call handles one *chunk*: a run of whole lines of one input, or one whole document. It runs in the reading
process or in a worker process, so everything it returns is picklable and its line numbers are relative to the
chunk (1 = the chunk's first line); :mod:`._read` shifts them.

Attributes are decoded once per value into per-key Python lists sized to the chunk's span count, then each list
becomes one typed polars Series (measured faster than a long (row, key, value) table pivoted by polars). Ids are
normalised vectorised: the lower-case-hex fast path is a regex over the column, only the other (rare) values go
through Python.
"""

from __future__ import annotations

import base64
import binascii
import gc
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec
import polars as pl

from trajdyn import conventions as C
from trajdyn._values import canonical_value
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io._otlp import AnyValue, KeyValue, Span, TracesData

__all__ = [
    "ChunkResult",
    "Job",
    "decode_chunk",
    "normalize_id",
    "run_job",
    "span_schema",
]

SERVICE_NAME_KEY: Final = "service.name"  # OpenTelemetry resource semantic convention (not a trajdyn key)
ROW: Final = "_row"
"""Internal column of the events frame: the row of the owning span (chunk-local, then global)."""

_DECODER: Final = msgspec.json.Decoder(TracesData)
_JSON_ENCODER: Final = msgspec.json.Encoder()

_DTYPES: Final[dict[str, pl.DataType]] = {
    "string": pl.Utf8(),
    "int": pl.Int64(),
    "double": pl.Float64(),
    "bool": pl.Boolean(),
    "string[]": pl.List(pl.Utf8()),
}
_TYPE_WORDS: Final = {
    "string": "a string",
    "int": "an integer",
    "double": "a number",
    "bool": "a boolean",
    "string[]": "an array of strings",
}
_TYPES: Final[dict[str, str]] = dict(C.ATTRIBUTE_TYPES)

_KIND_NAMES: Final = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS_NAMES: Final = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}

_HEX_TRACE: Final = r"^[0-9a-f]{32}$"
_HEX_SPAN: Final = r"^[0-9a-f]{16}$"
_HEX_RE: Final = re.compile(r"[0-9a-fA-F]+")
_B64_RE: Final = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_BYTE_RE: Final = re.compile(r"\(byte (\d+)\)")


def span_schema() -> dict[str, pl.DataType]:
    """The fixed and typed columns of the spans frame, in order (``trajdyn.metrics.*`` columns come after)."""
    schema: dict[str, pl.DataType] = {
        K.TRACE_ID: pl.Utf8(),
        K.SPAN_ID: pl.Utf8(),
        K.PARENT_SPAN_ID: pl.Utf8(),
        K.NAME: pl.Utf8(),
        K.KIND: pl.Int8(),
        K.START_NS: pl.Int64(),
        K.END_NS: pl.Int64(),
        K.STATUS_CODE: pl.Int8(),
        K.STATUS_MESSAGE: pl.Utf8(),
        K.SERVICE_NAME: pl.Utf8(),
        K.RESOURCE: pl.Utf8(),
        K.SCOPE_NAME: pl.Utf8(),
        K.SCOPE_VERSION: pl.Utf8(),
    }
    schema.update({key: _DTYPES[t] for key, t in _TYPES.items()})
    schema[K.ATTRIBUTES] = pl.Utf8()
    schema[K.SOURCE] = pl.Utf8()
    schema[K.LINE] = pl.Int64()
    return schema


def event_schema() -> dict[str, pl.DataType]:
    """Columns of a chunk's events frame before the span ids are attached."""
    schema: dict[str, pl.DataType] = {ROW: pl.Int64(), K.EVENT_NAME: pl.Utf8(), K.TIME_NS: pl.Int64()}
    schema.update({key: _DTYPES[t] for key, t in _TYPES.items()})
    schema[K.ATTRIBUTES] = pl.Utf8()
    return schema


# ---------------------------------------------------------------------------------------------------------------
# ids
# ---------------------------------------------------------------------------------------------------------------
def normalize_id(raw: str, nbytes: int) -> str | None:
    """Return an OTLP id as lower-case hex, or ``None`` when it is empty, all zeros or unreadable.

    Hex (any case) of ``2·nbytes`` digits is taken as hex; otherwise base64 (standard or URL-safe alphabet,
    padding optional) that decodes to exactly ``nbytes`` bytes (the protobuf JSON mapping of ``bytes``). The two
    cannot be confused: 16 bytes are 32 hex digits or 22–24 base64 characters, 8 bytes 16 or 11–12.
    """
    s = raw.strip()
    if len(s) == 2 * nbytes and _HEX_RE.fullmatch(s):
        out = s.lower()
    elif _B64_RE.fullmatch(s):
        body = s.rstrip("=").replace("-", "+").replace("_", "/")
        try:
            decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(decoded) != nbytes:
            return None
        out = decoded.hex()
    else:
        return None
    return None if out.strip("0") == "" else out


# ---------------------------------------------------------------------------------------------------------------
# attribute values
# ---------------------------------------------------------------------------------------------------------------
class _Mismatch(Exception):
    """A value that cannot be converted losslessly to the key's type."""


def any_to_python(v: AnyValue | None) -> object:
    """The plain Python (JSON-ready) value of an AnyValue; bytes stay base64 text, 64-bit ints become ints."""
    if v is None:
        return None
    if v.string_value is not None:
        return v.string_value
    if v.bool_value is not None:
        return v.bool_value
    if v.int_value is not None:
        x = v.int_value
        if isinstance(x, str):
            try:
                return int(x)
            except ValueError:
                return x
        return x
    if v.double_value is not None:
        d = v.double_value
        if isinstance(d, str):
            try:
                return float(d)
            except ValueError:
                return d
        return d
    if v.array_value is not None:
        return [any_to_python(e) for e in v.array_value.values]
    if v.kvlist_value is not None:
        return {kv.key: any_to_python(kv.value) for kv in v.kvlist_value.values}
    if v.bytes_value is not None:
        return v.bytes_value
    return None


def _is_empty(v: AnyValue) -> bool:
    return (
        v.string_value is None
        and v.bool_value is None
        and v.int_value is None
        and v.double_value is None
        and v.array_value is None
        and v.kvlist_value is None
        and v.bytes_value is None
    )


def _to_int(v: AnyValue) -> int | None:
    x = v.int_value
    if x is not None:
        try:
            n = int(x)
        except ValueError:
            raise _Mismatch from None
    elif v.double_value is not None:
        d = _double_of(v.double_value)
        if not (math.isfinite(d) and d.is_integer()):
            raise _Mismatch
        n = int(d)
    elif v.string_value is not None:
        try:
            n = int(v.string_value.strip())
        except ValueError:
            raise _Mismatch from None
    elif _is_empty(v):
        return None
    else:
        raise _Mismatch
    if not -(2**63) <= n < 2**63:
        raise _Mismatch
    return n


def _double_of(x: float | str) -> float:
    if isinstance(x, float):
        return x
    try:
        return float(x)  # proto JSON spells "NaN", "Infinity", "-Infinity"
    except ValueError:
        raise _Mismatch from None


def _to_double(v: AnyValue) -> float | None:
    if v.double_value is not None:
        return _double_of(v.double_value)
    if v.int_value is not None:
        try:
            return float(int(v.int_value))
        except ValueError:
            raise _Mismatch from None
    if v.string_value is not None:
        try:
            return float(v.string_value.strip())
        except ValueError:
            raise _Mismatch from None
    if _is_empty(v):
        return None
    raise _Mismatch


def _to_bool(v: AnyValue) -> bool | None:
    if v.bool_value is not None:
        return v.bool_value
    if v.string_value is not None and v.string_value.strip().lower() in ("true", "false"):
        return v.string_value.strip().lower() == "true"
    if _is_empty(v):
        return None
    raise _Mismatch


def _to_str(v: AnyValue) -> str | None:
    if v.string_value is not None:
        return v.string_value
    if v.bool_value is not None:
        return "true" if v.bool_value else "false"
    if v.int_value is not None:
        n = _to_int(v)
        return None if n is None else str(n)
    if v.double_value is not None:
        return canonical_value(_double_of(v.double_value))
    if _is_empty(v):
        return None
    raise _Mismatch


def _to_str_list(v: AnyValue) -> list[str | None] | None:
    if v.array_value is not None:
        return [_to_str(e) for e in v.array_value.values]
    if _is_empty(v):
        return None
    raise _Mismatch


_COERCE: Final[dict[str, Callable[[AnyValue], object]]] = {
    "string": _to_str,
    "int": _to_int,
    "double": _to_double,
    "bool": _to_bool,
    "string[]": _to_str_list,
}


class _AttrColumns:
    """Per-key value lists for ``n`` rows: typed keys, ``trajdyn.metrics.*`` keys, and the JSON of the others.

    Measured faster than flattening to a long (row, key, value) table and pivoting it in polars, and than leaving
    the values raw for polars to parse: the per-attribute work here is a dict lookup and an attribute read.
    """

    __slots__ = ("cols", "n", "other", "warnings")

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, list[object]] = {}
        self.other: list[str | None] = [None] * n
        self.warnings: list[tuple[int, str]] = []

    def add(self, row: int, line: int, attrs: list[KeyValue]) -> None:
        """Record the attributes of row ``row`` (from relative line ``line``, for warnings)."""
        extra: dict[str, object] | None = None
        cols = self.cols
        for kv in attrs:
            key = kv.key
            v = kv.value
            t = _TYPES.get(key)
            if t is None:
                if key.startswith(C.METRICS_PREFIX):
                    t = "double"
                else:
                    if extra is None:
                        extra = {}
                    extra[key] = any_to_python(v)
                    continue
            if v is None:
                continue
            x: object
            if t == "string":
                x = v.string_value
                if x is None:
                    x = self._slow(t, key, v, line)
            elif t == "int":
                x = v.int_value
                if type(x) is str:
                    try:
                        x = int(x)
                    except ValueError:
                        x = self._slow(t, key, v, line)
                elif type(x) is not int:
                    x = self._slow(t, key, v, line)
            elif t == "double":
                x = v.double_value
                if type(x) is not float:
                    x = self._slow(t, key, v, line)
            elif t == "bool":
                x = v.bool_value
                if x is None:
                    x = self._slow(t, key, v, line)
            else:
                x = self._slow(t, key, v, line)
            col = cols.get(key)
            if col is None:
                col = cols[key] = [None] * self.n
            col[row] = x
        if extra is not None:
            self.other[row] = _JSON_ENCODER.encode(extra).decode()

    def _slow(self, t: str, key: str, v: AnyValue, line: int) -> object:
        try:
            return _COERCE[t](v)
        except _Mismatch:
            got = _JSON_ENCODER.encode(any_to_python(v)).decode()
            self.warnings.append(
                (line, f"expected {key} to be {_TYPE_WORDS[t]}, got {got}; kept the span, value set to null")
            )
            return None

    def missing(self) -> list[pl.Expr]:
        """All-null literal columns for the conventions keys that no row has (cheap: polars keeps them as scalars)."""
        return [pl.lit(None, dtype=_DTYPES[t]).alias(key) for key, t in _TYPES.items() if key not in self.cols]

    def series(self) -> list[pl.Series]:
        """The typed columns present, the ``trajdyn.metrics.*`` columns (sorted), then ``attributes``."""
        out: list[pl.Series] = []
        for key, t in _TYPES.items():
            col = self.cols.get(key)
            if col is not None:
                out.append(pl.Series(key, col, dtype=_DTYPES[t], strict=False))
        for key in sorted(k for k in self.cols if k not in _TYPES):
            out.append(pl.Series(key, self.cols[key], dtype=pl.Float64, strict=False))
        out.append(pl.Series(K.ATTRIBUTES, self.other, dtype=pl.Utf8))
        return out


# ---------------------------------------------------------------------------------------------------------------
# documents
# ---------------------------------------------------------------------------------------------------------------
class _BadDocument(Exception):
    """A document (line) that yields no spans; the message says why."""


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
        keys = ", ".join(repr(k) for k in list(obj)[:5])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(obj, list):
        return "a JSON array"
    return f"a JSON {type(obj).__name__}"


def decode_document(buf: bytes | memoryview) -> TracesData:
    """Decode one OTLP/JSON traces document (camelCase, or the proto snake_case field names as a fallback).

    Raises ``_BadDocument`` with a one-line reason for malformed JSON, invalid UTF-8, or valid JSON that is not an
    OTLP traces document.
    """
    try:
        return _DECODER.decode(buf)
    except msgspec.ValidationError as exc:
        error: Exception = exc
    except msgspec.DecodeError as exc:
        text = str(exc)
        if "truncated" in text:
            raise _BadDocument("truncated JSON (the writer was probably killed mid-line)") from None
        raise _BadDocument(f"malformed JSON: {text}") from None
    except UnicodeDecodeError as exc:
        raise _BadDocument(f"invalid UTF-8 ({exc.reason} at byte {exc.start})") from None
    generic = msgspec.json.decode(buf)
    if isinstance(generic, dict) and "resource_spans" in generic and "resourceSpans" not in generic:
        try:
            return msgspec.convert(_camelize(generic), TracesData)
        except msgspec.ValidationError as exc:
            error = exc
    if isinstance(generic, dict) and ("resourceSpans" in generic or "resource_spans" in generic):
        raise _BadDocument(f"malformed OTLP document: {error}")
    raise _BadDocument(f'not an OTLP document: expected an object with "resourceSpans", got {_describe(generic)}')


def _int_field(x: int | str, what: str, warnings: list[tuple[int, str]], line: int) -> int | None:
    if type(x) is int:
        return x
    try:
        return int(x)
    except ValueError:
        warnings.append((line, f"expected {what} to be an integer, got {x!r}; set to null"))
        return None


def _enum_field(x: int | str, names: dict[str, int], what: str, warnings: list[tuple[int, str]], line: int) -> int:
    if type(x) is int:
        return x
    s = str(x).strip()
    if s.upper() in names:
        return names[s.upper()]
    try:
        return int(s)
    except ValueError:
        warnings.append((line, f"unknown {what} {x!r}; read as 0"))
        return 0


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What decoding one chunk gives: frames with chunk-relative ``line`` / ``_row``, problems, lines consumed."""

    spans: pl.DataFrame
    events: pl.DataFrame
    errors: list[tuple[int, str]]
    n_lines: int
    n_documents: int


def _int_column(
    name: str, values: list[int | str], what: str, lines: list[int], warnings: list[tuple[int, str]]
) -> pl.Series:
    """64-bit integers written as strings (the spec) or numbers: parsed vectorised, the odd value in Python."""
    try:
        text = pl.Series(name, values, dtype=pl.Utf8, strict=True)
    except TypeError:
        return pl.Series(
            name, [_int_field(v, what, warnings, ln) for v, ln in zip(values, lines, strict=True)], dtype=pl.Int64
        )
    parsed = text.str.to_integer(strict=False)
    if parsed.null_count():
        for i in (parsed.is_null() & text.is_not_null()).arg_true().to_list():
            warnings.append((lines[i], f"expected {what} to be an integer, got {values[i]!r}; set to null"))
    return parsed


def _small_int_column(
    name: str,
    values: list[int | str],
    names: dict[str, int],
    what: str,
    lines: list[int],
    warnings: list[tuple[int, str]],
) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=pl.Int8, strict=True)
    except (TypeError, OverflowError, pl.exceptions.PolarsError):
        fixed = [_enum_field(v, names, what, warnings, ln) for v, ln in zip(values, lines, strict=True)]
        return pl.Series(name, fixed, dtype=pl.Int8, strict=False)


def _repeated(name: str, values: list[str]) -> pl.Series:
    """A string column whose values repeat (trace ids, parent ids, names): each distinct string is stored once.

    The column is a gather of its distinct values, so rows share their bytes instead of copying them (a 32-digit
    trace id costs its 16-byte view per row, not 48 bytes).
    """
    index: dict[str, int] = {}
    setdefault = index.setdefault
    codes = [setdefault(v, len(index)) for v in values]
    if len(index) * 2 > len(values):
        return pl.Series(name, values, dtype=pl.Utf8)
    return pl.Series(name, list(index), dtype=pl.Utf8).gather(pl.Series(codes, dtype=pl.UInt32))


def _frames(
    docs: list[tuple[int, TracesData]], source: str
) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[int, str]]]:
    warnings: list[tuple[int, str]] = []
    all_spans: list[Span] = []
    lines: list[int] = []
    # one row per ScopeSpans (service, resource, scope name, scope version); spans point at theirs by index
    groups: list[tuple[str | None, str | None, str | None, str | None]] = []
    group_of: list[int] = []
    for line, doc in docs:
        for rs in doc.resource_spans:
            service: str | None = None
            resource: str | None = None
            if rs.resource is not None and rs.resource.attributes:
                rattrs = {kv.key: any_to_python(kv.value) for kv in rs.resource.attributes}
                s = rattrs.pop(SERVICE_NAME_KEY, None)
                service = None if s is None else str(s)
                resource = _JSON_ENCODER.encode(rattrs).decode() if rattrs else None
            for ss in rs.scope_spans:
                k = len(ss.spans)
                scope = ss.scope
                group_of.extend([len(groups)] * k)
                groups.append(
                    (
                        service,
                        resource,
                        (scope.name or None) if scope is not None else None,
                        (scope.version or None) if scope is not None else None,
                    )
                )
                all_spans.extend(ss.spans)
                lines.extend([line] * k)
    attrs = _AttrColumns(len(all_spans))
    add = attrs.add
    for row, sp in enumerate(all_spans):
        if sp.attributes:
            add(row, lines[row], sp.attributes)
    statuses = [sp.status for sp in all_spans]
    ev_pairs = [(row, ev) for row, sp in enumerate(all_spans) if sp.events for ev in sp.events]
    ev_rows = [row for row, _ in ev_pairs]
    ev_lines = [lines[row] for row in ev_rows]
    warnings.extend(attrs.warnings)
    group_rows = pl.Series("_g", group_of, dtype=pl.UInt32)
    per_group = pl.DataFrame(
        groups,
        schema={K.SERVICE_NAME: pl.Utf8, K.RESOURCE: pl.Utf8, K.SCOPE_NAME: pl.Utf8, K.SCOPE_VERSION: pl.Utf8},
        orient="row",
    )[group_rows]
    spans = pl.DataFrame(
        [
            _repeated(K.TRACE_ID, [sp.trace_id for sp in all_spans]),
            pl.Series(K.SPAN_ID, [sp.span_id for sp in all_spans], dtype=pl.Utf8),
            _repeated(K.PARENT_SPAN_ID, [sp.parent_span_id for sp in all_spans]),
            _repeated(K.NAME, [sp.name for sp in all_spans]),
            _small_int_column(K.KIND, [sp.kind for sp in all_spans], _KIND_NAMES, "span kind", lines, warnings),
            _int_column(
                K.START_NS, [sp.start_time_unix_nano for sp in all_spans], "startTimeUnixNano", lines, warnings
            ),
            _int_column(K.END_NS, [sp.end_time_unix_nano for sp in all_spans], "endTimeUnixNano", lines, warnings),
            _small_int_column(
                K.STATUS_CODE,
                [0 if st is None else st.code for st in statuses],
                _STATUS_NAMES,
                "status code",
                lines,
                warnings,
            ),
            pl.Series(K.STATUS_MESSAGE, [None if st is None else st.message or None for st in statuses], dtype=pl.Utf8),
            *per_group.get_columns(),
            *attrs.series(),
            pl.Series(K.LINE, lines, dtype=pl.Int64),
        ]
    ).with_columns(pl.lit(source, dtype=pl.Utf8).alias(K.SOURCE))
    spans, id_warnings = _normalize_ids(spans)
    warnings.extend(id_warnings)
    ev_attrs = _AttrColumns(len(ev_rows))
    for i, (_, ev) in enumerate(ev_pairs):
        if ev.attributes:
            ev_attrs.add(i, ev_lines[i], ev.attributes)
    warnings.extend(ev_attrs.warnings)
    events = pl.DataFrame(
        [
            pl.Series(ROW, ev_rows, dtype=pl.Int64),
            pl.Series(K.EVENT_NAME, [ev.name for _, ev in ev_pairs], dtype=pl.Utf8),
            _int_column(K.TIME_NS, [ev.time_unix_nano for _, ev in ev_pairs], "timeUnixNano", ev_lines, warnings),
            *ev_attrs.series(),
        ]
    ).with_columns(ev_attrs.missing())
    return spans, events, warnings


def _normalize_ids(spans: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Lower-case-hex ids pass (vectorised regex); the rest go through :func:`normalize_id`; bad ones → null."""
    warnings: list[tuple[int, str]] = []
    exprs: list[pl.Expr] = []
    ok_exprs: dict[str, pl.Expr] = {}
    for col, nbytes, pattern in (
        (K.TRACE_ID, 16, _HEX_TRACE),
        (K.SPAN_ID, 8, _HEX_SPAN),
        (K.PARENT_SPAN_ID, 8, _HEX_SPAN),
    ):
        ok = pl.col(col).str.contains(pattern) & (pl.col(col).str.strip_chars("0") != "")
        ok_exprs[col] = ok
        others = spans.filter(~ok)[col].unique().to_list()
        if not others:
            continue
        fixed = [normalize_id(v, nbytes) for v in others]
        exprs.append(
            pl.when(ok)
            .then(pl.col(col))
            .otherwise(pl.col(col).replace_strict(others, fixed, default=None, return_dtype=pl.Utf8))
            .alias(col)
        )
    if not exprs:
        return spans, warnings
    bad = spans.filter(~ok_exprs[K.TRACE_ID] | ~ok_exprs[K.SPAN_ID] | ~ok_exprs[K.PARENT_SPAN_ID]).select(
        K.LINE, K.NAME, K.TRACE_ID, K.SPAN_ID, K.PARENT_SPAN_ID
    )
    spans = spans.with_columns(exprs)
    for line, name, trace_id, span_id, parent in bad.iter_rows():
        problems = []
        for label, raw, nbytes in (("traceId", trace_id, 16), ("spanId", span_id, 8)):
            if normalize_id(raw, nbytes) is None:
                problems.append(f"an empty {label}" if raw == "" else f"an invalid {label} {raw!r}")
        if parent and normalize_id(parent, 8) is None and parent.strip("0") != "":
            problems.append(f"an invalid parentSpanId {parent!r} (read as a root span)")
        if problems:
            warnings.append((line, f"span {name!r} has {' and '.join(problems)}; kept the span with that id null"))
    return spans, warnings


def decode_chunk(data: bytes | memoryview, *, source: str, document: bool) -> ChunkResult:
    """Decode whole JSON lines (or, with ``document``, one whole document) into frames; never raises on bad input.

    The cyclic garbage collector is paused while the chunk is decoded: the decoded documents are acyclic, and
    collections triggered by their many small lists otherwise cost a third of the decoding time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode_chunk(data, source=source, document=document)
    finally:
        if was_enabled:
            gc.enable()


def _decode_chunk(data: bytes | memoryview, *, source: str, document: bool) -> ChunkResult:
    errors: list[tuple[int, str]] = []
    docs: list[tuple[int, TracesData]] = []
    raw = bytes(data)
    if document:
        n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
        try:
            docs.append((1, decode_document(raw)))
        except _BadDocument as exc:
            at = _BYTE_RE.search(str(exc))  # report the line of a syntax error inside a pretty-printed document
            errors.append((raw.count(b"\n", 0, int(at.group(1))) + 1 if at else 1, str(exc)))
    else:
        parts = raw.split(b"\n")
        if parts and parts[-1] == b"":
            parts.pop()
        n_lines = len(parts)
        for i, part in enumerate(parts, start=1):
            if not part.strip():
                continue
            try:
                docs.append((i, decode_document(part)))
            except _BadDocument as exc:
                errors.append((i, str(exc)))
    spans, events, warnings = _frames(docs, source)
    errors.extend(warnings)
    errors.sort(key=lambda e: e[0])
    return ChunkResult(spans, events, errors, n_lines, len(docs))


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of decoding work: a byte range of a plain file (read by the worker) or bytes in hand."""

    source: str
    document: bool
    path: str | None = None
    offset: int = 0
    length: int = 0
    data: bytes | None = None

    @property
    def nbytes(self) -> int:
        """Input bytes this job covers (for progress)."""
        return len(self.data) if self.data is not None else self.length


def run_job(job: Job) -> ChunkResult:
    """Read (if needed) and decode one job; the entry point of worker processes."""
    if job.data is not None:
        return decode_chunk(job.data, source=job.source, document=job.document)
    assert job.path is not None
    with Path(job.path).open("rb") as fh:
        fh.seek(job.offset)
        data = fh.read(job.length)
    return decode_chunk(data, source=job.source, document=job.document)
