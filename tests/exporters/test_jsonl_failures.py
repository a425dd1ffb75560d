"""An unwritable spans file never raises: FAILURE, counted, logged once, and recovery once the cause is fixed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.exporters._spans import SequentialIds, emit_trajectory, make_provider
from trajdyn.exporters import JsonLinesSpanExporter

LOGGER = "trajdyn.exporters"


def _spans() -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    emit_trajectory(provider, iterations=1)
    return list(memory.get_finished_spans())


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(LOGGER) and r.levelno >= logging.WARNING]


def test_path_under_a_regular_file_fails_then_recovers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A path whose parent is a regular file: FAILURE twice, one warning; after fixing it, the next export writes."""
    blocker = tmp_path / "out"
    blocker.write_text("not a directory", encoding="utf-8")
    path = blocker / "spans.jsonl"
    spans = _spans()
    exporter = JsonLinesSpanExporter(path)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert exporter.export(spans) is SpanExportResult.FAILURE
        assert exporter.export(spans) is SpanExportResult.FAILURE
    assert exporter.failed_exports == 2
    assert len(_warnings(caplog)) == 1
    assert str(path) in _warnings(caplog)[0].getMessage()

    blocker.unlink()  # fix the cause
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter.failed_exports == 2
    exporter.shutdown()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert len(json.loads(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"]) == len(spans)


def test_a_new_failure_streak_is_logged_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Logging is once per run of consecutive failures: fail, recover, fail again → two warnings."""
    directory = tmp_path / "d"
    path = directory / "spans.jsonl"
    spans = _spans()
    exporter = JsonLinesSpanExporter(path)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        exporter.shutdown()
        exporter = JsonLinesSpanExporter(path)
        path.unlink()
        directory.rmdir()
        directory.write_text("now a file", encoding="utf-8")
        assert exporter.export(spans) is SpanExportResult.FAILURE
        directory.unlink()
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        path.unlink()
        directory.rmdir()
        directory.write_text("a file again", encoding="utf-8")
        assert exporter.export(spans) is SpanExportResult.FAILURE
    assert exporter.failed_exports == 2
    assert len(_warnings(caplog)) == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full (a device that is always full) is absent")
def test_full_disk_returns_failure(caplog: pytest.LogCaptureFixture) -> None:
    """Writing to /dev/full (ENOSPC on every write) returns FAILURE and raises nothing."""
    exporter = JsonLinesSpanExporter("/dev/full")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert exporter.export(_spans()) is SpanExportResult.FAILURE
    assert exporter.failed_exports == 1
    assert "No space left" in _warnings(caplog)[0].getMessage()
    exporter.shutdown()


def test_the_loop_keeps_running_behind_a_batch_processor(tmp_path: Path) -> None:
    """Spans emitted into an unwritable file through a BatchSpanProcessor: no exception, shutdown returns."""
    blocker = tmp_path / "out"
    blocker.write_text("x", encoding="utf-8")
    exporter = JsonLinesSpanExporter(blocker / "spans.jsonl")
    provider = make_provider(exporter)
    for task in range(3):
        emit_trajectory(provider, task_id=f"t{task}", iterations=3)
    assert provider.force_flush() is True
    provider.shutdown()
    assert exporter.failed_exports >= 1
