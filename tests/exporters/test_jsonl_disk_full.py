"""A full disk: each line is written whole or not at all, lost spans are counted, and writing resumes cleanly.

Two ways: a fault-injecting write (a short write, then ENOSPC: runs everywhere) and a real 64 KiB tmpfs filled up
(needs root and permission to mount; skipped with the reason otherwise).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.exporters._spans import SequentialIds, emit_trajectory
from trajdyn.exporters import JsonLinesSpanExporter, _jsonl


def _batches(n: int, iterations: int = 3) -> list[list[ReadableSpan]]:
    """``n`` batches of spans, one trajectory each (distinct task ids)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    out: list[list[ReadableSpan]] = []
    for i in range(n):
        memory.clear()
        emit_trajectory(provider, task_id=f"t{i}", iterations=iterations)
        out.append(list(memory.get_finished_spans()))
    return out


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _span_count(line: bytes) -> int:
    doc = json.loads(line)
    return sum(len(ss["spans"]) for rs in doc["resourceSpans"] for ss in rs["scopeSpans"])


class _DiskFull:
    """Fault injection: after ``budget`` bytes every write is short (what fits), then fails with ENOSPC."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.real = os.write

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.budget <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = bytes(data[: self.budget])
        written = self.real(fd, chunk)
        self.budget -= written
        return written


def test_short_write_then_enospc_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line cut by a full disk leaves no fragment; the failed batch is counted; the next line is whole."""
    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesSpanExporter(path)
    first, second, third = _batches(3)
    assert exporter.export(first) is SpanExportResult.SUCCESS
    size_before = path.stat().st_size

    monkeypatch.setattr(_jsonl, "_write", _DiskFull(budget=100))  # 100 bytes fit, then the disk is full
    assert exporter.export(second) is SpanExportResult.FAILURE
    assert path.stat().st_size == size_before  # rolled back: no fragment
    assert exporter.lost_spans == len(second)
    assert exporter.failed_exports == 1

    monkeypatch.setattr(_jsonl, "_write", os.write)  # space freed
    assert exporter.export(third) is SpanExportResult.SUCCESS
    exporter.shutdown()
    lines = _lines(path)
    assert lines[-1] == b""  # newline-terminated
    assert [_span_count(line) for line in lines[:-1]] == [len(first), len(third)]


def test_failed_rollback_starts_the_next_line_on_a_new_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When even the truncation fails, the fragment stays one torn line: the next batch is not glued to it."""
    path = tmp_path / "spans.jsonl"
    exporter = JsonLinesSpanExporter(path)
    first, second, third = _batches(3)
    assert exporter.export(first) is SpanExportResult.SUCCESS

    def no_truncate(fd: int, length: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(_jsonl, "_write", _DiskFull(budget=100))
    monkeypatch.setattr(os, "ftruncate", no_truncate)
    assert exporter.export(second) is SpanExportResult.FAILURE
    monkeypatch.undo()
    assert exporter.export(third) is SpanExportResult.SUCCESS
    exporter.shutdown()
    lines = _lines(path)
    assert len(lines) == 4 and lines[-1] == b""
    assert _span_count(lines[0]) == len(first)
    assert len(lines[1]) == 100  # the torn fragment, alone on its line
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[1])
    assert _span_count(lines[2]) == len(third)


def test_a_torn_last_line_left_by_a_killed_writer_is_not_glued_to(tmp_path: Path) -> None:
    """A file that ends mid-line (a writer killed by SIGKILL) gets the next line on a line of its own."""
    path = tmp_path / "spans.jsonl"
    (first,) = _batches(1)
    whole = _jsonl.encode_spans_line(first)
    assert whole is not None
    path.write_bytes(whole + whole[:57])
    exporter = JsonLinesSpanExporter(path)
    assert exporter.export(first) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert _lines(path) == [whole[:-1], whole[:57], whole[:-1], b""]


# ------------------------------------------------------------------------------------------ a real full disk
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (root with permission to mount), unmounted afterwards."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the fault-injection tests cover the same behaviour)")
    try:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot run mount: {error}")
    if proc.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {proc.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def test_real_full_disk_loses_whole_batches_only_and_recovers(small_disk: Path) -> None:
    """Fill a 64 KiB tmpfs: failed batches are counted, the file holds only whole lines, and once space is freed
    the exporter writes again; spans in the file + spans counted lost = spans exported."""
    path = small_disk / "spans.jsonl"
    filler = small_disk / "filler"
    filler.write_bytes(b"x" * 24 * 1024)
    exporter = JsonLinesSpanExporter(path)
    batches = _batches(33, iterations=4)  # ~7.5 KB per line: about 5 fit
    results = [exporter.export(batch) for batch in batches[:30]]
    assert SpanExportResult.SUCCESS in results and SpanExportResult.FAILURE in results
    failed = sum(len(b) for b, r in zip(batches[:30], results, strict=True) if r is SpanExportResult.FAILURE)
    assert exporter.lost_spans == failed
    lines = _lines(path)
    assert lines[-1] == b""
    written = sum(_span_count(line) for line in lines[:-1])  # every line parses: no fragment anywhere
    assert written + exporter.lost_spans == sum(len(b) for b in batches[:30])

    filler.unlink()  # space freed: room for the last three
    assert all(exporter.export(batch) is SpanExportResult.SUCCESS for batch in batches[30:])
    exporter.shutdown()
    lines = _lines(path)
    assert sum(_span_count(line) for line in lines[:-1]) == written + sum(len(b) for b in batches[30:])
