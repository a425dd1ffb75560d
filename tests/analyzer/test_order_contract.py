"""The steps-frame contract (docs/analyzer-api.md) and every report section on interleaved, duplicated, out-of-order
input: planted numbers come out right, and the same as from the tidy file.

Three trajectories with known numbers are written twice: tidy (one trajectory after another, one line), and messy
(spans interleaved round-robin across trajectories, reversed, two spans a line, every third span and one whole line
repeated, some copies upper-case). Before the steps-frame fix, exploration counted every interleaved iteration as
one: 1 iteration instead of 4, 5 and 3 here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.analyzer._dumps import (
    N_ITERATIONS,
    T0,
    contract_spans,
    contract_spec,
    iteration,
    lines_of,
    trajectory_spans,
    upper_case_ids,
    write_lines,
)
from trajdyn import conventions as C
from trajdyn.analyzer import DynamicsOptions, PlaybookOptions, analyze, events, read_spans, steps, trajectories
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.model import WITHIN_TRAJECTORY, order_steps
from trajdyn.analyzer.report import report_to_json
from trajdyn.formats import _otlp_writer as W

OPTIONS = (DynamicsOptions(shuffles=20), PlaybookOptions(n_boot=200, n_perm=200))


def _messy(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_traj: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_traj.setdefault(span["traceId"], []).append(span)
    interleaved: list[dict[str, Any]] = []
    queues = list(by_traj.values())
    while any(queues):
        for q in queues:
            if q:
                interleaved.append(q.pop(0))
    interleaved.reverse()
    dupes = upper_case_ids(interleaved[::3])
    return interleaved[:5] + dupes + interleaved[5:]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    root = tmp_path_factory.mktemp("order")
    spans = contract_spans()
    tidy = write_lines(root / "tidy", lines_of(spans, [len(spans)]))
    lines = lines_of(_messy(spans), [2])
    messy = write_lines(root / "messy", [*lines, lines[3]], files=2)
    return tidy, messy


def _report(paths: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        report_to_json(analyze(paths, generated_at="2026-01-01T00:00:00Z", options=OPTIONS, progress=False))
    )
    doc.pop("inputs")
    return doc


def _key(row: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((v is None, v if v is not None else 0) for v in row)  # ascending, nulls last


def _in_contract_order(frame: pl.DataFrame) -> bool:
    """The contract, checked in plain Python: contiguous trajectories, each in WITHIN_TRAJECTORY order, trajectories
    by (start of their first row, id)."""
    tids = frame[K.TRAJECTORY_ID].to_list()
    runs = [t for i, t in enumerate(tids) if i == 0 or tids[i - 1] != t]
    if len(runs) != len(set(runs)):
        return False
    firsts = []
    for tid in runs:
        rows = frame.filter(pl.col(K.TRAJECTORY_ID) == tid)
        keys = [_key(r) for r in rows.select(c for c in WITHIN_TRAJECTORY if c in frame.columns).rows()]
        if keys != sorted(keys):
            return False
        firsts.append((_key((rows[K.START_NS][0],)), tid))
    return firsts == sorted(firsts)


# ---- the model -----------------------------------------------------------------------------------------------
def test_steps_frame_follows_the_contract_on_messy_input(files: tuple[list[str], list[str]]) -> None:
    _, messy = files
    data = read_spans(messy)
    assert data.errors == []
    assert sum(i.spans for i in data.inputs) > data.span_frame.height  # duplicates were read ...
    st = steps(data)
    assert st.select(K.TRACE_ID, K.SPAN_ID).is_duplicated().sum() == 0  # ... and counted once
    assert st.height == 3 * (4 + 5 + 3)
    assert _in_contract_order(st)
    # each trajectory contiguous; trajectories by the start of their first step (traj-01 starts later), then id
    tids = st[K.TRAJECTORY_ID].to_list()
    assert [t for i, t in enumerate(tids) if i == 0 or tids[i - 1] != t] == ["traj-00", "traj-02", "traj-01"]
    tr = trajectories(data)
    assert dict(zip(tr[K.TRAJECTORY_ID].to_list(), tr["n_iterations"].to_list(), strict=True)) == N_ITERATIONS
    # (start, id): traj-00 and traj-02 start together
    assert tr[K.TRAJECTORY_ID].to_list() == ["traj-00", "traj-02", "traj-01"]
    ev = events(data)
    assert ev[K.EVENT_NAME].to_list() == [C.EVENT_CUE_HIT, C.EVENT_ADOPTION, C.EVENT_CUE_HIT, C.EVENT_RETRY]


def test_model_frames_equal_on_tidy_and_messy_input(files: tuple[list[str], list[str]]) -> None:
    tidy, messy = (read_spans(p) for p in files)
    assert steps(tidy).equals(steps(messy))
    assert trajectories(tidy).equals(trajectories(messy))
    assert events(tidy).equals(events(messy))


def test_order_steps_sorts_by_integer_keys_and_leaves_an_ordered_frame_alone() -> None:
    frame = pl.DataFrame(
        {
            K.TRAJECTORY_ID: ["b", "a", "b", "a", None, "a", "c"],
            K.ITERATION: [1, 2, 1, None, 1, 2, 1],
            K.START_NS: [5, 1, 5, 0, 0, 1, 1],
            K.SPAN_ID: [
                "00000000000000ff",
                "0000000000000002",
                "000000000000000a",
                "0000000000000003",
                None,
                "0000000000000001",
                "0000000000000004",
            ],
            "x": [0, 1, 2, 3, 4, 5, 6],
        }
    )
    expected = [5, 1, 3, 6, 2, 0, 4]
    # a (first row: iteration 2 at 1; two rows tie there, span ids 01 < 02; the null iteration last), then c (its
    # first row also starts at 1: by id), then b (starts at 5; span ids 0a < ff), the row without an id last
    ordered = order_steps(frame)
    assert ordered["x"].to_list() == expected
    assert _in_contract_order(ordered.filter(pl.col(K.TRAJECTORY_ID).is_not_null()))
    assert order_steps(ordered) is ordered  # checked, not sorted again
    assert order_steps(frame.reverse())["x"].to_list() == expected
    # a trajectory split in two runs, or out of start order, is sorted
    assert order_steps(ordered[[0, 1, 2, 4, 5, 3, 6]])["x"].to_list() == expected
    assert order_steps(ordered[[3, 4, 0, 1, 2, 5, 6]])["x"].to_list() == expected


def test_a_loop_that_runs_trajectories_one_after_another_writes_the_steps_order(tmp_path: Path) -> None:
    """Trajectory ids in no sorted order (the SDK's are random), started one after another: no sort needed."""
    ids = W.IdSource("sequential")
    spans = []
    for k, tid in enumerate(("zeta", "alpha", "mid")):
        spec = contract_spec(k, start=T0 + k * 10_000, iterations=[iteration("lr", i, 1.0, "keep") for i in range(3)])
        spans += [s for s in trajectory_spans(spec, ids) if s["name"] != C.OPERATION_INVOKE_AGENT]
        for s in spans[-9:]:
            for a in s["attributes"]:
                if a["key"] == C.TRAJECTORY_ID:
                    a["value"] = {"stringValue": tid}
    st = steps(read_spans(write_lines(tmp_path, lines_of(spans, [512]))))
    assert st[K.TRAJECTORY_ID].unique(maintain_order=True).to_list() == ["zeta", "alpha", "mid"]
    frame = st.drop(K.TRACE_ID)
    assert order_steps(frame) is frame


def test_roots_without_steps_read_from_several_files(tmp_path: Path) -> None:
    """No span carries trajdyn.phase: the model's masks have the frame's length (was a ShapeError on 3 chunks)."""
    ids = W.IdSource("roots-only")
    spans = [s for k in range(5) for s in trajectory_spans(contract_spec(k, iterations=[]), ids)]
    paths = write_lines(tmp_path, lines_of(spans, [1, 2]), files=3)
    data = read_spans(paths)
    assert steps(data).height == 0
    assert trajectories(data)[K.N_STEPS].to_list() == [0] * 5


# ---- duplicate spans: which copy is kept ---------------------------------------------------------------------
def _root(end_ns: int, *, reward: float = 1.0, n_events: int = 0) -> dict[str, Any]:
    return W.span(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id=None,
        name=C.OPERATION_INVOKE_AGENT,
        start_ns=T0,
        end_ns=end_ns,
        attrs={C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT, C.TRAJECTORY_ID: "t", C.REWARD: reward},
        events=[W.event(C.EVENT_RETRY, T0 + k, {C.REASON: f"r{k}"}) for k in range(n_events)],
    )


def _kept(tmp_path: Path, copies: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    path = write_lines(tmp_path, lines_of(copies, [1]))
    data = read_spans(path)
    assert data.span_frame.height == 1
    row = data.spans.row(0, named=True)
    return row, data.events.height


@pytest.mark.parametrize("reverse", [False, True])
def test_an_ended_copy_beats_an_unended_one_in_either_order(tmp_path: Path, reverse: bool) -> None:
    unended = _root(T0, reward=0.0)
    unended["endTimeUnixNano"] = "0"
    copies = [unended, _root(T0 + 50, reward=1.0)]
    row, _ = _kept(tmp_path, copies[::-1] if reverse else copies)
    assert (row[K.END_NS], row[C.REWARD]) == (T0 + 50, 1.0)


@pytest.mark.parametrize("reverse", [False, True])
def test_the_later_end_then_more_events_win(tmp_path: Path, reverse: bool) -> None:
    copies = [_root(T0 + 10, n_events=3), _root(T0 + 20, n_events=1), _root(T0 + 20, n_events=2)]
    row, n_events = _kept(tmp_path, copies[::-1] if reverse else copies)
    assert (row[K.END_NS], n_events) == (T0 + 20, 2)


def test_copies_that_differ_only_in_attributes_give_one_answer_in_any_order(tmp_path: Path) -> None:
    a, b = _root(T0 + 10, reward=0.25), _root(T0 + 10, reward=0.75)
    first, _ = _kept(tmp_path / "ab", [a, b])
    second, _ = _kept(tmp_path / "ba", [b, a])
    assert first[C.REWARD] == second[C.REWARD]
    assert first[C.REWARD] in (0.25, 0.75)


# ---- every section on messy input ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reports(files: tuple[list[str], list[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    tidy, messy = files
    return _report(tidy), _report(messy)


def _entries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["trajectory_id"]: e for e in report["trajectories"]}


def test_report_is_the_same_for_tidy_and_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    tidy, messy = reports
    assert messy["errors"] == [] and tidy["errors"] == []
    assert set(messy) >= {"trajectories", "sensitivity", "playbook", "trends"}
    assert messy == tidy


def test_exploration_numbers_on_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    entries = _entries(reports[1])
    assert {t: e["iterations"] for t, e in entries.items()} == N_ITERATIONS
    a, b, c = (entries[t]["exploration"] for t in ("traj-00", "traj-01", "traj-02"))
    assert (a["iterations"], a["unique_pairs"], a["repeat_count"], a["keep_count"]) == (4, 3, 1, 3)
    assert (a["best_value"], a["best_iteration"], a["keep_iterations"]) == (1.5, 4, [1, 2, 4])
    assert a["knob_counts"] == {"lr": 3, "depth": 1}
    assert (b["iterations"], b["unique_pairs"], b["repeat_count"]) == (5, 2, 3)
    assert (c["iterations"], c["unique_pairs"], c["repeat_count"], c["keep_count"]) == (3, 1, 2, 3)


def test_dynamics_numbers_on_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    entries = _entries(reports[1])
    b = entries["traj-01"]["dynamics"]
    assert (b["turns"], b["distinct_actions"]) == (5, 2)
    assert entries["traj-00"]["dynamics"]["turns"] == 4
    assert (entries["traj-02"]["dynamics"]["turns"], entries["traj-02"]["dynamics"]["distinct_actions"]) == (3, 1)


def test_sensitivity_groups_on_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    groups = {(g["group"], g["model"]): g["trajectories"] for g in reports[1]["sensitivity"]["groups"]}
    assert groups == {("task-1", "model-a"): 2, ("task-2", "model-b"): 1}


def test_playbook_usage_on_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    (entry,) = reports[1]["playbook"]["entries"]
    assert (entry["entry_id"], entry["cue_hits"], entry["adoptions"], entry["successful_adoptions"]) == (
        "entry-a",
        2,
        1,
        1,
    )
    assert entry["sessions_fired"] == 2
    (key,) = reports[1]["playbook"]["learning_keys"]
    assert (key["learning_key"], key["sessions"], key["retries"]["total"]) == ("key-x", 3, 1)


def test_trends_runs_on_messy_input(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    groups = {g["group"]: g for g in reports[1]["trends"]}
    assert [r["run_id"] for r in groups["model-a"]["runs"]] == ["run-1", "run-2"]
    assert [r["score"] for r in groups["model-a"]["runs"]] == [1.0, 0.0]
    assert [r["run_id"] for r in groups["model-b"]["runs"]] == ["run-1"]
