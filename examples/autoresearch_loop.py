"""A simulated autoresearch loop, instrumented with trajdyn: why a short-memory proposer flails, and the fix.

The agent tunes a small language model's training config over a 13-knob menu to minimise ``val_bpb``. Its proposer
(a stand-in for an LLM; no network, no model, seeded) sees only the last ``k`` iterations (``--history-window``,
default 5 as in the article "Trajectory eval: is the agent flailing?"), favours a few knobs, and so keeps
re-proposing configurations it already evaluated. trajdyn's live coverage shows it while the loop runs;
``--block-repeats`` turns on the repeat guard so that a repeat is refused and re-proposed before it is evaluated.

    python examples/autoresearch_loop.py --out out/ [--iterations 50] [--seed 0] [--history-window 5] [--block-repeats]

writes ``out/spans.jsonl`` (OTLP/JSON lines) and ``out/spans.coverage.json`` (the live sidecar), and prints a
short coverage summary. ``TRAJDYN_EXPORTER`` and ``OTEL_EXPORTER_OTLP_*`` are honoured (e.g. send to a collector).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trajdyn

#: The knob menu: every knob and the values the proposer may pick.
MENU: dict[str, list[Any]] = {
    "n_layer": [8, 12, 16, 24, 32],
    "n_head": [4, 8, 12, 16, 32],
    "d_model": [512, 768, 1024, 1280, 1536, 2048],
    "d_ff": [2048, 3072, 4096, 6144, 8192],
    "lr": [0.0001, 0.0002, 0.0003, 0.0004, 0.0006, 0.001],
    "lr_warmup": [0, 2, 5, 10, 20, 50],
    "grad_clip": [0.25, 0.5, 0.75, 1.0, 2.0],
    "weight_decay": [0.0, 0.001, 0.01, 0.05, 0.1, 0.2],
    "beta1": [0.8, 0.85, 0.9, 0.95],
    "beta2": [0.9, 0.95, 0.98, 0.99, 0.999],
    "batch_size": [8, 16, 24, 32, 48, 64],
    "seq_len": [256, 512, 1024, 1536, 2048],
    "precision": ["bf16", "fp8"],
}
BASELINE_CFG: dict[str, Any] = {
    "n_layer": 24,
    "n_head": 16,
    "d_model": 1024,
    "d_ff": 4096,
    "lr": 0.0003,
    "lr_warmup": 5,
    "grad_clip": 1.0,
    "weight_decay": 0.0,
    "beta1": 0.9,
    "beta2": 0.95,
    "batch_size": 16,
    "seq_len": 1024,
    "precision": "fp8",
}
#: The optimum of the simulated landscape (unknown to the agent).
OPTIMUM: dict[str, Any] = {**BASELINE_CFG, "d_model": 768, "d_ff": 6144, "lr": 0.0006, "weight_decay": 0.1}
#: Knobs an LLM proposer tends to reach for first (and the weight of that bias).
FAVOURITES = ("d_model", "n_head", "d_ff", "lr")
FAVOURITE_BIAS = 0.85
NOISE_SD = 0.02
ACCEPT_DELTA_FRAC = 0.001


def simulated_val_bpb(cfg: dict[str, Any], rng: random.Random) -> float:
    """A smooth, noisy landscape: 10.9 plus a penalty per knob away from the optimum (in index steps)."""
    loss = 10.80
    for knob, values in MENU.items():
        distance = abs(values.index(cfg[knob]) - values.index(OPTIMUM[knob]))
        loss += 0.03 * distance
    return round(loss + rng.gauss(0.0, NOISE_SD), 4)


@dataclass
class Proposer:
    """An LLM stand-in with a short memory: it avoids only what it can see in its history window."""

    rng: random.Random
    history_window: int
    history: list[tuple[str, Any, str]] = field(default_factory=list)

    def _hidden(self, refused: Sequence[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
        recent = self.history[-self.history_window :] if self.history_window else []
        return {(k, trajdyn.canonical_value(v)) for k, v, _ in recent} | set(refused)

    def candidates(self, cfg: dict[str, Any], refused: Sequence[tuple[str, str | None]] = ()) -> list[tuple[str, Any]]:
        """Every change of one knob that is neither in the visible history nor refused."""
        hidden = self._hidden(refused)
        return [
            (k, v)
            for k, values in MENU.items()
            for v in values
            if v != cfg[k] and (k, trajdyn.canonical_value(v)) not in hidden
        ]

    def next(self, cfg: dict[str, Any], refused: Sequence[tuple[str, str | None]] = ()) -> dict[str, Any]:
        """One perturbation {knob, value}: a favourite knob most of the time, never one it can see was tried."""
        hidden = self._hidden(refused)
        for _ in range(20):
            pool = FAVOURITES if self.rng.random() < FAVOURITE_BIAS else tuple(MENU)
            knob = self.rng.choice(pool)
            value = self.rng.choice([v for v in MENU[knob] if v != cfg[knob]])
            if (knob, trajdyn.canonical_value(value)) not in hidden:
                return {"knob": knob, "value": value}
        knob, value = self.rng.choice(self.candidates(cfg, refused))
        return {"knob": knob, "value": value}


@trajdyn.propose
def propose(proposer: Proposer, cfg: dict[str, Any], refused: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
    """Ask the proposer for one perturbation {knob, value}."""
    return proposer.next(cfg, refused)


@trajdyn.observe
def evaluate(cfg: dict[str, Any], proposal: dict[str, Any], rng: random.Random) -> dict[str, float]:
    """'Train' the candidate config and report its validation bits per byte."""
    candidate = {**cfg, proposal["knob"]: proposal["value"]}
    return {"val_bpb": simulated_val_bpb(candidate, rng), "params_m": 0.1 * candidate["d_model"]}


@trajdyn.decide
def decide(val_bpb: float, best: float) -> str:
    """Keep a candidate that beats the best so far by more than the acceptance margin."""
    return "keep" if val_bpb < best * (1 - ACCEPT_DELTA_FRAC) else "revert"


def run(out: Path, iterations: int, seed: int, history_window: int, block_repeats: bool) -> dict[str, Any]:
    """Run the loop inside one trajectory; returns its final live coverage."""
    out.mkdir(parents=True, exist_ok=True)
    trajdyn.configure(file=out / "spans.jsonl", sidecar=out / "spans.coverage.json", announce=False)
    rng = random.Random(seed)
    cfg = dict(BASELINE_CFG)
    baseline = simulated_val_bpb(cfg, rng)
    best = baseline
    proposer = Proposer(rng, history_window)
    with trajdyn.trajectory(
        task_id="autoresearch-sim",
        agent_name="autoresearch",
        model="simulated-proposer",
        run_id=f"seed-{seed}-k{history_window}{'-blocked' if block_repeats else ''}",
        knob_menu=list(MENU),
        objective="minimize",
        metric_name="val_bpb",
        baseline=baseline,
        block_repeats=block_repeats,
    ) as traj:
        for _ in range(iterations):
            refused: list[tuple[str, str | None]] = []
            while proposer.candidates(cfg, refused):
                try:
                    proposal = propose(proposer, cfg, refused)
                    break
                except trajdyn.RepeatedProposal as exc:
                    # the repeat guard refused it before evaluation: tell the proposer and ask again
                    refused.append((exc.knob, exc.value))
            else:
                print("search space exhausted: every remaining change was already tried", file=sys.stderr)
                break
            metrics = evaluate(cfg, proposal, rng)
            decision = decide(metrics["val_bpb"], best)
            if decision == "keep":
                cfg[proposal["knob"]] = proposal["value"]
                best = metrics["val_bpb"]
            proposer.history.append((proposal["knob"], proposal["value"], decision))
        traj.set_reward(baseline - best)
        traj.set_outcome("success" if best < baseline else "failure")
    coverage = traj.coverage
    trajdyn.shutdown()
    return coverage


def summary(coverage: dict[str, Any]) -> str:
    """A short human summary of the live coverage."""
    best = coverage["best_value"]
    improvement = coverage["improvement"]
    windows = " ".join(f"{w['rate']:.1f}" for w in coverage["windows_repeat_rate"])
    lines = [
        f"iterations       {coverage['iterations']}",
        f"knobs touched    {coverage['knobs_touched']}/{coverage['knobs_total']}"
        f"  untouched: {', '.join(coverage['knobs_untouched']) or '-'}",
        f"unique pairs     {coverage['unique_pairs']}",
        f"repeat rate      {coverage['repeat_rate']:.2f} ({coverage['repeat_count']} repeats)  per window: {windows}",
        f"keeps            {coverage['keep_count']} at {coverage['keep_iterations']}",
        f"best val_bpb     {best} at iteration {coverage['best_iteration']}"
        + (f" ({improvement * 100:.2f} % better than baseline)" if improvement is not None else ""),
        f"novelty (f1/N)   {coverage['novelty_good_turing']:.2f}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="output directory for spans and sidecar")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--history-window", type=int, default=5, help="iterations the proposer can see (k)")
    parser.add_argument("--block-repeats", action="store_true", help="refuse repeated proposals before evaluation")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.history_window < 0:
        parser.error("--iterations must be >= 1 and --history-window >= 0")
    coverage = run(args.out, args.iterations, args.seed, args.history_window, args.block_repeats)
    print(summary(coverage))
    print(f"spans: {args.out / 'spans.jsonl'}  live coverage: {args.out / 'spans.coverage.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
