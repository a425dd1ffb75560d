"""The decoding worker process: ``python -m trajdyn.analyzer.io._worker``.

Reads length-prefixed msgpack :class:`~trajdyn.analyzer.io._decode.Job` messages on stdin, decodes each with
:func:`~trajdyn.analyzer.io._decode.run_job` and answers on stdout, in order, with a length-prefixed msgpack
header followed by the spans and events frames as Arrow IPC streams (see :mod:`._pool`). Exits at end of input.

A plain module run by :mod:`._pool` with ``subprocess`` rather than a ``multiprocessing`` child, so that the
parent's ``__main__`` is never re-imported (a script without an ``if __name__ == "__main__"`` guard, or code
typed at a prompt, works) and nothing depends on fork safety.
"""

from __future__ import annotations

import io
import struct
import sys
from typing import IO, Final

import msgspec

from trajdyn.analyzer.io._decode import ChunkResult, Job, run_job

__all__ = ["ResultHeader", "encode_result", "main", "read_message", "write_message"]

_LENGTH: Final = struct.Struct("<Q")


class ResultHeader(msgspec.Struct, array_like=True):
    """What precedes the two IPC blobs of an answer: the chunk's problems and counts, or a worker failure."""

    errors: list[tuple[int, int, str]]
    counts: list[tuple[int, int, int]]
    spills: list[tuple[int, int, str]]
    spans_bytes: int
    events_bytes: int
    failure: str | None = None


def write_message(out: IO[bytes], *parts: bytes) -> None:
    """Write each part with an 8-byte little-endian length prefix, then flush."""
    for part in parts:
        out.write(_LENGTH.pack(len(part)))
        out.write(part)
    out.flush()


def read_message(src: IO[bytes]) -> bytes | None:
    """Read one length-prefixed part; ``None`` at a clean end of input. Raises ``EOFError`` when cut short."""
    head = src.read(_LENGTH.size)
    if not head:
        return None
    if len(head) < _LENGTH.size:
        raise EOFError("truncated message length")
    (n,) = _LENGTH.unpack(head)
    body = src.read(n)
    if len(body) < n:
        raise EOFError("truncated message")
    return body


def _ipc(frame: object) -> bytes:
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    buf = io.BytesIO()
    frame.write_ipc_stream(buf, compression="uncompressed")
    return buf.getvalue()


def encode_result(result: ChunkResult) -> list[bytes]:
    """The three parts of an answer: header, spans IPC, events IPC."""
    spans = _ipc(result.spans)
    events = _ipc(result.events)
    header = ResultHeader(result.errors, result.counts, result.spills, len(spans), len(events))
    return [msgspec.msgpack.encode(header), spans, events]


def main() -> int:
    """Serve jobs until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    decoder = msgspec.msgpack.Decoder(Job)
    while True:
        raw = read_message(stdin)
        if raw is None:
            return 0
        try:
            parts = encode_result(run_job(decoder.decode(raw)))
        except Exception as exc:  # reported to the parent, which decodes the job itself
            failure = ResultHeader([], [], [], 0, 0, failure=f"{type(exc).__name__}: {exc}")
            parts = [msgspec.msgpack.encode(failure), b"", b""]
        write_message(stdout, *parts)


if __name__ == "__main__":
    raise SystemExit(main())
