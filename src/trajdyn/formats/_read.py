"""Reading foreign logs: plain or gzip files, line by line, bad bytes reported instead of raised."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from trajdyn._problems import InputProblem
from trajdyn.exceptions import InputError

HEAD_BYTES: Final = 65536
GZIP_MAGIC: Final = b"\x1f\x8b"


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of ``path`` (decompressed when gzip); ``b""`` when unreadable. Never raises."""
    try:
        with path.open("rb") as fh:
            head = fh.read(n)
        if head[:2] == GZIP_MAGIC:
            with gzip.open(path, "rb") as gz:
                return gz.read(n)
        return head
    except (OSError, EOFError, ValueError):
        return b""


def read_bytes(path: Path) -> bytes:
    """The whole content of ``path`` (decompressed when gzip); :class:`InputError` when it cannot be read."""
    try:
        data = path.read_bytes()
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    return data


def iter_lines(path: Path, errors: list[InputProblem]) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` of the non-blank lines of ``path``.

    A line that is not valid UTF-8 is reported in ``errors`` and skipped. A leading byte-order mark is dropped.
    """
    data = read_bytes(path)
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(InputProblem(str(path), number, f"not valid UTF-8 (byte {exc.start})"))
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            yield number, text


def first_line(head: bytes) -> str | None:
    """The first non-blank line of ``head`` decoded as UTF-8, or ``None``."""
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    for line in text.splitlines():
        if line.strip():
            return line
    return None


def as_number(value: object) -> float | None:
    """A finite float from a JSON number or a numeric string; ``None`` otherwise (booleans are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def parse_timestamp_ns(value: object) -> int | None:
    """Unix nanoseconds of an ISO-8601 timestamp (``2026-04-25 18:07:22``; naive means UTC) or of unix seconds."""
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    number = as_number(value)
    if number is not None and number > 0:
        return int(number * 1e9)
    return None
