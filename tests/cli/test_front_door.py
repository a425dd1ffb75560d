"""The front door (issue 15 §3): what a new user types first works, whether a file is named, matched by a quoted glob,
found in a folder or piped in; real subprocess runs of the installed CLI modules on real files."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from trajdyn.cli.analyze import EXIT_OK

AUTORESEARCH = "autoresearch-trajectory.jsonl"
TSVS = ("bervaso-results.tsv", "blitzo125-results.tsv")


def analyze(*args: str | Path, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, with a terminal wide enough that a note is one line."""
    proc = subprocess.run(
        [sys.executable, "-m", "trajdyn.cli.analyze", *map(str, args), "--no-progress"],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "1000"},
        timeout=300,
        check=False,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def report(*args: str | Path, stdin: bytes | None = None) -> dict[str, Any]:
    proc = analyze(*args, "--sections", "exploration", "--json", "-", stdin=stdin)
    assert proc.returncode == EXIT_OK, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _numbers(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (t["iterations"], t["exploration"]["unique_pairs"], t["exploration"]["best_value"]) for t in doc["trajectories"]
    ]


def test_a_quoted_glob_and_stdin_detect_the_format_as_naming_the_file_does(tmp_path: Path, external: Path) -> None:
    log = tmp_path / "runs" / AUTORESEARCH
    log.parent.mkdir()
    shutil.copyfile((external / AUTORESEARCH), log)
    named = report(log)
    assert named["errors"] == [] and _numbers(named) == [(50, 14, 10.8534)]  # the raw file: 50 iterations
    globbed = report(str(tmp_path / "runs" / "*.jsonl"))
    assert globbed["errors"] == [] and _numbers(globbed) == _numbers(named)
    assert globbed["trajectories"][0]["trajectory_id"] == named["trajectories"][0]["trajectory_id"]
    folder = report(tmp_path / "runs")
    assert folder["errors"] == [] and _numbers(folder) == _numbers(named)
    for data in (log.read_bytes(), gzip.compress(log.read_bytes())):
        piped = report("-", stdin=data)
        assert piped["errors"] == [] and _numbers(piped) == _numbers(named)
        assert [i["path"] for i in piped["inputs"]] == ["<stdin>"]
        assert piped["trajectories"][0]["trajectory_id"].startswith("stdin-")  # never the temporary copy's path


def test_stdin_of_otlp_spans_is_still_streamed(tmp_path: Path) -> None:
    from tests.cli.test_analyze import write_spans

    spans = tmp_path / "spans.jsonl"
    write_spans(spans, trajectories=2)
    piped = report("-", stdin=spans.read_bytes())
    assert piped["errors"] == [] and [t["trajectory_id"] for t in piped["trajectories"]] == ["traj-0", "traj-1"]


def _without_paths(value: Any, path: str) -> Any:
    """``value`` with every occurrence of the input's name ``path`` replaced by ``<stdin>``."""
    return json.loads(json.dumps(value).replace(json.dumps(path)[1:-1], "<stdin>"))


@pytest.mark.parametrize(
    ("name", "section"),
    [("pinchbench/results/0005_main.json", "trends"), ("popoto-sweep_20260420_051055.json", "sweeps")],
)
def test_a_result_or_sweep_summary_on_stdin_is_read_as_naming_it(external: Path, name: str, section: str) -> None:
    """A benchmark result or sweep summary piped in is detected by content (it used to be read as OTLP and give
    nothing), plain or gzip'd, and gives the block naming the file gives; its input is named ``<stdin>``."""
    path = external / name

    def block(*args: str | Path, stdin: bytes | None = None) -> tuple[dict[str, Any], Any]:
        proc = analyze(*args, "--sections", section, "--json", "-", stdin=stdin)
        assert proc.returncode == EXIT_OK, proc.stderr
        doc = json.loads(proc.stdout)
        return doc, doc[section]

    named_doc, named = block(path)
    assert named_doc["errors"] == [] and named  # the file itself has a non-empty block
    for data in (path.read_bytes(), gzip.compress(path.read_bytes())):
        piped_doc, piped = block("-", stdin=data)
        assert piped_doc["errors"] == []
        assert [i["path"] for i in piped_doc["inputs"]] == ["<stdin>"]
        expected = _without_paths(named, str(path))
        if section == "trends":  # stdin has no directory: its runs' directory label is its name
            assert {r["dir"] for g in piped for r in g["runs"]} == {"<stdin>"}
            for group in expected:
                for run in group["runs"]:
                    run["dir"] = "<stdin>"
        assert piped == expected
        assert "trajdyn-stdin-" not in json.dumps(piped_doc)  # never the temporary copy's path


def test_a_result_summary_cut_short_on_stdin_is_reported_as_stdin(tmp_path: Path, external: Path) -> None:
    """A PinchBench file cut short: piped in, its problem is reported at ``<stdin>:LINE`` as it is at ``FILE:LINE``
    when named, with the same exit status, and never under the temporary copy's path."""
    data = (external / "pinchbench/results/0005_main.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    named = analyze(cut, "--format", "pinchbench", "--sections", "trends")
    piped = analyze("-", "--format", "pinchbench", "--sections", "trends", stdin=cut.read_bytes())
    assert named.returncode == piped.returncode != EXIT_OK
    line = named.stderr.split(f"{cut}:", 1)[1].split(":", 1)[0]
    assert line.isdigit() and f"<stdin>:{line}:" in piped.stderr
    assert "trajdyn-stdin-" not in piped.stdout + piped.stderr


def test_a_tsv_glob_reads_the_tsv_logs_and_never_says_malformed_json(tmp_path: Path, external: Path) -> None:
    for name in TSVS:
        shutil.copyfile((external / name), tmp_path / name)
    proc = analyze(str(tmp_path / "*.tsv"), "--sections", "exploration", "--json", "-")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "malformed" not in proc.stderr.lower() and "JSON" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == [] and len(doc["trajectories"]) == len(TSVS)
    assert sorted(i["path"] for i in doc["inputs"]) == sorted(str(tmp_path / n) for n in TSVS)


def _sdk_run(out: Path) -> None:
    """A real decorated loop writing spans.jsonl and its live coverage sidecar into ``out``."""
    script = textwrap.dedent(
        f"""
        import trajdyn
        trajdyn.configure(file={str(out / "spans.jsonl")!r})

        @trajdyn.propose
        def propose(i):
            return {{"knob": "lr", "value": str(i % 2)}}

        @trajdyn.observe
        def observe(p):
            return 1.0

        @trajdyn.decide
        def decide(m):
            return "keep"

        with trajdyn.trajectory(task_id="t", knob_menu=["lr", "depth"], objective="minimize"):
            for i in range(4):
                decide(observe(propose(i)))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_a_folder_scan_reads_by_content_and_says_what_it_skipped(tmp_path: Path, external: Path) -> None:
    out = tmp_path / "trajdyn-out"
    _sdk_run(out)
    assert (out / "spans.coverage.json").is_file()  # the SDK's own sidecar, next to its spans
    shutil.copyfile((external / TSVS[0]), out / "results.tsv")
    (out / "notes.traj").write_text('{"not": "a trajectory"}\n', encoding="utf-8")
    (out / "README.md").write_text("# my runs\n", encoding="utf-8")
    proc = analyze(out, "--sections", "exploration", "--json", "-")
    assert proc.returncode == EXIT_OK, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []  # the sidecar is no input error any more
    assert sorted(i["path"] for i in doc["inputs"]) == sorted([str(out / "spans.jsonl"), str(out / "results.tsv")])
    assert sorted(t["iterations"] for t in doc["trajectories"]) == sorted([4, 25])  # the SDK loop; the TSV's 25 rows
    notes = doc["notes"]
    assert any("spans.coverage.json" in n and "sidecar" in n for n in notes)
    (skipped,) = [n for n in notes if "skipped 2 file(s)" in n]
    assert ".md ×1" in skipped and ".traj ×1" in skipped
    shown = analyze(out, "--sections", "exploration")  # the terminal shows the notes too
    assert "spans.coverage.json" in shown.stdout and "skipped 2 file(s)" in shown.stdout


def test_naming_the_sidecar_is_a_note_not_an_input_error(tmp_path: Path) -> None:
    out = tmp_path / "trajdyn-out"
    _sdk_run(out)
    doc = report(out / "spans.jsonl", out / "spans.coverage.json")
    assert doc["errors"] == [] and [t["iterations"] for t in doc["trajectories"]] == [4]
    assert [n for n in doc["notes"] if "sidecar" in n]


@pytest.mark.parametrize("flag", ["--json", "--markdown"])
def test_dash_means_stdout_for_every_output(tmp_path: Path, flag: str) -> None:
    from tests.cli.test_analyze import write_spans

    spans = tmp_path / "spans.jsonl"
    write_spans(spans)
    proc = analyze(spans, flag, "-", cwd=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert not (tmp_path / "-").exists()
    if flag == "--json":
        assert json.loads(proc.stdout)["schema"] == "trajdyn.report/1"
    else:
        assert proc.stdout.startswith("# trajdyn report\n") and "## Exploration" in proc.stdout


def test_spans_with_no_recognisable_run_say_what_was_found_and_what_is_needed(external: Path) -> None:
    given = external / "jaeger-otlp_fields_trace.json"
    doc = json.loads(analyze(given, "--json", "-").stdout)
    assert doc["trajectories"] == [] and doc["errors"] == []
    (note,) = doc["notes"]
    assert note.startswith("1 span(s) but no agent run recognised: services otlp-fields-service ×1; ")
    assert "operations otlp-fields-span ×1" in note and "gen_ai.operation.name invoke_agent" in note
    shown = analyze(given)
    assert shown.returncode == EXIT_OK, shown.stderr
    assert note in shown.stdout  # one line on the terminal
    assert "with replicates" not in shown.stdout and "pass^k" not in shown.stdout  # no empty sensitivity table
    assert "Sensitivity: no tasks" in shown.stdout


def _terminal(*args: str | Path, columns: int) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "trajdyn.cli.analyze", *map(str, args), "--no-progress"],
        capture_output=True,
        env={**os.environ, "COLUMNS": str(columns)},
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT_OK, proc.stderr.decode()
    return proc.stdout.decode()


@pytest.mark.parametrize("columns", [80, 200])
def test_compare_to_deltas_and_pinchbench_scores_reach_the_terminal(
    tmp_path: Path, external: Path, columns: int
) -> None:
    """The terminal shows every run's PinchBench score and the --compare-to deltas, narrow or wide, as JSON has them."""
    runs = sorted((external / "pinchbench").glob("results*/*_main.json"), key=lambda p: p.name)
    assert [p.name[:4] for p in runs] == ["0005", "0006", "0007", "0008", "0009", "0010"]
    previous = tmp_path / "previous.json"
    assert analyze(*runs[:5], "--sections", "trends", "--json", previous).returncode == EXIT_OK
    now = json.loads(analyze(*runs, "--sections", "trends", "--compare-to", previous, "--json", "-").stdout)
    (group,) = now["trends"]
    compare = group["compare"]
    assert compare["new_runs"] == ["0010"] and compare["previous_n_runs"] == 5
    shown = _terminal(*runs, "--sections", "trends", "--compare-to", previous, columns=columns)
    flat = " ".join(shown.split())  # rich may fold a long cell over lines
    assert "Trends compared with the report of" in flat
    (then,) = json.loads(previous.read_text())["trends"]
    assert compare["last_score_delta"] == pytest.approx(group["runs"][-1]["score"] - then["runs"][-1]["score"])
    delta = f"{compare['last_score_delta'] * 100:+.1f} pp"
    assert delta == "-1.6 pp"  # 0010 scored 88.9 %, 0009 (the earlier report's last run) 90.5 %
    assert delta in flat and "1: 0010" in flat
    assert f"{compare['previous_verdict']} → {group['verdict']}" in flat
    for run in group["runs"]:  # every run's score, not only the sparkline
        assert f"{run['score'] * 100:.1f} %" in flat and run["run_id"] in flat


@pytest.mark.parametrize("name", [AUTORESEARCH, "jaeger-otlp_fields_trace.json"])
def test_sections_without_their_data_print_nothing_not_empty_tables(external: Path, name: str) -> None:
    """trends, playbook, fusion and sweeps asked for on an input without their data: no heading, no table."""
    asked = ("--sections", "trends,playbook,fusion,sweeps")
    markdown = analyze(external / name, *asked, "--markdown", "-")
    assert markdown.returncode == EXIT_OK, markdown.stderr
    assert markdown.stdout.startswith("# trajdyn report\n")
    for heading in ("## Trends", "## Playbook", "## Fusion", "## Sweeps"):
        assert heading not in markdown.stdout
    assert [line for line in markdown.stdout.splitlines() if line.startswith("|---")] == ["|---|---|---|"]  # inputs
    shown = _terminal(external / name, *asked, columns=1000)  # a note is one line
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) <= 2 and lines[0].startswith("trajdyn report — 1 input(s)")  # the summary (and a note)
