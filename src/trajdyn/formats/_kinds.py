"""The kinds of foreign format: a :class:`SpanFormat` (a log that becomes spans), a :class:`ResultFormat` (a
benchmark run summary that becomes result records) and a :class:`SweepFormat` (a parameter sweep summary that
becomes sweep records). A format module defines one such object (docs/importers.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, TypeAlias

from trajdyn._problems import InputProblem
from trajdyn.formats._imported import ImportedTrajectory

__all__ = [
    "RESULT_KEYS",
    "SWEEP_RECORD_KINDS",
    "Format",
    "FormatKind",
    "ParseLogFn",
    "ParseResultFn",
    "ResultFormat",
    "SniffFn",
    "SpanFormat",
    "SweepFormat",
]

FormatKind: TypeAlias = Literal["spans", "results", "sweeps"]

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
    "category",
)
"""Keys of a result record: one task of one run (``path`` identifies the run; an in-progress run is one record with
null task and score). ``time`` in unix seconds, ``score`` in [0, 1], ``cost`` in USD, ``tokens`` per task (null when
not measured), ``duplicates`` the extra entries of the task averaged into it, ``category`` the task's kind when the file says
(PinchBench's ``frontmatter.category``; the ``fusion`` section's strata), else null (docs/analyzer-api.md)."""


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


SWEEP_RECORD_KINDS: Final = ("point", "constant", "pair_point")
"""Values of a sweep record's ``kind`` key. ``point``: one score of one constant at one value (``source, constant,
value, order, score``, optional ``replicate``, ``scenario``, ``split``); ``constant``: one constant's counts and what
the file itself claimed (``source, constant, default, n_points_ok, n_points_total, n_errors, n_degenerate,
reported_best_value, reported_best_score, reported_cliffs``); ``pair_point``: one score of a two-constant grid
(``source, pair, constant_a, constant_b, value_a, value_b, score``). Values are canonical strings (numbers as
:func:`repr`, anything else as sorted JSON); see docs/metrics/sweeps.md."""


@dataclass(frozen=True, slots=True)
class SweepFormat:
    """A parameter-sweep summary format whose content becomes sweep records (:data:`SWEEP_RECORD_KINDS`)."""

    name: str
    description: str
    sniff: SniffFn
    parse: ParseResultFn
    kind: ClassVar[FormatKind] = "sweeps"


Format: TypeAlias = SpanFormat | ResultFormat | SweepFormat
