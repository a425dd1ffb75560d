"""``trajdyn.configure()``: providers, exporters, environment, and the process-wide configuration.

Precedence for every setting: the ``configure()`` argument, then the ``TRAJDYN_*`` variable, then the ``OTEL_*``
variable where one exists, then the default. A bad environment value is logged and the default used; a bad argument
raises :class:`~trajdyn.exceptions.ConfigurationError`.

TracerProvider etiquette:

1. ``configure(tracer_provider=p)``: spans go to ``p``; trajdyn adds its own exporters to it only when asked for
   (``file=``, ``exporters=``, ``TRAJDYN_FILE`` or ``TRAJDYN_EXPORTER``).
2. else, when the global provider is an SDK ``TracerProvider`` someone set, trajdyn adds its processors to it, once
   (one switchable processor, so that a later ``configure()`` replaces them instead of stacking them).
3. else trajdyn creates a private ``TracerProvider`` and does NOT make it global.

trajdyn never replaces a provider someone else set and never writes ``os.environ``.

Zero configuration: with no ``configure()`` call, spans go to an OTLP/JSON lines file, ``$TRAJDYN_FILE``, else
``$TRAJDYN_HOME/spans-<pid>.jsonl``, else ``./trajdyn-out/spans-<pid>.jsonl``; the live-coverage sidecar sits next
to it (``spans-<pid>.coverage.json``). ``TRAJDYN_EXPORTER`` (comma-separated ``file``, ``otlp``, ``none``) picks
exporters. ``TRAJDYN_DISABLED=1`` turns every span off (the decorators just call the function).

Network export only when configured: the ``otlp`` exporter is added when ``configure(otlp=True)`` or
``TRAJDYN_EXPORTER`` names it, or, when no ``file=`` argument was given, when an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` is
set (an explicit ``file=`` says where the spans go: a stray endpoint in the environment does not add a network
destination to it). ``otlp=False`` never exports over the network. Every destination trajdyn exports to (the file,
the OTLP endpoint, an exporter object) is announced once per process on stderr (``announce=False`` silences it).

Every exporter trajdyn adds runs behind a :class:`~trajdyn.sdk._processor.TrajdynBatchSpanProcessor`: back-pressure
instead of dropping spans under bursts, and every dropped or lost span counted (:func:`trajdyn.sdk.summary`).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.redact import Redactor, scrub_secrets
from trajdyn.sdk import _errors
from trajdyn.sdk._processor import TrajdynBatchSpanProcessor
from trajdyn.sdk._sidecar import sidecar_path_for

__all__ = ["Config", "configure", "current_config", "get_config", "reset_config"]

logger = logging.getLogger("trajdyn")

_VERSION = "0.1.0"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_EXPORTER_NAMES = ("file", "otlp", "none")


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    logger.warning("ignoring %s=%r: expected true or false", name, raw)
    return None


def _env_number(name: str, kind: type[int] | type[float]) -> float | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        v = kind(raw.strip())
    except ValueError:
        logger.warning("ignoring %s=%r: expected a number", name, raw)
        return None
    if v < 0:
        logger.warning("ignoring %s=%r: expected a non-negative number", name, raw)
        return None
    return v


class _SwitchableProcessor(SpanProcessor):
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


_SWITCH_ATTR = "_trajdyn_processor"


@dataclass
class Config:
    """The resolved, process-wide configuration (read-only for users; see :func:`configure`)."""

    tracer: trace.Tracer
    provider: trace.TracerProvider
    owns_provider: bool
    processors: list[SpanProcessor] = field(default_factory=list)
    spans_file: Path | None = None
    sidecar: Path | None = None
    sidecar_interval: float = C.DEFAULT_SIDECAR_INTERVAL_S
    capture_content: bool = False
    redact: Redactor | None = None
    max_content_length: int = C.DEFAULT_MAX_CONTENT_LENGTH
    disabled: bool = False
    gauges: dict[str, Any] | None = None
    pid: int = field(default_factory=os.getpid)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush trajdyn's processors (and the provider when trajdyn owns it)."""
        ok = True
        for p in self.processors:
            ok = p.force_flush(timeout_millis) and ok
        if not self.processors and isinstance(self.provider, TracerProvider):
            ok = self.provider.force_flush(timeout_millis) and ok
        return ok

    def shutdown(self) -> None:
        """Shut down what trajdyn created; a provider someone else owns is flushed, never shut down."""
        if self.owns_provider and isinstance(self.provider, TracerProvider):
            self.provider.shutdown()
            return
        for p in self.processors:
            p.shutdown()
        if isinstance(self.provider, TracerProvider):
            switch = getattr(self.provider, _SWITCH_ATTR, None)
            if isinstance(switch, _SwitchableProcessor):
                switch.inner = tuple(p for p in switch.inner if p not in self.processors)


_lock = threading.RLock()
_config: Config | None = None
_announced: set[str] = set()


def forget_in_child() -> None:
    """In a forked child: a new lock; the configuration is kept (the child exports to the same destinations).

    OpenTelemetry's batch processors restart their worker thread in the child with an empty queue (the parent's
    queued spans stay the parent's to export), and the spans file exporter opens its own descriptor.
    """
    global _lock
    _lock = threading.RLock()


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
            _install(_build())
        assert _config is not None
        return _config


def _install(cfg: Config) -> None:
    global _config
    _config = cfg
    from trajdyn.sdk._lifecycle import install_hooks

    install_hooks()


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

    Args:
        file: OTLP/JSON lines spans file (``TRAJDYN_FILE``); implies the ``file`` exporter.
        sidecar: live-coverage sidecar path (``TRAJDYN_SIDECAR``); default: next to the spans file.
        sidecar_interval: seconds between sidecar rewrites while a loop runs (``TRAJDYN_SIDECAR_INTERVAL``, 1 s).
        tracer_provider: use this provider (see the module docs for the etiquette otherwise).
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
        rotate_bytes: size rotation of the spans file (``TRAJDYN_FILE_ROTATE_BYTES``).
        otlp: ``True`` adds the OTLP exporter (endpoint, protocol and headers from the standard
            ``OTEL_EXPORTER_OTLP_*`` variables); ``False`` never exports over the network; ``None``: only when
            ``exporters``/``TRAJDYN_EXPORTER`` name ``otlp``, or, without a ``file=`` argument, when an
            ``OTEL_EXPORTER_OTLP_*ENDPOINT`` is set.
        announce: print every destination (spans file, OTLP endpoint, exporter) once on stderr.
    """
    if otlp is not None and not isinstance(otlp, bool):
        raise ConfigurationError(f"expected otlp to be True, False or None, got {otlp!r}")
    if sidecar_interval is not None and sidecar_interval < 0:
        raise ConfigurationError(f"expected sidecar_interval >= 0, got {sidecar_interval!r}")
    if max_content_length is not None and max_content_length < 0:
        raise ConfigurationError(f"expected max_content_length >= 0, got {max_content_length!r}")
    if exporters is not None:
        for e in exporters:
            if isinstance(e, str) and e not in _EXPORTER_NAMES:
                raise ConfigurationError(f"expected an exporter in {_EXPORTER_NAMES}, got {e!r}")
            if not isinstance(e, str | SpanExporter):
                raise ConfigurationError(f"expected an exporter name or a SpanExporter, got {e!r}")
    if strict is not None:
        _errors.set_strict(strict)
    cfg = _build(
        file=file,
        sidecar=sidecar,
        sidecar_interval=sidecar_interval,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        exporters=exporters,
        capture_content=capture_content,
        redact=redact,
        max_content_length=max_content_length,
        service_name=service_name,
        disabled=disabled,
        rotate_bytes=rotate_bytes,
        otlp=otlp,
        announce=announce,
    )
    with _lock:
        reset_config()
        _install(cfg)
    return cfg


def _default_spans_file() -> Path:
    home = os.environ.get(C.ENV_HOME)
    base = Path(home) if home else Path.cwd() / C.DEFAULT_OUTPUT_DIR
    return base / f"spans-{os.getpid()}.jsonl"


def _exporters_api(name: str) -> Any | None:
    """``trajdyn.exporters.<name>``, or ``None`` while that package (another layer) does not provide it."""
    try:
        module = importlib.import_module("trajdyn.exporters")
    except ImportError:
        return None
    return getattr(module, name, None)


def _file_exporter(path: Path, rotate_bytes: int | None) -> SpanExporter:
    path.parent.mkdir(parents=True, exist_ok=True)
    factory = _exporters_api("JsonLinesSpanExporter")
    if factory is None:  # fall back to the official OTLP/JSON file exporter
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter

        exporter: SpanExporter = FileSpanExporter(path)
        return exporter
    return cast(SpanExporter, factory(path, rotate_bytes=rotate_bytes))


def _otlp_exporter() -> SpanExporter:
    factory = _exporters_api("otlp_span_exporter")
    if factory is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return cast(SpanExporter, factory())


def _otlp_endpoint_configured() -> bool:
    check = _exporters_api("otlp_endpoint_configured")
    if check is None:
        return any(os.environ.get(k) for k in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    return bool(check())


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


def _exporter_names_from_env() -> list[str] | None:
    raw = os.environ.get(C.ENV_EXPORTER)
    if raw is None or not raw.strip():
        return None
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in _EXPORTER_NAMES]
    if bad:
        logger.warning("ignoring %s=%r: expected names in %s", C.ENV_EXPORTER, raw, _EXPORTER_NAMES)
        return None
    return names


def _build(
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
    service_name: str | None = None,
    disabled: bool | None = None,
    rotate_bytes: int | None = None,
    otlp: bool | None = None,
    announce: bool = True,
) -> Config:
    if disabled is None:
        disabled = bool(_env_bool(C.ENV_DISABLED))
    if capture_content is None:
        capture_content = _env_bool(C.ENV_CAPTURE_CONTENT)
        if capture_content is None:
            capture_content = bool(_env_bool(C.ENV_OTEL_CAPTURE_CONTENT))
    if max_content_length is None:
        env_len = _env_number(C.ENV_MAX_CONTENT_LENGTH, int)
        max_content_length = int(env_len) if env_len is not None else C.DEFAULT_MAX_CONTENT_LENGTH
    if sidecar_interval is None:
        env_iv = _env_number(C.ENV_SIDECAR_INTERVAL, float)
        sidecar_interval = float(env_iv) if env_iv is not None else C.DEFAULT_SIDECAR_INTERVAL_S
    if rotate_bytes is None:
        env_rot = _env_number(C.ENV_ROTATE_BYTES, int)
        rotate_bytes = int(env_rot) if env_rot else None

    env_file = os.environ.get(C.ENV_FILE) or None
    spans_file: Path | None = Path(file) if file is not None else (Path(env_file) if env_file else None)
    names: list[str | SpanExporter]
    env_names = _exporter_names_from_env()
    if exporters is not None:
        names = list(exporters)
    elif env_names is not None:
        names = list(env_names)
    elif tracer_provider is not None and spans_file is None:
        names = []  # the caller brought a provider and asked for no file: theirs alone
    else:
        names = ["file"]
        if otlp is None and file is None and _otlp_endpoint_configured():
            names.append("otlp")  # no file= argument: the standard OTLP variables are the configuration
    if spans_file is not None and "file" not in names and exporters is None and env_names is None:
        names.append("file")
    if "none" in names:
        names = []
    if otlp is True and "otlp" not in names:
        names.append("otlp")
    elif otlp is False:
        names = [n for n in names if n != "otlp"]

    # provider
    owns = False
    provider: trace.TracerProvider
    if disabled:
        provider = trace.NoOpTracerProvider()
        names = []
    elif tracer_provider is not None:
        provider = tracer_provider
    else:
        global_provider = trace.get_tracer_provider()
        if isinstance(global_provider, TracerProvider):
            provider = global_provider
        else:
            name = service_name or os.environ.get("OTEL_SERVICE_NAME") or C.INSTRUMENTATION_SCOPE
            provider = TracerProvider(resource=Resource.create({"service.name": name}), shutdown_on_exit=False)
            owns = True

    processors: list[SpanProcessor] = []
    destinations: list[str] = []
    for entry in names:
        try:
            if isinstance(entry, SpanExporter):
                destination = f"exporter {type(entry).__name__}"
                exporter: SpanExporter = entry
            elif entry == "file":
                if spans_file is None:
                    spans_file = _default_spans_file()
                destination = str(spans_file)
                exporter = _file_exporter(spans_file, rotate_bytes)
            elif entry == "otlp":
                exporter = _otlp_exporter()
                destination = _otlp_destination(exporter)
            else:
                continue
            processors.append(TrajdynBatchSpanProcessor(exporter, destination))
            destinations.append(destination)
        except Exception as exc:  # an unwritable file or a broken exporter must not stop the loop
            _errors.report_internal_error("export", exc)
    if isinstance(provider, TracerProvider) and processors:
        if owns:
            for p in processors:
                provider.add_span_processor(p)
        else:
            switch = getattr(provider, _SWITCH_ATTR, None)
            if not isinstance(switch, _SwitchableProcessor):
                switch = _SwitchableProcessor()
                setattr(provider, _SWITCH_ATTR, switch)
                provider.add_span_processor(switch)
            switch.inner = (*switch.inner, *processors)
    if announce:
        _announce(destinations)

    env_sidecar = os.environ.get(C.ENV_SIDECAR) or None
    sidecar_path: Path | None
    if sidecar is not None:
        sidecar_path = Path(sidecar)
    elif env_sidecar:
        sidecar_path = Path(env_sidecar)
    elif spans_file is not None and any(n == "file" for n in names):
        sidecar_path = sidecar_path_for(spans_file)
    else:
        sidecar_path = None

    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE, _VERSION, schema_url=C.SCHEMA_URL)
    gauges = None if disabled else _make_gauges(meter_provider)
    return Config(
        tracer=tracer,
        provider=provider,
        owns_provider=owns,
        processors=processors,
        spans_file=spans_file if any(n == "file" for n in names) else None,
        sidecar=sidecar_path,
        sidecar_interval=sidecar_interval,
        capture_content=capture_content,
        redact=redact,
        max_content_length=max_content_length,
        disabled=disabled,
        gauges=gauges,
    )


def _make_gauges(meter_provider: otel_metrics.MeterProvider | None) -> dict[str, Any] | None:
    if meter_provider is None:
        from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider

        global_mp = otel_metrics.get_meter_provider()
        if not isinstance(global_mp, SdkMeterProvider):
            return None
        meter_provider = global_mp
    meter = meter_provider.get_meter(C.INSTRUMENTATION_SCOPE, _VERSION, schema_url=C.SCHEMA_URL)
    return {key: meter.create_gauge(key) for key in C.COVERAGE_ATTRIBUTES}
