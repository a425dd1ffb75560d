"""Traces written by real third-party instrumentation, offline with the libraries' own fake models, read as runs.

pydantic-ai (OpenTelemetry GenAI: ``invoke_agent`` / ``chat`` / ``execute_tool``), OpenInference's LangChain
instrumentation and OpenLLMetry's (``traceloop.*`` plus GenAI) over a LangGraph agent. Each scenario plants its
truth: a plan first (pydantic-ai: a ``make_plan`` tool call, the first turn; LangGraph: a ``planner`` node whose one
model call is a model call, not a turn), a failing ``fetch`` retried with another url, then a period-2 loop of
identical ``search`` / ``read`` calls (``loop``) or one identical ``search`` call repeated (``trapped``). The spans go
through the real OpenTelemetry SDK into trajdyn's own JSON-lines exporter and are analysed from the file.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from trajdyn.analyzer import DynamicsOptions, analyze, model, read_spans
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.foreign import model_calls

pytest.importorskip("pydantic_ai", reason="needs the e2e dependency group (third-party producers)")
pytest.importorskip("langgraph", reason="needs the e2e dependency group (third-party producers)")

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.analyzer.foreign._langgraph import SCENARIOS
from trajdyn.exporters import JsonLinesSpanExporter

LOOP = SCENARIOS["loop"]
TRAPPED = SCENARIOS["trapped"]


@pytest.fixture(autouse=True)
def _no_langsmith(monkeypatch: pytest.MonkeyPatch) -> None:
    """langchain-core never tries the network here: its tracing to LangSmith stays off whatever the environment."""
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _provider(path: Path) -> TracerProvider:
    tp = TracerProvider(resource=Resource.create({"service.name": "producer-test"}))
    tp.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    return tp


def _pydantic_ai(path: Path, calls: list[tuple[str, dict[str, Any]]]) -> None:
    from pydantic_ai import Agent, ModelRetry
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel
    from pydantic_ai.models.instrumented import InstrumentationSettings

    parts: list[ToolCallPart | TextPart] = [
        ToolCallPart("make_plan", {"steps": ["search the docs", "read the best hit", "answer"]}),
        *[ToolCallPart(name, args) for name, args in calls],
        TextPart("Here is my answer."),
    ]
    served = [0]

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        part = parts[min(served[0], len(parts) - 1)]
        served[0] += 1
        return ModelResponse(parts=[part])

    tp = _provider(path)
    Agent.instrument_all(InstrumentationSettings(tracer_provider=tp, include_content=True))
    try:
        agent: Agent[None, str] = Agent(FunctionModel(reply, model_name="scripted"), name="research_agent")

        @agent.tool_plain
        def make_plan(steps: list[str]) -> str:
            return "plan accepted: " + "; ".join(steps)

        @agent.tool_plain
        def fetch(url: str) -> str:
            if "bad" in url:
                raise ModelRetry("fetch failed: host not found")
            return "<html>ok</html>"

        @agent.tool_plain
        def search(query: str) -> list[int]:
            return [1]

        @agent.tool_plain
        def read(doc_id: int) -> str:
            return f"document {doc_id}: nothing new"

        asyncio.run(agent.run("Find out what trajdyn does."))
    finally:
        Agent.instrument_all(False)
        tp.shutdown()


def _openinference(path: Path, calls: list[tuple[str, dict[str, Any]]]) -> None:
    from openinference.instrumentation import using_session
    from openinference.instrumentation.langchain import LangChainInstrumentor

    from tests.analyzer.foreign._langgraph import run_graph

    tp = _provider(path)
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tp)
    try:
        with using_session("session-42"):
            run_graph(calls)
    finally:
        instrumentor.uninstrument()
        tp.shutdown()


def _openllmetry(path: Path, calls: list[tuple[str, dict[str, Any]]]) -> None:
    """In a subprocess: OpenLLMetry's instrumentation keeps the first tracer provider of a process."""
    scenario = next(name for name, planted in SCENARIOS.items() if planted == calls)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    root = Path(__file__).resolve().parents[3]
    subprocess.run(
        [sys.executable, "-m", "tests.analyzer.foreign._langgraph", str(path), scenario],
        cwd=root,
        env=env,
        check=True,
        timeout=300,
    )


PRODUCE = {"pydantic-ai": _pydantic_ai, "openinference": _openinference, "openllmetry": _openllmetry}
PRODUCERS = list(PRODUCE)


def _produce(tmp_path: Path, producer: str, calls: list[tuple[str, dict[str, Any]]]) -> Path:
    path = tmp_path / f"{producer}.jsonl"
    PRODUCE[producer](path, calls)
    assert path.exists() and path.stat().st_size > 0
    return path


def _expected_actions(producer: str, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    plan = ["make_plan"] if producer == "pydantic-ai" else []  # LangGraph plans in a node, without a tool
    return plan + [name for name, _ in calls]


@pytest.mark.parametrize("producer", [*PRODUCERS[:2], pytest.param("openllmetry", marks=pytest.mark.slow)])
def test_a_planted_loop_comes_out_as_a_loop(tmp_path: Path, producer: str) -> None:
    path = _produce(tmp_path, producer, LOOP)
    data = read_spans(path)
    assert data.errors == []
    trajectories = model.trajectories(data)
    assert trajectories.height == 1  # nested agent spans (LangGraph nodes, a doubled invoke_agent) are one run
    turns = model.steps(data).filter(pl.col(K.PHASE) == "propose").sort(K.ITERATION)
    assert turns[K.ACTION].to_list() == _expected_actions(producer, LOOP)
    # identical calls have identical content, whatever per-call ids the instrumentation wraps them in
    searches = turns.filter(pl.col(K.ACTION) == "search")[K.CONTENT].unique().to_list()
    assert len(searches) == 1 and "trajdyn" in searches[0]
    # model calls: one per reply (pydantic-ai: one per tool call + the answer; LangGraph: + the planner's)
    n_replies = len(_expected_actions(producer, LOOP)) + 1 + (0 if producer == "pydantic-ai" else 1)
    assert model_calls(data.span_frame).height == n_replies
    if producer != "pydantic-ai":  # the fake model reports usage; pydantic-ai's FunctionModel estimates it
        row = trajectories.row(0, named=True)
        assert row[K.INPUT_TOKENS] == 50 + sum(100 + n for n in range(1, len(LOOP) + 1)) + 300
        assert row[K.OUTPUT_TOKENS] == 20 + 10 * len(LOOP) + 5
    # the failed fetch is followed by a retry of the same tool
    retries = model.events(data).filter(pl.col(K.EVENT_NAME) == "trajdyn.retry")
    assert retries.height == 1
    report = analyze(path, options=[DynamicsOptions(shuffles=200)], generated_at="2026-01-01T00:00:00Z").to_dict()
    (entry,) = report["trajectories"]
    dynamics = entry["dynamics"]
    assert dynamics["regime"] == "looping", dynamics["regime_reason"]
    assert dynamics["loop"]["period"] == 2


@pytest.mark.parametrize("producer", [*PRODUCERS[:2], pytest.param("openllmetry", marks=pytest.mark.slow)])
def test_a_planted_trap_comes_out_as_a_trap(tmp_path: Path, producer: str) -> None:
    path = _produce(tmp_path, producer, TRAPPED)
    data = read_spans(path)
    assert data.errors == []
    assert model.trajectories(data).height == 1
    turns = model.steps(data).filter(pl.col(K.PHASE) == "propose").sort(K.ITERATION)
    assert turns[K.ACTION].to_list() == _expected_actions(producer, TRAPPED)
    report = analyze(path, options=[DynamicsOptions(shuffles=200)], generated_at="2026-01-01T00:00:00Z").to_dict()
    (entry,) = report["trajectories"]
    assert entry["dynamics"]["regime"] == "trapped", entry["dynamics"]["regime_reason"]


def test_pydantic_ai_run_facts(tmp_path: Path) -> None:
    data = read_spans(_produce(tmp_path, "pydantic-ai", TRAPPED))
    row = model.trajectories(data).row(0, named=True)
    assert row[K.AGENT] == "research_agent" and row[K.MODEL] == "scripted"
    assert row[K.RUN_ID] is not None  # gen_ai.conversation.id groups the runs of one conversation
    assert os.environ.get("LANGSMITH_TRACING") is None
