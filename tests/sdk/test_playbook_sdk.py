"""Playbook usage, retries, failures and session attributes from agents without decorators, read back offline.

Real OpenTelemetry SDK → trajdyn's OTLP/JSON file exporter → the analyzer's frames and report.
"""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import trajdyn
from trajdyn import conventions as C

pl = pytest.importorskip("polars", reason="the analyzer is not importable here")

from trajdyn.analyzer import (  # noqa: E402
    analyze,
    events,
    read_spans,
    trajectories,
)


# --- an agent that knows nothing of trajdyn's decorators: plain functions ---------------------------------------
def lookup_playbook(task: str) -> list[str]:
    trajdyn.cue_hit("check-dashboards")  # a plain call, somewhere inside the trajectory
    return ["check-dashboards"]


def call_tool(entry: str, ok: bool) -> None:
    trajdyn.adoption(entry, success=ok)
    if not ok:
        trajdyn.retry("tool returned 500")
        trajdyn.failure("tool failed twice")


def run_session(task: str, ok: bool, reward: float) -> None:
    with trajdyn.trajectory(task_id=task, learning_key="persona:sre", model="gpt-test"):
        trajdyn.set_execution_mode("paired")  # decided after an adaptive probe, mid-session
        for entry in lookup_playbook(task):
            call_tool(entry, ok)
        trajdyn.add_usage(input_tokens=120, output_tokens=30)
        trajdyn.set_reward(reward)


@pytest.fixture
def spans_file(tmp_path: Path) -> Path:
    return tmp_path / "spans.jsonl"


def _configure(spans_file: Path, provider: TracerProvider | None = None) -> None:
    trajdyn.configure(file=spans_file, tracer_provider=provider, sidecar_interval=3600, announce=False)


def test_plain_function_calls_reach_the_report(spans_file: Path) -> None:
    _configure(spans_file)
    run_session("t1", ok=True, reward=0.9)
    run_session("t1", ok=False, reward=0.4)
    run_session("t2", ok=True, reward=0.8)
    trajdyn.shutdown()

    data = read_spans(str(spans_file))
    traj = trajectories(data).sort("start_ns")
    assert traj["learning_key"].to_list() == ["persona:sre"] * 3
    assert traj["execution_mode"].to_list() == ["paired"] * 3
    assert traj["reward"].to_list() == [0.9, 0.4, 0.8]
    assert traj["input_tokens"].to_list() == [120] * 3 and traj["output_tokens"].to_list() == [30] * 3
    ev = events(data)
    assert ev.filter(pl.col("event") == C.EVENT_RETRY)["reason"].to_list() == ["tool returned 500"]

    block = analyze([str(spans_file)]).to_dict()["playbook"]
    (entry,) = block["entries"]
    assert entry["entry_id"] == "check-dashboards"
    assert (entry["cue_hits"], entry["adoptions"], entry["successful_adoptions"], entry["failed_adoptions"]) == (
        3,
        3,
        2,
        1,
    )
    (key,) = block["learning_keys"]
    assert key["learning_key"] == "persona:sre"
    assert key["retries"]["total"] == 1 and key["failures"]["total"] == 1
    assert key["execution_modes"]["paired"]["sessions"] == 3
    assert key["models"]["gpt-test"]["reward_mean"] == pytest.approx((0.9 + 0.4 + 0.8) / 3)


def test_events_land_on_the_users_own_span_and_are_attributed(spans_file: Path) -> None:
    """Inside a span the user opened with the same provider, the event goes on that span, which is tagged with the
    trajectory id, so the analyzer attributes it even without the spans in between."""
    provider = TracerProvider(shutdown_on_exit=False)
    _configure(spans_file, provider)
    tracer = provider.get_tracer("my-agent")
    with trajdyn.trajectory(task_id="t", learning_key="k") as traj:
        with tracer.start_as_current_span("tool-call") as user_span:
            trajdyn.cue_hit("e1")
            trajdyn.adoption("e1", success=True)
        own_id = user_span.get_span_context().span_id
    trajdyn.shutdown()
    provider.shutdown()

    data = read_spans(str(spans_file))
    ev = events(data)
    assert ev.height == 2
    assert set(ev["span_id"].to_list()) == {f"{own_id:016x}"}
    assert set(ev["trajectory_id"].to_list()) == {traj.trajectory_id}
    spans = data.spans.filter(pl.col("name") == "tool-call")
    assert spans[C.TRAJECTORY_ID].to_list() == [traj.trajectory_id]


def test_a_span_of_another_provider_leaves_the_event_on_the_root(spans_file: Path) -> None:
    """A span exported elsewhere would take the event out of the spans file: the root carries it instead."""
    _configure(spans_file)
    elsewhere = TracerProvider(shutdown_on_exit=False).get_tracer("other-instrumentation")
    with trajdyn.trajectory(task_id="t") as traj, elsewhere.start_as_current_span("llm-call"):
        trajdyn.retry("rate limited")
    trajdyn.shutdown()
    ev = events(read_spans(str(spans_file)))
    assert ev["event"].to_list() == [C.EVENT_RETRY]
    assert ev["span_id"].to_list() == [format(traj.span.get_span_context().span_id, "016x")]


def test_inside_a_decorated_step_the_event_is_on_the_step(spans_file: Path) -> None:
    _configure(spans_file)

    @trajdyn.observe
    def evaluate(x: Any) -> float:
        trajdyn.failure("evaluation crashed once")
        return 1.0

    with trajdyn.trajectory(task_id="t"):
        evaluate(1)
    trajdyn.shutdown()
    data = read_spans(str(spans_file))
    ev = events(data)
    observe = data.spans.filter(pl.col(C.PHASE) == C.PHASE_OBSERVE)
    assert ev["span_id"].to_list() == observe["span_id"].to_list()


def test_worker_threads_record_with_a_copied_context(spans_file: Path) -> None:
    """The current trajectory is a context variable: a thread started with ``copy_context().run`` sees it."""
    _configure(spans_file)
    with trajdyn.trajectory(task_id="t", learning_key="k"):
        ctx = contextvars.copy_context()
        worker = threading.Thread(target=ctx.run, args=(trajdyn.cue_hit, "from-thread"))
        worker.start()
        worker.join()
        bare = threading.Thread(target=trajdyn.cue_hit, args=("lost",))  # no context: a no-op, never an error
        bare.start()
        bare.join()
    trajdyn.shutdown()
    ev = events(read_spans(str(spans_file)))
    assert ev["entry_id"].to_list() == ["from-thread"]


def test_calls_outside_a_trajectory_are_no_ops(spans_file: Path) -> None:
    _configure(spans_file)
    trajdyn.cue_hit("x")
    trajdyn.adoption("x", success=True)
    trajdyn.retry("r")
    trajdyn.failure("f")
    trajdyn.set_learning_key("k")
    trajdyn.set_execution_mode("auto")
    trajdyn.set_reward(1.0)
    trajdyn.shutdown()
    assert not spans_file.exists() or read_spans(str(spans_file)).spans.height == 0


def test_set_learning_key_after_start_overrides_the_constructor(spans_file: Path) -> None:
    _configure(spans_file)
    with trajdyn.trajectory(task_id="t", learning_key="draft", execution_mode="probe") as traj:
        traj.set_learning_key("final")
        traj.set_execution_mode("auto")
    trajdyn.shutdown()
    row = trajectories(read_spans(str(spans_file))).row(0, named=True)
    assert (row["learning_key"], row["execution_mode"]) == ("final", "auto")
