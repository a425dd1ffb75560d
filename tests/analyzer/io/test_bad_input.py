"""Bad input is reported as ``path:line: message`` and skipped; the good spans are all kept; strict raises."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from trajdyn.analyzer import InputParseError, read_spans
from trajdyn.analyzer import _columns as K
from trajdyn.exceptions import InputError

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _good(n: int) -> str:
    span = {"traceId": TRACE, "spanId": f"{n:016x}", "name": f"s{n}"}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})


def _messages(path: Path) -> tuple[list[str], list[str]]:
    data = read_spans(path)
    return [str(e) for e in data.errors], sorted(data.spans[K.NAME].to_list())


def test_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f"{_good(1)}\n{{not json\n{_good(2)}\n")
    errors, names = _messages(path)
    assert errors == [f"{path}:2: malformed JSON at column 2 (at 'not json')"]
    assert names == ["s1", "s2"]


def test_truncated_last_line_of_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f"{_good(1)}\n{_good(2)}\n{_good(3)[:40]}")
    errors, names = _messages(path)
    assert errors == [f"{path}:3: truncated JSON (the writer was probably killed mid-line)"]
    assert names == ["s1", "s2"]


def test_valid_json_that_is_not_otlp(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f'{_good(1)}\n{{"spans": []}}\n[1, 2]\n{_good(2)}\n')
    errors, names = _messages(path)
    assert errors == [
        f"{path}:2: not an OTLP document: expected an object with \"resourceSpans\", got a JSON object with keys 'spans'",
        f'{path}:3: not an OTLP document: expected an object with "resourceSpans", got a JSON array',
    ]
    assert names == ["s1", "s2"]


def test_wrong_shaped_otlp(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f'{_good(1)}\n{{"resourceSpans": {{"oops": 1}}}}\n')
    errors, names = _messages(path)
    assert errors == [f"{path}:2: malformed OTLP document: Expected `array`, got `object` - at `$.resourceSpans`"]
    assert names == ["s1"]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    bad = _good(9).replace('"s9"', '"s\udcff"'.encode("utf-8", "surrogateescape").decode("latin-1"))
    path.write_bytes(_good(1).encode() + b"\n" + bad.encode("latin-1").replace(b"\xc3\xbf", b"\xff") + b"\n")
    errors, names = _messages(path)
    assert len(errors) == 1 and errors[0].startswith(f"{path}:2: invalid UTF-8")
    assert names == ["s1"]


def test_empty_file_and_blank_lines(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_text(f"\n\n{_good(1)}\n\n")
    data = read_spans([empty, blank])
    assert [str(e) for e in data.errors] == [f"{empty}:0: empty input: no OTLP data"]
    assert data.spans[K.LINE].to_list() == [3]


def test_missing_path_and_unmatched_glob(tmp_path: Path) -> None:
    good = tmp_path / "g.jsonl"
    good.write_text(_good(1) + "\n")
    data = read_spans([tmp_path / "nope.jsonl", good, str(tmp_path / "*.none")])
    assert [str(e) for e in data.errors] == [
        f"{tmp_path / 'nope.jsonl'}:0: no such file or directory",
        f"{tmp_path / '*.none'}:0: no file matches this pattern",
    ]
    assert data.spans.height == 1
    assert [(i.path, i.spans, i.errors) for i in data.inputs] == [
        (str(good), 1, 0),
        (str(tmp_path / "nope.jsonl"), 0, 1),
        (str(tmp_path / "*.none"), 0, 1),
    ]


def test_corrupt_gzip_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(((_good(1) + "\n") * 200).encode())[:60])
    data = read_spans(path)
    # the readable prefix is part of the first line: that line is torn, then the gzip data ends
    assert [(e.line, e.message) for e in data.errors] == [
        (1, "truncated JSON (the writer was probably killed mid-line)"),
        (1, "gzip data ends early (a truncated file): the lines before this point were read, like zcat"),
    ]


def test_pretty_document_with_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{\n  "resourceSpans": [\n    {,\n  ]\n}\n')
    errors, names = _messages(path)
    assert errors == [f"{path}:3: malformed JSON at column 6 (at ',\\n  ]\\n}}\\n')"]
    assert names == []


def test_strict_raises_the_first_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f"{_good(1)}\n{{not json\n{{bad\n")
    with pytest.raises(InputParseError) as info:
        read_spans(path, strict=True)
    assert info.value.error.line == 2
    assert isinstance(info.value, InputError)
    with pytest.raises(InputError, match="no such file"):
        read_spans(tmp_path / "missing.jsonl", strict=True)
    assert read_spans(tmp_path / "missing.jsonl").spans.height == 0
