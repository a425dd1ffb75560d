"""Live equals offline: 50 concurrent trajectories (threads, then asyncio tasks), 20 iterations each, through the real
SDK into a real spans file; for every trajectory, the sidecar's and ``traj.coverage``'s numbers equal the analyzer's
``exploration`` numbers on that file.

The SDK's batch span processor writes the trajectories' spans interleaved, in end order, across many lines: the
layout that exploration miscounted before the steps-frame fix (every interleaved iteration counted as one run).

Each evaluation takes a few milliseconds, as a real one does (an unpaced burst of 50 × 60 spans overflows the batch
processor's default queue and drops spans: that fault and its fix are tested with the SDK's fault handling).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import trajdyn

N_TRAJECTORIES = 50
ITERATIONS = 20
MENU = ["lr", "depth", "width", "dropout", "warmup"]
SHARED_MIN = 25
"""Exploration keys the live tracker also reports (all of them but the menu-independent extras)."""


def _plan(index: int) -> list[tuple[str, int, float]]:
    """Trajectory ``index``'s (knob, value, metric) per iteration: repeats, ties and improvements, all different."""
    rng = random.Random(index)
    return [
        (rng.choice(MENU[: 2 + index % 4]), rng.randrange(3), round(10.0 - 0.1 * i + rng.choice([0.0, 0.3, 0.7]), 3))
        for i in range(ITERATIONS)
    ]


@trajdyn.propose
def propose(step: tuple[str, int, float]) -> dict[str, Any]:
    return {"knob": step[0], "value": step[1]}


EVAL_S = 0.02
"""Seconds one evaluation takes."""


@trajdyn.observe
def evaluate(step: tuple[str, int, float]) -> dict[str, float]:
    time.sleep(EVAL_S)
    return {"val_loss": step[2]}


@trajdyn.decide
def decide(keep: bool) -> str:
    return "keep" if keep else "revert"


@trajdyn.propose
async def apropose(step: tuple[str, int, float]) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"knob": step[0], "value": step[1]}


@trajdyn.observe
async def aevaluate(step: tuple[str, int, float]) -> dict[str, float]:
    await asyncio.sleep(EVAL_S)
    return {"val_loss": step[2]}


def _trajectory(index: int) -> trajdyn.Trajectory:
    return trajdyn.trajectory(
        task_id=f"task-{index}",
        run_id="live",
        knob_menu=MENU,
        objective="minimize",
        metric_name="val_loss",
        baseline=10.0 if index % 2 else None,
    )


def _compare(spans_file: Path, live: dict[str, dict[str, Any]]) -> None:
    pytest.importorskip("polars", reason="the analyzer needs the analyze extra")
    from trajdyn.analyzer import DynamicsOptions, analyze

    sidecar = json.loads(spans_file.with_name(spans_file.stem + ".coverage.json").read_text())
    from_sidecar = {e["trajectory_id"]: e for e in sidecar["trajectories"]}
    report = analyze([str(spans_file)], sections=None, options=[DynamicsOptions(shuffles=0)]).to_dict()
    assert report["errors"] == []
    offline = {e["trajectory_id"]: e["exploration"] for e in report["trajectories"]}
    assert set(offline) == set(live) == set(from_sidecar)
    assert len(offline) == N_TRAJECTORIES
    # interleaved in the file: some line holds spans of several trajectories
    lines = [json.loads(line) for line in spans_file.read_text().splitlines()]
    assert any(
        len({s["traceId"] for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]}) > 1
        for doc in lines
    )
    for tid, exploration in offline.items():
        assert exploration["iterations"] == ITERATIONS, tid
        for name, snapshot in (("traj.coverage", live[tid]), ("sidecar", from_sidecar[tid])):
            shared = [k for k in exploration if k in snapshot]
            assert len(shared) >= SHARED_MIN, (name, shared)
            for key in shared:
                expected = exploration[key]
                if isinstance(expected, float):
                    assert snapshot[key] == pytest.approx(expected, rel=1e-12), (name, tid, key)
                else:
                    assert snapshot[key] == expected, (name, tid, key)


def _keep(best: float | None, metric: float) -> tuple[bool, float]:
    better = best is None or metric < best
    return better, metric if better else (best if best is not None else metric)


def test_50_trajectories_in_threads(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    trajdyn.configure(file=spans_file, sidecar_interval=3600, announce=False)
    live: dict[str, dict[str, Any]] = {}
    barrier = threading.Barrier(N_TRAJECTORIES)

    def worker(index: int) -> None:
        best: float | None = None
        with _trajectory(index) as traj:
            barrier.wait()  # every loop runs at once
            for step in _plan(index):
                propose(step)
                evaluate(step)
                keep, best = _keep(best, step[2])
                decide(keep)
        live[traj.trajectory_id] = traj.coverage

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N_TRAJECTORIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trajdyn.shutdown()
    _compare(spans_file, live)


def test_50_trajectories_in_asyncio_tasks(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    trajdyn.configure(file=spans_file, sidecar_interval=3600, announce=False)
    live: dict[str, dict[str, Any]] = {}

    async def one(index: int) -> None:
        best: float | None = None
        async with _trajectory(index) as traj:
            for step in _plan(index):
                await apropose(step)
                await aevaluate(step)
                keep, best = _keep(best, step[2])
                decide(keep)
        live[traj.trajectory_id] = traj.coverage

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(N_TRAJECTORIES)))

    asyncio.run(main())
    trajdyn.shutdown()
    _compare(spans_file, live)
