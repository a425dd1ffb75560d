"""JSON serialisation of a report: strict JSON (no NaN/inf), deterministic key order."""

from __future__ import annotations

import math
from typing import IO, Final

import msgspec

from trajdyn.analyzer.report._model import JSONValue, Report

__all__ = ["report_to_json", "to_json_value", "write_json"]

_ENCODER: Final = msgspec.json.Encoder()


def to_json_value(value: object) -> JSONValue:
    """Turn a Python/polars value into JSON data: non-finite floats → null, tuples → lists, mappings keep order.

    A round trip through msgspec's JSON codec (C speed; it writes NaN and ±inf as null); raises ``TypeError`` for
    a value that has no JSON form.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        encoded = _ENCODER.encode(value)
    except (TypeError, OverflowError) as exc:
        raise TypeError(f"cannot put a value into a report: {exc}") from None
    decoded: JSONValue = msgspec.json.decode(encoded)
    return decoded


def report_to_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as a JSON document (keys in report order; non-finite numbers as null, never NaN)."""
    encoded = _ENCODER.encode(report.to_dict())
    if indent:
        encoded = msgspec.json.format(encoded, indent=indent)
    return encoded.decode("utf-8")


def write_json(report: Report, out: IO[str], *, indent: int | None = 2) -> None:
    """Write :func:`report_to_json` and a final newline to ``out``."""
    out.write(report_to_json(report, indent=indent))
    out.write("\n")
