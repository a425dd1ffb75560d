"""Measured series (asv, github-action-benchmark) carry a unit: every Δ of one is shown in that unit — the terminal,
Markdown and HTML reports — each series with its own when a group holds several (seconds and bytes); a score's Δ
stays in percentage points. The JSON numbers are the same; each task of a measured group names its unit."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.formats.test_benchmark_series import _gab_entry
from trajdyn.analyzer import analyze
from trajdyn.analyzer.report import Report, TrendsOptions, render_markdown, render_terminal

FAST = TrendsOptions(simulations=199)
NOISE = [0.0, 0.2, -0.1, 0.1, -0.2, 0.15, -0.05, 0.1, -0.1, 0.0]


def _data_js(path: Path, series: dict[str, str]) -> Path:
    """A github-action-benchmark file (smaller is better) of 20 commits; every series named in ``series`` (name →
    unit) steps up from 10 to 13 at commit 10, a planted regression."""
    values = [10 + e for e in NOISE] + [13 + e for e in NOISE]
    entries = [
        _gab_entry(
            f"{k:040x}",
            1_000_000 + k,
            [{"name": name, "value": str(v), "unit": unit} for name, unit in series.items()],
            "customSmallerIsBetter",
        )
        for k, v in enumerate(values)
    ]
    path.write_text("window.BENCHMARK_DATA = " + json.dumps({"entries": {"S": entries}}), encoding="utf-8")
    return path


def _terminal(report: Report) -> str:
    console = Console(record=True, width=240, file=io.StringIO(), color_system=None)
    render_terminal(report, console)
    return console.export_text()


def _trends_md(report: Report) -> str:
    return render_markdown(report).split("## Trends", 1)[1]


def test_each_series_delta_is_shown_in_its_own_unit(tmp_path: Path) -> None:
    report = analyze([str(_data_js(tmp_path / "data.js", {"x": "ms", "y": "MB"}))], options=[FAST])
    (group,) = report.to_dict()["trends"]  # type: ignore[misc]
    assert group["unit"] == "ms, MB"
    tasks = {t["task_id"]: t for t in group["tasks"]}
    assert {k: (t["unit"], t["verdict"]) for k, t in tasks.items()} == {
        "x": ("ms", "regression"),
        "y": ("MB", "regression"),
    }
    md = _trends_md(report)
    out = _terminal(report)
    for name, unit in (("x", "ms"), ("y", "MB")):
        line = next(line for line in md.splitlines() if line.startswith(f"| task {name} |"))
        assert re.search(rf"regression: [-+0-9.e]+ \[[-+0-9.e]+, [-+0-9.e]+\] {unit} \(q = ", line), line
        assert re.search(rf"regression: [-+0-9.e]+ \[[-+0-9.e]+, [-+0-9.e]+\] {unit} \(q = ", out), unit
    assert "ms, MB (q" not in md  # the group's list of units is never a delta's unit


def test_a_single_measured_series_shows_its_unit_and_no_percentage(tmp_path: Path) -> None:
    report = analyze([str(_data_js(tmp_path / "data.js", {"x": "ms"}))], options=[FAST])
    (group,) = report.to_dict()["trends"]  # type: ignore[misc]
    assert group["unit"] == "ms" and group["verdict"] == "regression" and group["delta"] is not None
    md = _trends_md(report)
    row = next(line for line in md.splitlines() if line.startswith("| S (github-action-benchmark) |"))
    cells = row.split(" | ")
    assert cells[3].endswith(" ms")  # the last value
    assert re.fullmatch(r"[-+0-9.e]+ \[[-+0-9.e]+, [-+0-9.e]+\] ms", cells[4]), cells[4]
    assert " pp" not in md and " %" not in row
    change = next(line for line in md.splitlines() if line.startswith("| change at "))
    assert re.search(r"Δ [-+0-9.e]+ \[[-+0-9.e]+, [-+0-9.e]+\] ms \|$", change), change
    assert re.search(r"[-+0-9.e]+ \[[-+0-9.e]+, [-+0-9.e]+\] ms", _terminal(report))


def test_html_shows_a_measured_delta_in_its_unit(tmp_path: Path) -> None:
    pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")
    from tests.analyzer.report._html import check_page
    from trajdyn.analyzer.report.html import render_html

    report = analyze([str(_data_js(tmp_path / "data.js", {"x": "ms"}))], options=[FAST])
    (group,) = report.to_dict()["trends"]  # type: ignore[misc]
    page = check_page(render_html(report))
    text: Any = page.plain
    trends = text.split("Verdicts", 1)[1]
    delta = f"{group['delta']:+.3g}"
    assert f"{delta} [" in trends and "] ms" in trends
    assert " pp" not in trends  # a raw measurement is not a score: no percentage points
    last = group["series"][-1]
    assert f"{last:.3g} ms" in trends
