"""A LangGraph plan-and-execute agent driven by langchain-core's fake chat model, for the instrumentation tests.

Graph: START → ``planner`` (one model call that writes the plan, no tool) → ``agent`` (model with tools) ⇄ ``tools``
(``ToolNode``) → END. The fake replays a script: the plan, then the tool calls of the scenario, then an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition


class ToolCallingFake(GenericFakeChatModel):
    """``GenericFakeChatModel`` that accepts ``bind_tools`` (it ignores the tools and replays its script)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self


def _usage(i: int, o: int) -> Any:
    return {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}


def _call(n: int, name: str, args: dict[str, Any]) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": f"call_{n}", "type": "tool_call"}],
        usage_metadata=_usage(100 + n, 10),
    )


def script(calls: list[tuple[str, dict[str, Any]]]) -> Iterator[AIMessage]:
    """The plan, one reply per tool call, the answer. Tokens: 50/20, then 100+n/10 per call, then 300/5."""
    yield AIMessage(content="1. search the docs 2. read the best hit 3. answer", usage_metadata=_usage(50, 20))
    for n, (name, args) in enumerate(calls, start=1):
        yield _call(n, name, args)
    yield AIMessage(content="Here is my answer.", usage_metadata=_usage(300, 5))


@tool
def fetch(url: str) -> str:
    """Fetch a URL."""
    if "bad" in url:
        raise ValueError("fetch failed: host not found")
    return "<html>ok</html>"


@tool
def search(query: str) -> list[int]:
    """Search the docs."""
    return [1]


@tool
def read(doc_id: int) -> str:
    """Read a document."""
    return f"document {doc_id}: nothing new"


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def run_graph(calls: list[tuple[str, dict[str, Any]]]) -> None:
    """Run the graph once over the scripted replies."""
    model = ToolCallingFake(messages=script(calls))
    tools = [fetch, search, read]
    bound = model.bind_tools(tools)

    def planner(state: State) -> dict[str, list[AnyMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    def agent(state: State) -> dict[str, list[AnyMessage]]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(State)
    graph.add_node("planner", planner)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    graph.add_edge(START, "planner")
    graph.add_edge("planner", "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    graph.compile().invoke({"messages": [HumanMessage("Find out what trajdyn does.")]}, {"recursion_limit": 100})


SCENARIOS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "loop": [("fetch", {"url": "http://bad.invalid/"}), ("fetch", {"url": "http://good.invalid/"})]
    + [call for _ in range(6) for call in (("search", {"query": "trajdyn"}), ("read", {"doc_id": 1}))],
    "trapped": [("search", {"query": "trajdyn"})] * 8,
}
"""The planted tool calls: a failed fetch, its retry, then a period-2 loop; or one identical call eight times."""


def openllmetry_to(path: str, scenario: str) -> None:
    """Run the graph under OpenLLMetry's LangChain instrumentation, spans to trajdyn's JSON-lines exporter at
    ``path``. Run in a fresh process: that instrumentation keeps its first tracer provider for the process."""
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from trajdyn.exporters import JsonLinesSpanExporter

    tp = TracerProvider(resource=Resource.create({"service.name": "producer-test"}))
    tp.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    instrumentor = LangchainInstrumentor()
    instrumentor.instrument(tracer_provider=tp)
    try:
        run_graph(SCENARIOS[scenario])
    finally:
        instrumentor.uninstrument()
        tp.shutdown()


if __name__ == "__main__":
    import sys

    openllmetry_to(sys.argv[1], sys.argv[2])
