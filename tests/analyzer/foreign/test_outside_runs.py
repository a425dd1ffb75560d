"""Foreign tool and model spans that belong to no agent run are counted in one note, never dropped silently; the
double of a counted model call (the same request traced by a second instrumentation, parented outside the run) is
not counted as outside (docs/conventions.md, "Foreign conventions")."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import analyze, model, read_spans
from trajdyn.exporters import JsonLinesSpanExporter

T0 = 1_700_000_000_000_000_000
MS = 1_000_000


def _write(path: Path, *, strays: bool, double: bool) -> None:
    tp = TracerProvider(resource=Resource.create({"service.name": "outside-test"}))
    tp.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    agent, openai = tp.get_tracer("agent-lib"), tp.get_tracer("openai-lib")
    main = agent.start_span("main", start_time=T0)  # the script's own span: no role, above the run
    top = trace.set_span_in_context(main)
    root = agent.start_span(
        "invoke_agent a", context=top, attributes={"gen_ai.operation.name": "invoke_agent"}, start_time=T0
    )
    ctx = trace.set_span_in_context(root)
    chat = agent.start_span(
        "chat m",
        context=ctx,
        attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2},
        start_time=T0 + 1 * MS,
    )
    if double:  # the same request seen by a second instrumentation, parented to the trace's top, not the run
        inner = openai.start_span(
            "chat m",
            context=top,
            attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 10},
            start_time=T0 + 2 * MS,
        )
        inner.end(end_time=T0 + 3 * MS)
    chat.end(end_time=T0 + 4 * MS)
    for i, tool in enumerate(("search", "read")):
        span = agent.start_span(
            f"execute_tool {tool}",
            context=ctx,
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
            start_time=T0 + (5 + i) * MS,
        )
        span.end(end_time=T0 + (5 + i) * MS + MS // 2)
    root.end(end_time=T0 + 10 * MS)
    main.end(end_time=T0 + 11 * MS)
    if strays:  # a model call and a tool call in traces of their own, with no agent span above them
        stray_chat = agent.start_span(
            "chat m", attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 99}, start_time=T0
        )
        stray_chat.end(end_time=T0 + 20 * MS)
        stray_tool = agent.start_span(
            "execute_tool x",
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "x"},
            start_time=T0 + 30 * MS,
        )
        stray_tool.end(end_time=T0 + 31 * MS)
    tp.shutdown()


def _report(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = analyze(path, generated_at="2000-01-01T00:00:00Z").to_dict()
    return doc


def _tokens(path: Path) -> list[int | None]:
    return model.trajectories(read_spans([path]))[K.INPUT_TOKENS].to_list()


def test_strays_are_counted_in_one_note_and_the_run_is_unchanged(tmp_path: Path) -> None:
    clean, stray = tmp_path / "clean.jsonl", tmp_path / "stray.jsonl"
    _write(clean, strays=False, double=False)
    _write(stray, strays=True, double=False)
    a, b = _report(clean), _report(stray)
    assert "notes" not in a
    (note,) = b["notes"]
    assert note.startswith("2 foreign span(s) outside any agent run (model ×1, tool ×1)")
    run_a, run_b = a["trajectories"], b["trajectories"]
    assert len(run_a) == len(run_b) == 1
    assert run_b[0]["iterations"] == run_a[0]["iterations"] == 2  # the stray tool is no turn
    assert _tokens(stray) == _tokens(clean) == [10]  # the stray call's 99 tokens are in no run's total


def test_the_double_of_a_counted_call_is_not_outside(tmp_path: Path) -> None:
    path = tmp_path / "double.jsonl"
    _write(path, strays=False, double=True)
    doc = _report(path)
    assert "notes" not in doc
    assert len(doc["trajectories"]) == 1
    assert _tokens(path) == [10]  # counted once


def test_the_note_does_not_depend_on_span_order(tmp_path: Path) -> None:
    path = tmp_path / "stray.jsonl"
    _write(path, strays=True, double=True)
    lines = path.read_text().splitlines()
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(lines + lines[:3]) + "\n")  # shuffled, three spans twice
    assert _report(shuffled)["notes"] == _report(path)["notes"]
    assert json.dumps(_report(shuffled)["trajectories"]) == json.dumps(_report(path)["trajectories"])
