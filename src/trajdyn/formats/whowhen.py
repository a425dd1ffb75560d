"""Importer for Who&When (Zhang et al. 2025) failure-attribution logs: multi-agent histories of failed runs.

A file is one JSON object ``{is_correct, question, question_ID, history: [{content, role, name}], mistake_agent,
mistake_step, mistake_reason, …}``. Mapping (docs/importers.md, "agent logs with expert labels"):

- one trajectory per file: ``trajdyn.task.id`` = ``question_ID``, ``trajdyn.task.text`` = the question, outcome
  failure when ``is_correct`` is false (every run of the dataset failed);
- **every history entry is a turn**, so that turn k is ``history[k]`` and ``mistake_step`` indexes turns directly.
  An expert's message has tool ``code`` (a fenced code block; arguments: the code), ``terminate`` or ``text``
  (arguments: the text); a ``Computer_terminal`` entry (a code-execution result) has tool ``ok`` / ``fail`` (from
  its ``exitcode: N``; a non-zero code is an error) or ``text``;
- a message is what the next speaker observes (an observe step with its content).

The labels (``mistake_agent``, ``mistake_step``) are read by :func:`trajdyn.formats.expert_labels.whowhen_label`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._agentlogs import Turn, code_blocks, load_object, norm_code, norm_text, text_of, turn_steps
from trajdyn.formats._imported import ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat

__all__ = ["FORMAT", "NAME", "sniff", "whowhen_turns"]

NAME: Final = "whowhen"
TERMINAL: Final = "Computer_terminal"
_EXIT: Final = re.compile(r"exitcode:\s*(-?\d+)")


def sniff(head: bytes) -> bool:
    """A JSON object with a ``history`` list and Who&When's ``question_ID`` or ``mistake_agent``."""
    return (
        head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
        and b'"history"' in head
        and (b'"question_ID"' in head or b'"mistake_agent"' in head)
    )


def whowhen_turns(history: Sequence[object], first_line: int = 1) -> list[Turn]:
    """One turn per history entry (entries that are not objects become an empty ``text`` turn: indexes stay)."""
    turns: list[Turn] = []
    for k, entry in enumerate(history):
        m: dict[str, Any] = entry if isinstance(entry, dict) else {}
        content = text_of(m.get("content"))
        name = str(m.get("name") or m.get("role") or "agent")
        error = False
        if name == TERMINAL:
            code = _EXIT.search(content)
            tool = "text" if code is None else "ok" if code.group(1) == "0" else "fail"
            error = tool == "fail"
            args = norm_text(content)
        else:
            blocks = code_blocks(content)
            if content.strip().endswith("TERMINATE"):
                tool = "terminate"
            elif blocks:
                tool = "code"
            else:
                tool = "text"
            args = norm_code("\n".join(blocks)) if blocks else norm_text(content)
        turns.append(Turn(name, tool, args, observation=content, error=error, line=first_line, step_index=k))
    return turns


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse one Who&When file into one trajectory; entries that are not objects are reported."""
    doc, problems = load_object(path, "history", list, "not a Who&When log: no history list")
    if doc is None:
        return [], problems
    history = doc["history"]
    problems += [
        InputProblem(str(path), 1, f"history entry {k} is not an object (kept as an empty turn)")
        for k, e in enumerate(history)
        if not isinstance(e, dict)
    ]
    correct = doc.get("is_correct")
    outcome = None if not isinstance(correct, bool) else C.OUTCOME_SUCCESS if correct else C.OUTCOME_FAILURE
    question = doc.get("question")
    traj = ImportedTrajectory(
        line=1,
        task_id=str(doc.get("question_ID") or path.stem),
        agent_name="whowhen",
        outcome=outcome,
        steps=turn_steps(whowhen_turns(history)),
        content=question if isinstance(question, str) and question.strip() else None,
    )
    return [traj], problems


FORMAT: Final = SpanFormat(
    name=NAME,
    description="Who&When failure-attribution logs: {question_ID, history[{content, role, name}], mistake_step}",
    sniff=sniff,
    parse=parse,
)
