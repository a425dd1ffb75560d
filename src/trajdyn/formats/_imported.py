"""What a span format parses a log into (format-neutral records), and what :func:`~trajdyn.formats.convert` returns.

A span format (:class:`~trajdyn.formats.SpanFormat`) parses its log into :class:`ImportedTrajectory` records
(iterations, single-phase turns and refused proposals); :mod:`._builder` turns those into conventions-v1 spans, so no
format module spells a span layout itself (docs/importers.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._otlp_writer import AttrValue, count_spans


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import produced.

    ``requests``: OTLP/JSON ``ExportTraceServiceRequest`` dicts (one per trajectory);
    ``errors``: the rows that were skipped, as ``path:line: problem``; ``format``: the importer used.
    """

    requests: list[dict[str, Any]]
    errors: list[InputProblem]
    format: str = ""
    source: str = ""

    @property
    def span_count(self) -> int:
        """Total number of spans in ``requests``."""
        return sum(count_spans(r) for r in self.requests)


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    """A span event of an imported log (``trajdyn.retry``, ``trajdyn.playbook.cue_hit`` …, conventions keys).

    ``time_ns``: unix nanoseconds; ``None`` places it at the end of the span that carries it.
    """

    name: str
    attrs: Mapping[str, AttrValue] = field(default_factory=dict)
    time_ns: int | None = None


STEP_ITERATION: Final = "iteration"
"""An :class:`ImportedStep` of an iteration-based loop: one propose, one observe and one decide span."""
STEP_PROPOSE: Final = C.PHASE_PROPOSE
"""A turn-based log's agent turn: one propose span that opens the next iteration (no observe/decide)."""
STEP_OBSERVE: Final = C.PHASE_OBSERVE
"""A turn-based log's observation (a tool result): one observe span that carries the current iteration."""
STEP_DECIDE: Final = C.PHASE_DECIDE
"""A lone decide span that carries the current iteration."""
StepShape: TypeAlias = Literal["iteration", "propose", "observe", "decide"]


@dataclass(frozen=True, slots=True)
class ImportedStep:
    """One row of a foreign log: an iteration (propose → observe → decide), a single phase, or a refused proposal.

    ``shape``: :data:`STEP_ITERATION` (default: three spans) or one phase (:data:`STEP_PROPOSE` opens the next
    iteration, :data:`STEP_OBSERVE` / :data:`STEP_DECIDE` carry the current one: turn-based logs such as chat
    transcripts). ``knob``/``value``: the proposal (``value`` raw, canonicalised on output); a proposal without a
    knob gives its ``action`` instead (a tool name). ``blocked``: refused before evaluation (a propose span only,
    not an iteration). ``error``: status-ERROR message (on the propose span of a blocked step, on the observe
    span of an iteration whose evaluation failed, on the single span otherwise). Times are unix nanoseconds of
    the row's end and its duration, when the log has them; ``propose_s`` is how long the proposal took.
    ``content``: the step's text (``trajdyn.content``, on the propose span, or on the single span); importers
    read logs the user already holds, so content is imported, but secret-looking strings are scrubbed.
    ``attrs``: further conventions attributes of the single span (or of the observe span of an iteration);
    ``events``: span events of the step (on the propose span of an iteration, or on the single span).
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
    shape: StepShape = "iteration"
    content: str | None = None
    attrs: Mapping[str, AttrValue] = field(default_factory=dict)
    events: Sequence[ImportedEvent] = ()


@dataclass(frozen=True, slots=True)
class ImportedTrajectory:
    """One trajectory of a foreign log with its root-span facts and its steps in log order.

    ``attrs``: further root-span attributes by conventions key (``trajdyn.attempt``, ``trajdyn.run.id``,
    ``trajdyn.learning_key``, ``gen_ai.usage.input_tokens`` …); ``events``: events of the root span
    (session-level retries, failures, playbook cue hits); ``content``: the task text (``trajdyn.task.text``).
    """

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
    attrs: Mapping[str, AttrValue] = field(default_factory=dict)
    events: Sequence[ImportedEvent] = ()
    content: str | None = None
