"""SWE-agent (0.x, 1.x) and mini-swe-agent logs: detection by content, the direct counts of the real files, the
SWE-bench label join, and messy input (truncated, duplicated, bad steps)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C
from trajdyn.analyzer import analyze
from trajdyn.exceptions import InputError
from trajdyn.formats import ImportResult, convert, detect_format
from trajdyn.formats._commands import command_word

RESULTS = "sweagent-claude35sonnet-swebench-verified-results.json"

# (file, turns, input tokens, output tokens, cost, first actions): direct counts of the raw files (issue-15 research)
SWE_AGENT = [
    ("sweagent-test-repo-i1.traj", 5, 52861, 326, 0.53839, ["find_file", "open", "edit", "python", "submit"]),
    ("sweagent-pydicom-1458.traj", 12, 122612, 1369, 1.26719, ["create", "edit", "python", "find_file"]),
    ("sweagent-claude35sonnet-astropy-13398.traj", 19, 262828, 3520, 0.841284, ["ls", "cd", "open", "ls"]),
    ("sweagent-v1-test-repo-6e44b9.traj", 5, 7141, 243, 0.01952, ["find_file", "open", "edit", "python3", "submit"]),
    ("sweagent-v1-demo-marshmallow-1867-function-calling.traj", 13, None, None, None, ["ls", "open", "pip", "create"]),
]


def _spans(result: ImportResult) -> list[dict[str, Any]]:
    return [s for r in result.requests for rs in r["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def _value(v: dict[str, Any]) -> Any:
    if "intValue" in v:
        return int(v["intValue"])
    return next(iter(v.values()))


def _attrs(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: _value(a["value"]) for a in span["attributes"]}


def _summary(result: ImportResult) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """(root attributes per run, propose actions per run)."""
    spans = _spans(result)
    roots = [_attrs(s) for s in spans if s["name"].startswith("invoke_agent")]
    actions: dict[str, list[str]] = {}
    for s in spans:
        a = _attrs(s)
        if a.get(C.PHASE) == C.PHASE_PROPOSE:
            actions.setdefault(a[C.TRAJECTORY_ID], []).append(a[C.ACTION])
    return roots, [actions.get(r[C.TRAJECTORY_ID], []) for r in roots]


@pytest.mark.parametrize(("name", "turns", "tokens_in", "tokens_out", "cost", "first"), SWE_AGENT)
def test_swe_agent_runs_turns_tokens_and_cost_are_the_direct_counts(
    external: Path,
    name: str,
    turns: int,
    tokens_in: int | None,
    tokens_out: int | None,
    cost: float | None,
    first: list[str],
) -> None:
    path = external / name
    assert detect_format(path) == "swe-agent"
    result = convert(path)
    assert result.errors == []
    (root,), (actions,) = _summary(result)
    assert len(actions) == turns
    assert actions[: len(first)] == first
    assert root.get(C.GEN_AI_USAGE_INPUT_TOKENS) == tokens_in  # the replay records no usage: absent, not 0
    assert root.get(C.GEN_AI_USAGE_OUTPUT_TOKENS) == tokens_out
    assert root.get(C.COST) == (pytest.approx(cost) if cost is not None else None)
    assert C.REWARD not in root  # submitted, not evaluated
    assert C.OUTCOME not in root


def test_swe_agent_1x_ids_and_models_come_from_the_replay_config(external: Path) -> None:
    roots, _ = _summary(convert(external / "sweagent-v1-test-repo-6e44b9.traj"))
    assert (roots[0][C.TASK_ID], roots[0][C.GEN_AI_REQUEST_MODEL]) == ("SWE-agent__test-repo-i1", "gpt-4o")
    roots, _ = _summary(convert(external / "sweagent-v1-demo-marshmallow-1867-function-calling.traj"))
    assert roots[0][C.TASK_ID] == "marshmallow-code__marshmallow-1867"


def test_the_results_file_labels_its_own_submission_only(external: Path, tmp_path: Path) -> None:
    # 0.x files hold no instance id: SWE-agent names them <instance_id>.traj
    traj = tmp_path / "astropy__astropy-13398.traj"
    shutil.copy(external / "sweagent-claude35sonnet-astropy-13398.traj", traj)
    (root,), _ = _summary(convert(traj, labels=external / RESULTS))
    assert (root[C.TASK_ID], root[C.REWARD], root[C.OUTCOME]) == ("astropy__astropy-13398", 0.0, C.OUTCOME_FAILURE)
    results = json.loads((external / RESULTS).read_text())
    assert "astropy__astropy-13398" not in results["resolved"]
    # an id the file lists as resolved is 1, one it lists as not evaluated has no reward
    resolved, skipped = results["resolved"][0], results["no_generation"][0]
    for iid, expected in ((resolved, 1.0), (skipped, None)):
        copy = tmp_path / f"{iid}.traj"
        shutil.copy(external / "sweagent-claude35sonnet-astropy-13398.traj", copy)
        (root,), _ = _summary(convert(copy, labels=external / RESULTS))
        assert root.get(C.REWARD) == expected
    # without --labels, nothing is joined, even with the results file in the same folder
    (root,), _ = _summary(convert(external / "sweagent-pydicom-1458.traj"))
    assert C.REWARD not in root
    # a renamed 0.x file (its task id is no instance id) is not labelled unresolved by default
    (root,), _ = _summary(convert(external / "sweagent-claude35sonnet-astropy-13398.traj", labels=external / RESULTS))
    assert C.REWARD not in root
    with pytest.raises(InputError, match="not a SWE-bench results file"):
        convert(traj, labels=external / "sweagent-pydicom-1458.traj")


def test_analyze_joins_labels_and_cli_flag(external: Path, tmp_path: Path) -> None:
    traj = tmp_path / "astropy__astropy-13398.traj"
    shutil.copy(external / "sweagent-claude35sonnet-astropy-13398.traj", traj)
    out = tmp_path / "spans.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trajdyn.cli.importer",
            "auto",
            str(traj),
            "-o",
            str(out),
            "--labels",
            str(external / RESULTS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"trajdyn.reward"' in out.read_text()
    report = analyze([str(traj)], labels=external / RESULTS, progress=False).to_dict()
    assert report["errors"] == []
    (entry,) = report["trajectories"]  # type: ignore[misc]
    assert entry["iterations"] == 19


def test_mini_swe_agent_counts_and_its_own_report(external: Path, tmp_path: Path) -> None:
    path = external / "minisweagent-deepseek-django-10914.traj.json"
    assert detect_format(path) == "mini-swe-agent"
    result = convert(path)
    assert result.errors == []
    (root,), (actions,) = _summary(result)
    assert len(actions) == 48
    assert actions.count("cat") == 25 and actions.count("find") == 6 and actions.count("grep") == 6
    assert (root[C.GEN_AI_USAGE_INPUT_TOKENS], root[C.GEN_AI_USAGE_OUTPUT_TOKENS]) == (552410, 10181)
    assert root[C.COST] == pytest.approx(0.029813924)
    assert (root[C.TASK_ID], root[C.GEN_AI_REQUEST_MODEL]) == ("django__django-10914", "deepseek/deepseek-chat")
    assert (root[C.REWARD], root[C.OUTCOME]) == (1.0, C.OUTCOME_SUCCESS)  # from <name>.report.json next to it
    errors = [
        _attrs(s) for s in _spans(result) if _attrs(s).get(C.PHASE) == C.PHASE_OBSERVE and s["status"].get("code") == 2
    ]
    assert len(errors) == 7  # tool messages with a non-zero returncode
    # alone (no report next to it): no reward
    alone = tmp_path / "run.traj.json"
    shutil.copy(path, alone)
    (root,), _ = _summary(convert(alone))
    assert C.REWARD not in root


def test_truncated_and_messy_swe_agent_logs(external: Path, tmp_path: Path) -> None:
    text = (external / "sweagent-test-repo-i1.traj").read_text()
    cut = tmp_path / "cut.traj"
    cut.write_text(text[: len(text) // 2])
    assert detect_format(cut) == "swe-agent"
    result = convert(cut)
    assert result.requests == []
    (problem,) = result.errors
    assert problem.line > 1 and "not valid JSON" in problem.message
    # bad steps are skipped and reported at their line; a step duplicated stays two turns (the log says so)
    doc = json.loads(text)
    doc["trajectory"] = [doc["trajectory"][0], doc["trajectory"][0], 7, {"action": None, "observation": ""}]
    messy = tmp_path / "messy.traj"
    messy.write_text(json.dumps(doc, indent=2))
    result = convert(messy)
    (_,), (actions,) = _summary(result)
    assert actions == ["find_file", "find_file"]
    assert [p.message.split(":")[0] for p in result.errors] == ["step 2", "step 3"]
    assert all(p.line > 1 for p in result.errors)
    # the report of the folder keeps going past a truncated file
    report = analyze([str(cut), str(external / "sweagent-pydicom-1458.traj")], progress=False).to_dict()
    assert len(report["trajectories"]) == 1  # type: ignore[arg-type]
    first = report["errors"][0]  # type: ignore[index]
    assert (first["path"], first["line"]) == (str(cut), problem.line)
    assert "not valid JSON" in first["message"]


def test_ids_come_from_the_file_name_and_content(external: Path, tmp_path: Path) -> None:
    a = tmp_path / "a" / "x.traj"
    b = tmp_path / "b" / "x.traj"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copy(external / "sweagent-test-repo-i1.traj", p)
    ids = [_summary(convert(p))[0][0][C.TRAJECTORY_ID] for p in (a, b)]
    assert ids[0] == ids[1]  # the same file anywhere: the same ids
    b.write_text(b.read_text().replace("find_file", "find_file "))
    assert _summary(convert(b))[0][0][C.TRAJECTORY_ID] != ids[0]


@pytest.mark.parametrize(
    ("command", "word"),
    [
        ("PYTHONPATH=$PYTHONPATH:. pytest -x", "pytest"),
        ("cd ../tests && touch x", "cd"),
        ("   ", "(empty)"),
        ("ls", "ls"),
    ],
)
def test_command_word(command: str, word: str) -> None:
    assert command_word(command) == word
