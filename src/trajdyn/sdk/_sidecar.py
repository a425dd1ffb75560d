"""The live-coverage sidecar: one JSON file, rewritten atomically, at most once per interval.

Schema ``trajdyn.coverage/1``::

    {"schema": "trajdyn.coverage/1", "updated_at": "2026-01-01T00:00:00.000000Z",
     "trajectories": [{"trajectory_id", "task_id", "run_id", "model", "state": "running" | "finished",
                       ...every exploration key of the analyzer report...}]}

Writes never happen on the loop's hot path: an event only marks the file dirty; one daemon thread rewrites dirty
files at most once per interval. A trajectory's end freezes its entry (never computed again) and, when no other
trajectory sharing the file is still running, writes the file once more, synchronously; otherwise the thread writes
it within the interval (200 concurrent trajectories ending one after the other cost one write per interval, not 200
writes of 200 entries). A write goes to a temporary file in the same directory followed by ``os.replace``, so a
reader never sees a torn file; the file's mode follows the umask, as the spans file's does. Several trajectories
(threads, tasks) may share one sidecar file.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from trajdyn import conventions as C
from trajdyn.sdk import _lifecycle
from trajdyn.sdk._errors import report_internal_error

__all__ = [
    "SidecarWriter",
    "flush_sidecars",
    "get_sidecar",
    "reset_sidecars",
    "sidecar_path_for",
    "sidecar_path_in_child",
]

EntrySource = Callable[[], dict[str, Any]]
_encoder = msgspec.json.Encoder()


def sidecar_path_for(spans_file: str | os.PathLike[str]) -> Path:
    """Default sidecar of a spans file: ``spans.jsonl`` → ``spans.coverage.json``."""
    p = Path(spans_file)
    return p.with_name(p.stem + C.SIDECAR_SUFFIX) if p.suffix else p.with_name(p.name + C.SIDECAR_SUFFIX)


def sidecar_path_in_child(path: str | os.PathLike[str], pid: int) -> Path:
    """The sidecar of a forked child (process ``pid``): ``spans.coverage.json`` → ``spans.<pid>.coverage.json``.

    Several processes rewriting one sidecar would each replace the others' trajectories.
    """
    p = Path(path)
    if p.name.endswith(C.SIDECAR_SUFFIX) and len(p.name) > len(C.SIDECAR_SUFFIX):
        return p.with_name(f"{p.name[: -len(C.SIDECAR_SUFFIX)]}.{pid}{C.SIDECAR_SUFFIX}")
    return p.with_name(f"{p.stem}.{pid}{p.suffix}")


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new temporary file next to ``path``, created with mode 0666 less the umask (like the spans file; not
    ``mkstemp``'s fixed 0600), exclusively (``O_EXCL``: never an existing file or a planted link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


class SidecarWriter:
    """The writer of one sidecar file; trajectories register an entry source (a snapshot callable)."""

    def __init__(self, path: Path, interval: float) -> None:
        self.path = path
        self.interval = interval
        self.dirty = False
        self.writes = 0
        # the first periodic write comes one interval after the writer exists (the end of a trajectory always writes)
        self._last_write = time.monotonic()
        self._lock = threading.Lock()
        self._sources: dict[str, EntrySource] = {}
        self._running: set[str] = set()

    def register(self, trajectory_id: str, source: EntrySource) -> None:
        """Add (or replace) a trajectory's entry; the entries keep their registration order."""
        with self._lock:
            self._sources[trajectory_id] = source
            self._running.add(trajectory_id)
        self.dirty = True
        _ensure_thread()
        _wake.set()  # the thread may be sleeping a longer tick computed before this writer existed

    def finish(self, trajectory_id: str, entry: dict[str, Any]) -> bool:
        """Freeze a finished trajectory's entry; ``True`` when no trajectory of this file is still running."""
        with self._lock:
            self._sources[trajectory_id] = lambda: entry
            self._running.discard(trajectory_id)
            last = not self._running
        self.dirty = True
        return last

    def due(self, now: float) -> bool:
        """Whether the background thread should write now."""
        return self.dirty and now - self._last_write >= self.interval

    def write(self) -> None:
        """Rewrite the file atomically with every registered trajectory's current entry."""
        with self._lock:
            self.dirty = False
            document = {
                "schema": C.SIDECAR_SCHEMA,
                "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "trajectories": [source() for source in self._sources.values()],
            }
            data = _encoder.encode(document)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _create_temporary(self.path)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                tmp.replace(self.path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            self._last_write = time.monotonic()
            self.writes += 1


_registry_lock = threading.Lock()
_writers: dict[Path, SidecarWriter] = {}
_thread: threading.Thread | None = None
_wake = threading.Event()
_TICK_MAX = 0.25


def get_sidecar(path: str | os.PathLike[str], interval: float) -> SidecarWriter:
    """The process-wide writer of ``path`` (one per resolved path)."""
    key = Path(path).absolute()
    with _registry_lock:
        writer = _writers.get(key)
        if writer is None:
            writer = _writers[key] = SidecarWriter(key, interval)
        else:
            writer.interval = min(writer.interval, interval)
        return writer


def _ensure_thread() -> None:
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    with _registry_lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_run, name="trajdyn-sidecar", daemon=True)
        _thread.start()


def _run() -> None:
    while True:
        with _registry_lock:
            writers = list(_writers.values())
        tick = min([w.interval for w in writers] + [_TICK_MAX])
        _wake.wait(max(tick, 0.005))
        _wake.clear()
        now = time.monotonic()
        for w in writers:
            if w.due(now):
                try:
                    w.write()
                except Exception as exc:  # the background thread never raises; counted and logged once
                    try:
                        report_internal_error("sidecar", exc)
                    except Exception:
                        pass


def flush_sidecars() -> None:
    """Write every dirty sidecar now (at flush/shutdown)."""
    with _registry_lock:
        writers = list(_writers.values())
    for w in writers:
        if w.dirty:
            try:
                w.write()
            except Exception as exc:
                report_internal_error("sidecar", exc)


def forget_in_child() -> None:
    """In a forked child: new lock, no writers, no thread (the parent keeps writing its files)."""
    global _registry_lock, _thread
    _registry_lock = threading.Lock()
    _writers.clear()
    _thread = None


def reset_sidecars() -> None:
    """Forget every writer (test helper)."""
    with _registry_lock:
        _writers.clear()


def _flush(timeout_millis: int) -> bool:
    flush_sidecars()
    return True


_lifecycle.register(
    _lifecycle.Hooks(flush=_flush, close=flush_sidecars, forget=reset_sidecars, after_fork_in_child=forget_in_child)
)
