"""``trajdyn-analyze`` run as a real subprocess on span files written by the real OpenTelemetry SDK."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import set_span_in_context

from trajdyn import conventions as C
from trajdyn.cli.analyze import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE

T0 = 1_700_000_000_000_000_000
MENU = ("lr", "depth", "width", "dropout")
# (knob, value, metric, decision): lr=0.1 proposed 3 times, best 0.5 at iteration 4 (minimize), keeps at 2 and 4
LOOP: Sequence[tuple[str, str, float, str]] = (
    ("lr", "0.1", 0.9, "revert"),
    ("depth", "4", 0.8, "keep"),
    ("lr", "0.1", 0.85, "revert"),
    ("width", "256", 0.5, "keep"),
    ("lr", "0.1", 0.6, "revert"),
)


class SequentialIds(IdGenerator):
    """Deterministic trace and span ids."""

    def __init__(self) -> None:
        self.trace = 0
        self.span = 0

    def generate_trace_id(self) -> int:
        self.trace += 1
        return self.trace

    def generate_span_id(self) -> int:
        self.span += 1
        return self.span


def write_spans(path: Path, trajectories: int = 1) -> None:
    """Agent runs through the SDK and the official OTLP/JSON file exporter, with a fixed clock."""
    exporter = FileSpanExporter(path)
    provider = TracerProvider(resource=Resource.create({"service.name": "cli-test"}), id_generator=SequentialIds())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE)
    clock = T0
    for t in range(trajectories):
        tid = f"traj-{t}"
        root = tracer.start_span(
            C.trajectory_span_name("tuner"),
            start_time=clock,
            attributes={
                C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
                C.GEN_AI_AGENT_NAME: "tuner",
                C.TRAJECTORY_ID: tid,
                C.TASK_ID: f"task-{t}",
                C.RUN_ID: "run-1",
                C.KNOB_MENU: list(MENU),
                C.OBJECTIVE: C.OBJECTIVE_MINIMIZE,
                C.BASELINE: 1.0,
            },
        )
        ctx = set_span_in_context(root)
        for i, (knob, value, metric, decision) in enumerate(LOOP, start=1):
            for phase, attrs in (
                (C.PHASE_PROPOSE, {C.KNOB: knob, C.VALUE: value, C.ACTION: f"{knob}={value}"}),
                (C.PHASE_OBSERVE, {C.METRIC: metric}),
                (C.PHASE_DECIDE, {C.DECISION: decision}),
            ):
                clock += 1_000
                span = tracer.start_span(
                    phase,
                    context=ctx,
                    start_time=clock,
                    attributes={C.PHASE: phase, C.ITERATION: i, C.TRAJECTORY_ID: tid, **attrs},
                )
                span.end(end_time=clock + 500)
        clock += 1_000
        root.end(end_time=clock)
    provider.shutdown()


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajdyn.cli.analyze", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def spans(tmp_path: Path) -> Path:
    path = tmp_path / "spans.jsonl"
    write_spans(path)
    return path


def test_json_to_stdout_is_only_json_with_the_planted_numbers(spans: Path) -> None:
    proc = run(spans, "--json", "-", "--no-progress")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "trajdyn.report/1"
    assert doc["inputs"][0]["path"] == str(spans)
    (traj,) = doc["trajectories"]
    assert (traj["trajectory_id"], traj["task_id"], traj["run_id"], traj["iterations"]) == (
        "traj-0",
        "task-0",
        "run-1",
        5,
    )
    e = traj["exploration"]
    assert (e["knobs_total"], e["knobs_touched"], e["knobs_untouched"]) == (4, 3, ["dropout"])
    assert (e["unique_pairs"], e["repeat_count"], e["repeat_rate"]) == (3, 2, 0.4)
    assert e["top_pairs"][0] == {"knob": "lr", "value": "0.1", "n": 3}
    assert (e["keep_iterations"], e["first_keep_iteration"]) == ([2, 4], 2)
    assert (e["best_iteration"], e["best_value"], e["best_pair"]) == (4, 0.5, {"knob": "width", "value": "256"})
    assert e["improvement"] == pytest.approx(0.5)
    assert e["since_improvement"] == 1


def test_window_and_eta_options_reach_the_metrics(spans: Path) -> None:
    doc = json.loads(run(spans, "--json", "-", "--window", "2", "--eta", "0.5").stdout)
    e = doc["trajectories"][0]["exploration"]
    assert [w["rate"] for w in e["windows_repeat_rate"]] == [0.0, 0.5, 1.0]
    # η = 0.5 (minimize, baseline 1.0): no metric beats the running best by more than half of it
    assert e["since_improvement"] == 5 and e["longest_plateau"] == 5


def test_terminal_report_without_output_options(spans: Path) -> None:
    proc = run(spans)
    assert proc.returncode == EXIT_OK
    assert "traj-0" in proc.stdout and "3 of 4 knobs" in proc.stdout and "width=256" in proc.stdout


def test_out_dir_and_markdown_file(spans: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    md = tmp_path / "other.md"
    proc = run(spans, "--out", out, "--markdown", md)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stdout == ""
    doc = json.loads((out / "report.json").read_text())
    assert doc["trajectories"][0]["exploration"]["unique_pairs"] == 3
    assert (out / "report.md").read_text().startswith("# trajdyn report")
    assert "## Exploration" in md.read_text()


def test_bad_lines_are_reported_as_path_line_and_the_rest_analysed(spans: Path) -> None:
    good = spans.read_text()
    with spans.open("a") as fh:
        fh.write("this is not json\n")
        fh.write(good.splitlines()[0][:40])  # a truncated last line (a killed writer)
    n_good = len(good.splitlines())
    proc = run(spans, "--json", "-")
    assert proc.returncode == EXIT_OK
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{spans}:{n_good + 1}: ")
    assert lines[1].startswith(f"{spans}:{n_good + 2}: ")
    doc = json.loads(proc.stdout)
    assert [(e["path"], e["line"]) for e in doc["errors"]] == [(str(spans), n_good + 1), (str(spans), n_good + 2)]
    assert doc["trajectories"][0]["iterations"] == 5
    assert run(spans, "--json", "-", "--quiet").stderr == ""


def test_strict_exits_1_with_one_line(spans: Path) -> None:
    with spans.open("a") as fh:
        fh.write("{broken\n")
    proc = run(spans, "--strict", "--json", "-")
    assert proc.returncode == EXIT_INPUT_ERROR
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert f"{spans}:" in proc.stderr


def test_many_errors_are_capped_with_a_count(spans: Path) -> None:
    with spans.open("a") as fh:
        fh.write("garbage\n" * 25)
    proc = run(spans, "--json", "-")
    assert proc.returncode == EXIT_OK
    lines = proc.stderr.splitlines()
    assert len(lines) == 21 and lines[-1] == "... and 5 more input problems"


@pytest.mark.parametrize(
    "args",
    [
        ("--window", "0"),
        ("--eta", "-1"),
        ("--eta", "nan"),
        ("--bogus",),
        (),
    ],
)
def test_usage_errors_exit_2(spans: Path, args: tuple[str, ...]) -> None:
    proc = run(*((spans,) if args else ()), *args)
    assert proc.returncode == EXIT_USAGE
    assert "Traceback" not in proc.stderr and "error:" in proc.stderr


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    proc = run(tmp_path / "missing.jsonl")
    assert proc.returncode == EXIT_USAGE
    assert "missing.jsonl" in proc.stderr and "nothing readable" in proc.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert run(empty).returncode == EXIT_USAGE


def test_unknown_format_is_a_usage_error(spans: Path) -> None:
    proc = run(spans, "--format", "no-such-format")
    assert proc.returncode == EXIT_USAGE
    assert len(proc.stderr.splitlines()) == 1 and "no-such-format" in proc.stderr


def test_help_documents_exit_codes() -> None:
    proc = run("--help")
    assert proc.returncode == EXIT_OK
    for code in ("0  success", "1  --strict", "2  usage error", "3  --fail-on-regression"):
        assert code in proc.stdout


def test_main_in_process_returns_codes(spans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trajdyn.cli.analyze import main

    assert main([str(spans), "--json", "-"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["trajectories"][0]["iterations"] == 5
    assert main(["--window", "x", str(spans)]) == EXIT_USAGE


def test_several_inputs_and_trajectories(spans: Path, tmp_path: Path) -> None:
    other = tmp_path / "more.jsonl"
    write_spans(other, trajectories=3)
    doc = json.loads(run(spans, other, "--json", "-").stdout)
    assert [i["path"] for i in doc["inputs"]] == [str(spans), str(other)]
    # the same ids in both files (a re-exported run) are one trajectory
    assert sorted(t["trajectory_id"] for t in doc["trajectories"]) == ["traj-0", "traj-1", "traj-2"]


def test_imported_log_errors_keep_the_original_path(external: Path, tmp_path: Path) -> None:
    """A foreign loop log is converted by the importers; its bad rows are reported against the original file."""
    log = tmp_path / "loop.jsonl"
    lines = (external / "autoresearch-trajectory.jsonl").read_text().splitlines()
    log.write_text("\n".join([*lines[:3], "{not json", *lines[3:]]) + "\n")
    menu = external / "autoresearch-perturbation_menu.json"
    proc = run(log, "--menu", menu, "--json", "-")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr.startswith(f"{log}:4: ")
    doc = json.loads(proc.stdout)
    assert doc["inputs"][0]["path"] == str(log) and doc["inputs"][0]["errors"] >= 1
    e = doc["trajectories"][0]["exploration"]
    assert (e["knobs_touched"], e["knobs_total"], e["repeat_count"], e["unique_pairs"]) == (6, 13, 36, 14)
    assert e["keep_iterations"] == [4, 6, 23, 31, 33, 43, 45, 46]
    assert (e["best_iteration"], e["best_value"]) == (45, 10.8534)
    assert round(e["improvement"] * 100, 2) == 0.93
    assert [w["rate"] for w in e["windows_repeat_rate"]] == [0.5, 0.5, 0.8, 0.9, 0.9]
    assert run(log, "--menu", menu, "--strict").returncode == EXIT_INPUT_ERROR


def test_console_script_is_installed() -> None:
    script = shutil.which("trajdyn-analyze", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("trajdyn is not installed with its console scripts in this environment")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == EXIT_OK and "trajdyn-analyze" in proc.stdout


def test_sections_option_computes_only_the_named_sections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--sections exploration leaves dynamics out of every trajectory entry; an unknown name is a usage error."""
    from trajdyn.cli.analyze import EXIT_USAGE, main

    log = tmp_path / "loop.jsonl"
    log.write_text(
        '{"_meta": "log", "baseline_val_bpb": 10.0}\n'
        '{"iter": 1, "stage": "evaluated", "proposal": {"knob": "lr", "new_value": 1}, "val_bpb": 9.9, "decision": "keep"}\n',
        encoding="utf-8",
    )
    assert main([str(log), "--json", "-", "--sections", "exploration"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["trajectories"]
    assert "exploration" in entry and "dynamics" not in entry
    assert main([str(log), "--json", "-"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["trajectories"]
    assert entry["dynamics"]["turns"] == 1 and entry["exploration"]["iterations"] == 1
    assert main([str(log), "--sections", "exploration,nope"]) == EXIT_USAGE
    assert "'nope'" in capsys.readouterr().err
