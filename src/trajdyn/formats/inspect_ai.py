"""Importer for Inspect AI evaluation logs: the JSON log (``.json``) and the zipped log (``.eval``).

Both hold an ``eval`` header (``task``, ``model``, ``run_id`` …) and samples: the JSON log as ``samples: [...]``, the
``.eval`` zip as members ``header.json`` and ``samples/<id>_epoch_<n>.json`` (long strings stored once as
``attachment://<hash>`` in the sample's ``attachments``). A sample is ``{id, epoch, input, messages, scores{<scorer>:
{value, answer, explanation}}, events[...], model_usage{<model>: {input_tokens, output_tokens}}, error?}``.

Mapping (docs/importers.md):

- a sample × epoch is one trajectory, agent ``inspect``: task id = ``<task>:<sample id>``, ``trajdyn.attempt`` = the
  epoch, model = ``eval.model``, task text = the sample's ``input`` (its last user message when a list);
- a ``tool`` event is a turn: ``propose`` with action = ``function``, content = its arguments (JSON), then an
  ``observe`` step with its result (status ERROR when the event has an ``error``); a ``model`` event whose output
  message calls no tool is a ``respond`` turn (the final answer);
- reward = the **first** scorer's value (``C`` 1, ``I`` 0, ``P`` 0.5, ``N`` 0, a number as is, a boolean 1/0); the
  other scorers' numeric values become ``trajdyn.metrics.<scorer>``; a sample ``error`` → outcome ``error``;
- tokens = Σ ``model_usage[*].input_tokens`` / ``output_tokens`` (``{}`` — a mock model — records none: absent, not 0);
- times from the events' ``timestamp`` (ISO with offset).

A log that is not JSON, a zip that cannot be opened, or a sample member that is not JSON is a problem (the member's
name in the message) and is skipped; the other samples are kept.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._imported import STEP_OBSERVE, STEP_PROPOSE, ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue
from trajdyn.formats._read import as_number, dig, head_text, parse_timestamp_ns, read_bytes, read_json

__all__ = ["AGENT_NAME", "FORMAT", "NAME", "RESPOND", "parse", "score_value", "sniff"]

NAME: Final = "inspect"
AGENT_NAME: Final = "inspect"
RESPOND: Final = "respond"
_ZIP: Final = b"PK\x03\x04"
_ZIP_MEMBERS: Final = (b"_journal/start.json", b"header.json", b"samples/")
_JSON_HEAD = re.compile(rb'^\{\s*"version"\s*:\s*\d+\s*,\s*"status"\s*:\s*"[^"]*"\s*,\s*"eval"\s*:\s*\{')
_ATTACHMENT: Final = "attachment://"
_LETTERS: Final = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
"""Inspect's letter grades: correct, incorrect, partial, no answer."""


def sniff(head: bytes) -> bool:
    """A zip whose first member is an Inspect log member, or ``{"version": N, "status": …, "eval": {``."""
    if head.startswith(_ZIP):
        return head[30:].startswith(_ZIP_MEMBERS)
    text = head_text(head)
    return bool(_JSON_HEAD.match(text))


def score_value(value: object) -> float | None:
    """A score as a number in Inspect's sense: letter grades, numbers, booleans; None otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str) and value.strip().upper() in _LETTERS:
        return _LETTERS[value.strip().upper()]
    return as_number(value)


class _Attachments:
    def __init__(self, sample: dict[str, Any]) -> None:
        raw = sample.get("attachments")
        self.store: dict[str, Any] = raw if isinstance(raw, dict) else {}

    def text(self, value: object) -> str | None:
        if isinstance(value, str) and value.startswith(_ATTACHMENT):
            value = self.store.get(value[len(_ATTACHMENT) :], value)
        if isinstance(value, str):
            return value if value.strip() else None
        if isinstance(value, list):  # content parts
            parts = [self.text(dig(p, "text") if isinstance(p, dict) else p) for p in value]
            return "\n".join(p for p in parts if p) or None
        return None


def _task_text(sample: dict[str, Any], att: _Attachments) -> str | None:
    given = sample.get("input")
    if isinstance(given, list):
        users = [m for m in given if isinstance(m, dict) and m.get("role") == "user"]
        return att.text(users[-1].get("content")) if users else None
    return att.text(given)


def _steps(sample: dict[str, Any], att: _Attachments, line: int) -> list[ImportedStep]:
    steps: list[ImportedStep] = []
    events = sample.get("events")
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        end = parse_timestamp_ns(event.get("timestamp"))
        kind = event.get("event")
        if kind == "tool" and isinstance(event.get("function"), str):
            arguments = event.get("arguments")
            content = json.dumps(arguments, sort_keys=True) if arguments is not None else None
            steps.append(
                ImportedStep(line=line, shape=STEP_PROPOSE, action=event["function"], content=content, end_ns=end)
            )
            error = event.get("error")
            message = dig(error, "message") if isinstance(error, dict) else error
            steps.append(
                ImportedStep(
                    line=line,
                    shape=STEP_OBSERVE,
                    content=att.text(event.get("result")),
                    end_ns=end,
                    error=(str(message) or "error")[:200] if message else None,
                )
            )
        elif kind == "model":
            message = dig(event, "output", "choices")
            first = message[0] if isinstance(message, list) and message else None
            reply = dig(first, "message")
            if isinstance(reply, dict) and not reply.get("tool_calls"):
                steps.append(
                    ImportedStep(
                        line=line,
                        shape=STEP_PROPOSE,
                        action=RESPOND,
                        content=att.text(reply.get("content")),
                        end_ns=end,
                    )
                )
    return steps


def _trajectory(header: dict[str, Any], sample: dict[str, Any], line: int) -> ImportedTrajectory:
    att = _Attachments(sample)
    task = dig(header, "eval", "task")
    sample_id = sample.get("id")
    task_id = f"{task}:{sample_id}" if task is not None else str(sample_id)
    attrs: dict[str, AttrValue] = {}
    epoch = as_number(sample.get("epoch"))
    if epoch is not None:
        attrs[C.ATTEMPT] = int(epoch)
    scores = sample.get("scores")
    reward = None
    if isinstance(scores, dict):
        for k, (name, score) in enumerate(scores.items()):
            value = score_value(dig(score, "value"))
            if k == 0:
                reward = value
            elif value is not None:
                attrs[C.metrics_key(str(name))] = value
    usage = sample.get("model_usage")
    if isinstance(usage, dict) and usage:
        attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = int(sum(as_number(dig(u, "input_tokens")) or 0 for u in usage.values()))
        attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = int(sum(as_number(dig(u, "output_tokens")) or 0 for u in usage.values()))
    outcome = None
    if sample.get("error"):
        outcome = C.OUTCOME_ERROR
    elif reward is not None:
        outcome = C.OUTCOME_SUCCESS if reward >= 1.0 else C.OUTCOME_FAILURE
    model = dig(header, "eval", "model")
    return ImportedTrajectory(
        line=line,
        task_id=task_id,
        agent_name=AGENT_NAME,
        model=model if isinstance(model, str) else None,
        reward=reward,
        outcome=outcome,
        steps=_steps(sample, att, line),
        attrs=attrs,
        content=_task_text(sample, att),
    )


def _zip_samples(path: Path, errors: list[InputProblem]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        errors.append(InputProblem(str(path), 0, f"not a readable Inspect .eval zip: {exc} (truncated?)"))
        return
    with archive:
        names = archive.namelist()
        header: dict[str, Any] = {}
        for member in ("header.json", "_journal/start.json"):
            if member in names:
                try:
                    loaded = json.loads(archive.read(member))
                except (ValueError, zipfile.BadZipFile, OSError) as exc:
                    errors.append(InputProblem(str(path), 0, f"{member}: not readable: {exc}"))
                    continue
                if isinstance(loaded, dict):
                    header = loaded
                    break
        for member in sorted(n for n in names if n.startswith("samples/") and n.endswith(".json")):
            try:
                sample = json.loads(archive.read(member))
            except (ValueError, zipfile.BadZipFile, OSError) as exc:
                errors.append(InputProblem(str(path), 0, f"{member}: not readable: {exc}: skipped"))
                continue
            if isinstance(sample, dict):
                yield header, sample
            else:
                errors.append(InputProblem(str(path), 0, f"{member}: not a sample object: skipped"))


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an Inspect log (``.json`` or ``.eval``): one trajectory per sample and epoch."""
    del menu
    errors: list[InputProblem] = []
    data = read_bytes(path)
    pairs: list[tuple[dict[str, Any], dict[str, Any], int]] = []
    if data.startswith(_ZIP):  # no lines in a zip: a sample's ordinal stands for its line (it seeds the ids)
        pairs = [(h, s, k + 1) for k, (h, s) in enumerate(_zip_samples(path, errors))]
    else:
        doc, text, problem = read_json(path, "log")
        if problem is not None:
            return [], [problem]
        samples = doc.get("samples") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(samples, list):
            return [], [InputProblem(str(path), 1, "an Inspect log without samples (header only): nothing to import")]
        cursor, last = 0, text.count("\n") + 1
        used: set[int] = set()
        for k, sample in enumerate(samples):
            at = text.find('"epoch"', cursor)
            line = text.count("\n", 0, at) + 1 if at >= 0 else 1
            cursor = at + 1 if at >= 0 else cursor
            if line in used:  # samples on one line (a minified log): past the last line, so each seeds its own ids
                line = last + k + 1
            used.add(line)
            if isinstance(sample, dict):
                pairs.append((doc, sample, line))
            else:
                errors.append(InputProblem(str(path), line, f"sample {k} is not an object: skipped"))
    seen: set[tuple[object, object]] = set()
    out: list[ImportedTrajectory] = []
    for header, sample, line in pairs:
        key = (sample.get("id"), sample.get("epoch"))
        if key in seen:
            errors.append(InputProblem(str(path), line, f"sample {key[0]} epoch {key[1]} again: dropped"))
            continue
        seen.add(key)
        out.append(_trajectory(header, sample, line))
    return out, errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="Inspect AI evaluation log (.json, or the .eval zip): a trajectory per sample and epoch",
    sniff=sniff,
    parse=parse,
)
