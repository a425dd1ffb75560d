"""Trends on real benchmark histories (issue 17): the asv nightly results of kedro and the benchmark-action history of
five LLMs (konveyor kai evaluations), analysed by the trends verdict.

The analyzer has no importer for either format yet, so this script reads them with two small loaders (below):

* ``external/kedro-asv/*.json`` — asv result files, one nightly run each; a series per benchmark and parameter
  combination, ordered by the run's ``date`` (then commit); value = ``result`` (seconds or bytes, lower is better);
  null results left out;
* ``external/konveyor-kai-evaluations-benchmark-data.js`` — github-action-benchmark data (``window.BENCHMARK_DATA =
  {...}``); a series per bench ``name`` in entry (commit) order; values are strings, ``""`` = no result (left out);
  higher is better.

Both are analysed on the log scale (Δ becomes a ratio; the statistics are scale-free, and a timing's noise is
multiplicative) with a 2 % gate: ``min_effect`` = 100·ln 1.02 "percentage points" of log value. Printed: the
verdict counts, the distribution of φ, and every series whose verdict is not ``stable``.

    python benchmarks/trends_real.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from trajdyn.analyzer.metrics.trends import Settings, analyze_series

Series = dict[str, list[tuple[str, float]]]
GATE_PP = 100 * math.log(1.02)


def kedro_series(folder: Path) -> Series:
    """Series ``benchmark(params…)`` → [(commit, value)] in run order, from asv result files."""
    runs = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "results" in doc and "date" in doc:
            runs.append((doc["date"], str(doc.get("commit_hash", ""))[:8], doc))
    out: Series = {}
    for _, commit, doc in sorted(runs, key=lambda r: (r[0], r[1])):
        columns = doc.get("result_columns") or []
        for bench, row in doc["results"].items():
            record = dict(zip(columns, row, strict=False))
            values, params = record.get("result"), record.get("params") or []
            if not isinstance(values, list):
                continue
            combos = list(itertools.product(*params)) if params else [()]
            for combo, value in zip(combos, values, strict=False):
                if isinstance(value, int | float) and math.isfinite(value):
                    key = bench + (f"({', '.join(map(str, combo))})" if combo else "")
                    out.setdefault(key, []).append((commit, float(value)))
    return out


def konveyor_series(path: Path) -> Series:
    """Series per bench name → [(commit, value)] in entry order, from a github-action-benchmark ``data.js``."""
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text[text.index("{") :].rstrip().rstrip(";"))
    out: Series = {}
    for entries in doc["entries"].values():
        for entry in entries:
            commit = str(entry["commit"]["id"])[:8]
            for bench in entry["benches"]:
                try:
                    value = float(bench.get("value"))
                except (TypeError, ValueError):
                    continue
                if math.isfinite(value) and value > 0:
                    out.setdefault(bench["name"], []).append((commit, value))
    return out


def analyse(series: Series, *, higher_is_better: bool) -> list[tuple[str, dict[str, Any]]]:
    settings = Settings(min_effect=GATE_PP)
    out = []
    for name, points in series.items():
        values = np.log([v for _, v in points if v > 0])
        labels = [c for c, v in points if v > 0]
        out.append((name, analyze_series(values, settings=settings, higher_is_better=higher_is_better, labels=labels)))
    return out


def _ratio(value: object) -> str:
    return f"×{math.exp(value):.2f}" if isinstance(value, float) else "–"


def report(title: str, results: list[tuple[str, dict[str, Any]]]) -> None:
    print(f"\n{title}: {len(results)} series")
    print("  verdicts:", dict(Counter(r["verdict"] for _, r in results)))
    phis = [r["phi"] for _, r in results if r["phi"] is not None]
    if phis:
        q1, med, q3 = np.quantile(phis, [0.25, 0.5, 0.75])
        print(f"  φ (median-unbiased): median {med:.2f}, IQR {q1:.2f}–{q3:.2f}, max {max(phis):.2f}, n = {len(phis)}")
    for name, r in results:
        if r["verdict"] == "stable":
            continue
        ci = r["delta_ci"]
        band = f" [{_ratio(ci[0])}, {_ratio(ci[1])}]" if ci else ""
        phi = "–" if r["phi"] is None else f"{r['phi']:.2f}"
        print(f"  {r['verdict']:<17} {name} (n = {r['n_runs']}, φ = {phi}): {_ratio(r['delta'])}{band}; {r['reason']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("TRAJDYN_SHARED_DIR") or str(Path(__file__).resolve().parents[1].parent / "shared")
    parser.add_argument("--shared", default=default, help="the shared data folder (default: TRAJDYN_SHARED_DIR)")
    args = parser.parse_args()
    external = Path(args.shared) / "external"
    kedro, konveyor = external / "kedro-asv", external / "konveyor-kai-evaluations-benchmark-data.js"
    if not kedro.is_dir() or not konveyor.is_file():
        raise SystemExit(f"real series not found under {external} (set TRAJDYN_SHARED_DIR or --shared)")
    report(
        "kedro asv nightly results (lower is better, log scale)", analyse(kedro_series(kedro), higher_is_better=False)
    )
    report(
        "konveyor kai evaluations (higher is better, log scale)",
        analyse(konveyor_series(konveyor), higher_is_better=True),
    )


if __name__ == "__main__":
    main()
