"""SDK overhead: one decorated propose→observe→decide iteration vs the same three spans made with bare OpenTelemetry.

Both sides use the same TracerProvider with a discarding exporter behind a SimpleSpanProcessor, run inside one root
span, and carry the same attributes (the bare side writes the coverage attributes trajdyn computes, as constants).
Prints µs per iteration for both, and the ratio (target ≤ 1.10). Not a test: timings are only compared within
one run.

Second measurement, the export path: the same three bare spans through trajdyn's batch processor (back-pressure
and counted drops, ``trajdyn.sdk._processor``) vs OpenTelemetry's ``BatchSpanProcessor``, each in front of a
discarding exporter with a queue large enough never to fill (what is measured is the per-span cost of the check,
not of waiting). ``benchmarks/sdk_burst.py`` measures the burst itself (spans lost, wall time).

Timed with the measuring thread's CPU time by default (robust on a shared machine); ``--clock wall`` for wall time.

    python benchmarks/sdk_overhead.py [--iterations 3000] [--repeats 15] [--clock thread|wall]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

import trajdyn
from trajdyn import conventions as C
from trajdyn.sdk._processor import TrajdynBatchSpanProcessor

_NEVER_FULL = 1 << 22
_clock = time.thread_time
"""CPU time of the measuring thread (``--clock wall``: ``time.perf_counter``). Both sides run on this thread alone (no
exporter work happens on it), so CPU time measures the same code as wall time while ignoring the other processes of a
shared machine."""

MENU = [f"knob{i}" for i in range(13)]


class DiscardingExporter(SpanExporter):
    """Accepts every span and keeps none."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


@trajdyn.propose
def propose(i: int) -> dict[str, Any]:
    return {"knob": MENU[i % 13], "value": i % 7}


@trajdyn.observe
def evaluate(i: int) -> float:
    return 10.0 - (i % 11) * 0.01


@trajdyn.decide
def decide(i: int) -> str:
    return "keep" if i % 9 == 0 else "revert"


def run_trajdyn(n: int) -> float:
    """Seconds for n decorated iterations inside one trajectory (coverage tracking on)."""
    with trajdyn.trajectory(
        task_id="bench", knob_menu=MENU, objective="minimize", metric_name="val_bpb", baseline=10.0
    ):
        start = _clock()
        for i in range(n):
            propose(i)
            evaluate(i)
            decide(i)
        return _clock() - start


def make_bare(provider: TracerProvider) -> Callable[[int], float]:
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE, schema_url=C.SCHEMA_URL)
    tid = "0" * 32
    coverage = {
        C.COVERAGE_KNOBS_TOUCHED: 13,
        C.COVERAGE_UNIQUE_PAIRS: 91,
        C.COVERAGE_REPEAT_COUNT: 0,
        C.COVERAGE_KEEP_COUNT: 1,
        C.COVERAGE_SINCE_IMPROVEMENT: 0,
        C.COVERAGE_KNOB_COVERAGE: 1.0,
        C.COVERAGE_REPEAT_RATE: 0.0,
        C.COVERAGE_BEST_VALUE: 9.9,
        C.COVERAGE_BEST_ITERATION: 1,
    }

    def run_bare(n: int) -> float:
        """Seconds for n iterations of three bare OpenTelemetry spans with the same attributes."""
        with tracer.start_as_current_span(C.OPERATION_INVOKE_AGENT, attributes={C.TASK_ID: "bench"}):
            start = _clock()
            for i in range(n):
                it = i + 1
                knob, value = MENU[i % 13], str(i % 7)
                with tracer.start_as_current_span(
                    C.PHASE_PROPOSE,
                    attributes={
                        C.PHASE: C.PHASE_PROPOSE,
                        C.TRAJECTORY_ID: tid,
                        C.KNOB: knob,
                        C.VALUE: value,
                        C.ACTION: f"{knob}={value}",
                        C.ITERATION: it,
                        C.REPEAT: False,
                    },
                ):
                    pass
                with tracer.start_as_current_span(
                    C.PHASE_OBSERVE,
                    attributes={
                        C.PHASE: C.PHASE_OBSERVE,
                        C.TRAJECTORY_ID: tid,
                        C.ITERATION: it,
                        C.METRIC: 10.0 - (i % 11) * 0.01,
                    },
                ):
                    pass
                with tracer.start_as_current_span(
                    C.PHASE_DECIDE,
                    attributes={
                        C.PHASE: C.PHASE_DECIDE,
                        C.TRAJECTORY_ID: tid,
                        C.ITERATION: it,
                        C.DECISION: "keep" if i % 9 == 0 else "revert",
                        **coverage,
                    },
                ):
                    pass
            return _clock() - start

    return run_bare


def best_of(
    baseline: Callable[[int], float], candidate: Callable[[int], float], n: int, repeats: int
) -> tuple[float, float]:
    """µs per iteration of each, best of ``repeats`` interleaved runs of ``n`` iterations (after a warm-up)."""
    baseline(1000)
    candidate(1000)
    gc.collect()
    base: list[float] = []
    cand: list[float] = []
    for _ in range(repeats):  # interleaved, best of N: robust to a noisy shared machine
        base.append(baseline(n))
        cand.append(candidate(n))
    return min(base) / n * 1e6, min(cand) / n * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="trajdyn decorator overhead vs bare OpenTelemetry spans")
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--clock", choices=("thread", "wall"), default="thread")
    args = parser.parse_args(argv)
    global _clock
    _clock = time.thread_time if args.clock == "thread" else time.perf_counter

    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(DiscardingExporter()))
    trajdyn.configure(tracer_provider=provider, exporters=["none"], sidecar=None, announce=False)
    run_bare = make_bare(provider)

    n = args.iterations
    b, t = best_of(run_bare, run_trajdyn, n, args.repeats)
    print(f"bare OpenTelemetry : {b:8.2f} µs / iteration (3 spans)")
    print(f"trajdyn decorators : {t:8.2f} µs / iteration (3 spans + live coverage)")
    print(f"ratio              : {t / b:8.3f}  (target <= 1.10)")
    trajdyn.shutdown()

    otel_provider = TracerProvider(shutdown_on_exit=False)
    otel_provider.add_span_processor(BatchSpanProcessor(DiscardingExporter(), max_queue_size=_NEVER_FULL))
    ours_provider = TracerProvider(shutdown_on_exit=False)
    ours_provider.add_span_processor(
        TrajdynBatchSpanProcessor(DiscardingExporter(), "discard", max_queue_size=_NEVER_FULL)
    )
    o, e = best_of(make_bare(otel_provider), make_bare(ours_provider), n, args.repeats)
    print(f"OTel BatchSpanProcessor   : {o:8.2f} µs / iteration (3 bare spans)")
    print(f"trajdyn batch processor   : {e:8.2f} µs / iteration (3 bare spans, back-pressure check)")
    print(f"export-path ratio         : {e / o:8.3f}")
    otel_provider.shutdown()
    ours_provider.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
