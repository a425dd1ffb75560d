"""Attribute values of OTLP/JSON spans and events → per-key typed columns (the decoder's per-attribute work).

Attributes are decoded once per value into per-key Python lists sized to the chunk's span count, then each list
becomes one typed polars Series (measured faster than a long (row, key, value) table pivoted by polars, and than
leaving the values raw for polars to parse: the per-attribute work here is a dict lookup and an attribute read).

Hostile values are bounded here, never fatal: a value of the wrong type for a conventions key, an integer outside
64 bits, a value nested deeper than :data:`MAX_VALUE_DEPTH` levels each become null with a warning (the span is
kept); at most :data:`MAX_METRIC_COLUMNS` distinct ``trajdyn.metrics.*`` keys become columns, the values of the
others stay in the span's ``attributes`` JSON (see ``docs/analyzer-api.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import msgspec
import polars as pl

from trajdyn import conventions as C
from trajdyn._values import canonical_value
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.io._otlp import AnyValue, KeyValue

__all__ = [
    "DTYPES",
    "MAX_METRIC_COLUMNS",
    "MAX_VALUE_DEPTH",
    "TYPES",
    "AttrColumns",
    "ValueTooDeep",
    "any_to_python",
    "excerpt",
    "spill_into_attributes",
]

MAX_METRIC_COLUMNS: Final = 256
"""Distinct ``trajdyn.metrics.*`` keys that become Float64 columns (in the order met); the values of further keys
stay in the ``attributes`` JSON, with one warning per input. Bounds memory: 100,000 distinct keys would otherwise
be 100,000 mostly-null columns."""
MAX_VALUE_DEPTH: Final = 64
"""Nesting levels of ``arrayValue`` / ``kvlistValue`` read into an attribute; a deeper value becomes null with a
warning (OTLP producers nest a few levels; thousands would exhaust the recursion limit)."""
EXCERPT_CHARS: Final = 80
"""Longest excerpt of a value quoted in a warning (the value itself is never shortened in the data)."""
I64_MIN: Final = -(2**63)
I64_MAX: Final = 2**63 - 1

DTYPES: Final[dict[str, pl.DataType]] = {
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
TYPES: Final[dict[str, str]] = dict(C.ATTRIBUTE_TYPES)
_JSON_ENCODER: Final = msgspec.json.Encoder()


class ValueTooDeep(Exception):
    """An attribute value nested deeper than :data:`MAX_VALUE_DEPTH` levels."""


class _Mismatch(Exception):
    """A value that cannot be converted losslessly to the key's type."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` cut to ``limit`` characters for a message, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def any_to_python(v: AnyValue | None, depth: int = 0) -> object:
    """The plain Python (JSON-ready) value of an AnyValue; bytes stay base64 text, 64-bit ints become ints.

    Raises :class:`ValueTooDeep` for arrays / key-value lists nested deeper than :data:`MAX_VALUE_DEPTH`.
    """
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
    if v.array_value is not None or v.kvlist_value is not None:
        if depth >= MAX_VALUE_DEPTH:
            raise ValueTooDeep
        if v.array_value is not None:
            return [any_to_python(e, depth + 1) for e in v.array_value.values]
        assert v.kvlist_value is not None
        return {kv.key: any_to_python(kv.value, depth + 1) for kv in v.kvlist_value.values}
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
    if not I64_MIN <= n <= I64_MAX:
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
        except (ValueError, OverflowError):  # not digits, or beyond a double's range
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


def _shown(v: AnyValue) -> str:
    """A value as quoted in a warning: its JSON, cut to :data:`EXCERPT_CHARS`."""
    try:
        text = _JSON_ENCODER.encode(any_to_python(v)).decode()
    except ValueTooDeep:
        return f"a value nested deeper than {MAX_VALUE_DEPTH} levels"
    return excerpt(text)


class AttrColumns:
    """Per-key value lists for ``n`` rows: typed keys, ``trajdyn.metrics.*`` keys, and the JSON of the others.

    ``warnings`` are ``(row, message)`` pairs (the caller knows each row's input and line); ``spilled`` is the row
    and key of the first ``trajdyn.metrics.*`` key beyond :data:`MAX_METRIC_COLUMNS`, or ``None``.
    """

    __slots__ = ("cols", "n", "n_metrics", "other", "spilled", "warnings")

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, list[object]] = {}
        self.other: list[str | None] = [None] * n
        self.warnings: list[tuple[int, str]] = []
        self.n_metrics = 0
        self.spilled: tuple[int, str] | None = None

    def add(self, row: int, attrs: list[KeyValue]) -> None:
        """Record the attributes of row ``row``."""
        extra: dict[str, object] | None = None
        cols = self.cols
        for kv in attrs:
            key = kv.key
            v = kv.value
            t = TYPES.get(key)
            if t is None:
                if key.startswith(C.METRICS_PREFIX) and (key in cols or self._new_metric(row, key)):
                    t = "double"
                else:
                    if extra is None:
                        extra = {}
                    try:
                        extra[key] = any_to_python(v)
                    except ValueTooDeep:
                        extra[key] = None
                        self.warnings.append(
                            (
                                row,
                                f"attribute {excerpt(key)!r} is nested deeper than {MAX_VALUE_DEPTH} levels; "
                                "kept the span, value set to null",
                            )
                        )
                    continue
            if v is None:
                continue
            x: object
            if t == "string":
                x = v.string_value
                if x is None:
                    x = self._slow(t, key, v, row)
            elif t == "int":
                x = v.int_value
                if type(x) is str:
                    try:
                        x = int(x)
                    except ValueError:
                        x = self._slow(t, key, v, row)
                elif type(x) is not int:
                    x = self._slow(t, key, v, row)
            elif t == "double":
                x = v.double_value
                if type(x) is not float:
                    x = self._slow(t, key, v, row)
            elif t == "bool":
                x = v.bool_value
                if x is None:
                    x = self._slow(t, key, v, row)
            else:
                x = self._slow(t, key, v, row)
            col = cols.get(key)
            if col is None:
                col = cols[key] = [None] * self.n
            col[row] = x
        if extra is not None:
            self.other[row] = _JSON_ENCODER.encode(extra).decode()

    def _new_metric(self, row: int, key: str) -> bool:
        """Whether a ``trajdyn.metrics.*`` key met for the first time gets a column (below the cap)."""
        if self.n_metrics < MAX_METRIC_COLUMNS:
            self.n_metrics += 1
            self.cols[key] = [None] * self.n
            return True
        if self.spilled is None:
            self.spilled = (row, key)
        return False

    def _slow(self, t: str, key: str, v: AnyValue, row: int) -> object:
        try:
            return _COERCE[t](v)
        except _Mismatch:
            self.warnings.append(
                (
                    row,
                    f"expected {excerpt(key)} to be {_TYPE_WORDS[t]}, got {_shown(v)}; kept the span, value set to null",
                )
            )
            return None

    def missing(self) -> list[pl.Expr]:
        """All-null literal columns for the conventions keys that no row has (cheap: polars keeps them as scalars)."""
        return [pl.lit(None, dtype=DTYPES[t]).alias(key) for key, t in TYPES.items() if key not in self.cols]

    def _int_series(self, key: str, col: list[object]) -> pl.Series:
        """An Int64 column; a value outside 64 bits (kept as a Python int until here) becomes null with a warning."""
        series = pl.Series(key, col, dtype=pl.Int64, strict=False)
        if series.null_count() != col.count(None):
            for row in (series.is_null() & pl.Series([x is not None for x in col])).arg_true().to_list():
                self.warnings.append(
                    (
                        row,
                        f"expected {excerpt(key)} to be a 64-bit integer, got {excerpt(str(col[row]))}; kept the span, "
                        "value set to null",
                    )
                )
        return series

    def series(self) -> list[pl.Series]:
        """The typed columns present, the ``trajdyn.metrics.*`` columns (sorted), then ``attributes``."""
        out: list[pl.Series] = []
        for key, t in TYPES.items():
            col = self.cols.get(key)
            if col is not None:
                if t == "int":
                    out.append(self._int_series(key, col))
                else:
                    out.append(pl.Series(key, col, dtype=DTYPES[t], strict=False))
        for key in sorted(k for k in self.cols if k not in TYPES):
            out.append(pl.Series(key, self.cols[key], dtype=pl.Float64, strict=False))
        out.append(pl.Series(K.ATTRIBUTES, self.other, dtype=pl.Utf8))
        return out


def spill_into_attributes(frame: pl.DataFrame) -> pl.Series:
    """The ``attributes`` JSON of each row of ``frame`` (``attributes``, then metric columns) with the row's
    non-null metric values added to it (for the metric keys beyond :data:`MAX_METRIC_COLUMNS`)."""
    keys = frame.columns[1:]
    out: list[str] = []
    for attrs, *values in frame.iter_rows():
        merged: dict[str, object] = msgspec.json.decode(attrs) if attrs else {}
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                merged[key] = value
        out.append(_JSON_ENCODER.encode(merged).decode())
    return pl.Series(K.ATTRIBUTES, out, dtype=pl.Utf8)
