"""The analyzer's I/O layer: OTLP/JSON span dumps → polars frames (``read_spans``)."""

from __future__ import annotations

from trajdyn.analyzer.io._decode import normalize_id
from trajdyn.analyzer.io._errors import InputParseError, ReadError
from trajdyn.analyzer.io._read import InputSummary, SpanData, read_spans

__all__ = ["InputParseError", "InputSummary", "ReadError", "SpanData", "normalize_id", "read_spans"]
