"""``trajdyn.trajectory()``: the root span of one attempt at one task, and the per-trajectory state.

A trajectory is a sync or async context manager, or a decorator (each call of the decorated function runs in a
fresh trajectory with the same arguments). The active trajectory lives in a ``ContextVar``, so trajectories in
different threads and asyncio tasks never see each other. Trajectories do not nest: entering one while another is
active in the same context raises :class:`~trajdyn.exceptions.TrajdynError`.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from trajdyn import conventions as C
from trajdyn._values import canonical_value
from trajdyn.exceptions import RepeatedProposal, TrajdynError
from trajdyn.redact import Redactor, content_attributes, scrub_proposal, scrub_secrets, scrub_value
from trajdyn.sdk import _errors, _lifecycle, _summary
from trajdyn.sdk._config import Config, get_config
from trajdyn.sdk._coverage import CoverageTracker
from trajdyn.sdk._exception import record_error
from trajdyn.sdk._sidecar import SidecarWriter, get_sidecar, sidecar_path_in_child
from trajdyn.sdk._spec import TrajectorySpec, root_attributes

__all__ = [
    "Trajectory",
    "active_trajectory",
    "add_usage",
    "adoption",
    "cue_hit",
    "current_trajectory",
    "failure",
    "open_trajectories",
    "retry",
    "set_execution_mode",
    "set_learning_key",
    "set_outcome",
    "set_reward",
    "trajectory",
]

P = ParamSpec("P")
R = TypeVar("R")

_current: ContextVar[Trajectory | None] = ContextVar("trajdyn_trajectory", default=None)
active_trajectory = _current.get
"""The trajectory active in this thread / asyncio task, one a forked child inherited included, or ``None`` (the
decorators' first call, see the step API of :class:`Trajectory`)."""
_open_lock = threading.Lock()
_open: dict[int, Trajectory] = {}

STATE_RUNNING = "running"
STATE_FINISHED = "finished"


def _scrubbed(value: str | None) -> str | None:
    return scrub_value(value) if isinstance(value, str) else value


def current_trajectory() -> Trajectory | None:
    """The trajectory active in this thread / asyncio task, or ``None`` (also in a forked child)."""
    t = _current.get()
    return None if t is None or t._inherited else t


def open_trajectories() -> list[Trajectory]:
    """Every trajectory entered and not yet finished in this process."""
    with _open_lock:
        return list(_open.values())


class Trajectory:
    """One attempt at one task: the root span, live coverage, and the outcome.

    Create it with ``trajdyn.trajectory(task_id, ...)`` and use it as ``with``, ``async with`` or a decorator.
    Inside it, ``@trajdyn.propose`` / ``observe`` / ``decide`` calls become step spans and feed the live
    :attr:`coverage`.

    Keyword arguments: ``agent_name``, ``model``, ``provider``, ``trajectory_id`` (default a fresh uuid4 hex),
    ``task_category``, ``task_text`` (recorded only with content capture on), ``run_id``, ``attempt``,
    ``perturbation_group``, ``variant``, ``split``, ``learning_key``, ``execution_mode``, ``knob_menu``,
    ``objective`` (``"minimize"``/``"maximize"``, default maximize), ``metric_name``, ``baseline``, ``sidecar``
    (overrides the configured sidecar path), ``block_repeats`` (raise :class:`~trajdyn.RepeatedProposal` from a
    repeated propose), ``coverage_window`` (default 10), ``plateau_eta`` (relative plateau threshold η, default 0),
    ``attributes`` (extra root-span attributes, e.g. from another convention).
    """

    def __init__(
        self,
        task_id: str,
        *,
        agent_name: str | None = None,
        model: str | None = None,
        provider: str | None = None,
        trajectory_id: str | None = None,
        task_category: str | None = None,
        task_text: str | None = None,
        run_id: str | None = None,
        attempt: int | None = None,
        perturbation_group: str | None = None,
        variant: str | None = None,
        split: str | None = None,
        learning_key: str | None = None,
        execution_mode: str | None = None,
        knob_menu: Sequence[str] | None = None,
        objective: str | None = None,
        metric_name: str | None = None,
        baseline: float | None = None,
        sidecar: str | os.PathLike[str] | None = None,
        block_repeats: bool = False,
        coverage_window: int | None = None,
        plateau_eta: float = 0.0,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        options = dict(locals())  # the arguments, spelled once (above); the spec validates them
        del options["self"]
        self._setup(TrajectorySpec(**options))

    @classmethod
    def _from_spec(cls, spec: TrajectorySpec) -> Trajectory:
        traj = cls.__new__(cls)
        traj._setup(spec)
        return traj

    def _setup(self, spec: TrajectorySpec) -> None:
        self._spec = spec
        # every string recorded on the root span or in the sidecar is scrubbed of secrets (whatever the capture)
        self.task_id = scrub_value(spec.task_id)
        self.trajectory_id = scrub_value(spec.trajectory_id) if spec.trajectory_id else uuid.uuid4().hex
        self.agent_name = _scrubbed(spec.agent_name)
        self.model = _scrubbed(spec.model)
        self.run_id = _scrubbed(spec.run_id)
        self.metric_name = _scrubbed(spec.metric_name)
        self.objective = spec.resolved_objective
        self.baseline = float(spec.baseline) if spec.baseline is not None else None
        self.knob_menu = tuple(scrub_value(str(k)) for k in spec.knob_menu) if spec.knob_menu is not None else None
        self.block_repeats = spec.block_repeats
        self.state = "created"
        self._tracker = CoverageTracker(
            knob_menu=self.knob_menu,
            objective=self.objective,
            baseline=self.baseline,
            window=spec.resolved_window,
            eta=spec.plateau_eta,
        )
        self._root_attrs = root_attributes(spec, self.trajectory_id, self.knob_menu)
        self._input_tokens = 0
        self._output_tokens = 0
        self._has_usage = False
        self._outcome_set = False
        self._warned_no_primary = False
        # filled in by _start
        self._span: Span = trace.INVALID_SPAN
        self._tracer: trace.Tracer = trace.NoOpTracer()
        self._writer: SidecarWriter | None = None
        self._gauges: dict[str, Any] | None = None
        self._gauge_attrs: dict[str, str] = {C.TRAJECTORY_ID: self.trajectory_id, C.TASK_ID: self.task_id}
        self.capture_content = False
        self.redact: Redactor | None = None
        self.max_content_length = C.DEFAULT_MAX_CONTENT_LENGTH
        self._inherited = False
        self._cfg: Config | None = None
        self._token: Token[Trajectory | None] | None = None
        self._ctx_token: object = None

    # ------------------------------------------------------------------ lifecycle
    def _start(self) -> None:
        if self.state != "created":
            raise TrajdynError(f"trajectory {self.trajectory_id} was already entered; create a new one per attempt")
        active = _current.get()
        if active is not None:
            raise TrajdynError(
                f"trajectories do not nest: trajectory {self.trajectory_id} (task {self.task_id!r}) entered inside "
                f"{active.trajectory_id} (task {active.task_id!r}); run them one after the other or in separate "
                "threads / asyncio tasks"
            )
        cfg = get_config()
        self._cfg = cfg
        settings = cfg.settings
        self._tracer = cfg.tracer
        self.capture_content = settings.capture_content
        self.redact = settings.redact
        self.max_content_length = settings.max_content_length
        self._gauges = cfg.gauges
        attrs = self._root_attrs
        if self.capture_content and self._spec.task_text is not None:
            attrs = {**attrs, **self.content(C.TASK_TEXT, self._spec.task_text)}
        self._span = self._tracer.start_span(
            C.trajectory_span_name(self.agent_name), kind=SpanKind.INTERNAL, attributes=attrs
        )
        self._ctx_token = otel_context.attach(trace.set_span_in_context(self._span))
        self._token = _current.set(self)
        self.state = STATE_RUNNING
        with _open_lock:
            _open[id(self)] = self
        path = self._spec.sidecar if self._spec.sidecar is not None else settings.sidecar
        if path is not None and cfg.pid != os.getpid():  # a forked child never overwrites its parent's sidecar
            path = sidecar_path_in_child(path, os.getpid())
        if path is not None:
            try:
                self._writer = get_sidecar(path, settings.sidecar_interval)
                self._writer.register(self.trajectory_id, self.sidecar_entry)
            except Exception as exc:
                self._writer = None
                _errors.report_internal_error("sidecar", exc)

    def _finish(self, exc: BaseException | None, *, detach: bool = True) -> None:
        if self._inherited:  # the parent's trajectory seen from a forked child: the parent ends it
            self.state = STATE_FINISHED
            self._detach()
            return
        if self.state != STATE_RUNNING:
            return
        self.state = STATE_FINISHED
        with _open_lock:
            _open.pop(id(self), None)
        problems: list[tuple[str, Exception]] = []
        try:  # the internal-error boundary of the root span's closing path: reported once the rest is done
            self._end_root(exc)
        except Exception as err:
            problems.append(("trajectory", err))
        if detach:
            self._detach()
        if self._writer is not None:
            try:
                if self._writer.finish(self.trajectory_id, self.sidecar_entry()):
                    self._writer.write()
            except Exception as err:
                problems.append(("sidecar", err))
        cfg = self._cfg
        if cfg is not None and cfg.pid != os.getpid():
            # a forked child may end with os._exit (multiprocessing does), skipping atexit: flush what it recorded
            try:
                cfg.force_flush()
            except Exception as err:
                problems.append(("export", err))
        for kind, problem in problems:
            _errors.report_internal_error(kind, problem)

    def _end_root(self, exc: BaseException | None) -> None:
        span = self._span
        if exc is not None:
            record_error(span, exc)
            if not self._outcome_set:
                span.set_attribute(C.OUTCOME, C.OUTCOME_ERROR)
        if self._has_usage:
            span.set_attribute(C.GEN_AI_USAGE_INPUT_TOKENS, self._input_tokens)
            span.set_attribute(C.GEN_AI_USAGE_OUTPUT_TOKENS, self._output_tokens)
        span.end()

    def _detach(self) -> None:
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # exited in another context (an async CM crossing tasks): nothing to restore
                pass
            self._token = None
        if self._ctx_token is not None:
            try:
                otel_context.detach(self._ctx_token)  # type: ignore[arg-type]
            except Exception:
                pass
            self._ctx_token = None

    def abort(self, reason: str) -> None:
        """End a still-running trajectory from outside its loop (shutdown, SIGTERM): status ERROR with ``reason``."""
        if self.state != STATE_RUNNING:
            return
        reason = scrub_secrets(reason)
        self._span.set_status(Status(StatusCode.ERROR, reason))
        self.failure(reason)
        self._finish(None, detach=False)

    def __enter__(self) -> Trajectory:
        self._start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish(exc)

    async def __aenter__(self) -> Trajectory:
        self._start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish(exc)

    def fresh(self) -> Trajectory:
        """A new, not yet entered trajectory with the same arguments (a fresh id unless one was given)."""
        return self._from_spec(self._spec)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator: every call of ``fn`` runs inside a fresh trajectory with these arguments."""
        if inspect.iscoroutinefunction(fn):
            afn = cast(Callable[P, Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with self.fresh():
                    return await afn(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.fresh():
                return fn(*args, **kwargs)

        return wrapper

    # ------------------------------------------------------------------ the step API (private: for the decorators)
    # A decorated call finds its trajectory with active_trajectory(). In one a forked child inherited (_inherited) it
    # records nothing and counts the call (_unrecorded_step). Otherwise _begin_step starts the step's span (without
    # attributes) and gives its start attributes; the decorator reads the result into them and closes the span with
    # _end_propose / _end_observe / _end_decide, or _end_unread when the result cannot be read. Every attribute is
    # set in one call, at the end. The caller holds the internal-error boundary.
    def _begin_step(self, phase: str, name: str) -> tuple[Span, dict[str, Any]]:
        if phase == C.PHASE_PROPOSE:  # a propose opens the next iteration: its number is known only at the end
            return self._tracer.start_span(name), {C.PHASE: phase, C.TRAJECTORY_ID: self.trajectory_id}
        n = self._tracker.iterations
        if n:
            attrs = {C.PHASE: phase, C.TRAJECTORY_ID: self.trajectory_id, C.ITERATION: n}
        else:
            attrs = {C.PHASE: phase, C.TRAJECTORY_ID: self.trajectory_id}
        return self._tracer.start_span(name), attrs

    def _end_propose(self, span: Span, attrs: dict[str, Any], knob: str | None, value: str | None) -> None:
        """Open the next iteration with the pair (``knob``: the knob, or a tool call's action; ``None``: no pair).

        Raises:
            RepeatedProposal: ``block_repeats`` is on and the pair was proposed before (the span is ended first,
                marked blocked; no iteration is opened).
        """
        tracker = self._tracker
        if self.block_repeats and knob is not None:
            first = tracker.first_iteration(knob, value)
            if first is not None:
                attrs[C.ITERATION] = tracker.iterations + 1
                attrs[C.REPEAT] = True
                attrs[C.BLOCKED] = True
                span.set_attributes(attrs)
                span.end()
                raise RepeatedProposal(knob, value, first)
        it, repeat = tracker.propose(knob, value)
        attrs[C.ITERATION] = it
        attrs[C.REPEAT] = repeat
        span.set_attributes(attrs)
        span.end()
        w = self._writer
        if w is not None:
            w.dirty = True

    def _warn_no_primary(self, others: Mapping[str, float]) -> None:
        """Warn, once per trajectory, that an observe mapping had numeric entries but no primary metric."""
        self._warned_no_primary = True
        names = ", ".join(sorted(others)[:5]) + (" …" if len(others) > 5 else "")
        wanted = f"no entry {self.metric_name!r} (metric_name)" if self.metric_name else "no metric_name"
        _errors.logger.warning(
            "trajdyn: observe returned a mapping with %s, no 'metric' entry and more than one entry (%s), "
            "so trajectory %s (task %s) records no primary metric; its numbers are recorded as trajdyn.metrics.*. "
            "Pass trajectory(metric_name=...), return {'metric': x} or a number. Warned once per trajectory.",
            wanted,
            scrub_secrets(names),
            self.trajectory_id,
            self.task_id,
        )

    def _end_observe(self, span: Span, attrs: dict[str, Any], metric: float | None) -> None:
        span.set_attributes(attrs)
        span.end()
        self._tracker.observe(metric)
        w = self._writer
        if w is not None:
            w.dirty = True

    def _end_decide(
        self, span: Span, attrs: dict[str, Any], decision: str | None, content: dict[str, Any] | None
    ) -> None:
        """Close a decide step: the decision, then the live coverage numbers and ``content`` (captured content)."""
        tracker = self._tracker
        tracker.decide(decision)
        attrs.update(tracker.attributes())
        if decision is not None:
            attrs[C.DECISION] = decision
        if content:
            attrs.update(content)
        span.set_attributes(attrs)
        span.end()
        w = self._writer
        if w is not None:
            w.dirty = True
        gauges = self._gauges
        if gauges is not None:
            for key, value in attrs.items():
                g = gauges.get(key)
                if g is not None:
                    g.set(value, attributes=self._gauge_attrs)

    def _end_unread(self, span: Span, attrs: dict[str, Any], phase: str) -> None:
        """Close a step whose result could not be read: a propose still opens an iteration (its pair unknown)."""
        if phase == C.PHASE_PROPOSE:
            attrs[C.ITERATION], _ = self._tracker.propose(None, None)
            span.set_attributes(attrs)
            span.end()
            w = self._writer
            if w is not None:
                w.dirty = True
            return
        span.set_attributes(attrs)
        span.end()

    def _unrecorded_step(self) -> None:
        """Count a step call that cannot be recorded: this trajectory was inherited by a forked child."""
        _summary.steps_unrecorded(
            1,
            f"process {os.getpid()} was forked inside trajectory {self.trajectory_id} (task {self.task_id!r}), "
            "which belongs to the parent process: the child's steps in it are not recorded (counted); "
            "start a trajectory in the child to record them (docs/sdk.md, Processes)",
        )

    def content(self, key: str, text: str) -> dict[str, Any]:
        """Captured-content attributes for ``key`` (redacted, scrubbed, truncated)."""
        return content_attributes(key, text, redact=self.redact, max_length=self.max_content_length)

    @property
    def tracker(self) -> CoverageTracker:
        """The live coverage tracker."""
        return self._tracker

    @property
    def span(self) -> Span:
        """The root span (``INVALID_SPAN`` before the trajectory is entered)."""
        return self._span

    # ------------------------------------------------------------------ public API
    @property
    def coverage(self) -> dict[str, Any]:
        """A snapshot of the live coverage, with the analyzer report's exploration keys."""
        return self._tracker.snapshot()

    @property
    def iteration(self) -> int:
        """The current iteration number (0 before the first propose)."""
        return self._tracker.iterations

    def sidecar_entry(self) -> dict[str, Any]:
        """This trajectory's object in the sidecar file."""
        return {
            "trajectory_id": self.trajectory_id,
            "task_id": self.task_id,
            "run_id": self.run_id,
            "model": self.model,
            "state": STATE_FINISHED if self.state == STATE_FINISHED else STATE_RUNNING,
            **self._tracker.snapshot(),
        }

    def is_repeat(self, knob: str, value: object = None) -> bool:
        """Whether (knob, value) — value canonicalised — was already proposed at an iteration of this trajectory."""
        k, v, _ = scrub_proposal(knob, canonical_value(value), None)  # the tracker holds scrubbed pairs
        return self._tracker.first_iteration(k, v) is not None

    def _event_span(self) -> Span:
        """The span that carries an event: the current span when it is recorded with this trajectory's spans, else
        the root.

        The current span may be a trajdyn step span, the root, or a span of the user's own (a tool call, an LLM
        call). A user span is used when it is recording and goes to the same provider as the root (same SDK resource
        object; without an SDK, the same trace); it then gets ``trajdyn.trajectory.id`` so that the analyzer assigns
        it (and its events) to this trajectory even when spans between it and the root are missing from the file.
        A span of another provider (exported elsewhere) or a non-recording one leaves the event on the root.
        """
        if self._inherited:
            self._unrecorded_step()
            return trace.INVALID_SPAN
        span = trace.get_current_span()
        root = self._span
        if span is root or not span.is_recording():
            return root
        own_resource, root_resource = getattr(span, "resource", None), getattr(root, "resource", None)
        if own_resource is not None or root_resource is not None:
            same = own_resource is root_resource
        else:
            same = span.get_span_context().trace_id == root.get_span_context().trace_id
        if not same:
            return root
        span.set_attribute(C.TRAJECTORY_ID, self.trajectory_id)
        return span

    def set_reward(self, reward: float) -> None:
        """Set ``trajdyn.reward`` on the root span."""
        self._span.set_attribute(C.REWARD, float(reward))

    def set_degenerate(self, degenerate: bool = True) -> None:
        """Set ``trajdyn.sweep.degenerate`` on the root span: this sweep run's scenario is degenerate (counted by the
        ``sweeps`` section, never scored; docs/sdk.md#sweep-runs)."""
        self._span.set_attribute(C.SWEEP_DEGENERATE, bool(degenerate))

    def set_learning_key(self, learning_key: str) -> None:
        """Set ``trajdyn.learning_key`` on the root span (when it is known only after the trajectory started)."""
        self._span.set_attribute(C.LEARNING_KEY, scrub_value(str(learning_key)))

    def set_execution_mode(self, execution_mode: str) -> None:
        """Set ``trajdyn.execution_mode`` on the root span (e.g. after an adaptive probe chose the mode)."""
        self._span.set_attribute(C.EXECUTION_MODE, scrub_value(str(execution_mode)))

    def set_outcome(self, outcome: str) -> None:
        """Set ``trajdyn.outcome`` (success | failure | error | …) on the root span."""
        self._outcome_set = True
        self._span.set_attribute(C.OUTCOME, scrub_value(str(outcome)))

    def add_usage(self, input_tokens: int = 0, output_tokens: int = 0) -> None:
        """Add token usage; the totals are set on the root span when the trajectory ends."""
        self._has_usage = True
        self._input_tokens += int(input_tokens)
        self._output_tokens += int(output_tokens)

    def cue_hit(self, entry_id: str) -> None:
        """Record that playbook entry ``entry_id``'s cue matched (event on the current span, see :meth:`_event_span`)."""
        self._event_span().add_event(C.EVENT_CUE_HIT, {C.PLAYBOOK_ENTRY_ID: scrub_value(str(entry_id))})

    def adoption(self, entry_id: str, *, success: bool) -> None:
        """Record that playbook entry ``entry_id`` was applied, and whether it worked."""
        self._event_span().add_event(
            C.EVENT_ADOPTION, {C.PLAYBOOK_ENTRY_ID: scrub_value(str(entry_id)), C.PLAYBOOK_SUCCESS: bool(success)}
        )

    def retry(self, reason: str) -> None:
        """Record a retry (event ``trajdyn.retry`` with its reason)."""
        self._event_span().add_event(C.EVENT_RETRY, {C.REASON: scrub_secrets(str(reason))})

    def failure(self, reason: str) -> None:
        """Record a failure (event ``trajdyn.failure`` with its reason)."""
        self._event_span().add_event(C.EVENT_FAILURE, {C.REASON: scrub_secrets(str(reason))})


trajectory = Trajectory
"""``trajdyn.trajectory(task_id, ...)``: the :class:`Trajectory` constructor, used as ``with``, ``async with`` or a
decorator."""


# ---------------------------------------------------------------------- module-level helpers
def set_reward(reward: float) -> None:
    """:meth:`Trajectory.set_reward` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.set_reward(reward)


def set_learning_key(learning_key: str) -> None:
    """:meth:`Trajectory.set_learning_key` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.set_learning_key(learning_key)


def set_execution_mode(execution_mode: str) -> None:
    """:meth:`Trajectory.set_execution_mode` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.set_execution_mode(execution_mode)


def set_outcome(outcome: str) -> None:
    """:meth:`Trajectory.set_outcome` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.set_outcome(outcome)


def add_usage(input_tokens: int = 0, output_tokens: int = 0) -> None:
    """:meth:`Trajectory.add_usage` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.add_usage(input_tokens, output_tokens)


def cue_hit(entry_id: str) -> None:
    """:meth:`Trajectory.cue_hit` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.cue_hit(entry_id)


def adoption(entry_id: str, *, success: bool) -> None:
    """:meth:`Trajectory.adoption` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.adoption(entry_id, success=success)


def retry(reason: str) -> None:
    """:meth:`Trajectory.retry` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.retry(reason)


def failure(reason: str) -> None:
    """:meth:`Trajectory.failure` on the current trajectory (no-op outside one)."""
    t = _current.get()
    if t is not None:
        t.failure(reason)


def _end_open(reason: str) -> None:
    """End every open trajectory (shutdown, exit, SIGTERM, reset): status ERROR and a failure event with ``reason``."""
    for traj in open_trajectories():
        try:
            traj.abort(reason)
        except Exception as exc:
            _errors.report_internal_error("shutdown", exc)


def _forget_in_child() -> None:
    """In a forked child: the parent's trajectories become inert (their decorated calls are transparent and counted
    as unrecorded steps; their events and attributes go nowhere: the parent ends and exports them)."""
    global _open_lock
    _open_lock = threading.Lock()
    for traj in _open.values():
        traj._inherited = True
        traj._span = trace.INVALID_SPAN
        traj._writer = None
    _open.clear()


_lifecycle.register(_lifecycle.Hooks(end=_end_open, after_fork_in_child=_forget_in_child))
