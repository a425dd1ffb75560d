"""Span exporters: an OTLP/JSON lines file safe for concurrent append, and the standard OTLP gRPC/HTTP exporters.

Importing this package is light: the OTLP gRPC/HTTP exporter modules are imported only when
:func:`otlp_span_exporter` is called.
"""

from __future__ import annotations

from trajdyn.exporters._jsonl import JsonLinesSpanExporter, encode_spans_line, rotated_path
from trajdyn.exporters._otlp import (
    DEFAULT_PROTOCOL,
    PROTOCOLS,
    otlp_endpoint_configured,
    otlp_span_exporter,
    resolve_protocol,
)

__all__ = [
    "DEFAULT_PROTOCOL",
    "PROTOCOLS",
    "JsonLinesSpanExporter",
    "encode_spans_line",
    "otlp_endpoint_configured",
    "otlp_span_exporter",
    "resolve_protocol",
    "rotated_path",
]
