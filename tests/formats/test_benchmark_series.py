"""Benchmark series for trends: asv result folders and github-action-benchmark data, read by content.

Counts on the real files are asserted twice: against a direct stdlib count of the raw file in the test, and against
the numbers of the issue-15 research count (20 asv runs, 1524 points, 83 series; 78 commits, 196 values, 194 empty).
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from trajdyn.analyzer import analyze
from trajdyn.analyzer.io import read_results, route
from trajdyn.analyzer.report import TrendsOptions
from trajdyn.formats import detect_format, read_result

FAST = TrendsOptions(simulations=199)


# --- asv ------------------------------------------------------------------------------------------------------------


def _asv_direct(folder: Path) -> tuple[int, int, set[str], dict[str, int]]:
    """(runs, points, series, date order) counted straight from the raw result files."""
    runs = points = 0
    series: set[str] = set()
    dates: dict[str, int] = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        if "commit_hash" not in doc:
            continue
        runs += 1
        dates[doc["commit_hash"][:8]] = doc["date"]
        columns = doc["result_columns"]
        for name, entry in doc["results"].items():
            row = dict(zip(columns, entry, strict=False))
            combos = list(itertools.product(*row["params"])) if row["params"] else [()]
            for combo, value in zip(combos, row["result"], strict=True):
                if value is not None:
                    points += 1
                    series.add(f"{name}{combo}")
    return runs, points, series, dates


def test_asv_folder_reads_every_run_and_series_with_units(external: Path) -> None:
    folder = external / "kedro-asv"
    with ExitStack() as stack:
        routed = route([str(folder)], stack)
    assert routed.spans == []  # benchmarks.json and machine.json are recognised, not input errors
    data = read_results(routed.results)
    assert data.errors == []
    records = data.records
    runs, points, series, dates = _asv_direct(folder)
    assert (runs, points, len(series)) == (20, 1524, 83)
    assert records["path"].n_unique() == runs
    assert records.height == points
    assert records["task_id"].n_unique() == len(series)
    assert set(records["format"].unique()) == {"asv"}
    assert records["higher_is_better"].to_list() == [False] * points
    assert Counter(records["unit"].to_list()) == Counter(
        {"seconds": records.filter(records["task_id"].str.contains(r"\.time_")).height}
        | {"bytes": records.filter(~records["task_id"].str.contains(r"\.time_")).height}
    )
    # parameterised: one series per element of the cartesian product of params, asv's reprs
    runner = sorted(t for t in records["task_id"].unique() if t.startswith("benchmark_runner.RunnerTimeSuite.time_io"))
    assert len(runner) == 3
    assert "benchmark_runner.RunnerTimeSuite.time_io_bound_runner('SequentialRunner')" in runner
    # time order is `date`, not the file name (20260731-cda400ca ran before 20260731-84be5310)
    times = dict(zip(records["run_id"].to_list(), records["time"].to_list(), strict=True))
    assert {k: times[k] * 1000 for k in dates} == {k: float(v) for k, v in dates.items()}
    assert times["cda400ca"] < times["84be5310"]


def test_asv_folder_in_trends_groups_series_and_flags_direction(external: Path, tmp_path: Path) -> None:
    folder = tmp_path / "asv"
    shutil.copytree(external / "kedro-asv", folder)
    report = analyze([str(folder)], options=[FAST]).to_dict()
    assert report["errors"] == []
    (group,) = report["trends"]  # type: ignore[misc]
    assert group["source"] == "asv"
    assert group["group"] == "github-actions"
    assert group["n_runs"] == 20
    assert group["unit"] == "seconds, bytes"
    assert group["higher_is_better"] is False
    assert group["series"] == []  # no common score over benchmarks of different units
    assert len(group["tasks"]) == 83
    assert "83 measured series" in group["reason"]


def _asv_result(commit: str, date_ms: int, results: dict[str, Any]) -> dict[str, Any]:
    return {
        "commit_hash": commit,
        "env_name": "virtualenv-py3.11",
        "date": date_ms,
        "params": {"machine": "ci-box", "python": "3.11"},
        "python": "3.11",
        "requirements": {},
        "env_vars": {},
        "result_columns": ["result", "params", "version", "started_at", "duration"],
        "results": results,
        "durations": {},
        "version": 2,
    }


def _planted_asv(folder: Path, values: list[float]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, value in enumerate(values):
        commit = f"{k:02x}" + "ab" * 19
        doc = _asv_result(commit, 1_785_000_000_000 + 3_600_000 * k, {"suite.time_x": [[value], [], "v", 0, 1.0]})
        path = folder / f"{commit[:8]}-env.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        out.append(path)
    return out


def test_asv_slower_is_a_regression_faster_an_improvement(tmp_path: Path) -> None:
    # a planted step: 0.10 s for 10 runs, then 0.13 s for 10 (asv: lower is better)
    noise = [0.0, 0.002, -0.001, 0.001, -0.002, 0.0015, -0.0005, 0.001, -0.001, 0.0]
    slower = _planted_asv(tmp_path / "slower", [0.10 + e for e in noise] + [0.13 + e for e in noise])
    faster = _planted_asv(tmp_path / "faster", [0.13 + e for e in noise] + [0.10 + e for e in noise])
    for paths, verdict in ((slower, "regression"), (faster, "improvement")):
        (group,) = analyze([str(p) for p in paths], options=[FAST]).to_dict()["trends"]  # type: ignore[misc]
        assert group["unit"] == "seconds"
        assert group["higher_is_better"] is False
        assert group["n_runs"] == 20
        assert group["verdict"] == verdict, group["reason"]


def test_asv_messy_files_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    doc = _asv_result(
        "deadbeef" * 5,
        1_785_000_000_000,
        {
            "suite.time_ok": [[0.5], [], "v", 0, 1.0],
            "suite.time_params": [[0.1, None, 0.3], [["1", "2", "3"]], "v", 0, 1.0],  # a failed combination
            "suite.time_bad": [[0.1, 0.2], [["1", "2", "3"]], "v", 0, 1.0],  # 2 values for 3 combinations
            "suite.mem_text": [["big"], [], "v", 0, 1.0],
        },
    )
    text = json.dumps(doc, indent=1)
    records, problems = read_result_text(tmp_path / "a-env.json", text)
    assert sorted(r["task_id"] for r in records) == ["suite.time_ok", "suite.time_params(1)", "suite.time_params(3)"]
    messages = {p.message.split(":")[0]: p.line for p in problems}
    assert set(messages) == {"benchmark 'suite.time_bad'", "benchmark 'suite.mem_text'"}
    assert all(line > 1 for line in messages.values())
    # a truncated file (a killed run): a problem naming it, never a crash
    cut = tmp_path / "b-env.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    assert detect_format(cut, kind="results") == "asv"
    name, recs, probs = read_result(cut)
    assert (name, recs) == ("asv", [])
    assert len(probs) == 1
    assert probs[0].message.startswith("not JSON")


def read_result_text(path: Path, text: str) -> tuple[list[dict[str, Any]], list[Any]]:
    path.write_text(text, encoding="utf-8")
    name, records, problems = read_result(path)
    assert name == "asv"
    return records, problems


# --- github-action-benchmark ------------------------------------------------------------------------------------------


def _gab_direct(path: Path) -> tuple[set[str], Counter[str], int]:
    text = path.read_text()
    doc = json.loads(text.split("=", 1)[1])
    commits: set[str] = set()
    points: Counter[str] = Counter()
    empty = 0
    for entry in doc["entries"]["Benchmark"]:
        commits.add(entry["commit"]["id"])
        for bench in entry["benches"]:
            if bench["value"] == "":
                empty += 1
            else:
                float(bench["value"])
                points[bench["name"]] += 1
    return commits, points, empty


def test_action_benchmark_reads_78_commits_5_series_and_leaves_empty_values_out(external: Path) -> None:
    path = external / "konveyor-kai-evaluations-benchmark-data.js"
    assert detect_format(path, kind="results") == "github-action-benchmark"
    name, records, problems = read_result(path)
    assert (name, problems) == ("github-action-benchmark", [])
    commits, points, empty = _gab_direct(path)
    assert (len(commits), sum(points.values()), empty, len(points)) == (78, 196, 194, 5)
    assert len({r["run"] for r in records}) == 78
    valued = [r for r in records if r["score"] is not None]
    assert Counter(r["task_id"] for r in valued) == points
    assert all(r["unit"] == "Match" and r["higher_is_better"] for r in valued)
    assert all(isinstance(r["score"], float) for r in valued)  # "79.0" → 79.0
    empty_runs = [r for r in records if r["score"] is None]
    assert len(empty_runs) == 78 - len({r["run"] for r in valued})
    assert all(r["task_id"] is None for r in empty_runs)


def test_action_benchmark_in_trends_per_llm(external: Path) -> None:
    path = str(external / "konveyor-kai-evaluations-benchmark-data.js")
    (group,) = analyze([path], options=[FAST]).to_dict()["trends"]  # type: ignore[misc]
    assert (group["group"], group["n_runs"], group["unit"], group["higher_is_better"]) == (
        "Benchmark",
        78,
        "Match",
        True,
    )
    assert len(group["tasks"]) == 5
    _, points, _ = _gab_direct(Path(path))
    per_llm = analyze([path], options=[TrendsOptions(simulations=199, group_by="task")]).to_dict()["trends"]
    runs = {g["group"]: g["n_runs"] for g in per_llm if g["group"] is not None}  # type: ignore[union-attr]
    assert runs == dict(points)


def _gab_entry(commit: str, date_ms: int, benches: list[dict[str, Any]], tool: str = "customBiggerIsBetter") -> Any:
    return {
        "commit": {"id": commit, "message": "m", "timestamp": "2024-06-25T11:23:42-04:00"},
        "date": date_ms,
        "tool": tool,
        "benches": benches,
    }


def test_action_benchmark_messy_history(tmp_path: Path) -> None:
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    entries = [
        _gab_entry(a, 3000, [{"name": "x", "value": "2.0", "unit": "pts"}]),
        _gab_entry(b, 2000, [{"name": "x", "value": 4, "unit": "pts"}]),
        _gab_entry(a, 1000, [{"name": "x", "value": "4.0", "unit": "pts"}]),  # the same commit again, earlier date
        _gab_entry(c, 4000, [{"name": "x", "value": "n/a", "unit": "pts"}, {"name": "y", "value": ""}]),
        {"date": 5000, "benches": []},  # no commit
    ]
    text = "window.BENCHMARK_DATA = " + json.dumps({"lastUpdate": 1, "entries": {"Benchmark": entries}}, indent=2)
    path = tmp_path / "data.js"
    path.write_text(text, encoding="utf-8")
    name, records, problems = read_result(path)
    assert name == "github-action-benchmark"
    by_run = {r["run_id"]: r for r in records}
    assert by_run["aaaaaaaa"]["score"] == 3.0  # duplicated (commit, bench): averaged, counted
    assert by_run["aaaaaaaa"]["duplicates"] == 1
    assert by_run["aaaaaaaa"]["time"] == 1.0  # the commit's earliest date
    assert by_run["cccccccc"]["score"] is None  # "n/a" reported, "" a gap: the run stays, without a value
    assert [(p.line > 1, "'n/a' is not a number" in p.message) for p in problems if "n/a" in p.message] == [
        (True, True)
    ]
    assert any("no commit id" in p.message for p in problems)
    # bare JSON (no window.BENCHMARK_DATA) and a truncated file
    bare = tmp_path / "data.json"
    bare.write_text(json.dumps({"lastUpdate": 1, "repoUrl": "r", "entries": {"Benchmark": entries[:2]}}))
    assert detect_format(bare, kind="results") == "github-action-benchmark"
    assert len(read_result(bare)[1]) == 2
    cut = tmp_path / "cut.js"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    name, records, problems = read_result(cut)
    assert (name, records, len(problems)) == ("github-action-benchmark", [], 1)


def test_action_benchmark_direction_follows_the_tool(tmp_path: Path) -> None:
    noise = [0.0, 0.2, -0.1, 0.1, -0.2, 0.15, -0.05, 0.1, -0.1, 0.0]
    values = [10 + e for e in noise] + [13 + e for e in noise]  # a planted rise
    for tool, verdict in (("customBiggerIsBetter", "improvement"), ("customSmallerIsBetter", "regression")):
        entries = [
            _gab_entry(f"{k:040x}", 1_000_000 + k, [{"name": "x", "value": str(v), "unit": "u"}], tool)
            for k, v in enumerate(values)
        ]
        path = tmp_path / f"{tool}.js"
        path.write_text("window.BENCHMARK_DATA = " + json.dumps({"entries": {"S": entries}}), encoding="utf-8")
        (group,) = analyze([str(path)], options=[FAST]).to_dict()["trends"]  # type: ignore[misc]
        assert group["verdict"] == verdict, group["reason"]
