"""Helpers for testing code instrumented with trajdyn (and trajdyn itself).

``capture_spans()`` configures trajdyn with a private ``TracerProvider`` whose spans land in an
``InMemorySpanExporter`` through a ``SimpleSpanProcessor`` (synchronously, no thread), with incremental trace/span
ids so that span trees can be compared exactly. Call :func:`trajdyn.sdk.reset` afterwards.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator

from trajdyn.sdk._config import configure
from trajdyn.sdk._lifecycle import reset

__all__ = ["IncrementalIdGenerator", "capture_spans", "reset"]


class IncrementalIdGenerator(IdGenerator):
    """Trace and span ids 1, 2, 3 … (deterministic span trees in tests); thread-safe under the GIL."""

    def __init__(self) -> None:
        self._trace = itertools.count(1)
        self._span = itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._span)

    def generate_trace_id(self) -> int:
        return next(self._trace)


def capture_spans(
    *, sidecar: str | os.PathLike[str] | None = None, **configure_kwargs: Any
) -> tuple[InMemorySpanExporter, TracerProvider]:
    """Configure trajdyn to record spans in memory; returns (exporter, provider)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=IncrementalIdGenerator(), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    configure(tracer_provider=provider, sidecar=sidecar, **configure_kwargs)
    return exporter, provider
