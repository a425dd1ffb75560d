"""Spans of sweep runs with planted truth, written by the real trajdyn SDK (``trajdyn.sweeps.sweep_run``) in a fresh
interpreter, with incremental trace/span ids and timestamps renumbered by rank so that a file is byte-stable.

Each constant is swept over a grid on scenarios of a :class:`~trajdyn.sweeps.ScenarioFactory`; a run's score is
``truth(value) + offset(scenario) + noise``: every value runs on the same scenarios, so scenario offsets are shared
(paired by scenario) and replicate noise is small. Shapes (``value`` in [0, 1]):

- ``cliff``: ``0.8 − 0.4·sigmoid((v − 0.65)/0.02)``: a harmful drop between 0.6 and 0.7;
- ``flat``: ``0.7``: nothing to find;
- ``rise``: ``0.5 + 0.1·v``: a rise (never a cliff); its best value 1.0 beats the default 0.0 by 0.1;
- ``step``: ``0.4 + 0.4·sigmoid((v − 0.45)/0.02)``: an abrupt rise.

Run ``n`` (1-based over all runs) raises in the run when ``n % error_every == 0`` (status ERROR), else is degenerate
when ``n % degenerate_every == 0``; :func:`expected_counts` gives the planted counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[4]

SCRIPT = textwrap.dedent(
    """
    import json, math, random, sys
    from opentelemetry.sdk.trace import TracerProvider
    import trajdyn
    from trajdyn.sdk.testing import IncrementalIdGenerator
    from trajdyn.sweeps import IntRange, ScenarioFactory, sweep_run

    cfg = json.loads(sys.argv[1])
    provider = TracerProvider(id_generator=IncrementalIdGenerator(), shutdown_on_exit=False)
    trajdyn.configure(file=cfg["path"], tracer_provider=provider, sidecar_interval=3600, announce=False)

    def sig(x):
        return 1.0 / (1.0 + math.exp(-x))

    SHAPES = {
        "cliff": lambda v: 0.8 - 0.4 * sig((v - 0.65) / 0.02),
        "flat": lambda v: 0.7,
        "rise": lambda v: 0.5 + 0.1 * v,
        "step": lambda v: 0.4 + 0.4 * sig((v - 0.45) / 0.02),
    }
    factory = ScenarioFactory("bank", {"difficulty": IntRange(0, 9)}, validation_fraction=cfg["validation_fraction"])
    scenarios = [factory.scenario(i) for i in range(cfg["scenarios"])]
    grid = [round(0.1 * i, 1) for i in range(11)]
    n = 0
    for name, shape, default in cfg["constants"]:
        truth = SHAPES[shape]
        offsets = {s.id: random.Random(f"{cfg['seed']}/{name}/{s.id}").gauss(0, cfg["sd_scenario"]) for s in scenarios}
        for v in grid:
            for s in scenarios:
                n += 1
                rng = random.Random(f"{cfg['seed']}/{name}/{v}/{s.id}")
                try:
                    with sweep_run(
                        name, v, scenario=s, default=default, objective="maximize", metric_name="ndcg@5",
                        agent_name="sweep", trajectory_id=f"{name}-{v}-{s.id}",
                    ) as t:
                        if n % cfg["error_every"] == 0:
                            raise RuntimeError("the retrieval backend failed")
                        if n % cfg["degenerate_every"] == 0:
                            t.set_degenerate()
                            continue
                        t.set_reward(truth(v) + offsets[s.id] + rng.gauss(0, cfg["sd_noise"]))
                except RuntimeError:
                    pass
    trajdyn.shutdown()
    """
)


def _renumber_times(path: Path) -> None:
    """Replace every timestamp by ``10⁹·(1 + its rank among all timestamps of the file)``: the order stays, the
    clock goes."""
    docs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    stamps: set[int] = set()

    def spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]

    for doc in docs:
        for s in spans(doc):
            stamps.update(int(s[k]) for k in ("startTimeUnixNano", "endTimeUnixNano"))
            stamps.update(int(e["timeUnixNano"]) for e in s.get("events") or [])
    rank = {t: str(10**9 * (i + 1)) for i, t in enumerate(sorted(stamps))}
    for doc in docs:
        for s in spans(doc):
            for k in ("startTimeUnixNano", "endTimeUnixNano"):
                s[k] = rank[int(s[k])]
            for e in s.get("events") or []:
                e["timeUnixNano"] = rank[int(e["timeUnixNano"])]
    path.write_text("".join(json.dumps(d, separators=(",", ":")) + "\n" for d in docs))


def write_sweep_spans(
    path: Path,
    *,
    seed: int = 0,
    constants: tuple[tuple[str, str, float | None], ...] = (
        ("cliff", "cliff", 0.5),
        ("flat", "flat", 0.5),
        ("rise", "rise", 0.0),
    ),
    scenarios: int = 10,
    validation_fraction: float = 0.3,
    sd_scenario: float = 0.1,
    sd_noise: float = 0.01,
    error_every: int = 97,
    degenerate_every: int = 89,
) -> Path:
    """Write the sweep runs of ``constants`` ((name, shape, default) …) to ``path`` with the real SDK."""
    cfg = {
        "path": str(path),
        "seed": seed,
        "constants": [list(c) for c in constants],
        "scenarios": scenarios,
        "validation_fraction": validation_fraction,
        "sd_scenario": sd_scenario,
        "sd_noise": sd_noise,
        "error_every": error_every,
        "degenerate_every": degenerate_every,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(cfg)], capture_output=True, text=True, env=env, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"sweep span writer failed: {proc.stderr}")
    _renumber_times(path)
    return path


def expected_counts(
    n_constants: int, *, scenarios: int = 10, error_every: int = 97, degenerate_every: int = 89, grid: int = 11
) -> list[tuple[int, int]]:
    """Per constant (in order): the planted (errors, degenerate) counts."""
    per = grid * scenarios
    out = []
    for c in range(n_constants):
        runs = range(c * per + 1, (c + 1) * per + 1)
        errors = sum(1 for n in runs if n % error_every == 0)
        degenerate = sum(1 for n in runs if n % error_every and n % degenerate_every == 0)
        out.append((errors, degenerate))
    return out
