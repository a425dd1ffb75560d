"""OTLP/JSON lines span file: the official encoder plus safe concurrent append and size rotation.

Each line is one ``ExportTraceServiceRequest`` (``{"resourceSpans": [...]}``) in the OTLP/JSON encoding, byte for
byte what :class:`opentelemetry.exporter.otlp.json.file.FileSpanExporter` writes for the same batch (compact JSON,
``\\n``-terminated) and what the OpenTelemetry Collector's file exporter writes and its ``otlpjsonfile`` receiver
reads. The encoding is the official one, ``opentelemetry.exporter.otlp.json.common.trace_encoder.encode_spans``.

What the official file exporter lacks, added here:

- **Safe concurrent append.** The file is opened with ``O_APPEND``; each batch is written as one ``os.write`` of the
  whole encoded line while holding an exclusive ``fcntl.flock`` on the file (and a thread lock in-process), so lines
  written by several threads or processes never interleave, even above ``PIPE_BUF``.
- **Whole lines or nothing.** A write that fails part-way (a full disk, a quota) is rolled back: the file is
  truncated to its size before the write, under the lock, so no fragment is left for the next line to be glued
  to. Should the rollback itself fail, or a previous writer have died mid-line (SIGKILL), the next line starts
  with a ``\n``: the file's last byte is checked under the lock before every append, so a torn line stays one
  torn line (the analyzer reports it as ``file:line`` and reads the rest) and never swallows the next batch.
- **Parent directory creation** and **reopening**: an export that fails with ``OSError`` (unwritable path, full
  disk) logs once, increments :attr:`JsonLinesSpanExporter.failed_exports` and, by the batch's size,
  :attr:`JsonLinesSpanExporter.lost_spans`, returns ``FAILURE`` and never raises; the next export tries to open
  the file again, so the exporter recovers once the cause is fixed (space freed, directory created).
- **Size rotation** (``rotate_bytes`` or ``TRAJDYN_FILE_ROTATE_BYTES``): before a line is appended, if the file is not
  empty and the line would take it above ``rotate_bytes``, the file is renamed to ``<stem>.<n><suffix>``
  (``spans.jsonl`` → ``spans.1.jsonl``, then ``spans.2.jsonl`` …; ``n`` is one more than the highest existing one, so
  a lower number is always older and an existing rotated file is never overwritten) and a new file is started under
  the original name. A single line larger than ``rotate_bytes`` is still written whole, to a file of its own. Every
  writer, in any process, checks under the lock that its descriptor still names the current file and reopens it
  otherwise, so no line lands in a rotated file after it was rotated and none is lost.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError

__all__ = ["JsonLinesSpanExporter", "encode_spans_line", "rotated_path"]

logger = logging.getLogger(__name__)

_OPEN_FLAGS: Final = os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
"""Opened read-write (to check the last byte before appending), else write-only when reading is not allowed."""
_MAX_REOPENS: Final = 8
"""Bound on reopen attempts within one export (the file replaced under us again and again)."""


def encode_spans_line(spans: Sequence[ReadableSpan]) -> bytes | None:
    """One OTLP/JSON line (UTF-8, ``\\n``-terminated) for ``spans``, or ``None`` when there is nothing to write.

    The same bytes :class:`opentelemetry.exporter.otlp.json.file.FileSpanExporter` writes for the batch.
    """
    request = encode_spans(spans)
    if not request.resource_spans:
        return None
    document: dict[str, Any] = request.to_dict()
    return (json.dumps(document, separators=(",", ":")) + "\n").encode("utf-8")


def rotated_path(path: str | os.PathLike[str], n: int) -> Path:
    """The ``n``-th rotated file of ``path``: ``spans.jsonl`` → ``spans.<n>.jsonl`` (``spans`` → ``spans.<n>``)."""
    p = Path(path)
    return p.with_name(f"{p.stem}.{n}{p.suffix}")


def _rotated_numbers(path: Path) -> list[int]:
    prefix, suffix = f"{path.stem}.", path.suffix
    numbers: list[int] = []
    try:
        names = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        return numbers
    for name in names:
        if name.startswith(prefix) and name.endswith(suffix):
            middle = name[len(prefix) : len(name) - len(suffix)] if suffix else name[len(prefix) :]
            if middle.isdigit() and not middle.startswith("0"):
                numbers.append(int(middle))
    return numbers


def _flock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _funlock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _rotate_bytes_from_env() -> int | None:
    raw = os.environ.get(C.ENV_ROTATE_BYTES)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        logger.warning(
            "ignoring %s=%r: expected a positive integer number of bytes; the spans file is not rotated",
            C.ENV_ROTATE_BYTES,
            raw,
        )
        return None
    return value


_LIVE_EXPORTERS: weakref.WeakSet[JsonLinesSpanExporter] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    # A child shares the parent's open file description, and with it the flock: it must open its own descriptor,
    # or its appends and the parent's would no longer exclude each other.
    for exporter in list(_LIVE_EXPORTERS):
        exporter._lock = threading.Lock()
        fd, exporter._fd = exporter._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_locks_after_fork)


class JsonLinesSpanExporter(SpanExporter):
    """A :class:`~opentelemetry.sdk.trace.export.SpanExporter` appending OTLP/JSON lines to ``path``.

    Args:
        path: the spans file; its parent directories are created. Several exporters, in several threads or
            processes, may append to the same file.
        rotate_bytes: rotate the file before it would exceed this many bytes (see the module docstring for the
            naming); ``None`` reads ``TRAJDYN_FILE_ROTATE_BYTES`` (a bad value there is logged and ignored), and
            without it the file grows without bound.

    Raises:
        ConfigurationError: ``rotate_bytes`` is not a positive integer.

    :meth:`export` never raises: an ``OSError`` is logged (once per run of consecutive failures), counted in
    :attr:`failed_exports` and :attr:`lost_spans` and reported as ``FAILURE``; a line is written whole or not at
    all (a failed write is rolled back); the next export reopens the file. :meth:`force_flush`
    ``fsync``\\ s the file: every line is already handed to the kernel by ``os.write`` when :meth:`export` returns,
    so flushing only makes it durable on disk.
    """

    def __init__(self, path: str | os.PathLike[str], *, rotate_bytes: int | None = None) -> None:
        if rotate_bytes is not None and (
            isinstance(rotate_bytes, bool) or not isinstance(rotate_bytes, int) or rotate_bytes <= 0
        ):
            raise ConfigurationError(f"expected rotate_bytes to be a positive integer, got {rotate_bytes!r}")
        self._path = Path(path)
        self._rotate_bytes = rotate_bytes if rotate_bytes is not None else _rotate_bytes_from_env()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._readable = True
        self._failing = False
        self._shutdown = False
        self._warned_shutdown = False
        self.failed_exports = 0
        """Number of :meth:`export` calls that returned ``FAILURE``."""
        self.lost_spans = 0
        """Number of spans in those exports: spans that did not reach the file."""
        self.rotations = 0
        """Number of rotations this exporter performed."""
        _LIVE_EXPORTERS.add(self)

    @property
    def path(self) -> Path:
        """The spans file."""
        return self._path

    @property
    def rotate_bytes(self) -> int | None:
        """The rotation threshold in bytes, or ``None`` when the file is not rotated."""
        return self._rotate_bytes

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Append one line holding ``spans``; ``FAILURE`` (never an exception) when it cannot be written."""
        if self._shutdown:
            if not self._warned_shutdown:
                self._warned_shutdown = True
                logger.warning("trajdyn spans file exporter for %s is shut down; dropping spans", self._path)
            self.failed_exports += 1
            self.lost_spans += len(spans)
            return SpanExportResult.FAILURE
        try:
            line = encode_spans_line(spans)
        except Exception as error:  # the encoder is not ours; never let it raise into the processor
            return self._fail(len(spans), f"could not encode {len(spans)} spans: {type(error).__name__}: {error}")
        if line is None:
            return SpanExportResult.SUCCESS
        with self._lock:
            try:
                self._append(line)
            except OSError as error:
                self._close_locked()
                return self._fail(len(spans), f"could not write {len(spans)} spans to {self._path}: {error}")
        if self._failing:
            self._failing = False
            logger.info("trajdyn spans file %s is writable again", self._path)
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """``fsync`` the file; ``True`` when there is nothing to flush or it succeeded."""
        with self._lock:
            if self._fd is None:
                return True
            try:
                os.fsync(self._fd)
            except OSError as error:
                logger.debug("fsync of %s failed: %s", self._path, error)
                return False
        return True

    def shutdown(self) -> None:
        """Close the file; later exports are dropped (``FAILURE``)."""
        with self._lock:
            self._shutdown = True
            self._close_locked()

    # ------------------------------------------------------------------------------------------------
    def _fail(self, n_spans: int, message: str) -> SpanExportResult:
        self.failed_exports += 1
        self.lost_spans += n_spans
        if not self._failing:
            self._failing = True
            logger.warning("%s (further failures are not logged until a write succeeds)", message)
        else:
            logger.debug("%s", message)
        return SpanExportResult.FAILURE

    def _open_locked(self) -> int:
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._fd = os.open(self._path, _OPEN_FLAGS | os.O_RDWR, 0o666)  # the umask decides the mode
                self._readable = True
            except PermissionError:
                self._fd = os.open(self._path, _OPEN_FLAGS | os.O_WRONLY, 0o666)
                self._readable = False
        return self._fd

    def _close_locked(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass

    def _is_current(self, fd: int) -> bool:
        try:
            on_disk = self._path.stat()
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)

    def _append(self, line: bytes) -> None:
        for _ in range(_MAX_REOPENS):
            fd = self._open_locked()
            _flock(fd)
            locked = True
            try:
                if not self._is_current(fd):  # rotated (or removed) by another writer: reopen
                    locked = False
                    self._close_locked()
                    continue
                size = os.fstat(fd).st_size
                if self._rotate_bytes is not None and size > 0 and size + len(line) > self._rotate_bytes:
                    self._rotate()
                    locked = False
                    self._close_locked()
                    continue
                data = line if size == 0 or not self._torn_tail(fd, size) else b"\n" + line
                try:
                    _write_all(fd, data)
                except OSError:
                    _roll_back(fd, size)
                    raise
                return
            finally:
                if locked:
                    _funlock(fd)
        raise OSError(f"{self._path} kept being replaced while appending")

    def _torn_tail(self, fd: int, size: int) -> bool:
        """Whether the file does not end with a newline (a torn line: a writer killed mid-line, a failed rollback)."""
        if not self._readable:
            return False
        try:
            return os.pread(fd, 1, size - 1) != b"\n"
        except OSError:
            return False

    def _rotate(self) -> None:
        """Move the current file to the next free ``<stem>.<n><suffix>``; the caller holds the file's lock."""
        n = max(_rotated_numbers(self._path), default=0) + 1
        while True:
            target = rotated_path(self._path, n)
            try:
                os.link(self._path, target)  # fails rather than overwrite an existing file
            except FileExistsError:
                n += 1
                continue
            except OSError:  # a file system without hard links
                if target.exists():
                    n += 1
                    continue
                self._path.rename(target)
            else:
                self._path.unlink()
            break
        self.rotations += 1
        logger.debug("rotated %s to %s", self._path, target)


def _roll_back(fd: int, size: int) -> None:
    """Truncate the file to ``size`` after a failed write, so that it holds no fragment of the line."""
    try:
        os.ftruncate(fd, size)
    except OSError as error:  # the next append sees the torn tail and starts a new line
        logger.debug("could not roll back a failed write: %s", error)


_write: Callable[[int, bytes | memoryview], int] = os.write
"""The one write call (a seam for the fault-injection tests)."""


def _write_all(fd: int, data: bytes) -> None:
    """One ``os.write`` of the whole line; a short write (disk full mid-line) is completed or raises."""
    written = _write(fd, data)
    view = memoryview(data)
    while written < len(data):
        n = _write(fd, view[written:])
        if n <= 0:
            raise OSError(errno.ENOSPC, f"short write: {written} of {len(data)} bytes")
        written += n
