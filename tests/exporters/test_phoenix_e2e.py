"""End to end against a real backend: the example loop exports over OTLP/HTTP and OTLP/gRPC to a Phoenix server.

A real ``phoenix serve`` (PyPI ``arize-phoenix``) runs as a subprocess on free loopback ports with its own SQLite
database in a temporary working directory, telemetry and external resources off. ``examples/autoresearch_loop.py``
runs as a subprocess with ``TRAJDYN_EXPORTER=file,otlp`` and the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_PROTOCOL`` set in its environment only, and ``OTEL_RESOURCE_ATTRIBUTES=
openinference.project.name=<project>`` (Phoenix files spans under that project). The spans are read back through
Phoenix's REST API, ``GET /v1/projects/{project}/spans``, and compared with the spans file the same run wrote:
same span ids, names and parents (an ``invoke_agent`` root over propose/observe/decide steps), same attributes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "autoresearch_loop.py"
ITERATIONS = 12
STARTUP_TIMEOUT_S = 120.0
INGEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Phoenix:
    """A running Phoenix server."""

    http_port: int
    grpc_port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _phoenix_command() -> list[str]:
    script = Path(sys.executable).with_name("phoenix")
    if script.exists():
        return [str(script), "serve"]
    found = shutil.which("phoenix")
    if found is None:
        pytest.skip("the `phoenix` command of arize-phoenix is not on PATH")
    return [found, "serve"]


def _clean_env() -> dict[str, str]:
    """The test process's environment without any OTEL_*, PHOENIX_* or TRAJDYN_* setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PHOENIX_", "TRAJDYN_"))}


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phoenix]:
    """``phoenix serve`` on free loopback ports; always terminated at the end of the module."""
    if importlib.util.find_spec("phoenix") is None:
        pytest.skip("arize-phoenix is not installed (it is in the `e2e` dependency group: uv sync --group e2e)")
    workdir = tmp_path_factory.mktemp("phoenix")
    server = Phoenix(http_port=_free_port(), grpc_port=_free_port())
    env = _clean_env()
    env.update(
        {
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(server.http_port),
            "PHOENIX_GRPC_PORT": str(server.grpc_port),
            "PHOENIX_WORKING_DIR": str(workdir),
            "PHOENIX_SQL_DATABASE_URL": f"sqlite:///{workdir / 'phoenix.db'}",
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        }
    )
    log = workdir / "phoenix.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(_phoenix_command(), env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"phoenix serve exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"phoenix serve not healthy after {STARTUP_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _decode_value(value: dict[str, Any]) -> Any:
    """An OTLP/JSON AnyValue as a Python value."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [_decode_value(v) for v in value["arrayValue"].get("values", [])]
    raise AssertionError(f"unexpected OTLP value {value!r}")


def _file_spans(path: Path) -> dict[str, dict[str, Any]]:
    """span id → {name, trace_id, parent_id, attributes} from an OTLP/JSON lines file."""
    spans: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    spans[span["spanId"]] = {
                        "name": span["name"],
                        "trace_id": span["traceId"],
                        "parent_id": span.get("parentSpanId") or None,
                        "attributes": {kv["key"]: _decode_value(kv["value"]) for kv in span.get("attributes", [])},
                    }
    return spans


def _phoenix_spans(server: Phoenix, project: str, expected: int) -> dict[str, dict[str, Any]]:
    """span id → {name, trace_id, parent_id, attributes} from ``GET /v1/projects/{project}/spans``.

    Phoenix ingests asynchronously: poll (bounded) until ``expected`` spans are there.
    """
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    spans: dict[str, dict[str, Any]] = {}
    while True:
        spans = {}
        cursor: str | None = None
        try:
            while True:
                query = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
                url = (
                    f"{server.base_url}/v1/projects/{urllib.parse.quote(project)}/spans?{urllib.parse.urlencode(query)}"
                )
                page = _get_json(url)
                for span in page["data"]:
                    spans[span["context"]["span_id"]] = {
                        "name": span["name"],
                        "trace_id": span["context"]["trace_id"],
                        "parent_id": span["parent_id"],
                        "attributes": span["attributes"],
                    }
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        except urllib.error.HTTPError as error:
            if error.code != 404:  # 404: the project does not exist until its first span is ingested
                raise
        if len(spans) >= expected or time.monotonic() > deadline:
            return spans
        time.sleep(0.25)


@pytest.mark.parametrize(("protocol", "port_attr"), [("http/protobuf", "http_port"), ("grpc", "grpc_port")])
def test_example_loop_reaches_phoenix(phoenix: Phoenix, protocol: str, port_attr: str, tmp_path: Path) -> None:
    """The example's trajectory arrives in Phoenix with its tree and attributes, over OTLP/HTTP and OTLP/gRPC."""
    assert EXAMPLE.exists(), f"{EXAMPLE} is missing"
    project = f"trajdyn-e2e-{protocol.replace('/', '-')}"
    out = tmp_path / "out"
    env = _clean_env()
    env.update(
        {
            C.ENV_EXPORTER: "file,otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{getattr(phoenix, port_attr)}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_TIMEOUT": "10",
            "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        }
    )
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--iterations", str(ITERATIONS), "--seed", "3"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr

    expected = _file_spans(out / "spans.jsonl")
    got = _phoenix_spans(phoenix, project, len(expected))
    assert set(got) == set(expected), f"{len(got)} spans in Phoenix, {len(expected)} in the file"

    # the trajectory tree: one invoke_agent root; every step span descends from it in the same trace
    roots = [sid for sid, s in got.items() if s["parent_id"] is None]
    assert len(roots) == 1
    root = got[roots[0]]
    assert root["name"] == C.trajectory_span_name("autoresearch")
    for sid, span in got.items():
        assert span["name"] == expected[sid]["name"]
        assert span["trace_id"] == expected[sid]["trace_id"] == root["trace_id"]
        assert span["parent_id"] == expected[sid]["parent_id"]
        ancestor = span
        while ancestor["parent_id"] is not None:
            ancestor = got[ancestor["parent_id"]]
        assert ancestor is root

    # attributes survive the trip with their types
    for sid, span in got.items():
        for key, value in expected[sid]["attributes"].items():
            if key.startswith(("trajdyn.", "gen_ai.")):
                assert span["attributes"].get(key) == value, (span["name"], key)
    root_attrs = root["attributes"]
    assert root_attrs[C.TASK_ID] == "autoresearch-sim"
    assert root_attrs[C.GEN_AI_OPERATION_NAME] == C.OPERATION_INVOKE_AGENT
    assert root_attrs[C.OBJECTIVE] == C.OBJECTIVE_MINIMIZE
    menu = root_attrs[C.KNOB_MENU]
    assert isinstance(menu, list) and len(menu) == 13

    steps = [s for s in got.values() if s is not root]
    phases = Counter((s["attributes"][C.PHASE], s["attributes"][C.ITERATION]) for s in steps)
    assert phases == Counter({(phase, i): 1 for phase in C.PHASES for i in range(1, ITERATIONS + 1)}), (
        "one propose, observe and decide per iteration"
    )
    for span in steps:
        assert span["name"] == span["attributes"][C.PHASE]
        assert isinstance(span["attributes"][C.ITERATION], int)
        if span["name"] == C.PHASE_PROPOSE:
            assert span["attributes"][C.KNOB] in menu
            assert isinstance(span["attributes"][C.VALUE], str)
        elif span["name"] == C.PHASE_OBSERVE:
            assert isinstance(span["attributes"][C.METRIC], float)
        else:
            assert span["attributes"][C.DECISION] in C.DECISIONS
