"""Live coverage as OpenTelemetry gauges when a MeterProvider is configured."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import trajdyn
from trajdyn import conventions as C
from trajdyn.sdk.testing import capture_spans


@trajdyn.propose
def propose(i: int) -> tuple[str, int]:
    return ("k", i % 2)


@trajdyn.decide
def decide() -> str:
    return "keep"


def test_gauges_carry_latest_coverage() -> None:
    """Each coverage attribute is a gauge with the trajectory and task ids; the last value wins."""
    reader = InMemoryMetricReader()
    capture_spans(meter_provider=MeterProvider(metric_readers=[reader]))
    with trajdyn.trajectory(task_id="t", trajectory_id="traj-1"):
        for i in range(4):
            propose(i)
            decide()
    data = reader.get_metrics_data()
    assert data is not None
    points = {
        m.name: list(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    (repeat,) = points[C.COVERAGE_REPEAT_COUNT]
    assert repeat.value == 2
    assert dict(repeat.attributes or {}) == {C.TRAJECTORY_ID: "traj-1", C.TASK_ID: "t"}
    (keeps,) = points[C.COVERAGE_KEEP_COUNT]
    assert keeps.value == 4
