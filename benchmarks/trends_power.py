"""Trends (issue 6, METHODS §5): false alarms, power and location error of the verdict, by simulation.

Series of ``--n`` runs with scores around 0.85 and noise σ (``--sigma``, default 3 percentage points), analysed by
:func:`trajdyn.analyzer.metrics.trends.analyze_series` with its defaults (E-divisive B = 999, exact Mann–Kendall,
α = 0.05, effect gate ``--min-effect`` percentage points). Printed:

* nulls: iid and AR(1) (φ = ``--phi``): the rate of ``regression`` verdicts, of any alarm (regression or
  improvement), of first-round change points and of Mann–Kendall p ≤ α, and how often the autocorrelation flag is up;
  the iid null again at σ = 1, 3 and 6 pp next to the source tool's rule;
* power: a drop (step at the middle, or a linear drift over the whole series) of 0.5–3σ: the rate of ``regression``
  verdicts and the mean |location error| of the change point behind them, next to the source tool's rule (OLS slope
  over the last 10 runs < −0.5 %/run) and a t-test at the best split (the "18–34 % false alarms" of METHODS §5);
* speed: the vectorised E-divisive statistic against a plain-Python loop computing the same numbers, in this run.

    python benchmarks/trends_power.py [--n 20] [--sims 400] [--sigma 0.03] [--min-effect 2] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from scipy import stats

from trajdyn.analyzer.metrics.trends import Settings, analyze_series
from trajdyn.analyzer.stats import e_divisive_statistic, ols_slope

SIZES = (0.5, 1.0, 1.5, 2.0, 3.0)
LEVEL = 0.85


def _noise(rng: np.random.Generator, n: int, sigma: float, phi: float) -> np.ndarray:
    e = rng.normal(0.0, sigma, size=n)
    if phi == 0:
        return e
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def _null(n: int, sigma: float, phi: float) -> Callable[[np.random.Generator], tuple[np.ndarray, int | None]]:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
        return LEVEL + _noise(rng, n, sigma, phi), None

    return make


def _pinchbench_rule(x: np.ndarray) -> bool:
    slope = ols_slope(x[-10:] * 100)
    return slope is not None and slope < -0.5


def _ttest_best_split(x: np.ndarray, min_size: int = 3) -> bool:
    """Choose the split with the largest |t|, then test it as if it had been fixed in advance (the pitfall)."""
    best = 1.0
    for k in range(min_size, x.size - min_size + 1):
        best = min(best, float(stats.ttest_ind(x[:k], x[k:], equal_var=False).pvalue))
    return best <= 0.05


def _run(
    make: Callable[[np.random.Generator], tuple[np.ndarray, int | None]], sims: int, settings: Settings, seed: int
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    out = dict.fromkeys(("regression", "alarm", "cp", "mk", "flag", "ols", "ttest", "loc", "n_loc"), 0.0)
    for i in range(sims):
        x, truth = make(rng)
        s = Settings(
            min_effect=settings.min_effect, permutations=settings.permutations, seed=settings.seed + i, alpha=0.05
        )
        r = analyze_series(x, settings=s)
        out["regression"] += r["verdict"] == "regression"
        out["alarm"] += r["verdict"] in ("regression", "improvement")
        out["cp"] += bool(r["change_points"])
        out["mk"] += (r["mann_kendall_p"] or 1.0) <= 0.05
        out["flag"] += bool(r["autocorrelated"])
        out["ols"] += _pinchbench_rule(x)
        out["ttest"] += _ttest_best_split(x)
        if truth is not None and r["verdict"] == "regression" and r["change_points"]:
            cps = r["change_points"]
            nearest = min(cps, key=lambda c: abs(c["index"] - truth))
            out["loc"] += abs(nearest["index"] - truth)
            out["n_loc"] += 1
    rates = {k: v / sims for k, v in out.items() if k not in ("loc", "n_loc")}
    rates["loc"] = out["loc"] / out["n_loc"] if out["n_loc"] else float("nan")
    return rates


def _naive_statistic(z: np.ndarray, min_size: int) -> list[float]:
    out = []
    n = z.size
    for tau in range(min_size, n - min_size + 1):
        x, y = z[:tau], z[tau:]
        m = y.size
        cross = sum(abs(a - b) for a in x for b in y)
        wx = sum(abs(x[i] - x[k]) for i in range(tau) for k in range(i + 1, tau))
        wy = sum(abs(y[i] - y[k]) for i in range(m) for k in range(i + 1, m))
        e = 2 * cross / (tau * m) - wx / (tau * (tau - 1) / 2) - wy / (m * (m - 1) / 2)
        out.append(tau * m / n * e)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="runs per series (default 20)")
    parser.add_argument("--sims", type=int, default=400, help="series per cell (default 400)")
    parser.add_argument("--sigma", type=float, default=0.03, help="noise σ in score units (default 0.03 = 3 pp)")
    parser.add_argument("--phi", type=float, default=0.6, help="AR(1) coefficient of the autocorrelated null")
    parser.add_argument("--min-effect", type=float, default=2.0, help="effect gate, percentage points (default 2)")
    parser.add_argument("--permutations", type=int, default=999, help="B of the E-divisive test (default 999)")
    parser.add_argument("--quick", action="store_true", help="100 series per cell, B = 199")
    args = parser.parse_args()
    sims = 100 if args.quick else args.sims
    settings = Settings(min_effect=args.min_effect, permutations=199 if args.quick else args.permutations)
    n, sigma = args.n, args.sigma
    print(
        f"n = {n} runs, σ = {sigma * 100:.1f} pp, min effect {args.min_effect} pp, B = {settings.permutations}, "
        f"{sims} series per cell\n"
    )

    print("null                 regression  any alarm  change pt  MK p≤α  autocorr flag  OLS rule  t-test@best")
    for name, phi in (("iid", 0.0), (f"AR(1) φ={args.phi}", args.phi)):
        r = _run(_null(n, sigma, phi), sims, settings, 1)
        print(
            f"{name:<20} {r['regression']:>10.3f} {r['alarm']:>10.3f} {r['cp']:>10.3f} {r['mk']:>7.3f} "
            f"{r['flag']:>14.3f} {r['ols']:>9.3f} {r['ttest']:>12.3f}"
        )

    print("\niid null by σ        regression  OLS rule   (the fixed −0.5 %/run slope confuses noise with drift)")
    for sig in (0.01, 0.03, 0.06):
        r = _run(_null(n, sig, 0.0), sims, settings, 4)
        print(f"σ = {sig * 100:.0f} pp{'':<13} {r['regression']:>10.3f} {r['ols']:>9.3f}")

    print("\npower (drop)         regression  |loc err|  OLS rule  t-test@best")
    for kind in ("step", "trend"):
        for size in SIZES:

            def make(rng: np.random.Generator, size: float = size, kind: str = kind) -> tuple[np.ndarray, int | None]:
                x = LEVEL + _noise(rng, n, sigma, 0.0)
                if kind == "step":
                    x[n // 2 :] -= size * sigma
                    return x, n // 2
                return x - size * sigma * np.arange(n) / (n - 1), None

            r = _run(make, sims, settings, 2)
            loc = f"{r['loc']:>10.2f}" if kind == "step" else f"{'':>10}"
            print(f"{kind} {size:>3.1f}σ{'':<11} {r['regression']:>10.3f} {loc} {r['ols']:>9.3f} {r['ttest']:>12.3f}")

    rng = np.random.default_rng(3)
    z = rng.normal(size=n)
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        naive = _naive_statistic(z, 3)
    t_naive = (time.perf_counter() - t0) / reps
    perms = np.stack([rng.permutation(z) for _ in range(settings.permutations)])
    t0 = time.perf_counter()
    for _ in range(reps):
        e_divisive_statistic(perms, min_size=3)
    t_vec = (time.perf_counter() - t0) / reps / settings.permutations
    assert np.allclose(naive, e_divisive_statistic(z, min_size=3))
    print(
        f"\nE-divisive statistic, all splits of one series of {n}: plain Python {t_naive * 1e6:.0f} µs, "
        f"vectorised over {settings.permutations} permutations {t_vec * 1e6:.1f} µs per series "
        f"(×{t_naive / t_vec:.0f})"
    )


if __name__ == "__main__":
    main()
