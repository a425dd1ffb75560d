"""JsonLinesSpanExporter writes the OTLP/JSON lines format of the official file exporter."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.exporters._spans import SequentialIds, emit_trajectory, make_provider
from trajdyn import conventions as C
from trajdyn.exporters import JsonLinesSpanExporter, encode_spans_line

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _spans_of(path: Path) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        assert set(doc) == {"resourceSpans"}
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                spans.extend(ss["spans"])
    return spans


def _attrs(span: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kv["key"]: kv["value"] for kv in span.get("attributes", [])}


def test_round_trip_through_batch_processor(tmp_path: Path) -> None:
    """A trajectory exported through a BatchSpanProcessor parses back with its tree, hex ids and typed attributes."""
    path = tmp_path / "deep" / "dir" / "spans.jsonl"  # parent directories are created
    exporter = JsonLinesSpanExporter(path)
    provider = make_provider(exporter)
    emit_trajectory(provider, iterations=2)
    provider.shutdown()

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, "nothing written"
    first = json.loads(lines[0])
    resource = {kv["key"]: kv["value"] for kv in first["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == {"stringValue": "trajdyn-exporter-tests"}
    scope = first["resourceSpans"][0]["scopeSpans"][0]
    assert scope["scope"]["name"] == C.INSTRUMENTATION_SCOPE
    assert scope["schemaUrl"] == C.SCHEMA_URL

    spans = _spans_of(path)
    assert len(spans) == 1 + 2 * 3
    for span in spans:
        assert HEX32.match(span["traceId"]), span["traceId"]
        assert HEX16.match(span["spanId"]), span["spanId"]
    roots = [s for s in spans if "parentSpanId" not in s]
    assert [r["name"] for r in roots] == ["invoke_agent tester"]
    root = roots[0]
    assert root["traceId"] == "abc00000000000000000000000000001"
    children = [s for s in spans if s is not root]
    assert all(s["parentSpanId"] == root["spanId"] and s["traceId"] == root["traceId"] for s in children)
    assert sorted(s["name"] for s in children) == sorted([C.PHASE_PROPOSE, C.PHASE_OBSERVE, C.PHASE_DECIDE] * 2)

    root_attrs = _attrs(root)
    assert root_attrs[C.TASK_ID] == {"stringValue": "t1"}
    assert root_attrs[C.KNOB_MENU] == {"arrayValue": {"values": [{"stringValue": "lr"}, {"stringValue": "depth"}]}}
    assert root_attrs[C.BASELINE] == {"doubleValue": 1.5}
    propose = next(s for s in children if s["name"] == C.PHASE_PROPOSE and _attrs(s)[C.ITERATION] == {"intValue": "2"})
    assert _attrs(propose)[C.KNOB] == {"stringValue": "lr"}
    assert _attrs(propose)[C.REPEAT] == {"boolValue": False}
    observe = next(s for s in children if s["name"] == C.PHASE_OBSERVE and _attrs(s)[C.ITERATION] == {"intValue": "2"})
    assert _attrs(observe)[C.METRIC] == {"doubleValue": 0.5}
    assert exporter.failed_exports == 0


def test_lines_are_byte_identical_to_the_official_file_exporter(tmp_path: Path) -> None:
    """For the same batch, the line equals what opentelemetry-exporter-otlp-json-file writes."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit_trajectory(provider, iterations=3)
    spans = memory.get_finished_spans()

    ours = JsonLinesSpanExporter(tmp_path / "ours.jsonl")
    official = FileSpanExporter(tmp_path / "official.jsonl")
    assert ours.export(spans) is SpanExportResult.SUCCESS
    assert official.export(spans) is SpanExportResult.SUCCESS
    ours.shutdown()
    official.shutdown()
    assert (tmp_path / "ours.jsonl").read_bytes() == (tmp_path / "official.jsonl").read_bytes()
    assert (tmp_path / "ours.jsonl").read_bytes() == encode_spans_line(spans)


def test_each_export_appends_exactly_one_line(tmp_path: Path) -> None:
    """N non-empty exports give N lines; an empty batch writes nothing and succeeds."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit_trajectory(provider, iterations=1)
    spans = memory.get_finished_spans()

    path = tmp_path / "spans.jsonl"
    path.write_text('{"resourceSpans":[]}\n', encoding="utf-8")  # existing content is appended to, never truncated
    exporter = JsonLinesSpanExporter(path)
    assert exporter.export([]) is SpanExportResult.SUCCESS
    for span in spans:
        assert exporter.export([span]) is SpanExportResult.SUCCESS
    assert exporter.force_flush() is True
    exporter.shutdown()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(spans)
    assert [json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] for line in lines[1:]] == [
        s.name for s in spans
    ]


def test_export_after_shutdown_fails_without_raising(tmp_path: Path) -> None:
    """After shutdown() an export is dropped: FAILURE, counted, nothing written."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit_trajectory(provider, iterations=1)

    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesSpanExporter(path)
    exporter.shutdown()
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
    assert exporter.failed_exports == 1
    assert exporter.force_flush() is True
    assert not path.exists() or path.read_bytes() == b""
