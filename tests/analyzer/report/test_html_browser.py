"""The HTML report in a real browser (headless Chromium over the DevTools protocol, ``tests/_browser.py``).

For the example agent loop, τ-bench, PinchBench and an injection case (hostile strings in every section), the page
written by ``trajdyn-analyze --out`` is loaded with JavaScript on and off: no console error, no request (every request
is intercepted and failed, and recorded), no script or live element in the DOM, and the visible text holds the
headline numbers of the JSON report written next to it. Screenshots go to a temporary folder named in the test output.

Chromium comes from Debian's package (``scripts/test.sh`` installs it when absent); without it these tests skip.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import Browser, find_chromium
from tests.analyzer.report._html import PAYLOADS, hostile_inputs, run_example
from tests.conftest import EXTERNAL_DIR, SUMMARY_LINES

pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")

from trajdyn.analyzer.report._escape import visible
from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.cli.analyze import EXIT_OK, main

PROBES = {
    "scripts": "document.querySelectorAll('script').length",
    "live": "document.querySelectorAll('img,iframe,object,embed,link,image,foreignObject,use,form').length",
    "handlers": "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')))"
    ".length",
    "external": "[...document.querySelectorAll('[href]')].filter(e => !e.getAttribute('href').startsWith('#')).length",
    "title": "document.title",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.skip(
            "Chromium is not installed and could not be: scripts/test.sh installs it as root with "
            "`apt-get install -y --no-install-recommends chromium fonts-liberation`; TRAJDYN_CHROMIUM names a binary"
        )
    b = Browser(timeout=90)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    """The folder of the screenshots, named in the test output (the terminal summary)."""
    folder = Path(tempfile.mkdtemp(prefix="trajdyn-html-screenshots-"))
    SUMMARY_LINES.append(f"HTML report screenshots (the browser tests): {folder}")
    return folder


def _write(paths: list[str], out: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    rc = main([*paths, "--out", str(out), "--no-progress", "--quiet", "--shuffles", "20", *extra])
    assert rc == EXIT_OK
    return out / "report.html", json.loads((out / "report.json").read_text(encoding="utf-8"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _load(browser: Browser, page: Path, shot: Path) -> tuple[str, str]:
    """Load with JS on (screenshot) and off; assert the page is silent and inert; return both visible texts."""
    texts = []
    for js in (True, False):
        result = browser.open_page(page, js=js, screenshot=shot if js else None, probes=PROBES)
        assert result.errors == [], result.errors
        assert result.requests == [], result.requests
        assert result.probes["scripts"] == 0 and result.probes["live"] == 0, result.probes
        assert result.probes["handlers"] == 0 and result.probes["external"] == 0, result.probes
        assert result.probes["title"].startswith("trajdyn report")
        texts.append(_flat(result.text))
    assert texts[0] == texts[1]  # nothing on the page depends on JavaScript
    assert shot.stat().st_size > 10_000
    return texts[0], result.all_text


def _require_external() -> Path:
    if EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data tests")
    return EXTERNAL_DIR


def test_the_example_loop(browser: Browser, shots: Path, tmp_path: Path) -> None:
    spans = run_example(tmp_path / "loop")
    page, report = _write([str(spans)], tmp_path / "out")
    text, _ = _load(browser, page, shots / "example-loop.png")
    (traj,) = report["trajectories"]
    block = traj["exploration"]
    assert "Trajectories 1 from 1 input" in text
    assert f"Repeat rate {fmt_num(block['repeat_rate'], 2)} {block['repeat_count']} of {block['iterations']}" in text
    assert f"Improvement over baseline {fmt_pct(block['improvement'])}" in text
    assert f"best {fmt_num(block['best_value'], 6)} at iteration {block['best_iteration']}" in text
    assert f"Regime {traj['dynamics']['regime']}" in text
    assert f"keeps {block['keep_count']} at {block['keep_iterations']}" in text


def test_tau_bench(browser: Browser, shots: Path, tmp_path: Path) -> None:
    external = _require_external()
    page, report = _write([str(external / "tau-bench-gpt-4o-airline.json")], tmp_path / "out")
    text, _ = _load(browser, page, shots / "tau-bench.png")
    n = len(report["trajectories"])
    assert f"Trajectories {n:,} from 1 input" in text
    summary = report["sensitivity"]["summary"]
    lam = summary["replicate_lambda"]
    assert (
        f"λ replicate (mean over tasks) {fmt_num(lam['mean'], 3)} 95 % CI {fmt_num(lam['ci'][0], 3)} – "
        f"{fmt_num(lam['ci'][1], 3)} (n = {lam['n']} tasks)" in text
    )
    assert "pass^k " + " / ".join(fmt_num(p["value"], 2) for p in summary["pass_k"]) in text
    loops = sum(1 for t in report["trajectories"] if t["dynamics"]["loop"]["detected"])
    assert f"Loops detected {loops} of {n}" in text
    significant = [
        c
        for key in ("by_regime", "by_loop", "by_repeats")
        for c in report["sensitivity"]["outcomes"][key]
        if c["fisher_p"] is not None and c["fisher_p"] <= 0.05
    ]
    for c in significant:  # the overview's findings: categories that fail more (or less) often than the rest
        assert f"{c['category']}: {c['failures']} of {c['with_reward']} failed" in text
    assert "20 of 200 trajectories, the most interesting first" in text


def test_pinchbench(browser: Browser, shots: Path, tmp_path: Path) -> None:
    external = _require_external()
    page, report = _write([str(external / "pinchbench")], tmp_path / "out")
    text, _ = _load(browser, page, shots / "pinchbench.png")
    groups = report["trends"]
    worse = sum(1 for g in groups if g["verdict"] == "regression")
    assert f"Regressions {worse} of {len(groups)}" in text
    for g in groups:
        assert f"{g['series'][-1] * 100:.1f} %" in text  # the last score of each group, in the verdict table
        lvp = g["last_vs_previous"]
        assert (
            f"{lvp['delta'] * 100:+.1f} pp [{lvp['delta_ci'][0] * 100:+.1f} pp, {lvp['delta_ci'][1] * 100:+.1f} pp]"
            in text
        )
    assert f"Trajectories 0 from {len(report['inputs'])} inputs" in text


def test_hostile_strings_in_every_section(browser: Browser, shots: Path, tmp_path: Path) -> None:
    spans, playbook = hostile_inputs(tmp_path)
    page, report = _write(
        [str(spans)],
        tmp_path / "out",
        "--playbook",
        str(playbook),
        "--allowed-handles",
        "logs.search",
        "--html-detail",
        "50",
    )
    assert {"playbook", "sensitivity", "trends"} <= set(report)
    text, all_text = _load(browser, page, shots / "hostile.png")
    for payload in PAYLOADS:
        assert _flat(visible(payload)) in text, payload  # shown as text, escapes visible
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(1)>" in text
    assert "\x1b" not in all_text and "\u202e" not in all_text
