"""What ``trajdyn.configure()`` resolves to: :class:`Settings`, a pure function of the arguments and the environment.

:meth:`Settings.resolve` decides every setting and nothing else: it makes no provider, exporter or file, and imports
no OpenTelemetry (``trajdyn.sdk._wiring`` turns settings into providers, processors and exporters). Precedence for
every setting: the ``configure()`` argument, then the ``TRAJDYN_*`` variable, then the ``OTEL_*`` variable where
one exists, then the default. A bad environment value is logged and the next source used; a bad argument raises
:class:`~trajdyn.exceptions.ConfigurationError` (a ``ValueError``). The table is in docs/sdk.md, "Configuration".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypedDict, TypeVar

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.exporters._otlp import otlp_endpoint_configured
from trajdyn.redact import Redactor
from trajdyn.sdk._sidecar import sidecar_path_for

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import TracerProvider

__all__ = ["EXPORTER_NAMES", "Arguments", "Settings"]

logger = logging.getLogger("trajdyn")

EXPORTER_NAMES: Final = ("file", "otlp", "none")
"""The exporter names of ``configure(exporters=...)`` and ``TRAJDYN_EXPORTER``."""


class Arguments(TypedDict, total=False):
    """The keyword arguments of :func:`trajdyn.configure` (documented there); ``None`` or absent: not given."""

    file: str | os.PathLike[str] | None
    sidecar: str | os.PathLike[str] | None
    sidecar_interval: float | None
    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    exporters: Sequence[str | SpanExporter] | None
    capture_content: bool | None
    redact: Redactor | None
    max_content_length: int | None
    strict: bool | None
    service_name: str | None
    disabled: bool | None
    rotate_bytes: int | None
    otlp: bool | None
    announce: bool


_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})
_OTEL_SERVICE_NAME: Final = "OTEL_SERVICE_NAME"

T = TypeVar("T")


def _env_bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    if raw is None:
        return None
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    logger.warning("ignoring %s=%r: expected true or false", name, raw)
    return None


def _env_number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> float | None:
    raw = env.get(name)
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


def _env_exporters(env: Mapping[str, str]) -> list[str] | None:
    raw = env.get(C.ENV_EXPORTER)
    if raw is None or not raw.strip():
        return None
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    if any(n not in EXPORTER_NAMES for n in names):
        logger.warning("ignoring %s=%r: expected names in %s", C.ENV_EXPORTER, raw, EXPORTER_NAMES)
        return None
    return names


def _arg_number(name: str, value: object, kind: type[int] | type[float]) -> float | None:
    """A ``configure()`` argument that must be a number >= 0 (an integer for ``kind=int``), or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind if kind is int else int | float) or value < 0:
        raise ConfigurationError(f"expected {name} >= 0, got {value!r}")
    return value


def _arg_rotate_bytes(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ConfigurationError(f"expected rotate_bytes to be a positive integer, got {value!r}")
    return value


def _is_span_exporter(value: object) -> bool:
    # only an exporter object passed in exporters= gets here, and whoever made it has imported the OpenTelemetry SDK
    from opentelemetry.sdk.trace.export import SpanExporter

    return isinstance(value, SpanExporter)


def _arg_exporters(exporters: Sequence[str | SpanExporter] | None) -> list[str | SpanExporter] | None:
    if exporters is None:
        return None
    for e in exporters:
        if isinstance(e, str) and e not in EXPORTER_NAMES:
            raise ConfigurationError(f"expected an exporter in {EXPORTER_NAMES}, got {e!r}")
        if not isinstance(e, str) and not _is_span_exporter(e):
            raise ConfigurationError(f"expected an exporter name or a SpanExporter, got {e!r}")
    return list(exporters)


def _exporters(
    args: Arguments, env: Mapping[str, str], spans_file: Path | None, disabled: bool
) -> list[str | SpanExporter]:
    """The exporters, in order: ``exporters=``, else ``TRAJDYN_EXPORTER``, else none beside a caller's provider
    without a file, else the file (and OTLP when, without ``file=``, an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` is set);
    a spans file adds the file exporter; ``none`` or ``disabled`` leave none; ``otlp=`` adds or removes OTLP."""
    explicit = _arg_exporters(args.get("exporters"))
    from_env = _env_exporters(env) if explicit is None else None
    otlp = args.get("otlp")
    names: list[str | SpanExporter]
    if explicit is not None:
        names = explicit
    elif from_env is not None:
        names = list(from_env)
    elif args.get("tracer_provider") is not None and spans_file is None:
        names = []  # the caller brought a provider and asked for no file: theirs alone
    else:
        names = ["file"]
        if otlp is None and args.get("file") is None and otlp_endpoint_configured(env):
            names.append("otlp")  # no file= argument: the standard OTLP variables are the configuration
    if spans_file is not None and "file" not in names and explicit is None and from_env is None:
        names.append("file")
    if "none" in names or disabled:
        names = []
    if otlp is True and "otlp" not in names and not disabled:
        names.append("otlp")
    elif otlp is False:
        names = [n for n in names if n != "otlp"]
    return names


def _default_spans_file(env: Mapping[str, str]) -> Path:
    home = env.get(C.ENV_HOME)
    base = Path(home) if home else Path.cwd() / C.DEFAULT_OUTPUT_DIR
    return base / f"spans-{os.getpid()}.jsonl"


def _setting(argument: T | None, default: T, *environment: Callable[[], T | None]) -> T:
    """The argument, else the first environment source that gives a value (read only when needed), else ``default``."""
    if argument is not None:
        return argument
    for source in environment:
        value = source()
        if value is not None:
            return value
    return default


@dataclass(frozen=True, slots=True)
class Settings:
    """trajdyn's resolved configuration: what is exported where, and how steps are recorded (see the module docs).

    ``exporters`` is the final list, in order (``"file"``, ``"otlp"`` and exporter objects; empty: no exporter of
    trajdyn's own); ``spans_file`` is set exactly when ``"file"`` is among them; ``sidecar`` is the live-coverage
    sidecar (``None``: none). ``tracer_provider``, ``meter_provider`` and ``redact`` are passed through as given;
    ``strict`` is the ``configure(strict=)`` override (``TRAJDYN_STRICT`` and pytest are read by
    :func:`trajdyn.sdk.is_strict` whenever it is asked).
    """

    exporters: tuple[str | SpanExporter, ...] = ()
    spans_file: Path | None = None
    rotate_bytes: int | None = None
    sidecar: Path | None = None
    sidecar_interval: float = C.DEFAULT_SIDECAR_INTERVAL_S
    capture_content: bool = False
    redact: Redactor | None = None
    max_content_length: int = C.DEFAULT_MAX_CONTENT_LENGTH
    disabled: bool = False
    service_name: str = C.INSTRUMENTATION_SCOPE
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    strict: bool | None = None
    announce: bool = True

    @classmethod
    def resolve(cls, args: Arguments, env: Mapping[str, str]) -> Settings:
        """The settings of ``configure(**args)`` in the environment ``env`` (``os.environ``).

        Raises:
            ConfigurationError: an unknown argument name, or a bad argument value.
        """
        unknown = sorted(set(args) - Arguments.__optional_keys__)
        if unknown:
            raise ConfigurationError(f"unknown configure() argument(s): {', '.join(unknown)}")
        otlp = args.get("otlp")
        if otlp is not None and not isinstance(otlp, bool):
            raise ConfigurationError(f"expected otlp to be True, False or None, got {otlp!r}")
        sidecar_interval = _arg_number("sidecar_interval", args.get("sidecar_interval"), float)
        max_content_length = _arg_number("max_content_length", args.get("max_content_length"), int)
        rotate_bytes = _arg_rotate_bytes(args.get("rotate_bytes"))

        disabled = _setting(args.get("disabled"), False, lambda: _env_bool(env, C.ENV_DISABLED))
        file, env_file = args.get("file"), env.get(C.ENV_FILE)
        spans_file = Path(file) if file is not None else Path(env_file) if env_file else None
        exporters = _exporters(args, env, spans_file, disabled)
        if "file" not in exporters:
            spans_file = None
        elif spans_file is None:
            spans_file = _default_spans_file(env)
        sidecar, env_sidecar = args.get("sidecar"), env.get(C.ENV_SIDECAR)
        sidecar_path = (
            Path(sidecar)
            if sidecar is not None
            else Path(env_sidecar)
            if env_sidecar
            else sidecar_path_for(spans_file)
            if spans_file is not None
            else None
        )
        return cls(
            exporters=tuple(exporters),
            spans_file=spans_file,
            rotate_bytes=_setting(
                rotate_bytes, None, lambda: int(_env_number(env, C.ENV_ROTATE_BYTES, int) or 0) or None
            ),
            sidecar=sidecar_path,
            sidecar_interval=float(
                _setting(
                    sidecar_interval,
                    C.DEFAULT_SIDECAR_INTERVAL_S,
                    lambda: _env_number(env, C.ENV_SIDECAR_INTERVAL, float),
                )
            ),
            capture_content=_setting(
                args.get("capture_content"),
                False,
                lambda: _env_bool(env, C.ENV_CAPTURE_CONTENT),
                lambda: _env_bool(env, C.ENV_OTEL_CAPTURE_CONTENT),
            ),
            redact=args.get("redact"),
            max_content_length=int(
                _setting(
                    max_content_length,
                    C.DEFAULT_MAX_CONTENT_LENGTH,
                    lambda: _env_number(env, C.ENV_MAX_CONTENT_LENGTH, int),
                )
            ),
            disabled=disabled,
            service_name=args.get("service_name") or env.get(_OTEL_SERVICE_NAME) or C.INSTRUMENTATION_SCOPE,
            tracer_provider=args.get("tracer_provider"),
            meter_provider=args.get("meter_provider"),
            strict=args.get("strict"),
            announce=bool(args.get("announce", True)),
        )
