"""The full report of every golden case equals its golden file exactly (JSON and Markdown).

A refactor that moves a number fails here; a change that means to move one regenerates the goldens
(``python -m tests.golden.regen``) and says in its commit why the old number was wrong.
"""

from __future__ import annotations

import difflib

import pytest

from tests.conftest import EXTERNAL_DIR
from tests.golden._cases import CASES, Case, golden_paths, render


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}", "now", n=1, lineterm="")
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_report_equals_its_golden(case: Case) -> None:
    if case.real and EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data goldens")
    json_path, md_path = golden_paths(case)
    assert json_path.exists() and md_path.exists(), f"no golden for {case.name}: run python -m tests.golden.regen"
    json_text, md_text = render(case)
    for path, text in ((json_path, json_text), (md_path, md_text)):
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{path.name} differs (python -m tests.golden.regen rewrites it):\n" + _diff(
            expected, text, path.name
        )


def test_every_golden_file_belongs_to_a_case() -> None:
    names = {p.name for c in CASES for p in golden_paths(c)}
    on_disk = {p.name for p in golden_paths(CASES[0])[0].parent.iterdir() if p.suffix in (".json", ".md")}
    assert on_disk <= names, f"stale golden files: {sorted(on_disk - names)}"
