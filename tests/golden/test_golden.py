"""The full report of every golden case equals its golden file exactly (JSON and Markdown), and so does the outline
of its HTML page (structure and text, the charts' SVG left out).

A refactor that moves a number fails here; a change that means to move one regenerates the goldens
(``python -m tests.golden.regen``) and says in its commit why the old number was wrong.
"""

from __future__ import annotations

import difflib

import pytest

from tests.conftest import EXTERNAL_DIR
from tests.golden._cases import CASES, Case, golden_paths, html_golden_path, render_all


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}", "now", n=1, lineterm="")
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_report_equals_its_golden(case: Case) -> None:
    if case.real and EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data goldens")
    json_path, md_path = golden_paths(case)
    assert json_path.exists() and md_path.exists(), f"no golden for {case.name}: run python -m tests.golden.regen"
    json_text, md_text, html_outline = render_all(case)
    for path, text in ((json_path, json_text), (md_path, md_text)):
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{path.name} differs (python -m tests.golden.regen rewrites it):\n" + _diff(
            expected, text, path.name
        )
    if not html_outline:
        pytest.skip("vl-convert-python (the html extra) is absent: the HTML outline is not compared")
    html_path = html_golden_path(case)
    assert html_path.exists(), f"no HTML golden for {case.name}: run python -m tests.golden.regen"
    expected = html_path.read_text(encoding="utf-8")
    assert html_outline == expected, f"html/{html_path.name} differs (python -m tests.golden.regen rewrites it):\n" + (
        _diff(expected, html_outline, html_path.name)
    )


def test_every_golden_file_belongs_to_a_case() -> None:
    names = {p.name for c in CASES for p in golden_paths(c)}
    on_disk = {p.name for p in golden_paths(CASES[0])[0].parent.iterdir() if p.suffix in (".json", ".md")}
    assert on_disk <= names, f"stale golden files: {sorted(on_disk - names)}"
    html_names = {html_golden_path(c).name for c in CASES}
    html_dir = html_golden_path(CASES[0]).parent
    html_on_disk = {p.name for p in html_dir.iterdir()} if html_dir.is_dir() else set()
    assert html_on_disk <= html_names, f"stale HTML golden files: {sorted(html_on_disk - html_names)}"
