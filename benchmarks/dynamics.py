"""Dynamics benchmark (issue 4, "Performance"): timed against ingest of the same spans, in the same run.

(1) Default backend (hashing embeddings): a synthetic conventions-v1 dump of N trajectories × 50 turns (a propose
    span with an action and a short text, an observe span with a short text per turn; tasks of 4 attempts), timed as
    (a) ingest = ``read_spans`` + ``steps`` + ``trajectories``, (b) the exploration section, (c) the whole dynamics
    analysis (``analyze_dynamics``: sequences with 100 shuffles, embeddings, drift, divergence, regimes, as frames),
    (d) the report JSON of its ``dynamics`` and ``sensitivity`` sections from those frames (``dynamics_blocks``).
    Prints trajectories/s for each and the ratio (c)/(a): the target is that dynamics is not the bottleneck
    (ratio < 1).
(2) ``--embeddings minilm`` over the τ-bench file (200 real runs): the dynamics analysis with a fresh embedding cache
    (model load + embedding) and again with the cache filled; prints trajectories/s and the cache's speed-up.

    python benchmarks/dynamics.py [--trajectories N] [--quick] [--skip-minilm] [--tau PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import tempfile
import time
from pathlib import Path

from _synthetic import attr, write_batches

from trajdyn import conventions as C

TURNS = 50
TOOLS = ["search", "read", "edit", "run", "think", "respond", "list", "write"]
WORDS = [f"w{i}" for i in range(500)]


def _trajectory(t: int, rng: random.Random) -> list[dict[str, object]]:
    """One 50-turn trajectory: a sticky Markov chain over 8 tools, 8-word texts, reward 0/1."""
    trace, root, tid = f"{t + 1:032x}", f"{(t << 8) + 1:016x}", f"traj-{t}"
    t0 = 1_700_000_000_000_000_000 + t * 10**9
    spans: list[dict[str, object]] = [
        {
            "traceId": trace,
            "spanId": root,
            "name": "invoke_agent bench",
            "kind": 1,
            "startTimeUnixNano": str(t0),
            "endTimeUnixNano": str(t0 + 10**8),
            "attributes": [
                attr(C.GEN_AI_OPERATION_NAME, C.OPERATION_INVOKE_AGENT),
                attr(C.TRAJECTORY_ID, tid),
                attr(C.TASK_ID, f"task-{t // 4}"),
                attr(C.ATTEMPT, t % 4),
                attr(C.REWARD, float(rng.random() < 0.5)),
            ],
            "status": {},
        }
    ]
    n, action = 1, rng.randrange(len(TOOLS))
    for i in range(1, TURNS + 1):
        action = action if rng.random() < 0.3 else rng.randrange(len(TOOLS))
        for phase, extra in (
            (C.PHASE_PROPOSE, [attr(C.ACTION, TOOLS[action]), attr(C.CONTENT, " ".join(rng.choices(WORDS, k=8)))]),
            (C.PHASE_OBSERVE, [attr(C.CONTENT, " ".join(rng.choices(WORDS, k=8)))]),
        ):
            n += 1
            start = t0 + n * 1000
            spans.append(
                {
                    "traceId": trace,
                    "spanId": f"{(t << 8) + n:016x}",
                    "parentSpanId": root,
                    "name": phase,
                    "kind": 1,
                    "startTimeUnixNano": str(start),
                    "endTimeUnixNano": str(start + 500),
                    "attributes": [attr(C.PHASE, phase), attr(C.TRAJECTORY_ID, tid), attr(C.ITERATION, i), *extra],
                    "status": {},
                }
            )
    return spans


def generate(path: Path, trajectories: int) -> int:
    rng = random.Random(7)
    spans = (span for t in range(trajectories) for span in _trajectory(t, rng))
    return write_batches(path, spans, [attr("service.name", "bench")])


def default_backend(n: int) -> None:
    from trajdyn.analyzer import read_spans, steps, trajectories
    from trajdyn.analyzer.metrics import exploration
    from trajdyn.analyzer.metrics.dynamics import analyze_dynamics
    from trajdyn.analyzer.report._dynamics import dynamics_blocks

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spans.jsonl"
        start = time.perf_counter()
        spans = generate(path, n)
        print(
            f"generated {n:,} trajectories × {TURNS} turns, {spans:,} spans, "
            f"{path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        data = read_spans(path, progress=False)
        st, tr = steps(data), trajectories(data)
        ingest = time.perf_counter() - start
    start = time.perf_counter()
    exploration(st, tr)
    explore = time.perf_counter() - start
    start = time.perf_counter()
    result = analyze_dynamics(st, tr)
    dyn = time.perf_counter() - start
    start = time.perf_counter()
    blocks = dynamics_blocks(result)
    render = time.perf_counter() - start
    assert result.trajectories.height == len(blocks.per_trajectory) == n
    print(f"(a) ingest (read_spans + steps + trajectories)  {n / ingest:9,.0f} trajectories/s  ({ingest:.2f} s)")
    print(f"(b) exploration                                   {n / explore:9,.0f} trajectories/s  ({explore:.2f} s)")
    print(f"(c) dynamics, hashing embeddings, 100 shuffles    {n / dyn:9,.0f} trajectories/s  ({dyn:.2f} s)")
    print(f"(d) its report JSON (dynamics + sensitivity)      {n / render:9,.0f} trajectories/s  ({render:.2f} s)")
    print(f"(c)/(a) = {dyn / ingest:.2f}  (target < 1: dynamics is not the bottleneck of trajdyn-analyze)")
    regimes = dict(result.summary.regimes)
    print(f"regimes on the synthetic runs (no planted structure beyond a sticky chain): {regimes}")


def minilm(tau: Path) -> None:
    if importlib.util.find_spec("sentence_transformers") is None:
        print("minilm: skipped (pip install 'trajdyn[embeddings]')")
        return
    from trajdyn.analyzer import analyze, read_spans, steps, trajectories
    from trajdyn.analyzer.embeddings import MiniLMEmbedder
    from trajdyn.analyzer.metrics.dynamics import analyze_dynamics
    from trajdyn.analyzer.report import ReportSection
    from trajdyn.formats import convert, write_jsonl

    # the τ-bench file → frames once, then the dynamics analysis twice with one cache directory

    with tempfile.TemporaryDirectory() as tmp:
        spans = Path(tmp) / "tau.jsonl"
        write_jsonl(convert(tau).requests, spans)
        data = read_spans(spans, progress=False)
        st, tr = steps(data), trajectories(data)
        n = tr.height
        cache = Path(tmp) / "cache"
        timings = []
        for label in ("cold cache (model load + embedding)", "warm cache"):
            embedder = MiniLMEmbedder(cache_dir=cache)
            start = time.perf_counter()
            analyze_dynamics(st, tr, embedder=embedder)
            elapsed = time.perf_counter() - start
            timings.append(elapsed)
            stats = embedder.stats
            print(
                f"minilm, {label:38s} {n / elapsed:8,.1f} trajectories/s  ({elapsed:.2f} s; "
                f"{stats.misses} texts embedded, {stats.hits} from the cache)"
            )
        print(f"cache speed-up: {timings[0] / timings[1]:.1f}×")
        sections: list[ReportSection] = []
        start = time.perf_counter()
        analyze([str(tau)], sections=sections)
        print(f"(reference: importing and reading the τ-bench file takes {time.perf_counter() - start:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trajectories", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 trajectories")
    parser.add_argument("--skip-minilm", action="store_true")
    parser.add_argument(
        "--tau",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "external" / "tau-bench-gpt-4o-airline.json",
    )
    args = parser.parse_args()
    default_backend(1000 if args.quick else args.trajectories)
    if not args.skip_minilm:
        if args.tau.is_file():
            minilm(args.tau)
        else:
            print(f"minilm: skipped ({args.tau} not found; --tau PATH)", file=sys.stderr)


if __name__ == "__main__":
    main()
