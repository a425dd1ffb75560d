"""Each span-closing path has one internal-error boundary: trajdyn's own failures (a span processor that raises, a
broken gauge, content that cannot be captured) are logged once, counted and swallowed; the loop runs on; strict mode
(on under pytest) re-raises them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from trajdyn import conventions as C


class EndsBadly(SpanProcessor):
    """A span processor whose on_end raises for spans with one of the given names."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def on_end(self, span: ReadableSpan) -> None:
        if span.name in self.names or any(span.name.startswith(n) for n in self.names):
            raise RuntimeError(f"processor failed on {span.name}")


def _configure(*failing: str, **kwargs: object) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # before the failing one: spans still recorded
    provider.add_span_processor(EndsBadly(*failing))
    trajdyn.configure(tracer_provider=provider, announce=False, **kwargs)  # type: ignore[arg-type]
    return exporter


@trajdyn.propose
def propose(i: int) -> dict[str, object]:
    return {"knob": "k", "value": i}


@trajdyn.observe
def observe(i: int) -> float:
    return float(i)


@trajdyn.decide
def decide(i: int) -> str:
    return "keep"


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="trajdyn"):
        yield caplog


def test_a_step_span_that_fails_to_close_is_counted_and_the_loop_runs_on(
    warnings: pytest.LogCaptureFixture,
) -> None:
    """A processor raising on every step span: results are returned, coverage advances, one warning, counted."""
    exporter = _configure(C.PHASE_PROPOSE, C.PHASE_OBSERVE, C.PHASE_DECIDE, strict=False)
    with trajdyn.trajectory("t") as traj:
        for i in range(3):
            assert propose(i) == {"knob": "k", "value": i}
            assert observe(i) == float(i)
            assert decide(i) == "keep"
    assert traj.coverage["iterations"] == 3 and traj.coverage["keep_count"] == 3
    assert trajdyn.sdk.internal_error_count("step") == 9
    assert [r.getMessage().count("processor failed") for r in warnings.records] == [1]
    assert len(exporter.get_finished_spans()) == 10  # the spans ended before the failing processor ran


def test_a_root_span_that_fails_to_close_leaves_the_context_clean() -> None:
    """The root's closing path fails: the trajectory still ends, detaches, and the next one can start."""
    exporter = _configure(C.OPERATION_INVOKE_AGENT, strict=False)
    with trajdyn.trajectory("t1"):
        propose(1)
    assert trajdyn.current_trajectory() is None
    with trajdyn.trajectory("t2") as second:  # would raise "trajectories do not nest" with a stale context
        propose(1)
    assert second.state == "finished"
    assert trajdyn.sdk.internal_error_count("trajectory") == 2
    assert len(exporter.get_finished_spans()) == 4


def test_strict_mode_re_raises_after_the_span_is_closed() -> None:
    """Under pytest (strict mode) the failure surfaces, but the span was still ended and the context restored."""
    exporter = _configure(C.PHASE_OBSERVE)
    with pytest.raises(RuntimeError, match="processor failed"), trajdyn.trajectory("t"):
        observe(1)
    assert [s.name for s in exporter.get_finished_spans()] == [C.PHASE_OBSERVE, C.OPERATION_INVOKE_AGENT]
    assert trajdyn.current_trajectory() is None


def test_the_users_exception_survives_a_span_that_fails_to_record_it() -> None:
    """A failing processor on the span of a step that raised: the user's exception propagates, not trajdyn's."""
    _configure(C.PHASE_OBSERVE, strict=False)

    @trajdyn.observe
    def fails() -> float:
        raise KeyError("the user's own")

    with trajdyn.trajectory("t"), pytest.raises(KeyError, match="the user's own"):
        fails()
    assert trajdyn.sdk.internal_error_count("step") == 1


class BrokenGauge:
    def set(self, value: object, attributes: object = None) -> None:
        raise RuntimeError("gauge down")


class BrokenMeter:
    def create_gauge(self, name: str) -> BrokenGauge:
        return BrokenGauge()


def test_a_broken_gauge_is_counted_and_the_decision_recorded() -> None:
    """The coverage gauges are set after the decide span ended: a gauge that raises is an internal error."""

    class Provider(SdkMeterProvider):
        def get_meter(self, *args: object, **kwargs: object) -> BrokenMeter:  # type: ignore[override]
            return BrokenMeter()

    meter_provider: MeterProvider = Provider()
    exporter = _configure(meter_provider=meter_provider, strict=False)
    with trajdyn.trajectory("t"):
        propose(1)
        assert decide(1) == "keep"
    (span,) = [s for s in exporter.get_finished_spans() if s.name == C.PHASE_DECIDE]
    assert span.attributes is not None and span.attributes[C.DECISION] == C.DECISION_KEEP
    assert trajdyn.sdk.internal_error_counts() == {"step": 1}


def test_content_that_cannot_be_captured_on_a_refused_repeat_is_still_counted() -> None:
    """A blocked repeat raises RepeatedProposal; the content error of that same step is not lost."""
    _configure(capture_content=True, strict=False)

    @trajdyn.propose(content=lambda r: 1 / 0)  # type: ignore[arg-type, misc]
    def again() -> dict[str, object]:
        return {"knob": "k", "value": 1}

    with trajdyn.trajectory("t", block_repeats=True):
        again()
        with pytest.raises(trajdyn.RepeatedProposal):
            again()
    assert trajdyn.sdk.internal_error_counts() == {"content": 2}
