"""The same inputs give the same report, number for number (bootstraps and permutations are seeded and resample a
fixed order, whatever polars' thread scheduling does)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("polars", reason="needs the analyze extra")

from trajdyn.analyzer import analyze


def test_repeated_analysis_of_real_inputs_is_identical(external: Path) -> None:
    inputs = [
        external / "pinchbench" / "results" / "0005_main.json",
        external / "pinchbench" / "results_qwen3.5-9b" / "0006_main.json",
        external / "atlas-reward_eval_trajectories.jsonl",
        external / "autoresearch-trajectory.jsonl",
    ]
    reports = [analyze(inputs, generated_at="2026-01-01T00:00:00Z").to_dict() for _ in range(4)]
    assert "trends" in reports[0] and "playbook" in reports[0]
    for other in reports[1:]:
        assert other == reports[0]
