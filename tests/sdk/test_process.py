"""Process-level behaviour in real subprocesses: zero configuration, provider etiquette, exit/SIGTERM flush,
fork safety, unwritable paths, a dead OTLP endpoint, and a light ``import trajdyn``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sdk.conftest import REPO_ROOT, run_python

LOOP = """
import trajdyn

@trajdyn.propose
def propose(i):
    return ("lr", i % 2)

@trajdyn.observe
def evaluate(i):
    return float(i)

@trajdyn.decide
def decide(i):
    return "keep"

def loop(n, **kw):
    with trajdyn.trajectory(task_id="t", **kw) as traj:
        for i in range(n):
            propose(i); evaluate(i); decide(i)
    return traj
"""


def _spans_in(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                out.extend(ss.get("spans", []))
    return out


def _signal_when_ready(code: str, signum: int) -> int:
    """Run ``code`` in a fresh interpreter, send ``signum`` once it printed "ready", and return its exit status."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    env.pop("PYTEST_VERSION", None)
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    with subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signum)
        return proc.wait(timeout=30)


def test_import_is_light() -> None:
    """import trajdyn / trajdyn.sdk never imports polars, numpy, scipy or torch."""
    proc = run_python(
        """
        import sys, trajdyn, trajdyn.sdk
        heavy = [m for m in ("polars", "numpy", "scipy", "torch", "sentence_transformers") if m in sys.modules]
        print(heavy)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_import_loads_opentelemetry_only_when_the_sdk_is_used(tmp_path: Path) -> None:
    """import trajdyn (and its light modules) loads no OpenTelemetry; trajdyn.sdk only the API; the first trajectory
    the SDK, and then records as always."""
    proc = run_python(
        """
        import sys
        def loaded(prefix): return any(m == prefix or m.startswith(prefix + ".") for m in sys.modules)
        import trajdyn, trajdyn.redact, trajdyn.conventions, trajdyn.exporters
        print(loaded("opentelemetry"))
        from trajdyn import propose, trajectory
        import trajdyn.sdk
        print(loaded("opentelemetry.trace"), loaded("opentelemetry.sdk"))
        trajdyn.configure(file="spans.jsonl", announce=False)
        print(loaded("opentelemetry.sdk"))
        @propose
        def p(): return {"knob": "k", "value": 1}
        with trajectory("t") as traj:
            p()
        trajdyn.shutdown()
        print(traj.iteration, sorted(set(trajdyn.__all__) - set(dir(trajdyn))))
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:4] == ["False", "True False", "True", "1 []"]
    assert len(_spans_in(tmp_path / "spans.jsonl")) == 2


def test_zero_configuration_writes_default_file_at_exit(tmp_path: Path) -> None:
    """No configure(), no provider: spans go to ./trajdyn-out/spans-<pid>.jsonl, announced once, all flushed."""
    proc = run_python(LOOP + "\nimport os; print(os.getpid()); loop(4); loop(2)\n", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pid = proc.stdout.strip()
    path = tmp_path / "trajdyn-out" / f"spans-{pid}.jsonl"
    assert proc.stderr.count("trajdyn: writing spans to") == 1
    assert str(path.name) in proc.stderr
    spans = _spans_in(path)
    assert len(spans) == 2 + 3 * 6
    sidecar = json.loads((tmp_path / "trajdyn-out" / f"spans-{pid}.coverage.json").read_text())
    assert [t["iterations"] for t in sidecar["trajectories"]] == [4, 2]


def test_trajdyn_home_and_file_env(tmp_path: Path) -> None:
    """TRAJDYN_FILE wins over TRAJDYN_HOME; the announcement is only made when trajdyn picked the path."""
    target = tmp_path / "custom" / "s.jsonl"
    proc = run_python(LOOP + "\nloop(1)\n", env={"TRAJDYN_FILE": str(target), "TRAJDYN_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stderr
    assert len(_spans_in(target)) == 4
    assert not (tmp_path / "home").exists()


def test_private_provider_is_not_made_global(tmp_path: Path) -> None:
    """Without a global SDK provider trajdyn uses a private one and leaves the global untouched."""
    proc = run_python(
        LOOP
        + """
from opentelemetry import trace
before = trace.get_tracer_provider()
loop(1)
print(trace.get_tracer_provider() is before, type(trace.get_tracer_provider()).__name__)
""",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "ProxyTracerProvider"]


def test_existing_global_sdk_provider_is_reused_not_replaced(tmp_path: Path) -> None:
    """A global SDK TracerProvider set by the app receives trajdyn's spans; trajdyn adds one processor once."""
    proc = run_python(
        LOOP
        + f"""
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
mine = TracerProvider(); mem = InMemorySpanExporter(); mine.add_span_processor(SimpleSpanProcessor(mem))
trace.set_tracer_provider(mine)
trajdyn.configure(file={str(tmp_path / "a.jsonl")!r})
trajdyn.configure(file={str(tmp_path / "b.jsonl")!r})
loop(2)
trajdyn.flush()
print(trace.get_tracer_provider() is mine, len(mem.get_finished_spans()),
      len(mine._active_span_processor._span_processors))
""",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "7", "2"]
    assert len(_spans_in(tmp_path / "b.jsonl")) == 7
    first = tmp_path / "a.jsonl"
    assert not first.exists() or _spans_in(first) == []


def test_flush_on_sigterm_then_default_exit(tmp_path: Path) -> None:
    """SIGTERM mid-loop: every finished span and the aborted root reach the file; the process dies by SIGTERM."""
    out = tmp_path / "s.jsonl"
    code = (
        LOOP
        + f"""
import sys, time
trajdyn.configure(file={str(out)!r})
with trajdyn.trajectory(task_id="t"):
    for i in range(3):
        propose(i); evaluate(i); decide(i)
    print("ready", flush=True)
    time.sleep(60)
"""
    )
    assert _signal_when_ready(code, signal.SIGTERM) == -signal.SIGTERM
    spans = _spans_in(out)
    assert len(spans) == 10
    root = next(s for s in spans if s["name"] == "invoke_agent")
    assert root["status"]["code"] == 2


def test_sigterm_chains_existing_handler(tmp_path: Path) -> None:
    """A SIGTERM handler installed before trajdyn still runs, after trajdyn flushed."""
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP
        + f"""
import os, signal, sys
def mine(signum, frame):
    print("mine", flush=True)
    sys.exit(7)
signal.signal(signal.SIGTERM, mine)
trajdyn.configure(file={str(out)!r})
with trajdyn.trajectory(task_id="t"):
    propose(1)
    os.kill(os.getpid(), signal.SIGTERM)
""",
    )
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout.strip() == "mine"
    assert len(_spans_in(out)) == 2


def test_fork_child_does_not_re_export_the_parents_spans(tmp_path: Path) -> None:
    """A forked child does not re-export the parent's queued spans; the parent's file has each span once."""
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP
        + f"""
import os
trajdyn.configure(file={str(out)!r})
with trajdyn.trajectory(task_id="t"):
    propose(1); evaluate(1)
    pid = os.fork()
    if pid == 0:
        evaluate(2)  # transparent in the child: the parent's trajectory is not the child's
        print("child", trajdyn.current_trajectory() is not None, flush=True)
        raise SystemExit(0)
    os.waitpid(pid, 0)
    decide(1)
""",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "child False"
    spans = _spans_in(out)
    assert sorted(s["name"] for s in spans) == ["decide", "invoke_agent", "observe", "propose"]


def test_fork_child_steps_in_the_inherited_trajectory_are_counted_and_said_once(tmp_path: Path) -> None:
    """In the child, steps and events inside the parent's trajectory are not recorded: each is counted, the child
    says so once on stderr and in its summary line; the parent's trajectory is untouched."""
    out = tmp_path / "s.jsonl"
    proc = run_python(
        LOOP
        + f"""
import os, sys
trajdyn.configure(file={str(out)!r})
with trajdyn.trajectory(task_id="parent") as traj:
    propose(1)
    pid = os.fork()
    if pid == 0:
        for i in range(3):
            propose(i); evaluate(i); decide(i)
        trajdyn.retry("in the child")
        print("child", trajdyn.summary().steps_unrecorded, flush=True)
        sys.exit(0)
    os.waitpid(pid, 0)
    evaluate(1)
print("parent", traj.iteration, trajdyn.summary().steps_unrecorded)
""",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["child 10", "parent 1 0"]
    assert proc.stderr.count("the child's steps in it are not recorded") == 1
    assert "10 steps not recorded (forked child)" in proc.stderr
    spans = _spans_in(out)
    assert sorted(s["name"] for s in spans) == ["invoke_agent", "observe", "propose"]
    assert not any(e["name"] == "trajdyn.retry" for s in spans for e in s.get("events", []))


def test_fork_child_exports_its_own_trajectories_to_the_configured_file(tmp_path: Path) -> None:
    """multiprocessing (fork) workers write their trajectories to the parent's configured file (not to a
    spans-<pid>.jsonl of their own), even though they leave with os._exit; each worker has its own sidecar."""
    out = tmp_path / "run" / "spans.jsonl"
    proc = run_python(
        LOOP
        + f"""
import multiprocessing, os
def work(n):
    traj = loop(n)
    return os.getpid(), traj.trajectory_id

if __name__ == "__main__":
    trajdyn.configure(file={str(out)!r})
    parent = loop(2)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map(work, [3, 4, 5])
    trajdyn.shutdown()
    print(parent.trajectory_id, *[f"{{pid}}:{{tid}}" for pid, tid in results])
""",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    parent_id, *children = proc.stdout.split()
    spans = _spans_in(out)
    roots = {
        a["value"]["stringValue"]: s
        for s in spans
        if s["name"] == "invoke_agent"
        for a in s["attributes"]
        if a["key"] == "trajdyn.trajectory.id"
    }
    child_ids = [c.split(":")[1] for c in children]
    assert set(roots) == {parent_id, *child_ids}
    assert len(spans) == (1 + 3 * 2) + sum(1 + 3 * n for n in (3, 4, 5))
    assert sorted(p.name for p in (tmp_path / "run").iterdir() if p.name.startswith("spans.")) == sorted(
        ["spans.jsonl", "spans.coverage.json", *{f"spans.{c.split(':')[0]}.coverage.json" for c in children}]
    )
    parent_sidecar = json.loads((tmp_path / "run" / "spans.coverage.json").read_text())
    assert [t["trajectory_id"] for t in parent_sidecar["trajectories"]] == [parent_id]
    assert not (tmp_path / "trajdyn-out").exists()


def test_sigkill_loses_at_most_the_queued_spans_and_the_analyzer_reports_a_torn_line(tmp_path: Path) -> None:
    """SIGKILL mid-loop: everything flushed before the kill is in the file, every line written is whole; a line
    torn by a kill is one `file:line` problem for the analyzer, the next writer starts a new line after it, and
    the analyzer reads every other span."""
    from trajdyn.analyzer import read_spans

    out = tmp_path / "s.jsonl"
    code = (
        LOOP
        + f"""
trajdyn.configure(file={str(out)!r})
with trajdyn.trajectory(task_id="killed"):
    for i in range(5):
        propose(i); evaluate(i); decide(i)
    trajdyn.flush()
    print("ready", flush=True)
    i = 5
    while True:
        propose(i); evaluate(i); decide(i)
        i += 1
"""
    )
    assert _signal_when_ready(code, signal.SIGKILL) == -signal.SIGKILL
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        json.loads(line)  # whole lines only
    kept = len(_spans_in(out))
    assert kept >= 3 * 5  # what was flushed before the kill survives (the root never ended)

    # a kill in the middle of a write leaves a fragment; the next process appends after it on a new line
    fragment = lines[0][: len(lines[0]) // 2]
    with out.open("ab") as fh:
        fh.write(fragment)
    proc2 = run_python(LOOP + f"\ntrajdyn.configure(file={str(out)!r})\nloop(2)\n")
    assert proc2.returncode == 0, proc2.stderr
    data = read_spans(out)
    torn_line = len(lines)  # 1-based: the line after the last whole one
    assert [e.line for e in data.errors] == [torn_line]
    assert str(data.errors[0]).startswith(f"{out}:{torn_line}: ")
    assert data.spans.height == kept + 1 + 3 * 2


def test_unwritable_spans_file_leaves_the_loop_running(tmp_path: Path) -> None:
    """A spans file that cannot be created is an internal error; the loop runs to the end."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_python(
        LOOP
        + f"""
trajdyn.configure(file={str(blocker / "sub" / "s.jsonl")!r}, sidecar={str(tmp_path / "c.json")!r})
t = loop(5)
print(t.coverage["iterations"], trajdyn.internal_error_count())
""",
    )
    assert proc.returncode == 0, proc.stderr
    iterations, errors = proc.stdout.split()
    assert iterations == "5"
    assert int(errors) >= 1


def test_dead_otlp_endpoint_leaves_the_loop_running(tmp_path: Path) -> None:
    """OTLP export to a closed port: the loop finishes, exit costs at most about the export timeout."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_python(
        LOOP + "\nt = loop(20)\ntrajdyn.flush()\nprint(t.coverage['iterations'], trajdyn.internal_error_count())\n",
        env={
            "TRAJDYN_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        },
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    iterations, errors = proc.stdout.split()
    assert iterations == "20"
    assert int(errors) >= 1  # the failed export is counted
