"""A sweep with the scenario factory and the Ratchet on a simulated retrieval system (issue 14).

The system ranks documents by ``relevance_signal + w · freshness``; only the relevance signal predicts relevance, so
the true best ``w`` is 0 — every other value only adds noise to the ranking. Candidates for ``w`` are scored by
nDCG@5 on the train scenarios. A keep-if-better loop keeps any candidate whose mean beats the incumbent's; the
Ratchet keeps one only when the lower 95 % bound of its paired improvement over the incumbent exceeds η, and every
3 keeps re-confirms them on a fresh split of scenarios.

Before the loops, a grid sweep of ``w`` writes one trajectory per (value, scenario) with
:func:`trajdyn.sweeps.sweep_run` (the constant, its value, the default 0.5, the scenario id and split on the root
span; the score as its reward; degenerate scenarios recorded as degenerate runs), and the analyzer reads those spans
back into its ``sweeps`` section: the sensitivity curve of ``w`` with the noise from replicates, the best train value,
and its validation against the default, paired by scenario. Run::

    python examples/sweep_ratchet.py [--out DIR]   # both loops' final w, their held-out nDCG@5, the sweep's proposal

The spans (the sweep runs, and the decide spans with the Ratchet's evidence, ``trajdyn.ratchet.*``) go to
``DIR/spans.jsonl`` (default ``trajdyn-out/sweep_ratchet``); ``trajdyn-analyze DIR/spans.jsonl`` shows them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import trajdyn
from trajdyn.sweeps import Choice, IntRange, Scenario, ScenarioFactory, ScenarioSet, Uniform, sweep_run

FACTORY = ScenarioFactory(
    "retrieval",
    {
        "n_docs": IntRange(8, 60),
        "n_relevant": IntRange(0, 6),
        "signal": Uniform(0.3, 1.0),
        "shape": Choice("flat", "skewed"),
    },
    validation_fraction=0.3,
    degenerate=lambda s: "no relevant document" if int(s.params["n_relevant"]) == 0 else None,
)


def ndcg_at_5(scenario: Scenario, w: float) -> float:
    """nDCG@5 with linear gain of the ranking by ``relevance_signal + w · freshness`` in this scenario."""
    rng = scenario.rng()
    n, k = int(scenario.params["n_docs"]), int(scenario.params["n_relevant"])
    signal = float(scenario.params["signal"])
    rel = [1.0 if i < k else 0.0 for i in range(n)]
    if scenario.params["shape"] == "skewed":
        rel = [r * (2.0 if i == 0 else 1.0) for i, r in enumerate(rel)]
    docs = [(signal * r + rng.gauss(0, 0.5), rng.random(), r) for r in rel]
    ranked = sorted(docs, key=lambda d: d[0] + w * d[1], reverse=True)
    dcg = sum(d[2] / math.log2(i + 2) for i, d in enumerate(ranked[:5]))
    ideal = sum(r / math.log2(i + 2) for i, r in enumerate(sorted(rel, reverse=True)[:5]))
    return dcg / ideal if ideal > 0 else 0.0


def scores(scenarios: tuple[Scenario, ...], w: float) -> dict[str, float]:
    return {s.id: ndcg_at_5(s, w) for s in scenarios}


GRID = [round(0.1 * i, 1) for i in range(11)]
DEFAULT_W = 0.5
"""The constant's current default in this simulated system: the value a proposal is compared with."""


def sweep(bank: ScenarioSet) -> None:
    """One sweep run per (w, scenario) of the bank, train and validation; degenerate seeds as degenerate runs."""
    for w in GRID:
        for scenario in bank:
            with sweep_run(
                "w", w, scenario=scenario, default=DEFAULT_W, metric_name="ndcg@5", agent_name="sweep"
            ) as run:
                run.set_reward(ndcg_at_5(scenario, w))
        for skipped in bank.skipped:  # counted by the analyzer, never scored
            with sweep_run("w", w, scenario=FACTORY.scenario(skipped.seed_id), default=DEFAULT_W, degenerate=True):
                pass


def report_sweep(path: Path) -> None:
    """Read the spans back with the analyzer and print the sweep's verdict on ``w`` (needs trajdyn[analyzer])."""
    try:
        from trajdyn.analyzer import analyze
    except ImportError:
        print(f"install trajdyn[analyzer] and run: trajdyn-analyze {path}")
        return
    block = analyze([str(path)]).blocks.get("sweeps")
    constants = block.get("constants") if isinstance(block, dict) else None
    for c in constants if isinstance(constants, list) else []:
        if isinstance(c, dict) and c.get("name") == "w":
            print(
                f"sweep of w from spans: {c['sensitivity']}, noise {c['noise']:.4f} ({c['noise_source']}), "
                f"{c['n_points']} runs scored, {c['n_errors']} errors, {c['n_degenerate']} degenerate"
            )
            print(f"  {c['proposal']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("trajdyn-out") / "sweep_ratchet")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    spans_path = args.out / "spans.jsonl"
    trajdyn.configure(file=spans_path)
    bank = FACTORY.generate(40)
    fresh = FACTORY.generate(range(1000, 1040), split="test")
    held_out = FACTORY.generate(range(2000, 2200), split="test")
    train = bank.train
    print(
        f"{len(bank)} scenarios ({len(train)} train, {len(bank.validation)} validation), {bank.n_skipped} skipped: {bank.skipped_by_reason()}"
    )
    sweep(bank)
    candidates = [0.05 * i for i in range(1, 21)]

    naive_w = 0.0
    for w in candidates:  # keep-if-better: any higher train mean wins
        if sum(scores(train, w).values()) > sum(scores(train, naive_w).values()):
            naive_w = w

    ratchet: trajdyn.Ratchet[float] = trajdyn.Ratchet(min_effect=0.005, confirm_every=3, incumbent=0.0)

    @trajdyn.decide
    def decide(w: float) -> trajdyn.RatchetDecision:
        inc = ratchet.incumbent if ratchet.incumbent is not None else 0.0
        return ratchet.decide(scores(train, w), scores(train, inc), state=w)

    @trajdyn.decide
    def confirm() -> trajdyn.RatchetDecision:
        cur, anchor = ratchet.incumbent or 0.0, ratchet.anchor or 0.0
        return ratchet.confirm(scores(fresh.scenarios, cur), scores(fresh.scenarios, anchor))

    with trajdyn.trajectory(task_id="sweep-w", agent_name="sweep-ratchet"):
        for w in candidates:
            decide(w)
            if ratchet.confirm_due:
                confirm()
    final = ratchet.incumbent if ratchet.incumbent is not None else 0.0

    def mean_ndcg(w: float) -> float:
        s = scores(held_out.scenarios, w)
        return sum(s.values()) / len(s)

    print(f"keep-if-better: w = {naive_w:.2f}, held-out nDCG@5 {mean_ndcg(naive_w):.4f}")
    print(
        f"Ratchet:        w = {final:.2f}, held-out nDCG@5 {mean_ndcg(final):.4f} ({ratchet.keeps} keeps, "
        f"{ratchet.rollbacks} rollbacks, {ratchet.queries} queries, {ratchet.confirm_queries} confirmations)"
    )
    print(f"true best:      w = 0.00, held-out nDCG@5 {mean_ndcg(0.0):.4f}")
    trajdyn.shutdown()
    report_sweep(spans_path)


if __name__ == "__main__":
    main()
