"""Foreign-convention ingest: the same agent runs written with trajdyn's conventions and as OpenTelemetry GenAI spans.

Writes N runs of T tool calls each twice, as OTLP/JSON lines: (n) conventions v1 (an ``invoke_agent`` root with a
``trajdyn.trajectory.id``, ``propose`` steps), (f) a GenAI instrumentation's spans (``invoke_agent`` root without any
``trajdyn.*`` key, ``execute_tool`` spans with ``gen_ai.tool.name`` / arguments / result, ``chat`` spans with usage).
Times read + trajectory model (trajectories, steps) for each and prints the ratio (f)/(n): what recognising runs,
turns and model calls costs over reading our own spans (vectorised: one join per tree level, no per-span loop).

Run: ``.venv/bin/python benchmarks/foreign_ingest.py [RUNS] [TOOLS]`` (default 2000 runs x 20 tools).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def _attrs(d: dict[str, object]) -> list[dict[str, object]]:
    out = []
    for k, v in d.items():
        value = {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}
        out.append({"key": k, "value": value})
    return out


def _span(trace: int, span: int, parent: int | None, name: str, t: int, attrs: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {
        "traceId": f"{trace:032x}",
        "spanId": f"{span:016x}",
        "name": name,
        "startTimeUnixNano": str(t),
        "endTimeUnixNano": str(t + 1000),
        "attributes": _attrs(attrs),
    }
    if parent is not None:
        out["parentSpanId"] = f"{parent:016x}"
    return out


def write(path: Path, runs: int, tools: int, *, foreign: bool) -> int:
    n = 0
    with path.open("w") as fh:
        for r in range(runs):
            trace, root = r + 1, (r + 1) << 20
            spans = []
            root_attrs: dict[str, object] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "bench"}
            if not foreign:
                root_attrs["trajdyn.trajectory.id"] = f"run-{r}"
            spans.append(_span(trace, root, None, "invoke_agent bench", 0, root_attrs))
            for i in range(tools):
                action = f"tool{(i * 7 + r) % 5}"
                if foreign:
                    chat = {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.request.model": "m",
                        "gen_ai.usage.input_tokens": 10,
                    }
                    spans.append(_span(trace, root + 2 * i + 1, root, "chat m", 10 * i, chat))
                    attrs = {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": action,
                        "gen_ai.tool.call.arguments": json.dumps({"q": i % 3}),
                        "gen_ai.tool.call.result": "ok",
                    }
                else:
                    attrs = {
                        "trajdyn.phase": "propose",
                        "trajdyn.iteration": i + 1,
                        "trajdyn.action": action,
                        "trajdyn.content": json.dumps({"q": i % 3}),
                        "trajdyn.trajectory.id": f"run-{r}",
                    }
                spans.append(_span(trace, root + 2 * i + 2, root, action, 10 * i + 5, attrs))
            n += len(spans)
            doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "b"}, "spans": spans}]}]}
            fh.write(json.dumps(doc) + "\n")
    return n


def timed(path: Path) -> tuple[float, int, int]:
    from trajdyn.analyzer import model, read_spans

    start = time.perf_counter()
    data = read_spans(path, progress=False)
    trajectories = model.trajectories(data)
    steps = model.steps(data)
    return time.perf_counter() - start, trajectories.height, steps.height


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 2000
    tools = int(argv[1]) if len(argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        native, foreign = Path(tmp, "native.jsonl"), Path(tmp, "foreign.jsonl")
        n_native = write(native, runs, tools, foreign=False)
        n_foreign = write(foreign, runs, tools, foreign=True)
        timed(native)  # warm up imports
        best_n = min(timed(native)[0] for _ in range(3))
        best_f, n_traj, n_steps = min(timed(foreign) for _ in range(3))
    print(f"native : {n_native} spans, {best_n:.3f} s ({n_native / best_n:,.0f} spans/s)")
    print(
        f"foreign: {n_foreign} spans, {best_f:.3f} s ({n_foreign / best_f:,.0f} spans/s), {n_traj} runs, {n_steps} steps"
    )
    print(f"ratio foreign/native per span: {(best_f / n_foreign) / (best_n / n_native):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
