"""Decode jobs of OTLP/JSON (runs of JSON lines, whole documents, batches of small inputs) into columnar frames.

One call decodes one :class:`Job`: one or more :class:`Part` s, each a run of whole lines of one input, one whole
document, or a whole small input (many small files are batched into one job, so that each costs its lines and not
a polars frame of its own). It runs in the reading process or in a worker process, so everything it returns is
picklable and line numbers are relative to their part (1 = the part's first line); :mod:`._read` shifts them.

Attribute values are turned into typed columns by :mod:`._attributes`; documents are decoded (and a line that is
not one explained) by :mod:`._documents`. Ids are normalised vectorised: the lower-case-hex fast path is a regex
over the column, only the other (rare) values go through Python.
"""

from __future__ import annotations

import base64
import binascii
import gc
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import msgspec
import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io._attributes import (
    DTYPES,
    MAX_VALUE_DEPTH,
    TYPES,
    AttrColumns,
    ValueTooDeep,
    any_to_python,
    excerpt,
)
from trajdyn.analyzer.io._containers import HEAD_BYTES, read_container, sniff_container
from trajdyn.analyzer.io._documents import (
    BadDocument,
    convert_document,
    decode_document,
    looks_like_document,
    split_torn_line,
)
from trajdyn.analyzer.io._otlp import Event, KeyValue, Span, TracesData

__all__ = [
    "ChunkResult",
    "Job",
    "Part",
    "decode_chunk",
    "normalize_id",
    "run_job",
    "span_schema",
]

SERVICE_NAME_KEY: Final = "service.name"  # OpenTelemetry resource semantic convention (not a trajdyn key)
ROW: Final = "_row"
"""Internal column of the events frame: the row of the owning span (chunk-local, then global)."""

_JSON_ENCODER: Final = msgspec.json.Encoder()

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
_I64: Final = (-(2**63), 2**63 - 1)
_I8: Final = (-128, 127)


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
    schema.update({key: DTYPES[t] for key, t in TYPES.items()})
    schema[K.ATTRIBUTES] = pl.Utf8()
    schema[K.SOURCE] = pl.Utf8()
    schema[K.LINE] = pl.Int64()
    return schema


def event_schema() -> dict[str, pl.DataType]:
    """Columns of a chunk's events frame before the span ids are attached."""
    schema: dict[str, pl.DataType] = {ROW: pl.Int64(), K.EVENT_NAME: pl.Utf8(), K.TIME_NS: pl.Int64()}
    schema.update({key: DTYPES[t] for key, t in TYPES.items()})
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


Warnings = list[tuple[int, str]]
"""``(row, message)``: a problem found in span row ``row`` of the job (mapped to its part and line at the end)."""


def _int_field(x: int | str, what: str, warnings: Warnings, row: int) -> int | None:
    try:
        n = x if type(x) is int else int(x)
    except ValueError:
        warnings.append((row, f"expected {what} to be an integer, got {excerpt(repr(x))}; set to null"))
        return None
    if not _I64[0] <= n <= _I64[1]:
        warnings.append((row, f"expected {what} to be a 64-bit integer, got {excerpt(str(n))}; set to null"))
        return None
    return n


def _enum_field(x: int | str, names: dict[str, int], what: str, warnings: Warnings, row: int) -> int:
    if type(x) is int:
        n = x
    else:
        s = str(x).strip()
        if s.upper() in names:
            return names[s.upper()]
        try:
            n = int(s)
        except ValueError:
            warnings.append((row, f"unknown {what} {excerpt(repr(x))}; read as 0"))
            return 0
    if not _I8[0] <= n <= _I8[1]:
        warnings.append((row, f"unknown {what} {excerpt(str(n))}; read as 0"))
        return 0
    return n


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of one input to decode: a run of whole lines, one whole document, or a whole (small) input.

    ``index``: the input's position in the reader's list of inputs; ``source``: its name. ``layout``: ``lines``,
    ``document``, or ``auto`` (a whole input: decide by content). The bytes are in ``data``, or are the byte range
    ``offset``/``length`` of the plain file ``path``, read by the decoder itself. ``documents``: instead of bytes,
    OTLP/JSON documents already in memory (an imported log: document k counts as line k). ``problem``: a problem
    met while reading the input at this point (e.g. a gzip stream that ends early), and no data.
    """

    index: int
    source: str
    layout: Literal["lines", "document", "auto"] = "lines"
    path: str | None = None
    offset: int = 0
    length: int = 0
    data: bytes | None = None
    problem: str | None = None
    documents: tuple[Mapping[str, Any], ...] | None = None

    @property
    def nbytes(self) -> int:
        """Input bytes this part covers (for progress)."""
        return len(self.data) if self.data is not None else self.length

    def read(self) -> bytes:
        """The part's bytes (reading its range of ``path`` when they are not in hand)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            return b""
        with Path(self.path).open("rb") as fh:
            fh.seek(self.offset)
            return fh.read(self.length)


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of decoding work: its parts, decoded together into one pair of frames."""

    parts: list[Part]

    @property
    def nbytes(self) -> int:
        """Input bytes this job covers (for progress)."""
        return sum(p.nbytes for p in self.parts)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What decoding one job gives.

    ``spans``: rows in part order, ``line`` relative to the row's part; ``events``: ``_row`` is the owning span's
    row. ``errors``: ``(part, line, message)`` in order. ``counts``: per part, ``(lines, documents, spans)``.
    ``spills``: ``(part, line, key)`` where a part first met a ``trajdyn.metrics.*`` key beyond the column cap.
    """

    spans: pl.DataFrame
    events: pl.DataFrame
    errors: list[tuple[int, int, str]]
    counts: list[tuple[int, int, int]]
    spills: list[tuple[int, int, str]]


def _int_column(name: str, values: list[int | str], what: str, warnings: Warnings, rows: Sequence[int]) -> pl.Series:
    """64-bit integers written as strings (the spec) or numbers: parsed vectorised, the odd value in Python.

    ``rows``: the span row of each value (for warnings). A number outside 64 bits becomes null with a warning.
    """
    try:
        text = pl.Series(name, values, dtype=pl.Utf8, strict=True)
    except TypeError:
        return pl.Series(
            name, [_int_field(v, what, warnings, r) for v, r in zip(values, rows, strict=True)], dtype=pl.Int64
        )
    parsed = text.str.to_integer(strict=False)
    if parsed.null_count():
        for i in (parsed.is_null() & text.is_not_null()).arg_true().to_list():
            warnings.append(
                (rows[i], f"expected {what} to be a 64-bit integer, got {excerpt(repr(values[i]))}; set to null")
            )
    return parsed


def _small_int_column(
    name: str, values: list[int | str], names: dict[str, int], what: str, warnings: Warnings
) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=pl.Int8, strict=True)
    except (TypeError, OverflowError, pl.exceptions.PolarsError):
        fixed = [_enum_field(v, names, what, warnings, row) for row, v in enumerate(values)]
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


def _resource(rs_attrs: list[KeyValue], notes: list[str]) -> tuple[str | None, str | None]:
    """(service.name, JSON of the other resource attributes) of one ResourceSpans."""
    rattrs: dict[str, object] = {}
    for kv in rs_attrs:
        try:
            rattrs[kv.key] = any_to_python(kv.value)
        except ValueTooDeep:
            rattrs[kv.key] = None
            notes.append(
                f"resource attribute {excerpt(kv.key)!r} is nested deeper than {MAX_VALUE_DEPTH} levels; set to null"
            )
    s = rattrs.pop(SERVICE_NAME_KEY, None)
    return (None if s is None else str(s)), (_JSON_ENCODER.encode(rattrs).decode() if rattrs else None)


@dataclass(frozen=True, slots=True)
class _Frames:
    """What :func:`_frames` builds: the frames, and problems as ``(part, line, message)``."""

    spans: pl.DataFrame
    events: pl.DataFrame
    warnings: list[tuple[int, int, str]]
    spans_per_part: list[int]
    spills: list[tuple[int, int, str]]


def _frames(docs: list[tuple[int, int, TracesData]], sources: list[str]) -> _Frames:
    """The spans and events frames of decoded documents ``(part, line, document)``."""
    warnings: Warnings = []
    doc_warnings: list[tuple[int, int, str]] = []
    all_spans: list[Span] = []
    lines: list[int] = []
    parts: list[int] = []
    spans_per_part = [0] * len(sources)
    # one row per ScopeSpans (service, resource, scope name, scope version); spans point at theirs by index
    groups: list[tuple[str | None, str | None, str | None, str | None]] = []
    group_of: list[int] = []
    for part, line, doc in docs:
        for rs in doc.resource_spans:
            service: str | None = None
            resource: str | None = None
            if rs.resource is not None and rs.resource.attributes:
                notes: list[str] = []
                service, resource = _resource(rs.resource.attributes, notes)
                doc_warnings.extend((part, line, note) for note in notes)
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
                parts.extend([part] * k)
                spans_per_part[part] += k
    attrs = AttrColumns(len(all_spans))
    add = attrs.add
    for row, sp in enumerate(all_spans):
        if sp.attributes:
            add(row, sp.attributes)
    statuses = [sp.status for sp in all_spans]
    ev_pairs: list[tuple[int, Event]] = [(row, ev) for row, sp in enumerate(all_spans) if sp.events for ev in sp.events]
    ev_rows = [row for row, _ in ev_pairs]
    group_rows = pl.Series("_g", group_of, dtype=pl.UInt32)
    per_group = pl.DataFrame(
        groups,
        schema={K.SERVICE_NAME: pl.Utf8, K.RESOURCE: pl.Utf8, K.SCOPE_NAME: pl.Utf8, K.SCOPE_VERSION: pl.Utf8},
        orient="row",
    )[group_rows]
    rows = range(len(all_spans))
    spans = pl.DataFrame(
        [
            _repeated(K.TRACE_ID, [sp.trace_id for sp in all_spans]),
            pl.Series(K.SPAN_ID, [sp.span_id for sp in all_spans], dtype=pl.Utf8),
            _repeated(K.PARENT_SPAN_ID, [sp.parent_span_id for sp in all_spans]),
            _repeated(K.NAME, [sp.name for sp in all_spans]),
            _small_int_column(K.KIND, [sp.kind for sp in all_spans], _KIND_NAMES, "span kind", warnings),
            _int_column(K.START_NS, [sp.start_time_unix_nano for sp in all_spans], "startTimeUnixNano", warnings, rows),
            _int_column(K.END_NS, [sp.end_time_unix_nano for sp in all_spans], "endTimeUnixNano", warnings, rows),
            _small_int_column(
                K.STATUS_CODE,
                [0 if st is None else st.code for st in statuses],
                _STATUS_NAMES,
                "status code",
                warnings,
            ),
            pl.Series(K.STATUS_MESSAGE, [None if st is None else st.message or None for st in statuses], dtype=pl.Utf8),
            *per_group.get_columns(),
            *attrs.series(),
            pl.Series(K.LINE, lines, dtype=pl.Int64),
        ]
    )
    if len(sources) == 1:
        spans = spans.with_columns(pl.lit(sources[0], dtype=pl.Utf8).alias(K.SOURCE))
    else:
        names = pl.Series(K.SOURCE, sources, dtype=pl.Utf8)
        spans = spans.with_columns(names.gather(pl.Series(parts, dtype=pl.UInt32)))
    warnings.extend(attrs.warnings)  # after attrs.series(), which checks the integer columns
    spans, id_warnings = _normalize_ids(spans)
    warnings.extend(id_warnings)
    ev_attrs = AttrColumns(len(ev_rows))
    for i, (_, ev) in enumerate(ev_pairs):
        if ev.attributes:
            ev_attrs.add(i, ev.attributes)
    ev_warnings: Warnings = []
    if not ev_pairs:  # the usual chunk of step spans (an empty events frame is never concatenated)
        events = pl.DataFrame(schema=event_schema())
    else:
        events = pl.DataFrame(
            [
                pl.Series(ROW, ev_rows, dtype=pl.Int64),
                pl.Series(K.EVENT_NAME, [ev.name for _, ev in ev_pairs], dtype=pl.Utf8),
                _int_column(
                    K.TIME_NS,
                    [ev.time_unix_nano for _, ev in ev_pairs],
                    "timeUnixNano",
                    ev_warnings,
                    range(len(ev_rows)),
                ),
                *ev_attrs.series(),
            ]
        ).with_columns(ev_attrs.missing())
    warnings.extend((ev_rows[i], message) for i, message in [*ev_attrs.warnings, *ev_warnings])
    spilled = [attrs.spilled] if attrs.spilled is not None else []
    if ev_attrs.spilled is not None:
        spilled.append((ev_rows[ev_attrs.spilled[0]], ev_attrs.spilled[1]))
    where = [(parts[row], lines[row], message) for row, message in warnings]
    spills = [(parts[row], lines[row], key) for row, key in spilled]
    return _Frames(spans, events, [*doc_warnings, *where], spans_per_part, spills)


def _hex_ok(col: str, pattern: str) -> pl.Expr:
    """The id is lower-case hex of the right length and not all zeros."""
    return pl.col(col).str.contains(pattern) & (pl.col(col).str.strip_chars("0") != "")


def _normalize_ids(spans: pl.DataFrame) -> tuple[pl.DataFrame, Warnings]:
    """Lower-case-hex ids pass (vectorised regex); the rest go through :func:`normalize_id`; bad ones → null.

    One query first tells the usual case (every id lower-case hex, parents hex or empty) from the rest.
    """
    warnings: Warnings = []
    parent = pl.col(K.PARENT_SPAN_ID)
    root = parent.str.strip_chars("0") == ""  # no parent (empty or all zeros): a root span
    usual = spans.select(
        _hex_ok(K.TRACE_ID, _HEX_TRACE).all(),
        _hex_ok(K.SPAN_ID, _HEX_SPAN).all(),
        (_hex_ok(K.PARENT_SPAN_ID, _HEX_SPAN) | root).all().alias("_p"),
        root.any().alias("_roots"),
    ).row(0)
    if all(usual[:3]):
        if usual[3]:
            spans = spans.with_columns(pl.when(root).then(None).otherwise(parent).alias(K.PARENT_SPAN_ID))
        return spans, warnings
    exprs: list[pl.Expr] = []
    ok_exprs: dict[str, pl.Expr] = {}
    for col, nbytes, pattern in (
        (K.TRACE_ID, 16, _HEX_TRACE),
        (K.SPAN_ID, 8, _HEX_SPAN),
        (K.PARENT_SPAN_ID, 8, _HEX_SPAN),
    ):
        ok = _hex_ok(col, pattern)
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
    bad = (
        spans.with_row_index("_r")
        .filter(~ok_exprs[K.TRACE_ID] | ~ok_exprs[K.SPAN_ID] | ~ok_exprs[K.PARENT_SPAN_ID])
        .select("_r", K.NAME, K.TRACE_ID, K.SPAN_ID, K.PARENT_SPAN_ID)
    )
    spans = spans.with_columns(exprs)
    for row, name, trace_id, span_id, parent in bad.iter_rows():
        problems = []
        for label, raw, nbytes in (("traceId", trace_id, 16), ("spanId", span_id, 8)):
            if normalize_id(raw, nbytes) is None:
                problems.append(f"an empty {label}" if raw == "" else f"an invalid {label} {excerpt(repr(raw))}")
        if parent and normalize_id(parent, 8) is None and parent.strip("0") != "":
            problems.append(f"an invalid parentSpanId {excerpt(repr(parent))} (read as a root span)")
        if problems:
            warnings.append(
                (row, f"span {excerpt(repr(name))} has {' and '.join(problems)}; kept the span with that id null")
            )
    return spans, warnings


# ---------------------------------------------------------------------------------------------------------------
# parts and jobs
# ---------------------------------------------------------------------------------------------------------------
Docs = list[tuple[int, int, TracesData]]
Errors = list[tuple[int, int, str]]


def _container(part: int, line: int, raw: bytes, docs: Docs, errors: Errors) -> bool:
    """Read ``raw`` (starting at ``line``) as a span container other than OTLP (:mod:`._containers`) when it is
    one; ``False`` when it is not."""
    name = sniff_container(raw[:HEAD_BYTES])
    if name is None:
        return False
    found = read_container(name, raw)
    docs.extend((part, line + at - 1, doc) for at, doc in found.documents)
    errors.extend((part, line + at - 1, message) for at, message in found.problems)
    return True


def _decode_lines(part: int, raw: bytes, docs: Docs, errors: Errors, *, auto: bool = False) -> int | None:
    """Decode the JSON lines of ``raw`` (a bad line is reported and skipped); returns the number of lines.

    ``auto``: ``raw`` is a whole input; when its first line is not a document and the input looks like one
    pretty-printed document (:func:`looks_like_document`), nothing is decoded and ``None`` is returned.
    """
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    first = auto
    for i, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        try:
            docs.append((part, i, decode_document(line)))
        except BadDocument as exc:
            if first and looks_like_document(raw, complete=True):
                return None
            if _container(part, i, line, docs, errors):
                first = False
                continue
            torn = split_torn_line(line)
            if torn is None:
                errors.append((part, i, exc.message))
            else:
                found, note = torn
                docs.extend((part, i, doc) for doc in found)
                errors.append((part, i, note.message))
        first = False
    return len(lines)


def _decode_document(part: int, raw: bytes, docs: Docs, errors: Errors) -> int:
    """Decode ``raw`` as one document; when it is not one but holds OTLP lines, as JSON lines. Returns lines."""
    n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    try:
        docs.append((part, 1, decode_document(raw)))
    except BadDocument as exc:
        if _container(part, 1, raw, docs, errors):
            return n_lines
        line_docs: Docs = []
        line_errors: Errors = []
        _decode_lines(part, raw, line_docs, line_errors)
        if line_docs:  # JSON lines after all (a first line torn or garbage): decided by content
            docs.extend(line_docs)
            errors.extend(line_errors)
        else:
            errors.append((part, exc.line, exc.message))
    return n_lines


def decode_chunk(parts: list[tuple[Part, bytes]]) -> ChunkResult:
    """Decode ``(part, bytes)`` pairs into one pair of frames; never raises on bad input.

    The cyclic garbage collector is paused while the chunk is decoded: the decoded documents are acyclic, and
    collections triggered by their many small lists otherwise cost a third of the decoding time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode_chunk(parts)
    finally:
        if was_enabled:
            gc.enable()


def _decode_chunk(parts: list[tuple[Part, bytes]]) -> ChunkResult:
    errors: Errors = []
    docs: Docs = []
    n_lines: list[int] = []
    for k, (part, raw) in enumerate(parts):
        if part.problem is not None:
            errors.append((k, 0, part.problem))
            n_lines.append(0)
            continue
        if part.documents is not None:  # in memory: no text to decode (document i counts as line i)
            for i, obj in enumerate(part.documents, start=1):
                try:
                    docs.append((k, i, convert_document(obj)))
                except BadDocument as exc:
                    errors.append((k, i, exc.message))
            n_lines.append(len(part.documents))
            continue
        n = None
        if part.layout != "document":
            n = _decode_lines(k, raw, docs, errors, auto=part.layout == "auto")
        if n is None:
            n = _decode_document(k, raw, docs, errors)
        n_lines.append(n)
    n_docs = [0] * len(parts)
    for k, _, _ in docs:
        n_docs[k] += 1
    built = _frames(docs, [part.source for part, _ in parts])
    errors.extend(built.warnings)
    errors.sort(key=lambda e: (e[0], e[1]))
    counts = [(n_lines[k], n_docs[k], built.spans_per_part[k]) for k in range(len(parts))]
    return ChunkResult(built.spans, built.events, errors, counts, built.spills)


def run_job(job: Job) -> ChunkResult:
    """Read (where needed) and decode one job; the entry point of worker processes."""
    return decode_chunk([(part, part.read()) for part in job.parts])
