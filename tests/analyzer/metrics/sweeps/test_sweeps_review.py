"""Regressions from the review of the sweeps-from-spans feature (issue 14): each test plants a truth that the code
before the fix got wrong (reproductions in the review: unbalanced blocked designs, a run on a scenario no other value
ran, 3-value sweeps, categorical knobs, numeric strings, unscored runs, the accept rule, labels)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from trajdyn.analyzer.io._sweeps import SWEEP_CONSTANT_SCHEMA, SWEEP_PAIR_SCHEMA, SWEEP_POINT_SCHEMA, SweepData
from trajdyn.analyzer.metrics.sweeps import SweepSettings, analyze_sweeps
from trajdyn.analyzer.stats import blocked_noise

Point = tuple[str, str, float, str | None, str | None]
"""(constant, value, score, scenario, split)."""


def _data(points: list[Point], constants: list[dict[str, Any]] | None = None) -> SweepData:
    rows: list[dict[str, Any]] = []
    order: dict[tuple[str, str], int] = {}
    for c, v, score, scenario, split in points:
        order.setdefault((c, v), sum(1 for k in order if k[0] == c))
        rows.append(
            {
                "source": "spans",
                "constant": c,
                "value": v,
                "order": order[(c, v)],
                "score": score,
                "replicate": 0,
                "scenario": scenario,
                "split": split,
            }
        )
    return SweepData(
        pl.DataFrame(rows, schema=SWEEP_POINT_SCHEMA),
        pl.DataFrame(constants or [], schema=SWEEP_CONSTANT_SCHEMA),
        pl.DataFrame(schema=SWEEP_PAIR_SCHEMA),
        [],
    )


def _one(points: list[Point], constants: list[dict[str, Any]] | None = None, **settings: Any) -> dict[str, Any]:
    block = analyze_sweeps(_data(points, constants), SweepSettings(**settings))
    assert block is not None
    [c] = block["constants"]
    return c


# value A on s0..s3, B only on s0, s1, C only on s2, s3: connected through A, unbalanced
_UNBALANCED = [(0, s) for s in range(4)] + [(1, 0), (1, 1), (2, 2), (2, 3)]


def test_blocked_covariance_of_an_unbalanced_design_matches_the_hand_computation() -> None:
    """m_B − m_C is estimated as (B − A on s0, s1) − (C − A on s2, s3); each part is the mean of 2 cell-mean
    differences of 2 replicates each (variance σ²/2), so Var(m_B − m_C) = σ², not σ²(1/4 + 1/4) = σ²/2."""
    rng = np.random.default_rng(1)
    levels = [v for v, _ in _UNBALANCED for _ in range(2)]
    blocks = [s for _, s in _UNBALANCED for _ in range(2)]
    fit = blocked_noise(levels, blocks, list(rng.normal(0.0, 1.0, len(levels))), 3)
    assert fit is not None
    _, sigma, dof, cov = fit
    c = np.asarray(cov) / sigma**2
    assert dof == 16 - 3 - 4 + 1
    assert abs((c[1, 1] + c[2, 2] - 2 * c[1, 2]) - 1.0) < 1e-9
    assert abs((c[0, 0] + c[1, 1] - 2 * c[0, 1]) - 0.5) < 1e-9  # A − B: 2 shared scenarios, 2 + 2 replicates
    # balanced: the covariance is σ²/n on the diagonal, 0 off it
    bal = blocked_noise(
        [v for v in range(3) for _ in range(4)], [s for _ in range(3) for s in range(4)], list(rng.normal(0, 1, 12)), 3
    )
    assert bal is not None
    cb = np.asarray(bal[3]) / bal[1] ** 2
    assert np.allclose(cb, np.eye(3) / 4)


def test_null_false_sensitive_rate_of_an_unbalanced_blocked_design_is_at_most_alpha() -> None:
    """No value effect, scenario offsets SD 1, noise SD 0.1: the code before the fix called 11.5 % of 1000 draws
    sensitive (α = 0.05), its SEs ignoring that B and C share no scenario; now ≤ α within sampling error."""
    rng = np.random.default_rng(0)
    values = ("0.2", "0.1", "0.3")
    draws, hits = 300, 0
    for _ in range(draws):
        off = rng.normal(0.0, 1.0, 4)
        pts: list[Point] = [
            ("k", values[v], float(off[s] + rng.normal(0.0, 0.1)), f"s{s}", None)
            for v, s in _UNBALANCED
            for _ in range(2)
        ]
        c = _one(pts, min_effect=0.0, cliff_min_drop=0.0, cliff_gap_ratio=0.0)
        assert c["noise_source"] == "replicates-by-scenario"
        hits += c["sensitivity"] == "sensitive"
    # before: 0.115 (SE 0.018 at 300 draws); Bonferroni makes the test conservative, 0.05 + 2 SE of a 5 % rate
    assert hits / draws <= 0.05 + 2 * (0.05 * 0.95 / draws) ** 0.5


def test_a_run_on_a_scenario_no_other_value_ran_keeps_the_blocked_noise() -> None:
    """A planted drop of 0.065 at 0.3 → 0.4 under scenario offsets SD 0.1 and noise 0.01: found with blocked noise;
    one more run of 0.5 on a new scenario used to switch the whole constant to pooled noise (0.049) and lose it."""
    rng = np.random.default_rng(7)
    truth = {"0.1": 0.8, "0.2": 0.8, "0.3": 0.8, "0.4": 0.735, "0.5": 0.735}
    off = rng.normal(0.0, 0.1, 7)
    pts: list[Point] = [
        ("k", v, float(m + off[i] + rng.normal(0.0, 0.01)), f"s{i}", None) for v, m in truth.items() for i in range(6)
    ]
    base = _one(pts)
    extra = _one([*pts, ("k", "0.5", float(0.735 + off[6] + rng.normal(0, 0.01)), "s6", None)])
    for c in (base, extra):
        assert c["noise_source"] == "replicates-by-scenario"
        assert [(x["from"], x["to"]) for x in c["cliffs"]] == [("0.3", "0.4")]
        assert c["noise"] < 0.02
    assert (base["n_unblocked"], extra["n_unblocked"]) == (0, 1)
    assert extra["means"] == base["means"]  # the left-out score changes nothing


def test_a_three_value_sweep_can_have_a_cliff() -> None:
    """Means 0.70 / 0.80 / 0.20 with noise 0.01: the drop 0.6 (z ≈ 115) used to fail the gap-ratio gate (3 × the
    median of 2 gaps can never be reached) and the best value at the cliff's edge was accepted."""
    rng = np.random.default_rng(2)
    truth = {"0.1": 0.70, "0.2": 0.80, "0.3": 0.20}
    pts: list[Point] = [
        ("k", v, float(m + rng.normal(0, 0.01)), f"s{i}", "validation" if i >= 5 else None)
        for v, m in truth.items()
        for i in range(8)
    ]
    c = _one(pts, [{"source": "spans", "constant": "k", "default": "0.1"}])
    assert [(x["from"], x["to"]) for x in c["cliffs"]] == [("0.2", "0.3")]
    assert (c["best_value"], c["decision"]) == ("0.2", "reject")
    two = _one([p for p in pts if p[1] != "0.1"])
    assert [(x["from"], x["to"]) for x in two["cliffs"]] == [("0.2", "0.3")]


def test_categorical_values_have_no_cliffs_whatever_the_run_order() -> None:
    rng = np.random.default_rng(5)
    means = {"dense": 0.85, "bm25": 0.3, "hybrid": 0.6, "colbert": 0.6, "splade": 0.6}
    draws = {v: [float(means[v] + 0.1 * i + rng.normal(0, 0.01)) for i in range(6)] for v in means}
    out = []
    for order in (["dense", "bm25", "hybrid", "colbert", "splade"], ["bm25", "dense", "hybrid", "colbert", "splade"]):
        pts: list[Point] = [
            ("r", v, draws[v][i], f"s{i}", "validation" if i >= 3 else None) for v in order for i in range(6)
        ]
        out.append(_one(pts, [{"source": "spans", "constant": "r", "default": "hybrid"}]))
    for c in out:
        assert (c["ordered"], c["cliffs"], c["largest_drop"], c["cliff_distance"]) == (False, [], None, None)
        assert (c["best_value"], c["decision"]) == ("dense", "accept")
    assert out[0]["validation"] == out[1]["validation"]
    # without replicates: no curve to estimate noise from
    flat = _one([("r", v, m, None, None) for v, m in means.items()])
    assert (flat["sensitivity"], flat["noise_source"]) == ("insufficient-data", None)


def test_values_equal_as_numbers_are_one_value_and_match_the_default() -> None:
    """Spans from another tool spell one value "0.10" and "0.1", and the default "1.0" for runs of "1"."""
    rng = np.random.default_rng(3)
    truth = {"0.10": 0.5, "0.1": 0.5, "1": 0.9, "2": 0.4}
    pts: list[Point] = [
        ("k", v, float(m + rng.normal(0, 0.01)), f"s{i}", "validation" if i >= 3 else None)
        for v, m in truth.items()
        for i in range(6)
    ]
    c = _one(pts, [{"source": "spans", "constant": "k", "default": "0.10"}])
    assert c["values"] == ["0.1", "1", "2"]
    assert c["default"] == "0.1" and c["train_delta"] is not None and c["validation"] is not None
    d = _one(pts, [{"source": "spans", "constant": "k", "default": "1.0"}])
    assert (d["default"], d["decision"]) == ("1", "keep-default")
    one = _one([("k", "1.0", 0.5, None, None), ("k", "2.0", 0.4, None, None)])
    assert one["values"] == ["1.0", "2.0"]  # a value spelled one way keeps its spelling (popoto's "1.0")


def test_sweep_default_flag_is_canonicalised() -> None:
    from trajdyn.analyzer import SweepsOptions
    from trajdyn.cli.analyze import _options, build_parser

    args = build_parser().parse_args(["x.jsonl", "--sweep-default", "k=0.10", "--sweep-default", "m=bm25"])
    [opts] = [o for o in _options(args, None) if isinstance(o, SweepsOptions)]
    assert dict(opts.defaults) == {"k": "0.1", "m": "bm25"}


def test_runs_without_a_finite_score_are_counted_and_shown() -> None:
    """A NaN, an infinite and a missing reward used to vanish from the table (ok / errors / degenerate 1 / 0 / 0 of
    4 runs)."""
    from trajdyn.analyzer import _columns as K
    from trajdyn.analyzer.metrics.sweep_runs import sweep_runs
    from trajdyn.analyzer.report._sweeps import _notes, constant_row

    rewards = [0.5, float("nan"), float("inf"), None, 0.7]
    tr = pl.DataFrame(
        [
            {K.TRAJECTORY_ID: f"r{i}", K.HAS_ROOT: True, K.SWEEP_KNOB: "x", K.SWEEP_VALUE: str(i), K.REWARD: r}
            for i, r in enumerate(rewards)
        ]
        + [{K.TRAJECTORY_ID: "e", K.HAS_ROOT: True, K.SWEEP_KNOB: "x", K.SWEEP_VALUE: "9", K.STATUS_CODE: 2}],
        schema_overrides={K.REWARD: pl.Float64, K.STATUS_CODE: pl.Int8},
    )
    block = analyze_sweeps(sweep_runs(pl.DataFrame(schema={K.TRAJECTORY_ID: pl.Utf8}), tr))
    assert block is not None
    (c,) = block["constants"]
    assert (c["n_points"], c["n_errors"], c["n_degenerate"], c["n_unscored"], c["n_nonfinite"]) == (2, 1, 0, 3, 2)
    assert c["n_points"] + c["n_errors"] + c["n_degenerate"] + c["n_unscored"] == c["n_points_total"] == 6
    assert constant_row(c)[9] == "2 / 1 / 0 + 3 unscored"
    assert any("3 run(s) without a finite score (2 with a NaN or infinite reward)" in n for n in _notes(c))


def test_accept_rule_is_the_one_sided_lower_bound_like_the_ratchet() -> None:
    """The analyzer used the lower end of the central 1 − α interval (a one-sided 97.5 % bound) where the Ratchet
    and the issue use a one-sided 1 − α bound; the paired design with unequal replicates and a scenario run by the
    best value only (left out, and no longer counted in n_best)."""
    from scipy import stats

    from trajdyn.sweeps import Ratchet

    rng = np.random.default_rng(3)
    train: list[Point] = [
        ("k", v, float(m + rng.normal(0, 0.01)), f"s{i}", None)
        for v, m in (("a", 0.5), ("b", 0.7), ("c", 0.6))
        for i in range(3)
    ]
    val: list[Point] = []
    for i in range(4):
        off = float(rng.normal(0, 0.3))
        val += [("k", "b", 0.52 + off + float(rng.normal(0, 0.02)), f"v{i}", "validation") for _ in range(1 + i)]
        val += [("k", "a", 0.5 + off + float(rng.normal(0, 0.02)), f"v{i}", "validation")]
    val.append(("k", "b", 5.0, "v9", "validation"))
    c = _one(train + val, [{"source": "spans", "constant": "k", "default": "a"}])
    v = c["validation"]
    by: dict[str, dict[str, list[float]]] = {}
    for _, value, score, sc, _ in val:
        by.setdefault(str(sc), {}).setdefault(value, []).append(score)
    diffs = [float(np.mean(d["b"]) - np.mean(d["a"])) for _, d in sorted(by.items()) if "a" in d and "b" in d]
    sem = stats.sem(diffs)
    low = float(np.mean(diffs)) - stats.t.ppf(0.95, len(diffs) - 1) * sem
    assert v["method"] == "paired" and abs(v["ci"][0] - low) < 1e-12 and abs(v["delta"] - np.mean(diffs)) < 1e-12
    assert (v["confidence"], v["sided"], v["n_pairs"], v["n_best"], v["n_default"], v["n_unpaired"]) == (
        0.95,
        "one-sided",
        4,
        10,
        4,
        1,
    )
    ratchet = Ratchet(min_effect=0.01, confidence=0.95).decide(
        [float(np.mean(by[f"v{i}"]["b"])) for i in range(4)], [float(np.mean(by[f"v{i}"]["a"])) for i in range(4)]
    )
    assert abs(ratchet.ci_low - v["ci"][0]) < 1e-9
    assert ("one-sided 95 %" in c["reason"]) and (c["decision"] == ("accept" if low > 0.01 else "reject"))


def test_labels_for_one_value_validation_only_and_mixed_objectives() -> None:
    one = _one([("k", "1", 0.5, "s0", None), ("k", "1", 0.5, "s1", None), ("k", "1", 0.6, "s2", None)])
    assert one["sensitivity"] == "insufficient-data"  # was within-noise ("spread 0, z 0.00 <= inf")
    val_only = _one(
        [("k", v, 0.5, f"s{i}", "validation") for v in ("1", "2") for i in range(3)],
        [{"source": "spans", "constant": "k", "default": "1"}],
    )
    assert (val_only["decision"], val_only["reason"]) == (
        "reject",
        "no train runs: the best value is chosen on train runs only",
    )
    few = _one(
        [
            ("k", "1", 0.5, None, None),
            ("k", "2", 0.9, None, None),
            ("k", "3", 0.4, None, None),
            ("k", "2", 0.9, None, "validation"),
            ("k", "1", 0.5, None, "validation"),
            ("k", "1", 0.5, None, "validation"),
        ],
        [{"source": "spans", "constant": "k", "default": "1"}],
    )
    assert few["decision"] == "not-validated" and few["reason"].startswith(
        "too few validation scores (best 1, default 2"
    )
    mixed = _one(
        [("k", "1", 0.5, None, None)], [{"source": "spans", "constant": "k", "mixed_objectives": "maximize, minimize"}]
    )
    assert (
        mixed["objective_note"]
        == "the runs declare different objectives (maximize, minimize): the option's maximize applies"
    )


def test_sweep_runs_name_mixed_objectives() -> None:
    from trajdyn.analyzer import _columns as K
    from trajdyn.analyzer.metrics.sweep_runs import sweep_runs

    tr = pl.DataFrame(
        [
            {
                K.TRAJECTORY_ID: f"r{i}",
                K.HAS_ROOT: True,
                K.SWEEP_KNOB: "x",
                K.SWEEP_VALUE: str(i),
                K.REWARD: 0.5,
                K.OBJECTIVE: o,
            }
            for i, o in enumerate(["minimize", "maximize", "minimize"])
        ]
    )
    row = sweep_runs(pl.DataFrame(schema={K.TRAJECTORY_ID: pl.Utf8}), tr).constants.row(0, named=True)
    assert (row["objective"], row["mixed_objectives"]) == (None, "maximize, minimize")


def test_a_run_whose_root_was_lost_is_counted_as_documented() -> None:
    """The marker rule does not require the root: a rootless run (truncated file) whose step carries the marker and
    a knob is a sweep run, counted as unscored (its reward was on the root); without the marker it is not."""
    from trajdyn.analyzer import _columns as K
    from trajdyn.analyzer.metrics.sweep_runs import sweep_runs

    steps = pl.DataFrame(
        [{K.TRAJECTORY_ID: t, K.KNOB: "x", K.VALUE: "2"} for t in ("lost", "loop")],
    )
    tr = pl.DataFrame(
        [
            {K.TRAJECTORY_ID: "lost", K.HAS_ROOT: False, K.KNOB_DEFAULT: "1", "n_iterations": 1},
            {K.TRAJECTORY_ID: "loop", K.HAS_ROOT: False, K.KNOB_DEFAULT: None, "n_iterations": 1},
        ],
        schema_overrides={K.KNOB_DEFAULT: pl.Utf8},
    )
    row = sweep_runs(steps, tr).constants.row(0, named=True)
    assert (row["n_points_total"], row["n_unscored"], row["default"]) == (1, 1, "1")
