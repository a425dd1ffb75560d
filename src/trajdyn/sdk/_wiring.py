"""From :class:`~trajdyn.sdk._settings.Settings` to OpenTelemetry objects: provider, exporters, processors, gauges.

Imported on the first ``configure()`` or trajectory (it imports the OpenTelemetry SDK; ``import trajdyn`` does not).

TracerProvider etiquette:

1. ``configure(tracer_provider=p)``: spans go to ``p``; trajdyn adds its own exporters to it only when asked for
   (``file=``, ``exporters=``, ``TRAJDYN_FILE`` or ``TRAJDYN_EXPORTER``).
2. else, when the global provider is an SDK ``TracerProvider`` someone set, trajdyn adds its processors to it, once
   (one switchable processor, so that a later ``configure()`` replaces them instead of stacking them).
3. else trajdyn creates a private ``TracerProvider`` and does NOT make it global.

trajdyn never replaces a provider someone else set and never writes ``os.environ``; OpenTelemetry's own variables
(``OTEL_BSP_*``, ``OTEL_EXPORTER_OTLP_*``) are read by OpenTelemetry, as always.

Every exporter trajdyn adds runs behind a :class:`~trajdyn.sdk._processor.TrajdynBatchSpanProcessor`: back-pressure
instead of dropping spans under bursts, and every dropped or lost span counted (:func:`trajdyn.sdk.summary`). Every
destination (the file, the OTLP endpoint, an exporter object) is announced once per process on stderr, unless
``announce=False``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from trajdyn import conventions as C
from trajdyn.exporters import JsonLinesSpanExporter, otlp_span_exporter
from trajdyn.redact import scrub_secrets
from trajdyn.sdk import _errors
from trajdyn.sdk._processor import TrajdynBatchSpanProcessor
from trajdyn.sdk._settings import Settings

__all__ = ["VERSION", "SwitchableProcessor", "Wiring", "wire"]

VERSION: Final = "0.1.0"
"""The instrumentation scope's version."""
_SWITCH_ATTR: Final = "_trajdyn_processor"
_announced: set[str] = set()


class SwitchableProcessor(SpanProcessor):
    """trajdyn's one processor on a provider it does not own; its inner processors can be replaced."""

    def __init__(self) -> None:
        self.inner: tuple[SpanProcessor, ...] = ()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for p in self.inner:
            p.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for p in self.inner:
            p.on_end(span)

    def shutdown(self) -> None:
        for p in self.inner:
            p.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self.inner)

    def remove(self, processors: Sequence[SpanProcessor]) -> None:
        """Take ``processors`` out (a configuration being shut down)."""
        self.inner = tuple(p for p in self.inner if p not in processors)


@dataclass(frozen=True, slots=True)
class Wiring:
    """What :func:`wire` made: the tracer, the provider behind it (``owns_provider``: trajdyn created it), trajdyn's
    processors, the switch they sit in on a provider trajdyn does not own, and the coverage gauges."""

    tracer: trace.Tracer
    provider: trace.TracerProvider
    owns_provider: bool
    processors: tuple[SpanProcessor, ...]
    switch: SwitchableProcessor | None
    gauges: dict[str, Any] | None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush trajdyn's processors (and an SDK provider trajdyn added none to)."""
        ok = True
        for p in self.processors:
            ok = p.force_flush(timeout_millis) and ok
        if not self.processors and isinstance(self.provider, TracerProvider):
            ok = self.provider.force_flush(timeout_millis) and ok
        return ok

    def shutdown(self) -> None:
        """Shut down what trajdyn created; a provider someone else owns is never shut down (trajdyn's processors
        leave it)."""
        if self.owns_provider and isinstance(self.provider, TracerProvider):
            self.provider.shutdown()
            return
        for p in self.processors:
            p.shutdown()
        if self.switch is not None:
            self.switch.remove(self.processors)


def wire(settings: Settings) -> Wiring:
    """Pick the provider (see the module docs), put every exporter of ``settings`` behind a processor on it, announce
    the destinations and make the gauges. An exporter that cannot be made (an unwritable file) is an internal error:
    counted and logged, and the loop runs on without it."""
    owns = False
    provider: trace.TracerProvider
    if settings.disabled:
        provider = trace.NoOpTracerProvider()
    elif settings.tracer_provider is not None:
        provider = settings.tracer_provider
    else:
        global_provider = trace.get_tracer_provider()
        if isinstance(global_provider, TracerProvider):
            provider = global_provider
        else:
            resource = Resource.create({"service.name": settings.service_name})
            provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            owns = True

    processors: list[SpanProcessor] = []
    destinations: list[str] = []
    for entry in settings.exporters:
        try:
            exporter, destination = _exporter(entry, settings)
        except Exception as exc:  # an unwritable file or a broken exporter must not stop the loop
            _errors.report_internal_error("export", exc)
            continue
        processors.append(TrajdynBatchSpanProcessor(exporter, destination))
        destinations.append(destination)
    switch: SwitchableProcessor | None = None
    if isinstance(provider, TracerProvider) and processors:
        if owns:
            for p in processors:
                provider.add_span_processor(p)
        else:
            switch = getattr(provider, _SWITCH_ATTR, None)
            if not isinstance(switch, SwitchableProcessor):
                switch = SwitchableProcessor()
                setattr(provider, _SWITCH_ATTR, switch)
                provider.add_span_processor(switch)
            switch.inner = (*switch.inner, *processors)
    if settings.announce:
        _announce(destinations)
    return Wiring(
        tracer=provider.get_tracer(C.INSTRUMENTATION_SCOPE, VERSION, schema_url=C.SCHEMA_URL),
        provider=provider,
        owns_provider=owns,
        processors=tuple(processors),
        switch=switch,
        gauges=None if settings.disabled else _gauges(settings.meter_provider),
    )


def _exporter(entry: str | SpanExporter, settings: Settings) -> tuple[SpanExporter, str]:
    """The exporter of an ``exporters`` entry, and its destination in words."""
    if isinstance(entry, SpanExporter):
        return entry, f"exporter {type(entry).__name__}"
    if entry == "file":
        path = settings.spans_file
        assert path is not None  # Settings: a file exporter always has its file
        return _file_exporter(path, settings.rotate_bytes), str(path)
    exporter = otlp_span_exporter()
    return exporter, _otlp_destination(exporter)


def _file_exporter(path: Path, rotate_bytes: int | None) -> SpanExporter:
    path.parent.mkdir(parents=True, exist_ok=True)
    return JsonLinesSpanExporter(path, rotate_bytes=rotate_bytes)


def _otlp_destination(exporter: SpanExporter) -> str:
    """``OTLP <protocol> endpoint <url>`` for an announcement (credentials in the URL scrubbed)."""
    endpoint = getattr(exporter, "_endpoint", None)
    kind = "gRPC" if "grpc" in type(exporter).__module__ else "HTTP"
    where = scrub_secrets(str(endpoint)) if endpoint else "the endpoint of OTEL_EXPORTER_OTLP_*"
    return f"OTLP/{kind} endpoint {where}"


def _announce(destinations: Sequence[str]) -> None:
    """Say on stderr, once per process and destination, where spans go."""
    for destination in destinations:
        if destination in _announced:
            continue
        _announced.add(destination)
        verb = (
            "sending spans to"
            if destination.startswith("OTLP")
            else "exporting spans through"
            if destination.startswith("exporter ")
            else "writing spans to"
        )
        try:
            print(f"trajdyn: {verb} {destination}", file=sys.stderr, flush=True)
        except Exception:  # a closed stderr must not stop the loop
            pass


def _gauges(meter_provider: otel_metrics.MeterProvider | None) -> dict[str, Any] | None:
    """The ``trajdyn.coverage.*`` gauges on ``meter_provider``, else on a global SDK MeterProvider, else none."""
    if meter_provider is None:
        global_mp = otel_metrics.get_meter_provider()
        if not isinstance(global_mp, SdkMeterProvider):
            return None
        meter_provider = global_mp
    meter = meter_provider.get_meter(C.INSTRUMENTATION_SCOPE, VERSION, schema_url=C.SCHEMA_URL)
    return {key: meter.create_gauge(key) for key in C.COVERAGE_ATTRIBUTES}
