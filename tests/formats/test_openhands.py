"""OpenHands event streams and evaluation outputs, OpenDevin evaluation outputs: detection by content, the direct
counts of the real files (issue-15 research), and messy input (truncated and duplicated lines, repeated events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.formats.test_swe_agents import _attrs, _spans, _summary
from trajdyn import conventions as C
from trajdyn.analyzer import analyze
from trajdyn.formats import convert, detect_format

RESPOND = "respond"


def _errors_per_run(result: Any) -> list[int]:
    """Step spans with status ERROR, per run in file order."""
    spans = _spans(result)
    runs = [_attrs(s)[C.TRAJECTORY_ID] for s in spans if s["name"].startswith("invoke_agent")]
    failed = [
        _attrs(s)[C.TRAJECTORY_ID]
        for s in spans
        if not s["name"].startswith("invoke_agent") and s.get("status", {}).get("code") == 2
    ]
    return [failed.count(run) for run in runs]


@pytest.mark.parametrize(
    ("name", "turns", "replies", "tokens", "errors"),
    [
        ("openhands-basic.json", ["str_replace_editor", "finish"], 0, (8132, 1312), 0),
        (
            "openhands-basic_gui_mode.json",
            ["execute_bash", "str_replace_editor", "str_replace_editor", "execute_bash"],
            1,
            (17297, 2024),
            1,
        ),
    ],
)
def test_event_streams(
    external: Path, name: str, turns: list[str], replies: int, tokens: tuple[int, int], errors: int
) -> None:
    path = external / name
    assert detect_format(path) == "openhands-events"
    result = convert(path)
    assert result.errors == []
    (root,), (actions,) = _summary(result)
    assert [a for a in actions if a != RESPOND] == turns  # tool calls: the direct count
    assert actions.count(RESPOND) == replies  # the agent's closing message
    assert (root[C.GEN_AI_USAGE_INPUT_TOKENS], root[C.GEN_AI_USAGE_OUTPUT_TOKENS]) == tokens  # distinct responses once
    assert root[C.GEN_AI_REQUEST_MODEL] == "claude-3-5-sonnet-20241022"
    assert _errors_per_run(result) == [errors]  # the http.server that exited -1
    assert C.REWARD not in root


def test_evaluation_output(external: Path) -> None:
    path = external / "openhands-multiswebench-llama4maverick-output.jsonl"
    assert detect_format(path) == "openhands-eval"
    result = convert(path)
    assert result.errors == []
    roots, actions = _summary(result)
    assert [r[C.TASK_ID] for r in roots] == ["ponylang__ponyc-4595", "ponylang__ponyc-4593", "ponylang__ponyc-4588"]
    assert [len(a) for a in actions] == [23, 33, 49]
    assert actions[0].count("execute_bash") == 13 and actions[0].count("str_replace_editor") == 8
    assert [(r[C.GEN_AI_USAGE_INPUT_TOKENS], r[C.GEN_AI_USAGE_OUTPUT_TOKENS]) for r in roots] == [
        (565158, 2558),
        (410169, 5156),
        (938015, 5627),
    ]
    assert [r.get(C.OUTCOME) for r in roots] == [None, None, C.OUTCOME_ERROR]  # max iterations reached
    assert all(C.COST not in r for r in roots)  # 0.0 with no per-call cost: openrouter reported none
    assert all(C.REWARD not in r for r in roots)
    assert _errors_per_run(result) == [5, 3, 13]  # non-zero exits + the error observations


def test_opendevin_output(external: Path) -> None:
    path = external / "opendevin-prontoqa-gpt4o-output.jsonl"
    assert detect_format(path) == "opendevin-eval"
    result = convert(path)
    assert result.errors == []
    roots, actions = _summary(result)
    assert [r[C.TASK_ID] for r in roots] == [f"ProntoQA_{k}" for k in range(1, 7)]
    assert [len([a for a in acts if a != RESPOND]) for acts in actions] == [3, 3, 3, 3, 3, 2]
    assert sum(len(a) for a in actions) == 23  # with the agent's messages
    assert [r[C.REWARD] for r in roots] == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert [r.get(C.GEN_AI_REQUEST_MODEL) for r in roots] == ["gpt-4o-2024-05-13"] * 3 + [None] * 3
    report = analyze([str(path)], progress=False).to_dict()
    assert report["errors"] == []
    assert len(report["trajectories"]) == 6  # type: ignore[arg-type]


def test_truncated_and_duplicated_jsonl_lines(external: Path, tmp_path: Path) -> None:
    lines = (external / "opendevin-prontoqa-gpt4o-output.jsonl").read_text().splitlines()
    messy = tmp_path / "output.jsonl"
    # line 3 repeats line 1 (a resumed run), the last line is cut short
    messy.write_text("\n".join([lines[0], lines[1], lines[0], lines[2], lines[3][: len(lines[3]) // 2]]) + "\n")
    assert detect_format(messy) == "opendevin-eval"
    result = convert(messy)
    roots, _ = _summary(result)
    assert [r[C.TASK_ID] for r in roots] == ["ProntoQA_2", "ProntoQA_1", "ProntoQA_3"]
    by_line = {p.line: p.message for p in result.errors}
    assert set(by_line) == {1, 5}
    assert "again at line 3" in by_line[1]
    assert "not valid JSON" in by_line[5]


def test_events_repeated_and_truncated(external: Path, tmp_path: Path) -> None:
    events = json.loads((external / "openhands-basic_gui_mode.json").read_text())
    doubled = tmp_path / "events.json"
    doubled.write_text(json.dumps(events + events[5:], indent=1))
    result = convert(doubled)
    (_,), (actions,) = _summary(result)
    assert len(actions) == 5  # the repeated events are dropped, once, with a problem
    assert [p.message for p in result.errors] == ["13 event(s) with an id seen before: dropped"]
    cut = tmp_path / "cut.json"
    text = json.dumps(events, indent=1)
    cut.write_text(text[: len(text) // 2])
    assert detect_format(cut) == "openhands-events"
    result = convert(cut)
    assert result.requests == [] and len(result.errors) == 1 and result.errors[0].line > 1
