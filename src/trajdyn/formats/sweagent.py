"""Importer for SWE-agent trajectories (``<instance_id>.traj``, SWE-agent 0.x and 1.x).

One JSON object per run::

    0.x {environment: "swe_main", trajectory: [{action, observation, response, state, thought}], history: [...],
         info: {exit_status, submission, model_stats: {total_cost, instance_cost, tokens_sent, tokens_received,
         api_calls}}}
    1.x {environment, trajectory: [{action, observation, response, thought, execution_time, state, messages?}],
         history: [...], info: {...}, replay_config: {problem_statement: {id, text}, agent: {model: {name}}, ...}}

Mapping (docs/importers.md):

- the file is one trajectory, agent ``swe-agent``; task id = ``replay_config.problem_statement.id`` (1.x), else the
  file's name without ``.traj`` (SWE-agent names the file after the instance; 0.x files hold no id); model =
  ``replay_config.agent.model.name``; task text = the problem statement (1.x) or the first non-demonstration user
  message of ``history`` (0.x);
- every ``trajectory`` step is a turn: a ``propose`` step whose action is the command's program
  (:func:`~trajdyn.formats._commands.command_word`: ``PYTHONPATH=. pytest …`` → ``pytest``), content = the thought
  and the action, then an ``observe`` step with the observation (1.x: ``execution_time`` as its duration). Turns are
  counted from ``trajectory``, never from ``history`` (which holds demonstrations, and lacks the final submit in
  some 1.x files);
- ``info.model_stats``: ``tokens_sent`` / ``tokens_received`` → ``gen_ai.usage.*``, ``instance_cost`` →
  ``trajdyn.cost`` (**not** ``total_cost``: in 0.x it is cumulative over the whole batch). A replay (``api_calls``
  > 0 with 0 tokens and cost 0) records no usage: none is written, rather than a false zero;
- reward: none in the file. ``exit_status`` gives an outcome only when the run stopped without submitting
  (``exit_cost``, ``exit_error`` … → ``error``); a submitted run's outcome is unknown until it is evaluated: the
  resolved label comes from a SWE-bench results file given with ``labels=`` / ``--labels``
  (:mod:`trajdyn.formats.swebench`).

A file that is not JSON (a truncated run) is one problem at the line where parsing broke; a step that is not an
object is reported and skipped. Problems name the step's index; the line is the step's ``"action"`` line when found.
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

__all__ = ["AGENT_NAME", "FORMAT", "NAME", "parse", "sniff"]

NAME: Final = "swe-agent"
AGENT_NAME: Final = "swe-agent"
_HEAD = re.compile(rb'"trajectory"\s*:\s*\[\s*(\{\s*"action"|\])')
_ENVIRONMENT = re.compile(rb'^\{\s*"environment"\s*:\s*"[^"]*"\s*,\s*"trajectory"\s*:')


def sniff(head: bytes) -> bool:
    """A JSON object with ``"trajectory": [{"action"`` (or ``environment`` first, then ``trajectory``)."""
    text = head_text(head)
    return text.startswith(b"{") and bool(_HEAD.search(text) or _ENVIRONMENT.match(text))


def _replay_config(doc: dict[str, Any]) -> dict[str, Any]:
    raw = doc.get("replay_config")
    if isinstance(raw, str):  # some SWE-agent versions write it as a JSON string
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _task_text(doc: dict[str, Any], config: dict[str, Any]) -> str | None:
    text = nonblank(dig(config, "problem_statement", "text"))
    if text is not None:
        return text
    history = doc.get("history")
    for message in history if isinstance(history, list) else []:
        if isinstance(message, dict) and message.get("role") == "user" and not message.get("is_demo"):
            return nonblank(message.get("content"))
    return None


def _usage(stats: object) -> dict[str, AttrValue]:
    if not isinstance(stats, dict):
        return {}
    sent, received = as_number(stats.get("tokens_sent")), as_number(stats.get("tokens_received"))
    cost, calls = as_number(stats.get("instance_cost")), as_number(stats.get("api_calls"))
    if calls and not sent and not received and not cost:
        return {}  # a replayed demonstration: api calls without usage were not recorded, not free
    out: dict[str, AttrValue] = {}
    if sent is not None:
        out[C.GEN_AI_USAGE_INPUT_TOKENS] = int(sent)
    if received is not None:
        out[C.GEN_AI_USAGE_OUTPUT_TOKENS] = int(received)
    if cost is not None:
        out[C.COST] = float(cost)
    return out


def _steps(path: Path, text: str, trajectory: list[Any], errors: list[InputProblem]) -> list[ImportedStep]:
    steps: list[ImportedStep] = []
    cursor = 0
    for k, step in enumerate(trajectory):
        at = text.find('"action"', cursor)
        line = text.count("\n", 0, at) + 1 if at >= 0 else 1
        cursor = at + 1 if at >= 0 else cursor
        if not isinstance(step, dict):
            errors.append(InputProblem(str(path), line, f"step {k}: expected an object, got {type(step).__name__}"))
            continue
        action = step.get("action")
        if not isinstance(action, str):
            errors.append(InputProblem(str(path), line, f"step {k}: action is not a string: skipped"))
            continue
        thought = nonblank(step.get("thought"))
        content = "\n".join(p for p in (thought, action.strip()) if p)
        steps.append(ImportedStep(line=line, shape=STEP_PROPOSE, action=command_word(action), content=content))
        observation = step.get("observation")
        steps.append(
            ImportedStep(
                line=line,
                shape=STEP_OBSERVE,
                content=observation if isinstance(observation, str) else None,
                duration_s=as_number(step.get("execution_time")),
            )
        )
    return steps


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse one SWE-agent ``.traj`` file into its trajectory; bad steps are reported and skipped."""
    del menu
    doc, text, problem = read_json(path, "run")
    if problem is not None:
        return [], [problem]
    if not isinstance(doc, dict) or not isinstance(doc.get("trajectory"), list):
        return [], [InputProblem(str(path), 1, "not a SWE-agent trajectory: no trajectory list")]
    errors: list[InputProblem] = []
    config = _replay_config(doc)
    task_id = nonblank(dig(config, "problem_statement", "id")) or path.name.removesuffix(".traj")
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    exit_status = nonblank(info.get("exit_status")) if isinstance(info, dict) else None
    outcome = None
    if exit_status is not None and "submitted" not in exit_status.lower():
        outcome = C.OUTCOME_ERROR  # exit_cost, exit_error, exit_format …: stopped without a submission
    attrs = _usage(dig(info, "model_stats"))
    trajectory = ImportedTrajectory(
        line=1,
        task_id=task_id,
        agent_name=AGENT_NAME,
        model=nonblank(dig(config, "agent", "model", "name")),
        outcome=outcome,
        steps=_steps(path, text, doc["trajectory"], errors),
        attrs=attrs,
        content=_task_text(doc, config),
    )
    return [trajectory], errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="SWE-agent trajectory (.traj, 0.x and 1.x: trajectory[{action, observation, thought}], info)",
    sniff=sniff,
    parse=parse,
)
