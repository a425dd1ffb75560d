"""Reweighted fusion (issue 13, METHODS §3): bias, interval coverage and bound containment, by simulation.

Known target shares P, benchmark shares Q and stratum means; one stratum the benchmark never samples (Q = 0, P > 0:
uncovered target mass), one the target does not ask for (P = 0), and small strata that come out empty by chance in
some draws. Each replicate draws the tasks' strata from Q (multinomial), their values, and fuses them with
:func:`trajdyn.analyzer.stats.fuse`. Printed per scenario:

* bias of the covered estimate μ_c against the covered truth Σ_cov P_s μ_s / c of that draw (the estimand of
  ``reweighted_mean``), and its RMSE;
* coverage of the 95 % intervals of the covered truth: the method fusion uses (Jeffreys mixture for bounded scores
  with a profile by stratum, stratified bootstrap otherwise) next to the alternatives METHODS §3 compares (Wald with
  the stratified standard error; the stratified bootstrap for a bounded score; resampling trials instead of tasks);
* containment of the full target truth Σ_s P_s μ_s by the Manski bounds (point bounds, and bounds widened by the
  interval: ``bounds_ci``).

Scenarios: ``binary`` (one trial per task, about 4 tasks per stratum, as METHODS §3's simulation), ``trials`` (a
bounded score: 4 trials per task with a task effect, so trials are correlated), ``continuous`` (skewed, lognormal
task values, stratified bootstrap with strata < 5 tasks merged), ``task-weights`` (a target given as a smooth density
ratio per task).

    python benchmarks/fusion_coverage.py [--reps 1000] [--draws 2000] [--seed 1] [--quick]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from trajdyn.analyzer.stats import Fused, bootstrap_pools, fuse, stratified_bootstrap_interval, stratum_summary

LEVELS = (0.025, 0.975)
Z = float(stats.norm.ppf(0.975))

# eight strata: the last but one is never sampled by the benchmark (uncovered), the last is not in the target
P = np.array([0.10, 0.20, 0.05, 0.15, 0.10, 0.25, 0.10, 0.05])
Q = np.array([0.30, 0.05, 0.20, 0.10, 0.15, 0.10, 0.00, 0.10])
P = np.append(P[:-1], 0.0)
P = P / P.sum()
THETA = np.array([0.85, 0.30, 0.70, 0.55, 0.90, 0.20, 0.40, 0.60])
"""Stratum means of the bounded scenarios."""
MU = np.array([1.0, 3.0, 0.5, 2.0, 1.5, 4.0, 2.5, 1.0])
"""Stratum medians of the continuous scenario (lognormal, σ = 0.6)."""
SIGMA_LOG = 0.6


@dataclass
class Tally:
    """Counts of one scenario."""

    name: str
    reps: int = 0
    errors: list[float] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    tried: dict[str, int] = field(default_factory=dict)
    covered_mass: list[float] = field(default_factory=list)
    ess: list[float] = field(default_factory=list)

    def hit(self, method: str, ok: bool | None) -> None:
        if ok is None:
            return
        self.tried[method] = self.tried.get(method, 0) + 1
        self.hits[method] = self.hits.get(method, 0) + int(ok)


def _inside(interval: tuple[float, float] | None, truth: float) -> bool | None:
    if interval is None:
        return None
    return interval[0] - 1e-12 <= truth <= interval[1] + 1e-12


def _draw_strata(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(len(Q), size=n, p=Q / Q.sum())


def _covered_truth(strata: np.ndarray, means: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    present = np.bincount(strata, minlength=len(target)) > 0
    c = float(target[present].sum())
    return float(np.dot(target[present], means[present]) / c), c


def _wald(values: np.ndarray, strata: np.ndarray, target: np.ndarray) -> tuple[float, float] | None:
    n, _, mean, var = stratum_summary(values, strata, len(target))
    covered = (n > 0) & (target > 0)
    c = float(target[covered].sum())
    var = np.where(np.isnan(var), 0.0, var)  # a one-task stratum: Wald has no variance for it (one reason it fails)
    est = float(np.dot(target[covered], mean[covered])) / c
    se = math.sqrt(float(np.sum(target[covered] ** 2 * var[covered] / n[covered]))) / c
    return est - Z * se, est + Z * se


def _percentile(
    values: np.ndarray, weights: np.ndarray, pools: np.ndarray, draws: int, seed: int
) -> tuple[float, float]:
    """The plain percentile interval of the stratified bootstrap (tasks resampled within pools), for comparison."""
    rng = np.random.default_rng(seed)
    keep = weights > 0
    y, w, g = values[keep], weights[keep], pools[keep]
    numerator = np.zeros(draws)
    denominator = np.zeros(draws)
    for pool in np.unique(g):
        members = np.flatnonzero(g == pool)
        picks = members[rng.integers(0, members.size, size=(draws, members.size))]
        numerator += (w[picks] * y[picks]).sum(axis=1)
        denominator += w[picks].sum(axis=1)
    lo, hi = np.quantile(numerator / denominator, list(LEVELS))
    return float(lo), float(hi)


def _record(tally: Tally, fused: Fused, values: np.ndarray, strata: np.ndarray, truth: float, c: float) -> np.ndarray:
    """Tally the fused estimate's error, covered mass, ESS, its interval and Wald's; the tasks' weights P/Q."""
    assert fused.reweighted_mean is not None
    tally.reps += 1
    tally.errors.append(fused.reweighted_mean - truth)
    tally.covered_mass.append(c)
    tally.ess.append(fused.ess or 0.0)
    tally.hit(f"{fused.ci_method} (fusion)", _inside(fused.ci, truth))
    tally.hit("wald", _inside(_wald(values, strata, P), truth))
    n = values.shape[0]
    weights: np.ndarray = np.where(P[strata] > 0, P[strata] / np.bincount(strata, minlength=len(P))[strata], 0.0) * n
    return weights


def _scenario_bounded(rng: np.random.Generator, tally: Tally, n: int, trials: int, draws: int, seed: int) -> None:
    strata = _draw_strata(rng, n)
    if trials == 1:
        task_p = THETA[strata]
        outcomes = (rng.random((n, 1)) < task_p[:, None]).astype(float)
    else:  # a task effect: each task's own success probability around its stratum's mean (Beta, concentration 2)
        a = THETA[strata] * 2.0
        task_p = rng.beta(a, 2.0 - a)
        outcomes = (rng.random((n, trials)) < task_p[:, None]).astype(float)
    values = outcomes.mean(axis=1)
    covered_truth, c = _covered_truth(strata, THETA, P)
    full_truth = float(np.dot(P, THETA))
    kind = "binary" if trials == 1 else "bounded"
    fused = fuse(values, strata, stratum_target=P, kind=kind, levels=LEVELS, draws=draws, seed=seed)
    weights = _record(tally, fused, values, strata, covered_truth, c)
    pools = bootstrap_pools(strata)
    boot = stratified_bootstrap_interval(values, weights, pools, levels=LEVELS, resamples=draws, rng=seed)
    tally.hit("stratified bootstrap-t", _inside(boot, covered_truth))
    tally.hit(
        "stratified percentile bootstrap", _inside(_percentile(values, weights, pools, draws, seed), covered_truth)
    )
    if trials > 1:  # trials as if they were independent tasks: the mistake fusion avoids
        flat = outcomes.ravel()
        flat_strata = np.repeat(strata, trials)
        wrong = fuse(flat, flat_strata, stratum_target=P, kind="binary", levels=LEVELS, draws=draws, seed=seed)
        tally.hit("jeffreys-mixture over trials (wrong unit)", _inside(wrong.ci, covered_truth))
    tally.hit("bounds contain the full truth", _inside(fused.bounds, full_truth))
    tally.hit("bounds_ci contain the full truth", _inside(fused.bounds_ci, full_truth))


def _scenario_continuous(rng: np.random.Generator, tally: Tally, n: int, draws: int, seed: int) -> None:
    strata = _draw_strata(rng, n)
    values = MU[strata] * np.exp(rng.normal(0.0, SIGMA_LOG, n) - SIGMA_LOG**2 / 2)  # mean MU, skewed
    covered_truth, c = _covered_truth(strata, MU, P)
    fused = fuse(values, strata, stratum_target=P, kind="continuous", levels=LEVELS, draws=draws, seed=seed)
    weights = _record(tally, fused, values, strata, covered_truth, c)
    unmerged = stratified_bootstrap_interval(values, weights, strata, levels=LEVELS, resamples=draws, rng=seed)
    tally.hit("stratified bootstrap-t without merging", _inside(unmerged, covered_truth))
    pools = bootstrap_pools(strata)
    tally.hit(
        "stratified percentile bootstrap", _inside(_percentile(values, weights, pools, draws, seed), covered_truth)
    )


def _scenario_task_weights(rng: np.random.Generator, tally: Tally, n: int, draws: int, seed: int) -> None:
    """Tasks have a feature x ~ U(0, 1) on the benchmark; the target density is 2x (a smooth density ratio w = 2x);
    the score is Bernoulli(0.2 + 0.6x). Target mean ∫ 2x (0.2 + 0.6x) dx = 0.6; the estimand is the target mean."""
    x = rng.random(n)
    values = (rng.random(n) < 0.2 + 0.6 * x).astype(float)
    mass = 2.0 * x / n
    mass = mass / max(1.0, mass.sum())
    strata = np.minimum((x * 4).astype(np.int64), 3)  # quartile strata for the resampling pools
    fused = fuse(values, strata, task_mass=mass, kind="binary", levels=LEVELS, draws=draws, seed=seed)
    assert fused.reweighted_mean is not None
    truth = 0.6
    tally.reps += 1
    tally.errors.append(fused.reweighted_mean - truth)
    tally.covered_mass.append(1.0)
    tally.ess.append(fused.ess or 0.0)
    tally.hit(f"{fused.ci_method} (fusion)", _inside(fused.ci, truth))


def run(name: str, reps: int, step: Callable[[np.random.Generator, Tally, int], None], seed: int) -> Tally:
    rng = np.random.default_rng(seed)
    tally = Tally(name)
    for r in range(reps):
        step(rng, tally, seed * 100_003 + r)
    return tally


def report(t: Tally, seconds: float) -> None:
    errors = np.array(t.errors)
    bias = float(errors.mean())
    mc = float(errors.std(ddof=1) / math.sqrt(errors.size))
    rmse = float(math.sqrt(float(np.mean(errors**2))))
    print(f"\n== {t.name}: {t.reps} replicates ({seconds:.1f} s)")
    print(
        f"   bias of the covered estimate {bias:+.4f} (Monte Carlo se {mc:.4f}), RMSE {rmse:.4f}; "
        f"mean covered mass {np.mean(t.covered_mass):.3f}, mean Kish ESS {np.mean(t.ess):.1f}"
    )
    for method in t.tried:
        rate = t.hits[method] / t.tried[method]
        se = math.sqrt(rate * (1 - rate) / t.tried[method])
        print(f"   {method:<46} {100 * rate:5.1f} %  (± {100 * se:.1f}, of {t.tried[method]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replicates per scenario (default 1000)")
    parser.add_argument("--draws", type=int, default=2000, help="Jeffreys draws / bootstrap resamples (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 replicates, 1000 draws")
    args = parser.parse_args()
    reps, draws = (200, 1000) if args.quick else (args.reps, args.draws)
    print(
        f"fusion coverage: nominal 95 %; P = {np.round(P, 3).tolist()}, Q = {Q.tolist()}; "
        f"target mass {P[Q == 0].sum():.3f} on a stratum the benchmark lacks, benchmark mass {Q[P == 0].sum():.2f} "
        "on a stratum the target lacks"
    )
    scenarios: list[tuple[str, Callable[[np.random.Generator, Tally, int], None]]] = [
        ("binary, 32 tasks (~4 per stratum), 1 trial", lambda g, t, s: _scenario_bounded(g, t, 32, 1, draws, s)),
        ("binary, 80 tasks (~10 per stratum), 1 trial", lambda g, t, s: _scenario_bounded(g, t, 80, 1, draws, s)),
        ("bounded, 32 tasks, 4 correlated trials each", lambda g, t, s: _scenario_bounded(g, t, 32, 4, draws, s)),
        ("continuous (lognormal), 40 tasks", lambda g, t, s: _scenario_continuous(g, t, 40, draws, s)),
        ("continuous (lognormal), 100 tasks", lambda g, t, s: _scenario_continuous(g, t, 100, draws, s)),
        (
            "binary, weights by task (density ratio 2x), 60 tasks",
            lambda g, t, s: _scenario_task_weights(g, t, 60, draws, s),
        ),
    ]
    for k, (name, step) in enumerate(scenarios):
        start = time.perf_counter()
        tally = run(name, reps, step, args.seed + k)
        report(tally, time.perf_counter() - start)


if __name__ == "__main__":
    main()
