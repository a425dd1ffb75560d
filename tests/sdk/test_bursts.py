"""Bursts: 200 concurrent asyncio trajectories lose no span with the default configuration; when spans must be
dropped (an exporter that fails or hangs) every one is counted and said once on stderr."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import trajdyn
from tests.sdk.conftest import run_python
from trajdyn.sdk import _processor
from trajdyn.sdk._processor import TrajdynBatchSpanProcessor

N_TRAJECTORIES = 200
N_ITERATIONS = 20
SPANS = N_TRAJECTORIES * (1 + 3 * N_ITERATIONS)

BURST = """
import asyncio
import trajdyn

@trajdyn.propose
async def propose(i):
    await asyncio.sleep(0)
    return {"knob": f"k{i % 5}", "value": i}

@trajdyn.observe
async def observe(i):
    await asyncio.sleep(0)
    return float(i)

@trajdyn.decide
async def decide(i):
    return "keep" if i % 3 == 0 else "revert"

async def one(t, iterations):
    async with trajdyn.trajectory(task_id=f"t{t}", objective="minimize"):
        for i in range(iterations):
            await propose(i)
            await observe(i)
            await decide(i)

async def burst(trajectories, iterations):
    await asyncio.gather(*(one(t, iterations) for t in range(trajectories)))
"""


def _spans_in(path: Path) -> int:
    n = 0
    for line in path.read_bytes().splitlines():
        doc = json.loads(line)
        n += sum(len(ss["spans"]) for rs in doc["resourceSpans"] for ss in rs["scopeSpans"])
    return n


def test_asyncio_burst_loses_no_span_with_the_default_configuration(tmp_path: Path) -> None:
    """200 trajectories × 20 iterations in asyncio tasks: every span reaches the file, the analyzer sees 20
    iterations in each of the 200 trajectories, and nothing is counted as dropped or lost."""
    from trajdyn.analyzer import read_spans, trajectories

    namespace: dict[str, object] = {}
    exec(BURST, namespace)
    path = tmp_path / "spans.jsonl"
    trajdyn.configure(file=path, announce=False)
    asyncio.run(namespace["burst"](N_TRAJECTORIES, N_ITERATIONS))  # type: ignore[operator]
    trajdyn.shutdown()

    assert _spans_in(path) == SPANS
    data = read_spans(path)
    assert data.errors == []
    frame = trajectories(data)
    assert frame.height == N_TRAJECTORIES
    assert frame["n_iterations"].to_list() == [N_ITERATIONS] * N_TRAJECTORIES
    summary = trajdyn.summary()
    assert summary.spans_exported == SPANS
    assert (summary.spans_dropped, summary.spans_lost) == (0, 0)


def test_a_tiny_queue_set_by_the_user_is_respected_and_back_pressure_loses_nothing(tmp_path: Path) -> None:
    """OTEL_BSP_MAX_QUEUE_SIZE=64 (the user's, never overridden): the queue overflows many times during the burst;
    the loop waits for the exporter instead of dropping, so every span still arrives."""
    path = tmp_path / "spans.jsonl"
    proc = run_python(
        BURST
        + f"""
trajdyn.configure(file={str(path)!r})
sizes = [p.max_queue_size for p in trajdyn.sdk.current_config().processors]
asyncio.run(burst({N_TRAJECTORIES}, {N_ITERATIONS}))
trajdyn.shutdown()
s = trajdyn.summary()
print(sizes, s.spans_exported, s.spans_dropped, s.spans_lost)
""",
        env={"OTEL_BSP_MAX_QUEUE_SIZE": "64", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "32"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[64]", str(SPANS), "0", "0"]
    assert _spans_in(path) == SPANS
    assert "dropping" not in proc.stderr


class _FailingExporter(SpanExporter):
    """A collector that is down: every export fails."""

    def __init__(self) -> None:
        self.calls = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.calls += 1
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


class _HangingExporter(SpanExporter):
    """An exporter stuck in its first export until released; then it delivers."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(30)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


def _loop(iterations: int) -> None:
    @trajdyn.propose
    def propose(i: int) -> tuple[str, int]:
        return ("lr", i)

    @trajdyn.observe
    def observe(i: int) -> float:
        return float(i)

    @trajdyn.decide
    def decide(i: int) -> str:
        return "keep"

    with trajdyn.trajectory(task_id="t"):
        for i in range(iterations):
            propose(i)
            observe(i)
            decide(i)


def test_a_failing_exporter_drops_without_stalling_and_every_span_is_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exports fail: spans that do not fit the queue are dropped at once (no waiting on a dead exporter); dropped +
    lost = every span made; the drop is said once on stderr and the summary line says it at shutdown."""
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "16")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8")
    exporter = _FailingExporter()
    trajdyn.configure(exporters=[exporter], sidecar=None, announce=False)
    _loop(100)
    trajdyn.shutdown()
    summary = trajdyn.summary()
    assert exporter.calls >= 1
    assert summary.spans_exported == 0
    assert summary.spans_dropped > 0
    assert summary.spans_dropped + summary.spans_lost == 1 + 3 * 100
    assert trajdyn.internal_error_count() >= summary.spans_dropped
    err = capsys.readouterr().err
    assert err.count("dropping spans") == 1
    assert err.count("could not export") == 1
    assert f"{summary.spans_dropped} DROPPED (queue full)" in err
    assert f"{summary.spans_lost} LOST (export failed)" in err


def test_a_wait_that_times_out_drops_and_counts_then_back_pressure_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exporter that hangs: the loop waits at most MAX_WAIT_S, then spans are dropped and counted until an
    export succeeds; exported + dropped = every span made."""
    monkeypatch.setattr(_processor, "MAX_WAIT_S", 0.05)
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "16")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8")
    exporter = _HangingExporter()
    trajdyn.configure(exporters=[exporter], sidecar=None, announce=False)
    _loop(30)
    dropped_while_hanging = trajdyn.summary().spans_dropped
    exporter.release.set()
    _loop(30)
    trajdyn.shutdown()
    summary = trajdyn.summary()
    assert dropped_while_hanging > 0
    assert summary.spans_exported == exporter.exported
    assert summary.spans_exported + summary.spans_dropped == 2 * (1 + 3 * 30)


def test_opentelemetry_batching_internals_used_for_back_pressure_are_there() -> None:
    """Back-pressure reads the installed opentelemetry-sdk's queue; an upgrade that renames it fails here."""
    processor = TrajdynBatchSpanProcessor(_FailingExporter(), "test")
    try:
        assert processor._backpressure
        assert processor.max_queue_size == 2048  # OpenTelemetry's default: trajdyn sets no OTEL_BSP_* value
    finally:
        processor.shutdown()
