"""The ``tau-bench`` importer, and the dynamics report on 200 real GPT-4o airline runs (acceptance of issue 4)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C
from trajdyn.analyzer import analyze
from trajdyn.analyzer.report import report_to_json
from trajdyn.formats import convert, detect_format
from trajdyn.formats.tau_bench import parse, sniff

TAU = "tau-bench-gpt-4o-airline.json"
PUBLISHED_PASS_K = [0.420, 0.273, 0.220, 0.200]
"""sierra-research/tau-bench README, leaderboard, airline, TC (gpt-4o): pass^1..pass^4."""


def run(task: int, trial: int, reward: float, messages: list[Any]) -> dict[str, Any]:
    return {
        "task_id": task,
        "trial": trial,
        "reward": reward,
        "info": {"task": {"instruction": "fly"}},
        "traj": messages,
    }


MESSAGES = [
    {"role": "system", "content": "policy"},
    {"role": "user", "content": "I want to fly."},
    {"role": "assistant", "content": "Your user id?"},
    {"role": "user", "content": "mia_1"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"name": "get_user_details", "arguments": '{"user_id": "mia_1"}'}, "id": "c1"}],
    },
    {"role": "tool", "tool_call_id": "c1", "name": "get_user_details", "content": '{"name": "Mia"}'},
    {
        "role": "assistant",
        "content": "Checking both.",
        "tool_calls": [
            {"function": {"name": "search", "arguments": "{}"}},
            {"function": {"name": "book", "arguments": "{}"}},
        ],
    },
    {"role": "tool", "content": "Error: no such flight"},
    {"role": "assistant", "content": "Done."},
]


def write(tmp_path: Path, runs: list[Any], name: str = "tau.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    return path


def test_messages_become_turns_and_observations(tmp_path: Path) -> None:
    path = write(tmp_path, [run(3, 1, 1.0, MESSAGES)])
    assert sniff(path.read_bytes()[:4096])
    assert detect_format(path) == "tau-bench"
    (traj,), errors = parse(path, None)
    assert errors == []
    assert traj.task_id == "3" and traj.reward == 1.0 and traj.outcome == C.OUTCOME_SUCCESS
    assert traj.attrs[C.ATTEMPT] == 1
    assert traj.attrs[C.PERTURBATION_GROUP] == "3" and traj.attrs[C.PERTURBATION_VARIANT] == C.VARIANT_ORIGINAL
    assert traj.content == "fly"
    shapes = [(s.shape, s.action) for s in traj.steps]
    assert shapes == [
        ("observe", None),
        ("propose", "respond"),
        ("observe", None),
        ("propose", "get_user_details"),
        ("observe", None),
        ("propose", "search"),
        ("propose", "book"),
        ("observe", None),
        ("propose", "respond"),
    ]
    assert traj.steps[3].content == 'get_user_details {"user_id": "mia_1"}'
    assert traj.steps[5].content == "Checking both.\nsearch {}"
    assert traj.steps[7].error == "Error: no such flight"


def test_bad_elements_are_reported_at_the_line_where_they_start(tmp_path: Path) -> None:
    good = run(1, 0, 0.0, MESSAGES)
    bad_message = run(2, 0, 1.0, [{"role": "user", "content": "hi"}, {"role": "wizard"}, "text"])
    path = write(tmp_path, [good, 7, {"trial": 0, "traj": []}, bad_message, {"task_id": 4, "traj": "x"}])
    lines = path.read_text().splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.startswith("  {") or line.strip() == "7,"]
    trajs, errors = parse(path, None)
    assert [t.task_id for t in trajs] == ["1", "2"]
    messages = [(e.line, e.message) for e in errors]
    assert (starts[1], "element 1: expected an object, got int") in messages
    assert any(line == starts[2] and "element 2: no task_id" in m for line, m in messages)
    assert any(line == starts[3] and "message 1 has an unknown role 'wizard'" in m for line, m in messages)
    assert any(line == starts[3] and "message 2 is a str" in m for line, m in messages)
    assert any(line == starts[4] and "traj is missing or not a list" in m for line, m in messages)


def test_truncated_and_invalid_files_keep_what_came_before(tmp_path: Path) -> None:
    text = json.dumps([run(1, 0, 1.0, MESSAGES), run(2, 0, 0.0, MESSAGES)], indent=1)
    truncated = tmp_path / "cut.json"
    truncated.write_text(text[: len(text) // 2 + len(text) // 4], encoding="utf-8")
    trajs, errors = parse(truncated, None)
    assert [t.task_id for t in trajs] == ["1"] and "not valid JSON" in errors[0].message
    not_array = tmp_path / "obj.json"
    not_array.write_text('{"task_id": 1}', encoding="utf-8")
    trajs, errors = parse(not_array, None)
    assert trajs == [] and "expected a JSON array" in errors[0].message


@pytest.fixture(scope="module")
def tau_report(request: pytest.FixtureRequest) -> dict[str, Any]:
    external: Path = request.getfixturevalue("external_dir")
    report = analyze(external / TAU, generated_at="2026-01-01T00:00:00Z")
    assert report.errors == []
    doc: dict[str, Any] = json.loads(report_to_json(report), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    return doc


@pytest.fixture(scope="module")
def external_dir() -> Path:
    from tests.conftest import EXTERNAL_DIR

    if EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data tests")
    return EXTERNAL_DIR


def test_real_file_imports_every_run(external_dir: Path) -> None:
    result = convert(external_dir / TAU)
    assert result.format == "tau-bench" and result.errors == []
    assert len(result.requests) == 200


def finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list):
        return all(finite(v) for v in value)
    return True


def test_every_real_trajectory_gets_a_dynamics_section(tau_report: dict[str, Any]) -> None:
    entries = tau_report["trajectories"]
    assert len(entries) == 200
    assert all("dynamics" in e and e["dynamics"]["regime"] for e in entries)
    assert all(e["dynamics"]["drift"]["basis"] == "content" for e in entries)
    assert finite(tau_report)


def test_pass_hat_k_agrees_with_the_published_leaderboard(tau_report: dict[str, Any]) -> None:
    summary = tau_report["sensitivity"]["summary"]
    got = [p["value"] for p in summary["pass_k"]]
    assert got == pytest.approx(PUBLISHED_PASS_K, abs=5e-4)
    assert [p["cells"] for p in summary["pass_k"]] == [50, 50, 50, 50]


def test_per_task_replicate_divergence_is_reported(tau_report: dict[str, Any]) -> None:
    block = tau_report["sensitivity"]
    groups = block["groups"]
    assert len(groups) == 50
    for g in groups:
        assert g["variants"] == {"original": 4}
        assert g["replicates"]["pairs"] == 6
        assert g["perturbation"] is None
        assert g["outcomes"][0]["runs"] == 4 and len(g["outcomes"][0]["pass_k"]) == 4
        assert 0.0 <= g["noise_floor"] <= g["saturation_angle"] <= math.pi
        assert g["replicates"]["mean_angle"] is not None
    with_rate = [g for g in groups if g["replicates"]["lambda"] is not None]
    assert len(with_rate) >= 20
    assert block["summary"]["with_replicates"] == 50 and block["summary"]["with_perturbation"] == 0
    rep = block["summary"]["replicate_lambda"]
    assert rep["n"] == len(with_rate) and rep["ci"][0] <= rep["mean"] <= rep["ci"][1]
    assert block["summary"]["delta_lambda"]["n"] == 0  # no reworded prompts in this file: said, not invented


def test_a_summary_relates_regimes_and_loops_to_reward(tau_report: dict[str, Any]) -> None:
    outcomes = tau_report["sensitivity"]["outcomes"]
    assert outcomes["reward"] == "binary"
    assert outcomes["failure_rate"] == pytest.approx(1 - 84 / 200)
    assert sum(c["with_reward"] for c in outcomes["by_regime"]) == 200
    assert {c["category"] for c in outcomes["by_loop"]} <= {"loop detected", "no loop"}
    assert outcomes["findings"], "which categories fail more often"
    for c in outcomes["by_regime"] + outcomes["by_loop"] + outcomes["by_repeats"]:
        assert 0.0 <= c["failure_rate"] <= 1.0 and 0.0 <= c["fisher_p"] <= 1.0
        lo, hi = c["failure_ci"]
        assert lo <= c["failure_rate"] <= hi
