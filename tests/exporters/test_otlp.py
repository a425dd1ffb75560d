"""otlp_span_exporter: protocol selection, the standard OTEL_EXPORTER_OTLP_* variables, a dead endpoint."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.exporters._spans import emit_trajectory, make_provider
from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.exporters import DEFAULT_PROTOCOL, otlp_endpoint_configured, otlp_span_exporter, resolve_protocol

OTLP_VARS = (
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
)


@pytest.fixture(autouse=True)
def _clean_otlp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTLP_VARS:
        monkeypatch.delenv(name, raising=False)


def test_default_protocol_is_http_protobuf() -> None:
    """Without argument or variable: the specification's default, http/protobuf."""
    assert DEFAULT_PROTOCOL == "http/protobuf"
    assert isinstance(otlp_span_exporter(), HttpExporter)


def test_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """protocol= wins over both variables."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    assert isinstance(otlp_span_exporter(protocol="grpc"), GrpcExporter)
    assert isinstance(otlp_span_exporter(protocol=" GRPC "), GrpcExporter)


def test_traces_variable_beats_generic_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert isinstance(otlp_span_exporter(), GrpcExporter)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
    assert isinstance(otlp_span_exporter(), HttpExporter)


@pytest.mark.parametrize("bad", ["http/json", "udp", ""])
def test_unknown_protocol_argument_raises(bad: str) -> None:
    """An unknown protocol argument is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="unknown OTLP protocol"):
        otlp_span_exporter(protocol=bad)


def test_unknown_protocol_variable_is_logged_and_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad OTEL_EXPORTER_OTLP_TRACES_PROTOCOL is logged; the next source (the generic variable) is used."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "carrier-pigeon")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with caplog.at_level(logging.WARNING, logger="trajdyn.exporters"):
        assert resolve_protocol() == "grpc"
    assert any("carrier-pigeon" in r.getMessage() for r in caplog.records)


def test_non_positive_timeout_raises() -> None:
    """timeout_s must be positive."""
    with pytest.raises(ConfigurationError, match="timeout_s"):
        otlp_span_exporter(timeout_s=0)


def test_endpoint_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """True when either endpoint variable is set and not blank."""
    assert otlp_endpoint_configured() is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")
    assert otlp_endpoint_configured() is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces")
    assert otlp_endpoint_configured() is True
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert otlp_endpoint_configured() is True


def test_environment_is_not_modified(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building either exporter leaves os.environ exactly as it was."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    before = dict(os.environ)
    otlp_span_exporter(protocol="grpc", timeout_s=1).shutdown()
    otlp_span_exporter(protocol="http/protobuf", timeout_s=1).shutdown()
    assert dict(os.environ) == before


class _Collector:
    """A loopback HTTP server that records OTLP/HTTP export requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                collector.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def collector() -> Iterator[_Collector]:
    c = _Collector()
    yield c
    c.close()


def test_http_exporter_uses_the_standard_variables(collector: _Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    """Endpoint and headers come from OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS; the spans arrive as protobuf."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{collector.port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=trajdyn")
    provider = make_provider(otlp_span_exporter())
    emit_trajectory(provider, task_id="via-http", iterations=2)
    provider.shutdown()

    assert collector.requests
    names: list[str] = []
    for path, headers, body in collector.requests:
        assert path == "/v1/traces"
        assert headers["content-type"] == "application/x-protobuf"
        assert headers["x-team"] == "trajdyn"
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    names.append(span.name)
                    if span.name.startswith(C.OPERATION_INVOKE_AGENT):
                        attrs = {kv.key: kv.value for kv in span.attributes}
                        assert attrs[C.TASK_ID].string_value == "via-http"
    assert sorted(names) == sorted(["invoke_agent tester"] + [C.PHASE_PROPOSE, C.PHASE_OBSERVE, C.PHASE_DECIDE] * 2)


_DEAD_ENDPOINT_SCRIPT = """
import json, sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from trajdyn.exporters import otlp_span_exporter
exporter = otlp_span_exporter(protocol=sys.argv[1])
memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(exporter))
provider.add_span_processor(SimpleSpanProcessor(memory))
tracer = provider.get_tracer("trajdyn")
done = 0
for i in range(20):
    with tracer.start_as_current_span("propose"):
        done += 1
flushed = provider.force_flush(timeout_millis=30000)
provider.shutdown()
with tracer.start_as_current_span("late"):
    pass
probe = otlp_span_exporter(protocol=sys.argv[1])
result = probe.export(memory.get_finished_spans())
probe.shutdown()
print(json.dumps({"done": done, "flushed": flushed, "probe": result.name}))
"""


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_dead_endpoint_leaves_the_loop_running(protocol: str) -> None:
    """A closed loopback port with a 1 s timeout: the loop finishes, flush/shutdown return, export reports FAILURE.

    Run in a subprocess; its generous ``timeout`` only guards against a hang, it measures nothing.
    """
    port = _closed_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_TIMEOUT": "1"})
    proc = subprocess.run(
        [sys.executable, "-c", _DEAD_ENDPOINT_SCRIPT, protocol],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["done"] == 20
    assert result["probe"] == "FAILURE"
    assert "Traceback" not in proc.stderr
