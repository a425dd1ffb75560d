"""``@trajdyn.propose`` / ``@trajdyn.observe`` / ``@trajdyn.decide``: step spans around the user's functions.

Each decorator works bare (``@trajdyn.propose``) or with arguments (``@trajdyn.propose(name=..., extract=...,
content=...)``) on sync, async, generator and async-generator functions and on methods. Inside a trajectory every
call is a step span named after the phase (or ``name``), a descendant of the trajectory's root span, carrying
``trajdyn.phase``, ``trajdyn.iteration`` and ``trajdyn.trajectory.id``; the return value is read by the extractor
(see :mod:`trajdyn.sdk._extract`) once the function returned (a generator: once it is exhausted; its return value,
else its last yielded item; a generator closed early ends its span without extraction).

**Outside a trajectory the decorators are transparent**: the function is just called, no span is made. In a forked
child, inside a trajectory inherited from the parent, they are transparent too, and each such call is counted as an
unrecorded step (said once on stderr; see :mod:`trajdyn.sdk._lifecycle`).

Sync and async step spans are made current while the function runs (so spans the function opens nest under them);
generator step spans are not made current, because a generator's frames can be resumed from any context. A step span
gets all its attributes in one call when it ends (start attributes included): measured, that is a third cheaper per
span than setting them at start and again at the end, and trajdyn's spans are sampled with their parent anyway.

The user's exceptions propagate unchanged (span status ERROR plus an ``exception`` event). A propose inside a
``trajectory(block_repeats=True)`` whose pair was already proposed ends its span with ``trajdyn.blocked = true`` and
raises :class:`~trajdyn.exceptions.RepeatedProposal` after the function returned.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Final, ParamSpec, TypeVar, cast, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from trajdyn import conventions as C
from trajdyn.exceptions import RepeatedProposal
from trajdyn.redact import scrub_proposal, scrub_secrets
from trajdyn.sdk import _errors
from trajdyn.sdk._exception import record_error
from trajdyn.sdk._extract import (
    DecisionExtractor,
    MetricsExtractor,
    ProposalExtractor,
    read_decision_fast,
    read_metric_fields,
    read_proposal_fields,
)
from trajdyn.sdk._trajectory import Trajectory, active_trajectory

__all__ = ["ContentExtractor", "decide", "observe", "propose"]

P = ParamSpec("P")
R = TypeVar("R")

ContentExtractor = Callable[[Any], "str | None"]
"""Maps a step's return value to the text recorded as ``trajdyn.content`` (with content capture on)."""

_Problem = tuple[str, Exception]
"""An internal error to report: its kind (``extract``, ``content``, ``step``) and the exception."""
_Closer = Callable[[Trajectory, Span, Any, dict[str, Any]], "_Problem | None"]
"""Reads a step's result into its attributes and closes its span through the trajectory's step API, setting every
attribute (the step's start attributes included) in ONE call, which costs a third less than setting them at start
and again at end. Returns the internal error to report (an unreadable result, content that could not be captured)
instead of raising it."""
_set_span_in_context = trace.set_span_in_context
_attach = otel_context.attach
_detach = otel_context.detach


def _close(closer: _Closer, traj: Trajectory, span: Span, result: Any, attrs: dict[str, Any]) -> None:
    """The internal-error boundary of a step's span-closing path: trajdyn's own failures (an extractor that raises,
    content that cannot be captured, a broken processor) are reported once the span is closed, logged once per kind,
    counted and swallowed (re-raised in strict mode); a refused repeat (:class:`RepeatedProposal`) passes."""
    try:
        problem = closer(traj, span, result, attrs)
    except RepeatedProposal:
        raise
    except Exception as exc:
        problem = ("step", exc)
    if problem is not None:
        _errors.report_internal_error(*problem)


def _close_failed(span: Span, exc: BaseException, attrs: dict[str, Any]) -> None:
    """The internal-error boundary of a step whose function raised ``exc`` (status ERROR and the scrubbed
    ``exception`` event; a generator closed early just ends): a failure to record it never replaces ``exc``
    outside strict mode."""
    try:
        span.set_attributes(attrs)
        if not isinstance(exc, GeneratorExit):
            record_error(span, exc)
        span.end()
    except Exception as err:
        _errors.report_internal_error("step", err)


def _content(traj: Trajectory, result: Any, content: ContentExtractor | None, into: dict[str, Any]) -> _Problem | None:
    """Add the captured content of ``result`` to ``into``; the error when it cannot be captured."""
    try:
        text = content(result) if content is not None else (result if isinstance(result, str) else repr(result))
        if text is not None:
            into.update(traj.content(C.CONTENT, text))
    except Exception as exc:
        return ("content", exc)
    return None


def _propose_closer(extract: ProposalExtractor | None, content: ContentExtractor | None) -> _Closer:
    def close(traj: Trajectory, span: Span, result: Any, attrs: dict[str, Any]) -> _Problem | None:
        try:
            knob, value, action = read_proposal_fields(extract(result) if extract is not None else result)
        except Exception as exc:  # the function ran, so it is an iteration; its pair is unknown
            traj._end_unread(span, attrs, C.PHASE_PROPOSE)
            return ("extract", exc)
        if knob is not None or action is not None:  # secrets never reach a span, the tracker or the sidecar
            knob, value, action = scrub_proposal(knob, value, action)
        if knob is not None:
            pair_knob: str | None = knob
            attrs[C.KNOB] = knob
            if value is not None:
                attrs[C.VALUE] = value
            attrs[C.ACTION] = action
        else:
            pair_knob = action
            if action is not None:
                attrs[C.ACTION] = action
        problem = _content(traj, result, content, attrs) if traj.capture_content else None
        try:
            traj._end_propose(span, attrs, pair_knob, value)
        except RepeatedProposal:
            if problem is not None:
                _errors.report_internal_error(*problem)
            raise
        return problem

    return close


def _observe_closer(extract: MetricsExtractor | None, content: ContentExtractor | None) -> _Closer:
    def close(traj: Trajectory, span: Span, result: Any, attrs: dict[str, Any]) -> _Problem | None:
        try:
            metric, others = read_metric_fields(extract(result) if extract is not None else result, traj.metric_name)
        except Exception as exc:
            traj._end_unread(span, attrs, C.PHASE_OBSERVE)
            return ("extract", exc)
        if others is not None:
            for k, v in others.items():
                attrs[C.METRICS_PREFIX + k] = v
        if metric is not None:
            attrs[C.METRIC] = metric
        elif others is not None and not traj._warned_no_primary:  # a mapping with numbers but no primary entry
            traj._warn_no_primary(others)
        problem = _content(traj, result, content, attrs) if traj.capture_content else None
        traj._end_observe(span, attrs, metric)
        return problem

    return close


EVIDENCE_HOOK: Final = "__trajdyn_evidence__"
"""A ``decide`` result whose type defines this method (``trajdyn.RatchetDecision``) has the ``trajdyn.ratchet.*``
attributes it returns recorded on the decide span; other keys are ignored. Looked up on the type, so that a mock or
an object with ``__getattr__`` never answers it; the SDK thus needs no import of :mod:`trajdyn.sweeps`."""


def _decide_closer(extract: DecisionExtractor | None, content: ContentExtractor | None) -> _Closer:
    def close(traj: Trajectory, span: Span, result: Any, attrs: dict[str, Any]) -> _Problem | None:
        try:
            value = extract(result) if extract is not None else result
            decision = read_decision_fast(value)
            evidence = getattr(type(value), EVIDENCE_HOOK, None)
            if evidence is not None:  # a trajdyn.RatchetDecision: its evidence goes on the span (trajdyn.ratchet.*)
                attrs.update((k, v) for k, v in evidence(value).items() if k.startswith(C.RATCHET_PREFIX))
        except Exception as exc:
            traj._end_unread(span, attrs, C.PHASE_DECIDE)
            return ("extract", exc)
        captured: dict[str, Any] | None = None
        problem = None
        if traj.capture_content:
            captured = {}
            problem = _content(traj, result, content, captured)
        traj._end_decide(span, attrs, decision, captured)
        return problem

    return close


def _wrap(fn: Callable[..., Any], phase: str, name: str | None, closer: _Closer) -> Callable[..., Any]:
    span_name = scrub_secrets(name) if name else phase

    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            traj = active_trajectory()
            agen = fn(*args, **kwargs)
            if traj is None or traj._inherited:
                if traj is not None:
                    traj._unrecorded_step()
                async for item in agen:
                    yield item
                return
            span, attrs = traj._begin_step(phase, span_name)
            last: Any = None
            try:
                item = await agen.__anext__()
                while True:
                    last = item
                    try:
                        sent = yield item
                    except GeneratorExit:
                        await agen.aclose()
                        raise
                    except BaseException as exc:
                        item = await agen.athrow(exc)
                    else:
                        item = await agen.asend(sent)
            except StopAsyncIteration:
                pass
            except BaseException as exc:
                _close_failed(span, exc, attrs)
                raise
            _close(closer, traj, span, last, attrs)

        return agen_wrapper

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            traj = active_trajectory()
            gen = fn(*args, **kwargs)
            if traj is None or traj._inherited:
                if traj is not None:
                    traj._unrecorded_step()
                return (yield from gen)
            span, attrs = traj._begin_step(phase, span_name)
            last: Any = None
            try:
                item = next(gen)
                while True:
                    last = item
                    try:
                        sent = yield item
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:
                        item = gen.throw(exc)
                    else:
                        item = gen.send(sent)
            except StopIteration as stop:
                result = stop.value if stop.value is not None else last
            except BaseException as exc:
                _close_failed(span, exc, attrs)
                raise
            _close(closer, traj, span, result, attrs)
            return result

        return gen_wrapper

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            traj = active_trajectory()
            if traj is None or traj._inherited:
                if traj is not None:
                    traj._unrecorded_step()
                return await fn(*args, **kwargs)
            span, attrs = traj._begin_step(phase, span_name)
            token = _attach(_set_span_in_context(span))
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                _detach(token)
                _close_failed(span, exc, attrs)
                raise
            _detach(token)
            _close(closer, traj, span, result, attrs)
            return result

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        traj = active_trajectory()
        if traj is None or traj._inherited:
            if traj is not None:
                traj._unrecorded_step()
            return fn(*args, **kwargs)
        span, attrs = traj._begin_step(phase, span_name)  # every attribute is set once, when the span closes
        token = _attach(_set_span_in_context(span))
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            _detach(token)
            _close_failed(span, exc, attrs)
            raise
        _detach(token)
        _close(closer, traj, span, result, attrs)
        return result

    return wrapper


def _decorator(
    phase: str,
    make_closer: Callable[[Any, ContentExtractor | None], _Closer],
    fn: Callable[P, R] | None,
    name: str | None,
    extract: Any,
    content: ContentExtractor | None,
) -> Any:
    if fn is not None:
        if not callable(fn):
            raise TypeError(f"@trajdyn.{phase} decorates a function, got {fn!r}")
        return _wrap(fn, phase, name, make_closer(extract, content))

    def deco(f: Callable[P, R]) -> Callable[P, R]:
        return cast(Callable[P, R], _wrap(f, phase, name, make_closer(extract, content)))

    return deco


@overload
def propose(fn: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def propose(
    *, name: str | None = None, extract: ProposalExtractor | None = None, content: ContentExtractor | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def propose(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    extract: ProposalExtractor | None = None,
    content: ContentExtractor | None = None,
) -> Any:
    """Decorate the function that proposes the next change; each call opens the next iteration.

    It returns a ``{"knob", "value"}`` mapping, a ``(knob, value)`` tuple, an object with ``.knob``/``.value``, or a
    ``str`` action (a tool call); ``extract`` maps another return value to one of these.
    """
    return _decorator(C.PHASE_PROPOSE, _propose_closer, fn, name, extract, content)


@overload
def observe(fn: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def observe(
    *, name: str | None = None, extract: MetricsExtractor | None = None, content: ContentExtractor | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def observe(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    extract: MetricsExtractor | None = None,
    content: ContentExtractor | None = None,
) -> Any:
    """Decorate the function that evaluates the current iteration; it returns a number or a mapping of metrics."""
    return _decorator(C.PHASE_OBSERVE, _observe_closer, fn, name, extract, content)


@overload
def decide(fn: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def decide(
    *, name: str | None = None, extract: DecisionExtractor | None = None, content: ContentExtractor | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def decide(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    extract: DecisionExtractor | None = None,
    content: ContentExtractor | None = None,
) -> Any:
    """Decorate the function that keeps or reverts the current iteration (``"keep"``/``"revert"``/bool).

    Its span carries the decision and the live ``trajdyn.coverage.*`` numbers; when the function returns a
    :class:`trajdyn.RatchetDecision` (``return ratchet.decide(...)``), also the Ratchet's evidence
    (``trajdyn.ratchet.*``: the paired bound, η, the query counts).
    """
    return _decorator(C.PHASE_DECIDE, _decide_closer, fn, name, extract, content)
