"""Importers for the MAST execution traces (Cemri et al. 2025): HyperAgent logs, AG2 (MathChat) chats, MetaGPT runs.

Three span formats, each detected by content (docs/importers.md, "agent logs with expert labels"):

- ``mast-hyperagent`` — ``{instance_id, problem_statement, trajectory: [log lines], …}``. A message starts at a line
  ``HyperAgent_<id> - <LEVEL> - …``. Every ``Initialized HyperAgent instance`` opens a new **session** (the run was
  restarted); the logger gains a handler per initialisation, so within a session every message is written h times
  in a row (h = the copies of ``Initialized tools`` opening it): a run of L identical consecutive messages is kept as
  ⌈L/h⌉, so genuine back-to-back repeats survive. **One trajectory per session** (``trajdyn.attempt`` = the session,
  ``trajdyn.run.id`` = the instance): the dynamics of concatenated attempts would be meaningless, and the number of
  sessions is what MAST's "Trajectory restart" label records. Turns: each ``<Role>'s Response`` (Planner, Navigator,
  Editor, Executor); the Planner's tool is ``delegate:<intern>`` (arguments: the subgoal), ``final_answer`` or
  ``think``; an inner agent's is the tools its ``Action`` code calls (``open_file``, ``code_search`` …), ``bash``,
  ``code``, ``final_answer`` or ``think`` (arguments: the code). The reports ``<A>-><B>: …`` are the observations.
  Inner agents' tool outputs are not in the log, so their turns observe nothing.
- ``mast-ag2`` — ``{instance_id, trajectory: [{content, role, name}], other_data{correct}}``: every message is a turn
  of its ``name`` (tool ``task`` / ``code`` / ``answer`` / ``continue`` / ``result`` / ``text``); what it says is
  what the next speaker observes.
- ``mast-metagpt`` — ``{run_id, prompt, content: loguru log}``: a turn starts at a line ``… | INFO | …:_act:… -
  <Name>(<Role>): to do <Action>``; tool = the action, arguments = the body up to the next such line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._agentlogs import (
    Turn,
    code_blocks,
    load_object,
    norm_code,
    norm_text,
    text_of,
    turn_steps,
)
from trajdyn.formats._imported import ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue

__all__ = [
    "AG2_FORMAT",
    "HYPERAGENT_FORMAT",
    "METAGPT_FORMAT",
    "ag2_turns",
    "hyperagent_sessions",
    "metagpt_turns",
]

_HA_HEAD: Final = re.compile(r"^HyperAgent_(\S+) - (\w+) - (.*)$")
_HA_RESPONSE: Final = re.compile(r"^(.*?)'s Response:\s?(.*)$", re.S)
_HA_REPORT: Final = re.compile(r"^([\w-]+)->([\w-]+):\s?(.*)$", re.S)
_ROLES: Final = {
    "Planner": "Planner",
    "Inner-Navigator-Assistant": "Navigator",
    "Inner-Editor-Assistant": "Editor",
    "Inner-Executor-Assistant": "Executor",
}
_MG_HEAD: Final = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \| (\w+) +\| ([^|]*?) - (.*)$")
_MG_ACT: Final = re.compile(r"^(.*?): to do (\w+)")


def _object_head(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def sniff_hyperagent(head: bytes) -> bool:
    """A JSON object with a ``trajectory`` of ``HyperAgent_<id> - LEVEL - …`` log lines, or (when a long problem
    statement pushes the log past the first bytes) a SWE-bench ``instance_id`` (``owner__repo-N``) with a
    ``problem_statement``."""
    if not _object_head(head):
        return False
    if b'"trajectory"' in head and re.search(rb'"HyperAgent_\S+ - \w+ - ', head) is not None:
        return True
    return (
        b'"problem_statement"' in head
        and re.search(rb'"instance_id"\s*:\s*"[\w.-]+__[\w.-]+-\d+"', head) is not None
        and b'"trajectory"' not in head
    )


def sniff_ag2(head: bytes) -> bool:
    """A JSON object with ``instance_id`` and a ``trajectory`` of ``{content, role, name}`` messages."""
    if not _object_head(head) or b'"instance_id"' not in head:
        return False
    at = head.find(b'"trajectory"')
    return at >= 0 and re.match(rb'"trajectory"\s*:\s*\[\s*\{', head[at:]) is not None and b'"name"' in head[at:]


def sniff_metagpt(head: bytes) -> bool:
    """A JSON object with ``run_id`` and a ``content`` loguru log holding MetaGPT ``_act`` lines."""
    return (
        _object_head(head) and b'"run_id"' in head and re.search(rb"\| INFO +\| [\w.]+:_act:\d+ - ", head) is not None
    )


# ---------------------------------------------------------------------------------------------------------- HyperAgent


def _ha_action(body: str, role: str) -> tuple[str, str]:
    """(tool, arguments) of a HyperAgent agent message."""
    if role == "Planner":
        m = re.search(r"Intern Name:\s*(.+)", body)
        if m:
            sub = re.search(r"Subgoal:\s*(.*)", body, re.S)
            return f"delegate:{m.group(1).strip().replace('Codebase ', '')}", norm_text(sub.group(1) if sub else "")
    else:
        act = re.search(r"Action:\s*```(\w*)\s*\n(.*?)```", body, re.S)
        if act:
            code = act.group(2)
            tools = re.findall(r"\b(\w+)\._run\(", code)
            if tools:
                return "+".join(dict.fromkeys(tools)), norm_code(code)
            return ("bash" if act.group(1) in ("bash", "sh", "shell") else "code"), norm_code(code)
    if "Final Answer" in body:
        return "final_answer", norm_text(body.split("Final Answer", 1)[1])
    return "think", norm_text(body)


def hyperagent_sessions(lines: Sequence[object], first_line: int = 1) -> tuple[list[list[Turn]], int]:
    """The turns of each session of a HyperAgent log (sessions without a turn included) and the duplicate log
    messages removed. ``first_line``: the file line of the log's first element (one element per line)."""
    heads = [i for i, x in enumerate(lines) if isinstance(x, str) and _HA_HEAD.match(x)]
    texts = ["\n".join(str(x) for x in lines[a:b]) for a, b in zip(heads, [*heads[1:], len(lines)], strict=True)]
    sessions: list[list[Turn]] = []
    handlers, opened, removed = 1, False, 0
    i = 0
    while i < len(texts):
        j = i
        while j + 1 < len(texts) and texts[j + 1] == texts[i]:
            j += 1
        count, text, index = j - i + 1, texts[i], heads[i]
        i = j + 1
        head = _HA_HEAD.match(text.split("\n", 1)[0])
        assert head is not None
        body = head.group(3) + text[len(text.split("\n", 1)[0]) :]
        if body.startswith("Initialized HyperAgent instance"):
            if not opened:
                sessions.append([])
                opened, handlers = True, 1
            continue
        if body.startswith("Initialized tools"):
            handlers = max(handlers, count) if opened else handlers
            continue
        opened = False
        if not sessions:
            sessions.append([])
        keep = -(-count // handlers)
        removed += count - keep
        turns = sessions[-1]
        m = _HA_RESPONSE.match(body)
        if m and m.group(1) in _ROLES:
            role = _ROLES[m.group(1)]
            tool, args = _ha_action(m.group(2), role)
            turns.extend(Turn(role, tool, args, line=first_line + index, step_index=index) for _ in range(keep))
            continue
        r = _HA_REPORT.match(body)
        if r and turns:  # the report the Planner receives: what the last turn led to
            turns[-1].observation = r.group(3)
    return sessions, removed


def _array_line(text: str, key: str) -> int:
    """The line of the first element of the top-level array ``key`` in a pretty-printed document (1 when absent)."""
    at = text.find(f'"{key}"')
    if at < 0:
        return 1
    bracket = text.find("[", at)
    return text.count("\n", 0, bracket) + 2 if bracket >= 0 else 1


def _parse_hyperagent(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    doc, problems = load_object(path, "trajectory", list, "not a HyperAgent log: no trajectory list")
    if doc is None:
        return [], problems
    lines = doc["trajectory"]
    instance = str(doc.get("instance_id") or path.stem)
    text = path.read_text(encoding="utf-8", errors="replace")
    one_per_line = text.count("\n") >= len(lines)
    first = _array_line(text, "trajectory") if one_per_line else 1
    sessions, _ = hyperagent_sessions(lines, first if one_per_line else 1)
    task = norm_text(text_of(doc.get("problem_statement")))[:4000] or None
    out = []
    for k, turns in enumerate(sessions):
        if not turns:
            continue
        attrs: dict[str, AttrValue] = {C.RUN_ID: instance, C.ATTEMPT: k}
        out.append(
            ImportedTrajectory(
                line=turns[0].line if one_per_line else 1 + k,
                task_id=instance,
                agent_name="HyperAgent",
                steps=turn_steps(turns),
                attrs=attrs,
                content=task,
            )
        )
    if not out:
        problems.append(InputProblem(str(path), 1, "HyperAgent log without an agent response"))
    return out, problems


# ---------------------------------------------------------------------------------------------------------- AG2


def ag2_turns(messages: Sequence[object], first_line: int = 1) -> list[Turn]:
    """The turns of an AG2 (MathChat) chat: one per message; a message is what the next speaker observes."""
    turns: list[Turn] = []
    for k, m in enumerate(messages):
        if not isinstance(m, dict):
            continue
        content = text_of(m.get("content"))
        name = str(m.get("name") or m.get("role") or "agent")
        blocks = code_blocks(content)
        proxy = name == "mathproxyagent"
        if "\\boxed" in content:
            tool = "answer"
        elif blocks:
            tool = "code"
        elif proxy and content.startswith("Continue. Please keep solving"):
            tool = "continue"
        elif proxy and not turns:
            tool = "task"
        elif proxy:
            tool = "result"
        else:
            tool = "text"
        args = norm_code("\n".join(blocks)) if blocks else norm_text(content)
        error = proxy and re.search(r"\bError\b|Traceback", content) is not None
        turns.append(Turn(name, tool, args, observation=content, error=error, line=first_line + k, step_index=k))
    return turns


def _parse_ag2(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    doc, problems = load_object(path, "trajectory", list, "not an AG2 chat: no trajectory list")
    if doc is None:
        return [], problems
    messages = doc["trajectory"]
    skipped = [k for k, m in enumerate(messages) if not isinstance(m, dict)]
    problems += [InputProblem(str(path), 1, f"message {k} is not an object, skipped") for k in skipped]
    other = doc.get("other_data")
    correct = other.get("correct") if isinstance(other, dict) else None
    outcome = None if not isinstance(correct, bool) else C.OUTCOME_SUCCESS if correct else C.OUTCOME_FAILURE
    traj = ImportedTrajectory(
        line=1,
        task_id=str(doc.get("instance_id") or path.stem),
        agent_name="AG2",
        outcome=outcome,
        reward=None if outcome is None else float(outcome == C.OUTCOME_SUCCESS),
        steps=turn_steps(ag2_turns(messages)),
        content=norm_text(text_of(doc.get("problem_statement"))) or None,
    )
    return [traj], problems


# ---------------------------------------------------------------------------------------------------------- MetaGPT


def metagpt_turns(log: str) -> list[Turn]:
    """The turns of a MetaGPT loguru log: one per ``_act`` line, the body up to the next log line as arguments."""
    lines = log.split("\n")
    heads = [i for i, line in enumerate(lines) if _MG_HEAD.match(line)]
    turns: list[Turn] = []
    for a, b in zip(heads, [*heads[1:], len(lines)], strict=True):
        m = _MG_HEAD.match(lines[a])
        assert m is not None
        who = _MG_ACT.match(m.group(3))
        if who is None:
            continue  # a log line that is not an agent acting (a warning, a cost line)
        body = "\n".join(lines[a + 1 : b])
        turns.append(Turn(who.group(1), who.group(2), norm_code(body), observation=body, line=1, step_index=a))
    return turns


def _parse_metagpt(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    doc, problems = load_object(path, "content", str, "not a MetaGPT run: no content log")
    if doc is None:
        return [], problems
    log = doc["content"]
    run = doc.get("run_id")
    turns = metagpt_turns(log)
    if not turns:
        problems.append(InputProblem(str(path), 1, "MetaGPT log without an _act line"))
        return [], problems
    prompt = doc.get("prompt")
    traj = ImportedTrajectory(
        line=1,
        task_id=f"run_{run}" if run is not None else path.stem,
        agent_name="MetaGPT",
        steps=turn_steps(turns),
        content=prompt if isinstance(prompt, str) and prompt.strip() else None,
        attrs={C.RUN_ID: json.dumps(run) if not isinstance(run, str) else run} if run is not None else {},
    )
    return [traj], problems


HYPERAGENT_FORMAT: Final = SpanFormat(
    name="mast-hyperagent",
    description="MAST HyperAgent logs: {instance_id, trajectory[log lines]}, one trajectory per (re)start",
    sniff=sniff_hyperagent,
    parse=_parse_hyperagent,
)
AG2_FORMAT: Final = SpanFormat(
    name="mast-ag2",
    description="MAST AG2 (MathChat) chats: {instance_id, trajectory[{content, role, name}]}",
    sniff=sniff_ag2,
    parse=_parse_ag2,
)
METAGPT_FORMAT: Final = SpanFormat(
    name="mast-metagpt",
    description="MAST MetaGPT runs: {run_id, prompt, content: loguru log of _act lines}",
    sniff=sniff_metagpt,
    parse=_parse_metagpt,
)
