"""Importer for mini-swe-agent trajectories (``<instance_id>.traj.json``, ``trajectory_format: mini-swe-agent-1.x``).

One JSON object per run: ``{info: {model_stats: {instance_cost, api_calls}, config: {model: {model_name}, ...},
mini_version, exit_status, submission}, messages: [...], trajectory_format, instance_id}``. Messages: ``system``,
``user`` (the task, in ``<pr_description>``), ``assistant`` (``content`` = the thought, ``tool_calls:
[{function: {name: "bash", arguments: "{\\"command\\": …}"}, id}]``, ``extra: {response: {usage}, cost,
timestamp}``), ``tool`` (``<returncode>N</returncode><output>…``, ``extra: {returncode, timestamp}``) and a final
``exit`` (the patch). Mapping (docs/importers.md):

- the file is one trajectory, agent ``mini-swe-agent``; task id = ``instance_id`` (else the file name without
  ``.traj.json``); model = ``info.config.model.model_name``; task text = the first ``user`` message;
- every tool call of an assistant message is a turn: a ``propose`` step whose action is the program of its
  ``command`` (:func:`~trajdyn.formats._commands.command_word`: the tool is always ``bash``), content = the thought
  (first call) and the command; an assistant message without a tool call is a turn with action ``respond``;
- every ``tool`` message is an ``observe`` step (status ERROR when ``extra.returncode`` ≠ 0); the ``user`` messages
  after the task (format errors, reminders) are ``observe`` steps too; ``exit`` is not a step;
- tokens = Σ ``extra.response.usage.prompt_tokens`` / ``completion_tokens`` of the assistant messages; cost =
  ``info.model_stats.instance_cost`` (else Σ ``extra.cost``); times from ``extra.timestamp`` (unix seconds);
- reward: the run's SWE-bench report next to it (``<name>.report.json``, mini-swe-agent's evaluation output:
  ``{instance_id: {resolved}}``) when it names this instance, else one given with ``labels=`` / ``--labels``.

A file that is not JSON is one problem at the line where parsing broke; a bad message is reported (at the line of its
``"role"``, with its index) and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._commands import command_word
from trajdyn.formats._imported import STEP_OBSERVE, STEP_PROPOSE, ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue
from trajdyn.formats._read import as_number, dig, head_text, nonblank, read_json
from trajdyn.formats.swebench import labels_of

__all__ = ["AGENT_NAME", "FORMAT", "NAME", "RESPOND", "parse", "sniff"]

NAME: Final = "mini-swe-agent"
AGENT_NAME: Final = "mini-swe-agent"
RESPOND: Final = "respond"
_INFO = re.compile(rb'^\{\s*"info"\s*:\s*\{')
_MINI = re.compile(rb'"(mini_version|trajectory_format"\s*:\s*"mini-swe-agent)')
_MESSAGES = re.compile(rb'"messages"\s*:\s*\[')


def sniff(head: bytes) -> bool:
    """``{"info": {`` with ``mini_version`` (or ``trajectory_format: mini-swe-agent``) and ``messages: [``."""
    text = head_text(head)
    return bool(_INFO.match(text) and _MINI.search(text) and _MESSAGES.search(text))


def _end_ns(message: dict[str, Any]) -> int | None:
    stamp = as_number(dig(message, "extra", "timestamp"))
    return int(stamp * 1e9) if stamp is not None and stamp > 0 else None


def _calls(message: dict[str, Any]) -> list[tuple[str, str]] | str:
    """``[(tool name, command)]`` of an assistant message, or why they cannot be read."""
    calls = message.get("tool_calls")
    if calls is None:
        return []
    if not isinstance(calls, list):
        return f"tool_calls is a {type(calls).__name__}, expected a list"
    out: list[tuple[str, str]] = []
    for k, call in enumerate(calls):
        name = dig(call, "function", "name")
        arguments = dig(call, "function", "arguments")
        if not isinstance(name, str) or not name:
            return f"tool call {k} has no function name"
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except ValueError:
            parsed = None
        command = parsed.get("command") if isinstance(parsed, dict) else None
        out.append((name, command if isinstance(command, str) else (arguments if isinstance(arguments, str) else "")))
    return out


class _Lines:
    """Line of each message's ``"role"`` key, in order."""

    def __init__(self, text: str) -> None:
        self.text, self.cursor = text, 0

    def next(self) -> int:
        at = self.text.find('"role"', self.cursor)
        if at < 0:
            return 0
        self.cursor = at + 1
        return self.text.count("\n", 0, at) + 1


def _steps(
    path: Path, text: str, messages: list[Any], errors: list[InputProblem]
) -> tuple[list[ImportedStep], str | None, dict[str, AttrValue]]:
    steps: list[ImportedStep] = []
    task: str | None = None
    prompt = completion = 0
    usage_seen = False
    cost_sum: float | None = None
    lines = _Lines(text)
    for j, message in enumerate(messages):
        line = lines.next()
        if not isinstance(message, dict):
            errors.append(
                InputProblem(str(path), line, f"message {j}: expected an object, got {type(message).__name__}")
            )
            continue
        role = message.get("role")
        content = nonblank(message.get("content"))
        if role in ("system", "exit"):
            continue
        if role == "user" and task is None:
            task = content
            continue
        if role == "assistant":
            usage = dig(message, "extra", "response", "usage")
            if isinstance(usage, dict):
                usage_seen = True
                prompt += int(as_number(usage.get("prompt_tokens")) or 0)
                completion += int(as_number(usage.get("completion_tokens")) or 0)
            cost = as_number(dig(message, "extra", "cost"))
            if cost is not None:
                cost_sum = (cost_sum or 0.0) + cost
            calls = _calls(message)
            if isinstance(calls, str):
                errors.append(InputProblem(str(path), line, f"message {j}: {calls}: skipped"))
                continue
            end = _end_ns(message)
            if not calls:
                steps.append(ImportedStep(line=line, shape=STEP_PROPOSE, action=RESPOND, content=content, end_ns=end))
            for k, (tool, command) in enumerate(calls):
                body = "\n".join(p for p in ((content if k == 0 else None), command.strip()) if p)
                steps.append(
                    ImportedStep(
                        line=line,
                        shape=STEP_PROPOSE,
                        action=command_word(command),
                        content=body,
                        end_ns=end,
                        attrs={C.FOREIGN_GEN_AI_TOOL_NAME: tool},
                    )
                )
        elif role in ("tool", "user"):
            code = as_number(dig(message, "extra", "returncode"))
            failed = role == "tool" and code is not None and code != 0
            steps.append(
                ImportedStep(
                    line=line,
                    shape=STEP_OBSERVE,
                    content=content,
                    end_ns=_end_ns(message),
                    error=f"returncode {int(code)}" if failed and code is not None else None,
                )
            )
        else:
            errors.append(InputProblem(str(path), line, f"message {j} has an unknown role {role!r}: skipped"))
    attrs: dict[str, AttrValue] = {}
    if usage_seen:
        attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = prompt
        attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = completion
    if cost_sum is not None:
        attrs[C.COST] = cost_sum
    return steps, task, attrs


def _report_reward(path: Path, instance_id: str) -> float | None:
    """The resolved label of the run's own report (``<name>.report.json`` next to ``<name>.traj.json``)."""
    name = path.name
    stem = name[: -len(".traj.json")] if name.endswith(".traj.json") else path.stem
    report = path.with_name(f"{stem}.report.json")
    try:
        labels = labels_of(json.loads(report.read_text(encoding="utf-8")), str(report))
    except (OSError, ValueError):
        return None
    if labels is None or not labels.closed:
        return None
    return labels.reward(instance_id)


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse one mini-swe-agent trajectory file; bad messages are reported and skipped."""
    del menu
    doc, text, problem = read_json(path, "run")
    if problem is not None:
        return [], [problem]
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        return [], [InputProblem(str(path), 1, "not a mini-swe-agent trajectory: no messages list")]
    errors: list[InputProblem] = []
    steps, task, attrs = _steps(path, text, doc["messages"], errors)
    stats_cost = as_number(dig(doc, "info", "model_stats", "instance_cost"))
    if stats_cost is not None:
        attrs[C.COST] = stats_cost
    name = path.name.removesuffix(".json").removesuffix(".traj")
    instance_id = nonblank(doc.get("instance_id")) or name
    reward = _report_reward(path, instance_id)
    exit_status = nonblank(dig(doc, "info", "exit_status"))
    outcome = None
    if reward is not None:
        outcome = C.OUTCOME_SUCCESS if reward >= 1.0 else C.OUTCOME_FAILURE
    elif exit_status is not None and exit_status.lower() not in ("submitted",):
        outcome = C.OUTCOME_ERROR  # LimitsExceeded, FormatError …: stopped without a submission
    trajectory = ImportedTrajectory(
        line=1,
        task_id=instance_id,
        agent_name=AGENT_NAME,
        model=nonblank(dig(doc, "info", "config", "model", "model_name")),
        reward=reward,
        outcome=outcome,
        steps=steps,
        attrs=attrs,
        content=task,
    )
    return [trajectory], errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="mini-swe-agent trajectory (.traj.json: info.model_stats, messages[] with bash tool calls)",
    sniff=sniff,
    parse=parse,
)
