"""``--compare-to``: an earlier report is read, checked and handed to the sections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

pytest.importorskip("polars", reason="needs the analyze extra")

from trajdyn.analyzer import analyze
from trajdyn.analyzer.report import (
    Report,
    ReportContext,
    ReportSection,
    SectionResult,
    load_previous_report,
    report_to_json,
)
from trajdyn.cli.analyze import EXIT_USAGE, main
from trajdyn.exceptions import InputError

AUTORESEARCH = [
    {"_meta": "log", "baseline_val_bpb": 10.0},
    {"iter": 1, "stage": "evaluated", "proposal": {"knob": "lr", "new_value": 1}, "val_bpb": 9.9, "decision": "keep"},
]


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "loop.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in AUTORESEARCH), encoding="utf-8")
    return path


class _Echo(ReportSection):
    """A report-scope section that reports what it saw of the previous report."""

    name: ClassVar[str] = "echo"
    scope = "report"

    def compute(self, ctx: ReportContext) -> SectionResult:
        prev = ctx.previous
        return SectionResult(block={"previous_schema": None if prev is None else prev["schema"]})

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        return []

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[object]:  # type: ignore[override]
        return []


def test_previous_report_reaches_the_sections(tmp_path: Path) -> None:
    log = _log(tmp_path)
    first = analyze(log, sections=[_Echo()])
    assert first.to_dict()["echo"] == {"previous_schema": None}
    old = tmp_path / "old.json"
    old.write_text(report_to_json(first), encoding="utf-8")
    second = analyze(log, sections=[_Echo()], compare_to=old)
    assert second.to_dict()["echo"] == {"previous_schema": "trajdyn.report/1"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"schema": "other/1"}', "expected a trajdyn.report/1 report"),
        ("[1]", "got schema"),
    ],
)
def test_a_file_that_is_not_a_report_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_previous_report(bad)


def test_cli_rejects_a_missing_previous_report_with_usage_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([str(_log(tmp_path)), "--json", "-", "--compare-to", str(tmp_path / "missing.json")])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "missing.json" in err and "Traceback" not in err
