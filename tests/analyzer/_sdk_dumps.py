"""Span dumps written by the real trajdyn SDK (in a fresh interpreter) for the hostile-input, fuzz and escape tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

KNOB_LOOP = """
import random
import trajdyn

trajdyn.configure(file=PATH, sidecar_interval=3600, announce=False)


@trajdyn.propose
def propose(knob, value):
    return {"knob": knob, "value": value}


@trajdyn.observe
def evaluate(x):
    return {"loss": x}


@trajdyn.decide
def decide(keep):
    return "keep" if keep else "revert"


rng = random.Random(11)
for run in range(RUNS):
    for t, task in enumerate(TASKS):
        with trajdyn.trajectory(
            task_id=task,
            model=MODEL,
            run_id=f"{RUN_PREFIX}{run}",
            learning_key=LEARNING_KEY,
            execution_mode=MODE,
            knob_menu=MENU,
            objective="minimize",
            metric_name="loss",
            baseline=1.0,
        ):
            for i in range(ITERATIONS):
                propose(rng.choice(MENU), rng.choice(VALUES))
                evaluate(rng.random())
                decide(rng.random() < 0.3)
                if i == 2:
                    trajdyn.cue_hit(ENTRY)
                    trajdyn.adoption(ENTRY, success=rng.random() < 0.5)
            trajdyn.set_reward(0.5 + 0.1 * t + 0.01 * run)
trajdyn.shutdown()
"""


@dataclass(frozen=True)
class Dump:
    """A JSON-lines span dump: its path, its lines (without newlines) and the number of spans on each line."""

    path: Path
    lines: list[bytes]
    spans_per_line: list[int]

    @property
    def total(self) -> int:
        return sum(self.spans_per_line)

    @property
    def data(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)


def write_knob_loops(
    path: Path,
    *,
    runs: int = 1,
    tasks: tuple[str, ...] = ("task-a", "task-b", "task-c"),
    iterations: int = 6,
    menu: tuple[str, ...] = ("lr", "depth", "width", "dropout"),
    values: tuple[str, ...] = ("1", "2", "3"),
    model: str = "model-x",
    run_prefix: str = "run-",
    learning_key: str = "key-1",
    mode: str = "auto",
    entry: str = "entry-1",
    batch: int = 4,
) -> Dump:
    """Run knob loops through the SDK in a fresh interpreter, exporting ``batch`` spans per line (a real
    ``BatchSpanProcessor`` with ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``), and return the dump."""
    settings = {
        "PATH": str(path),
        "RUNS": runs,
        "TASKS": list(tasks),
        "ITERATIONS": iterations,
        "MENU": list(menu),
        "VALUES": list(values),
        "MODEL": model,
        "RUN_PREFIX": run_prefix,
        "LEARNING_KEY": learning_key,
        "MODE": mode,
        "ENTRY": entry,
    }
    prelude = "".join(f"{name} = {value!r}\n" for name, value in settings.items())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT / "src"),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": str(batch),
            "OTEL_BSP_MAX_QUEUE_SIZE": "100000",
            "OTEL_BSP_SCHEDULE_DELAY": "60000",
        }
    )
    script = path.with_name(f"{path.stem}-writer.py")  # a file, not -c: the settings may be long
    script.write_text(prelude + textwrap.dedent(KNOB_LOOP), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = path.read_bytes().splitlines()
    counts = [
        sum(len(ss.get("spans", [])) for rs in json.loads(line)["resourceSpans"] for ss in rs.get("scopeSpans", []))
        for line in lines
    ]
    return Dump(path, lines, counts)
