"""Several processes and threads append to one spans file: no torn or interleaved line, no lost span."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.util.types import AttributeValue

from trajdyn import conventions as C
from trajdyn.exporters import JsonLinesSpanExporter, rotated_path

WRITER = Path(__file__).with_name("_concurrent_writer.py")
WORKERS = 4
SPANS_PER_WORKER = 150
PAYLOAD = 6000  # each line is larger than PIPE_BUF (4096), where O_APPEND alone would not keep writes atomic


def _run_workers(path: Path, rotate: int | None, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                str(path),
                str(w),
                str(SPANS_PER_WORKER),
                str(PAYLOAD),
                "none" if rotate is None else str(rotate),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(WORKERS)
    ]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


def _count_lines(files: list[Path]) -> Counter[tuple[str, int]]:
    """(task id, iteration) of every span in ``files``; every line must be a whole OTLP/JSON document."""
    seen: Counter[tuple[str, int]] = Counter()
    for file in files:
        raw = file.read_bytes()
        assert raw.endswith(b"\n")
        for line in raw.split(b"\n")[:-1]:
            doc = json.loads(line)  # a torn or interleaved line fails here
            for rs in doc["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        attrs = {kv["key"]: kv["value"] for kv in span["attributes"]}
                        task = attrs[C.TASK_ID]["stringValue"]
                        assert attrs[C.CONTENT]["stringValue"] == task[1:] * PAYLOAD
                        seen[(task, int(attrs[C.ITERATION]["intValue"]))] += 1
    return seen


def _expected() -> Counter[tuple[str, int]]:
    return Counter({(f"w{w}", i): 1 for w in range(WORKERS) for i in range(1, SPANS_PER_WORKER + 1)})


def test_four_processes_append_whole_lines(tmp_path: Path) -> None:
    """4 processes × 150 spans of > PIPE_BUF bytes each: every line valid JSON, every span exactly once."""
    path = tmp_path / "spans.jsonl"
    _run_workers(path, None, tmp_path)
    assert len(path.read_bytes().split(b"\n")) - 1 == WORKERS * SPANS_PER_WORKER
    assert _count_lines([path]) == _expected()


def test_four_processes_append_while_rotating(tmp_path: Path) -> None:
    """Concurrent writers that rotate the shared file lose no span and never overwrite a rotated file."""
    path = tmp_path / "spans.jsonl"
    rotate = 100_000  # about 15 lines per file
    _run_workers(path, rotate, tmp_path)
    rotated = sorted(tmp_path.glob("spans.*.jsonl"), key=lambda p: int(p.name.split(".")[1]))
    assert len(rotated) >= 4
    assert [p.name for p in rotated] == [rotated_path(path, n).name for n in range(1, len(rotated) + 1)]
    for file in [*rotated, path]:
        assert file.stat().st_size <= rotate
    assert _count_lines([*rotated, path]) == _expected()


def test_threads_share_one_exporter(tmp_path: Path) -> None:
    """8 threads exporting through one exporter write 8 × 100 whole lines."""
    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesSpanExporter(path)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE)
    barrier = threading.Barrier(8)

    def work(w: int) -> None:
        barrier.wait()
        for i in range(100):
            attrs: dict[str, AttributeValue] = {C.TASK_ID: f"w{w}", C.ITERATION: i + 1, C.CONTENT: str(w) * PAYLOAD}
            with tracer.start_as_current_span(C.PHASE_PROPOSE, attributes=attrs):
                pass

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    provider.shutdown()
    assert exporter.failed_exports == 0
    assert _count_lines([path]) == Counter({(f"w{w}", i): 1 for w in range(8) for i in range(1, 101)})
