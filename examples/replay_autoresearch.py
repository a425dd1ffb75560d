"""Replay a real autoresearch loop log through the trajdyn SDK decorators.

    python examples/replay_autoresearch.py ../shared/external/autoresearch-trajectory.jsonl \
        --menu ../shared/external/autoresearch-perturbation_menu.json --out replay-out

The decorated ``propose`` returns the logged proposal, ``observe`` the logged ``val_bpb`` and ``decide`` the logged
decision, so the SDK sees exactly the loop that ran. It writes ``OUT/spans.jsonl`` and the live-coverage sidecar
``OUT/spans.coverage.json``; the sidecar's final numbers must equal what ``trajdyn-analyze`` computes for the same
log (``tests/formats/test_autoresearch_acceptance.py`` checks that). Only ``evaluated`` rows are iterations; rows
of other stages (blocked, failed) are not replayed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import trajdyn


def _read_log(path: Path) -> tuple[float | None, list[dict[str, Any]]]:
    """The header's baseline and the evaluated rows, in order."""
    baseline: float | None = None
    rows: list[dict[str, Any]] = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.strip():
            continue
        obj = json.loads(text)
        if "stage" not in obj and "baseline_val_bpb" in obj:
            baseline = float(obj["baseline_val_bpb"])
        elif obj.get("stage") == "evaluated":
            rows.append(obj)
    return baseline, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", type=Path, help="autoresearch trajectory.jsonl")
    parser.add_argument("--menu", type=Path, default=None, help="perturbation_menu.json ({knobs: {name: ...}})")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)

    baseline, rows = _read_log(args.log)
    menu = list(json.loads(args.menu.read_text(encoding="utf-8"))["knobs"]) if args.menu else None
    args.out.mkdir(parents=True, exist_ok=True)
    spans = args.out / "spans.jsonl"
    sidecar = args.out / "spans.coverage.json"
    trajdyn.configure(file=spans, sidecar=sidecar)

    row: dict[str, Any] = {}

    @trajdyn.propose
    def propose() -> dict[str, Any]:
        return {"knob": row["proposal"]["knob"], "value": row["proposal"]["new_value"]}

    @trajdyn.observe
    def observe() -> float:
        return float(row["val_bpb"])

    @trajdyn.decide
    def decide() -> str:
        return str(row["decision"])

    with trajdyn.trajectory(
        task_id=args.log.stem,
        knob_menu=menu,
        objective="minimize",
        metric_name="val_bpb",
        baseline=baseline,
    ):
        for logged in rows:
            row.clear()
            row.update(logged)
            propose()
            observe()
            decide()
    trajdyn.flush()

    report = json.loads(sidecar.read_text(encoding="utf-8"))
    for traj in report.get("trajectories", []):
        print(
            f"{traj.get('trajectory_id')}: {traj.get('iterations')} iterations, "
            f"{traj.get('knobs_touched')} knobs touched, {traj.get('repeat_count')} repeats "
            f"(rate {traj.get('repeat_rate')}), {traj.get('keep_count')} keeps, "
            f"best {traj.get('best_value')} at iteration {traj.get('best_iteration')}"
        )
    print(f"wrote {spans} and {sidecar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
