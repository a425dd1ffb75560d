"""Hostile-input costs (issue 11, "Analyzer input"), each measured in this run, as ratios where there is a reference.

(a) small files: the same lines as N small files (one line of 8 spans each) and as one file, read end to end by
    ``trajdyn-analyze PATH --json /dev/null --sections exploration``; prints both times and their ratio (before
    small inputs were batched: ~17x for 10,000 files);
(b) metric keys: spans that carry K distinct ``trajdyn.metrics.*`` keys (one each); prints the peak RSS and time of
    the same command (before the column cap: 100,000 keys ran out of memory);
(c) a long string: a knob name of L characters in a knob loop; prints the seconds to build the report and to render
    it for the terminal and as Markdown (before display clipping: 1 MB took 48 s in the terminal renderer).

    python benchmarks/hostile_input.py [--files N] [--metric-keys K ...] [--long-chars L] [--skip a,b,c]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from _synthetic import attr, write_batches
from analyzer_ingest import end_to_end, generate

from trajdyn import conventions as C

TRACE = "0af7651916cd43dd8448eb211c80319c"


def small_files(root: Path, n_files: int) -> None:
    one = root / "one.jsonl"
    generate(one, n_files * 8, batch_size=8)
    lines = one.read_bytes().splitlines(keepends=True)[:n_files]
    one.write_bytes(b"".join(lines))
    many = root / "many"
    many.mkdir()
    for k, line in enumerate(lines):
        (many / f"{k:06d}.jsonl").write_bytes(line)
    t_one, _, _ = end_to_end(one, "exploration")
    t_many, _, _ = end_to_end(many, "exploration")
    print(f"(a) {len(lines):,} lines of 8 spans ({one.stat().st_size / 2**20:.1f} MiB)")
    print(f"    one file {t_one:.2f} s, {len(lines):,} small files {t_many:.2f} s: ratio {t_many / t_one:.2f}")


def metric_keys(root: Path, n_keys: int) -> None:
    path = root / f"metrics-{n_keys}.jsonl"
    with path.open("w") as fh:
        for start in range(0, n_keys, 512):
            spans = [
                {
                    "traceId": TRACE,
                    "spanId": f"{i + 1:016x}",
                    "name": "observe",
                    "attributes": [{"key": f"{C.METRICS_PREFIX}m{i}", "value": {"doubleValue": i * 0.5}}],
                }
                for i in range(start, min(n_keys, start + 512))
            ]
            fh.write(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}) + "\n")
    seconds, _, peak = end_to_end(path, "exploration")
    size = path.stat().st_size / 2**20
    print(f"(b) {n_keys:,} distinct metric keys ({size:.0f} MiB): {seconds:.1f} s, peak RSS {peak:,.0f} MiB")


def long_string(root: Path, n_chars: int) -> None:
    from rich.console import Console

    from trajdyn.analyzer import analyze
    from trajdyn.analyzer.report import render_markdown, render_terminal

    long = "k" * n_chars
    t0 = 1_700_000_000_000_000_000
    spans = [
        {
            "traceId": TRACE,
            "spanId": "a" * 16,
            "name": "invoke_agent tuner",
            "startTimeUnixNano": str(t0),
            "endTimeUnixNano": str(t0 + 10**9),
            "attributes": [
                attr(C.GEN_AI_OPERATION_NAME, C.OPERATION_INVOKE_AGENT),
                attr(C.TRAJECTORY_ID, "t1"),
                attr(C.KNOB_MENU, [long, "b"]),
            ],
        }
    ]
    for i in range(1, 11):
        knob = long if i % 2 else "b"
        for k, (phase, extra) in enumerate(
            (
                (C.PHASE_PROPOSE, [attr(C.KNOB, knob), attr(C.VALUE, str(i % 3))]),
                (C.PHASE_OBSERVE, [attr(C.METRIC, 1.0 / i)]),
                (C.PHASE_DECIDE, [attr(C.DECISION, "keep")]),
            )
        ):
            n = 3 * i + k
            spans.append(
                {
                    "traceId": TRACE,
                    "spanId": f"{n:016x}",
                    "parentSpanId": "a" * 16,
                    "name": phase,
                    "startTimeUnixNano": str(t0 + n),
                    "endTimeUnixNano": str(t0 + n + 1),
                    "attributes": [attr(C.PHASE, phase), attr(C.TRAJECTORY_ID, "t1"), attr(C.ITERATION, i), *extra],
                }
            )
    path = root / "long.jsonl"
    write_batches(path, spans, [attr("service.name", "bench")])
    started = time.perf_counter()
    report = analyze([str(path)], progress=False)
    built = time.perf_counter()
    buf = io.StringIO()
    render_terminal(report, Console(file=buf, width=120))
    terminal = time.perf_counter()
    markdown = render_markdown(report)
    done = time.perf_counter()
    print(f"(c) a knob name of {n_chars:,} characters: report built in {built - started:.1f} s")
    print(f"    terminal rendering {terminal - built:.2f} s ({len(buf.getvalue()):,} characters)")
    print(f"    Markdown rendering {done - terminal:.2f} s ({len(markdown):,} characters)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--metric-keys", type=int, nargs="+", default=[100_000])
    parser.add_argument("--long-chars", type=int, default=10_000_000)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip (a, b, c)")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "a" not in skip:
            small_files(root, args.files)
        if "b" not in skip:
            for n in args.metric_keys:
                metric_keys(root, n)
        if "c" not in skip:
            long_string(root, args.long_chars)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
