"""The example loop runs, writes spans and a sidecar that agree, and --block-repeats removes repeats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sdk.conftest import REPO_ROOT
from tests.sdk.test_process import _spans_in

EXAMPLE = REPO_ROOT / "examples" / "autoresearch_loop.py"


def _run(out: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--iterations", "30", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr
    assert "repeat rate" in proc.stdout
    doc: dict[str, Any] = json.loads((out / "spans.coverage.json").read_text())
    (entry,) = doc["trajectories"]
    return entry


def test_example_short_memory_repeats_and_spans_match_sidecar(tmp_path: Path) -> None:
    """With k=5 the proposer repeats itself; the spans file holds every step and the sidecar counts them."""
    entry = _run(tmp_path)
    assert entry["state"] == "finished"
    assert entry["iterations"] == 30
    assert entry["repeat_count"] > 0
    spans = _spans_in(tmp_path / "spans.jsonl")
    proposes = [s for s in spans if s["name"] == "propose"]
    assert len(proposes) == 30
    assert len([s for s in spans if s["name"] == "decide"]) == 30


def test_example_block_repeats_has_no_repeats(tmp_path: Path) -> None:
    """With the repeat guard on, no evaluated iteration repeats a pair; refusals are blocked spans."""
    entry = _run(tmp_path, "--block-repeats")
    assert entry["iterations"] == 30
    assert entry["repeat_count"] == 0
    assert entry["unique_pairs"] == 30
