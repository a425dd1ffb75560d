"""The two kinds of foreign format: a :class:`SpanFormat` (a log that becomes spans) and a :class:`ResultFormat` (a
benchmark run summary that becomes result records). A format module defines one such object (docs/importers.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, TypeAlias

from trajdyn._problems import InputProblem
from trajdyn.formats._imported import ImportedTrajectory

__all__ = [
    "RESULT_KEYS",
    "Format",
    "FormatKind",
    "ParseLogFn",
    "ParseResultFn",
    "ResultFormat",
    "SniffFn",
    "SpanFormat",
]

FormatKind: TypeAlias = Literal["spans", "results"]

SniffFn: TypeAlias = Callable[[bytes], bool]
"""Decide from the first bytes of a file (already decompressed) whether it is this format. Never raises."""
ParseLogFn: TypeAlias = Callable[[Path, Sequence[str] | None], tuple[list[ImportedTrajectory], list[InputProblem]]]
"""Parse one log file (with an optional knob menu given by the user) into trajectories and row problems."""
ParseResultFn: TypeAlias = Callable[[str, str], tuple[list[dict[str, Any]], list[InputProblem]]]
"""Parse one result file (its name and its text) into result records (:data:`RESULT_KEYS`) and problems."""

RESULT_KEYS: Final = (
    "path",
    "model",
    "run_id",
    "time",
    "benchmark_version",
    "suite",
    "in_progress",
    "task_id",
    "score",
    "cost",
    "tokens",
    "duplicates",
)
"""Keys of a result record: one task of one run (``path`` identifies the run; an in-progress run is one record with
null task and score). ``time`` in unix seconds, ``score`` in [0, 1], ``cost`` in USD, ``tokens`` per task (null when
not measured), ``duplicates`` the extra entries of the task averaged into it (docs/analyzer-api.md)."""


@dataclass(frozen=True, slots=True)
class SpanFormat:
    """A foreign log format whose content becomes spans: its name (``--format NAME``), a sniffer and a parser."""

    name: str
    description: str
    sniff: SniffFn
    parse: ParseLogFn
    kind: ClassVar[FormatKind] = "spans"


@dataclass(frozen=True, slots=True)
class ResultFormat:
    """A benchmark result format whose content becomes result records: its name, a sniffer and a parser."""

    name: str
    description: str
    sniff: SniffFn
    parse: ParseResultFn
    kind: ClassVar[FormatKind] = "results"


Format: TypeAlias = SpanFormat | ResultFormat
