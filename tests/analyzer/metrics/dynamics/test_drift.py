"""Semantic drift against planted truth: angles, random walks on the sphere, trends, mean-centring, regimes."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analyzer._dynamics_frames import PlantedEmbedder, Run, frames
from trajdyn.analyzer.metrics.dynamics import DynamicsOptions, analyze_dynamics
from trajdyn.analyzer.metrics.dynamics._drift import angles
from trajdyn.analyzer.report._dynamics import dynamics_blocks
from trajdyn.analyzer.stats import mann_kendall_z

DIM = 48


def unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def rotate_towards(u: npt.NDArray[np.float64], angle: float, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A unit vector at exactly ``angle`` from unit ``u``, in a random direction."""
    w = rng.normal(size=u.shape)
    w = unit(w - (w @ u) * u)
    return math.cos(angle) * u + math.sin(angle) * w


def walk(steps: list[float], rng: np.random.Generator) -> list[npt.NDArray[np.float64]]:
    """A walk on the unit sphere whose t-th step has exactly angle ``steps[t]``."""
    out = [unit(rng.normal(size=DIM))]
    for a in steps:
        out.append(rotate_towards(out[-1], a, rng))
    return out


def run_walks(walks: dict[str, list[npt.NDArray[np.float64]]], **options: object) -> dict[str, dict[str, object]]:
    vectors: dict[str, npt.NDArray[np.float64]] = {}
    runs = []
    for tid, path in walks.items():
        texts = [f"{tid}-{t}" for t in range(len(path))]
        vectors.update(zip(texts, path, strict=True))
        runs.append(Run(tid, ["act"] * len(path), texts=texts, task_id=tid, observations=texts))
    steps, trajectories = frames(runs)
    opts = DynamicsOptions(shuffles=0, min_centre_turns=10**9, **options)  # type: ignore[arg-type]
    result = analyze_dynamics(steps, trajectories, embedder=PlantedEmbedder(vectors, DIM), options=opts)
    return dynamics_blocks(result).per_trajectory


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, math.pi))
def test_angle_is_the_geodesic_distance(seed: int, angle: float) -> None:
    rng = np.random.default_rng(seed)
    u = unit(rng.normal(size=8))
    v = rotate_towards(u, angle, rng)
    got = angles(u[None, :], v[None, :])[0]
    assert got == pytest.approx(angle, abs=1e-9)


def test_small_angles_are_resolved_and_zero_vectors_follow_the_convention() -> None:
    rng = np.random.default_rng(0)
    u = unit(rng.normal(size=8))
    v = rotate_towards(u, 1e-6, rng)
    assert angles(u[None, :], v[None, :])[0] == pytest.approx(1e-6, rel=1e-3)  # arccos(u·v) would give ~1.5e-8 off
    zero = np.zeros((1, 8))
    assert angles(zero, zero)[0] == 0.0
    assert angles(zero, u[None, :])[0] == pytest.approx(math.pi / 2)


def test_constant_step_walk_has_known_steps_path_and_tortuosity() -> None:
    rng = np.random.default_rng(1)
    path = walk([0.2] * 30, rng)
    drift = run_walks({"w": path})["w"]["drift"]
    assert drift["step"] == pytest.approx([0.2] * 30, abs=1e-5)  # type: ignore[index]
    assert drift["path_length"] == pytest.approx(6.0, abs=1e-4)  # type: ignore[index]
    assert drift["tortuosity"] >= 1.0  # type: ignore[index,operator]
    assert drift["anchor"][0] == 0.0  # type: ignore[index]
    assert drift["final"] == pytest.approx(drift["anchor"][-1])  # type: ignore[index]


def test_drifting_walk_is_diffusive_and_shrinking_steps_are_convergent() -> None:
    rng = np.random.default_rng(2)
    # a walk that keeps moving away: each step rotates further from the start along a great circle with wobble
    start = unit(rng.normal(size=DIM))
    away = unit(rng.normal(size=DIM) - (rng.normal(size=DIM) @ start) * start)
    away = unit(away - (away @ start) * start)
    drifting = []
    for t in range(30):
        base = math.cos(0.05 * t) * start + math.sin(0.05 * t) * away
        drifting.append(rotate_towards(base, 0.02, rng))
    settling = walk([0.8 * 0.85**t for t in range(29)], rng)
    rows = run_walks({"drifting": drifting, "settling": settling})
    assert rows["drifting"]["regime"] == "diffusive", rows["drifting"]["regime_reason"]
    assert rows["settling"]["regime"] == "convergent", rows["settling"]["regime_reason"]


def test_trend_tests_hold_their_level_on_iid_series_and_on_steps_of_iid_vectors() -> None:
    rng = np.random.default_rng(3)
    iid = rng.normal(size=(2000, 30))
    assert np.mean(np.abs(mann_kendall_z(iid)) >= 1.96) <= 0.07
    # steps between consecutive i.i.d. unit vectors share a vector: positively correlated, the corrected test holds
    steps = []
    for _ in range(1000):
        v = rng.normal(size=(31, 16))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        steps.append(angles(v[1:], v[:-1]))
    assert np.mean(mann_kendall_z(np.array(steps)) <= -1.96) <= 0.04  # one-sided nominal 2.5 %


def test_trend_is_null_below_four_points_and_detects_a_planted_trend() -> None:
    assert math.isnan(mann_kendall_z(np.array([[1.0, 2.0, 3.0]]))[0])
    rng = np.random.default_rng(4)
    trend = np.arange(30) * 0.1 + rng.normal(scale=0.3, size=(50, 30))
    assert np.mean(mann_kendall_z(trend) >= 1.96) >= 0.9


def test_mean_centring_removes_a_shared_direction() -> None:
    """All texts share a strong common component: raw angles are small, centred angles recover the planted ones."""
    rng = np.random.default_rng(5)
    common = unit(rng.normal(size=DIM)) * 3.0
    walks = {f"w{i}": [v + common for v in walk([0.9] * 20, rng)] for i in range(12)}
    raw = run_walks(walks)
    vectors: dict[str, npt.NDArray[np.float64]] = {}
    runs = []
    for tid, path in walks.items():
        texts = [f"{tid}-{t}" for t in range(len(path))]
        vectors.update(zip(texts, path, strict=True))
        runs.append(Run(tid, ["act"] * len(path), texts=texts, task_id=tid))
    steps, trajectories = frames(runs)
    centred = dynamics_blocks(
        analyze_dynamics(
            steps,
            trajectories,
            embedder=PlantedEmbedder(vectors, DIM),
            options=DynamicsOptions(shuffles=0, min_centre_turns=100),
        )
    ).per_trajectory
    raw_step = np.mean([np.mean(r["drift"]["step"]) for r in raw.values()])  # type: ignore[index]
    centred_step = np.mean([np.mean(r["drift"]["step"]) for r in centred.values()])  # type: ignore[index]
    assert all(r["drift"]["centred"] for r in centred.values())  # type: ignore[index]
    assert not any(r["drift"]["centred"] for r in raw.values())  # type: ignore[index]
    assert raw_step < 0.4 < centred_step
    assert centred_step == pytest.approx(0.9, abs=0.15)


def test_without_content_drift_falls_back_to_actions_and_says_so() -> None:
    steps, trajectories = frames([Run("a", ["search", "read", "search", "edit"]), Run("b", ["x", "x", "y"])])
    rows = dynamics_blocks(analyze_dynamics(steps, trajectories, options=DynamicsOptions(shuffles=0))).per_trajectory
    assert rows["a"]["drift"]["basis"] == "action"  # type: ignore[index]
    assert rows["a"]["drift"]["step"][0] > 0 and rows["b"]["drift"]["step"][0] == 0.0  # type: ignore[index]
