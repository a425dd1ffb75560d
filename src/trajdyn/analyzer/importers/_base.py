"""The importer contract: what a format module parses a log into, and what :func:`convert` returns.

A format module parses its log into :class:`ImportedTrajectory` records (format-neutral iterations
and refused proposals); :mod:`._builder` turns those into conventions-v1 spans, so no format module
spells a span layout itself. A format module exposes ``IMPORTER = Importer(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from trajdyn import conventions as C
from trajdyn.analyzer.errors import ReadError
from trajdyn.analyzer.importers._otlp_writer import AttrValue, count_spans


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import produced.

    ``requests``: OTLP/JSON ``ExportTraceServiceRequest`` dicts (one per trajectory);
    ``errors``: the rows that were skipped, as ``path:line: problem``; ``format``: the importer used.
    """

    requests: list[dict[str, Any]]
    errors: list[ReadError]
    format: str = ""
    source: str = ""

    @property
    def span_count(self) -> int:
        """Total number of spans in ``requests``."""
        return sum(count_spans(r) for r in self.requests)


@dataclass(frozen=True, slots=True)
class ImportedStep:
    """One row of a foreign log: an iteration (propose → observe → decide) or a refused proposal.

    ``knob``/``value``: the proposal (``value`` raw, canonicalised on output); a proposal without a knob
    gives its ``action`` instead. ``blocked``: refused before evaluation (a propose span only, not an
    iteration). ``error``: status-ERROR message (on the propose span of a blocked step, on the observe
    span of an iteration whose evaluation failed). Times are unix nanoseconds of the row's end and its
    duration, when the log has them; ``propose_s`` is how long the proposal took.
    """

    line: int
    knob: str | None = None
    value: object = None
    action: str | None = None
    metric: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    decision: str | None = None
    blocked: bool = False
    reason: str | None = None
    error: str | None = None
    end_ns: int | None = None
    duration_s: float | None = None
    propose_s: float | None = None
    propose_attrs: Mapping[str, AttrValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportedTrajectory:
    """One trajectory of a foreign log with its root-span facts and its steps in log order."""

    line: int
    task_id: str
    agent_name: str | None = None
    model: str | None = None
    knob_menu: Sequence[str] | None = None
    objective: str = C.DEFAULT_OBJECTIVE
    metric_name: str | None = None
    baseline: float | None = None
    reward: float | None = None
    outcome: str | None = None
    steps: Sequence[ImportedStep] = ()


ConvertFn: TypeAlias = Callable[[Path, Sequence[str] | None], tuple[list[ImportedTrajectory], list[ReadError]]]
"""Parse one file (with an optional knob menu given by the user) into trajectories and row errors."""
SniffFn: TypeAlias = Callable[[bytes], bool]
"""Decide from the first bytes of a file (already decompressed) whether it is this format. Never raises."""


@dataclass(frozen=True, slots=True)
class Importer:
    """A foreign log format: its name on the command line, a content sniffer and a parser."""

    name: str
    description: str
    sniff: SniffFn
    parse: ConvertFn
