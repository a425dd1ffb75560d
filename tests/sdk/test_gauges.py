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


def test_gauge_attributes_never_carry_a_secret_in_the_task_id() -> None:
    """The task id on the gauges is the scrubbed one, as on the spans and in the sidecar."""
    reader = InMemoryMetricReader()
    capture_spans(meter_provider=MeterProvider(metric_readers=[reader]))
    with trajdyn.trajectory(task_id="deploy DB_PASSWORD=hunter2-prod", trajectory_id="traj-1") as traj:
        propose(0)
        decide()
    data = reader.get_metrics_data()
    assert data is not None
    task_ids = {
        dict(p.attributes or {})[C.TASK_ID]
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
    }
    assert task_ids == {traj.task_id} and "hunter2" not in traj.task_id
