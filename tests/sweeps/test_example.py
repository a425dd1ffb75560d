"""examples/sweep_ratchet.py runs end to end: the Ratchet beats keep-if-better on held-out scenarios, and the
sweep runs it writes with the real SDK come back through the analyzer's sweeps section."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_sweep_example_writes_sweep_runs_the_analyzer_reads(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / "sweep_ratchet.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "34 scenarios (25 train, 9 validation), 6 skipped" in out
    # 34 scenarios x 11 values scored; the 6 degenerate seeds x 11 values counted, never scored
    assert "374 runs scored, 0 errors, 66 degenerate" in out
    assert "(replicates-by-scenario)" in out
    proposal = next(line for line in out.splitlines() if line.strip().startswith("w: 0.5 -> "))
    assert "validation" in proposal and ("ACCEPT" in proposal or "REJECT" in proposal)
    assert (tmp_path / "spans.jsonl").stat().st_size > 0
