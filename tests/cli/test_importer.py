"""``trajdyn-import``: thin CLI over convert/write_jsonl, one-line errors, exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trajdyn.cli.importer import EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, main
from trajdyn.formats import convert


def _bad_log(tmp_path: Path) -> Path:
    log = tmp_path / "log.jsonl"
    rows = [
        {"_meta": "x", "baseline_val_bpb": 10.0},
        {
            "iter": 1,
            "stage": "evaluated",
            "proposal": {"knob": "lr", "new_value": 1},
            "val_bpb": 9.0,
            "decision": "keep",
        },
        "{broken",
    ]
    log.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return log


def test_converts_to_a_file_and_reports_on_stderr(
    external: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = external / "autoresearch-trajectory.jsonl"
    menu = external / "autoresearch-perturbation_menu.json"
    out = tmp_path / "spans.jsonl"
    assert main(["autoresearch", str(log), "-o", str(out), "--menu", str(menu)]) == EXIT_OK
    assert [json.loads(x) for x in out.read_text().splitlines()] == convert(log, menu=menu).requests
    err = capsys.readouterr().err
    assert "151 spans" in err and str(out) in err


def test_dash_writes_to_stdout_and_auto_detects(external: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = external / "blitzo125-results.tsv"
    assert main(["auto", str(tsv), "-o", "-", "--quiet"]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.err == ""
    assert [json.loads(x) for x in captured.out.splitlines()] == convert(tsv, "autoresearch-tsv").requests


def test_bad_rows_are_one_line_each_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _bad_log(tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["autoresearch", str(log), "-o", str(out)]) == EXIT_OK
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith(f"trajdyn-import: {log}:3: not valid JSON") for line in err)
    assert "1 row(s) skipped" in err[-1]
    assert out.exists()


def test_strict_exits_1_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["autoresearch", str(_bad_log(tmp_path)), "-o", str(out), "--strict"]) == EXIT_INPUT_ERRORS
    assert not out.exists()
    assert "--strict" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "x.jsonl"], "unknown format 'nope'"),
        (["autoresearch", "{tmp}/missing.jsonl"], "no such file"),
        (["auto", "{tmp}/hello.txt"], "not a log format"),
        (["autoresearch", "{tmp}/hello.txt", "--menu", "{tmp}/missing.json"], "no such menu file"),
        (["autoresearch", "{tmp}/log.jsonl", "-o", "{tmp}/no/such/dir/out.jsonl"], "cannot write"),
        (["autoresearch", "{tmp}/hello.txt"], "not in the autoresearch format"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello.txt").write_text("hello\n")
    _bad_log(tmp_path)
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err


def test_console_entry_point_runs_as_a_subprocess(external: Path, tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    code = "import sys; from trajdyn.cli.importer import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "autoresearch-tsv", str(external / "bervaso-results.tsv"), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 1
    assert "76 spans" in proc.stderr


def test_a_file_of_another_format_is_refused_not_written_empty(external: Path, tmp_path: Path) -> None:
    out = tmp_path / "spans.jsonl"
    for given, says in (
        (external / "autoresearch-trajectory.jsonl", "not in the tau-bench format (it looks like autoresearch)"),
        (external / "jaeger-model-example_trace.json", "not in the tau-bench format (no format trajdyn imports"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "trajdyn.cli.importer", "tau-bench", str(given), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == EXIT_USAGE, proc.stderr
        assert says in proc.stderr and str(given) in proc.stderr
        assert not out.exists()
    empty = tmp_path / "empty.json"
    empty.write_text("[]\n", encoding="utf-8")
    assert main(["tau-bench", str(empty), "-o", str(out)]) == EXIT_USAGE
    assert not out.exists()
