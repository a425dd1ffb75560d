"""Importers for OpenHands (and the older OpenDevin) logs: event streams and evaluation outputs.

Three formats share one event mapping (docs/importers.md):

* ``openhands-events`` — a JSON array of events, one conversation (what the UI or ``--save-trajectory-path``
  writes): ``{id, timestamp (ISO, no zone: UTC), source: user|agent|environment, message, action|observation,
  args|extras, content?, cause? (the action an observation answers), tool_call_metadata?{function_name,
  tool_call_id, model_response{id, model, usage}, total_calls_in_response}}``;
* ``openhands-eval`` — an evaluation's ``output.jsonl``, one instance per line: ``{instance_id, instruction,
  metadata{agent_class, llm_config{model}, ...}, history[events as above], metrics{accumulated_cost,
  accumulated_token_usage{prompt_tokens, completion_tokens}, costs, token_usages}, error, test_result, instance}``;
* ``opendevin-eval`` — OpenDevin's ``output.jsonl``: ``{id, instance, instruction, metadata?{model_name},
  history[[action, observation], ...], test_result{result: bool}, error}``.

Event mapping: an agent action with ``tool_call_metadata`` is a turn (``propose``), action = the tool's
``function_name`` (``execute_bash``, ``str_replace_editor``, ``think``, ``finish``), content = its ``args``
(thought, command, path); an agent action without one is a turn with the ``action`` field as action, a ``message``
one a ``respond`` turn. An observation is an ``observe`` step with its content; status ERROR for an ``error``
observation or a non-zero ``extras.metadata.exit_code``. ``null`` observations, agent-state changes and the
environment's actions are not steps. The first user message is the task text (else ``instruction``); later user
messages are ``observe`` steps. Tokens: the usage of each **distinct** ``model_response.id`` among the action events
(observations carry a copy, and one response may hold several tool calls); an evaluation's
``metrics.accumulated_token_usage`` when present. Never the per-event ``llm_metrics`` (a running total).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._imported import STEP_OBSERVE, STEP_PROPOSE, ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue
from trajdyn.formats._read import (
    as_number,
    dig,
    first_line,
    head_text,
    iter_lines,
    nonblank,
    parse_timestamp_ns,
    read_json,
)

__all__ = ["EVAL_FORMAT", "EVENTS_FORMAT", "OPENDEVIN_FORMAT", "RESPOND"]

RESPOND: Final = "respond"
AGENT_NAME: Final = "openhands"
_SKIPPED_OBSERVATIONS: Final = frozenset({"null", "agent_state_changed", "recall"})
_EVENT_HEAD = re.compile(rb'^\[\s*\{\s*"id"\s*:\s*\d')
_EVAL_HISTORY = re.compile(r'"history"\s*:\s*\[\s*(\{|\])')
_PAIRS = re.compile(r'"history"\s*:\s*\[\s*\[')


def _is_events(head: bytes) -> bool:
    text = head_text(head)
    return bool(_EVENT_HEAD.match(text)) and b'"source"' in text and (b'"action"' in text or b'"observation"' in text)


def _is_eval(head: bytes) -> bool:
    line = first_line(head)
    if line is None or not re.match(r'^\{\s*"instance_id"\s*:', line):
        return False
    return bool(_EVAL_HISTORY.search(line)) or '"agent_class"' in line


def _is_opendevin(head: bytes) -> bool:
    line = first_line(head)
    return line is not None and line.lstrip().startswith("{") and bool(_PAIRS.search(line))


def _content(args: object) -> str | None:
    """An action's text: its thought, then what it does (command, code, path, content …)."""
    if not isinstance(args, dict):
        return None
    parts = [nonblank(args.get("thought"))]
    for key in ("command", "code", "path", "content", "message", "final_thought"):
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(f"{key}: {value}" if key == "path" else value)
    return "\n".join(p for p in parts if p) or None


class _Conversation:
    """Steps, task text and token usage of one event sequence."""

    def __init__(self, path: Path, line: int, where: str, errors: list[InputProblem]) -> None:
        self.path, self.line, self.where, self.errors = path, line, where, errors
        self.steps: list[ImportedStep] = []
        self.task: str | None = None
        self.responses: dict[str, tuple[int, int]] = {}
        self.model: str | None = None

    def add(self, k: int, event: object) -> None:
        if not isinstance(event, dict):
            self.errors.append(
                InputProblem(str(self.path), self.line, f"{self.where}event {k} is a {type(event).__name__}: skipped")
            )
            return
        end = parse_timestamp_ns(event.get("timestamp"))
        source = event.get("source")
        if "action" in event:
            self._action(event, source, end)
        elif "observation" in event:
            self._observation(event, end)
        else:
            self.errors.append(
                InputProblem(
                    str(self.path), self.line, f"{self.where}event {k} is neither an action nor an observation"
                )
            )

    def _action(self, event: dict[str, Any], source: object, end: int | None) -> None:
        action = event.get("action")
        if source == "user" and action == "message":
            text = nonblank(dig(event, "args", "content")) or nonblank(event.get("message"))
            if self.task is None:
                self.task = text
            else:
                self.steps.append(ImportedStep(line=self.line, shape=STEP_OBSERVE, content=text, end_ns=end))
            return
        if source != "agent" or not isinstance(action, str) or action in ("change_agent_state", "system", "recall"):
            return
        meta = event.get("tool_call_metadata")
        name = nonblank(dig(meta, "function_name"))
        response = dig(meta, "model_response")
        rid = dig(response, "id")
        if isinstance(rid, str) and rid not in self.responses:
            usage = dig(response, "usage")
            self.responses[rid] = (
                int(as_number(dig(usage, "prompt_tokens")) or 0),
                int(as_number(dig(usage, "completion_tokens")) or 0),
            )
            self.model = self.model or nonblank(dig(response, "model"))
        args = event.get("args")
        if name is None:
            name = RESPOND if action == "message" else action
        content = _content(args) or nonblank(event.get("message"))
        self.steps.append(ImportedStep(line=self.line, shape=STEP_PROPOSE, action=name, content=content, end_ns=end))

    def _observation(self, event: dict[str, Any], end: int | None) -> None:
        kind = event.get("observation")
        if kind in _SKIPPED_OBSERVATIONS:
            return
        content = nonblank(event.get("content")) or nonblank(event.get("message"))
        code = as_number(dig(event, "extras", "metadata", "exit_code"))
        error = None
        if kind == "error":
            error = (content or "error")[:200]
        elif code is not None and code != 0:
            error = f"exit code {int(code)}"
        self.steps.append(ImportedStep(line=self.line, shape=STEP_OBSERVE, content=content, end_ns=end, error=error))

    def usage(self) -> dict[str, AttrValue]:
        if not self.responses:
            return {}
        return {
            C.GEN_AI_USAGE_INPUT_TOKENS: sum(p for p, _ in self.responses.values()),
            C.GEN_AI_USAGE_OUTPUT_TOKENS: sum(c for _, c in self.responses.values()),
        }


def parse_events(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an OpenHands event stream (a JSON array of events) into one trajectory."""
    del menu
    doc, _, problem = read_json(path, "event stream")
    if problem is not None:
        return [], [problem]
    if not isinstance(doc, list):
        return [], [InputProblem(str(path), 1, "expected a JSON array of OpenHands events")]
    errors: list[InputProblem] = []
    conversation = _Conversation(path, 1, "", errors)
    for k, event in enumerate(_dedupe(doc, path, errors)):
        conversation.add(k, event)
    return [
        ImportedTrajectory(
            line=1,
            task_id=path.name.removesuffix(".json"),
            agent_name=AGENT_NAME,
            model=conversation.model,
            steps=conversation.steps,
            attrs=conversation.usage(),
            content=conversation.task,
        )
    ], errors


def _dedupe(events: list[Any], path: Path, errors: list[InputProblem]) -> Iterable[Any]:
    """The events with a repeated ``id`` dropped (a stream saved twice into one file), reported once."""
    seen: set[object] = set()
    repeated = 0
    for event in events:
        key = event.get("id") if isinstance(event, dict) else None
        if key is not None and key in seen:
            repeated += 1
            continue
        seen.add(key)
        yield event
    if repeated:
        errors.append(InputProblem(str(path), 1, f"{repeated} event(s) with an id seen before: dropped"))


def _eval_row(path: Path, line: int, row: dict[str, Any], errors: list[InputProblem]) -> ImportedTrajectory | None:
    task = nonblank(row.get("instance_id"))
    if task is None:
        errors.append(InputProblem(str(path), line, "no instance_id: skipped"))
        return None
    history = row.get("history")
    if not isinstance(history, list):
        errors.append(InputProblem(str(path), line, f"instance {task}: history is not a list: skipped"))
        return None
    conversation = _Conversation(path, line, f"instance {task}: ", errors)
    for k, event in enumerate(history):
        conversation.add(k, event)
    attrs = conversation.usage()
    metrics = row.get("metrics")
    total = dig(metrics, "accumulated_token_usage")
    if isinstance(total, dict):
        attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = int(as_number(total.get("prompt_tokens")) or 0)
        attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = int(as_number(total.get("completion_tokens")) or 0)
    cost = as_number(dig(metrics, "accumulated_cost"))
    if cost is not None and (cost > 0 or dig(metrics, "costs")):
        attrs[C.COST] = cost  # 0 with no per-call cost entry: the provider reported none (not recorded, not free)
    error = nonblank(row.get("error"))
    return ImportedTrajectory(
        line=line,
        task_id=task,
        agent_name=nonblank(dig(row, "metadata", "agent_class")) or AGENT_NAME,
        model=nonblank(dig(row, "metadata", "llm_config", "model")) or conversation.model,
        outcome=C.OUTCOME_ERROR if error is not None else None,
        steps=conversation.steps,
        attrs=attrs,
        content=conversation.task or nonblank(row.get("instruction")),
    )


def _opendevin_row(path: Path, line: int, row: dict[str, Any], errors: list[InputProblem]) -> ImportedTrajectory | None:
    task = nonblank(row.get("id")) or nonblank(dig(row, "instance", "id"))
    if task is None:
        errors.append(InputProblem(str(path), line, "no id: skipped"))
        return None
    history = row.get("history")
    if not isinstance(history, list):
        errors.append(InputProblem(str(path), line, f"instance {task}: history is not a list: skipped"))
        return None
    conversation = _Conversation(path, line, f"instance {task}: ", errors)
    for k, pair in enumerate(history):
        if not isinstance(pair, list):
            errors.append(
                InputProblem(str(path), line, f"instance {task}: history {k} is not an [action, observation] pair")
            )
            continue
        for event in pair:
            conversation.add(k, event)
    result = dig(row, "test_result", "result")
    reward = float(result) if isinstance(result, bool) else None
    outcome = None
    if nonblank(row.get("error")) is not None:
        outcome = C.OUTCOME_ERROR
    elif reward is not None:
        outcome = C.OUTCOME_SUCCESS if reward >= 1.0 else C.OUTCOME_FAILURE
    return ImportedTrajectory(
        line=line,
        task_id=task,
        agent_name=nonblank(dig(row, "metadata", "agent_class")) or "opendevin",
        model=nonblank(dig(row, "metadata", "model_name")),
        reward=reward,
        outcome=outcome,
        steps=conversation.steps,
        attrs=conversation.usage(),
        content=conversation.task or nonblank(row.get("instruction")),
    )


def _parse_jsonl(path: Path, key: str, row_parser: Any) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    errors: list[InputProblem] = []
    by_task: dict[str, ImportedTrajectory] = {}
    for line, text in iter_lines(path, errors):
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(InputProblem(str(path), line, f"not valid JSON: {exc.msg} (truncated line?): skipped"))
            continue
        if not isinstance(row, dict):
            errors.append(InputProblem(str(path), line, f"expected an object, got {type(row).__name__}: skipped"))
            continue
        trajectory = row_parser(path, line, row, errors)
        if trajectory is None:
            continue
        earlier = by_task.pop(trajectory.task_id, None)
        if earlier is not None:  # a resumed evaluation wrote the instance again: the later line wins
            errors.append(
                InputProblem(
                    str(path), earlier.line, f"{key} {trajectory.task_id} again at line {line}: this line is dropped"
                )
            )
        by_task[trajectory.task_id] = trajectory
    return sorted(by_task.values(), key=lambda t: t.line), errors


def parse_eval(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an OpenHands evaluation ``output.jsonl``: one trajectory per instance line."""
    del menu
    return _parse_jsonl(path, "instance", _eval_row)


def parse_opendevin(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an OpenDevin evaluation ``output.jsonl``: one trajectory per line, reward from ``test_result.result``."""
    del menu
    return _parse_jsonl(path, "instance", _opendevin_row)


EVENTS_FORMAT: Final = SpanFormat(
    name="openhands-events",
    description="OpenHands event stream (a JSON array of {id, timestamp, source, action|observation, ...})",
    sniff=_is_events,
    parse=parse_events,
)
EVAL_FORMAT: Final = SpanFormat(
    name="openhands-eval",
    description="OpenHands evaluation output.jsonl ({instance_id, history[events], metrics, error} per line)",
    sniff=_is_eval,
    parse=parse_eval,
)
OPENDEVIN_FORMAT: Final = SpanFormat(
    name="opendevin-eval",
    description="OpenDevin evaluation output.jsonl ({id, history[[action, observation]], test_result} per line)",
    sniff=_is_opendevin,
    parse=parse_opendevin,
)
