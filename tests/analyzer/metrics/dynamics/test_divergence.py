"""Divergence under prompt perturbation against planted truth: known rates, noise floor, saturation, edge cases."""

from __future__ import annotations

import json
import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analyzer._dynamics_frames import PlantedEmbedder, Run, frames
from trajdyn.analyzer.metrics.dynamics import DynamicsOptions, analyze_dynamics, pass_hat_k
from trajdyn.analyzer.metrics.dynamics._divergence import (
    bootstrap_mean,
    divergence_from_curves,
    divergence_of_group,
    pair_lambda,
)
from trajdyn.analyzer.report import to_json_value
from trajdyn.analyzer.report._dynamics import dynamics_blocks
from trajdyn.analyzer.stats import theil_sen_slope

DIM = 64


def test_theil_sen_ignores_outliers() -> None:
    x = np.arange(20, dtype=float)
    y = 0.3 * x + 1.0
    y[[3, 11, 17]] += [5.0, -7.0, 9.0]
    assert theil_sen_slope(x, y) == pytest.approx(0.3)
    assert math.isnan(theil_sen_slope(np.array([1.0, 1.0]), np.array([0.0, 2.0])))
    long_x = np.arange(2000, dtype=float)  # beyond 300 points: the median over a fixed sample of pairs
    long_y = 0.05 * long_x + np.random.default_rng(0).normal(size=2000)
    assert theil_sen_slope(long_x, long_y) == pytest.approx(0.05, rel=0.01)


def planted_curve(
    lam: float, theta0: float, n: int, sat: float, noise: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    t = np.arange(n)
    clean = np.minimum(theta0 * np.exp(lam * t), sat)
    return np.asarray(clean * np.exp(rng.normal(scale=noise, size=n)), dtype=np.float64)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 0.5), st.floats(1e-3, 0.05), st.integers(0, 10**6))
def test_rate_is_recovered_below_saturation(lam: float, theta0: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sat = 1.4
    theta = planted_curve(lam, theta0, 60, sat, 0.05, rng)
    estimate, why = pair_lambda(theta, floor=1e-3 / 2, ceiling=0.9 * sat)
    reachable = math.log(0.9 * sat / theta0) / lam
    if reachable < 4:  # saturates within three turns: too few points, and it says so
        assert math.isnan(estimate) == (why is not None)
        return
    assert why is None
    assert estimate == pytest.approx(lam, rel=0.25, abs=0.02)


def test_identical_starts_and_zero_distances_never_give_infinities() -> None:
    theta = np.array([0.0, 0.0, 0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.3, 1.4])
    estimate, why = pair_lambda(theta, floor=1e-3, ceiling=1.26)
    assert why is None and estimate == pytest.approx(math.log(2), rel=1e-6)
    estimate, why = pair_lambda(np.zeros(10), floor=1e-3, ceiling=1.26)
    assert math.isnan(estimate) and why == "never above the noise floor"


def test_group_divergence_from_planted_curves() -> None:
    """Replicates drift at 0.05/turn, reworded prompts at 0.25/turn: Δλ ≈ 0.2, divergence time and excess area."""
    rng = np.random.default_rng(0)
    n = 30
    rep = [planted_curve(0.05, 0.02, n, 1.4, 0.03, rng) for _ in range(3)]
    per = [planted_curve(0.25, 0.02, n, 1.4, 0.03, rng) for _ in range(4)]
    result = divergence_from_curves(
        [n] * 4,
        ["original", "original", "original", "reworded"],
        [(0, 1), (0, 2), (1, 2)],
        [(0, 3), (1, 3), (2, 3), (0, 3)],
        rep,
        per,
        np.full(50, 1.4),
    )
    assert result.replicate["lambda"] == pytest.approx(0.05, abs=0.02)
    info = result.perturbation
    assert info is not None
    assert info["lambda"] == pytest.approx(0.25, abs=0.04)
    assert info["delta_lambda"] == pytest.approx(0.2, abs=0.05)
    assert info["divergence_time"] is not None and info["divergence_time"] <= 8
    assert info["left_band"] == 1.0
    assert info["excess_area"] > 5.0
    assert result.noise_floor == pytest.approx(0.02, rel=0.1)
    assert result.saturation_angle == pytest.approx(1.4)


def test_missing_replicates_and_unequal_lengths_are_reported() -> None:
    rng = np.random.default_rng(1)
    result = divergence_from_curves(
        [10, 14], ["original", "reworded"], [], [(0, 1)], [], [planted_curve(0.2, 0.01, 10, 1.4, 0, rng)], np.zeros(0)
    )
    assert result.replicate["pairs"] == 0 and "no replicates" in result.replicate["reason"]
    assert result.perturbation is not None
    assert result.perturbation["delta_lambda"] is None
    assert "missing replicates" in result.perturbation["reason"]
    assert result.perturbation["truncated_pairs"] == 1
    assert result.saturation_angle == pytest.approx(math.pi / 2)  # no unrelated pair: the default
    json.dumps(to_json_value(result.to_dict()), allow_nan=False)


def orthonormal(rng: np.random.Generator, k: int) -> npt.NDArray[np.float64]:
    q, _ = np.linalg.qr(rng.normal(size=(DIM, k)))
    return np.asarray(q.T, dtype=np.float64)


def planted_runs(
    rng: np.random.Generator, n: int, lam_r: float, lam_p: float
) -> dict[str, list[npt.NDArray[np.float64]]]:
    """Three runs of the original prompt separating at lam_r, one reworded run separating at lam_p, per turn in fresh
    orthonormal directions (so that unrelated turns are orthogonal: saturation π/2)."""
    runs: dict[str, list[npt.NDArray[np.float64]]] = {k: [] for k in ("o1", "o2", "o3", "v1")}
    for t in range(n):
        u, w1, w2, w3 = orthonormal(rng, 4)
        r = min(0.01 * math.exp(lam_r * t), 1.3)
        p = min(0.01 * math.exp(lam_p * t), 1.3)
        runs["o1"].append(u)
        runs["o2"].append(math.cos(r) * u + math.sin(r) * w1)
        runs["o3"].append(math.cos(r) * u + math.sin(r) * w2)
        runs["v1"].append(math.cos(p) * u + math.sin(p) * w3)
    return runs


def analyse(runs: dict[str, list[npt.NDArray[np.float64]]], variants: dict[str, str]) -> dict[str, object]:
    vectors: dict[str, npt.NDArray[np.float64]] = {}
    table = []
    for tid, path in runs.items():
        texts = [f"{tid}-{t}" for t in range(len(path))]
        vectors.update(zip(texts, path, strict=True))
        table.append(Run(tid, ["act"] * len(path), texts=texts, group="g", variant=variants[tid], reward=1.0))
    steps, trajectories = frames(table)
    result = analyze_dynamics(
        steps,
        trajectories,
        embedder=PlantedEmbedder(vectors, DIM),
        options=DynamicsOptions(shuffles=0, min_centre_turns=10**9),
    )
    block = to_json_value(dynamics_blocks(result).sensitivity_block())
    json.dumps(block, allow_nan=False)
    assert isinstance(block, dict)
    return block


def test_end_to_end_planted_divergence_rates() -> None:
    rng = np.random.default_rng(42)
    block = analyse(
        planted_runs(rng, 40, 0.04, 0.2), {"o1": "original", "o2": "original", "o3": "original", "v1": "p1"}
    )
    (group,) = block["groups"]  # type: ignore[index]
    assert group["variants"] == {"original": 3, "p1": 1}
    assert group["replicates"]["pairs"] == 3 and group["perturbation"]["pairs"] == 3
    assert group["saturation_angle"] == pytest.approx(math.pi / 2, abs=0.05)
    assert group["replicates"]["lambda"] == pytest.approx(0.04, abs=0.015)
    assert group["perturbation"]["lambda"] == pytest.approx(0.2, abs=0.04)
    assert group["perturbation"]["delta_lambda"] == pytest.approx(0.16, abs=0.05)
    assert group["perturbation"]["divergence_time"] <= 3
    summary = block["summary"]  # type: ignore[index]
    assert summary["delta_lambda"]["n"] == 1 and summary["delta_lambda"]["too_little_data"]


def test_group_divergence_straight_from_vectors_agrees_with_the_report() -> None:
    rng = np.random.default_rng(7)
    runs = planted_runs(rng, 25, 0.05, 0.3)
    order = ["o1", "o2", "o3", "v1"]
    vectors = np.concatenate([np.stack(runs[k]) for k in order])
    result = divergence_of_group(vectors, [0, 25, 50, 75], [25] * 4, ["original", "original", "original", "p"], key="g")
    assert result.perturbation is not None
    assert result.perturbation["lambda"] == pytest.approx(0.3, abs=0.05)


def test_pass_hat_k_matches_the_tau_bench_definition() -> None:
    assert pass_hat_k(2, 4) == pytest.approx([0.5, 1 / 6, 0.0, 0.0])
    assert pass_hat_k(4, 4) == [1.0, 1.0, 1.0, 1.0]
    assert pass_hat_k(0, 3) == [0.0, 0.0, 0.0]


def test_bootstrap_mean_carries_its_uncertainty() -> None:
    values = [0.1, 0.2, 0.15, 0.3, 0.05, 0.25, float("nan"), None]
    out = bootstrap_mean(values, seed=1)  # type: ignore[arg-type]
    assert out["n"] == 6 and not out["too_little_data"]
    lo, hi = out["ci"]
    assert lo <= out["mean"] <= hi
    assert bootstrap_mean([]) == {"mean": None, "ci": None, "n": 0, "too_little_data": True}
    assert bootstrap_mean([0.4])["ci"] is None
