"""The live-coverage sidecar: schema, atomic rewrites, rate limiting, shared files."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import trajdyn
from trajdyn import conventions as C
from trajdyn.sdk import sidecar_path_for
from trajdyn.sdk._sidecar import get_sidecar
from trajdyn.sdk.testing import capture_spans


@trajdyn.propose
def propose(i: int) -> tuple[str, int]:
    return ("k", i % 7)


@trajdyn.decide
def decide(i: int) -> bool:
    return i % 5 == 0


def test_default_sidecar_name() -> None:
    """spans.jsonl → spans.coverage.json."""
    assert sidecar_path_for("out/spans.jsonl") == Path("out/spans" + C.SIDECAR_SUFFIX)


def test_schema_and_states(tmp_path: Path) -> None:
    """The file has the schema, one object per trajectory, running while it runs and finished at the end."""
    path = tmp_path / "cov.json"
    capture_spans(sidecar=path, sidecar_interval=0.01)
    with trajdyn.trajectory(task_id="t", run_id="r1", model="m") as traj:
        propose(1)
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        running = json.loads(path.read_text())
    finished = json.loads(path.read_text())
    assert running["schema"] == C.SIDECAR_SCHEMA
    assert running["trajectories"][0]["state"] == "running"
    entry = finished["trajectories"][0]
    assert entry["state"] == "finished"
    assert (entry["trajectory_id"], entry["task_id"], entry["run_id"], entry["model"]) == (
        traj.trajectory_id,
        "t",
        "r1",
        "m",
    )
    assert entry["iterations"] == 1


def test_rate_limited_while_running(tmp_path: Path) -> None:
    """A fast loop does not pay a write per iteration: with a long interval, one write at the end only."""
    path = tmp_path / "cov.json"
    capture_spans(sidecar=path, sidecar_interval=3600)
    with trajdyn.trajectory(task_id="t"):
        for i in range(500):
            propose(i)
            decide(i)
        assert not path.exists()
    writer = get_sidecar(path, 3600)
    assert writer.writes == 1
    assert json.loads(path.read_text())["trajectories"][0]["iterations"] == 500


def test_reader_never_sees_a_torn_file(tmp_path: Path) -> None:
    """A reader polling the file while it is rewritten continuously always parses a complete document."""
    path = tmp_path / "cov.json"
    capture_spans(sidecar=path, sidecar_interval=0)
    stop = threading.Event()
    reads: list[int] = []
    failures: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                text = path.read_text()
            except FileNotFoundError:
                continue
            try:
                doc = json.loads(text)
                reads.append(doc["trajectories"][0]["iterations"])
            except (ValueError, KeyError, IndexError) as exc:
                failures.append(repr(exc))

    t = threading.Thread(target=reader)
    t.start()
    try:
        with trajdyn.trajectory(task_id="t", knob_menu=[f"k{i}" for i in range(200)]):
            for i in range(400):
                propose(i)
                if i % 20 == 0:
                    time.sleep(0.01)
    finally:
        stop.set()
        t.join()
    assert failures == []
    assert len(reads) > 0
    assert reads == sorted(reads)  # numbers only grow: no stale rename over a newer file
    assert not list(tmp_path.glob(".*.tmp"))


def test_trajectories_share_one_sidecar(tmp_path: Path) -> None:
    """Two trajectories with the same sidecar both appear in it."""
    path = tmp_path / "shared.json"
    capture_spans(sidecar_interval=3600)
    for task in ("a", "b"):
        with trajdyn.trajectory(task_id=task, sidecar=path):
            propose(1)
    doc = json.loads(path.read_text())
    assert [t["task_id"] for t in doc["trajectories"]] == ["a", "b"]
    assert all(t["state"] == "finished" for t in doc["trajectories"])


def test_unwritable_sidecar_leaves_the_loop_running(tmp_path: Path) -> None:
    """A sidecar in a directory that cannot be created is counted as an internal error; the loop finishes."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    capture_spans(sidecar=blocker / "sub" / "cov.json", strict=False)
    with trajdyn.trajectory(task_id="t") as traj:
        for i in range(5):
            propose(i)
    assert traj.coverage["iterations"] == 5
    assert trajdyn.sdk.internal_error_count("sidecar") >= 1
