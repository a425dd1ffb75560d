"""One format registry: span formats and result formats side by side, detected by content; a new format is one
object and one registration, and the analyzer and ``trajdyn-import`` pick it up; the package needs neither polars
nor the OpenTelemetry SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C
from trajdyn.formats import (
    FORMATS,
    RESULT_KEYS,
    ImportedStep,
    ImportedTrajectory,
    InputProblem,
    ResultFormat,
    SpanFormat,
    convert,
    detect_format,
    read_result,
    register_format,
    unregister_format,
)

# ---------------------------------------------------------------------------------------------------------
# a plug-in span format: "step,action,score" CSV, one trajectory per file, one agent turn per row
# ---------------------------------------------------------------------------------------------------------
CSV_HEADER = "step,action,score"


def _csv_sniff(head: bytes) -> bool:
    return head.decode("utf-8", errors="replace").splitlines()[0].strip() == CSV_HEADER


def _csv_parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    steps: list[ImportedStep] = []
    problems: list[InputProblem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], start=2):
        cells = line.split(",")
        if len(cells) != 3:
            problems.append(InputProblem(str(path), number, f"expected 3 cells, got {len(cells)}"))
            continue
        steps.append(ImportedStep(line=number, knob="action", value=cells[1], metric=float(cells[2])))
    return [ImportedTrajectory(line=1, task_id=path.stem, knob_menu=menu, steps=steps)], problems


CSV_LOG = SpanFormat(name="csv-loop", description="a test loop log", sniff=_csv_sniff, parse=_csv_parse)

# ---------------------------------------------------------------------------------------------------------
# a plug-in result format: {"suite": "toy", "run": ..., "model": ..., "scores": {task: score}}
# ---------------------------------------------------------------------------------------------------------


def _toy_sniff(head: bytes) -> bool:
    return head.lstrip().startswith(b'{"suite": "toy"')


def _toy_parse(path: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    doc = json.loads(text)
    records = []
    for task, score in doc["scores"].items():
        record: dict[str, Any] = dict.fromkeys(RESULT_KEYS)
        record.update(
            path=path,
            model=doc["model"],
            run_id=doc["run"],
            time=float(doc["time"]),
            suite="toy",
            in_progress=False,
            task_id=task,
            score=score,
            duplicates=0,
        )
        records.append(record)
    return records, []


TOY_RESULTS = ResultFormat(name="toy-results", description="a test result file", sniff=_toy_sniff, parse=_toy_parse)


@pytest.fixture
def plugins() -> Iterator[None]:
    register_format(CSV_LOG)
    register_format(TOY_RESULTS)
    try:
        yield
    finally:
        unregister_format(CSV_LOG.name)
        unregister_format(TOY_RESULTS.name)


def _csv(path: Path, actions: str) -> Path:
    rows = [CSV_HEADER, *(f"{i + 1},{a},{0.5 + 0.01 * i}" for i, a in enumerate(actions))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_span_and_result_formats_share_one_registry_in_detection_order() -> None:
    assert list(FORMATS) == [
        "pinchbench",
        "pinchbench-skill-summary",
        "popoto-sweep",
        "atlas",
        "autoresearch",
        "autoresearch-tsv",
        "tau-bench",
        "trail",
        "trail-annotations",
        "mast-annotations",
        "mast-hyperagent",
        "mast-ag2",
        "mast-metagpt",
        "whowhen",
    ]
    assert [FORMATS[n].kind for n in FORMATS] == ["results", "results", "sweeps"] + ["spans"] * 11


def test_detection_can_be_limited_to_one_kind(external: Path) -> None:
    result_file = external / "pinchbench" / "results" / "0005_main.json"
    assert detect_format(result_file) == "pinchbench"
    assert detect_format(result_file, kind="results") == "pinchbench"
    assert detect_format(result_file, kind="spans") is None
    log = external / "autoresearch-trajectory.jsonl"
    assert detect_format(log, kind="spans") == "autoresearch" and detect_format(log, kind="results") is None


def test_registering_checks_the_object_and_the_name() -> None:
    with pytest.raises(TypeError, match="SpanFormat, ResultFormat or SweepFormat"):
        register_format(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a format named 'atlas' is already registered"):
        register_format(SpanFormat(name="atlas", description="", sniff=_csv_sniff, parse=_csv_parse))
    with pytest.raises(KeyError, match="no format named 'nope'"):
        unregister_format("nope")
    assert FORMATS["atlas"].description.startswith("Atlas")


@pytest.mark.usefixtures("plugins")
def test_a_plug_in_span_format_is_detected_converted_and_analysed(tmp_path: Path) -> None:
    from trajdyn.analyzer import analyze

    log = _csv(tmp_path / "run.csv", "abcab")
    (tmp_path / "run.csv").write_text((tmp_path / "run.csv").read_text() + "7,broken\n", encoding="utf-8")
    assert detect_format(log) == "csv-loop"
    converted = convert(log)
    assert converted.format == "csv-loop" and converted.span_count == 1 + 3 * 5
    assert [str(e) for e in converted.errors] == [f"{log}:7: expected 3 cells, got 2"]
    report = analyze([str(log)]).to_dict()
    assert report["inputs"] == [{"path": str(log), "spans": 16, "errors": 1}]
    assert report["errors"] == [{"path": str(log), "line": 7, "message": "expected 3 cells, got 2"}]
    (entry,) = report["trajectories"]
    assert entry["task_id"] == "run" and entry["exploration"]["iterations"] == 5
    assert entry["exploration"]["repeat_count"] == 2  # a and b proposed again


@pytest.mark.usefixtures("plugins")
def test_trajdyn_import_lists_and_uses_a_plug_in_span_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trajdyn.cli.importer import main

    log = _csv(tmp_path / "run.csv", "ab")
    out = tmp_path / "spans.jsonl"
    assert main(["auto", str(log), "-o", str(out), "-q"]) == 0
    (request,) = [json.loads(line) for line in out.read_text().splitlines()]
    scope = request["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"]
    assert scope == C.IMPORT_SCOPE_PREFIX + "csv-loop"
    assert main(["--help"]) == 0
    helptext = capsys.readouterr().out
    assert "csv-loop" in helptext and "toy-results" not in helptext  # result formats are not logs to convert


@pytest.mark.usefixtures("plugins")
def test_a_plug_in_result_format_feeds_the_trends_section(tmp_path: Path) -> None:
    from trajdyn.analyzer import TrendsOptions, analyze

    paths = []
    for run in range(3):
        path = tmp_path / f"run{run}.json"
        scores = {f"t{i}": 0.9 - 0.3 * (run == 2) for i in range(6)}
        path.write_text(
            json.dumps({"suite": "toy", "run": f"r{run}", "model": "m", "time": 1e9 + run, "scores": scores})
        )
        paths.append(str(path))
    name, records, problems = read_result(paths[0])
    assert (name, len(records), problems) == ("toy-results", 6, [])
    report = analyze([str(tmp_path)], options=[TrendsOptions(permutations=99)]).to_dict()
    (group,) = report["trends"]  # type: ignore[misc]
    assert group["source"] == "toy-results" and group["group"] == "m" and group["n_runs"] == 3
    assert group["series"] == pytest.approx([0.9, 0.9, 0.6])


def test_the_formats_need_neither_polars_nor_the_opentelemetry_sdk(external: Path, tmp_path: Path) -> None:
    """``import trajdyn.formats`` (through the package's light ``__init__``) with polars, numpy, OpenTelemetry,
    ``trajdyn.sdk`` and ``trajdyn.analyzer`` unimportable: detection, conversion and result reading all work."""
    code = textwrap.dedent(
        f"""
        import sys
        BLOCKED = ("polars", "numpy", "scipy", "opentelemetry", "trajdyn.sdk", "trajdyn.analyzer", "trajdyn.exporters")
        class _Refuse:
            def find_spec(self, name, path=None, target=None):
                if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                    raise ModuleNotFoundError(f"No module named {{name!r}}")
                return None
        sys.meta_path.insert(0, _Refuse())
        from pathlib import Path
        import trajdyn.formats
        from trajdyn.formats import FORMATS, convert, detect_format, read_result, write_jsonl
        log = Path({str(external / "autoresearch-trajectory.jsonl")!r})
        assert detect_format(log) == "autoresearch" and len(FORMATS) == 14
        assert write_jsonl(convert(log).requests, Path({str(tmp_path / "out.jsonl")!r})) > 0
        name, records, problems = read_result({str(external / "pinchbench/results/0005_main.json")!r})
        assert name == "pinchbench" and len(records) == 52 and not problems
        loaded = [m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED)]
        assert not loaded, loaded
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_format_named_by_the_caller_is_used_for_every_file(external: Path, tmp_path: Path) -> None:
    """``fmt`` (``--format``) names a format of the registry: a result format reads the files as run summaries, a log
    format imports them; an unknown name is an error before anything is read."""
    from trajdyn.analyzer import analyze
    from trajdyn.exceptions import InputError

    result_file = external / "pinchbench" / "results" / "0005_main.json"
    as_results = analyze([str(result_file)], fmt="pinchbench").to_dict()
    assert as_results["inputs"] == [{"path": str(result_file), "spans": 0, "errors": 0}]
    (group,) = as_results["trends"]  # type: ignore[misc]
    assert group["source"] == "pinchbench" and group["n_runs"] == 1
    as_log = analyze([str(result_file)], fmt="autoresearch").to_dict()
    assert "trends" not in as_log and as_log["errors"]  # not an autoresearch log: its problems, no crash
    assert {e["path"] for e in as_log["errors"]} == {str(result_file)}  # type: ignore[index]
    with pytest.raises(InputError, match="unknown import format 'nope'"):
        analyze([str(tmp_path / "missing.jsonl")], fmt="nope")
