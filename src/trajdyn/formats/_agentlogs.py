"""Shared pieces of the agent-log readers (TRAIL, MAST, Who&When): reading one JSON document with its problems
reported at a line, canonical call arguments, and the turn record the readers build before it becomes steps.

A :class:`Turn` is one agent step of a multi-agent log: who acted (``agent``), the categorical symbol of what it did
(``tool``), its canonical arguments (``args``: what two calls are compared by), what it saw as a result
(``observation``) and whether it failed. :func:`turn_steps` maps turns onto the importer contract: one ``propose``
step per turn (action ``agent:tool``, content = the arguments) followed by an ``observe`` step carrying the
observation when there is one (docs/importers.md, "agent logs with expert labels").
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._imported import STEP_OBSERVE, STEP_PROPOSE, ImportedStep
from trajdyn.formats._read import read_bytes

__all__ = [
    "Turn",
    "call_symbol",
    "called_names",
    "canon_json",
    "code_blocks",
    "load_document",
    "load_object",
    "norm_code",
    "norm_text",
    "text_of",
    "turn_steps",
]

_TRAILING_COMMA: Final = re.compile(r",(\s*[\]}])")
_STRING: Final = re.compile(r'("(?:[^"\\]|\\.)*")')
_COMMENT: Final = re.compile(r"^\s*#.*$", re.M)
_CODE_BLOCK: Final = re.compile(r"```(?:[\w+-]*)[ \t]*\n(.*?)```", re.S)


@dataclass(slots=True)
class Turn:
    """One agent step of a log, before it becomes importer steps (see the module docstring)."""

    agent: str
    tool: str
    args: str
    observation: str | None = None
    error: bool = False
    line: int = 1
    step_index: int | None = None
    """The log's own index of the step (TRAIL ``Step N``, Who&When history index, HyperAgent message index)."""
    span_ids: list[str] = field(default_factory=list)
    """TRAIL: every span inside the turn (expert labels point at one of them)."""
    session: int = 0
    """HyperAgent: which (re)initialisation of the agent the turn belongs to."""


def call_symbol(agent: str, tool: str) -> str:
    """The action symbol of a turn: ``agent:tool`` (a tool already prefixed by its agent is kept as it is)."""
    return tool if tool.startswith(f"{agent}:") else f"{agent}:{tool}"


def turn_steps(turns: Sequence[Turn]) -> list[ImportedStep]:
    """Importer steps of ``turns``: a propose step per turn, then an observe step when it has an observation."""
    steps: list[ImportedStep] = []
    for t in turns:
        steps.append(
            ImportedStep(line=t.line, shape=STEP_PROPOSE, action=call_symbol(t.agent, t.tool), content=t.args or "")
        )
        if t.observation is not None or t.error:
            steps.append(
                ImportedStep(
                    line=t.line,
                    shape=STEP_OBSERVE,
                    content=t.observation,
                    error=(norm_text(t.observation or "failed")[:200] or "failed") if t.error else None,
                )
            )
    return steps


def load_document(path: Path) -> tuple[Any, list[InputProblem]]:
    """The JSON document of ``path`` and its problems; ``None`` when it cannot be read.

    A document that only fails on trailing commas (``,]`` / ``,}`` outside string literals, a known defect of some
    TRAIL annotation files) is read with them removed, and that is reported as a problem at its line.
    """
    data = read_bytes(path)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return None, [
            InputProblem(str(path), data[: exc.start].count(b"\n") + 1, f"not valid UTF-8 (byte {exc.start})")
        ]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as first:
        parts = _STRING.split(text)  # odd parts are string literals: never touched
        fixed = "".join(p if i % 2 else _TRAILING_COMMA.sub(r"\1", p) for i, p in enumerate(parts))
        try:
            value = json.loads(fixed)
        except json.JSONDecodeError:
            return None, [InputProblem(str(path), first.lineno, f"not valid JSON: {first.msg}")]
        return value, [InputProblem(str(path), first.lineno, "trailing comma ignored (not valid JSON as written)")]


def load_object(path: Path, key: str, kind: type, missing: str) -> tuple[dict[str, Any] | None, list[InputProblem]]:
    """The JSON object of ``path`` when its ``key`` holds a ``kind`` (``list``, ``str``); otherwise ``None`` and the
    problem ``missing`` (reported at line 1) after those of :func:`load_document`."""
    doc, problems = load_document(path)
    if doc is None:
        return None, problems
    if not isinstance(doc, dict) or not isinstance(doc.get(key), kind):
        return None, [*problems, InputProblem(str(path), 1, missing)]
    return doc, problems


def canon_json(value: object) -> str:
    """Canonical JSON of call arguments (sorted keys, no spaces); a string holding JSON is parsed first."""
    if isinstance(value, str):
        text = value
        try:
            value = json.loads(text)
        except ValueError:
            return norm_text(text)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def norm_code(code: str) -> str:
    """Code with comment-only lines, trailing spaces and blank lines removed (identical calls compare equal)."""
    code = _COMMENT.sub("", code)
    return "\n".join(line.rstrip() for line in code.splitlines() if line.strip())


def norm_text(text: str) -> str:
    """``text`` with runs of whitespace collapsed to one space."""
    return " ".join(text.split())


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of a message, in order."""
    return [m.group(1) for m in _CODE_BLOCK.finditer(text)]


def called_names(code: str, vocabulary: set[str]) -> list[str]:
    """Names of ``vocabulary`` called in ``code`` (``name(…)``), in order of first call; a regex when it does not
    parse."""
    found: list[str] = []
    try:
        calls = sorted(
            (n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        names = [
            n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else None
            for n in calls
        ]
    except (SyntaxError, ValueError, RecursionError):
        names = [m.group(1) for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", code)]
    for name in names:
        if name is not None and name in vocabulary and name not in found:
            found.append(name)
    return found


def text_of(value: object) -> str:
    """A message's content as one string: a list of lines is joined, a string holding a Python list literal of lines
    is unpacked (AG2 exports), anything else is ``str()``'d; ``None`` is empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(x) for x in value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                items = ast.literal_eval(stripped)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return value
            if isinstance(items, list):
                return "\n".join(str(x) for x in items)
        return value
    return str(value)
