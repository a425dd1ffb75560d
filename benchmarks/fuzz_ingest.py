"""Ingest fuzzing, longer than CI: the properties of ``tests/analyzer/io/test_fuzz.py`` over many examples.

Seeds: a dump written by the real SDK and the public OTLP files of ``../shared/external`` (when present). Each
example mutates a seed (byte flips, deletions, insertions of hostile tokens, duplications, truncation, line splices,
hostile JSON values, gzip and cut gzip) and reads it with ``read_spans`` in this process; the reader must not raise,
must report every problem as ``path:line`` inside the input, and must read every intact line. Prints the number of
examples, their rate, and stops at the first failure (hypothesis shrinks it and prints the smallest input).

    python benchmarks/fuzz_ingest.py [--examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the mutations and properties live with the tests

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from tests.analyzer._fuzz import Case, cases, check, seed_index  # noqa: E402
from tests.analyzer._sdk_dumps import write_knob_loops  # noqa: E402
from tests.conftest import EXTERNAL_DIR  # noqa: E402

EXTERNAL_SEEDS = (
    "otlp-spec-file-exporter-example.jsonl",
    "jaeger-otlp_fields_trace.json",
    "jaeger-otlp_scope_attributes.json",
    "otlp-proto-example-trace.json",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seeds = [write_knob_loops(work / "sdk.jsonl", iterations=4).data]
        if EXTERNAL_DIR is not None:
            seeds += [(EXTERNAL_DIR / n).read_bytes() for n in EXTERNAL_SEEDS if (EXTERNAL_DIR / n).is_file()]
        index = seed_index(seeds)
        count = [0, 0]

        @seed(args.seed)
        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases(seeds))
        def run(case: Case) -> None:
            count[0] += 1
            count[1] += check(case, work / "case.jsonl", index)

        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
    print(f"seeds: {len(seeds)} ({sum(len(s) for s in seeds):,} bytes)")
    print(
        f"{count[0]:,} examples in {elapsed:.1f} s ({count[0] / elapsed:,.0f}/s), {count[1]:,} spans read: no failure"
    )


if __name__ == "__main__":
    main()
