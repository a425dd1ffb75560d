"""Inspect AI logs (.json and the .eval zip): detection by content, the direct counts of the real files, messy input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.formats.test_swe_agents import _summary
from trajdyn import conventions as C
from trajdyn.analyzer import analyze
from trajdyn.formats import convert, detect_format
from trajdyn.formats.inspect_ai import score_value

JSON_LOG = "inspect-browser-gpt4omini.json"
EVAL_LOG = "inspect-log_message_deduplication-mockmodel-bash.eval"


def test_json_log(external: Path) -> None:
    path = external / JSON_LOG
    assert detect_format(path) == "inspect"
    result = convert(path)
    assert result.errors == []
    (root,), (actions,) = _summary(result)
    assert actions == ["web_browser_go", "web_browser_click", "web_browser_click", "web_browser_click", "respond"]
    assert (root[C.TASK_ID], root[C.GEN_AI_REQUEST_MODEL], root[C.ATTEMPT]) == ("browser:1", "openai/gpt-4o-mini", 1)
    assert (root[C.REWARD], root[C.OUTCOME]) == (1.0, C.OUTCOME_SUCCESS)  # score "C"
    assert (root[C.GEN_AI_USAGE_INPUT_TOKENS], root[C.GEN_AI_USAGE_OUTPUT_TOKENS]) == (15235, 281)


def test_eval_zip_with_the_planted_repeat(external: Path) -> None:
    path = external / EVAL_LOG
    assert detect_format(path) == "inspect"
    result = convert(path)
    assert result.errors == []
    (root,), (actions,) = _summary(result)
    assert actions == ["bash"] * 5 + ["respond"]  # bash {"cmd": "ls"} five times: a trapped loop
    assert (root[C.REWARD], root[C.OUTCOME]) == (0.0, C.OUTCOME_FAILURE)  # closeness_log 0.0
    assert C.GEN_AI_USAGE_INPUT_TOKENS not in root  # the mock model records no usage
    report = analyze([str(path)], progress=False).to_dict()
    assert report["errors"] == []
    (entry,) = report["trajectories"]  # type: ignore[misc]
    assert entry["iterations"] == 6


def test_broken_members_and_truncated_logs(external: Path, tmp_path: Path) -> None:
    src = zipfile.ZipFile(external / EVAL_LOG)
    broken = tmp_path / "broken.eval"
    with zipfile.ZipFile(broken, "w") as out:
        for name in src.namelist():
            out.writestr(name, src.read(name))
        sample = src.read("samples/0_epoch_1.json")
        out.writestr("samples/1_epoch_1.json", sample[: len(sample) // 2])  # cut short
        out.writestr("samples/2_epoch_1.json", sample)  # the same sample and epoch again
    result = convert(broken)
    (_,), _ = _summary(result)
    assert sorted(p.message.split(":")[0] for p in result.errors) == [
        "sample 0 epoch 1 again",
        "samples/1_epoch_1.json",
    ]
    cut = tmp_path / "cut.eval"
    cut.write_bytes((external / EVAL_LOG).read_bytes()[:2000])
    assert detect_format(cut) == "inspect"
    result = convert(cut)
    assert result.requests == [] and len(result.errors) == 1
    text = (external / JSON_LOG).read_text()
    half = tmp_path / "half.json"
    half.write_text(text[: len(text) // 2])
    result = convert(half)
    assert result.requests == [] and result.errors[0].line > 1


def test_epochs_are_attempts(external: Path, tmp_path: Path) -> None:
    doc = json.loads((external / JSON_LOG).read_text())
    second = dict(doc["samples"][0], epoch=2, scores={"includes": {"value": "I"}, "other": {"value": 0.25}})
    doc["samples"].append(second)
    path = tmp_path / "epochs.json"
    path.write_text(json.dumps(doc))
    roots, actions = _summary(convert(path))
    assert [(r[C.ATTEMPT], r[C.REWARD]) for r in roots] == [(1, 1.0), (2, 0.0)]
    assert roots[1][C.metrics_key("other")] == 0.25  # a second scorer is a metric, not the reward
    assert [len(a) for a in actions] == [5, 5]


@pytest.mark.parametrize(
    ("value", "number"), [("C", 1.0), ("I", 0.0), ("P", 0.5), ("N", 0.0), (0.7, 0.7), (True, 1.0), ("x", None)]
)
def test_score_values(value: object, number: float | None) -> None:
    assert score_value(value) == number
