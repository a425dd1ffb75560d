"""HTML report benchmark (issue 16, "Scale"): the page of a 10,000-trajectory report — its size, how long it takes to
render, and how long Chromium takes to open it — against the analysis of the same spans, in the same run.

The dump: N trajectories × 40 iterations of a knob-tuning loop (12 knobs × 6 values, a metric per iteration, keep /
revert decisions), tasks of 4 attempts with a 0/1 reward, 3 models × 5 runs (so the trends section has series), and
a loop planted at the end of 7 % of the trajectories (alternating two proposals). Printed:

- the analysis (``analyze``: read, exploration, dynamics with 20 shuffles, sensitivity, trends) and the rendering
  (``render_html``) in wall and CPU seconds, and their ratio (rendering should be a small part of a run);
- the page: bytes (and gzip'd), charts, detail articles, the bytes per detail article; the target is < 5 MB;
- with Chromium (``TRAJDYN_CHROMIUM`` or Debian's package): the page's load time, next to the load time of a page of
  the JSON report in a ``<pre>`` (the same data as text) as the baseline; console errors and requests must be none.

    python benchmarks/html_report.py [--trajectories N] [--detail N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the browser driver lives with the tests

from _synthetic import attr, write_batches  # noqa: E402

from trajdyn import conventions as C  # noqa: E402

ITERATIONS = 40
KNOBS = [f"knob_{k}" for k in range(12)]
VALUES = [str(v) for v in (1, 2, 4, 8, 16, 32)]
MODELS = ["model-a", "model-b", "model-c"]
RUNS = 5


def _span(trace: str, span_id: str, parent: str | None, name: str, start: int, attrs: list[dict[str, object]]) -> dict:
    span: dict[str, object] = {
        "traceId": trace,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 500),
        "attributes": attrs,
        "status": {},
    }
    if parent is not None:
        span["parentSpanId"] = parent
    return span


def _trajectory(t: int, rng: random.Random) -> list[dict]:
    trace, root, tid = f"{t + 1:032x}", f"{(t << 10) + 1:016x}", f"traj-{t:05d}"
    run = t % RUNS
    model = MODELS[(t // RUNS) % len(MODELS)]
    t0 = 1_700_000_000_000_000_000 + run * 10**12 + t * 10**6
    spans = [
        _span(
            trace,
            root,
            None,
            "invoke_agent bench",
            t0,
            [
                attr(C.GEN_AI_OPERATION_NAME, C.OPERATION_INVOKE_AGENT),
                attr(C.GEN_AI_REQUEST_MODEL, model),
                attr(C.TRAJECTORY_ID, tid),
                attr(C.TASK_ID, f"task-{t // 4:04d}"),
                attr(C.RUN_ID, f"run-{run}"),
                attr(C.ATTEMPT, t % 4),
                attr(C.OBJECTIVE, C.OBJECTIVE_MINIMIZE),
                attr(C.BASELINE, 1.0),
                attr(C.REWARD, float(rng.random() < 0.6)),
            ],
        )
    ]
    loop_from = ITERATIONS - 16 if rng.random() < 0.07 else None
    best, n = 1.0, 1
    loop_pairs = [(rng.choice(KNOBS), rng.choice(VALUES)), (rng.choice(KNOBS), rng.choice(VALUES))]
    for i in range(1, ITERATIONS + 1):
        knob, value = (
            loop_pairs[i % 2] if loop_from is not None and i > loop_from else (rng.choice(KNOBS), rng.choice(VALUES))
        )
        metric = 1.0 - 0.2 * (1 - 1 / (1 + i / 10)) + rng.gauss(0, 0.02)
        decision = C.DECISION_KEEP if metric < best else C.DECISION_REVERT
        best = min(best, metric)
        for phase, extra in (
            (C.PHASE_PROPOSE, [attr(C.KNOB, knob), attr(C.VALUE, value), attr(C.ACTION, f"{knob}={value}")]),
            (C.PHASE_OBSERVE, [attr(C.METRIC, metric)]),
            (C.PHASE_DECIDE, [attr(C.DECISION, decision)]),
        ):
            n += 1
            spans.append(
                _span(
                    trace,
                    f"{(t << 10) + n:016x}",
                    root,
                    phase,
                    t0 + n * 1000,
                    [attr(C.PHASE, phase), attr(C.TRAJECTORY_ID, tid), attr(C.ITERATION, i), *extra],
                )
            )
    return spans


def generate(path: Path, trajectories: int) -> int:
    """Write the dump; returns the number of spans."""
    rng = random.Random(16)
    spans = (span for t in range(trajectories) for span in _trajectory(t, rng))
    return write_batches(path, spans, [attr("service.name", "bench")])


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trajectories", type=int, default=10_000)
    parser.add_argument("--detail", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="also write the page (and the baseline page) into this directory")
    args = parser.parse_args()

    from trajdyn.analyzer import DynamicsOptions, analyze
    from trajdyn.analyzer.report import report_to_json
    from trajdyn.analyzer.report.html import HtmlOptions, render_html

    with tempfile.TemporaryDirectory(prefix="trajdyn-html-bench-") as tmp:
        root = Path(tmp)
        dump = root / "spans.jsonl"
        spans = generate(dump, args.trajectories)
        print(f"generated {args.trajectories:,} trajectories × {ITERATIONS} iterations, {spans:,} spans")
        wall, cpu = _clock()
        report = analyze([str(dump)], progress=False, options=[DynamicsOptions(shuffles=20)])
        a_wall, a_cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"analyze                        {a_wall:7.2f} s wall  {a_cpu:7.2f} s CPU")
        wall, cpu = _clock()
        page = render_html(report, HtmlOptions(detail=args.detail))
        r_wall, r_cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = len(page.encode("utf-8"))
        print(f"render_html (--html-detail {args.detail})  {r_wall:7.2f} s wall  {r_cpu:7.2f} s CPU")
        print(f"render / analyze               {r_wall / a_wall:7.2f} wall  {r_cpu / a_cpu:7.2f} CPU")
        articles = page.count('<article class="traj"')
        print(
            f"page: {size / 1e6:.2f} MB ({len(gzip.compress(page.encode('utf-8'))) / 1e6:.2f} MB gzip'd; target < 5 MB), "
            f"{page.count('<svg')} charts, {articles} detail articles"
        )
        if articles:
            start = page.index('<article class="traj"')
            end = page.index("</section>", start)
            print(f"detail articles: {len(page[start:end].encode('utf-8')) / articles / 1e3:.1f} kB each")
        out = args.keep or root
        out.mkdir(parents=True, exist_ok=True)
        page_path = out / "report.html"
        page_path.write_text(page, encoding="utf-8")
        baseline = out / "baseline.html"
        baseline.write_text(
            '<!doctype html><html><head><meta charset="utf-8"><title>baseline</title></head><body><pre>'
            + html.escape(json.dumps(json.loads(report_to_json(report)), indent=1)[:size])
            + "</pre></body></html>",
            encoding="utf-8",
        )
        _browser(page_path, baseline)


def _browser(page: Path, baseline: Path) -> None:
    from tests._browser import CDPError, browser, find_chromium

    if find_chromium() is None:
        print("chromium: not found (TRAJDYN_CHROMIUM or apt-get install chromium): load time not measured")
        return
    try:
        with browser(timeout=120) as b:
            b.open_page(baseline)  # warm the browser
            base = b.open_page(baseline)
            result = b.open_page(page)
            result_js_off = b.open_page(page, js=False)
    except CDPError as exc:
        print(f"chromium: {exc}")
        return
    print(
        f"chromium load: report {result.load_s:.2f} s (JS off {result_js_off.load_s:.2f} s), baseline page of the "
        f"JSON as text, same size {base.load_s:.2f} s: ratio {result.load_s / max(base.load_s, 1e-3):.2f}"
    )
    print(f"console errors {len(result.errors)}, requests {len(result.requests)} (both must be 0)")


if __name__ == "__main__":
    main()
