"""A small pool of decoding worker processes (:mod:`._worker`) whose results are consumed in submission order.

Why not ``multiprocessing``: its spawn and forkserver start methods re-import the parent's ``__main__`` in every
child, which breaks (``BrokenProcessPool``) for a script that calls ``read_spans`` without an
``if __name__ == "__main__"`` guard, and fork is unsafe once polars' thread pool runs. Plain subprocesses running
``python -m trajdyn.analyzer.io._worker`` have neither problem. msgspec holds the GIL while decoding, so threads
would not run in parallel.

Job *i* goes to worker ``i mod (n + 1)``, the last share being decoded by the calling process itself (it would
otherwise wait idle); each worker answers its jobs in order, and a reader thread per worker drains
its stdout into a queue, so a worker never waits on a full pipe. A worker that fails to start, dies, or reports an
exception is retired and its jobs are decoded in this process instead (slower, never wrong).
"""

from __future__ import annotations

import io
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

import msgspec
import polars as pl

from trajdyn.analyzer.io._decode import ChunkResult, Job, run_job
from trajdyn.analyzer.io._worker import ResultHeader, read_message, write_message

__all__ = ["WorkerPool"]

IN_FLIGHT_PER_WORKER: Final = 2
_ENV_POLARS_THREADS: Final = "POLARS_MAX_THREADS"
_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parents[3])
"""The directory that holds the ``trajdyn`` package, so that workers import the same code as this process."""

_Answer = tuple[ResultHeader, bytes, bytes] | BaseException


def _worker_env() -> dict[str, str]:
    """The environment of a worker: ours, with trajdyn importable and polars limited to one thread per worker.

    Only the child's environment is set; this process's environment is never changed. A user's own
    ``POLARS_MAX_THREADS`` is kept.
    """
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + path if path else "")
    env.setdefault(_ENV_POLARS_THREADS, "1")
    return env


class _Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trajdyn.analyzer.io._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
        )
        self.answers: queue.Queue[_Answer] = queue.Queue()
        self.alive = True
        self.reader = threading.Thread(target=self._read, name="trajdyn-decode-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        header_decoder = msgspec.msgpack.Decoder(ResultHeader)
        try:
            while True:
                raw = read_message(out)
                if raw is None:
                    raise EOFError("the decoding worker exited")
                header = header_decoder.decode(raw)
                spans = read_message(out)
                events = read_message(out)
                if spans is None or events is None:
                    raise EOFError("the decoding worker exited mid-answer")
                self.answers.put((header, spans, events))
        except BaseException as exc:  # EOF, a broken pipe or a garbled answer: the worker is retired
            self.answers.put(exc)

    def submit(self, payload: bytes) -> bool:
        stdin: IO[bytes] | None = self.proc.stdin
        if not self.alive or stdin is None:
            return False
        try:
            write_message(stdin, payload)
        except OSError:
            self.alive = False
            return False
        return True

    def close(self) -> None:
        self.alive = False
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _frame(blob: bytes) -> pl.DataFrame:
    return pl.read_ipc_stream(io.BytesIO(blob))


class WorkerPool:
    """``n`` decoding workers; :meth:`map` yields the results of the jobs in order. Use as a context manager."""

    def __init__(self, n: int) -> None:
        self.workers: list[_Worker] = []
        for _ in range(n):
            try:
                self.workers.append(_Worker())
            except OSError:
                break

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (they exit when their input closes)."""
        for worker in self.workers:
            worker.close()

    def map(self, jobs: Iterator[Job], *, local: bool = True) -> Iterator[tuple[Job, ChunkResult]]:
        """Decode ``jobs`` in parallel; yields ``(job, result)`` in the order of ``jobs``.

        With ``local``, this process takes its share too (every ``(n + 1)``-th job, decoded when its turn comes)
        instead of waiting idle: ``n`` workers and this process keep ``n + 1`` cores busy.
        """
        encoder = msgspec.msgpack.Encoder()
        pending: deque[tuple[Job, _Worker | None]] = deque()
        n = len(self.workers)
        slots = n + 1 if local else n
        limit = max(1, slots * IN_FLIGHT_PER_WORKER)
        for index, job in enumerate(jobs):
            turn = index % slots if slots else n
            worker = self.workers[turn] if turn < n else None
            if worker is not None and not worker.submit(encoder.encode(job)):
                worker = None
            pending.append((job, worker))
            while len(pending) >= limit:
                yield self._take(pending.popleft())
        while pending:
            yield self._take(pending.popleft())

    @staticmethod
    def _take(item: tuple[Job, _Worker | None]) -> tuple[Job, ChunkResult]:
        job, worker = item
        if worker is not None:
            answer = worker.answers.get()
            if isinstance(answer, BaseException):
                worker.alive = False
                worker.answers.put(answer)  # every later job of this worker falls back too
            else:
                header, spans, events = answer
                if header.failure is None:
                    result = ChunkResult(_frame(spans), _frame(events), header.errors, header.counts, header.spills)
                    return job, result
        return job, run_job(job)
