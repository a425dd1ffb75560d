"""trajectories / steps / events on spans written by the real SDK (incl. nested steps and a crashed run)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.analyzer.io.test_sdk_dumps import RUN, write_agent_run
from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import events, read_spans, steps, trajectories


def test_rooted_trajectory_row(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN, blocked_before=2)
    tr = trajectories(read_spans(path))
    assert tr.height == 1
    row = tr.row(0, named=True)
    assert row[K.TRAJECTORY_ID] == "traj-1" and row[K.HAS_ROOT] is True
    assert row[K.ROOT_SPAN_ID] == f"{1:016x}"
    assert (row[K.TASK_ID], row[K.MODEL], row[K.AGENT]) == ("task-1", "gpt-test", "tuner")
    assert row[K.KNOB_MENU] == ["lr", "depth", "width"] and row[K.OBJECTIVE] == "minimize"
    assert row[K.BASELINE] == 11.0
    assert (row[K.N_STEPS], row["n_iterations"]) == (10, 3)
    for column in K.TRAJECTORY_COLUMNS:
        assert column in tr.columns


def test_steps_are_ordered_and_normalised(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN, blocked_before=2)
    st = steps(read_spans(path))
    assert st[K.PHASE].to_list() == [
        "propose",
        "observe",
        "decide",
        "propose",
        "propose",
        "observe",
        "decide",
        "propose",
        "observe",
        "decide",
    ]
    assert st[K.ITERATION].to_list() == [1, 1, 1, 2, 2, 2, 2, 3, 3, 3]
    assert st[K.BLOCKED].to_list() == [False, False, False, True] + [False] * 6
    assert st.filter(pl.col(K.PHASE) == "decide")[K.DECISION].to_list() == ["keep", "revert", "keep"]
    assert st.filter(pl.col(K.PHASE) == "observe")[K.METRIC].to_list() == [10.9, 10.95, 10.85]
    assert C.metrics_key("latency_s") in st.columns
    assert set(K.STEP_COLUMNS) <= set(st.columns)


def test_nested_steps_without_trajectory_attribute_find_their_root(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN[:2], trajectory_id=None, nested=True)
    data = read_spans(path)
    st = steps(data)
    root_id = f"{1:016x}"
    assert st.height == 6
    assert st[K.TRAJECTORY_ID].unique().to_list() == [root_id]  # the root span id, two levels up
    assert st[K.PARENT_SPAN_ID].unique().to_list() == [f"{2:016x}"]  # parent is the intermediate "loop" span
    tr = trajectories(data)
    assert tr[K.TRAJECTORY_ID].to_list() == [root_id] and tr[K.N_STEPS].to_list() == [6]


def test_crashed_run_forms_a_rootless_trajectory(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN, trajectory_id="done", task_id="t-ok", first_trace=1)
    write_agent_run(path, RUN[:2], trajectory_id="crashed", task_id="t-crash", first_trace=50, crash=True)
    write_agent_run(path, RUN[:1], trajectory_id=None, first_trace=90, crash=True)
    data = read_spans(path)
    tr = trajectories(data)
    trace_90 = f"{90:032x}"
    # rooted first, then root-less; each by (start, id): the two crashed runs start together, so by id
    assert tr[K.TRAJECTORY_ID].to_list() == ["done", trace_90, "crashed"]
    assert tr[K.HAS_ROOT].to_list() == [True, False, False]
    assert tr[K.ROOT_SPAN_ID].to_list() == [f"{1:016x}", None, None]
    assert tr[K.N_STEPS].to_list() == [9, 3, 6]
    assert tr["n_iterations"].to_list() == [3, 1, 2]
    assert tr[K.TASK_ID].to_list() == ["t-ok", None, None]  # the steps carry no task id
    assert tr[K.OBJECTIVE].to_list() == ["minimize", "maximize", "maximize"]  # default without a root
    assert steps(data).filter(pl.col(K.TRAJECTORY_ID) == "crashed").height == 6


def test_two_rooted_trajectories_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN, trajectory_id="a", first_trace=1)
    write_agent_run(path, RUN[:1], trajectory_id="b", first_trace=2)
    st = steps(read_spans(path))
    assert st.group_by(K.TRAJECTORY_ID).len().sort(K.TRAJECTORY_ID).rows() == [("a", 9), ("b", 3)]


def test_events_frame(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_agent_run(path, RUN, trajectory_id=None, nested=True)
    ev = events(read_spans(path))
    assert ev.columns[:5] == [K.TRAJECTORY_ID, K.TRACE_ID, K.SPAN_ID, K.EVENT_NAME, K.TIME_NS]
    assert ev[K.TRAJECTORY_ID].to_list() == [f"{1:016x}"] * 3
    assert ev[K.ENTRY_ID].to_list() == ["e1"] * 3 and ev[K.SUCCESS].to_list() == [True] * 3
    assert ev[K.REASON].null_count() == 3


def test_empty_input_gives_empty_frames_with_columns(tmp_path: Path) -> None:
    data = read_spans(tmp_path / "missing.jsonl")
    assert trajectories(data).height == 0 and K.TASK_ID in trajectories(data).columns
    assert steps(data).height == 0 and K.DECISION in steps(data).columns
    assert events(data).height == 0
