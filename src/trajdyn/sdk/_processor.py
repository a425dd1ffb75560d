"""trajdyn's span processor: OpenTelemetry's ``BatchSpanProcessor`` with back-pressure, and every loss counted.

OpenTelemetry's batch processor keeps at most ``max_queue_size`` spans (``OTEL_BSP_MAX_QUEUE_SIZE``, 2048) and,
when a burst fills the queue faster than the exporter drains it, drops spans with one log line and no count: 200
asyncio trajectories lost 17–48 % of their spans that way. Here:

- **Back-pressure while the exporter keeps up.** When the queue is full, the thread ending a span (the agent loop)
  waits for the exporter thread to take the next batch, at most :data:`MAX_WAIT_S` at a time, instead of dropping
  a span. A burst is slowed to the exporter's pace and nothing is lost; below a full queue nothing changes (one
  length check per span).
- **Dropping, counted, when it does not.** When a wait times out, or the last export failed (a collector that is
  down), spans are dropped without waiting (the loop never stalls on a dead exporter), counted in
  :func:`trajdyn.sdk.summary` and said once on stderr; the next successful export re-enables back-pressure.
- **Failed exports counted**: every span of an export that failed or raised is counted as lost, and said once per
  destination on stderr.
- The ``OTEL_BSP_*`` variables (queue size, batch size, delay, timeout) are read by OpenTelemetry itself, as
  always; trajdyn never sets them.

The processor never waits in the exporter's own thread, in a forked child before its worker restarted, or after
shutdown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from trajdyn.redact import scrub_secrets
from trajdyn.sdk import _errors, _summary

__all__ = ["MAX_WAIT_S", "CountingExporter", "TrajdynBatchSpanProcessor"]

MAX_WAIT_S: Final = 2.0
"""Longest a span's producer waits for room in a full queue before the span is dropped (and counted)."""
_RECHECK_S: Final = 0.05


class CountingExporter(SpanExporter):
    """Wraps an exporter: counts exported and lost spans, and tells the processor whether exports succeed."""

    def __init__(self, inner: SpanExporter, destination: str) -> None:
        self.inner = inner
        self.destination = destination
        self.healthy = True
        """Whether the last export succeeded (back-pressure is applied only then)."""
        self.took_batch = threading.Event()
        """Set whenever the processor hands over a batch (it has just left the queue: there is room)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.took_batch.set()
        try:
            result = self.inner.export(spans)
        except Exception as exc:
            self.healthy = False
            _errors.count_internal_error("export", exc)
            _summary.spans_lost(len(spans), self.destination, scrub_secrets(f"{type(exc).__name__}: {exc}"))
            return SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self.healthy = True
            _summary.spans_exported(len(spans))
        else:
            self.healthy = False
            _errors.count_internal_error("export", f"{type(self.inner).__name__} failed to export {len(spans)} spans")
            _summary.spans_lost(len(spans), self.destination, "the exporter reported a failure")
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class TrajdynBatchSpanProcessor(BatchSpanProcessor):
    """A ``BatchSpanProcessor`` exporting to ``exporter`` (named ``destination`` in messages), with back-pressure
    and counted losses (see the module docstring). Keyword arguments are the ``BatchSpanProcessor`` ones; ``None``
    leaves each to its ``OTEL_BSP_*`` variable, then OpenTelemetry's default."""

    def __init__(self, exporter: SpanExporter, destination: str, **batch_options: Any) -> None:
        self.counting = CountingExporter(exporter, destination)
        super().__init__(self.counting, **batch_options)
        self._destination = destination
        # OpenTelemetry's batching internals (opentelemetry-sdk 1.45; tests/sdk/test_bursts.py pins them): without
        # them there is no back-pressure, and drops are still counted by the length check below.
        batch = getattr(self, "_batch_processor", None)
        self._batch: Any = batch
        self._queue: Any = getattr(batch, "_queue", None)
        self._max_queue: int = int(getattr(batch, "_max_queue_size", 0) or 0)
        self._backpressure = (
            self._queue is not None
            and self._max_queue > 0
            and all(hasattr(batch, name) for name in ("_worker_awaken", "_worker_thread", "_shutdown"))
        )

    @property
    def max_queue_size(self) -> int:
        """The queue's capacity in spans."""
        return self._max_queue

    def on_end(self, span: ReadableSpan) -> None:
        queue = self._queue
        if queue is not None and len(queue) >= self._max_queue and not self._make_room(span):
            _summary.spans_dropped(1, self._destination)
            return
        super().on_end(span)

    def _make_room(self, span: ReadableSpan) -> bool:
        """Wait for room in the full queue; ``False`` when the span is to be dropped instead."""
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return True  # not exported anyway: the base class ignores it
        batch = self._batch
        if not self._backpressure:
            return False
        if batch._shutdown:
            return True  # the base class ignores spans after shutdown
        if not self.counting.healthy or threading.current_thread() is batch._worker_thread:
            return False
        queue, limit, took_batch = self._queue, self._max_queue, self.counting.took_batch
        deadline = time.monotonic() + MAX_WAIT_S
        while True:
            took_batch.clear()
            if len(queue) < limit:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.counting.healthy:
                self.counting.healthy = False  # until an export succeeds: drop instead of stalling the loop
                return False
            batch._worker_awaken.set()
            took_batch.wait(min(remaining, _RECHECK_S))
