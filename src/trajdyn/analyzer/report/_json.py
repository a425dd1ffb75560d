"""JSON serialisation of a report: strict JSON (no NaN/inf), deterministic key order."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import IO

from trajdyn.analyzer.report._model import JSONValue, Report

__all__ = ["report_to_json", "to_json_value", "write_json"]


def to_json_value(value: object) -> JSONValue:
    """Turn a Python/polars value into JSON data: non-finite floats → null, tuples → lists, mappings keep order."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    raise TypeError(f"cannot put a {type(value).__name__} into a report: {value!r}")


def report_to_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as a JSON document (keys in report order, ``allow_nan=False``)."""
    return json.dumps(to_json_value(report.to_dict()), indent=indent, ensure_ascii=False, allow_nan=False)


def write_json(report: Report, out: IO[str], *, indent: int | None = 2) -> None:
    """Write :func:`report_to_json` and a final newline to ``out``."""
    out.write(report_to_json(report, indent=indent))
    out.write("\n")
