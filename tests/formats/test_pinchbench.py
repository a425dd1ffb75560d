"""Benchmark result files (PinchBench): detection by content, reading, de-duplication, bad input, the real files."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trajdyn.analyzer.io import RESULT_SCHEMA, read_results, route
from trajdyn.formats import detect_format
from trajdyn.formats.pinchbench import parse_result, sniff


def pinchbench_run(
    run_id: str,
    scores: dict[str, float],
    *,
    timestamp: float | None = 1_775_000_000.0,
    model: str = "agent:main",
    version: str = "1e2ba6b",
    tokens: int = 50_000,
    cost: float = 0.002,
    **extra: Any,
) -> dict[str, Any]:
    """A result document in PinchBench's ``benchmark.py`` schema (fields as in the real files)."""
    tasks = [
        {
            "task_id": task_id,
            "status": "success",
            "timed_out": False,
            "usage": {"input_tokens": tokens - 200, "output_tokens": 200, "total_tokens": tokens, "cost_usd": cost},
            "grading": {"runs": [{"task_id": task_id, "score": score}], "mean": score, "std": 0.0},
        }
        for task_id, score in scores.items()
    ]
    doc: dict[str, Any] = {
        "model": model,
        "benchmark_version": version,
        "run_id": run_id,
        "timestamp": timestamp,
        "suite": "all",
        "runs_per_task": 1,
        "tasks": tasks,
        "efficiency": {"tasks_with_usage_data": len(tasks)},
    }
    doc.update(extra)
    return doc


def write_run(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


REAL_DIRS = (
    "results",
    "results_qwen3.5-4b",
    "results_qwen3.5-9b",
    "results_qwen3.5-9b-v2",
    "results_qwen3.5-9b-v3",
    "results_smartrouter",
)


def test_the_real_result_files_are_detected_and_read(external: Path) -> None:
    paths = sorted((external / "pinchbench").glob("*/*.json"))
    assert [p.parent.name for p in paths] == list(REAL_DIRS)
    assert all(detect_format(p, kind="results") == "pinchbench" for p in paths)
    data = read_results(paths)
    assert data.errors == []
    assert data.records.schema == pl.Schema(RESULT_SCHEMA)
    runs = data.records.group_by("path").agg(
        pl.col("score").mean(), pl.len(), pl.col("model").first(), pl.col("dir").first(), pl.col("tokens").sum()
    )
    assert runs["len"].to_list() == [52] * 6  # 52 distinct tasks each
    assert set(runs["model"]) == {"agent:main"}  # the agent id, whatever LLM ran
    assert sorted(runs["dir"]) == sorted(REAL_DIRS)
    # PinchBench's own score_pct = mean of grading.mean x 100, recomputed from the files
    score = dict(zip(runs["dir"], runs["score"], strict=True))
    assert score["results"] == pytest.approx(51.5 / 52)
    assert score["results_qwen3.5-9b"] == pytest.approx(0.7724358974)
    # smartrouter recorded no usage (all zeros): tokens are unknown, not zero; qwen's cost 0.0 is a real zero
    smart = data.records.filter(pl.col("dir") == "results_smartrouter")
    assert smart["tokens"].null_count() == 52 and smart["cost"].null_count() == 52
    qwen = data.records.filter(pl.col("dir") == "results_qwen3.5-4b")
    assert qwen["cost"].to_list() == [0.0] * 52
    assert qwen["tokens"].sum() == pytest.approx(4_994_778)  # its efficiency.total_tokens


def test_the_skill_summary_is_rejected_with_a_clear_message(external: Path) -> None:
    path = external / "pinchbench-skill-results.json"
    assert detect_format(path, kind="results") == "pinchbench-skill-summary"
    data = read_results([path])
    assert data.records.height == 0
    (error,) = data.errors
    assert error.path == str(path) and error.line == 0
    assert "skill summary" in error.message and "no per-task scores" in error.message
    assert data.inputs[0].runs == 0 and data.inputs[0].errors == 1


def test_other_files_are_not_result_files(external: Path) -> None:
    for name in ("otlp-proto-example-trace.json", "autoresearch-trajectory.jsonl", "tau-bench-gpt-4o-airline.json"):
        assert detect_format(external / name, kind="results") is None, name
    assert sniff(b'{"resourceSpans": [], "model": "x", "tasks": [], "run_id": 1}') is None
    assert sniff(b"") is None and sniff(b"[1, 2]") is None


def test_duplicate_task_entries_are_averaged(tmp_path: Path) -> None:
    doc = pinchbench_run("0001", {"t1": 1.0, "t2": 0.5})
    doc["tasks"].append({**doc["tasks"][0], "grading": {"mean": 0.0}})  # t1 listed twice (runs_per_task > 1)
    records, errors = parse_result("r.json", json.dumps(doc))
    assert errors == []
    by_task = {r["task_id"]: r for r in records}
    assert by_task["t1"]["score"] == 0.5 and by_task["t1"]["duplicates"] == 1
    assert by_task["t2"]["duplicates"] == 0


def test_a_run_in_progress_is_kept_only_as_a_marker() -> None:
    records, errors = parse_result("r.json", json.dumps(pinchbench_run("0002", {"t1": 1.0}, in_progress=True)))
    assert errors == []
    (marker,) = records
    assert marker["in_progress"] is True and marker["score"] is None and marker["task_id"] is None


def test_bad_files_and_entries_are_reported_with_their_line(tmp_path: Path) -> None:
    text = json.dumps(pinchbench_run("0003", {"good": 1.0, "bad": 0.5, "big": 0.5}), indent=2)
    doc = json.loads(text)
    doc["tasks"][1]["grading"]["mean"] = "n/a"
    doc["tasks"][2]["grading"]["mean"] = 87.0
    doc["tasks"].append({"status": "success"})
    text = json.dumps(doc, indent=2)
    records, errors = parse_result("r.json", text)
    assert [r["task_id"] for r in records] == ["good"]
    lines = text.splitlines()
    messages = {e.message: e.line for e in errors}
    bad_line = next(m for m in messages if "'bad'" in m)
    assert "is not a number" in bad_line and '"bad"' in lines[messages[bad_line] - 1]
    big = next(m for m in messages if "'big'" in m)
    assert "outside [0, 1]" in big
    assert any("tasks[3] has no task_id" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"model": "m",\n "tasks": [\n', 3, "not JSON"),
        ('{"model": "m", "run_id": "1", "tasks": {}}', 1, "expected tasks to be a list"),
        ('{"model": "m", "run_id": "1", "tasks": []}', 1, "no task with a usable grading.mean"),
        ("[1]", 1, "got a JSON list"),
    ],
)
def test_unusable_files_are_skipped_with_one_error(text: str, line: int, message: str) -> None:
    records, errors = parse_result("r.json", text)
    assert records == []
    assert len(errors) == 1 and errors[0].line == line and message in errors[0].message


def test_missing_run_id_and_bad_timestamp(tmp_path: Path) -> None:
    doc = pinchbench_run("x", {"t": 1.0}, timestamp=None)
    del doc["run_id"]
    doc["timestamp"] = "yesterday"
    records, errors = parse_result(str(tmp_path / "0042_main.json"), json.dumps(doc))
    assert records[0]["run_id"] == "0042" and records[0]["time"] is None
    assert len(errors) == 1 and "timestamp" in errors[0].message


def test_result_files_are_found_inside_directories_and_globs(tmp_path: Path) -> None:
    a = write_run(tmp_path / "runs" / "a" / "0001_main.json", pinchbench_run("0001", {"t": 1.0}))
    b = write_run(tmp_path / "runs" / "b" / "0002_main.json", pinchbench_run("0002", {"t": 0.5}))
    spans = tmp_path / "runs" / "spans.jsonl"
    spans.write_text("", encoding="utf-8")
    with ExitStack() as stack:
        routed = route([str(tmp_path / "runs")], stack)
        assert routed.results == [str(a), str(b)] and routed.spans == [str(spans)]
        routed = route([str(tmp_path / "runs" / "*" / "*.json"), str(spans)], stack)
        assert routed.results == [str(a), str(b)] and routed.spans == [str(spans)]
        plain = tmp_path / "plain"
        plain.mkdir()
        assert route([str(plain)], stack).spans == [str(plain)]  # no result file: the directory stays as it is


def test_directory_labels_disambiguate_equal_names(tmp_path: Path) -> None:
    a = write_run(tmp_path / "x" / "results" / "0001_main.json", pinchbench_run("0001", {"t": 1.0}))
    b = write_run(tmp_path / "y" / "results" / "0002_main.json", pinchbench_run("0002", {"t": 1.0}))
    c = write_run(tmp_path / "z" / "other" / "0003_main.json", pinchbench_run("0003", {"t": 1.0}))
    dirs = dict(read_results([a, b, c]).records.select("path", "dir").iter_rows())
    assert dirs[str(a)] == str(a.parent) and dirs[str(b)] == str(b.parent) and dirs[str(c)] == "other"
