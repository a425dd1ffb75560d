"""Spans of sweep runs (written by the real SDK) read into the ``sweeps`` section: planted cliffs, nulls and rises,
errors and degenerate runs counted, the paired validation, messy input, and spans with a popoto file together."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.analyzer._sdk_dumps import write_knob_loops
from tests.analyzer.metrics.sweeps._span_sweeps import expected_counts, write_sweep_spans
from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import analyze, read_spans, steps, trajectories
from trajdyn.analyzer.io._sweeps import SWEEP_CONSTANT_SCHEMA, SWEEP_PAIR_SCHEMA, SWEEP_POINT_SCHEMA, SweepData
from trajdyn.analyzer.metrics.sweep_runs import SPANS_SOURCE, sweep_runs
from trajdyn.analyzer.metrics.sweeps import SweepSettings, analyze_sweeps

CONSTANTS = (("cliff", "cliff", 0.5), ("flat", "flat", 0.5), ("rise", "rise", 0.0), ("step", "step", 0.0))
GENERATED_AT = "2000-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sweep_spans(tmp_path_factory.mktemp("sweep") / "spans.jsonl", constants=CONSTANTS)


def _block(paths: list[Path | str]) -> dict[str, Any]:
    report = analyze([str(p) for p in paths], generated_at=GENERATED_AT)
    block = report.blocks.get("sweeps")
    assert isinstance(block, dict)
    return block


def _by_name(block: dict[str, Any], source: str = SPANS_SOURCE) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in block["constants"] if c["source"] == source}


def test_planted_truth_from_spans(planted: Path) -> None:
    """The cliff is found where planted (0.6→0.7), the flat null and the rises give none; noise from replicates
    blocked by scenario recovers the planted replicate SD (0.01) although the scenarios differ by SD 0.1."""
    got = _by_name(_block([planted]))
    assert list(got) == [c[0] for c in CONSTANTS]
    assert [(x["from"], x["to"]) for x in got["cliff"]["cliffs"]] == [("0.6", "0.7")]
    assert got["cliff"]["sensitivity"] == "sensitive"
    assert got["flat"]["cliffs"] == [] and got["flat"]["sensitivity"] == "within-noise"
    assert got["rise"]["cliffs"] == [] and got["step"]["cliffs"] == []  # a rise is never a cliff
    assert got["step"]["sensitivity"] == "sensitive"
    for c in got.values():
        assert c["noise_source"] == "replicates-by-scenario"
        assert 0.006 < c["noise"] < 0.015
        assert c["objective"] == C.OBJECTIVE_MAXIMIZE
        assert c["n_points_total"] == 110


def test_errors_and_degenerate_runs_are_counted_never_scored(planted: Path) -> None:
    got = _by_name(_block([planted]))
    for (name, _, default), (errors, degenerate) in zip(CONSTANTS, expected_counts(len(CONSTANTS)), strict=True):
        c = got[name]
        assert (c["n_errors"], c["n_degenerate"]) == (errors, degenerate)
        assert c["n_points"] == 110 - errors - degenerate
        assert c["default"] == ("0.5" if default == 0.5 else "0")
    assert sum(e + d for e, d in expected_counts(len(CONSTANTS))) > 0


def test_validation_paired_by_scenario_accepts_a_real_gain_and_rejects_noise(planted: Path) -> None:
    """rise: best 1 vs default 0 is a true +0.1 on validation: accepted by the paired interval; flat and cliff: the
    best train value is noise against the default (both on the plateau): rejected."""
    got = _by_name(_block([planted]))
    rise = got["rise"]
    assert rise["best_value"] == "1" and rise["decision"] == "accept"
    v = rise["validation"]
    assert v["method"] == "paired" and v["n_pairs"] == 3
    assert v["ci"][0] > 0.01 and v["ci"][0] < 0.1 < v["ci"][1]
    for name in ("flat", "cliff"):
        assert got[name]["decision"] == "reject", got[name]["reason"]
        assert got[name]["validation"]["ci"][0] <= 0.01


def _points(rows: list[dict[str, Any]]) -> SweepData:
    return SweepData(
        pl.DataFrame(rows, schema=SWEEP_POINT_SCHEMA),
        pl.DataFrame(schema=SWEEP_CONSTANT_SCHEMA),
        pl.DataFrame(schema=SWEEP_PAIR_SCHEMA),
        [],
    )


def _validation_rows(gain: float, *, shared: bool, seed: int) -> list[dict[str, Any]]:
    """Train: value 1 beats the default 0 by ``gain``; validation on 8 scenarios with offsets of SD 0.2 and noise of
    SD 0.01, each value on the same scenarios (``shared``) or on its own. The worst value sits below the default
    (a rise into the default, never a cliff): above the best value its fall would be a cliff next to the best value
    (a 3-value sweep can have a cliff) and reject every proposal."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for v, mean in (("0", 0.5), ("1", 0.5 + gain), ("-1", 0.3)):
        for r in range(3):
            rows.append(
                {"source": "s", "constant": "k", "value": v, "score": mean + rng.gauss(0, 0.01), "replicate": r}
            )
    offsets = [rng.gauss(0, 0.2) for _ in range(16)]
    for v, mean in (("0", 0.5), ("1", 0.5 + gain)):
        for i in range(8):
            j = i if shared or v == "0" else i + 8
            score = mean + offsets[j] + rng.gauss(0, 0.01)
            rows.append(
                {
                    "source": "s",
                    "constant": "k",
                    "value": v,
                    "score": score,
                    "scenario": f"sc{j}",
                    "split": "validation",
                }
            )
    return rows


def test_paired_validation_against_welch_on_the_same_planted_gain() -> None:
    """A true gain of 0.05 hidden in scenario offsets of SD 0.2: the paired interval accepts it in every one of 50
    draws; the same scores on disjoint scenarios (Welch) cannot. A zero gain is accepted at most α of the time."""
    settings = SweepSettings(defaults=(("k", "0"),))
    accepted = {"paired": 0, "welch": 0, "null": 0}
    for seed in range(50):
        for key, gain, shared in (("paired", 0.05, True), ("welch", 0.05, False), ("null", 0.0, True)):
            block = analyze_sweeps(_points(_validation_rows(gain, shared=shared, seed=seed)), settings)
            assert block is not None
            (c,) = block["constants"]
            if c["best_value"] != "1":
                continue
            assert c["validation"]["method"] == ("paired" if shared else "welch")
            accepted[key] += c["decision"] == "accept"
    assert accepted["paired"] == 50
    assert accepted["welch"] <= 10
    assert accepted["null"] <= 3


def test_cliff_detection_rate_with_replicates_from_spans(tmp_path: Path) -> None:
    """Eight independent sweeps of the planted cliff with replicate noise SD 0.05 on 6 scenarios, eight of the flat
    null: the cliff is found at 0.6→0.7 every time; any other cliff is next to it, where the sigmoid still falls (by
    0.03 at 0.7→0.8: noise can push that over the 0.05 floor); the null never gives a cliff."""
    seeds = range(8)
    constants = tuple((f"cliff{s}", "cliff", 0.5) for s in seeds) + tuple((f"flat{s}", "flat", 0.5) for s in seeds)
    path = write_sweep_spans(tmp_path / "s.jsonl", constants=constants, scenarios=6, sd_noise=0.05)
    got = _by_name(_block([path]))
    for s in seeds:
        cliffs = [(x["from"], x["to"]) for x in got[f"cliff{s}"]["cliffs"]]
        assert ("0.6", "0.7") in cliffs
        assert set(cliffs) <= {("0.5", "0.6"), ("0.6", "0.7"), ("0.7", "0.8")}
    assert sum(len(got[f"cliff{s}"]["cliffs"]) for s in seeds) <= 10
    assert all(got[f"flat{s}"]["cliffs"] == [] for s in seeds)


def _spans_of(path: Path) -> list[dict[str, Any]]:
    """One OTLP request per span (resource and scope kept)."""
    out = []
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    out.append(
                        {
                            "resourceSpans": [
                                {**rs, "scopeSpans": [{**ss, "spans": [span]}]},
                            ]
                        }
                    )
    return out


def test_messy_input_gives_the_same_block(planted: Path, tmp_path: Path) -> None:
    """Shuffled, duplicated spans, split over two interleaved files, and a truncated last line: the same sweeps
    block (the truncated line is a problem, the rest is read)."""
    clean = _block([planted])
    docs = _spans_of(planted)
    rng = random.Random(7)
    messy = docs + rng.sample(docs, len(docs) // 3)
    rng.shuffle(messy)
    lines = [json.dumps(d) for d in messy]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(lines[0::2]) + "\n")
    b.write_text("\n".join(lines[1::2]) + "\n" + lines[0][: len(lines[0]) // 2])
    report = analyze([str(a), str(b)], generated_at=GENERATED_AT)
    assert report.blocks.get("sweeps") == clean
    assert any(e["path"] == str(b) for e in report.errors)


def test_exploration_loops_are_not_sweep_runs(tmp_path: Path) -> None:
    """The knob loop sets a knob and a value on every propose and none on its root: no sweep run, no section."""
    dump = write_knob_loops(tmp_path / "loops.jsonl")
    data = read_spans(dump.path)
    assert sweep_runs(steps(data), trajectories(data)).points.height == 0
    assert "sweeps" not in analyze([str(dump.path)], generated_at=GENERATED_AT).blocks


def _frames(rows: list[dict[str, Any]], step_rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    tr = pl.DataFrame(rows, infer_schema_length=None)
    st = (
        pl.DataFrame(step_rows, infer_schema_length=None)
        if step_rows
        else pl.DataFrame({K.TRAJECTORY_ID: []}, schema={K.TRAJECTORY_ID: pl.Utf8})
    )
    return st, tr


def test_first_step_path_needs_a_single_iteration_and_a_marker() -> None:
    """Root without the knob: the first step's knob and value count only in a one-iteration run with
    ``trajdyn.knob.default`` or ``trajdyn.sweep.degenerate`` on the root; the step's single metric is the score;
    outcome error is an error."""
    base = {K.HAS_ROOT: True, K.STATUS_CODE: 0, K.TASK_ID: "t", K.START_NS: 1}
    tr_rows = [
        {**base, K.TRAJECTORY_ID: "marked", K.KNOB_DEFAULT: "1", "n_iterations": 1},
        {**base, K.TRAJECTORY_ID: "unmarked", "n_iterations": 1},
        {**base, K.TRAJECTORY_ID: "loop", K.KNOB_DEFAULT: "1", "n_iterations": 3},
        {**base, K.TRAJECTORY_ID: "failed", K.KNOB_DEFAULT: "1", "n_iterations": 1, K.OUTCOME: C.OUTCOME_ERROR},
    ]
    st_rows = [
        {K.TRAJECTORY_ID: t, K.KNOB: "lr", K.VALUE: "2", K.METRIC: None}
        for t in ("marked", "unmarked", "loop", "failed")
    ] + [{K.TRAJECTORY_ID: t, K.KNOB: None, K.VALUE: None, K.METRIC: 0.25} for t in ("marked", "unmarked", "loop")]
    st, tr = _frames(tr_rows, st_rows)
    got = sweep_runs(st, tr)
    assert got.points.select("value", "score").rows() == [("2", 0.25)]
    (row,) = got.constants.iter_rows(named=True)
    assert (row["n_points_total"], row["n_points_ok"], row["n_errors"], row["default"]) == (2, 1, 1, "1")


def test_a_minimised_objective_is_read_from_the_runs() -> None:
    """Runs declaring ``minimize``: the cliff is a harmful rise of the loss, the best value the lowest."""
    tr = pl.DataFrame(
        [
            {
                K.TRAJECTORY_ID: f"r{i}{r}",
                K.HAS_ROOT: True,
                K.SWEEP_KNOB: "x",
                K.SWEEP_VALUE: str(i),
                K.REWARD: (0.1 if i < 5 else 0.6) + 0.001 * r,
                K.OBJECTIVE: C.OBJECTIVE_MINIMIZE,
                K.START_NS: 10 * i + r,
            }
            for i in range(8)
            for r in range(3)
        ]
    )
    block = analyze_sweeps(sweep_runs(pl.DataFrame(schema={K.TRAJECTORY_ID: pl.Utf8}), tr), SweepSettings())
    assert block is not None
    (c,) = block["constants"]
    assert c["objective"] == C.OBJECTIVE_MINIMIZE
    assert [(x["from"], x["to"]) for x in c["cliffs"]] == [("4", "5")]
    assert c["best_value"] == "0"


def test_spans_and_a_popoto_file_in_one_analysis(planted: Path, external: Path) -> None:
    popoto = external / "popoto-sweep_20260330_160911.json"
    alone = _block([popoto])
    both = _block([popoto, planted])
    assert _by_name(both, str(popoto)) == _by_name(alone, str(popoto))
    assert _by_name(both) == _by_name(_block([planted]))
    assert {c["source"] for c in both["constants"]} == {str(popoto), SPANS_SOURCE}


def test_a_constant_whose_runs_all_failed_is_shown_with_its_counts() -> None:
    tr = pl.DataFrame(
        [
            {K.TRAJECTORY_ID: f"r{i}", K.HAS_ROOT: True, K.SWEEP_KNOB: "x", K.SWEEP_VALUE: str(i), K.STATUS_CODE: 2}
            for i in range(3)
        ]
        + [{K.TRAJECTORY_ID: "d", K.HAS_ROOT: True, K.SWEEP_KNOB: "x", K.SWEEP_VALUE: "9", K.SWEEP_DEGENERATE: True}]
    )
    block = analyze_sweeps(sweep_runs(pl.DataFrame(schema={K.TRAJECTORY_ID: pl.Utf8}), tr))
    assert block is not None
    (c,) = block["constants"]
    assert (c["n_points"], c["n_errors"], c["n_degenerate"], c["n_points_total"]) == (0, 3, 1, 4)
    assert c["sensitivity"] == "insufficient-data" and c["decision"] == "reject"


def test_proposals_render_as_readable_markdown(planted: Path) -> None:
    """The proposal lines are list items of escaped text: a Markdown renderer shows ``0 -> 1`` (entities are not
    decoded inside a code block, where ``-&gt;`` used to appear literally), and nothing of them is code or HTML."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (a dependency of rich) parses Markdown")
    from trajdyn.analyzer.report import render_markdown

    report = analyze([str(planted)], generated_at=GENERATED_AT)
    proposals = [c["proposal"] for c in report.blocks["sweeps"]["constants"] if c["sensitivity"] == "sensitive"]
    assert proposals and all("->" in p for p in proposals)
    tokens = markdown_it.MarkdownIt("commonmark").enable(["table"]).parse(render_markdown(report))
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    shown = ["".join(c.content for c in t.children or [] if c.type == "text") for t in tokens if t.type == "inline"]
    for proposal in proposals:  # the text a reader sees, entities decoded: "rise: 0 -> 1 (…"
        assert any(line.startswith(proposal.split(" (")[0] + " (") for line in shown), proposal
