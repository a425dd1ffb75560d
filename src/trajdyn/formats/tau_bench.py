"""Importer for τ-bench trajectories (sierra-research/tau-bench ``historical_trajectories/*.json``).

The file is one JSON array; each element is one run: ``{task_id, trial, reward, info{task{instruction, …}, …},
traj[OpenAI-style chat messages]}``. Mapping (see ``docs/importers.md``):

- one trajectory per element: ``trajdyn.task.id`` = the task id, ``trajdyn.attempt`` = the trial, ``trajdyn.reward``
  and ``trajdyn.outcome`` (success when the reward is 1), ``trajdyn.perturbation.group`` = the task id and
  ``trajdyn.perturbation.variant`` = ``original`` (a task's trials are replicates of one prompt),
  ``trajdyn.task.text`` = the simulated user's instruction, agent name ``tau-bench``;
- every assistant message is a turn: one ``propose`` step per tool call (action = the tool name, content = the
  message text, the tool name and its JSON arguments), or, without a tool call, one ``propose`` with action
  ``respond`` and the message text as content;
- every ``tool`` message (a tool result) and every ``user`` message (the simulated customer) is an ``observe`` step
  with its content: what the agent saw before its next turn; a tool result that starts with ``Error`` has status
  ERROR;
- ``system`` messages (the airline policy, the same in every run) are not imported.

Line numbers: a JSON array has no line per trajectory, so problems are reported at the line where the element
starts, and name the element's index (and the message's index within ``traj``). An element that is not valid JSON
stops the import there (the rest of the array cannot be re-synchronised); the elements before it are kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._imported import (
    STEP_OBSERVE,
    STEP_PROPOSE,
    ImportedStep,
    ImportedTrajectory,
)
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue
from trajdyn.formats._read import as_number, read_bytes

NAME: Final = "tau-bench"
AGENT_NAME: Final = "tau-bench"
RESPOND: Final = "respond"
"""The action of an assistant message without a tool call (a reply to the user)."""
_WHITESPACE: Final = " \t\n\r"


def sniff(head: bytes) -> bool:
    """A JSON array whose first element has ``task_id`` and a ``traj`` of chat messages."""
    text = head.lstrip(b"\xef\xbb\xbf" + _WHITESPACE.encode())
    if not text.startswith(b"["):
        return False
    rest = text[1:].lstrip(_WHITESPACE.encode())
    return rest.startswith(b"{") and b'"traj"' in head and b'"task_id"' in head and b'"role"' in head


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _tool_calls(message: dict[str, Any]) -> list[tuple[str, str]] | str:
    """``[(name, arguments)]`` of an assistant message, or why they cannot be read."""
    calls = message.get("tool_calls")
    if calls is None:
        return []
    if not isinstance(calls, list):
        return f"tool_calls is a {type(calls).__name__}, expected a list"
    out = []
    for k, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            return f"tool call {k} has no function name"
        arguments = function.get("arguments") if isinstance(function, dict) else None
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, sort_keys=True) if arguments is not None else ""
        out.append((name, arguments))
    return out


def _steps(traj: list[Any], line: int, where: str, path: Path, errors: list[InputProblem]) -> list[ImportedStep]:
    steps: list[ImportedStep] = []
    for j, message in enumerate(traj):
        if not isinstance(message, dict):
            errors.append(InputProblem(str(path), line, f"{where}: message {j} is a {type(message).__name__}, skipped"))
            continue
        role = message.get("role")
        content = _text(message.get("content"))
        if role == "system":
            continue
        if role == "assistant":
            calls = _tool_calls(message)
            if isinstance(calls, str):
                errors.append(InputProblem(str(path), line, f"{where}: message {j}: {calls}; skipped"))
                continue
            if not calls:
                steps.append(ImportedStep(line=line, shape=STEP_PROPOSE, action=RESPOND, content=content or ""))
                continue
            for k, (name, arguments) in enumerate(calls):
                text = "\n".join(p for p in ((content if k == 0 else None), f"{name} {arguments}".strip()) if p)
                steps.append(ImportedStep(line=line, shape=STEP_PROPOSE, action=name, content=text))
        elif role in ("tool", "user"):
            failed = role == "tool" and content is not None and content.lstrip().lower().startswith("error")
            steps.append(
                ImportedStep(
                    line=line,
                    shape=STEP_OBSERVE,
                    content=content,
                    error=content.strip()[:200] if failed and content else None,
                )
            )
        else:
            errors.append(InputProblem(str(path), line, f"{where}: message {j} has an unknown role {role!r}, skipped"))
    return steps


def _trajectory(
    obj: object, index: int, line: int, path: Path, errors: list[InputProblem]
) -> ImportedTrajectory | None:
    if not isinstance(obj, dict):
        errors.append(InputProblem(str(path), line, f"element {index}: expected an object, got {type(obj).__name__}"))
        return None
    task = obj.get("task_id")
    if task is None or isinstance(task, bool | dict | list):
        errors.append(InputProblem(str(path), line, f"element {index}: no task_id (got {task!r}), skipped"))
        return None
    task_id = str(task)
    trial = obj.get("trial")
    trial_n = (
        int(trial) if isinstance(trial, int | float) and not isinstance(trial, bool) and math.isfinite(trial) else None
    )
    where = f"element {index} (task {task_id}" + (f", trial {trial_n})" if trial_n is not None else ")")
    traj = obj.get("traj")
    if not isinstance(traj, list):
        errors.append(InputProblem(str(path), line, f"{where}: traj is missing or not a list, skipped"))
        return None
    reward = as_number(obj.get("reward"))
    info = obj.get("info")
    instruction = None
    if isinstance(info, dict) and isinstance(info.get("task"), dict):
        instruction = _text(info["task"].get("instruction"))
    attrs: dict[str, AttrValue] = {C.PERTURBATION_GROUP: task_id, C.PERTURBATION_VARIANT: C.VARIANT_ORIGINAL}
    if trial_n is not None:
        attrs[C.ATTEMPT] = trial_n
    outcome = None
    if reward is not None:
        outcome = C.OUTCOME_SUCCESS if reward >= 1.0 else C.OUTCOME_FAILURE
    return ImportedTrajectory(
        line=line,
        task_id=task_id,
        agent_name=AGENT_NAME,
        reward=reward,
        outcome=outcome,
        steps=_steps(traj, line, where, path, errors),
        attrs=attrs,
        content=instruction,
    )


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse a τ-bench trajectory file; bad elements and messages are reported (at the element's line) and skipped."""
    errors: list[InputProblem] = []
    data = read_bytes(path)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [InputProblem(str(path), line, f"not valid UTF-8 (byte {exc.start})")]
    decoder = json.JSONDecoder()
    i = _skip(text, 0)
    if not text.startswith("[", i):
        return [], [InputProblem(str(path), text.count("\n", 0, i) + 1, "expected a JSON array of τ-bench runs")]
    i += 1
    line, counted = 1, 0
    out: list[ImportedTrajectory] = []
    index = 0
    while True:
        i = _skip(text, i)
        if i >= len(text):
            errors.append(InputProblem(str(path), text.count("\n") + 1, "the array is not closed (truncated file?)"))
            break
        if text[i] == "]":
            break
        line += text.count("\n", counted, i)
        counted = i
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            errors.append(
                InputProblem(str(path), exc.lineno, f"element {index}: not valid JSON: {exc.msg}; the rest is skipped")
            )
            break
        traj = _trajectory(obj, index, line, path, errors)
        if traj is not None:
            out.append(traj)
        index += 1
        i = _skip(text, end)
        if i < len(text) and text[i] == ",":
            i += 1
        elif i < len(text) and text[i] == "]":
            break
        else:
            where = text.count("\n", 0, min(i, len(text))) + 1
            errors.append(InputProblem(str(path), where, f"expected , or ] after element {index - 1}"))
            break
    return out, errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="τ-bench trajectories: a JSON array of {task_id, trial, reward, info, traj[chat messages]}",
    sniff=sniff,
    parse=parse,
)
