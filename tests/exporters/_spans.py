"""Helpers of the exporter tests: a real TracerProvider with deterministic ids and a trajectory-shaped span tree."""

from __future__ import annotations

import itertools

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.util.types import AttributeValue

from trajdyn import conventions as C


class SequentialIds(IdGenerator):
    """Incremental trace and span ids, so that two runs produce the same ids."""

    def __init__(self) -> None:
        self._spans = itertools.count(1)
        self._traces = itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._spans)

    def generate_trace_id(self) -> int:
        return 0xABC0_0000_0000_0000_0000_0000_0000_0000 + next(self._traces)


def make_provider(exporter: SpanExporter) -> TracerProvider:
    """A TracerProvider with sequential ids and a fixed resource exporting through a BatchSpanProcessor."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": "trajdyn-exporter-tests"}), id_generator=SequentialIds()
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def emit_trajectory(provider: TracerProvider, *, task_id: str = "t1", iterations: int = 2) -> None:
    """One trajectory: an ``invoke_agent`` root with propose/observe/decide children per iteration."""
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE, schema_url=C.SCHEMA_URL)
    root_attrs: dict[str, AttributeValue] = {
        C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
        C.GEN_AI_AGENT_NAME: "tester",
        C.TASK_ID: task_id,
        C.TRAJECTORY_ID: f"traj-{task_id}",
        C.KNOB_MENU: ["lr", "depth"],
        C.OBJECTIVE: C.OBJECTIVE_MINIMIZE,
        C.BASELINE: 1.5,
    }
    with tracer.start_as_current_span(C.trajectory_span_name("tester"), attributes=root_attrs):
        for i in range(1, iterations + 1):
            common: dict[str, AttributeValue] = {C.ITERATION: i, C.TRAJECTORY_ID: f"traj-{task_id}"}
            with tracer.start_as_current_span(
                C.PHASE_PROPOSE,
                attributes={**common, C.PHASE: C.PHASE_PROPOSE, C.KNOB: "lr", C.VALUE: str(i), C.REPEAT: False},
            ):
                pass
            with tracer.start_as_current_span(
                C.PHASE_OBSERVE, attributes={**common, C.PHASE: C.PHASE_OBSERVE, C.METRIC: 1.0 / i}
            ):
                pass
            with tracer.start_as_current_span(
                C.PHASE_DECIDE, attributes={**common, C.PHASE: C.PHASE_DECIDE, C.DECISION: C.DECISION_KEEP}
            ):
                pass
