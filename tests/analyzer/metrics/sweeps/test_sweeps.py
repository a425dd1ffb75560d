"""The sweeps family against planted truth (sigmoid drops of known location and width plus noise, flat and linear
nulls, rises) and popoto's real summaries (the 0.144 drop just under popoto's own 0.15 threshold)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from trajdyn.analyzer.io import read_sweeps
from trajdyn.analyzer.io._sweeps import SWEEP_CONSTANT_SCHEMA, SWEEP_PAIR_SCHEMA, SWEEP_POINT_SCHEMA, SweepData
from trajdyn.analyzer.metrics.sweeps import SweepSettings, analyze_sweeps
from trajdyn.analyzer.stats import pseudo_residual_sd

X = np.linspace(0.0, 1.0, 11)


def _data(curves: dict[str, np.ndarray], replicates: np.ndarray | None = None) -> SweepData:
    import polars as pl

    rows: list[dict[str, Any]] = []
    for name, ys in curves.items():
        for order, (x, y) in enumerate(zip(X, ys, strict=True)):
            if replicates is None:
                rows.append(
                    {"source": "s", "constant": name, "value": repr(float(x)), "order": order, "score": float(y)}
                )
            else:
                for r, noise in enumerate(replicates[order]):
                    rows.append(
                        {
                            "source": "s",
                            "constant": name,
                            "value": repr(float(x)),
                            "order": order,
                            "score": float(y + noise),
                            "replicate": r,
                        }
                    )
    return SweepData(
        pl.DataFrame(rows, schema=SWEEP_POINT_SCHEMA),
        pl.DataFrame(schema=SWEEP_CONSTANT_SCHEMA),
        pl.DataFrame(schema=SWEEP_PAIR_SCHEMA),
        [],
    )


def _sigmoid(center: float, width: float, height: float, *, rise: bool = False) -> np.ndarray:
    s = height / (1.0 + np.exp(-(X - center) / width))
    return 0.5 + s if rise else 0.9 - s


def _by_name(block: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    assert block is not None
    return {c["name"]: c for c in block["constants"]}


def test_pseudo_residual_sd_recovers_planted_noise() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 400)
    est = [pseudo_residual_sd(x, 0.3 * x + rng.normal(0, 0.02, x.size)) for _ in range(20)]
    assert np.mean([e for e in est if e is not None]) == pytest.approx(0.02, rel=0.08)
    assert pseudo_residual_sd([0.0, 1.0], [1.0, 2.0]) is None
    assert pseudo_residual_sd([0.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == 0.0


def test_planted_cliffs_are_found_where_planted_and_nowhere_else() -> None:
    """A steep sigmoid drop of 0.3 at 0.45 (width 0.01) with replicate noise: one cliff, at 0.4→0.5, over 200
    noise draws; flat and linear nulls and a planted rise never give one."""
    rng = np.random.default_rng(2026)
    found_at: dict[tuple[str, str], int] = {}
    false_null = rises = 0
    for _ in range(200):
        reps = rng.normal(0, 0.02, (X.size, 4))
        data = _data(
            {
                "drop": _sigmoid(0.45, 0.01, 0.3),
                "flat": np.full(X.size, 0.7),
                "linear": 0.9 - 0.05 * X,
                "rise": _sigmoid(0.45, 0.01, 0.3, rise=True),
            },
            replicates=reps,
        )
        got = _by_name(analyze_sweeps(data))
        for cliff in got["drop"]["cliffs"]:
            key = (cliff["from"], cliff["to"])
            found_at[key] = found_at.get(key, 0) + 1
        false_null += len(got["flat"]["cliffs"]) + len(got["linear"]["cliffs"])
        rises += len(got["rise"]["cliffs"])
        assert got["drop"]["noise_source"] == "replicates"
    assert found_at.get(("0.4", "0.5"), 0) >= 195
    assert sum(v for k, v in found_at.items() if k != ("0.4", "0.5")) == 0
    assert false_null == 0 and rises == 0


def test_curve_noise_without_replicates_and_sensitivity_labels() -> None:
    rng = np.random.default_rng(7)
    flat_hits = drop_hits = 0
    for _ in range(200):
        data = _data(
            {
                "drop": _sigmoid(0.45, 0.01, 0.3) + rng.normal(0, 0.01, X.size),
                "flat": 0.7 + rng.normal(0, 0.01, X.size),
            }
        )
        got = _by_name(analyze_sweeps(data))
        assert got["drop"]["noise_source"] == "curve"
        drop_hits += got["drop"]["sensitivity"] == "sensitive"
        assert [(c["from"], c["to"]) for c in got["drop"]["cliffs"]] in ([("0.4", "0.5")], [])
        flat_hits += got["flat"]["sensitivity"] == "sensitive"
        assert got["flat"]["cliffs"] == []
    assert flat_hits <= 10  # α = 0.05 family-wise, and the min_effect gate on top
    assert drop_hits >= 160  # power with curve noise only (0.37·9 dof): 173/200 measured; replicates do better


def test_minimize_flips_the_harmful_direction() -> None:
    data = _data({"loss": _sigmoid(0.45, 0.01, 0.3, rise=True)}, replicates=np.zeros((X.size, 3)))
    assert _by_name(analyze_sweeps(data))["loss"]["cliffs"] == []  # a planted rise is never a cliff, maximised
    got = _by_name(analyze_sweeps(data, SweepSettings(objective="minimize")))["loss"]
    assert [(c["from"], c["to"]) for c in got["cliffs"]] == [("0.4", "0.5")]  # a rise of a loss is harmful
    assert got["best_value"] == "0.0"


def test_default_proposal_and_next_to_cliff_rejection() -> None:
    data = _data({"k": _sigmoid(0.45, 0.01, 0.3)}, replicates=np.random.default_rng(3).normal(0, 0.01, (X.size, 3)))
    got = _by_name(analyze_sweeps(data, SweepSettings(defaults=(("k", "0.8"),))))["k"]
    assert got["default"] == "0.8" and got["train_delta"] > 0.25 and got["decision"] == "not-validated"
    assert "k: 0.8 -> " in got["proposal"] and "NOT-VALIDATED" in got["proposal"]
    assert got["cliff_distance"]["steps"] >= 0


def test_popoto_real_summaries(external: Path) -> None:
    data, counts = read_sweeps([str(external / "popoto-sweep_20260420_051055.json")])
    assert counts == [(174, 0)]
    got = _by_name(analyze_sweeps(data))
    w = got["initial_weight"]
    # the real 0.144 drop, just under popoto's own |Δ| ≥ 0.15 rule: reported with its z either way
    assert w["largest_drop"]["from"] == "0.01" and w["largest_drop"]["to"] == "0.05"
    assert w["largest_drop"]["delta"] == pytest.approx(0.144154, abs=1e-6)
    assert w["largest_drop"]["z"] == pytest.approx(2.19, abs=0.01)
    # one-sided at 0.05/4, Student t with 0.37·(5 − 2) degrees of freedom: 5 points without replicates
    assert w["largest_drop"]["z_threshold"] == pytest.approx(float(stats.t.isf(0.0125, 0.37 * 3)), rel=1e-9)
    assert not w["largest_drop"]["cliff"] and w["cliffs"] == []
    assert (w["n_points"], w["n_errors"], w["n_degenerate"]) == (72, 10, 8)  # counted, never dropped
    assert got["TD_ALPHA"]["sensitivity"] == "within-noise" and got["TD_ALPHA"]["spread"] == 0
    old = _by_name(analyze_sweeps(read_sweeps([str(external / "popoto-sweep_20260325_151421.json")])[0]))
    # popoto flagged default_importance 0.1→0.3 (|Δ| = 1.0), a rise: never a cliff here
    assert old["default_importance"]["reported"]["cliffs"] == [[0.1, 0.3, 1.0]]
    assert old["default_importance"]["cliffs"] == []
    # ACTED_CYCLE_STRENGTHEN_FACTOR falls 0.227 from 1.0 to 1.2 on an exactly flat curve: a cliff, z infinite
    acf = old["ACTED_CYCLE_STRENGTHEN_FACTOR"]
    assert [(c["from"], c["to"], c["z"]) for c in acf["cliffs"]] == [("1.0", "1.2", None)]
    assert math.isclose(acf["cliffs"][0]["delta"], 0.22686023987713977, abs_tol=1e-12)
    assert old["score_weights"]["values"][0] == '{"relevance":1.0}'


def test_pairwise_lists_the_full_grid(external: Path) -> None:
    """popoto's older file: each two-constant grid's 9 cells are listed, their counts add up to the points read, the
    best and worst are among them, and each cell's SD is that of its points."""
    data, _ = read_sweeps([str(external / "popoto-sweep_20260325_151421.json")])
    block = analyze_sweeps(data)
    assert block is not None and len(block["pairwise"]) == 9
    for p in block["pairwise"]:
        cells = p["cells"]
        assert len(cells) == p["n_cells"] == 9 and sum(c["n"] for c in cells) == p["n_points"]
        assert max(c["mean"] for c in cells) == p["best"]["score"]
        assert min(c["mean"] for c in cells) == p["worst"]["score"]
    first = block["pairwise"][0]
    cell = first["cells"][0]
    scores = data.pairs.filter(
        (data.pairs["pair"] == first["name"])
        & (data.pairs["value_a"] == cell["value_a"])
        & (data.pairs["value_b"] == cell["value_b"])
    )["score"].to_list()
    assert cell["sd"] == pytest.approx(float(np.std(scores, ddof=1)), abs=1e-12)
