"""OTLP gRPC / HTTP span exporters from ``opentelemetry-exporter-otlp``, configured by the standard variables.

trajdyn only picks the protocol; everything else (endpoint, headers, certificates, compression, timeout) is read
by the exporters themselves from the standard ``OTEL_EXPORTER_OTLP_*`` / ``OTEL_EXPORTER_OTLP_TRACES_*``
variables, which trajdyn never overrides or modifies. Protocol precedence: the ``protocol`` argument, then
``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL``, then ``OTEL_EXPORTER_OTLP_PROTOCOL``, then the specification's default
``http/protobuf``.

An unreachable endpoint costs no more than the export timeout (``OTEL_EXPORTER_OTLP_TIMEOUT``, default 10 s) per
export: both exporters retry with backoff only within that deadline, and the SDK runs them behind a
``BatchSpanProcessor``, off the agent loop's thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = [
    "DEFAULT_PROTOCOL",
    "PROTOCOLS",
    "otlp_endpoint_configured",
    "otlp_span_exporter",
    "resolve_protocol",
]

logger = logging.getLogger(__name__)

PROTOCOL_GRPC: Final = "grpc"
PROTOCOL_HTTP_PROTOBUF: Final = "http/protobuf"
PROTOCOLS: Final = (PROTOCOL_GRPC, PROTOCOL_HTTP_PROTOBUF)
"""The OTLP protocols ``opentelemetry-exporter-otlp`` implements (``http/json`` is not among them)."""
DEFAULT_PROTOCOL: Final = PROTOCOL_HTTP_PROTOBUF
"""The OpenTelemetry specification's default OTLP protocol."""

# Standard OpenTelemetry variable names (opentelemetry.sdk.environment_variables spells them too).
ENV_OTLP_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_PROTOCOL"
ENV_OTLP_TRACES_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
ENV_OTLP_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_OTLP_TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def otlp_endpoint_configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set (non-blank) in ``env``
    (default ``os.environ``)."""
    env = os.environ if env is None else env
    return any((env.get(name) or "").strip() for name in (ENV_OTLP_ENDPOINT, ENV_OTLP_TRACES_ENDPOINT))


def resolve_protocol(protocol: str | None = None) -> str:
    """The OTLP protocol to use: the argument, else the traces then the generic variable, else ``http/protobuf``.

    Raises:
        ConfigurationError: ``protocol`` is not one of :data:`PROTOCOLS`. An unknown value in an environment
            variable is logged and the next source is used instead (a bad environment never stops the program).
    """
    if protocol is not None:
        normalized = protocol.strip().lower()
        if normalized not in PROTOCOLS:
            raise ConfigurationError(f"unknown OTLP protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
        return normalized
    for name in (ENV_OTLP_TRACES_PROTOCOL, ENV_OTLP_PROTOCOL):
        raw = os.environ.get(name)
        if raw is None or not raw.strip():
            continue
        normalized = raw.strip().lower()
        if normalized in PROTOCOLS:
            return normalized
        logger.warning("ignoring %s=%r: trajdyn's OTLP exporters support %s", name, raw, ", ".join(PROTOCOLS))
    return DEFAULT_PROTOCOL


def otlp_span_exporter(*, protocol: str | None = None, timeout_s: float | None = None) -> SpanExporter:
    """An OTLP span exporter from ``opentelemetry-exporter-otlp`` for the resolved protocol.

    Args:
        protocol: ``"grpc"`` or ``"http/protobuf"``; ``None`` resolves it as :func:`resolve_protocol` documents.
        timeout_s: per-export timeout in seconds; ``None`` leaves it to ``OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`` /
            ``OTEL_EXPORTER_OTLP_TIMEOUT`` (default 10 s), read by the exporter.

    Endpoint, headers, credentials and compression come only from the standard ``OTEL_EXPORTER_OTLP_*`` variables,
    read by the exporter itself (default endpoints: ``http://localhost:4318/v1/traces`` for HTTP,
    ``localhost:4317`` for gRPC).

    Raises:
        ConfigurationError: an unknown ``protocol`` or a non-positive ``timeout_s``.
    """
    if timeout_s is not None and not timeout_s > 0:
        raise ConfigurationError(f"expected timeout_s to be a positive number of seconds, got {timeout_s!r}")
    resolved = resolve_protocol(protocol)
    if resolved == PROTOCOL_GRPC:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(timeout=timeout_s)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(timeout=timeout_s)
