"""Foreign traces from ../shared/external: every container reads with no input error and yields the runs, turns,
model calls, tokens and cost that a direct count of the raw file gives.

The expected numbers were counted from the raw files by a stdlib-only script that shares no code with trajdyn
(outermost agent span = a run; tool spans under it = turns, in start order; model spans with no model-span ancestor
and not time-contained in another scope's model span = calls; tokens and cost summed over those calls). Each row
is ``runs: [(turns, calls, input tokens, output tokens, cost, actions)]`` sorted by actions; ``None`` = not
recorded in the file (never 0).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import model, read_spans
from trajdyn.analyzer.foreign import model_calls

Run = tuple[int, int, int | None, int | None, float | None, tuple[str, ...]]

EXPECTED: dict[str, tuple[int, list[Run]]] = {
    "anyagent-genai-tinyagent_trace.json": (
        8,
        [(3, 4, 1369, 156, 0.0001837, ("get_current_time", "write_file", "final_answer"))],
    ),
    "anyagent-genai-llama_index_trace.json": (
        9,
        [(3, 5, 1308, 255, 0.0002073, ("get_current_time", "write_file", "final_output"))],
    ),
    "anyagent-openinference-langchain_trace.json": (
        24,
        [(2, 3, 1024, 57, 0.0004096, ("get_current_time", "write_file"))],
    ),
    "anyagent-openinference-llama_index_trace.json": (
        25,
        [(2, 3, 2169, 127, 0.0008676, ("get_current_time", "write_file"))],
    ),
    "anyagent-openinference-smolagents_trace.json": (
        14,
        [(3, 3, 1271, 71, 0.0005084, ("get_current_time", "write_file", "final_answer"))],
    ),
    "agentprism-otlp-openinference-langchain-tavily-agent.json": (
        29,
        [(2, 3, None, None, None, ("tavily_search", "tavily_extract"))],
    ),
    "agentprism-otlp-openinference-rag-earnings.json": (18, [(0, 1, 629, 19, None, ())]),
    "agentevals-kagent-adk-tempo_export_with_batches.json": (
        86,
        [(0, 0, None, None, None, ()), (1, 2, 4648, 129, None, ("helm_list_releases",))],
    ),
    "phoenix-pxi_turn_subagent_trace.json": (
        38,
        [
            (
                18,
                18,
                18,
                18,
                None,
                ("call_subagent", "load_skill", *["read_skill_resource"] * 3, *["bash"] * 13),
            )
        ],
    ),
    # 7 observations under one root span for the trace
    "agentprism-langfuse-trace-export-2.json": (8, [(1, 2, 47743, 1655, 0.07622875, ("searchLangfuseDocs",))]),
    "jaeger-model-example_trace.json": (5, []),
    "jaeger-model-tags_opname_trace.json": (1, []),
    "jaegerui-api-traces-otlp2jaeger-out.json": (1, []),  # the same span listed twice
}


def _runs(data: Any) -> list[Run]:
    trajectories = model.trajectories(data)
    turns = model.steps(data).filter(pl.col(K.PHASE) == "propose").sort(K.TRAJECTORY_ID, K.ITERATION)
    calls = model_calls(data.span_frame)
    out: list[Run] = []
    for row in trajectories.iter_rows(named=True):
        tid = row[K.TRAJECTORY_ID]
        actions = tuple(turns.filter(pl.col(K.TRAJECTORY_ID) == tid)[K.ACTION].to_list())
        n_calls = calls.filter(pl.col("_run") == tid).height
        cost = None if row[K.COST] is None else round(row[K.COST], 12)
        out.append((len(actions), n_calls, row[K.INPUT_TOKENS], row[K.OUTPUT_TOKENS], cost, actions))
    return sorted(out, key=repr)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_match_a_direct_count_of_the_file(external: Path, name: str) -> None:
    spans, runs = EXPECTED[name]
    data = read_spans(external / name)
    assert [str(e) for e in data.errors] == []
    assert data.spans.height == spans
    assert _runs(data) == sorted(runs, key=repr)


def test_langfuse_scores_are_metrics_not_a_reward(external: Path) -> None:
    data = read_spans(external / "agentprism-langfuse-trace-export-2.json")
    row = model.trajectories(data).row(0, named=True)
    assert row[K.REWARD] is None
    assert row[K.RUN_ID] == "chat_53668515-211a-4a42-b069-554b7e1fcc60"
    assert row[K.MODEL] == "gpt-5"


def test_sessions_and_agents_of_the_runs(external: Path) -> None:
    tempo = model.trajectories(read_spans(external / "agentevals-kagent-adk-tempo_export_with_batches.json"))
    # two agent spans the file does not connect (the link passes through a span that is missing): two runs
    assert sorted(tempo[K.AGENT].to_list()) == ["helm-agent", "helm_agent"]
    helm = tempo.filter(pl.col(K.AGENT) == "helm_agent").row(0, named=True)
    assert helm[K.RUN_ID] == "ctx-eff35888-55ab-4eb0-b90d-7b21f711f91f" and helm[K.MODEL] == "gpt-4.1-mini"
    phoenix = model.trajectories(read_spans(external / "phoenix-pxi_turn_subagent_trace.json")).row(0, named=True)
    assert phoenix[K.AGENT] == "pxi.turn" and phoenix[K.RUN_ID] == "fixture-subagent-session"
    assert phoenix[K.TASK_TEXT] is not None and phoenix[K.TASK_TEXT].startswith("please delegate")


def _otlp_lines(path: Path) -> list[str]:
    """An OTLP array file as JSON lines, one span per line (for reshuffling; parents in other lines)."""
    lines = []
    for doc in json.loads(path.read_text()):
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    one = {
                        "resource": rs.get("resource", {}),
                        "scopeSpans": [{"scope": ss.get("scope"), "spans": [sp]}],
                    }
                    lines.append(json.dumps({"resourceSpans": [one]}))
    return lines


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_and_duplicated_spans_give_the_same_runs(external: Path, tmp_path: Path, seed: int) -> None:
    name = "agentprism-otlp-openinference-langchain-tavily-agent.json"
    lines = _otlp_lines(external / name)
    rng = random.Random(seed)
    messy = lines + rng.sample(lines, 7)  # duplicates, as a retried export writes them
    rng.shuffle(messy)
    path = tmp_path / "messy.jsonl"
    path.write_text("\n".join(messy) + "\n")
    data = read_spans(path)
    assert data.spans.height == 29
    assert _runs(data) == EXPECTED[name][1]


def test_two_files_at_once_keep_their_runs_apart(external: Path) -> None:
    names = ["anyagent-genai-tinyagent_trace.json", "anyagent-openinference-smolagents_trace.json"]
    data = read_spans([external / n for n in names])
    assert data.errors == []
    assert _runs(data) == sorted([r for n in names for r in EXPECTED[n][1]], key=repr)
