"""Span exporters: an OTLP/JSON lines file safe for concurrent append, and the standard OTLP gRPC/HTTP exporters.

Importing this package is light: the spans-file exporter (and with it the OpenTelemetry SDK) is imported on first use
of one of its names, and the OTLP gRPC/HTTP exporter modules only when :func:`otlp_span_exporter` is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trajdyn.exporters._otlp import (
    DEFAULT_PROTOCOL,
    PROTOCOLS,
    otlp_endpoint_configured,
    otlp_span_exporter,
    resolve_protocol,
)

if TYPE_CHECKING:
    from trajdyn.exporters._jsonl import JsonLinesSpanExporter, encode_spans_line, rotated_path

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


def __getattr__(name: str) -> Any:
    """The spans-file names, imported on first use (they need the OpenTelemetry SDK)."""
    if name in __all__:
        value = getattr(importlib.import_module("trajdyn.exporters._jsonl"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
