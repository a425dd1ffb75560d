"""Decorator flavours, parenting, iterations, repeats, blocking, errors, and transparency outside a trajectory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import trajdyn
from trajdyn import conventions as C
from trajdyn.exceptions import TrajdynError
from trajdyn.sdk.testing import capture_spans


def _by_name(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def _root(exporter: InMemorySpanExporter) -> ReadableSpan:
    (root,) = [s for s in exporter.get_finished_spans() if s.name.startswith(C.OPERATION_INVOKE_AGENT)]
    return root


@trajdyn.propose
def propose_lr(value: object) -> dict[str, Any]:
    return {"knob": "lr", "value": value}


@trajdyn.observe
def evaluate(x: float) -> float:
    return x


@trajdyn.decide
def decide(keep: bool) -> bool:
    return keep


def test_outside_a_trajectory_decorators_are_transparent(spans: InMemorySpanExporter) -> None:
    """No trajectory: the function runs and returns unchanged, no span is emitted."""
    assert propose_lr(0.1) == {"knob": "lr", "value": 0.1}
    assert evaluate(2.0) == 2.0
    assert spans.get_finished_spans() == ()


def test_steps_are_children_of_the_root_with_iterations(spans: InMemorySpanExporter) -> None:
    """Each propose opens the next iteration; observe and decide carry it; all are children of the root."""
    with trajdyn.trajectory(task_id="t1", agent_name="agent", model="m", run_id="r") as traj:
        for i in range(3):
            propose_lr(i)
            evaluate(float(i))
            decide(True)
    root = _root(spans)
    assert root.name == "invoke_agent agent"
    assert root.attributes is not None
    assert root.attributes[C.TASK_ID] == "t1"
    assert root.attributes[C.TRAJECTORY_ID] == traj.trajectory_id
    steps = [s for s in spans.get_finished_spans() if s is not root]
    assert [s.name for s in steps] == ["propose", "observe", "decide"] * 3
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in steps)
    assert [s.attributes[C.ITERATION] for s in steps] == [1, 1, 1, 2, 2, 2, 3, 3, 3]  # type: ignore[index]
    assert all(s.attributes[C.TRAJECTORY_ID] == traj.trajectory_id for s in steps)  # type: ignore[index]


def test_propose_attributes_and_repeat_flag(spans: InMemorySpanExporter) -> None:
    """A proposal records knob, canonical value, action and whether the pair was seen before."""
    with trajdyn.trajectory(task_id="t"):
        propose_lr(768.0)
        propose_lr("768")
    first, second = _by_name(spans, "propose")
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes[C.VALUE] == "768"
    assert first.attributes[C.ACTION] == "lr=768"
    assert first.attributes[C.REPEAT] is False
    assert second.attributes[C.REPEAT] is True


def test_tool_call_proposal_records_action_only(spans: InMemorySpanExporter) -> None:
    """A str proposal is a tool call: action set, no knob; repeats by action."""

    @trajdyn.propose
    def tool() -> str:
        return "web_search"

    with trajdyn.trajectory(task_id="t") as traj:
        tool()
        tool()
    a, b = _by_name(spans, "propose")
    assert a.attributes is not None and b.attributes is not None
    assert C.KNOB not in a.attributes
    assert a.attributes[C.ACTION] == "web_search"
    assert b.attributes[C.REPEAT] is True
    assert traj.coverage["knob_counts"] == {"web_search": 2}


def test_observe_mapping_uses_metric_name(spans: InMemorySpanExporter) -> None:
    """The trajectory's metric_name is the primary metric; other numbers become trajdyn.metrics.<name>."""

    @trajdyn.observe
    def ev() -> dict[str, float]:
        return {"val_bpb": 1.25, "memory_gb": 40.0}

    with trajdyn.trajectory(task_id="t", metric_name="val_bpb"):
        propose_lr(1)
        ev()
    (obs,) = _by_name(spans, "observe")
    assert obs.attributes is not None
    assert obs.attributes[C.METRIC] == 1.25
    assert obs.attributes[C.metrics_key("memory_gb")] == 40.0


def _no_primary_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "trajdyn" and "no primary metric" in r.getMessage()]


def test_observe_mapping_without_primary_warns_once_per_trajectory(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """A mapping with several numbers and no metric_name records no primary metric, says so once per trajectory
    (a warning on the ``trajdyn`` logger, never an exception, even in strict mode), and keeps the numbers."""

    @trajdyn.observe
    def ev(loss: float) -> dict[str, float]:
        return {"loss": loss, "accuracy": 0.5}

    caplog.set_level("WARNING", logger="trajdyn")
    for task in ("a", "b"):
        with trajdyn.trajectory(task_id=task):
            for i in range(3):
                propose_lr(i)
                ev(float(i))
    warnings = _no_primary_warnings(caplog)
    assert len(warnings) == 2  # one per trajectory, not one per step
    assert "accuracy, loss" in warnings[0] and "task a" in warnings[0] and "task b" in warnings[1]
    observes = _by_name(spans, "observe")
    assert len(observes) == 6
    for s in observes:
        assert s.attributes is not None
        assert C.METRIC not in s.attributes
        assert s.attributes[C.metrics_key("accuracy")] == 0.5
    assert trajdyn.sdk.internal_error_count() == 0  # a user's choice, not an internal error


def test_observe_mapping_missing_metric_name_warns(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """A metric_name absent from the mapping is named in the warning; the documented rule's other cases do not warn."""

    @trajdyn.observe
    def ev(out: dict[str, object]) -> dict[str, object]:
        return out

    caplog.set_level("WARNING", logger="trajdyn")
    with trajdyn.trajectory(task_id="t", metric_name="val_bpb"):
        propose_lr(1)
        ev({"val_loss": 1.0, "mem": 2.0})
    (warning,) = _no_primary_warnings(caplog)
    assert "'val_bpb' (metric_name)" in warning
    caplog.clear()
    with trajdyn.trajectory(task_id="quiet"):
        for i, out in enumerate(({"metric": 1.0, "mem": 2.0}, {"loss": 3.0}, {"note": "no numbers"}, {})):
            propose_lr(i)
            ev(out)
    assert _no_primary_warnings(caplog) == []
    metrics = [s.attributes.get(C.METRIC) for s in _by_name(spans, "observe")[1:] if s.attributes is not None]
    assert metrics == [1.0, 3.0, None, None]


def test_decide_carries_decision_and_coverage(spans: InMemorySpanExporter) -> None:
    """Decide spans carry the normalised decision and every live coverage attribute."""
    with trajdyn.trajectory(task_id="t", knob_menu=["lr", "wd"], objective="minimize", baseline=5.0):
        propose_lr(1)
        evaluate(4.0)
        decide(True)
    (dec,) = _by_name(spans, "decide")
    assert dec.attributes is not None
    assert dec.attributes[C.DECISION] == "keep"
    assert set(C.COVERAGE_ATTRIBUTES) <= set(dec.attributes)
    assert dec.attributes[C.COVERAGE_KNOB_COVERAGE] == 0.5
    assert dec.attributes[C.COVERAGE_BEST_VALUE] == 4.0
    assert dec.attributes[C.COVERAGE_SINCE_IMPROVEMENT] == 0


def test_block_repeats_raises_and_records_blocked_span(spans: InMemorySpanExporter) -> None:
    """A repeated proposal raises RepeatedProposal, is recorded blocked, and is not an iteration."""
    with trajdyn.trajectory(task_id="t", block_repeats=True) as traj:
        propose_lr(1)
        with pytest.raises(trajdyn.RepeatedProposal) as info:
            propose_lr(1.0)
        propose_lr(2)
    assert info.value.first_iteration == 1
    assert (info.value.knob, info.value.value) == ("lr", "1")
    _, blocked, p2 = _by_name(spans, "propose")
    assert blocked.attributes is not None and p2.attributes is not None
    assert blocked.attributes[C.BLOCKED] is True
    assert blocked.attributes[C.ITERATION] == 2
    assert p2.attributes[C.ITERATION] == 2
    assert C.BLOCKED not in p2.attributes
    assert traj.coverage["iterations"] == 2
    assert traj.coverage["repeat_count"] == 0


def test_is_repeat_canonicalises(spans: InMemorySpanExporter) -> None:
    """is_repeat compares canonical values (768 == 768.0 == "768")."""
    with trajdyn.trajectory(task_id="t") as traj:
        assert not traj.is_repeat("lr", 768)
        propose_lr(768)
        assert traj.is_repeat("lr", "768")
        assert traj.is_repeat("lr", 768.0)
        assert not traj.is_repeat("lr", 769)


def test_user_exception_propagates_unchanged(spans: InMemorySpanExporter) -> None:
    """The user's exception object reaches the caller; the span is ERROR with an exception event."""
    boom = RuntimeError("boom")

    @trajdyn.observe
    def bad() -> float:
        raise boom

    with pytest.raises(RuntimeError) as info, trajdyn.trajectory(task_id="t"):
        bad()
    assert info.value is boom
    (obs,) = _by_name(spans, "observe")
    assert obs.status.status_code is StatusCode.ERROR
    assert [e.name for e in obs.events] == [C.EVENT_EXCEPTION]
    root = _root(spans)
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes is not None and root.attributes[C.OUTCOME] == C.OUTCOME_ERROR


def test_bad_extractor_is_swallowed_outside_strict_mode() -> None:
    """An extractor that raises is counted, not raised, when strict mode is off; the value is still returned."""
    capture_spans(strict=False)

    def broken(_: object) -> object:
        raise ValueError("bad extractor")

    @trajdyn.observe(extract=broken)
    def ev() -> float:
        return 1.0

    before = trajdyn.internal_error_count()
    with trajdyn.trajectory(task_id="t"):
        assert ev() == 1.0
    assert trajdyn.internal_error_count() == before + 1


def test_bad_extractor_raises_in_strict_mode(spans: InMemorySpanExporter) -> None:
    """Under pytest strict mode is on: trajdyn's own failure is re-raised."""

    @trajdyn.decide(extract=lambda r: 1 / 0)
    def dec() -> str:
        return "keep"

    with pytest.raises(ZeroDivisionError), trajdyn.trajectory(task_id="t"):
        dec()


def test_custom_extractor_and_name(spans: InMemorySpanExporter) -> None:
    """@propose(name=..., extract=...) renames the span and reads a custom return value."""

    @trajdyn.propose(name="llm.propose", extract=lambda r: r["p"])
    def p() -> dict[str, Any]:
        return {"p": ("wd", 0.1)}

    with trajdyn.trajectory(task_id="t"):
        p()
    (span,) = _by_name(spans, "llm.propose")
    assert span.attributes is not None
    assert span.attributes[C.PHASE] == C.PHASE_PROPOSE
    assert span.attributes[C.ACTION] == "wd=0.1"


def test_method_decoration(spans: InMemorySpanExporter) -> None:
    """Decorated methods receive self and are instrumented."""

    class Agent:
        def __init__(self) -> None:
            self.knob = "lr"

        @trajdyn.propose
        def propose(self, v: int) -> tuple[str, int]:
            return (self.knob, v)

    with trajdyn.trajectory(task_id="t"):
        assert Agent().propose(3) == ("lr", 3)
    (span,) = _by_name(spans, "propose")
    assert span.attributes is not None and span.attributes[C.KNOB] == "lr"


def test_async_function_and_async_trajectory(spans: InMemorySpanExporter) -> None:
    """Async functions inside an async-with trajectory are step spans with the right parent."""

    @trajdyn.propose
    async def ap() -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"knob": "a", "value": 1}

    async def main() -> None:
        async with trajdyn.trajectory(task_id="t"):
            await ap()

    asyncio.run(main())
    root = _root(spans)
    (span,) = _by_name(spans, "propose")
    assert span.parent is not None and span.parent.span_id == root.context.span_id
    assert span.attributes is not None and span.attributes[C.ITERATION] == 1


def test_generator_span_ends_when_exhausted(spans: InMemorySpanExporter) -> None:
    """A generator propose ends its span when exhausted and reads its last yielded item."""

    @trajdyn.propose
    def gen() -> Iterator[Any]:
        yield "thinking"
        yield ("lr", 5)

    with trajdyn.trajectory(task_id="t"):
        g = gen()
        assert next(g) == "thinking"
        assert _by_name(spans, "propose") == []
        assert list(g) == [("lr", 5)]
    (span,) = _by_name(spans, "propose")
    assert span.attributes is not None and span.attributes[C.ACTION] == "lr=5"


def test_generator_span_ends_when_closed(spans: InMemorySpanExporter) -> None:
    """Closing a generator early ends its span without an error status."""

    @trajdyn.observe
    def gen() -> Generator[float, None, None]:
        yield 1.0
        yield 2.0

    with trajdyn.trajectory(task_id="t"):
        g = gen()
        next(g)
        g.close()
    (span,) = _by_name(spans, "observe")
    assert span.status.status_code is StatusCode.UNSET


def test_async_generator_span(spans: InMemorySpanExporter) -> None:
    """An async-generator observe ends its span when exhausted; the last item is the metric."""

    @trajdyn.observe
    async def agen() -> AsyncIterator[float]:
        yield 3.0
        yield 2.5

    async def main() -> list[float]:
        async with trajdyn.trajectory(task_id="t"):
            return [x async for x in agen()]

    assert asyncio.run(main()) == [3.0, 2.5]
    (span,) = _by_name(spans, "observe")
    assert span.attributes is not None and span.attributes[C.METRIC] == 2.5


def test_trajectory_as_decorator_gives_fresh_trajectories(spans: InMemorySpanExporter) -> None:
    """A decorated function runs each call inside a new trajectory."""

    @trajdyn.trajectory(task_id="t")
    def run() -> str:
        traj = trajdyn.current_trajectory()
        assert traj is not None
        propose_lr(1)
        return traj.trajectory_id

    a, b = run(), run()
    assert a != b
    props = _by_name(spans, "propose")
    assert [p.attributes[C.ITERATION] for p in props] == [1, 1]  # type: ignore[index]


def test_trajectories_do_not_nest(spans: InMemorySpanExporter) -> None:
    """Entering a trajectory inside another raises a clear error."""
    inner = trajdyn.trajectory(task_id="inner")
    with trajdyn.trajectory(task_id="outer"), pytest.raises(TrajdynError, match="do not nest"):
        inner.__enter__()


def test_outcome_usage_and_events(spans: InMemorySpanExporter) -> None:
    """Reward, outcome, token totals on the root; playbook/retry/failure events on the current span."""

    @trajdyn.observe
    def ev() -> float:
        trajdyn.cue_hit("entry-7")
        return 1.0

    with trajdyn.trajectory(task_id="t") as traj:
        ev()
        traj.adoption("entry-7", success=True)
        traj.retry("timeout")
        traj.failure("oom")
        traj.add_usage(10, 5)
        trajdyn.add_usage(1, 1)
        traj.set_reward(0.5)
        traj.set_outcome(C.OUTCOME_SUCCESS)
    root = _root(spans)
    (obs,) = _by_name(spans, "observe")
    assert [e.name for e in obs.events] == [C.EVENT_CUE_HIT]
    assert [e.name for e in root.events] == [C.EVENT_ADOPTION, C.EVENT_RETRY, C.EVENT_FAILURE]
    assert root.attributes is not None
    assert root.attributes[C.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert root.attributes[C.GEN_AI_USAGE_OUTPUT_TOKENS] == 6
    assert root.attributes[C.REWARD] == 0.5
    assert root.attributes[C.OUTCOME] == C.OUTCOME_SUCCESS


def test_user_spans_nest_under_step_spans(spans: InMemorySpanExporter) -> None:
    """A span the user opens inside a decorated function is a child of the step span."""

    @trajdyn.propose
    def p() -> str:
        cfg = trajdyn.sdk.current_config()
        assert cfg is not None
        with cfg.tracer.start_as_current_span("llm.call"):
            pass
        return "tool"

    with trajdyn.trajectory(task_id="t"):
        p()
    (llm,) = _by_name(spans, "llm.call")
    (prop,) = _by_name(spans, "propose")
    assert llm.parent is not None and llm.parent.span_id == prop.context.span_id


def test_invalid_arguments_raise_configuration_error() -> None:
    """Bad trajectory arguments are ConfigurationError (a ValueError) naming the value."""
    with pytest.raises(trajdyn.ConfigurationError, match="sideways"):
        trajdyn.trajectory(task_id="t", objective="sideways")
    with pytest.raises(ValueError, match="task_id"):
        trajdyn.trajectory(task_id="")


def test_disabled_emits_no_spans_but_tracks_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRAJDYN_DISABLED=1: no span reaches any exporter; the loop and its live coverage still work."""
    monkeypatch.setenv(C.ENV_DISABLED, "1")
    exporter, _ = capture_spans()
    with trajdyn.trajectory(task_id="t") as traj:
        assert propose_lr(1) == {"knob": "lr", "value": 1}
        decide(True)
    assert exporter.get_finished_spans() == ()
    assert traj.coverage["keep_count"] == 1
