"""``trajdyn.configure()`` and the process-wide configuration.

``configure()`` resolves its arguments and the environment into :class:`~trajdyn.sdk._settings.Settings` (pure:
precedence argument > ``TRAJDYN_*`` > ``OTEL_*`` > default, bad environment values logged and skipped, bad arguments
raising :class:`~trajdyn.exceptions.ConfigurationError`), wires them to OpenTelemetry
(:mod:`trajdyn.sdk._wiring`: provider etiquette, exporters, processors, announcements, gauges) and installs the
result as the process's :class:`Config`. Without a ``configure()`` call, the first trajectory configures from the
environment alone (zero configuration: spans go to ``$TRAJDYN_FILE``, else ``$TRAJDYN_HOME/spans-<pid>.jsonl``, else
``./trajdyn-out/spans-<pid>.jsonl``, with the live-coverage sidecar next to it).

The OpenTelemetry SDK is imported by the wiring, on that first configuration: ``import trajdyn`` does not load it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace

from trajdyn.redact import Redactor
from trajdyn.sdk import _errors, _lifecycle
from trajdyn.sdk._settings import Arguments, Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.export import SpanExporter

    from trajdyn.sdk._wiring import Wiring

__all__ = ["Config", "configure", "current_config", "get_config", "reset_config"]


@dataclass(frozen=True)
class Config:
    """The process-wide configuration: the resolved :class:`~trajdyn.sdk._settings.Settings` and what they were wired
    to (read-only; see :func:`configure`). The properties are the most used parts of either."""

    settings: Settings
    wiring: Wiring
    pid: int = field(default_factory=os.getpid)
    """The process that configured (a forked child keeps its parent's configuration)."""

    @property
    def tracer(self) -> trace.Tracer:
        """trajdyn's tracer (instrumentation scope ``trajdyn``)."""
        return self.wiring.tracer

    @property
    def provider(self) -> trace.TracerProvider:
        """The tracer provider spans go to."""
        return self.wiring.provider

    @property
    def owns_provider(self) -> bool:
        """Whether trajdyn created the provider (and shuts it down)."""
        return self.wiring.owns_provider

    @property
    def processors(self) -> tuple[SpanProcessor, ...]:
        """trajdyn's span processors, one per exporter."""
        return self.wiring.processors

    @property
    def gauges(self) -> dict[str, Any] | None:
        """The ``trajdyn.coverage.*`` gauges, when a MeterProvider is configured."""
        return self.wiring.gauges

    @property
    def spans_file(self) -> Path | None:
        """The spans file, when the file exporter is on."""
        return self.settings.spans_file

    @property
    def sidecar(self) -> Path | None:
        """The live-coverage sidecar."""
        return self.settings.sidecar

    @property
    def sidecar_interval(self) -> float:
        """Seconds between sidecar rewrites while a loop runs."""
        return self.settings.sidecar_interval

    @property
    def capture_content(self) -> bool:
        """Whether task text and step content are recorded."""
        return self.settings.capture_content

    @property
    def redact(self) -> Redactor | None:
        """The user's redaction callback, run before the default scrubbing."""
        return self.settings.redact

    @property
    def max_content_length(self) -> int:
        """Per-value truncation of captured content."""
        return self.settings.max_content_length

    @property
    def disabled(self) -> bool:
        """Whether no span is made at all."""
        return self.settings.disabled

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush trajdyn's processors (and the provider when trajdyn added none to it)."""
        return self.wiring.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Shut down what trajdyn created; a provider someone else owns is flushed, never shut down."""
        self.wiring.shutdown()


_lock = threading.RLock()
_config: Config | None = None


def current_config() -> Config | None:
    """The active configuration, or ``None`` before the first use."""
    return _config


def get_config() -> Config:
    """The active configuration, made from the environment on first use (zero configuration)."""
    cfg = _config
    if cfg is not None:
        return cfg
    with _lock:
        if _config is None:
            _install(_make(Settings.resolve({}, os.environ)))
        assert _config is not None
        return _config


def _make(settings: Settings) -> Config:
    from trajdyn.sdk._wiring import wire  # the OpenTelemetry SDK, imported on first use

    return Config(settings, wire(settings))


def _install(cfg: Config) -> None:
    global _config
    _config = cfg
    _lifecycle.install()


def reset_config(*, shutdown: bool = True) -> None:
    """Drop the active configuration (shutting down what trajdyn created); the next use reconfigures."""
    global _config
    with _lock:
        cfg, _config = _config, None
    if cfg is not None and shutdown:
        cfg.shutdown()


def configure(
    *,
    file: str | os.PathLike[str] | None = None,
    sidecar: str | os.PathLike[str] | None = None,
    sidecar_interval: float | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: otel_metrics.MeterProvider | None = None,
    exporters: Sequence[str | SpanExporter] | None = None,
    capture_content: bool | None = None,
    redact: Redactor | None = None,
    max_content_length: int | None = None,
    strict: bool | None = None,
    service_name: str | None = None,
    disabled: bool | None = None,
    rotate_bytes: int | None = None,
    otlp: bool | None = None,
    announce: bool = True,
) -> Config:
    """Configure trajdyn for this process (keyword-only; every argument optional; a later call replaces it).

    Precedence for every setting: the argument, then the ``TRAJDYN_*`` variable, then the ``OTEL_*`` variable where
    one exists, then the default (docs/sdk.md, "Configuration", has the table). A bad environment value is logged
    and the next source used; a bad argument raises :class:`~trajdyn.exceptions.ConfigurationError`.

    Args:
        file: OTLP/JSON lines spans file (``TRAJDYN_FILE``); implies the ``file`` exporter.
        sidecar: live-coverage sidecar path (``TRAJDYN_SIDECAR``); default: next to the spans file.
        sidecar_interval: seconds between sidecar rewrites while a loop runs (``TRAJDYN_SIDECAR_INTERVAL``, 1 s).
        tracer_provider: use this provider; otherwise trajdyn adds its processors to a global SDK provider someone set,
            else makes a private one (never made global; docs/sdk.md, "Tracer provider etiquette").
        meter_provider: emit ``trajdyn.coverage.*`` gauges to it (default: a global SDK MeterProvider, if set).
        exporters: exporter names (``file``, ``otlp``, ``none``) and/or ``SpanExporter`` instances, each behind a
            batch processor with back-pressure (``TRAJDYN_EXPORTER``).
        capture_content: record task text and step content (``TRAJDYN_CAPTURE_CONTENT``, then
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``; default off).
        redact: ``redact(key, text) -> text | None``, runs before the default secret scrubbing.
        max_content_length: per-value truncation of captured content (``TRAJDYN_MAX_CONTENT_LENGTH``, 4096).
        strict: re-raise trajdyn's own errors (``TRAJDYN_STRICT``; on by default under pytest).
        service_name: resource ``service.name`` of a provider trajdyn creates (else ``OTEL_SERVICE_NAME``, else
            ``trajdyn``).
        disabled: no spans at all (``TRAJDYN_DISABLED``).
        rotate_bytes: size rotation of the spans file, a positive number of bytes (``TRAJDYN_FILE_ROTATE_BYTES``).
        otlp: ``True`` adds the OTLP exporter (endpoint, protocol and headers from the standard
            ``OTEL_EXPORTER_OTLP_*`` variables); ``False`` never exports over the network; ``None``: only when
            ``exporters``/``TRAJDYN_EXPORTER`` name ``otlp``, or, without a ``file=`` argument, when an
            ``OTEL_EXPORTER_OTLP_*ENDPOINT`` is set.
        announce: print every destination (spans file, OTLP endpoint, exporter) once on stderr.
    """
    settings = Settings.resolve(cast(Arguments, locals()), os.environ)
    if settings.strict is not None:
        _errors.set_strict(settings.strict)
    cfg = _make(settings)
    with _lock:
        reset_config()
        _install(cfg)
    return cfg


def _flush(timeout_millis: int) -> bool:
    cfg = _config
    if cfg is None:
        return True
    try:
        return cfg.force_flush(timeout_millis)
    except Exception as exc:
        _errors.report_internal_error("export", exc)
        return False


def _close() -> None:
    try:
        reset_config(shutdown=True)
    except Exception as exc:
        _errors.report_internal_error("shutdown", exc)


def _forget_in_child() -> None:
    """In a forked child: a new lock; the configuration is kept (the child exports to the same destinations).

    OpenTelemetry's batch processors restart their worker thread in the child with an empty queue (the parent's
    queued spans stay the parent's to export), and the spans file exporter opens its own descriptor.
    """
    global _lock
    _lock = threading.RLock()


_lifecycle.register(_lifecycle.Hooks(flush=_flush, close=_close, after_fork_in_child=_forget_in_child))
