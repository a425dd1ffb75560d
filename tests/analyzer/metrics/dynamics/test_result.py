"""The dynamics analysis as frames: declared schemas and orders, one series stored twice consistently, nulls never NaN,
rounding only in the report, and one computation per report."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.analyzer._dynamics_frames import Run, frames
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics import dynamics as dynamics_module
from trajdyn.analyzer.metrics.dynamics import (
    DYNAMICS_KEYS,
    OUTCOME_SCHEMA,
    TASK_SCHEMA,
    TRAJECTORY_SCHEMA,
    TURN_SCHEMA,
    DynamicsOptions,
    DynamicsResult,
    analyze_dynamics,
)
from trajdyn.analyzer.report import ReportOptions, build_report
from trajdyn.analyzer.report._dynamics import SERIES_DECIMALS, dynamics_blocks
from trajdyn.analyzer.report._model import ReportContext


def runs() -> list[Run]:
    """Two tasks with replicates and a reworded prompt, a model split, a trapped run, short runs, rewards 0/1."""
    rng = np.random.default_rng(11)
    out = [
        Run("z-one", ["a"], texts=["only"], task_id="t1", reward=0.0),
        Run("stuck", ["retry"] * 9, texts=["again"] * 9, observations=["timeout"] * 9, task_id="t1", reward=0.0),
    ]
    for i in range(6):
        n = int(rng.integers(12, 30))
        actions = [str(x) for x in rng.choice(4, n)]
        texts = [" ".join(f"w{x}" for x in rng.choice(60, 5)) for _ in actions]
        out.append(
            Run(
                f"r{i}",
                actions,
                texts=texts,
                observations=texts,
                task_id="t2",
                group="g2",
                variant="original" if i < 4 else "reworded",
                model="m1" if i % 3 else "m2",
                reward=float(i % 2),
            )
        )
    return out


def analyse(items: list[Run], **options: Any) -> DynamicsResult:
    steps, trajectories = frames(items)
    return analyze_dynamics(steps, trajectories, options=DynamicsOptions(shuffles=20, **options))


def no_nan(frame: pl.DataFrame) -> None:
    """Undefined values are null: no NaN in any float, nested or not."""
    for value in frame.to_dicts():
        stack: list[Any] = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, float):
                assert math.isfinite(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)


@pytest.mark.parametrize("items", [runs(), []], ids=["runs", "empty"])
def test_frames_have_their_declared_schemas_and_no_nan(items: list[Run]) -> None:
    result = analyse(items)
    assert result.turns.schema == pl.Schema(TURN_SCHEMA)
    assert result.trajectories.schema == pl.Schema(TRAJECTORY_SCHEMA)
    assert result.trajectories.columns == [K.TRAJECTORY_ID, *DYNAMICS_KEYS]
    assert result.tasks.schema == pl.Schema(TASK_SCHEMA)
    assert result.outcomes.categories.schema == pl.Schema(OUTCOME_SCHEMA)
    for frame in (result.turns, result.trajectories, result.tasks, result.outcomes.categories):
        no_nan(frame)


def test_frames_are_in_their_documented_orders() -> None:
    result = analyse(runs())
    ids = result.trajectories[K.TRAJECTORY_ID].to_list()
    assert ids == sorted(ids) and len(ids) == len(runs())
    assert result.turns.equals(result.turns.sort([K.TRAJECTORY_ID, "turn"]))
    assert result.turns.height == sum(len(r.actions) for r in runs())
    keys = [(g, m or "", a or "") for g, m, a in result.tasks.select("group", K.MODEL, K.AGENT).iter_rows()]
    assert keys == sorted(keys) and [k[:2] for k in keys] == [("g2", "m1"), ("g2", "m2"), ("t1", "")]


def test_the_per_turn_series_are_the_per_trajectory_lists() -> None:
    result = analyse(runs(), window=5)
    by_turn = result.turns.group_by(K.TRAJECTORY_ID, maintain_order=True).agg(
        pl.col("anchor"), pl.col("step").drop_nulls(), pl.col("window_entropy").drop_nulls(), pl.col("turn")
    )
    lists = result.trajectories.select(
        K.TRAJECTORY_ID,
        "turns",
        "windowed_entropy",
        pl.col("drift").struct.field("anchor"),
        pl.col("drift").struct.field("step"),
    )
    joined = by_turn.join(lists, on=K.TRAJECTORY_ID, suffix="_list")
    assert joined.height == result.trajectories.height
    for row in joined.iter_rows(named=True):
        assert row["turn"] == list(range(row["turns"]))
        assert row["anchor"] == row["anchor_list"] and row["anchor"][0] == 0.0
        assert row["step"] == row["step_list"] and len(row["step"]) == row["turns"] - 1
        assert row["window_entropy"] == row["windowed_entropy"]
        assert len(row["windowed_entropy"]) == max(row["turns"] - 5 + 1, 0)


def test_the_report_rounds_the_series_and_keeps_every_scalar() -> None:
    result = analyse(runs())
    blocks = dynamics_blocks(result)
    for row in result.trajectories.iter_rows(named=True):
        block = blocks.per_trajectory[row[K.TRAJECTORY_ID]]
        assert list(block) == list(DYNAMICS_KEYS)
        assert block["windowed_entropy"] == np.round(row["windowed_entropy"], SERIES_DECIMALS).tolist()
        assert block["lz_z"] == row["lz_z"] and block["loop"] == row["loop"]
        drift = row["drift"]
        assert block["drift"]["anchor"] == np.round(drift["anchor"], SERIES_DECIMALS).tolist()
        assert block["drift"]["final"] == drift["final"]  # full precision
        assert drift["final"] == (drift["anchor"][-1] if row["turns"] >= 2 else None)
    (g2,) = [g for g in blocks.groups if g["group"] == "g2" and g["model"] == "m1"]
    frame_band = result.tasks.filter(pl.col(K.MODEL) == "m1")["replicates"].struct.field("band").to_list()[0]
    assert g2["replicates"]["band"] == np.round(frame_band, SERIES_DECIMALS).tolist()
    assert g2["variants"] == {"original": 2, "reworded": 2}  # r1, r2 and r4, r5
    assert sum(g2["regimes"].values()) == g2["trajectories"] == 4


def test_regime_outcomes_and_summary_come_with_the_result() -> None:
    result = analyse(runs())
    assert result.outcomes.reward == "binary" and result.outcomes.trajectories == len(runs())
    by = result.outcomes.categories["by"].to_list()
    assert by == sorted(by, key=["regime", "loop", "repeats"].index)
    trapped = result.outcomes.categories.filter(pl.col("category") == "trapped").row(0, named=True)
    assert trapped["failures"] == trapped["with_reward"] == 1 and trapped["failure_ci"][1] == 1.0
    summary = result.summary
    assert summary.groups == result.tasks.height == 3
    assert sum(summary.regimes.values()) == len(runs())
    assert [p.k for p in summary.pass_k] == list(range(1, len(summary.pass_k) + 1))


def test_a_report_with_both_sections_runs_the_analysis_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = dynamics_module.analyze_dynamics

    def counted(*args: Any, **kwargs: Any) -> DynamicsResult:
        calls.append(args[0].height)
        return real(*args, **kwargs)

    monkeypatch.setattr(dynamics_module, "analyze_dynamics", counted)
    steps, trajectories = frames(runs())
    first = build_report(steps, trajectories, generated_at="x", options=ReportOptions(DynamicsOptions(shuffles=0)))
    assert len(calls) == 1
    assert {"dynamics", "sensitivity"} <= {s.name for s in first.sections}
    # another report (other inputs) computes its own: nothing is cached between reports
    few_steps, few = frames(runs()[:2])
    second = build_report(few_steps, few, generated_at="x", options=ReportOptions(DynamicsOptions(shuffles=0)))
    assert len(calls) == 2 and calls[1] < calls[0]
    assert len(second.trajectories) == 2 and second.blocks["sensitivity"]["summary"]["groups"] == 1  # type: ignore[index]


def test_the_context_memo_computes_each_key_once_per_context() -> None:
    steps, trajectories = frames(runs()[:1])
    ctx = ReportContext(steps=steps, trajectories=trajectories, events=None, options=ReportOptions())
    made: list[int] = []
    assert ctx.memo("k", lambda: made.append(1) or len(made)) == 1
    assert ctx.memo("k", lambda: made.append(1) or len(made)) == 1
    assert ctx.memo("other", lambda: "x") == "x" and made == [1]
    fresh = ReportContext(steps=steps, trajectories=trajectories, events=None, options=ReportOptions())
    assert fresh.memo("k", lambda: 7) == 7
    assert fresh == ctx  # the memo is not part of the context's value


def test_outcomes_without_rewards_keep_their_shape() -> None:
    steps, trajectories = frames([Run("a", ["x", "y", "x"]), Run("b", ["x"])])
    result = analyze_dynamics(steps, trajectories.with_columns(pl.lit(None, pl.Float64).alias(K.REWARD)))
    assert result.outcomes.reward is None and result.outcomes.categories.height == 0
    assert dynamics_blocks(result).outcomes["reason"] == "no rewards or outcomes recorded"
