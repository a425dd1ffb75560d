"""Documents in memory (an imported log read in process) give exactly the frames the same documents give as OTLP/JSON
lines in a file: ``analyze`` no longer writes an import to a temporary file and decodes it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="needs the analyze extra")

from tests.analyzer._dumps import request, seeded_spans  # noqa: E402
from trajdyn.analyzer import SpanData, SpanDocuments, read_spans  # noqa: E402
from trajdyn.analyzer import _columns as K  # noqa: E402
from trajdyn.formats import convert, write_jsonl  # noqa: E402

REAL_LOGS = (
    "atlas-reward_eval_trajectories.jsonl",
    "atlas-sample_traces.jsonl",
    "autoresearch-smoke_trajectory.jsonl",
    "autoresearch-trajectory.jsonl",
    "bervaso-results.tsv",
    "blitzo125-results.tsv",
    "tau-bench-gpt-4o-airline.json",
)


def _same(in_memory: SpanData, from_file: SpanData, name: str, file: str) -> None:
    """The frames agree but for the input's name; problems and input summaries agree with the name swapped."""
    assert in_memory.span_frame[K.SOURCE].unique().to_list() in ([name], [])
    assert in_memory.span_frame.drop(K.SOURCE).equals(from_file.span_frame.drop(K.SOURCE), null_equal=True)
    assert in_memory.span_frame.schema == from_file.span_frame.schema
    assert in_memory.events.equals(from_file.events, null_equal=True)
    assert [(e.line, e.message) for e in in_memory.errors] == [(e.line, e.message) for e in from_file.errors]
    assert {e.path for e in in_memory.errors} <= {name} and {e.path for e in from_file.errors} <= {file}
    assert [(i.spans, i.errors) for i in in_memory.inputs] == [(i.spans, i.errors) for i in from_file.inputs]


@pytest.mark.parametrize("name", REAL_LOGS)
def test_every_real_log_reads_the_same_in_memory_as_from_its_file(external: Path, tmp_path: Path, name: str) -> None:
    result = convert(external / name)
    file = tmp_path / "imported.otlp.jsonl"
    write_jsonl(result.requests, file)
    _same(read_spans(SpanDocuments(name, result.requests)), read_spans(str(file)), name, str(file))


def test_in_memory_documents_keep_their_place_among_files(tmp_path: Path) -> None:
    """Inputs are read in order whatever they are; a duplicated span is resolved by content, not by position."""
    spans: list[dict[str, Any]] = seeded_spans(7, 6)
    requests = [request(spans[i : i + 9]) for i in range(0, len(spans), 9)]
    first, last = tmp_path / "a.jsonl", tmp_path / "c.jsonl"
    write_jsonl(requests[:2], first)
    write_jsonl(requests[1:], last)  # overlaps the in-memory part: duplicates to resolve
    middle = tmp_path / "b.jsonl"
    write_jsonl(requests, middle)
    mixed = read_spans([str(first), SpanDocuments("b", requests), str(last)])
    files = read_spans([str(first), str(middle), str(last)])
    assert [i.path for i in mixed.inputs] == [str(first), "b", str(last)]
    assert mixed.span_frame.drop(K.SOURCE).equals(files.span_frame.drop(K.SOURCE), null_equal=True)
    assert mixed.events.equals(files.events, null_equal=True)


def test_a_document_that_is_not_otlp_is_a_problem_not_a_crash() -> None:
    good = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "1" * 32, "spanId": "2" * 16, "name": "x"}]}]}]}
    data = read_spans(SpanDocuments("log", [{"rows": [1]}, good, {"resourceSpans": "no"}]))
    assert data.span_frame.height == 1 and data.inputs[0].spans == 1
    assert [(e.path, e.line) for e in data.errors] == [("log", 1), ("log", 3)]
    assert data.errors[0].message.startswith("not an OTLP document")
    assert data.errors[1].message.startswith("malformed OTLP document")


def test_no_documents_is_an_empty_input_like_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    in_memory, from_file = read_spans(SpanDocuments("log", [])), read_spans(str(empty))
    assert [(e.line, e.message) for e in in_memory.errors] == [(e.line, e.message) for e in from_file.errors]
    assert in_memory.errors[0].message == "empty input: no OTLP data"
