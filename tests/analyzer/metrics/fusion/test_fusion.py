"""The fusion family against planted truth: profiles, task clusters, and whole reports of synthetic result files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("polars")

from trajdyn.analyzer import FusionOptions, analyze
from trajdyn.analyzer.metrics.fusion import choose_k, kmeans, load_profile, parse_profile, silhouette
from trajdyn.analyzer.report import render_markdown, render_terminal
from trajdyn.exceptions import ConfigurationError


def _result_file(path: Path, tasks: list[tuple[str, str, float]], *, run_id: str = "0001") -> Path:
    """A PinchBench-shaped result file: (task id, category, score) per task."""
    doc = {
        "model": "agent:main",
        "benchmark_version": "v1",
        "run_id": run_id,
        "timestamp": 1_700_000_000,
        "suite": "all",
        "runs_per_task": 1,
        "tasks": [
            {
                "task_id": tid,
                "status": "success",
                "usage": {"total_tokens": 1000, "cost_usd": 0.01},
                "grading": {"mean": score},
                "frontmatter": {"category": category},
            }
            for tid, category, score in tasks
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _fusion(paths: list[Path], profile: Any, **kw: Any) -> dict[str, Any]:
    report = analyze([str(p) for p in paths], options=[FusionOptions(profile=profile, **kw)], progress=False)
    block = report.blocks["fusion"]
    assert isinstance(block, dict)
    return block


def _metric(block: dict[str, Any], name: str, group: int = 0) -> dict[str, Any]:
    found = [m for m in block["groups"][group]["metrics"] if m["metric"] == name]
    assert len(found) == 1
    return found[0]


def test_clawbench_two_strata_known_answer_end_to_end(tmp_path: Path) -> None:
    """Benchmark math 0.8 / code 0.2, target math 0.2 / code 0.8: weights 0.25 / 4.0, the post-stratified mean."""
    tasks = [(f"m{i}", "math", 0.9) for i in range(40)] + [(f"c{i}", "code", 0.3) for i in range(10)]
    profile = tmp_path / "target.json"
    profile.write_text(json.dumps({"strata": {"math": 0.2, "code": 0.8}}), encoding="utf-8")
    block = _fusion([_result_file(tmp_path / "0001_main.json", tasks)], str(profile))
    score = _metric(block, "score")
    weights = {r["stratum"]: r["weight"] for r in score["strata"]}
    assert weights == pytest.approx({"math": 0.25, "code": 4.0})
    assert score["benchmark_mean"] == pytest.approx(0.8 * 0.9 + 0.2 * 0.3)
    assert score["reweighted_mean"] == pytest.approx(0.2 * 0.9 + 0.8 * 0.3)
    assert score["ess"] == pytest.approx(50**2 / (40 * 0.25**2 + 10 * 4.0**2))
    assert score["max_weight_share"] == pytest.approx(4.0 / 50)
    assert score["covered_mass"] == pytest.approx(1.0)
    assert score["uncovered_strata"] == [] and score["bounds"] == pytest.approx([0.42, 0.42])
    assert score["ci"][0] <= score["reweighted_mean"] <= score["ci"][1]
    assert score["ci_method"] == "jeffreys-mixture" and score["n"] == 50
    assert {a["stratum"] for a in block["assignment"]} == {"math", "code"}
    assert "0.42" in score["headline"] and "ESS 15.4 of 50" in score["headline"]


def test_uncovered_and_untargeted_strata_are_listed_with_bounds_that_hold_the_truth(tmp_path: Path) -> None:
    """Target mass on a stratum no task has: covered mass, covered estimate, Manski bounds containing the truth for
    any score of the missing stratum; a benchmark stratum the target ignores gets weight 0 and is listed."""
    rng = np.random.default_rng(3)
    means = {"a": 0.8, "b": 0.4, "z": 0.6}
    tasks = [(f"{s}{i}", s, float(rng.random() < means[s])) for s in ("a", "b", "z") for i in range(30)]
    profile = {"strata": {"a": 0.5, "b": 0.3, "missing": 0.2}}
    block = _fusion([_result_file(tmp_path / "0001_main.json", tasks)], parse_profile(profile, "target"))
    score = _metric(block, "score")
    assert score["covered_mass"] == pytest.approx(0.8)
    assert score["uncovered_strata"] == [{"stratum": "missing", "target_share": pytest.approx(0.2)}]
    assert score["untargeted_strata"] == [{"stratum": "z", "n": 30}]
    observed = {s: np.mean([v for t, c, v in tasks if c == s]) for s in ("a", "b")}
    covered = (0.5 * observed["a"] + 0.3 * observed["b"]) / 0.8
    assert score["reweighted_mean"] == pytest.approx(covered)
    lo, hi = score["bounds"]
    assert lo == pytest.approx(0.8 * covered) and hi == pytest.approx(0.8 * covered + 0.2)
    for missing_mean in (0.0, 0.37, 1.0):  # whatever the missing stratum scores, the bounds hold the target mean
        assert lo - 1e-12 <= 0.8 * covered + 0.2 * missing_mean <= hi + 1e-12
    assert "20 % of the target mass has no benchmark task" in score["headline"]


def test_weights_by_task_id_and_missing_tasks(tmp_path: Path) -> None:
    tasks = [("t1", "x", 1.0), ("t2", "x", 0.0), ("t3", "y", 0.5)]
    profile = parse_profile({"tasks": {"t1": 3, "t3": 1, "t9": 1}}, "p")
    assert profile.total_given == 5 and profile.as_dict()["t1"] == pytest.approx(0.6)
    score = _metric(_fusion([_result_file(tmp_path / "0001_main.json", tasks)], profile), "score")
    assert score["reweighted_mean"] == pytest.approx((0.6 * 1.0 + 0.2 * 0.5) / 0.8)
    assert score["covered_mass"] == pytest.approx(0.8)
    assert {"task": "t9", "target_share": pytest.approx(0.2)} in score["uncovered_strata"]
    assert score["ci_method"] == "stratified-bootstrap-t"


def test_every_run_is_its_own_group_and_the_section_is_seeded(tmp_path: Path) -> None:
    tasks = [(f"q{i}", "query", float(i % 3 == 0)) for i in range(12)] + [(f"m{i}", "multi", 0.5) for i in range(6)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [
        _result_file(tmp_path / "a" / "0001_main.json", tasks),
        _result_file(tmp_path / "b" / "0002_main.json", tasks[:10], run_id="0002"),
    ]
    profile = parse_profile({"strata": {"query": 0.3, "multi": 0.7}}, "p")
    first, again = _fusion(files, profile, seed=5), _fusion(files, profile, seed=5)
    assert first == again
    assert [g["dir"] for g in first["groups"]] == ["a", "b"]
    second = _metric(first, "score", 1)
    assert second["covered_mass"] == pytest.approx(0.3) and second["uncovered_strata"][0]["stratum"] == "multi"


def test_no_profile_no_section_and_markdown_escapes_profile_names(tmp_path: Path) -> None:
    path = _result_file(tmp_path / "0001_main.json", [("t1", "x", 1.0), ("t2", "y", 0.0)])
    assert "fusion" not in analyze([str(path)], progress=False).blocks
    hostile = parse_profile({"strata": {"x": 0.5, "<script>|evil": 0.5}, "name": "**bold** <b>"}, "p")
    report = analyze([str(path)], options=[FusionOptions(profile=hostile)], progress=False)
    md = render_markdown(report)
    section = md[md.index("## Fusion") :]
    assert "<script>" not in section and "<b>" not in section and "|evil" not in section.replace("\\|evil", "")
    render_terminal(report)  # renders without raising (rich escapes its text objects)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"strata": {"a": -1}}, "strata.a"),
        ({"strata": {"a": "x"}}, "strata.a"),
        ({"strata": {"a": 0, "b": 0}}, "strata"),
        ({"strata": {}, "tasks": {"t": 1}}, "top level"),
        ({"weights": {"a": 1}}, "weights"),
        ({"texts": ["ok", ""]}, "texts[1]"),
        ([1, 2], "top level"),
    ],
)
def test_profile_errors_name_the_file_and_the_entry(tmp_path: Path, document: object, where: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and where in str(info.value)


def test_yaml_profile_and_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("strata:\n  a: 20\n  b: 80\n", encoding="utf-8")
    profile = load_profile(path)
    assert profile.as_dict() == pytest.approx({"a": 0.2, "b": 0.8}) and profile.total_given == 100
    broken = tmp_path / "broken.yaml"
    broken.write_text("strata: [a\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken\.yaml"):
        load_profile(broken)
    with pytest.raises(ConfigurationError, match=r"absent\.json"):
        load_profile(tmp_path / "absent.json")


def test_texts_need_clustered_strata(tmp_path: Path) -> None:
    path = _result_file(tmp_path / "0001_main.json", [("t1", "x", 1.0), ("t2", "y", 0.0)])
    with pytest.raises(ConfigurationError, match="categories"):
        _fusion([path], parse_profile({"texts": ["a task"]}, "p"))


def test_kmeans_recovers_planted_clusters_and_silhouette_picks_their_number() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(4)[:3] * 5
    x = np.concatenate([c + rng.normal(0, 0.3, (15, 4)) for c in centres])
    order = rng.permutation(x.shape[0])
    truth = np.repeat(np.arange(3), 15)[order]
    fit = choose_k(x[order], seed=1)
    assert fit.k == 3
    # the same partition as the truth (labels are numbered by first appearance)
    pairs = {(int(a), int(b)) for a, b in zip(fit.labels, truth, strict=True)}
    assert len(pairs) == 3
    assert np.array_equal(kmeans(x[order], 3, seed=1)[0], kmeans(x[order], 3, seed=1)[0])
    assert silhouette(x[order], truth) > 0.7
    assert math.isnan(silhouette(x, np.zeros(x.shape[0], dtype=np.int64)))


def test_cli_profile_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trajdyn.cli.analyze import EXIT_OK, EXIT_USAGE, main

    path = _result_file(tmp_path / "0001_main.json", [("t1", "x", 1.0), ("t2", "y", 0.0)])
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"strata": {"x": 0.25, "y": 0.75}}), encoding="utf-8")
    out = tmp_path / "r.json"
    assert main([str(path), "--profile", str(profile), "--json", str(out), "--no-progress"]) == EXIT_OK
    block = json.loads(out.read_text(encoding="utf-8"))["fusion"]
    assert _metric(block, "score")["reweighted_mean"] == pytest.approx(0.25)
    profile.write_text(json.dumps({"strata": {"x": -1}}), encoding="utf-8")
    assert main([str(path), "--profile", str(profile), "--json", str(out), "--no-progress"]) == EXIT_USAGE
    assert "strata.x" in capsys.readouterr().err
