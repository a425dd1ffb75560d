"""Size rotation of the spans file: names, sizes, order, no loss, no overwrite; the env switch."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.exporters._spans import SequentialIds
from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.exporters import JsonLinesSpanExporter, encode_spans_line, rotated_path


def _spans(n: int, payload: int = 100) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE)
    for i in range(1, n + 1):
        with tracer.start_as_current_span(C.PHASE_PROPOSE, attributes={C.ITERATION: i, C.CONTENT: "x" * payload}):
            pass
    return list(memory.get_finished_spans())


def _iterations(file: Path) -> list[int]:
    out: list[int] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    attrs = {kv["key"]: kv["value"] for kv in span["attributes"]}
                    out.append(int(attrs[C.ITERATION]["intValue"]))
    return out


def test_rotated_path_names() -> None:
    """spans.jsonl → spans.3.jsonl; a name without suffix gets the number appended."""
    assert rotated_path(Path("/d/spans.jsonl"), 3) == Path("/d/spans.3.jsonl")
    assert rotated_path(Path("/d/spans"), 1) == Path("/d/spans.1")


def test_rotation_keeps_order_sizes_and_every_span(tmp_path: Path) -> None:
    """Files never exceed rotate_bytes; .1, .2, … then the live file hold the batches in export order."""
    spans = _spans(20)
    line_size = len(encode_spans_line([spans[0]]) or b"")
    rotate = 3 * line_size + line_size // 2  # three lines per file
    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesSpanExporter(path, rotate_bytes=rotate)
    for span in spans:
        assert exporter.export([span]) is SpanExportResult.SUCCESS
    exporter.shutdown()

    rotated = [rotated_path(path, n) for n in range(1, 7)]
    assert all(p.exists() for p in rotated)
    assert not rotated_path(path, 7).exists()
    assert exporter.rotations == 6
    for file in [*rotated, path]:
        assert 0 < file.stat().st_size <= rotate
    order = [i for file in [*rotated, path] for i in _iterations(file)]
    assert order == list(range(1, 21))


def test_existing_rotated_files_are_never_overwritten(tmp_path: Path) -> None:
    """With spans.1 and spans.3 present, rotation goes to spans.4 and leaves both untouched."""
    path = tmp_path / "spans.jsonl"
    one, three = rotated_path(path, 1), rotated_path(path, 3)
    one.write_text("old one\n", encoding="utf-8")
    three.write_text("old three\n", encoding="utf-8")
    spans = _spans(2)
    line_size = len(encode_spans_line([spans[0]]) or b"")
    exporter = JsonLinesSpanExporter(path, rotate_bytes=line_size + 1)
    assert exporter.export([spans[0]]) is SpanExportResult.SUCCESS
    assert exporter.export([spans[1]]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert one.read_text(encoding="utf-8") == "old one\n"
    assert three.read_text(encoding="utf-8") == "old three\n"
    assert _iterations(rotated_path(path, 4)) == [1]
    assert _iterations(path) == [2]
    assert not rotated_path(path, 2).exists()


def test_a_line_larger_than_the_limit_is_written_whole(tmp_path: Path) -> None:
    """A batch above rotate_bytes goes, whole, into a file of its own."""
    path = tmp_path / "spans.jsonl"
    small, big = _spans(1, payload=10)[0], _spans(2, payload=5000)[1]
    exporter = JsonLinesSpanExporter(path, rotate_bytes=1000)
    assert exporter.export([small]) is SpanExportResult.SUCCESS
    assert exporter.export([big]) is SpanExportResult.SUCCESS
    assert exporter.export([small]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert _iterations(rotated_path(path, 1)) == [1]
    assert _iterations(rotated_path(path, 2)) == [2]
    assert rotated_path(path, 2).stat().st_size > 5000
    assert _iterations(path) == [1]


def test_rotation_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRAJDYN_FILE_ROTATE_BYTES sets the threshold when the argument is absent; the argument wins."""
    monkeypatch.setenv(C.ENV_ROTATE_BYTES, "2048")
    assert JsonLinesSpanExporter(tmp_path / "a.jsonl").rotate_bytes == 2048
    assert JsonLinesSpanExporter(tmp_path / "b.jsonl", rotate_bytes=99).rotate_bytes == 99
    monkeypatch.delenv(C.ENV_ROTATE_BYTES)
    assert JsonLinesSpanExporter(tmp_path / "c.jsonl").rotate_bytes is None


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5"])
def test_bad_rotation_env_is_logged_and_ignored(
    raw: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad TRAJDYN_FILE_ROTATE_BYTES logs a warning naming it, and the file is not rotated."""
    monkeypatch.setenv(C.ENV_ROTATE_BYTES, raw)
    with caplog.at_level(logging.WARNING, logger="trajdyn.exporters"):
        exporter = JsonLinesSpanExporter(tmp_path / "spans.jsonl")
    assert exporter.rotate_bytes is None
    assert any(C.ENV_ROTATE_BYTES in r.getMessage() and repr(raw) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_bad_rotation_argument_raises(bad: object, tmp_path: Path) -> None:
    """rotate_bytes must be a positive int: ConfigurationError (a ValueError) naming the value."""
    with pytest.raises(ConfigurationError, match="rotate_bytes"):
        JsonLinesSpanExporter(tmp_path / "spans.jsonl", rotate_bytes=bad)  # type: ignore[arg-type]
