"""Readers of expert-labelled agent traces (TRAIL, MAST, Who&When): every file of external/labeled, messy copies of
real files, and the counts of an independent reader (the research prototype of issue 18, DATA.md)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C
from trajdyn.analyzer import analyze
from trajdyn.formats import convert, detect_format
from trajdyn.formats.expert_labels import (
    RESOURCE_ABUSE,
    normalise_category,
    read_mast_annotations,
    read_trail_annotation,
    whowhen_label,
)
from trajdyn.formats.mast import hyperagent_sessions
from trajdyn.formats.trail import trail_turns

LABELED = "labeled"


@pytest.fixture
def labeled(external: Path) -> Path:
    root = external / LABELED
    if not root.is_dir():
        pytest.skip("../shared/external/labeled is absent")
    return root


def proposes(requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Per request, its propose spans' attributes as plain dicts, in order."""
    out = []
    for req in requests:
        spans = [s for rs in req["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
        out.append(
            [
                {a["key"]: next(iter(a["value"].values())) for a in s["attributes"]}
                for s in spans
                if s["name"] == C.PHASE_PROPOSE
            ]
        )
    return out


def test_every_file_of_the_folder_is_recognised_and_reads_without_a_problem(labeled: Path) -> None:
    kinds: Counter[str | None] = Counter()
    trajectories: Counter[str] = Counter()
    turns: Counter[str] = Counter()
    for path in sorted(p for p in labeled.rglob("*") if p.is_file()):
        fmt = detect_format(path)
        kinds[fmt] += 1
        if fmt is None:
            assert path.suffix == ".md", f"{path} not recognised"
            continue
        result = convert(path, fmt)
        assert result.errors == [], [str(e) for e in result.errors]
        trajectories[fmt] += len(result.requests)
        turns[fmt] += sum(len(p) for p in proposes(result.requests))
    assert kinds == {
        "trail": 62,
        "trail-annotations": 107,
        "mast-annotations": 2,
        "mast-hyperagent": 30,
        "mast-ag2": 4,
        "mast-metagpt": 4,
        "whowhen": 126,
        None: 1,  # SOURCES.md: provenance, not a trace
    }
    # turn counts of an independent reader (research/i18 DATA.md): TRAIL steps, HyperAgent responses after the
    # de-duplication of logging copies, AG2 messages, MetaGPT's 5-turn schedule, Who&When history entries
    assert +turns == {"trail": 258, "mast-hyperagent": 2387, "mast-ag2": 30, "mast-metagpt": 20, "whowhen": 1099}
    assert trajectories["mast-hyperagent"] > 30  # one trajectory per (re)start
    assert trajectories["trail-annotations"] == 0 and trajectories["mast-annotations"] == 0


def test_trail_labels_and_resource_abuse_prevalence(labeled: Path) -> None:
    annotations = [read_trail_annotation(p) for p in sorted((labeled / "trail").glob("annotations_*/*.json"))]
    assert all(problems == [] for _, problems in annotations)
    labels = {a.trace_id: a for a, _ in annotations if a is not None}
    assert len(labels) == 107 and sum(a.resource_abuse for a in labels.values()) == 37
    traces = sorted((labeled / "trail").glob("traces_*/*.json"))
    ra = [t for t in traces if labels[json.loads(t.read_text())["trace_id"]].resource_abuse]
    small = [t for t in traces if t.stat().st_size <= 1_000_000]
    assert (len(traces), len(ra)) == (62, 16)
    assert (len(small), len(set(small) & set(ra))) == (55, 9)  # the prevalence to quote: 16 %, not 26 %
    # Resource Abuse locations fall on steps: the reader's span ids of each turn cover them
    located = 0
    for t in ra:
        doc = json.loads(t.read_text())
        inside = {sid for turn in trail_turns(doc) for sid in turn.span_ids}
        located += sum(e.location in inside for e in labels[doc["trace_id"]].errors if e.category == RESOURCE_ABUSE)
    assert located == 22


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Context Handling Failures", "context handling failure"),
        ("Instruction Non-compliance", "instruction non compliance"),
        ("Instruction non complience", "instruction non compliance"),
        ("Task Orchestration Errors", "task orchestration"),
        (" Incorrect Problem Identification", "incorrect problem identification"),
        ("Resource Abuse", RESOURCE_ABUSE),
        ("Resource Exhaustion", "resource exhaustion"),
    ],
)
def test_categories_normalise(raw: str, normal: str) -> None:
    assert normalise_category(raw) == normal


def test_trailing_comma_annotation_reads_with_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"trace_id": "abc", "errors": [{"category": "Resource Abuse", "location": "s1",},], "scores": []}')
    assert detect_format(path) == "trail-annotations"
    annotation, problems = read_trail_annotation(path)
    assert annotation is not None and annotation.resource_abuse and annotation.errors[0].location == "s1"
    assert [p.line for p in problems] == [1] and "trailing comma" in problems[0].message
    # a string holding ",]" is never touched
    path.write_text('{"trace_id": "a,]", "errors": [{"category": "x,}", "location": null},]}')
    annotation, _ = read_trail_annotation(path)
    assert annotation is not None and annotation.trace_id == "a,]" and annotation.errors[0].category == "x,}"


def test_mast_join_keeps_both_annotations_of_a_trace_and_only_true_false(labeled: Path) -> None:
    rows, problems = read_mast_annotations(labeled / "mast_masft" / "annotations.csv")
    assert problems == []
    here = [k for k in rows if (labeled / "mast_masft" / k).is_file()]
    assert len(here) == 38
    assert sum(bool(rows[k][0]["step_repetition"]) for k in here) == 7
    assert sum(bool(rows[k][0]["trajectory_restart"]) for k in here) == 14
    assert sum(len(v) == 2 for v in rows.values()) == 1  # one AppWorld trace annotated twice
    assert {v for r in rows.values() for labels in r for v in labels.values()} <= {True, False, None}
    second, _ = read_mast_annotations(labeled / "mast_masft" / "HyperAgent" / "annotations.csv")
    for key, labels in second.items():  # the same annotation with yes/no, not a second opinion
        assert rows[key][0]["step_repetition"] == labels[0]["step_repetition"]


def test_hyperagent_logging_copies_are_removed_and_genuine_repeats_kept() -> None:
    head = "HyperAgent_x - INFO - "
    init = [head + "Initialized HyperAgent instance x", head + "Initialized tools", head + "Initialized tools"]
    nav = [
        head + "Inner-Navigator-Assistant's Response: Thought: look",
        "Action:",
        "```python",
        "r = open_file._run(a=1)",
    ]
    nav.append("```")  # a message runs over several log lines, up to the next HyperAgent_ line
    report = [head + "Navigator->Planner: found it"]
    # session 1: two handlers, every message written twice; a genuine double message is written four times
    lines = [*init, *nav, *nav, *nav, *nav, *report, *report]
    lines += [head + "Initialized HyperAgent instance x", head + "Initialized tools", *nav]  # a restart, one handler
    sessions, removed = hyperagent_sessions(lines)
    assert [len(s) for s in sessions] == [2, 1] and removed == 3
    assert sessions[0][0].tool == "open_file" and sessions[0][1].observation == "found it"


def test_truncated_and_garbage_files_are_reported_not_raised(labeled: Path, tmp_path: Path) -> None:
    for source, fmt in (
        (next((labeled / "trail" / "traces_gaia").glob("*.json")), "trail"),
        (next((labeled / "mast_masft" / "HyperAgent").glob("*_human.json")), "mast-hyperagent"),
        (next((labeled / "whowhen" / "Algorithm-Generated").glob("*.json")), "whowhen"),
    ):
        data = source.read_bytes()
        cut = tmp_path / source.name
        cut.write_bytes(data[: len(data) // 2])
        result = convert(cut, fmt)
        assert result.requests == [] and len(result.errors) == 1 and result.errors[0].line > 1
    wrong = tmp_path / "w.json"
    wrong.write_text('{"history": "not a list", "question_ID": "q"}')
    result = convert(wrong, "whowhen")
    assert result.requests == [] and "no history list" in result.errors[0].message


def test_trail_turns_do_not_depend_on_the_order_of_sibling_spans(labeled: Path) -> None:
    rng = random.Random(7)
    for path in sorted((labeled / "trail" / "traces_gaia").glob("*.json"))[:8]:
        doc = json.loads(path.read_text())
        expected = [(t.agent, t.tool, t.args) for t in trail_turns(doc)]

        def shuffle(span: dict[str, Any]) -> None:
            children = span.get("child_spans") or []
            rng.shuffle(children)
            for c in children:
                shuffle(c)

        for root in doc["spans"]:
            shuffle(root)
        assert [(t.agent, t.tool, t.args) for t in trail_turns(doc)] == expected


def test_whowhen_turn_k_is_history_k_and_labels_read(labeled: Path) -> None:
    path = labeled / "whowhen" / "Algorithm-Generated" / "1.json"
    doc = json.loads(path.read_text())
    result = convert(path)
    actions = [p[C.ACTION] for p in proposes(result.requests)[0]]
    assert len(actions) == len(doc["history"])
    assert all(a.startswith(str(h.get("name") or h.get("role"))) for a, h in zip(actions, doc["history"], strict=True))
    label = whowhen_label(doc)
    assert label.agent == "Excel_Expert" and label.step == 0


def test_a_folder_of_traces_analyses_with_the_repetition_score(labeled: Path) -> None:
    files = [str(p) for p in sorted((labeled / "mast_masft").rglob("*.json"))]
    report = analyze(files)
    assert report.errors == []
    rows = [t for t in report.trajectories if t.get("dynamics")]
    assert len(rows) == 80 + 4 + 4
    scores = [t["dynamics"]["repetition"] for t in rows if t["dynamics"]["turns"]]
    assert all(0.0 <= s["score"] <= 1.0 and s["basis"] == "arguments" for s in scores)
    # MetaGPT's fixed Coder → Tester → Reviewer → Tester → Reviewer schedule writes new code every turn
    metagpt = [t["dynamics"]["repetition"] for t in rows if str(t.get("task_id", "")).startswith("run_")]
    assert len(metagpt) == 4
