"""The trajectory options live in one frozen spec: the signature of ``trajectory()`` and the spec agree, and a
trajectory used as a decorator starts every call from the same spec."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from trajdyn import conventions as C
from trajdyn.sdk._spec import TrajectorySpec, root_attributes


def test_the_signature_of_trajectory_is_the_spec() -> None:
    """Same names, in the same order, with the same defaults: 22 keyword options after the task id."""
    params = list(inspect.signature(trajdyn.Trajectory).parameters.values())
    fields = dataclasses.fields(TrajectorySpec)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params[1:]] == [f.default for f in fields[1:]]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]) and len(params) == 23


def test_the_spec_is_frozen_and_fresh_trajectories_share_it(spans: InMemorySpanExporter) -> None:
    """fresh() makes a new trajectory from the same options: a new id, the same root attributes otherwise."""
    traj = trajdyn.trajectory("t", model="m", attempt=2, baseline=3, knob_menu=["a", "b"], attributes={"x.y": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        traj._spec.model = "other"  # type: ignore[misc]
    again = traj.fresh()
    assert again._spec is traj._spec and again.trajectory_id != traj.trajectory_id
    with traj:
        pass
    with again:
        pass
    first, second = (dict(s.attributes or {}) for s in spans.get_finished_spans())
    assert first.pop(C.TRAJECTORY_ID) != second.pop(C.TRAJECTORY_ID)
    assert (
        first
        == second
        == {
            C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
            C.TASK_ID: "t",
            C.OBJECTIVE: C.OBJECTIVE_MAXIMIZE,
            C.GEN_AI_REQUEST_MODEL: "m",
            C.ATTEMPT: 2,
            C.BASELINE: 3.0,
            C.KNOB_MENU: ("a", "b"),
            "x.y": 1,
        }
    )


def test_root_attributes_follow_the_field_order_and_scrub_strings() -> None:
    """Root attributes: the fixed head, then the given attribute fields in declaration order (strings scrubbed)."""
    spec = TrajectorySpec(
        "t", baseline=1, split="train", metric_name="loss", agent_name="a", run_id="token=ghp_" + "x" * 36
    )
    attrs = root_attributes(spec, "tid", None)
    assert list(attrs) == [
        C.GEN_AI_OPERATION_NAME,
        C.TRAJECTORY_ID,
        C.TASK_ID,
        C.OBJECTIVE,
        C.GEN_AI_AGENT_NAME,
        C.RUN_ID,
        C.SPLIT,
        C.METRIC_NAME,
        C.BASELINE,
    ]
    assert attrs[C.BASELINE] == 1.0 and isinstance(attrs[C.BASELINE], float)
    assert "ghp_" not in attrs[C.RUN_ID]
