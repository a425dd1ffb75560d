"""Turn format-neutral :class:`ImportedTrajectory` records into conventions-v1 OTLP/JSON requests.

Span layout (one request per trajectory, one resource, scope ``trajdyn.import.<format>``):

- a root span ``invoke_agent <agent>`` (kind INTERNAL) with ``gen_ai.operation.name = invoke_agent``,
  ``trajdyn.trajectory.id``, ``trajdyn.task.id``, the search space (``trajdyn.knob.menu``, ``trajdyn.objective``,
  ``trajdyn.metric.name``, ``trajdyn.baseline``) and the outcome where the log has one;
- per iteration, three children of the root: ``propose`` (``trajdyn.iteration``, ``trajdyn.knob``,
  ``trajdyn.value``, ``trajdyn.action``, ``trajdyn.repeat``), ``observe`` (``trajdyn.metric`` and
  ``trajdyn.metrics.<name>``; status ERROR when the evaluation failed) and ``decide`` (``trajdyn.decision``);
- per refused or failed proposal, one ``propose`` child with ``trajdyn.blocked = true``, ``trajdyn.reason``,
  the iteration number its re-proposal opens, and status ERROR plus a ``trajdyn.failure`` event when it failed;
- per single-phase step (turn-based logs: an agent turn, a tool result), one child span of that phase: a
  ``propose`` opens the next iteration, an ``observe`` or ``decide`` carries the current one (0 before any
  propose).

Content (``trajdyn.content`` on steps, ``trajdyn.task.text`` on the root) is truncated like the SDK's content
capture (:func:`trajdyn.redact.content_attributes`). Every string of the output is scrubbed of secrets
(:mod:`trajdyn.redact`), as the SDK does: attribute and event values (knob values, actions, error reasons, entry
ids, task ids …), span names and status messages; a proposal is scrubbed as a whole before its repeat status is
computed (:func:`trajdyn.redact.scrub_proposal`), so the repeats agree with the recorded pairs. Events given by
the importer are attached to the root or to the step's span.

Every step span carries ``trajdyn.trajectory.id`` and ``trajdyn.phase``. Times come from the log when it has
them (clamped so that steps never overlap or go backwards), else they are synthetic: one second per row
from :data:`SYNTHETIC_EPOCH_NS`. Ids are derived from the source file's name and content and the row's line number.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._values import canonical_action, canonical_value
from trajdyn.formats import _otlp_writer as W
from trajdyn.formats._imported import (
    STEP_ITERATION,
    STEP_PROPOSE,
    ImportedEvent,
    ImportedStep,
    ImportedTrajectory,
)
from trajdyn.redact import content_attributes, scrub_proposal, scrub_value

SYNTHETIC_EPOCH_NS: Final = 1_704_067_200 * 1_000_000_000
"""2024-01-01T00:00:00Z: where synthetic times start for a log without timestamps."""
SYNTHETIC_STEP_NS: Final = 1_000_000_000
"""Synthetic duration of one row."""
_MIN_ROW_NS: Final = 3_000_000


def _scope_version() -> str | None:
    try:
        return metadata.version("trajdyn")
    except metadata.PackageNotFoundError:
        return None


def source_seed(path: Path) -> str:
    """The id seed of a source file: its name and a SHA-256 of its bytes.

    Neither the directory nor the machine enters the ids, so the same file gives the same ids wherever it lies
    (the analyzer de-duplicates a log imported twice, and reports of one log compare across machines); a log that
    changes gets new ids. A path that cannot be read (a name given only for its ids) seeds by its name alone.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return path.name
    return f"{path.name}\x00{digest.hexdigest()}"


class _Clock:
    """Places rows on a monotone time line: the log's times when present, synthetic ones otherwise."""

    def __init__(self) -> None:
        self.cursor: int | None = None

    def place(self, end_ns: int | None, duration_s: float | None) -> tuple[int, int]:
        duration = (
            max(int(duration_s * 1e9), _MIN_ROW_NS)
            if duration_s is not None and math.isfinite(duration_s) and duration_s > 0
            else SYNTHETIC_STEP_NS
        )
        if end_ns is None:
            start = SYNTHETIC_EPOCH_NS if self.cursor is None else self.cursor
            end = start + duration
        else:
            start = end_ns - duration
            if self.cursor is not None and start < self.cursor:
                start = self.cursor
            end = max(end_ns, start + _MIN_ROW_NS)
        self.cursor = end
        return start, end


def _finite_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    return {C.metrics_key(k): float(v) for k, v in metrics.items() if math.isfinite(v)}


def _finite_attrs(attrs: Mapping[str, W.AttrValue]) -> dict[str, W.AttrValue | None]:
    """``attrs`` without non-finite floats (JSON has no NaN)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in attrs.items()}


def _content(key: str, text: str | None) -> dict[str, W.AttrValue | None]:
    if text is None:
        return {}
    return dict(content_attributes(key, text, redact=None, max_length=C.DEFAULT_MAX_CONTENT_LENGTH))


def _proposal(step: ImportedStep) -> tuple[str | None, str | None, str | None]:
    """(knob, canonical value, action) of a step, scrubbed as a whole."""
    value = canonical_value(step.value) if step.knob is not None else None
    action = canonical_action(step.knob, value) if step.knob is not None else step.action
    return scrub_proposal(step.knob, value, action)


def _utf8(text: str) -> str:
    """``text`` with lone surrogates (a ``\\ud800`` escape in a log's JSON) replaced by U+FFFD: no UTF-8 writer or
    reader of OTLP/JSON can carry them, so the span keeps the rest of the string instead of failing."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _scrub(text: str) -> str:
    return _utf8(scrub_value(text))


def _scrub_values(attributes: list[dict[str, Any]]) -> None:
    """Scrub the keys and string values of an OTLP/JSON ``KeyValue`` list in place."""
    for kv in attributes:
        kv["key"] = _utf8(kv["key"])
        value = kv["value"]
        if "stringValue" in value:
            value["stringValue"] = _scrub(value["stringValue"])
        elif "arrayValue" in value:
            for item in value["arrayValue"]["values"]:
                if "stringValue" in item:
                    item["stringValue"] = _scrub(item["stringValue"])


def scrub_request(req: dict[str, Any]) -> dict[str, Any]:
    """Scrub every string of one request in place (resource, span names, attributes, events, status messages): of
    secrets, and of lone surrogates."""
    for rs in req["resourceSpans"]:
        _scrub_values(rs["resource"]["attributes"])
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                sp["name"] = _scrub(sp["name"])
                _scrub_values(sp["attributes"])
                for ev in sp.get("events", ()):
                    ev["name"] = _utf8(ev["name"])
                    _scrub_values(ev.get("attributes", []))
                status = sp.get("status")
                if status and "message" in status:
                    status["message"] = _scrub(status["message"])
    return req


def _events(events: Sequence[ImportedEvent], default_ns: int) -> list[dict[str, Any]]:
    return [W.event(e.name, e.time_ns if e.time_ns is not None else default_ns, _finite_attrs(e.attrs)) for e in events]


class _TrajectoryWriter:
    def __init__(self, traj: ImportedTrajectory, ids: W.IdSource, trajectory_id: str) -> None:
        self.traj = traj
        self.ids = ids
        self.trace_id = ids.trace_id(f"trajectory:{traj.line}")
        self.root_id = ids.span_id(f"root:{traj.line}")
        self.trajectory_id = trajectory_id
        self.spans: list[dict[str, Any]] = []
        self.seen: set[tuple[str, str | None]] = set()
        self.iteration = 0
        self.used: dict[str, int] = {}

    def _span_id(self, key: str) -> str:
        """A deterministic span id for ``key``; a key used again (several steps of one line) gets a suffix."""
        n = self.used.get(key, 0)
        self.used[key] = n + 1
        return self.ids.span_id(key if n == 0 else f"{key}#{n}")

    def _span(
        self,
        step: ImportedStep,
        phase: str,
        start: int,
        end: int,
        attrs: Mapping[str, W.AttrValue | None],
        error: str | None = None,
        reason: str | None = None,
        extra_events: Sequence[ImportedEvent] = (),
    ) -> None:
        base: dict[str, W.AttrValue | None] = {
            C.PHASE: phase,
            C.ITERATION: (self.iteration if not step.blocked else self.iteration + 1) or None,
            C.TRAJECTORY_ID: self.trajectory_id,
        }
        base.update(attrs)
        events = _events(extra_events, end)
        if error is not None:
            events.append(W.event(C.EVENT_FAILURE, end, {C.REASON: reason or error}))
        self.spans.append(
            W.span(
                trace_id=self.trace_id,
                span_id=self._span_id(f"{phase}:{step.line}"),
                parent_span_id=self.root_id,
                name=phase,
                start_ns=start,
                end_ns=end,
                attrs=base,
                events=events,
                error=error,
            )
        )

    def add(self, step: ImportedStep, start: int, end: int) -> None:
        if step.shape != STEP_ITERATION and not step.blocked:
            self._single(step, start, end)
            return
        knob, value, action = _proposal(step)
        pair_key = knob if knob is not None else action
        pair = (pair_key, value) if pair_key is not None else None
        repeat = pair in self.seen if pair is not None else None
        propose_attrs: dict[str, W.AttrValue | None] = {
            C.KNOB: knob,
            C.VALUE: value,
            C.ACTION: action,
            C.REPEAT: repeat,
        }
        propose_attrs.update(step.propose_attrs)
        propose_attrs.update(_content(C.CONTENT, step.content))
        if step.blocked:
            propose_attrs[C.BLOCKED] = True
            propose_attrs[C.REASON] = step.reason
            self._span(
                step,
                C.PHASE_PROPOSE,
                start,
                end,
                propose_attrs,
                error=step.error,
                reason=step.reason,
                extra_events=step.events,
            )
            return
        self.iteration += 1
        if pair is not None:
            self.seen.add(pair)
        total = end - start
        propose_ns = (
            int(step.propose_s * 1e9)
            if step.propose_s is not None and math.isfinite(step.propose_s) and step.propose_s > 0
            else total // 10
        )
        propose_end = start + min(propose_ns, total // 2)
        decide_start = end - max(min(1_000_000, total // 100), 1)
        self._span(step, C.PHASE_PROPOSE, start, propose_end, propose_attrs, extra_events=step.events)
        observe_attrs: dict[str, W.AttrValue | None] = {
            C.METRIC: step.metric if step.metric is not None and math.isfinite(step.metric) else None
        }
        observe_attrs.update(_finite_metrics(step.metrics))
        observe_attrs.update(_finite_attrs(step.attrs))
        self._span(step, C.PHASE_OBSERVE, propose_end, decide_start, observe_attrs, error=step.error)
        self._span(step, C.PHASE_DECIDE, decide_start, end, {C.DECISION: step.decision})

    def _single(self, step: ImportedStep, start: int, end: int) -> None:
        """One span of the step's phase (turn-based logs); a propose opens the next iteration."""
        attrs: dict[str, W.AttrValue | None] = {}
        if step.shape == STEP_PROPOSE:
            self.iteration += 1
            knob, value, action = _proposal(step)
            pair_key = knob if knob is not None else action
            pair = (pair_key, value) if pair_key is not None else None
            attrs.update(
                {
                    C.KNOB: knob,
                    C.VALUE: value,
                    C.ACTION: action,
                    C.REPEAT: pair in self.seen if pair is not None else None,
                }
            )
            if pair is not None:
                self.seen.add(pair)
            attrs.update(step.propose_attrs)
        elif step.metric is not None and math.isfinite(step.metric):
            attrs[C.METRIC] = step.metric
        if step.metrics:
            attrs.update(_finite_metrics(step.metrics))
        if step.decision is not None:
            attrs[C.DECISION] = step.decision
        attrs.update(_content(C.CONTENT, step.content))
        attrs.update(_finite_attrs(step.attrs))
        self._span(step, step.shape, start, end, attrs, error=step.error, reason=step.reason, extra_events=step.events)

    def root(self, start: int, end: int) -> dict[str, Any]:
        t = self.traj
        attrs: dict[str, W.AttrValue | None] = {
            C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
            C.GEN_AI_AGENT_NAME: t.agent_name,
            C.GEN_AI_REQUEST_MODEL: t.model,
            C.TRAJECTORY_ID: self.trajectory_id,
            C.TASK_ID: t.task_id,
            C.KNOB_MENU: list(t.knob_menu) if t.knob_menu is not None else None,
            C.OBJECTIVE: t.objective,
            C.METRIC_NAME: t.metric_name,
            C.BASELINE: t.baseline,
            C.REWARD: t.reward if t.reward is None or math.isfinite(t.reward) else None,
            C.OUTCOME: t.outcome,
        }
        attrs.update(_content(C.TASK_TEXT, t.content))
        attrs.update(_finite_attrs(t.attrs))
        return W.span(
            trace_id=self.trace_id,
            span_id=self.root_id,
            parent_span_id=None,
            name=C.trajectory_span_name(t.agent_name),
            start_ns=start,
            end_ns=end,
            attrs=attrs,
            events=_events(t.events, end),
        )


def build_requests(
    trajectories: Sequence[ImportedTrajectory], *, source: Path, format_name: str, source_name: str | None = None
) -> list[dict[str, Any]]:
    """One OTLP/JSON request per trajectory, in conventions v1 (see the module docstring for the layout).

    ``source_name``: how the source is named in the spans (default: its path), e.g. ``<stdin>`` for a spooled copy.
    """
    ids = W.IdSource(f"{format_name}\x00{source_seed(source)}")
    version = _scope_version()
    resource: dict[str, W.AttrValue | None] = {
        W.SERVICE_NAME_KEY: W.IMPORT_SERVICE_NAME,
        W.IMPORT_SOURCE_KEY: str(source) if source_name is None else source_name,
        W.IMPORT_FORMAT_KEY: format_name,
    }
    out: list[dict[str, Any]] = []
    for traj in trajectories:
        trace_id = ids.trace_id(f"trajectory:{traj.line}")
        writer = _TrajectoryWriter(traj, ids, f"{source.stem}-{trace_id[:12]}")
        clock = _Clock()
        first: int | None = None
        for step in traj.steps:
            start, end = clock.place(step.end_ns, step.duration_s)
            first = start if first is None else first
            writer.add(step, start, end)
        root_start = first if first is not None else SYNTHETIC_EPOCH_NS
        root_end = clock.cursor if clock.cursor is not None else root_start
        spans = [writer.root(root_start, root_end), *writer.spans]
        out.append(
            scrub_request(
                W.request(
                    resource=resource,
                    scope=W.scope_name(format_name),
                    scope_version=version,
                    spans=spans,
                    schema_url=C.SCHEMA_URL,
                )
            )
        )
    return out
