"""Importer for TRAIL traces (Patronus's export of smolagents OpenTelemetry traces with OpenInference attributes).

A file is one JSON object ``{trace_id, spans: [span, …]}``; each span is ``{timestamp, span_id, span_name,
span_attributes{openinference.span.kind, input.value, output.value, llm.*, tool.*}, status_code, status_message,
child_spans[…]}`` nested as a tree. Mapping (docs/importers.md, "agent logs with expert labels"):

- one trajectory per file: ``trajdyn.task.id`` = the trace id, agent name = the root span (``main``: a GAIA run,
  ``process_item``: a SWE-bench run);
- a **turn** is a ``Step N`` CHAIN span (a smolagents ActionStep) of any agent, in start-time order. Planning calls
  (LLM spans directly under an AGENT span, in fixed facts/plan pairs) are not turns: they would plant periodic
  repeats;
- the turn's agent is its nearest enclosing AGENT span, named by a managed agent's name (``search_agent``) or the
  span name (``CodeAgent``); its tool is what the step ran: a ToolCallingAgent step's tool calls (``web_search``), a
  CodeAgent step's executed TOOL and managed-AGENT spans (not entering the nested agent), else the known tools its
  code names, else ``python`` (code without a tool) / ``no_code``; its arguments are the canonical JSON of the call
  arguments (or the code, comments and blank lines removed) — the propose step's content;
- its observation is the Step span's ``output.value`` (or its status message when it failed): an observe step with
  status ERROR when the step or a tool inside it failed.

This reader maps the OpenInference attributes of these exports itself (a conventions-v1 trajectory per trace, like
the τ-bench importer); :func:`trail_turns` gives the turns with the span ids inside each, which expert labels point
at. Problems (not JSON, no spans, a span without an id) are reported at the file's line and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._agentlogs import (
    Turn,
    called_names,
    canon_json,
    code_blocks,
    load_object,
    norm_code,
    norm_text,
    turn_steps,
)
from trajdyn.formats._imported import ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat

__all__ = ["FORMAT", "NAME", "sniff", "trail_turns"]

NAME: Final = "trail"
_STEP: Final = re.compile(r"Step (\d+)")
_AGENT_NAMED: Final = re.compile(r"agent named '(\w+)'")
_TOOL_LIST: Final = re.compile(r"^- (\w+): ", re.M)
_KIND: Final = "openinference.span.kind"
_CALL: Final = "llm.output_messages.0.message.tool_calls.{k}.tool_call.function.{field}"


def sniff(head: bytes) -> bool:
    """A JSON object with ``trace_id`` and ``spans`` whose spans carry ``span_attributes`` and ``child_spans``."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return (
        text.startswith(b"{")
        and b'"trace_id"' in head
        and b'"spans"' in head
        and b'"span_attributes"' in head
        and b'"child_spans"' in head
    )


def _attrs(span: dict[str, Any]) -> dict[str, Any]:
    a = span.get("span_attributes")
    return a if isinstance(a, dict) else {}


def _kind(span: dict[str, Any]) -> object:
    return _attrs(span).get(_KIND)


def _children(span: dict[str, Any]) -> list[dict[str, Any]]:
    c = span.get("child_spans")
    return [x for x in c if isinstance(x, dict)] if isinstance(c, list) else []


def _walk(roots: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Every span as (span, parent), depth-first in document order (iterative: deep trees do not recurse)."""
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    stack: list[tuple[dict[str, Any], dict[str, Any] | None]] = [(s, None) for s in reversed(roots)]
    while stack:
        span, parent = stack.pop()
        out.append((span, parent))
        stack.extend((c, span) for c in reversed(_children(span)))
    return out


def _inside(span: dict[str, Any]) -> list[dict[str, Any]]:
    """Spans below ``span`` in document order, not entering a nested AGENT span (which is itself included)."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(_children(span)))
    while stack:
        s = stack.pop()
        out.append(s)
        if _kind(s) != "AGENT":
            stack.extend(reversed(_children(s)))
    return out


def _agent_name(span: dict[str, Any]) -> str:
    m = _AGENT_NAMED.search(str(_attrs(span).get("input.value") or ""))
    return m.group(1) if m else str(span.get("span_name") or "agent").removesuffix(".run")


def _tool_input(span: dict[str, Any]) -> str:
    """Canonical input of an executed TOOL span (``{args, kwargs}``) or a managed agent's task text."""
    raw = _attrs(span).get("input.value")
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return norm_text(str(raw))
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "sanitize_inputs_outputs"}
        if set(value) == {"task"}:
            return norm_text(str(value["task"]))
    return canon_json(value)


def _vocabulary(spans: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> set[str]:
    """Tool names the agents were given: the ``- name:`` list of system prompts, and every TOOL span's name."""
    vocab: set[str] = set()
    for s, _ in spans:
        a = _attrs(s)
        if a.get("llm.input_messages.0.message.role") == "system":
            vocab.update(_TOOL_LIST.findall(str(a.get("llm.input_messages.0.message.content") or "")))
        if _kind(s) == "TOOL" and isinstance(a.get("tool.name"), str):
            vocab.add(a["tool.name"])
    return vocab


def _step_turn(step: dict[str, Any], agent: str, vocab: set[str]) -> Turn:
    inner = _inside(step)
    llm = next((c for c in _children(step) if _kind(c) == "LLM"), None)
    la = _attrs(llm) if llm is not None else {}
    text = str(la.get("llm.output_messages.0.message.content") or "")
    calls: list[tuple[str, str]] = []
    while isinstance(name := la.get(_CALL.format(k=len(calls), field="name")), str):
        calls.append((name, canon_json(la.get(_CALL.format(k=len(calls), field="arguments")))))
    tools_in = [d for d in inner if _kind(d) == "TOOL"]
    if calls:  # a ToolCallingAgent step: the model's tool calls
        tool = "+".join(n for n, _ in calls)
        args = "|".join(f"{n}:{v}" for n, v in calls)
    else:  # a CodeAgent step: what its code executed, else the tools it names
        executed = sorted(
            [
                (str(d.get("timestamp") or ""), str(_attrs(d).get("tool.name") or d.get("span_name")), _tool_input(d))
                for d in tools_in
            ]
            + [(str(d.get("timestamp") or ""), _agent_name(d), _tool_input(d)) for d in inner if _kind(d) == "AGENT"]
        )
        code = "\n".join(code_blocks(text))
        if executed:
            tool = "+".join(dict.fromkeys(n for _, n, _ in executed))
            args = "|".join(f"{n}:{v}" for _, n, v in executed)
        else:
            names = called_names(code, vocab) if code else []
            tool = "+".join(names) if names else ("python" if code else "no_code")
            args = norm_code(code) if code else norm_text(text)
    status = step.get("status_code")
    error = status == "Error" or any(d.get("status_code") == "Error" for d in tools_in)
    out = _attrs(step).get("output.value")
    if not out and status == "Error":
        out = step.get("status_message") or "error"
    observation = out if isinstance(out, str) else (json.dumps(out, default=str) if out is not None else None)
    ids = [str(step.get("span_id")), *(str(d.get("span_id")) for d in inner if d.get("span_id") is not None)]
    return Turn(agent=agent, tool=tool, args=args, observation=observation, error=error, span_ids=ids)


def trail_turns(doc: dict[str, Any]) -> list[Turn]:
    """The turns of one TRAIL trace document (see the module docstring), in start-time order."""
    roots = doc.get("spans")
    spans = _walk([s for s in roots if isinstance(s, dict)] if isinstance(roots, list) else [])
    vocab = _vocabulary(spans)
    parent_of = {id(s): p for s, p in spans}
    steps: list[tuple[str, int, dict[str, Any], str]] = []
    for s, _ in spans:
        m = _STEP.fullmatch(str(s.get("span_name") or ""))
        if m is None or _kind(s) != "CHAIN":
            continue
        agent = "agent"
        p = parent_of.get(id(s))
        while p is not None:
            if _kind(p) == "AGENT":
                agent = _agent_name(p)
                break
            p = parent_of.get(id(p))
        steps.append((str(s.get("timestamp") or ""), len(steps), s, agent))
    steps.sort(key=lambda x: (x[0], x[1]))
    turns = []
    for _, _, s, agent in steps:
        turn = _step_turn(s, agent, vocab)
        m = _STEP.fullmatch(str(s.get("span_name")))
        turn.step_index = int(m.group(1)) if m else None
        turns.append(turn)
    return turns


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse one TRAIL trace file into one trajectory; problems are reported and the file is skipped."""
    doc, problems = load_object(path, "spans", list, "not a TRAIL trace: expected {trace_id, spans: [...]}")
    if doc is None:
        return [], problems
    trace_id = doc.get("trace_id")
    task = str(trace_id) if isinstance(trace_id, str | int) and str(trace_id) else path.stem
    turns = trail_turns(doc)
    roots = [str(s.get("span_name")) for s in doc["spans"] if isinstance(s, dict)]
    agent = "trail-swe-bench" if "process_item" in roots else "trail-gaia" if "main" in roots else "trail"
    return [ImportedTrajectory(line=1, task_id=task, agent_name=agent, steps=turn_steps(turns))], problems


FORMAT: Final = SpanFormat(
    name=NAME,
    description="TRAIL traces: Patronus export of smolagents OpenTelemetry spans {trace_id, spans[child_spans]}",
    sniff=sniff,
    parse=parse,
)
