"""Bad input in foreign span containers: each problem names its file and line, the rest is read, nothing raises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajdyn.analyzer import read_spans


def _any_agent(n: int = 4) -> dict[str, object]:
    spans = []
    for k in range(n):
        spans.append(
            {
                "name": f"execute_tool t{k}" if k else "invoke_agent [any_agent]",
                "kind": "internal",
                "parent": None if k == 0 else {"trace_id": 7, "span_id": 100},
                "start_time": 1_000 + k,
                "end_time": 2_000 + k,
                "status": {"status_code": "ok", "description": None},
                "context": {"trace_id": 7, "span_id": 100 + k},
                "attributes": {
                    "gen_ai.operation.name": "execute_tool" if k else "invoke_agent",
                    "gen_ai.tool.name": f"t{k}",
                },
                "links": [],
                "events": [],
                "resource": {"attributes": {"service.name": "x"}, "schema_url": ""},
            }
        )
    return {"spans": spans, "final_output": "done"}


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_record_without_context_and_a_bad_time_are_named_by_line(tmp_path: Path) -> None:
    doc = _any_agent()
    doc["spans"][2]["context"] = None  # type: ignore[index]
    doc["spans"][3]["start_time"] = "yesterday"  # type: ignore[index]
    path = tmp_path / "trace.json"
    text = json.dumps(doc, indent=1)
    path.write_text(text)
    data = read_spans(path)
    assert data.spans.height == 3
    lines = [e.line for e in data.errors]
    # the element's opening brace: element 2 starts after element 1's "resource" block
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line == "  {"]
    assert lines == [starts[2], starts[3]]
    assert all(e.path == str(path) for e in data.errors)
    assert "yesterday" in data.errors[1].message


@pytest.mark.parametrize("cut", [0.35, 0.6, 0.9])
def test_a_file_cut_short_keeps_the_records_before_the_cut(tmp_path: Path, cut: float) -> None:
    text = json.dumps(_any_agent(12), indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * cut)])
    whole = text.count('"context"')
    kept = text[: int(len(text) * cut)]
    complete = kept.count('"links"')  # every complete record has its links before the cut (records end with resource)
    data = read_spans(path)
    assert len(data.errors) == 1 and data.errors[0].path == str(path)
    assert data.errors[0].line >= _line_of(text, '"spans"')
    assert complete - 1 <= data.spans.height <= complete < whole


def test_phoenix_element_lines(tmp_path: Path) -> None:
    spans = [
        {
            "name": f"s{k}",
            "context": {"trace_id": "t", "span_id": f"s{k}"},
            "span_kind": "TOOL",
            "parent_id": None,
            "start_time": f"2026-01-01T00:00:0{k}+00:00",
            "end_time": f"2026-01-01T00:00:0{k}+00:00",
            "status_code": "OK",
            "status_message": "",
            "attributes": {},
            "events": [],
        }
        for k in range(4)
    ]
    spans[1] = {"no": "context", "context": None, "span_kind": "TOOL", "parent_id": None}
    path = tmp_path / "phoenix.json"
    text = json.dumps(spans, indent=1)
    path.write_text(text)
    data = read_spans(path)
    assert data.spans.height == 3
    assert [(e.line, "element 1" in e.message) for e in data.errors] == [(_line_of(text, '"no"') - 1, True)]


def test_console_output_with_prints_between_and_a_span_cut_short(tmp_path: Path) -> None:
    span = {
        "name": "execute_tool search",
        "context": {"trace_id": "0x" + "a" * 32, "span_id": "0x" + "b" * 16, "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL",
        "parent_id": None,
        "start_time": "2026-01-01T00:00:00.000001Z",
        "end_time": "2026-01-01T00:00:01.000001Z",
        "status": {"status_code": "UNSET"},
        "attributes": {"gen_ai.operation.name": "execute_tool"},
        "events": [],
        "links": [],
        "resource": {"attributes": {"service.name": "x"}, "schema_url": ""},
    }
    other = dict(span, context={"trace_id": "0x" + "a" * 32, "span_id": "0x" + "c" * 16, "trace_state": "[]"})
    first = json.dumps(span, indent=4)
    text = first + "\nhello from the agent\n" + json.dumps(other, indent=4) + "\n" + first[:100]
    path = tmp_path / "console.txt"
    path.write_text(text)
    data = read_spans(path)
    assert data.spans.height == 2
    assert [e.line for e in data.errors] == [_line_of(text, "hello"), text.count("\n") + 1 - first[:100].count("\n")]
