"""Where spans go: no network unless configured, every destination announced once on stderr, and the files'
modes decided by the umask alone. Real subprocesses and a real local OTLP/HTTP receiver."""

from __future__ import annotations

import http.server
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.conftest import run_python

LOOP = """
import trajdyn

@trajdyn.propose
def propose(i):
    return ("lr", i)

@trajdyn.decide
def decide(i):
    return "keep"

def loop(n):
    with trajdyn.trajectory(task_id="t", task_text="a task"):
        for i in range(n):
            propose(i); decide(i)
"""


class _Receiver(http.server.BaseHTTPRequestHandler):
    posts: list[str]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        type(self).posts.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[str]]]:
    """A local OTLP/HTTP receiver: (its endpoint, the paths it received POSTs on)."""
    handler = type("Receiver", (_Receiver,), {"posts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.posts
    finally:
        server.shutdown()
        server.server_close()


def test_explicit_file_with_a_stray_endpoint_sends_nothing_over_the_network(
    tmp_path: Path, collector: tuple[str, list[str]]
) -> None:
    """configure(file=…) with content capture on and OTEL_EXPORTER_OTLP_ENDPOINT set: the file only, and the file
    is the only destination announced."""
    endpoint, posts = collector
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP + f"\ntrajdyn.configure(file={str(out)!r}, capture_content=True)\nloop(3)\ntrajdyn.shutdown()\n",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
    )
    assert proc.returncode == 0, proc.stderr
    assert posts == []
    assert proc.stderr.splitlines() == [f"trajdyn: writing spans to {out}"]
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("configure", "env"),
    [
        ("file={out!r}, otlp=True", {}),
        ("file={out!r}", {"TRAJDYN_EXPORTER": "file,otlp"}),
    ],
    ids=["otlp=True", "TRAJDYN_EXPORTER"],
)
def test_network_export_when_asked_is_announced(
    tmp_path: Path, collector: tuple[str, list[str]], configure: str, env: dict[str, str]
) -> None:
    """otlp=True or TRAJDYN_EXPORTER naming otlp: spans reach the collector, and both destinations are announced."""
    endpoint, posts = collector
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP + f"\ntrajdyn.configure({configure.format(out=str(out))})\nloop(3)\ntrajdyn.shutdown()\n",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, **env},
    )
    assert proc.returncode == 0, proc.stderr
    assert posts and set(posts) == {"/v1/traces"}
    assert sorted(proc.stderr.splitlines()) == [
        f"trajdyn: sending spans to OTLP/HTTP endpoint {endpoint}/v1/traces",
        f"trajdyn: writing spans to {out}",
    ]


def test_zero_configuration_with_an_endpoint_exports_there_and_says_so(
    tmp_path: Path, collector: tuple[str, list[str]]
) -> None:
    """No configure() call: the standard OTLP variables are the configuration; both destinations are announced."""
    endpoint, posts = collector
    proc = run_python(LOOP + "\nloop(2)\n", env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert posts
    lines = proc.stderr.splitlines()
    assert f"trajdyn: sending spans to OTLP/HTTP endpoint {endpoint}/v1/traces" in lines
    assert sum(line.startswith("trajdyn: writing spans to ") for line in lines) == 1
    assert len(lines) == 2


def test_otlp_false_never_exports_over_the_network(tmp_path: Path, collector: tuple[str, list[str]]) -> None:
    """otlp=False wins over TRAJDYN_EXPORTER=otlp (argument before environment)."""
    endpoint, posts = collector
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP + f"\ntrajdyn.configure(file={str(out)!r}, otlp=False)\nloop(2)\ntrajdyn.shutdown()\n",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "TRAJDYN_EXPORTER": "file,otlp"},
    )
    assert proc.returncode == 0, proc.stderr
    assert posts == []
    assert proc.stderr.splitlines() == [f"trajdyn: writing spans to {out}"]


def test_announcement_never_echoes_credentials_in_the_endpoint(tmp_path: Path) -> None:
    """An endpoint with user:password in it is announced with the credentials replaced."""
    proc = run_python(
        LOOP + "\ntrajdyn.configure(exporters=['otlp'], announce=True)\n",
        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://agent:S3cretPassw0rd@127.0.0.1:9/v1/traces"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "S3cretPassw0rd" not in proc.stderr
    assert "trajdyn: sending spans to OTLP/HTTP endpoint http://[REDACTED]@127.0.0.1:9/v1/traces" in proc.stderr


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_spans_file_and_sidecar_modes_follow_the_umask(tmp_path: Path, umask: int) -> None:
    """One rule for every file trajdyn writes: mode 0666 less the umask (the sidecar used to be 0600 always)."""
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP + f"\nimport os\nos.umask({umask})\ntrajdyn.configure(file={str(out)!r}, announce=False)\nloop(2)\n",
    )
    assert proc.returncode == 0, proc.stderr
    expected = 0o666 & ~umask
    sidecar = tmp_path / "s.coverage.json"
    assert stat.S_IMODE(out.stat().st_mode) == expected
    assert stat.S_IMODE(sidecar.stat().st_mode) == expected
    assert not list(tmp_path.glob("*.tmp"))
