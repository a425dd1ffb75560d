"""The dynamics section and the sensitivity block end to end: degenerate cases, regimes, outcomes, renderings, CLI."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from rich.console import Console

from tests.analyzer._dynamics_frames import Run, frames
from tests.analyzer.metrics.test_exploration_frames import STEP_SCHEMA
from trajdyn import conventions as C
from trajdyn.analyzer import EmbeddingOptions
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics import (
    DYNAMICS_KEYS,
    DynamicsOptions,
    analyze_dynamics,
    classify_regime,
    constraint_index,
    cq_scores,
    dynamics,
    regime_outcomes,
    sensitivity,
    tool_family,
    turns,
)
from trajdyn.analyzer.metrics.dynamics._clawbench import _kernel_entropy, _participation_ratio
from trajdyn.analyzer.report import ReportOptions, build_report, render_markdown, render_terminal, report_to_json
from trajdyn.analyzer.report._dynamics import dynamics_blocks, outcomes_json
from trajdyn.analyzer.stats import fisher_exact_p

STAMP = "2026-01-01T00:00:00Z"


def strict_loads(text: str) -> Any:
    def bad(constant: str) -> None:
        raise AssertionError(f"non-JSON constant {constant}")

    return json.loads(text, parse_constant=bad)


def walk_finite(value: object) -> None:
    """Every number in a JSON document is finite."""
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            walk_finite(v)
    elif isinstance(value, list):
        for v in value:
            walk_finite(v)


def mixed_runs() -> list[Run]:
    rng = np.random.default_rng(0)
    runs = [
        Run("single", ["search"], texts=["find the file"], task_id="t1", reward=0.0),
        Run("pair", ["search", "read"], texts=["a b", "c d"], task_id="t1", reward=1.0),
        Run("stuck", ["retry"] * 12, texts=["try again"] * 12, observations=["timeout"] * 12, task_id="t2", reward=0.0),
        Run(
            "loop",
            [f"n{x}" for x in rng.choice(6, 10)] + ["open", "close", "save"] * 6,
            observations=[f"o{x}" for x in range(10)] + ["ok1", "ok2", "ok3"] * 6,
            task_id="t2",
            reward=0.0,
        ),
    ]
    for i in range(6):
        actions = [str(x) for x in rng.choice(5, 25)]
        texts = [" ".join(f"w{x}" for x in rng.choice(200, 6)) for _ in actions]
        runs.append(Run(f"free{i}", actions, texts=texts, observations=texts, task_id="t3", reward=float(i % 2)))
    return runs


def report(runs: list[Run], *, dynamics_window: int = 10, shuffles: int = 50, embeddings: str = "hashing") -> Any:
    steps, trajectories = frames(runs)
    options = ReportOptions(
        DynamicsOptions(window=dynamics_window, shuffles=shuffles), EmbeddingOptions(backend=embeddings)
    )
    return build_report(steps, trajectories, generated_at=STAMP, options=options)


def test_every_trajectory_has_a_dynamics_object_with_every_key_and_finite_numbers() -> None:
    doc = strict_loads(report_to_json(report(mixed_runs())))
    assert len(doc["trajectories"]) == 10
    for entry in doc["trajectories"]:
        assert list(entry["dynamics"]) == list(DYNAMICS_KEYS)
    walk_finite(doc)
    regimes = {e["trajectory_id"]: e["dynamics"]["regime"] for e in doc["trajectories"]}
    assert regimes["single"] == "degenerate" and regimes["pair"] == "degenerate"
    assert regimes["stuck"] == "trapped"
    assert regimes["loop"] == "looping"


def test_degenerate_trajectories_say_why() -> None:
    steps, trajectories = frames([Run("one", ["a"]), Run("two", ["a", "b"])])
    observe_only = pl.DataFrame(
        [
            {
                K.TRAJECTORY_ID: "none",
                K.TRACE_ID: "f" * 32,
                K.SPAN_ID: "e" * 16,
                K.PHASE: C.PHASE_OBSERVE,
                K.ITERATION: 1,
                K.BLOCKED: False,
                K.CONTENT: "hello",
            }
        ],
        schema=STEP_SCHEMA,
    )
    rows = analyze_dynamics(pl.concat([steps, observe_only]), trajectories, options=DynamicsOptions(shuffles=0))
    per = dynamics_blocks(rows).per_trajectory
    assert per["none"]["regime_reason"].startswith("no turns")
    assert per["one"]["regime_reason"].startswith("a single turn")
    assert per["two"]["regime_reason"].startswith("2 turns")
    assert per["one"]["action_entropy"] is None and per["one"]["drift"]["final"] is None


def test_empty_input_gives_empty_results() -> None:
    steps, trajectories = frames([])
    result = dynamics_blocks(analyze_dynamics(steps, trajectories))
    assert result.per_trajectory == {} and result.groups == []
    assert result.summary["pass_k"] == [] and result.outcomes["reward"] is None
    assert dynamics(steps, trajectories).height == 0
    assert sensitivity(steps, trajectories).height == 0


def test_frames_views_agree_with_the_result() -> None:
    steps, trajectories = frames(mixed_runs())
    frame = dynamics(steps, trajectories, options=DynamicsOptions(shuffles=20))
    assert frame.columns == [K.TRAJECTORY_ID, *DYNAMICS_KEYS]
    assert frame.height == 10
    groups = sensitivity(steps, trajectories, options=DynamicsOptions(shuffles=20))
    assert sorted(groups["group"].to_list()) == ["t1", "t2", "t3"]
    assert turns(steps).height == sum(len(r.actions) for r in mixed_runs())


def test_regime_outcomes_name_the_regime_that_fails_more_often() -> None:
    rows = [{"regime": "looping", "loop": {"detected": True}}] * 10 + [{"regime": "unknown"}] * 30
    rewards = [0.0] * 9 + [1.0] + [1.0] * 20 + [0.0] * 10
    out = outcomes_json(regime_outcomes(rows, rewards, [None] * 40))
    assert out["reward"] == "binary"
    looping = next(c for c in out["by_regime"] if c["category"] == "looping")
    assert looping["failures"] == 9 and looping["failure_rate"] == pytest.approx(0.9)
    assert looping["fisher_p"] == pytest.approx(fisher_exact_p(9, 1, 10, 20))
    assert out["findings"][0].startswith("loop")  # "loop detected" / "looping" first, 90 % vs 33 %
    assert any(f.startswith("looping: 9 of 10 failed") for f in out["findings"])


def test_regime_outcomes_without_rewards_and_with_continuous_rewards() -> None:
    assert outcomes_json(regime_outcomes([{"regime": "unknown"}], [None], [None]))["reward"] is None
    out = outcomes_json(regime_outcomes([{"regime": "unknown"}, {"regime": "trapped"}], [0.3, 0.9], [None, None]))
    assert out["reward"] == "continuous" and "failure_rate" not in out["by_regime"][0]
    assert out["findings"][0].startswith("unknown: mean reward 0.3")
    binary_by_outcome = outcomes_json(
        regime_outcomes(
            [{"regime": "unknown"}, {"regime": "trapped"}], [None, None], [C.OUTCOME_SUCCESS, C.OUTCOME_FAILURE]
        )
    )
    assert binary_by_outcome["reward"] == "binary"


def test_fisher_exact_matches_known_values() -> None:
    assert fisher_exact_p(3, 1, 1, 3) == pytest.approx(0.4857142857)
    assert fisher_exact_p(10, 0, 0, 10) == pytest.approx(1.0825088224e-05)
    assert fisher_exact_p(1, 1, 1, 1) == pytest.approx(1.0)


def test_regime_rules_in_order() -> None:
    base = {"turns": 20, "action_entropy": 0.9, "laminarity": 0.2, "laminarity_p": 0.5}
    assert classify_regime({**base, "loop": {"final_run": 20}})[0] == "trapped"
    assert classify_regime({**base, "loop": {"final_run": 11}})[0] == "trapped"
    looping = {"detected": True, "period": 3, "onset_turn": 5, "repeats": 5, "p_value": 0.001, "final_run": 1}
    assert classify_regime({**base, "loop": looping})[0] == "looping"
    conv = {**base, "loop": {"final_run": 1}, "drift": {"step_trend_z": -2.5, "anchor_trend_z": 3.0}}
    assert classify_regime(conv)[0] == "convergent"
    diff = {**base, "loop": {"final_run": 1}, "drift": {"step_trend_z": 0.0, "anchor_trend_z": 3.0}}
    assert classify_regime(diff)[0] == "diffusive"
    regime, reason = classify_regime({**base, "loop": {"final_run": 1}})
    assert regime == "unknown" and "entropy 0.90" in reason
    # nothing repeats: said as such, with what the loop test could not have found at this length
    none = [{"n": 1, "repeated": 0, "of": 11}]
    regime, reason = classify_regime({**base, "turns": 11, "loop": {"final_run": 1}, "state_action_repeats": none})
    assert regime == "non_repeating" and "period 1 needs ≥ 19" in reason and "period 2" not in reason
    some = [{"n": 1, "repeated": 4, "of": 20}]
    regime, reason = classify_regime({**base, "loop": {"final_run": 1}, "state_action_repeats": some})
    assert regime == "unknown" and reason.startswith("4 of 20 turns repeat") and "cannot reach" not in reason


def test_min_loop_turns_is_the_shortest_length_where_the_detector_can_fire() -> None:
    import polars as pl

    from trajdyn.analyzer.metrics.dynamics import suffix_loop
    from trajdyn.analyzer.metrics.dynamics._regime import min_loop_turns

    for period in (1, 2, 3):
        n = min_loop_turns(period, 0.01)
        # the most favourable sequence: distinct symbols, then the block repeated as long as it pays
        best = []
        for length in (n - 1, n):
            found = False
            for r in range(2, length // period + 1):
                seq = [f"x{i}" for i in range(length - r * period)] + [f"b{u}" for u in range(period)] * r
                frame = pl.DataFrame(
                    {
                        "trajectory_id": ["t"] * length,
                        "turn": list(range(length)),
                        "action": seq,
                        "state": [0] * length,
                    },
                    schema={"trajectory_id": pl.Utf8, "turn": pl.Int64, "action": pl.Utf8, "state": pl.UInt64},
                )
                loop = suffix_loop(frame)["loop"][0]
                found = found or bool(loop["detected"] and loop["period"] == period)
            best.append(found)
        assert best == [False, True], (period, n)


def test_clawbench_constraint_index_is_the_eigenvalue_participation_ratio() -> None:
    rng = np.random.default_rng(3)
    feats = rng.normal(size=(5, 12, 10)) * rng.uniform(0.1, 2.0, size=10)
    got = constraint_index(feats)
    for i in range(5):
        eig = np.clip(np.linalg.eigvalsh(np.cov(feats[i].T)), 0, None)
        p = eig / eig.sum()
        assert got[i] == pytest.approx(1 - (1 / (p**2).sum() - 1) / 9)
    assert math.isnan(constraint_index(np.zeros((1, 5, 10)))[0])  # no variance: undefined, not ClawBench's 0.5
    assert tool_family("browser_click") == "browser" and tool_family("bash") == "execute"
    assert tool_family("cat_file") == "read" and tool_family("respond") == "execute"


def test_clawbench_cq_follows_its_formula() -> None:
    rng = np.random.default_rng(4)
    tasks = ["a", "b", "c", "d"]
    vectors = [rng.normal(size=(4, 16)) for _ in tasks]
    vectors = [v / np.linalg.norm(v, axis=1, keepdims=True) for v in vectors]
    models = [["m", "m", "n", "n"]] * 4
    out = cq_scores(tasks, vectors, models)
    pr = np.array([_participation_ratio(v) for v in vectors])
    cov_pr = [np.trace(np.cov(v.T)) ** 2 / np.trace(np.cov(v.T) @ np.cov(v.T)) for v in vectors]
    assert pr == pytest.approx(cov_pr)
    ent = np.array([_kernel_entropy(v) for v in vectors])
    for i, t in enumerate(tasks):
        z_pr = (pr[i] - pr.mean()) / pr.std()
        z_h = (ent[i] - ent.mean()) / ent.std()
        assert out[t]["z_PR"] == pytest.approx(z_pr) and out[t]["z_entropy"] == pytest.approx(z_h)
        assert out[t]["C_q"] == pytest.approx(-z_pr - z_h + out[t]["z_BOPS"])
    single = cq_scores(["x"], [np.ones((1, 4))], [["m"]])
    assert single["x"]["C_q"] is None
    # tasks of one model are scored stacked: the same numbers as one by one
    stacked = cq_scores(tasks, vectors, [["m"] * 4] * 4)
    for i, t in enumerate(tasks):
        assert stacked[t]["PR"] == pytest.approx(pr[i]) and stacked[t]["entropy"] == pytest.approx(ent[i])
        cos = vectors[i] @ vectors[i].T
        assert stacked[t]["BOPS"] == pytest.approx(cos[np.triu_indices(4, k=1)].mean())


def test_markdown_and_terminal_render_both_sections() -> None:
    rep = report(mixed_runs())
    text = render_markdown(rep, max_detail=2)
    assert "## Dynamics" in text and "## Sensitivity and regimes" in text
    assert "| loop (t2) | 28 | looping |" in text  # the summary row of every trajectory
    detailed = render_markdown(rep, max_detail=10)
    assert "| regime | looping: period-3 loop from turn 11 to the end, 5 repeats" in detailed
    assert "| regime | looping" not in text.split("### loop (t2)")[0]  # only the looping run says so
    assert "### Regimes and loops against reward" in text
    for width in (70, 160):
        console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
        render_terminal(rep, console, max_detail=1)
        out = console.export_text()
        assert "Dynamics — 10 trajectories" in out and "Sensitivity and regimes" in out
        assert max(len(line) for line in out.splitlines()) <= width


def test_options_reach_the_analysis_and_bad_ones_are_configuration_errors() -> None:
    rep = report(mixed_runs(), dynamics_window=4, shuffles=0)
    free = next(t for t in rep.trajectories if t["trajectory_id"] == "free0")["dynamics"]
    assert free["entropy_window"] == 4 and len(free["windowed_entropy"]) == 25 - 4 + 1
    assert free["lz_z"] is None and free["shuffles"] == 0
    from trajdyn.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="window"):
        report(mixed_runs(), dynamics_window=1)
    with pytest.raises(ConfigurationError, match="embeddings backend"):
        report(mixed_runs(), embeddings="word2vec")


def test_one_analysis_per_report_kept_on_the_report_not_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import trajdyn.analyzer.metrics.dynamics as dynamics_module

    calls: list[int] = []
    real = dynamics_module.analyze_dynamics

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dynamics_module, "analyze_dynamics", counting)
    first = report(mixed_runs(), shuffles=0)
    assert len(calls) == 1  # dynamics and sensitivity share one analysis
    second = report(mixed_runs()[:4], shuffles=0)
    assert len(calls) == 2  # a new report computes afresh: nothing is carried over from the first
    assert len(first.trajectories) == 10 and len(second.trajectories) == 4
    assert first.blocks["sensitivity"] != second.blocks["sensitivity"]

    import gc
    import weakref

    steps, trajectories = frames(mixed_runs())
    kept = weakref.ref(steps)
    build_report(steps, trajectories, generated_at=STAMP, options=[DynamicsOptions(shuffles=0)])
    del steps, trajectories
    gc.collect()
    assert kept() is None  # the report's frames are not held by a cache once the report is built


def test_compare_to_adds_deltas(tmp_path: Path) -> None:
    from trajdyn.analyzer.report import load_previous_report

    first = report(mixed_runs())
    old = tmp_path / "old.json"
    old.write_text(report_to_json(first), encoding="utf-8")
    steps, trajectories = frames(mixed_runs()[:5])
    second = build_report(
        steps,
        trajectories,
        generated_at=STAMP,
        options=ReportOptions(DynamicsOptions(shuffles=20)),
        previous=load_previous_report(old),
    )
    compare = second.blocks["sensitivity"]["compare"]  # type: ignore[index]
    assert compare["previous"] is True
    assert compare["regimes"]["trapped"] == 0 and "pass_k" in compare
    assert first.blocks["sensitivity"]["compare"] is None  # type: ignore[index]


def test_cli_flags_and_a_missing_embeddings_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trajdyn.analyzer import embeddings
    from trajdyn.cli.analyze import EXIT_OK, EXIT_USAGE, main
    from trajdyn.formats import ImportedStep, ImportedTrajectory, build_requests, write_jsonl

    traj = ImportedTrajectory(
        line=1,
        task_id="t",
        steps=[ImportedStep(line=i + 1, shape="propose", action=a, content=f"say {a}") for i, a in enumerate("abcab")],
    )
    spans = tmp_path / "spans.jsonl"
    write_jsonl(build_requests([traj], source=spans, format_name="test"), spans)
    out = tmp_path / "r.json"
    assert main([str(spans), "--json", str(out), "--dynamics-window", "3", "--shuffles", "0"]) == EXIT_OK
    doc = strict_loads(out.read_text())
    (entry,) = doc["trajectories"]
    assert entry["dynamics"]["entropy_window"] == 3 and entry["dynamics"]["shuffles"] == 0
    assert doc["sensitivity"]["embeddings"]["backend"] == "hashing"
    assert main([str(spans), "--shuffles", "1"]) == EXIT_USAGE
    capsys.readouterr()
    real = embeddings.importlib.util.find_spec

    def no_sentence_transformers(name: str, *args: Any) -> Any:
        return None if name == "sentence_transformers" else real(name, *args)

    monkeypatch.setattr(embeddings.importlib.util, "find_spec", no_sentence_transformers)
    assert main([str(spans), "--embeddings", "minilm", "--json", str(out)]) == EXIT_USAGE
    assert "pip install 'trajdyn[embeddings]'" in capsys.readouterr().err


def test_regime_outcomes_put_each_category_next_to_its_length() -> None:
    # long "unknown" runs fail, short "non_repeating" runs succeed: the finding must say the runs are longer
    rows = [{"regime": "unknown", "turns": 30}] * 6 + [{"regime": "non_repeating", "turns": 8}] * 10
    outcomes = [C.OUTCOME_FAILURE] * 6 + [C.OUTCOME_SUCCESS] * 8 + [C.OUTCOME_FAILURE] * 2
    typed = regime_outcomes(rows, [None] * 16, outcomes)
    frame = typed.categories.filter(pl.col("by") == "regime").sort("category")
    assert frame.select("category", "mean_turns", "rest_mean_turns").rows() == [
        ("non_repeating", 8.0, 30.0),
        ("unknown", 30.0, 8.0),
    ]
    out = outcomes_json(typed)
    unknown = next(c for c in out["by_regime"] if c["category"] == "unknown")
    assert unknown["mean_turns"] == 30 and unknown["rest_mean_turns"] == 8
    finding = next(f for f in out["findings"] if f.startswith("unknown"))
    assert "average 30 turns vs 8" in finding and "compare at equal length" in finding
