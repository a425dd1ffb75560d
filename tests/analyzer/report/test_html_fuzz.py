"""Random text cannot crash the chart renderer: every chart builder drawn with hypothesis text, in a subprocess
(vl-convert aborts the process on an XML-invalid character, which only a separate process can observe)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")

EXAMPLES = int(os.environ.get("TRAJDYN_HTML_FUZZ_EXAMPLES", "80"))


@pytest.mark.parametrize("seed", [16, 1616])
def test_random_text_cannot_abort_the_chart_renderer(seed: int, tmp_path: Path) -> None:
    log = tmp_path / "examples.log"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.analyzer.report._html_fuzz",
            "--examples",
            str(EXAMPLES),
            "--seed",
            str(seed),
            "--log",
            str(log),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=900,
        check=False,
    )
    last = log.read_text(encoding="utf-8").splitlines()[-1:] if log.exists() else []
    assert proc.returncode == 0, f"rc {proc.returncode}; last example: {last}\n{proc.stderr[-3000:]}"
    drawn = int(proc.stdout.split()[1])
    assert drawn >= EXAMPLES // 2, proc.stdout  # hypothesis may stop early once the space is covered
