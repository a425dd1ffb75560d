"""Trends (issues 6 and 17, METHODS §5): false alarms and power of the verdict, old and new procedure side by side.

Series of ``--n`` runs with scores around 0.85 and noise σ (``--sigma``, default 3 percentage points; for AR(1)
noise σ is the innovation sd, so the marginal sd is σ/√(1 − φ²)), effect gate ``--min-effect`` percentage points.

* **new** — :func:`trajdyn.analyzer.metrics.trends.analyze_series` as it is: max-t change point and trend t
  against AR(1) noise at a quantile-unbiased φ, ``drift`` and ``insufficient-data`` verdicts (issue 17).
* **old** — the procedure it replaced, rebuilt here from the same statistics primitives: E-divisive change points
  with an exchangeable permutation test (B = ``--permutations``), else an exact Mann–Kendall trend; the last change
  (or the net change over several) or the Sen drift, gated, decides; independence assumed throughout.

Printed: for iid, AR(1) φ ∈ {0.3, 0.6, 0.8} and random-walk-plus-noise nulls (level increments sd σ/3 and σ, plus
iid noise σ) the rate of ``regression`` (old, new), of any alarm, and of ``drift``; for drops of 0.5–3σ (a step at
the middle or a linear drift over the series, iid noise) the power of both and the mean |location error| of the
change behind the regression. Targets of issue 17 at n = 20: false regression ≤ 0.075 for iid and φ ≤ 0.6.
Monte-Carlo SE at 0.05 with 400 series: ≈ 0.011.

    python benchmarks/trends_power.py [--n 20] [--sims 400] [--sigma 0.03] [--min-effect 2] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from trajdyn.analyzer.metrics.trends import Settings, analyze_series
from trajdyn.analyzer.stats import ar1_paths, e_divisive, mann_kendall, median_shift, sen_slope

SIZES = (0.5, 1.0, 1.5, 2.0, 3.0)
LEVEL = 0.85
ALPHA = 0.05
Maker = Callable[[np.random.Generator], tuple[np.ndarray, int | None]]


def old_verdict(x: np.ndarray, *, gate: float, permutations: int, seed: int) -> tuple[str, int | None]:
    """The verdict before issue 17 (independent runs): returns (verdict, index of the change behind it)."""
    n = x.size
    cps = e_divisive(x, alpha=ALPHA, permutations=permutations, min_size=3, seed=seed) if n >= 6 else []
    bounds = [0, *(c.index for c in cps), n]
    evidence: list[tuple[float, int | None]] = []
    if cps:
        k = len(cps) - 1
        delta = float(np.median(x[cps[-1].index : bounds[k + 2]]) - np.median(x[bounds[k] : cps[-1].index]))
        if abs(delta) >= gate and delta != 0:
            evidence.append((delta, cps[-1].index))
    if len(cps) >= 2:
        net = median_shift(x[: cps[0].index], x[cps[-1].index :], seed=seed + n)
        excludes_zero = net.low is not None and net.high is not None and (net.low > 0 or net.high < 0)
        if excludes_zero and abs(net.delta) >= gate and net.delta != 0:
            evidence.append((net.delta, cps[-1].index))
    for delta, index in sorted(evidence, key=lambda item: item[0] >= 0):
        return ("regression" if delta < 0 else "improvement"), index
    mk, sen = mann_kendall(x), sen_slope(x)
    if mk.p_value is not None and mk.p_value <= ALPHA and sen.slope is not None:
        drift = sen.slope * (n - 1)
        if abs(drift) >= gate and drift != 0:
            return ("regression" if drift < 0 else "improvement"), None
    return "stable", None


def _ar1_null(n: int, sigma: float, phi: float) -> Maker:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
        return LEVEL + sigma * ar1_paths(rng.standard_normal((1, n)), phi)[0], None

    return make


def _random_walk_null(n: int, sigma: float, step_sd: float) -> Maker:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
        level = np.cumsum(rng.normal(0.0, step_sd * sigma, n))
        return LEVEL + level - level[0] + rng.normal(0.0, sigma, n), None

    return make


def _drop(n: int, sigma: float, kind: str, size: float) -> Maker:
    def make(rng: np.random.Generator) -> tuple[np.ndarray, int | None]:
        x = LEVEL + rng.normal(0.0, sigma, n)
        if kind == "step":
            x[n // 2 :] -= size * sigma
            return x, n // 2
        return x - size * sigma * np.arange(n) / (n - 1), None

    return make


def _run(make: Maker, sims: int, settings: Settings, permutations: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    gate = settings.min_effect / 100
    count = dict.fromkeys(("old", "old_alarm", "new", "new_alarm", "drift", "old_loc", "new_loc"), 0.0)
    located = {"old": 0, "new": 0}
    spent = {"old": 0.0, "new": 0.0}
    for i in range(sims):
        x, truth = make(rng)
        t0 = time.perf_counter()
        verdict, index = old_verdict(x, gate=gate, permutations=permutations, seed=settings.seed + i)
        spent["old"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        r = analyze_series(x, settings=settings)
        spent["new"] += time.perf_counter() - t0
        count["old"] += verdict == "regression"
        count["old_alarm"] += verdict in ("regression", "improvement")
        count["new"] += r["verdict"] == "regression"
        count["new_alarm"] += r["verdict"] in ("regression", "improvement")
        count["drift"] += r["verdict"] == "drift"
        new_index = r["change_points"][-1]["index"] if r["change_points"] else None
        for name, ok, at in (("old", verdict == "regression", index), ("new", r["verdict"] == "regression", new_index)):
            if truth is not None and ok and at is not None:
                count[f"{name}_loc"] += abs(at - truth)
                located[name] += 1
    out = {k: v / sims for k, v in count.items() if not k.endswith("_loc")}
    for name in ("old", "new"):
        out[f"{name}_loc"] = count[f"{name}_loc"] / located[name] if located[name] else float("nan")
        out[f"{name}_ms"] = spent[name] / sims * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="runs per series (default 20)")
    parser.add_argument("--sims", type=int, default=400, help="series per cell (default 400)")
    parser.add_argument("--sigma", type=float, default=0.03, help="noise σ in score units (default 0.03 = 3 pp)")
    parser.add_argument("--min-effect", type=float, default=2.0, help="effect gate, percentage points (default 2)")
    parser.add_argument("--permutations", type=int, default=999, help="B of the old E-divisive test (default 999)")
    parser.add_argument("--quick", action="store_true", help="100 series per cell, B = 199 (old)")
    args = parser.parse_args()
    sims = 100 if args.quick else args.sims
    permutations = 199 if args.quick else args.permutations
    settings = Settings(min_effect=args.min_effect)
    n, sigma = args.n, args.sigma
    print(f"n = {n} runs, σ = {sigma * 100:.1f} pp, min effect {args.min_effect} pp, {sims} series per cell\n")

    print("null                      regression old  new    any alarm old  new    drift (new)")
    nulls: list[tuple[str, Maker]] = [
        ("iid", _ar1_null(n, sigma, 0.0)),
        ("AR(1) φ = 0.3", _ar1_null(n, sigma, 0.3)),
        ("AR(1) φ = 0.6", _ar1_null(n, sigma, 0.6)),
        ("AR(1) φ = 0.8", _ar1_null(n, sigma, 0.8)),
        ("random walk σ/3 + noise", _random_walk_null(n, sigma, 1 / 3)),
        ("random walk σ + noise", _random_walk_null(n, sigma, 1.0)),
    ]
    timing = {"old": 0.0, "new": 0.0}
    for k, (name, make) in enumerate(nulls):
        r = _run(make, sims, settings, permutations, 10 + k)
        timing["old"] += r["old_ms"] / len(nulls)
        timing["new"] += r["new_ms"] / len(nulls)
        print(
            f"{name:<25} {r['old']:>14.3f} {r['new']:>5.3f} {r['old_alarm']:>13.3f} {r['new_alarm']:>5.3f} "
            f"{r['drift']:>12.3f}"
        )

    print("\npower (drop, iid noise)   regression old  new    |loc err| old  new    drift (new)")
    for kind in ("step", "trend"):
        for size in SIZES:
            r = _run(_drop(n, sigma, kind, size), sims, settings, permutations, 20)
            loc = f"{r['old_loc']:>13.2f} {r['new_loc']:>5.2f}" if kind == "step" else f"{'':>19}"
            print(f"{kind} {size:>3.1f}σ{'':<16} {r['old']:>14.3f} {r['new']:>5.3f} {loc} {r['drift']:>12.3f}")

    print(
        f"\nmean time per null series, same run: old {timing['old']:.1f} ms (B = {permutations}), "
        f"new {timing['new']:.1f} ms (ratio old/new ×{timing['old'] / timing['new']:.2f}; the new null tables are "
        "built once per length and cached)"
    )


if __name__ == "__main__":
    main()
