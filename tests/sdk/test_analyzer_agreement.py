"""The SDK's live coverage and the offline analyzer agree on every key (the real autoresearch loop replayed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import trajdyn
from tests.sdk.test_coverage import _load_autoresearch


def test_sidecar_equals_analyzer_report(external: Path, tmp_path: Path) -> None:
    """Replay the real log through the decorators into a spans file; the analyzer's report equals the sidecar."""
    pytest.importorskip("polars", reason="the analyzer needs the analyze extra")
    from trajdyn.analyzer import analyze

    rows, baseline, menu = _load_autoresearch(external)
    spans_file = tmp_path / "spans.jsonl"
    trajdyn.configure(file=spans_file, sidecar_interval=3600, announce=False)

    @trajdyn.propose
    def propose(row: dict[str, Any]) -> dict[str, Any]:
        return {"knob": row["proposal"]["knob"], "value": row["proposal"]["new_value"]}

    @trajdyn.observe
    def evaluate(row: dict[str, Any]) -> dict[str, Any]:
        return {"val_bpb": row["val_bpb"]}

    @trajdyn.decide
    def decide(row: dict[str, Any]) -> str:
        return str(row["decision"])

    with trajdyn.trajectory(
        task_id="autoresearch", knob_menu=menu, objective="minimize", metric_name="val_bpb", baseline=baseline
    ):
        for row in rows:
            propose(row)
            evaluate(row)
            decide(row)
    trajdyn.shutdown()

    (live,) = json.loads(spans_file.with_name("spans.coverage.json").read_text())["trajectories"]
    report = analyze([str(spans_file)]).to_dict()
    (offline,) = report["trajectories"]
    exploration = offline["exploration"]
    shared = [k for k in exploration if k in live]
    assert set(shared) >= {"repeat_rate", "top_pairs", "chao1", "noise_floor", "keeps_within_noise", "running_best"}
    assert len(shared) >= 25
    for key in shared:
        expected = exploration[key]
        if isinstance(expected, float):
            assert live[key] == pytest.approx(expected, rel=1e-12), key
        else:
            assert live[key] == expected, key
