"""The real OTLP files under ../shared/external ingest (the other span containers: tests/analyzer/foreign/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import read_spans

OTLP_FILES = [
    "otlp-proto-example-trace.json",
    "jaeger-otlp_fields_trace.json",
    "jaeger-otlp_span_links.json",
    "jaeger-otlp_scope_attributes.json",
]


def _count_spans(path: Path) -> int:
    """Spans in an OTLP/JSON file counted independently with the json module (a document or JSON lines)."""
    text = path.read_text()
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sum(len(ss["spans"]) for d in docs for rs in d["resourceSpans"] for ss in rs["scopeSpans"])


@pytest.mark.parametrize("name", OTLP_FILES)
def test_otlp_documents_ingest_without_error(external: Path, name: str) -> None:
    data = read_spans(external / name)
    assert data.errors == []
    assert data.spans.height == _count_spans(external / name) == 1
    assert data.spans[K.TRACE_ID].str.contains(r"^[0-9a-f]{32}$").all()


def test_proto_example_values(external: Path) -> None:
    row = read_spans(external / "otlp-proto-example-trace.json").spans.row(0, named=True)
    assert row[K.TRACE_ID] == "5b8efff798038103d269b633813fc60c"
    assert row[K.PARENT_SPAN_ID] == "eee19b7ec3c1b173"
    assert row[K.SERVICE_NAME] == "my.service" and row[K.SCOPE_NAME] == "my.library"
    assert row[K.START_NS] == 1544712660000000000 and row[K.KIND] == 2
    assert json.loads(row[K.ATTRIBUTES]) == {"my.span.attr": "some value"}


def test_spec_file_exporter_example_keeps_spans_with_empty_ids(external: Path) -> None:
    path = external / "otlp-spec-file-exporter-example.jsonl"
    data = read_spans(path)
    assert data.spans.height == _count_spans(path) == 8
    assert data.spans[K.TRACE_ID].null_count() == 8
    assert data.events.height == 8
    assert data.spans[K.STATUS_CODE].to_list() == [2, 0] * 4
    # only the documented empty-id warnings, one per span
    assert len(data.errors) == 8
    assert all("has an empty traceId and an empty spanId" in e.message for e in data.errors)


def test_all_otlp_files_at_once(external: Path) -> None:
    data = read_spans([external / n for n in [*OTLP_FILES, "otlp-spec-file-exporter-example.jsonl"]])
    assert data.spans.height == 12
    assert [i.spans for i in data.inputs] == [1, 1, 1, 1, 8]
