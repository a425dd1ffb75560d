"""200 concurrent trajectories (threads and asyncio tasks): correct parenting, no shared counters."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from trajdyn import conventions as C

ITERATIONS = 5


@trajdyn.propose
def propose(i: int, tid: int) -> tuple[str, int]:
    return (f"k{tid % 3}", i % 3)


@trajdyn.observe
def evaluate(i: int) -> float:
    return float(i)


@trajdyn.decide
def decide(i: int) -> str:
    return "keep" if i % 2 == 0 else "revert"


@trajdyn.propose
async def apropose(i: int, tid: int) -> tuple[str, int]:
    await asyncio.sleep(0)
    return (f"k{tid % 3}", i % 3)


@trajdyn.observe
async def aevaluate(i: int) -> float:
    await asyncio.sleep(0)
    return float(i)


def _check(spans: InMemorySpanExporter, n: int, results: dict[str, dict[str, Any]]) -> None:
    finished = spans.get_finished_spans()
    roots = {s.context.span_id: s for s in finished if s.name == C.OPERATION_INVOKE_AGENT}
    assert len(roots) == n
    by_traj: dict[str, list[Any]] = defaultdict(list)
    for s in finished:
        if s.name in C.PHASES:
            assert s.parent is not None
            root = roots[s.parent.span_id]
            assert s.context.trace_id == root.context.trace_id
            assert s.attributes is not None and root.attributes is not None
            assert s.attributes[C.TRAJECTORY_ID] == root.attributes[C.TRAJECTORY_ID]
            by_traj[str(s.attributes[C.TRAJECTORY_ID])].append(s)
    assert len(by_traj) == n
    for tid, steps in by_traj.items():
        iters = sorted(int(s.attributes[C.ITERATION]) for s in steps if s.name == C.PHASE_PROPOSE)
        assert iters == list(range(1, ITERATIONS + 1))
        snap = results[tid]
        assert snap["iterations"] == ITERATIONS
        assert snap["repeat_count"] == 2  # values 0,1,2,0,1 of one knob
        assert snap["keep_count"] == 3


def test_200_trajectories_in_threads(spans: InMemorySpanExporter) -> None:
    """200 threads, one trajectory each, interleaving freely."""
    results: dict[str, dict[str, Any]] = {}
    barrier = threading.Barrier(50)

    def worker(tid: int) -> None:
        with trajdyn.trajectory(task_id=f"task-{tid}") as traj:
            if tid < 50:
                barrier.wait()
            for i in range(ITERATIONS):
                propose(i, tid)
                evaluate(i)
                decide(i)
        results[traj.trajectory_id] = traj.coverage

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _check(spans, 200, results)


def test_200_trajectories_in_asyncio_tasks(spans: InMemorySpanExporter) -> None:
    """200 asyncio tasks, one trajectory each, switching at every await."""
    results: dict[str, dict[str, Any]] = {}

    async def one(tid: int) -> None:
        async with trajdyn.trajectory(task_id=f"task-{tid}") as traj:
            for i in range(ITERATIONS):
                await apropose(i, tid)
                await aevaluate(i)
                decide(i)
        results[traj.trajectory_id] = traj.coverage

    async def main() -> None:
        await asyncio.gather(*(one(t) for t in range(200)))

    asyncio.run(main())
    _check(spans, 200, results)
