"""What real producers emit besides the spec's canonical form: each item with a tiny hand-written file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import read_spans

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


def _line(spans: list[dict[str, object]], *, snake: bool = False) -> str:
    if snake:
        return json.dumps({"resource_spans": [{"scope_spans": [{"spans": spans}]}]})
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})


def _attr(key: str, value: dict[str, object]) -> dict[str, object]:
    return {"key": key, "value": value}


def _write(tmp_path: Path, *lines: str, name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_uppercase_hex_ids_are_lowercased(tmp_path: Path) -> None:
    path = _write(
        tmp_path, _line([{"traceId": TRACE.upper(), "spanId": SPAN.upper(), "parentSpanId": "00F067AA0BA902B7"}])
    )
    row = read_spans(path).spans.row(0, named=True)
    assert (row[K.TRACE_ID], row[K.SPAN_ID], row[K.PARENT_SPAN_ID]) == (TRACE, SPAN, "00f067aa0ba902b7")


def test_base64_ids_become_hex(tmp_path: Path) -> None:
    import base64

    t64 = base64.b64encode(bytes.fromhex(TRACE)).decode()
    s64 = base64.b64encode(bytes.fromhex(SPAN)).decode()
    data = read_spans(_write(tmp_path, _line([{"traceId": t64, "spanId": s64}])))
    assert data.errors == []
    assert data.spans.select(K.TRACE_ID, K.SPAN_ID).row(0) == (TRACE, SPAN)


def test_enum_names_for_kind_and_status(tmp_path: Path) -> None:
    span = {
        "traceId": TRACE,
        "spanId": SPAN,
        "kind": "SPAN_KIND_CLIENT",
        "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
    }
    row = read_spans(_write(tmp_path, _line([span]))).spans.row(0, named=True)
    assert (row[K.KIND], row[K.STATUS_CODE], row[K.STATUS_MESSAGE]) == (3, 2, "boom")


def test_numbers_for_64_bit_fields(tmp_path: Path) -> None:
    span = {
        "traceId": TRACE,
        "spanId": SPAN,
        "startTimeUnixNano": 1700000000000000001,
        "endTimeUnixNano": "1700000000000000009",
        "attributes": [_attr(C.ITERATION, {"intValue": 7})],
    }
    row = read_spans(_write(tmp_path, _line([span]))).spans.row(0, named=True)
    assert (row[K.START_NS], row[K.END_NS], row[C.ITERATION]) == (1700000000000000001, 1700000000000000009, 7)


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    span = {"traceId": TRACE, "spanId": SPAN, "name": "x", "futureField": {"a": [1, 2]}, "flags": 257}
    doc = {"resourceSpans": [{"newThing": 1, "scopeSpans": [{"spans": [span]}]}], "extra": True}
    data = read_spans(_write(tmp_path, json.dumps(doc)))
    assert data.errors == [] and data.spans[K.NAME].to_list() == ["x"]


def test_snake_case_field_names(tmp_path: Path) -> None:
    span = {
        "trace_id": TRACE,
        "span_id": SPAN,
        "name": "s",
        "start_time_unix_nano": "5",
        "attributes": [_attr(C.KNOB, {"string_value": "lr"})],
    }
    data = read_spans(_write(tmp_path, _line([span], snake=True)))
    assert data.errors == []
    assert data.spans.select(K.TRACE_ID, K.NAME, K.START_NS, C.KNOB).row(0) == (TRACE, "s", 5, "lr")


def test_duplicate_spans_keep_the_last_one(tmp_path: Path) -> None:
    first = {"traceId": TRACE, "spanId": SPAN, "name": "partial", "events": [{"name": "e-first", "timeUnixNano": "1"}]}
    last = {
        "traceId": TRACE,
        "spanId": SPAN,
        "name": "complete",
        "attributes": [_attr(C.ITERATION, {"intValue": "3"})],
        "events": [{"name": "e-last", "timeUnixNano": "2"}],
    }
    other = {"traceId": TRACE, "spanId": "1" * 16, "name": "other"}
    data = read_spans(_write(tmp_path, _line([first, other]), _line([last])))
    assert sorted(data.spans[K.NAME].to_list()) == ["complete", "other"]
    assert data.spans.filter(pl.col(K.SPAN_ID) == SPAN)[C.ITERATION].to_list() == [3]
    assert data.events[K.EVENT_NAME].to_list() == ["e-last"]  # events of the dropped copy go with it


def test_orphan_spans_are_kept(tmp_path: Path) -> None:
    data = read_spans(_write(tmp_path, _line([{"traceId": TRACE, "spanId": SPAN, "parentSpanId": "2" * 16}])))
    assert data.errors == [] and data.spans[K.PARENT_SPAN_ID].to_list() == ["2" * 16]


def test_empty_ids_are_kept_as_null_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _line(
            [
                {"traceId": "", "spanId": "", "parentSpanId": "", "name": "opA"},
                {"traceId": TRACE, "spanId": SPAN, "name": "fine"},
            ]
        ),
    )
    data = read_spans(path)
    assert data.spans.height == 2
    assert data.spans.filter(pl.col(K.NAME) == "opA").select(K.TRACE_ID, K.SPAN_ID).row(0) == (None, None)
    assert [str(e) for e in data.errors] == [
        f"{path}:1: span 'opA' has an empty traceId and an empty spanId; kept the span with that id null"
    ]


def test_all_zero_parent_is_a_root(tmp_path: Path) -> None:
    data = read_spans(_write(tmp_path, _line([{"traceId": TRACE, "spanId": SPAN, "parentSpanId": "0" * 16}])))
    assert data.errors == [] and data.spans[K.PARENT_SPAN_ID].to_list() == [None]


def test_lossless_coercions_of_typed_keys(tmp_path: Path) -> None:
    attrs = [
        _attr(C.ITERATION, {"doubleValue": 4.0}),
        _attr(C.METRIC, {"intValue": "3"}),
        _attr(C.VALUE, {"intValue": "768"}),
        _attr(C.BLOCKED, {"stringValue": "true"}),
        _attr(C.BASELINE, {"doubleValue": "Infinity"}),
    ]
    data = read_spans(_write(tmp_path, _line([{"traceId": TRACE, "spanId": SPAN, "attributes": attrs}])))
    assert data.errors == []
    row = data.spans.row(0, named=True)
    assert (row[C.ITERATION], row[C.METRIC], row[C.VALUE], row[C.BLOCKED]) == (4, 3.0, "768", True)
    assert row[C.BASELINE] == float("inf")


def test_lossy_values_become_null_with_a_warning_and_the_span_stays(tmp_path: Path) -> None:
    attrs = [
        _attr(C.ITERATION, {"stringValue": "abc"}),
        _attr(C.KNOB, {"stringValue": "lr"}),
        _attr(C.ATTEMPT, {"doubleValue": 1.5}),
    ]
    path = _write(tmp_path, "", _line([{"traceId": TRACE, "spanId": SPAN, "attributes": attrs}]))
    data = read_spans(path)
    row = data.spans.row(0, named=True)
    assert (row[C.ITERATION], row[C.ATTEMPT], row[C.KNOB]) == (None, None, "lr")
    assert [str(e) for e in data.errors] == [
        f'{path}:2: expected trajdyn.iteration to be an integer, got "abc"; kept the span, value set to null',
        f"{path}:2: expected trajdyn.attempt to be an integer, got 1.5; kept the span, value set to null",
    ]


def test_pretty_printed_document(tmp_path: Path) -> None:
    doc = {
        "resourceSpans": [
            {"scopeSpans": [{"spans": [{"traceId": TRACE, "spanId": SPAN}, {"traceId": TRACE, "spanId": "1" * 16}]}]}
        ]
    }
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, indent=2))
    data = read_spans(path)
    assert data.errors == [] and data.spans.height == 2 and data.spans[K.LINE].to_list() == [1, 1]


def test_non_trajdyn_attributes_keep_their_json_types(tmp_path: Path) -> None:
    attrs = [
        _attr("http.status", {"intValue": "200"}),
        _attr("tags", {"arrayValue": {"values": [{"stringValue": "a"}, {"boolValue": False}]}}),
        _attr("m", {"kvlistValue": {"values": [_attr("k", {"doubleValue": 0.5})]}}),
        _attr("blob", {"bytesValue": "AAE="}),
    ]
    data = read_spans(_write(tmp_path, _line([{"traceId": TRACE, "spanId": SPAN, "attributes": attrs}])))
    assert json.loads(data.spans[K.ATTRIBUTES][0]) == {
        "http.status": 200,
        "tags": ["a", False],
        "m": {"k": 0.5},
        "blob": "AAE=",
    }
