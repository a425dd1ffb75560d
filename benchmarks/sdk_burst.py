"""A burst of concurrent trajectories: spans lost and wall time, trajdyn's processor vs OpenTelemetry's.

N trajectories run as asyncio tasks (default 200 × 20 iterations, 12,200 spans), the propose and observe steps
awaiting once each (``--no-pause``: never, the fastest producer), and export to an OTLP/JSON lines file. Two configurations, each in a fresh interpreter, ``--runs`` times:

- ``trajdyn``: ``trajdyn.configure(file=...)``, the default (a batch processor with back-pressure);
- ``otel``: the same file exporter behind OpenTelemetry's plain ``BatchSpanProcessor`` (what trajdyn used before),
  which drops spans when its queue is full.

Prints, per run, the spans found in the file, the spans lost, the loop's wall time and the time until every span
is written (shutdown included). Timings are only compared within one run of this script.

    python benchmarks/sdk_burst.py [--trajectories 200] [--iterations 20] [--runs 3] [--no-pause] [--queue N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

CHILD = r"""
import asyncio, json, sys, time
import trajdyn

mode, out, n_traj, n_it, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"

@trajdyn.propose
async def propose(i):
    if pause:
        await asyncio.sleep(0)
    return {"knob": f"k{i % 5}", "value": i}

@trajdyn.observe
async def observe(i):
    if pause:
        await asyncio.sleep(0)
    return float(i)

@trajdyn.decide
async def decide(i):
    return "keep" if i % 3 == 0 else "revert"

async def one(t):
    async with trajdyn.trajectory(task_id=f"t{t}", objective="minimize"):
        for i in range(n_it):
            await propose(i); await observe(i); await decide(i)

async def main():
    await asyncio.gather(*(one(t) for t in range(n_traj)))

if mode == "trajdyn":
    trajdyn.configure(file=out, announce=False)
else:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from trajdyn.exporters import JsonLinesSpanExporter
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(out)))
    trajdyn.configure(tracer_provider=provider, sidecar=out + ".coverage.json", announce=False)
t0 = time.perf_counter()
asyncio.run(main())
t1 = time.perf_counter()
trajdyn.shutdown()
if mode != "trajdyn":
    provider.shutdown()
t2 = time.perf_counter()
print(json.dumps({"loop_s": t1 - t0, "total_s": t2 - t0, "dropped_counted": trajdyn.summary().spans_dropped}))
"""


def _spans_in(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                n += sum(len(ss["spans"]) for rs in doc["resourceSpans"] for ss in rs["scopeSpans"])
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="spans lost in an asyncio burst: trajdyn vs OpenTelemetry's BSP")
    parser.add_argument("--trajectories", type=int, default=200)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--queue",
        type=int,
        default=None,
        help="set OTEL_BSP_MAX_QUEUE_SIZE (and a batch size of half of it) for both configurations",
    )
    parser.add_argument(
        "--no-pause",
        action="store_true",
        help="steps do not await (the event loop never waits on I/O: the fastest producer)",
    )
    args = parser.parse_args(argv)
    expected = args.trajectories * (1 + 3 * args.iterations)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRAJDYN_"))}
    if args.queue is not None:
        env["OTEL_BSP_MAX_QUEUE_SIZE"] = str(args.queue)
        env["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = str(max(args.queue // 2, 1))
        print(f"OTEL_BSP_MAX_QUEUE_SIZE={args.queue}")
    print(f"{args.trajectories} trajectories x {args.iterations} iterations = {expected} spans per run")
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for mode in ("otel", "trajdyn"):
                out = Path(tmp) / f"{mode}-{run}.jsonl"
                start = time.perf_counter()
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        CHILD,
                        mode,
                        str(out),
                        str(args.trajectories),
                        str(args.iterations),
                        "0" if args.no_pause else "1",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                wall = time.perf_counter() - start
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                found = _spans_in(out)
                lost = expected - found
                print(
                    f"run {run} {mode:8s}: {found:6d} spans written, {lost:5d} lost ({100 * lost / expected:5.1f} %), "
                    f"counted dropped {result['dropped_counted']:5d}, loop {result['loop_s']:6.2f} s, "
                    f"all written {result['total_s']:6.2f} s (process {wall:6.2f} s)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
