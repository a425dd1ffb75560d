"""Sensitivity of a task: how fast two runs diverge, with and without a reworded prompt; outcome consistency.

Definitions below, mirrored in ``docs/metrics/dynamics.md`` (Per task).

A *group* is one task under one agent/model: the trajectories sharing ``trajdyn.perturbation.group`` (else
``trajdyn.task.id``) and the same model and agent name. Within it, trajectories with the same
``trajdyn.perturbation.variant`` (missing = ``original``) are *replicates* (the same prompt run again); two
trajectories with different variants form a *perturbed* pair.

For a pair (A, B): ``θ_t`` = angle between their turn-t vectors (:mod:`._drift`: centred, unit), for
``t < min(n_A, n_B)`` — unequal runs are truncated to the shorter one (counted in ``truncated_pairs``).

==================  ===============================================================================================
quantity            definition
==================  ===============================================================================================
resolution ε        angles ≤ ε (default 1e-3 rad) are zero distance: the two turns are the same text
noise floor δ       ``max(ε, median θ_0 over the replicate pairs)``: how far apart two runs of the same prompt already
                    are at their first turn (ε when the group has no replicate pair)
saturation θ_sat    median angle between turns of different runs of the group at different turn indices (all such
                    pairs when there are at most 256, else 256 pairs drawn from a counter-based stream keyed by the group
                    and the seed): how far apart unrelated turns of this task are; π/2 when it cannot be estimated
λ̂ (per pair)        Theil–Sen slope (Theil 1950; Sen 1968) of ``ln θ_t`` against t over the fit window — from the first
                    turn with θ_t > δ up to (excluding) the first later turn at or above the pair's ceiling
                    ``0.9 · min(θ_sat, 90th percentile of the pair's θ)`` (a pair may level off below θ_sat) — using
                    the turns of the window with θ_t > δ; needs 3 such turns. Per turn; it ranks tasks by how fast runs separate, it is
                    not a calibrated Lyapunov exponent. Identical starts (θ_0 = 0) are simply below the floor: no
                    division by a floored distance (ClawBench's proxy jumps by ≈ 13.8/t there)
λ_replicate         median λ̂ over the replicate pairs; λ_perturbed likewise over the perturbed pairs
Δλ                  λ_perturbed − λ_replicate (the same fit window rule for both kinds, so that like is compared with
                    like)
replicate band      ``band_t`` = the largest replicate θ_t at turn t
divergence time     per perturbed pair, the first turn with θ_t above the replicate band; the group reports the median
                    over the pairs that left the band and the fraction that did
excess area         Σ_t (mean perturbed θ_t − mean replicate θ_t) over the turns both curves cover (radian·turns;
                    negative: the reworded prompt made runs no more different than re-running did)
pass^k              for binary rewards (all rewards 0 or 1; else outcome success/failure), per group and variant with
                    n runs and c successes: ``C(c, k) / C(n, k)``, k = 1..n (Yao et al. 2024, τ-bench)
==================  ===============================================================================================

Across groups (the report's summary): the mean of the per-group Δλ (and of λ_replicate) with a percentile bootstrap
CI that resamples groups (tasks), 2000 resamples, fixed seed; ``too_little_data`` below 5 groups. pass^k across
groups: the mean over (group, variant) cells with at least k runs — the τ-bench leaderboard number.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from trajdyn import conventions as C
from trajdyn.analyzer.metrics.dynamics._drift import HALF_PI, angles
from trajdyn.analyzer.stats import mean_interval, theil_sen_slope

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "RESOLUTION",
    "SATURATION_FRACTION",
    "GroupDivergence",
    "bootstrap_mean",
    "divergence_from_curves",
    "divergence_of_group",
    "group_hash",
    "is_success",
    "pair_lambda",
    "pairs_of_group",
    "pass_hat_k",
    "saturation_pairs",
]

RESOLUTION: Final = 1e-3
SATURATION_FRACTION: Final = 0.9
SATURATION_SAMPLES: Final = 256
MAX_PAIRS: Final = 500
BOOTSTRAP: Final = 2000
MIN_GROUPS: Final = 5


def pair_lambda(theta: npt.NDArray[np.float64], floor: float, ceiling: float) -> tuple[float, str | None]:
    """λ̂ of one pair's angle series (module docstring) and, when undefined, why."""
    above = theta > floor
    if not above.any():
        return math.nan, "never above the noise floor"
    first = int(above.argmax())
    saturated = np.flatnonzero(theta[first:] >= ceiling)
    end = first + int(saturated[0]) if saturated.size else theta.shape[0]
    window = np.arange(first, end)
    window = window[theta[window] > floor]
    if window.size < 3:
        return math.nan, "fewer than 3 turns between the noise floor and saturation"
    return theil_sen_slope(window.astype(np.float64), np.log(theta[window])), None


@dataclass
class GroupDivergence:
    """One group's replicate and perturbation divergence (the ``replicates`` / ``perturbation`` structs of the
    per-task frame; :meth:`to_dict` gives them as plain values)."""

    noise_floor: float
    saturation_angle: float
    replicate: dict[str, Any] = field(default_factory=dict)
    perturbation: dict[str, Any] | None = None
    replicate_lambda: float = math.nan
    delta_lambda: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "noise_floor": self.noise_floor,
            "saturation_angle": self.saturation_angle,
            "replicates": self.replicate,
            "perturbation": self.perturbation,
        }


def _q90(curve: npt.NDArray[np.float64]) -> float:
    """The 90th percentile of a curve (linear interpolation, as numpy's default); +inf for an empty one."""
    if curve.size == 0:
        return math.inf
    ordered = np.sort(curve)
    pos = 0.9 * (ordered.size - 1)
    lo = int(pos)
    hi = min(lo + 1, ordered.size - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def _mean_curve(curves: Sequence[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    if not curves:
        return np.zeros(0)
    width = max(c.shape[0] for c in curves)
    total = np.zeros(width)
    count = np.zeros(width)
    for c in curves:
        total[: c.shape[0]] += c
        count[: c.shape[0]] += 1
    return total / np.maximum(count, 1)


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a counter-based hash, so that draws need no generator state."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def group_hash(key: str, seed: int) -> int:
    """A 64-bit number identifying (group key, seed): the stream every random draw of that group comes from."""
    return (zlib.crc32(key.encode("utf-8")) << 24) ^ (seed & 0xFFFFFF)


def sample_rows(stream: int, size: int, count: int, salt: int) -> npt.NDArray[np.int64]:
    """``count`` row indices in ``[0, size)`` from the counter-based stream ``stream`` (``salt`` separates uses)."""
    counter = np.arange(count, dtype=np.uint64) + np.uint64((salt & 0xFFFF) << 40)
    with np.errstate(over="ignore"):
        draws = _splitmix64(counter ^ np.uint64(stream & 0xFFFFFFFFFFFFFFFF))
    return (draws % np.uint64(max(size, 1))).astype(np.int64)


def pairs_of_group(
    lengths: Sequence[int], variants: Sequence[str], *, stream: int = 0, max_pairs: int = MAX_PAIRS
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(replicate pairs, perturbed pairs)`` of a group's trajectories with turns, at most ``max_pairs`` of each kind
    (a deterministic sample from ``stream`` beyond that)."""
    idx = [i for i, n in enumerate(lengths) if n > 0]
    replicate: list[tuple[int, int]] = []
    perturbed: list[tuple[int, int]] = []
    for a_pos, a in enumerate(idx):
        for b in idx[a_pos + 1 :]:
            (replicate if variants[a] == variants[b] else perturbed).append((a, b))
    out = []
    for salt, pairs in ((1, replicate), (2, perturbed)):
        if len(pairs) > max_pairs:
            order = np.argsort(sample_rows(stream, 1 << 62, len(pairs), salt), kind="stable")[:max_pairs]
            pairs = [pairs[int(i)] for i in np.sort(order)]
        out.append(pairs)
    return out[0], out[1]


def saturation_pairs(
    starts: Sequence[int], lengths: Sequence[int], *, stream: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row pairs (i, j) of turns of different runs at different turn indices, for the saturation angle.

    All such pairs when there are at most :data:`SATURATION_SAMPLES`, else that many drawn from ``stream``.
    """
    keep = [k for k, n in enumerate(lengths) if n > 0]
    if len(keep) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(keep)), [lengths[k] for k in keep])
    turn = np.concatenate([np.arange(lengths[k]) for k in keep])
    rows = np.concatenate([np.arange(starts[k], starts[k] + lengths[k]) for k in keep])
    total = rows.shape[0]
    if total * (total - 1) // 2 <= SATURATION_SAMPLES:
        i, j = np.triu_indices(total, k=1)
    else:
        i = sample_rows(stream, total, SATURATION_SAMPLES, 3)
        j = sample_rows(stream, total, SATURATION_SAMPLES, 4)
    ok = (owner[i] != owner[j]) & (turn[i] != turn[j])
    return rows[i[ok]], rows[j[ok]]


def divergence_from_curves(
    lengths: Sequence[int],
    variants: Sequence[str],
    replicate_pairs: Sequence[tuple[int, int]],
    perturbed_pairs: Sequence[tuple[int, int]],
    replicate_curves: Sequence[npt.NDArray[np.float64]],
    perturbed_curves: Sequence[npt.NDArray[np.float64]],
    saturation_angles: npt.NDArray[np.float64],
    *,
    resolution: float = RESOLUTION,
    saturation_fraction: float = SATURATION_FRACTION,
) -> GroupDivergence:
    """Replicate and perturbation divergence of one group from its pairs' angle curves (module docstring).

    ``*_curves[k]``: θ_t of pair k for t < the shorter run; ``saturation_angles``: angles between turns of different
    runs at different turn indices (their median is θ_sat; π/2 when empty).
    """
    saturation = float(np.median(saturation_angles)) if saturation_angles.size else HALF_PI
    starts0 = [float(c[0]) for c in replicate_curves if c.shape[0]]
    floor = max(resolution, float(np.median(starts0))) if starts0 else resolution
    ceiling = saturation_fraction * saturation
    out = GroupDivergence(noise_floor=floor, saturation_angle=saturation)

    def describe(pairs: Sequence[tuple[int, int]], curves: Sequence[npt.NDArray[np.float64]]) -> dict[str, Any]:
        fitted = [pair_lambda(c, floor, min(ceiling, saturation_fraction * _q90(c))) for c in curves]
        lambdas = [lam for lam, _ in fitted]
        finite = [v for v in lambdas if math.isfinite(v)]
        reasons = sorted({why for _, why in fitted if why is not None})
        compared = [c.shape[0] for c in curves]
        everything = np.concatenate(curves) if curves else np.zeros(0)
        return {
            "pairs": len(pairs),
            "truncated_pairs": sum(1 for a, b in pairs if lengths[a] != lengths[b]),
            "turns_compared": float(np.mean(compared)) if compared else None,
            "identical_starts": sum(1 for c in curves if c.shape[0] and c[0] <= resolution),
            "zero_distance_turns": int((everything <= resolution).sum()),
            "mean_angle": float(everything.mean()) if everything.size else None,
            "lambda": float(np.median(finite)) if finite else None,
            "lambda_pairs": len(finite),
            "lambda_iqr": [float(np.percentile(finite, 25)), float(np.percentile(finite, 75))] if finite else None,
            "why_undefined": [] if finite else reasons,
        }

    band: npt.NDArray[np.float64] = np.zeros(0)
    if replicate_curves:
        width = max(c.shape[0] for c in replicate_curves)
        band = np.full(width, -np.inf)
        for c in replicate_curves:
            band[: c.shape[0]] = np.maximum(band[: c.shape[0]], c)
        out.replicate = {**describe(replicate_pairs, replicate_curves), "band": band.tolist()}
        lam = out.replicate["lambda"]
        out.replicate_lambda = lam if lam is not None else math.nan
    else:
        out.replicate = {"pairs": 0, "reason": "no replicates: no two runs of the same prompt variant"}
    if not perturbed_pairs:
        return out
    info = describe(perturbed_pairs, perturbed_curves)
    info["variants"] = sorted({variants[i] for pair in perturbed_pairs for i in pair})
    if not replicate_curves:
        info.update(
            delta_lambda=None,
            divergence_time=None,
            left_band=None,
            excess_area=None,
            reason="missing replicates: no baseline for the perturbed pairs (run each variant at least twice)",
        )
        out.perturbation = info
        return out
    times: list[int] = []
    for c in perturbed_curves:
        m = min(c.shape[0], band.shape[0])
        outside = np.flatnonzero(c[:m] > band[:m])
        if outside.size:
            times.append(int(outside[0]))
    mean_rep, mean_per = _mean_curve(replicate_curves), _mean_curve(perturbed_curves)
    common = min(mean_rep.shape[0], mean_per.shape[0])
    lam_p = info["lambda"]
    delta = lam_p - out.replicate_lambda if lam_p is not None else math.nan
    out.delta_lambda = delta
    info.update(
        delta_lambda=delta if math.isfinite(delta) else None,
        divergence_time=float(np.median(times)) if times else None,
        left_band=len(times) / len(perturbed_curves),
        excess_area=float((mean_per[:common] - mean_rep[:common]).sum()) if common else None,
        reason=None if math.isfinite(delta) else "λ is undefined for the replicate or the perturbed pairs",
    )
    out.perturbation = info
    return out


def divergence_of_group(
    vectors: npt.NDArray[np.float64],
    starts: Sequence[int],
    lengths: Sequence[int],
    variants: Sequence[str],
    *,
    key: str,
    seed: int = 0,
    resolution: float = RESOLUTION,
    saturation_fraction: float = SATURATION_FRACTION,
    max_pairs: int = MAX_PAIRS,
) -> GroupDivergence:
    """Replicate and perturbation divergence of one group straight from its turn vectors (module docstring).

    ``vectors``: centred unit turn vectors; trajectory i's turns are rows ``starts[i] .. starts[i] + lengths[i]``;
    ``variants[i]`` its prompt variant; ``key`` names the group (it seeds the group's sampling with ``seed``).
    """
    stream = group_hash(key, seed)
    replicate, perturbed = pairs_of_group(lengths, variants, stream=stream, max_pairs=max_pairs)

    def curve(a: int, b: int) -> npt.NDArray[np.float64]:
        n = min(lengths[a], lengths[b])
        return angles(vectors[starts[a] : starts[a] + n], vectors[starts[b] : starts[b] + n])

    i, j = saturation_pairs(starts, lengths, stream=stream)
    return divergence_from_curves(
        lengths,
        variants,
        replicate,
        perturbed,
        [curve(a, b) for a, b in replicate],
        [curve(a, b) for a, b in perturbed],
        angles(vectors[i], vectors[j]),
        resolution=resolution,
        saturation_fraction=saturation_fraction,
    )


def bootstrap_mean(values: Sequence[float | None], *, seed: int = 0, resamples: int = BOOTSTRAP) -> dict[str, Any]:
    """``{mean, ci, n, too_little_data}`` of the per-group values (the report's summary across tasks).

    The mean of the finite values with a percentile bootstrap 95 % CI that resamples groups
    (:func:`trajdyn.analyzer.stats.mean_interval`, the 2.5th and 97.5th percentiles of ``resamples`` resample means);
    ``too_little_data`` below :data:`MIN_GROUPS` groups.
    """
    est = mean_interval(values, seed=seed, resamples=resamples)
    ci = None if est.low is None or est.high is None else [est.low, est.high]
    return {"mean": est.mean, "ci": ci, "n": est.n, "too_little_data": est.n < MIN_GROUPS}


def pass_hat_k(successes: int, runs: int) -> list[float]:
    """``[pass^1, …, pass^n]`` = ``C(c, k) / C(n, k)`` for c successes in n runs (τ-bench)."""
    return [math.comb(successes, k) / math.comb(runs, k) for k in range(1, runs + 1)]


def is_success(reward: float | None, outcome: str | None) -> bool | None:
    """Binary success of one run: reward 1 / 0, else outcome success / failure; ``None`` when neither says."""
    if reward is not None and math.isfinite(reward):
        return reward >= 1.0
    if outcome == C.OUTCOME_SUCCESS:
        return True
    if outcome in (C.OUTCOME_FAILURE, C.OUTCOME_ERROR):
        return False
    return None
