"""The ``atlas`` importer: Atlas session exports become trajectories with learning keys, retries and playbook events."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="needs the analyze extra")

from trajdyn import conventions as C  # noqa: E402
from trajdyn.analyzer import (  # noqa: E402
    analyze,
    events,
    read_spans,
    steps,
    trajectories,
)
from trajdyn.formats import convert, detect_format, write_jsonl  # noqa: E402
from trajdyn.formats._read import HEAD_BYTES  # noqa: E402
from trajdyn.formats.atlas import task_id_for  # noqa: E402

REWARD_EVAL = "atlas-reward_eval_trajectories.jsonl"


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _frames(src: Path, tmp_path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    result = convert(src, "atlas")
    assert result.errors == []
    out = tmp_path / "spans.jsonl"
    write_jsonl(result.requests, out)
    data = read_spans(str(out))
    assert data.errors == []
    return trajectories(data), steps(data), events(data)


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


# ---------------------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------------------
def test_detects_session_exports_and_nothing_else(external: Path) -> None:
    assert detect_format(external / REWARD_EVAL) == "atlas"  # starts with a '#' comment line
    assert detect_format(external / "atlas-sample_traces.jsonl") == "atlas"
    assert detect_format(external / "atlas-probe_eval_synthetic.jsonl") is None  # probe cases, not sessions
    assert detect_format(external / "atlas-synthetic_runtime_tasks.jsonl") is None  # a task list
    assert detect_format(external / "autoresearch-trajectory.jsonl") == "autoresearch"


def test_reward_eval_sessions_import_with_keys_modes_rewards_and_tokens(external: Path, tmp_path: Path) -> None:
    rows = _rows(external / REWARD_EVAL)
    traj, step_frame, _ = _frames(external / REWARD_EVAL, tmp_path)
    traj = traj.sort("start_ns")
    assert traj.height == len(rows) == 36
    assert traj["learning_key"].to_list() == [r["session_metadata"]["learning_key"] for r in rows]
    assert traj["execution_mode"].to_list() == [r["execution_mode"] for r in rows]
    expected_rewards = [r["session_metadata"].get("reward_summary", {}).get("score") for r in rows]
    assert traj["reward"].to_list() == expected_rewards
    prompt = [sum(s["metadata"].get("usage", {}).get("prompt_tokens", 0) for s in r["steps"]) or None for r in rows]
    assert traj["input_tokens"].to_list() == prompt
    assert traj["task_id"].to_list() == [task_id_for(r["task"]) for r in rows]
    repeats = [r.get("capture_metadata", {}).get("repeat") for r in rows]
    assert traj["attempt"].to_list() == [None if x is None else x + 1 for x in repeats]
    assert step_frame.filter(pl.col("phase") == C.PHASE_PROPOSE).height == sum(len(r["steps"]) for r in rows)


def test_retry_statistics_match_a_direct_count(external: Path, tmp_path: Path) -> None:
    rows = _rows(external / REWARD_EVAL)
    direct = sum(max(int(s["attempts"]) - 1, 0) for r in rows for s in r["steps"])
    sessions_with = sum(1 for r in rows if any(int(s["attempts"]) > 1 for s in r["steps"]))
    _, _, ev = _frames(external / REWARD_EVAL, tmp_path)
    retries = ev.filter(pl.col("event") == C.EVENT_RETRY)
    assert retries.height == direct == 27
    assert retries["trajectory_id"].n_unique() == sessions_with
    assert "Missing change ticket" in retries["reason"].to_list()  # from metadata.attempt_history

    block = analyze([str(external / REWARD_EVAL)]).to_dict()["playbook"]
    assert block["summary"]["retries"] == direct
    assert block["summary"]["sessions_with_retries"] == sessions_with
    by_key = {k["learning_key"]: k for k in block["learning_keys"]}
    expected: Counter[str] = Counter()
    for r in rows:
        expected[r["session_metadata"]["learning_key"]] += sum(int(s["attempts"]) - 1 for s in r["steps"])
    assert {k: v["retries"]["total"] for k, v in by_key.items()} == dict(expected)


def test_learning_key_report_from_real_data(external: Path) -> None:
    rows = _rows(external / REWARD_EVAL)
    report = analyze([str(external / REWARD_EVAL)])
    block = report.to_dict()["playbook"]
    assert _finite(block)
    keys = Counter(r["session_metadata"]["learning_key"] for r in rows)
    assert {k["learning_key"]: k["sessions"] for k in block["learning_keys"]} == dict(keys)
    assert len({k["slug"] for k in block["learning_keys"]}) == len(keys) == 32
    bastion = next(k for k in block["learning_keys"] if k["learning_key"] == "persona:security.bastion")
    assert bastion["reward"]["latest"] == 0.86 and bastion["reward"]["too_little_data"] is True
    assert bastion["execution_modes"] == {
        "paired": {
            "sessions": 1,
            "share": 1.0,
            "reward_n": 1,
            "reward_mean": 0.86,
            "latest_reward": 0.86,
            "last_start": bastion["last_start"],
        }
    }
    modes = Counter(r["execution_mode"] for r in rows)
    got: Counter[str] = Counter()
    for k in block["learning_keys"]:
        for mode, v in k["execution_modes"].items():
            got[mode] += v["sessions"]
    assert got == modes
    assert block["entries"] == []  # the export has no playbook usage
    from trajdyn.analyzer.report import render_markdown

    assert "persona:security.bastion" in render_markdown(report)


def test_sample_traces_take_the_session_reward_from_the_steps(external: Path, tmp_path: Path) -> None:
    traj, _, _ = _frames(external / "atlas-sample_traces.jsonl", tmp_path)
    assert sorted(traj["reward"].to_list()) == [0.8, 1.0]
    assert traj["learning_key"].to_list() == [None, None]


# ---------------------------------------------------------------------------------------------------------
# planted sessions: playbook usage, failures, bad lines, sniffing
# ---------------------------------------------------------------------------------------------------------
SESSION: dict[str, Any] = {
    "task": "Triage the checkout latency alert",
    "final_answer": "done",
    "execution_mode": "coach",
    "steps": [
        {
            "step": {"id": 1, "description": "look at logs", "tool": "logs.search"},
            "attempts": 3,
            "status": "ok",
            "guidance": ["be specific", "cite the log line"],
            "validation": {"valid": True},
            "reward": {"score": 0.7},
            "metadata": {"usage": {"prompt_tokens": 10, "completion_tokens": 5}},
        },
        {
            "step": {"id": 2, "description": "fix"},
            "attempts": 1,
            "status": "failed",
            "validation": {"valid": False, "guidance": "output empty"},
            "metadata": {},
        },
    ],
    "session_metadata": {
        "learning_key": "persona:sre",
        "reward_stats": {"score": 0.55},
        "completed_at": "2025-01-02T03:04:05Z",
        "adapter_session": {"student_model_id": "gpt-4.1-mini"},
        "learning_usage": {
            "roles": {
                "student": {
                    "entry-a": {"cue_hits": 2, "action_adoptions": 3, "successful_adoptions": 1, "failed_adoptions": 1},
                    "entry-b": {"cue_hits": 1, "action_adoptions": 0},
                }
            },
            "session": {"failure_events": [{"reason": "tool timeout"}], "retry_count": 9},
        },
    },
}


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_playbook_usage_failures_and_models_become_events_and_attributes(tmp_path: Path) -> None:
    path = _write(tmp_path, ["# an Atlas export", json.dumps(SESSION)])
    traj, step_frame, ev = _frames(path, tmp_path)
    row = traj.row(0, named=True)
    assert (row["learning_key"], row["execution_mode"], row["reward"], row["model"]) == (
        "persona:sre",
        "coach",
        0.55,
        "gpt-4.1-mini",
    )
    assert (row["input_tokens"], row["output_tokens"]) == (10, 5)
    counts = Counter(zip(ev["event"].to_list(), ev["entry_id"].to_list(), ev["success"].to_list(), strict=True))
    assert counts[(C.EVENT_CUE_HIT, "entry-a", None)] == 2
    assert counts[(C.EVENT_CUE_HIT, "entry-b", None)] == 1
    assert counts[(C.EVENT_ADOPTION, "entry-a", True)] == 1
    assert counts[(C.EVENT_ADOPTION, "entry-a", False)] == 1
    assert counts[(C.EVENT_ADOPTION, "entry-a", None)] == 1
    assert counts[(C.EVENT_RETRY, None, None)] == 2  # from the steps' attempts, not the session's retry_count
    assert counts[(C.EVENT_FAILURE, None, None)] == 2  # the failed step and the session's failure event
    decisions = step_frame.filter(pl.col("phase") == C.PHASE_DECIDE)["decision"].to_list()
    assert decisions == [C.DECISION_KEEP, C.DECISION_REVERT]
    observe = step_frame.filter(pl.col("phase") == C.PHASE_OBSERVE)
    assert observe["status_code"].to_list() == [0, 2] and observe["metric"].to_list() == [0.7, None]
    assert row["end_ns"] == 1735787045 * 10**9

    entries = {e["entry_id"]: e for e in analyze([str(path)]).to_dict()["playbook"]["entries"]}
    assert (entries["entry-a"]["cue_hits"], entries["entry-a"]["adoptions"]) == (2, 3)
    assert entries["entry-a"]["adoption_rate_per_cue_hit"] == 0.5


def test_session_retry_count_is_used_when_steps_report_no_attempts(tmp_path: Path) -> None:
    session = json.loads(json.dumps(SESSION))
    for step in session["steps"]:
        del step["attempts"]
    _, _, ev = _frames(_write(tmp_path, [json.dumps(session)]), tmp_path)
    assert ev.filter(pl.col("event") == C.EVENT_RETRY).height == 9


def test_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [json.dumps(SESSION), "{broken", json.dumps([1, 2]), json.dumps({"task": "x"}), json.dumps(SESSION)],
    )
    result = convert(path)
    assert result.format == "atlas" and len(result.requests) == 2
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [
        (2, "not valid JSON"),
        (3, "expected an Atlas session (task, steps, …), got list"),
        (4, "expected an Atlas session (task, steps, …), got an object without task/steps"),
    ]
    report = analyze([str(path)])
    assert [e["line"] for e in report.to_dict()["errors"]] == [2, 3, 4]
    assert len(report.to_dict()["trajectories"]) == 2


def test_sniffs_a_first_session_longer_than_the_head(tmp_path: Path) -> None:
    session = json.loads(json.dumps(SESSION))
    session["final_answer"] = "x" * (HEAD_BYTES * 2)
    path = _write(tmp_path, ["# comment", json.dumps(session)])
    assert detect_format(path) == "atlas"
    assert detect_format(_write(tmp_path, ["# comment", '{"task": "t", "expected_answer": "a"}'])) is None


def test_undated_sessions_keep_file_order(tmp_path: Path) -> None:
    a, b = json.loads(json.dumps(SESSION)), json.loads(json.dumps(SESSION))
    for s, key in ((a, "first"), (b, "second")):
        del s["session_metadata"]["completed_at"]
        s["session_metadata"]["learning_key"] = key
    traj, _, _ = _frames(_write(tmp_path, [json.dumps(a), json.dumps(b)]), tmp_path)
    assert traj.sort("start_ns")["learning_key"].to_list() == ["first", "second"]
