"""read_spans on files written by the real OpenTelemetry SDK and the official OTLP/JSON file exporter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import read_spans

T0 = 1_700_000_000_000_000_000


class SequentialIds(IdGenerator):
    """Deterministic ids: trace ids 1, 2, …; span ids 1, 2, … (hex)."""

    def __init__(self, first_trace: int = 1) -> None:
        self.trace = first_trace - 1
        self.span = 0

    def generate_trace_id(self) -> int:
        self.trace += 1
        return self.trace

    def generate_span_id(self) -> int:
        self.span += 1
        return self.span


Iteration = tuple[str, object, float, str]
"""(knob, value, metric, decision)."""


def write_agent_run(
    path: Path,
    iterations: Sequence[Iteration],
    *,
    trajectory_id: str | None = "traj-1",
    task_id: str = "task-1",
    first_trace: int = 1,
    nested: bool = False,
    crash: bool = False,
    blocked_before: int | None = None,
    menu: Sequence[str] | None = ("lr", "depth", "width"),
    objective: str = "minimize",
) -> None:
    """Write one agent run through the SDK into ``path`` (appending): a root ``invoke_agent`` span with
    propose/observe/decide children per iteration (under an intermediate ``loop`` span when ``nested``).

    ``crash``: the root span is never ended, so it never reaches the file. ``blocked_before``: a blocked
    propose precedes that iteration. Times are fixed (1 ms per step from ``T0``).
    """
    provider = TracerProvider(
        resource=Resource.create({"service.name": "agent-svc", "deployment": "test"}),
        id_generator=SequentialIds(first_trace),
    )
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE, "1.0")
    clock = iter(range(T0, T0 + 10**12, 1_000_000))
    common = {C.TRAJECTORY_ID: trajectory_id} if trajectory_id else {}
    root_attrs: dict[str, object] = {
        C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
        C.GEN_AI_AGENT_NAME: "tuner",
        C.GEN_AI_REQUEST_MODEL: "gpt-test",
        C.TASK_ID: task_id,
        C.OBJECTIVE: objective,
        C.BASELINE: 11.0,
        "custom.flag": "yes",
        **common,
    }
    if menu is not None:
        root_attrs[C.KNOB_MENU] = list(menu)
    root = tracer.start_span(C.trajectory_span_name("tuner"), attributes=root_attrs, start_time=next(clock))  # type: ignore[arg-type]
    ctx = trace.set_span_in_context(root)
    loop = None
    if nested:
        loop = tracer.start_span("loop", context=ctx, start_time=next(clock))
        ctx = trace.set_span_in_context(loop)

    def step(phase: str, attrs: dict[str, object], event: tuple[str, dict[str, object]] | None = None) -> None:
        span = tracer.start_span(
            f"{phase}",
            context=ctx,
            attributes={C.PHASE: phase, **common, **attrs},
            start_time=next(clock),  # type: ignore[arg-type]
        )
        if event is not None:
            span.add_event(event[0], event[1], timestamp=next(clock))  # type: ignore[arg-type]
        span.end(end_time=next(clock))

    for i, (knob, value, metric, decision) in enumerate(iterations, start=1):
        if blocked_before == i:
            step(C.PHASE_PROPOSE, {C.ITERATION: i, C.KNOB: "lr", C.VALUE: "0.1", C.BLOCKED: True})
        step(C.PHASE_PROPOSE, {C.ITERATION: i, C.KNOB: knob, C.VALUE: str(value), C.ACTION: f"{knob}={value}"})
        step(C.PHASE_OBSERVE, {C.ITERATION: i, C.METRIC: metric, C.metrics_key("latency_s"): 2})
        step(
            C.PHASE_DECIDE,
            {C.ITERATION: i, C.DECISION: decision},
            (C.EVENT_CUE_HIT, {C.PLAYBOOK_ENTRY_ID: "e1", C.PLAYBOOK_SUCCESS: True}),
        )
    if loop is not None:
        loop.end(end_time=next(clock))
    if not crash:
        root.end(end_time=next(clock))
    provider.shutdown()


RUN: list[Iteration] = [
    ("lr", 0.1, 10.9, "keep"),
    ("depth", 8, 10.95, "Reverted"),
    ("lr", 0.1, 10.85, "accepted"),
]


@pytest.fixture
def sdk_file(tmp_path: Path) -> Path:
    path = tmp_path / "spans.jsonl"
    write_agent_run(path, RUN, blocked_before=2)
    return path


def test_sdk_file_has_one_row_per_span_with_lowercase_hex_ids(sdk_file: Path) -> None:
    data = read_spans(sdk_file)
    assert data.errors == []
    assert data.spans.height == 1 + 3 * 3 + 1
    assert data.spans[K.TRACE_ID].unique().to_list() == ["0" * 31 + "1"]
    assert sorted(data.spans[K.SPAN_ID].to_list()) == [f"{i:016x}" for i in range(1, 12)]
    root = data.spans.filter(pl.col(C.GEN_AI_OPERATION_NAME) == C.OPERATION_INVOKE_AGENT)
    assert root[K.PARENT_SPAN_ID].to_list() == [None]
    assert root[K.NAME].to_list() == ["invoke_agent tuner"]
    assert data.inputs[0].spans == 11 and data.inputs[0].errors == 0


def test_every_conventions_key_is_a_typed_column_even_when_absent(sdk_file: Path) -> None:
    schema = read_spans(sdk_file).spans.schema
    expected = {"string": pl.Utf8, "int": pl.Int64, "double": pl.Float64, "bool": pl.Boolean}
    for key, kind in C.ATTRIBUTE_TYPES.items():
        want = pl.List(pl.Utf8) if kind == "string[]" else expected[kind]
        assert schema[key] == want, key
    assert schema[C.COVERAGE_BEST_VALUE] == pl.Float64  # never emitted here, still present
    assert schema[K.KIND] == pl.Int8 and schema[K.START_NS] == pl.Int64 and schema[K.LINE] == pl.Int64


def test_typed_values_resources_and_other_attributes(sdk_file: Path, tmp_path: Path) -> None:
    spans = read_spans(sdk_file).spans
    root = spans.filter(pl.col(C.GEN_AI_OPERATION_NAME) == C.OPERATION_INVOKE_AGENT).row(0, named=True)
    assert root[C.KNOB_MENU] == ["lr", "depth", "width"]
    assert root[C.BASELINE] == 11.0
    assert json.loads(root[K.ATTRIBUTES]) == {"custom.flag": "yes"}
    assert root[K.SERVICE_NAME] == "agent-svc"
    assert json.loads(root[K.RESOURCE])["deployment"] == "test"
    assert root[K.SCOPE_NAME] == C.INSTRUMENTATION_SCOPE and root[K.SCOPE_VERSION] == "1.0"
    assert root[K.START_NS] == T0 and root[K.KIND] == 1
    proposes = spans.filter(pl.col(C.PHASE) == C.PHASE_PROPOSE).sort(K.START_NS)
    assert proposes[C.ITERATION].to_list() == [1, 2, 2, 3]
    assert proposes[C.BLOCKED].to_list() == [None, True, None, None]
    observe = spans.filter(pl.col(C.PHASE) == C.PHASE_OBSERVE).sort(K.START_NS)
    assert observe[C.METRIC].to_list() == [10.9, 10.95, 10.85]
    # an int written for a trajdyn.metrics.* key becomes a double column
    assert spans.schema[C.metrics_key("latency_s")] == pl.Float64
    assert observe[C.metrics_key("latency_s")].to_list() == [2.0, 2.0, 2.0]
    assert spans[K.SOURCE].unique().to_list() == [str(sdk_file)]


def test_events_frame_carries_span_ids_and_typed_event_attributes(sdk_file: Path) -> None:
    data = read_spans(sdk_file)
    ev = data.events
    assert ev.height == 3
    assert ev[K.EVENT_NAME].unique().to_list() == [C.EVENT_CUE_HIT]
    assert ev[C.PLAYBOOK_ENTRY_ID].to_list() == ["e1"] * 3
    assert ev[C.PLAYBOOK_SUCCESS].to_list() == [True] * 3
    decide_ids = set(data.spans.filter(pl.col(C.PHASE) == C.PHASE_DECIDE)[K.SPAN_ID].to_list())
    assert set(ev[K.SPAN_ID].to_list()) == decide_ids


def test_several_inputs_directory_glob_and_gzip(tmp_path: Path) -> None:
    import gzip

    a = tmp_path / "runs" / "a.jsonl"
    a.parent.mkdir()
    write_agent_run(a, RUN, first_trace=1)
    b = tmp_path / "runs" / "sub" / "b.ndjson"
    b.parent.mkdir()
    write_agent_run(b, RUN[:1], first_trace=5)
    zipped = tmp_path / "runs" / "sub" / "c.data"  # gzip recognised by magic bytes, not suffix
    zipped.write_bytes(gzip.compress(a.read_bytes()))
    (tmp_path / "runs" / "notes.txt").write_text("not a span file")
    by_dir = read_spans(tmp_path / "runs")
    assert [Path(i.path).name for i in by_dir.inputs] == ["a.jsonl", "b.ndjson"]
    assert by_dir.spans.height == 10 + 4  # root + 3 steps per iteration
    by_glob = read_spans(str(tmp_path / "runs" / "**" / "*.*json*"))
    assert by_glob.spans.height == 14
    gz = read_spans(zipped)
    assert gz.errors == [] and gz.spans.height == 10
    both = read_spans([a, zipped])
    assert both.spans.height == 10  # the same spans twice: de-duplicated
    assert [i.spans for i in both.inputs] == [10, 10]


def test_stdin_dash_reads_bytes(sdk_file: Path) -> None:
    import subprocess
    import sys

    code = "from trajdyn.analyzer import read_spans; d = read_spans('-'); print(d.spans.height, len(d.errors))"
    out = subprocess.run([sys.executable, "-c", code], input=sdk_file.read_bytes(), capture_output=True, check=True)
    assert out.stdout.decode().split() == ["11", "0"]


def test_parallel_workers_give_the_same_frames_as_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trajdyn.analyzer.io import _read

    path = tmp_path / "many.jsonl"
    for t in range(1, 9):
        write_agent_run(path, RUN, first_trace=t * 10, trajectory_id=f"traj-{t}")
    serial = read_spans(path, workers=1)
    monkeypatch.setattr(_read, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(_read, "MIN_CHUNK_BYTES", 4096)
    parallel = read_spans(path, workers=2)
    assert parallel.errors == serial.errors == []
    assert parallel.spans.equals(serial.spans)
    assert parallel.events.equals(serial.events)
    assert serial.spans[K.LINE].max() == serial.spans.height  # SimpleSpanProcessor: one span per line
