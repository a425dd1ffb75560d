"""Importer for Atlas session exports (Arc-Computer/atlas-sdk ``atlas.cli.export`` / ``SessionTrajectory`` JSONL).

One JSON object per line (blank lines and ``#`` comment lines skipped), one Atlas session each::

    {task, final_answer?, plan?, steps: [...], execution_mode?, session_metadata: {learning_key, reward_summary,
     reward_stats, adaptive_summary, token_usage, learning_usage, created_at, completed_at, ...}, capture_metadata?,
     task_metadata?, adaptive_summary?, session_id?}

A session becomes one trajectory (root ``invoke_agent atlas``):

- ``trajdyn.task.id``: ``session_metadata.task_id`` or ``learning_usage.session.task_identifier`` when present, else a
  readable slug of the task text's first words plus 10 hex digits of its SHA-256 (identical tasks share an id); the
  text itself is the task content, ``task_metadata.scenario`` (or the first ``triage_dossier`` tag) the category;
- ``trajdyn.learning_key``: ``session_metadata.learning_key``; ``trajdyn.execution_mode``: ``execution_mode``, else
  ``session_metadata.execution_mode``, else the ``adaptive_summary.adaptive_mode``;
- ``trajdyn.reward``: ``session_metadata.reward_summary.score`` (else ``reward_stats`` / ``session_reward`` /
  ``reward`` ``.score``), else the mean of the steps' reward scores;
- model: ``session_metadata.adapter_session.student_model(_id)`` or ``session_metadata.student_model``;
- tokens: ``session_metadata.token_usage`` prompt/completion tokens, else the sum of the steps'
  ``metadata.usage``; ``trajdyn.attempt``: ``capture_metadata.repeat`` + 1;
- time: ``completed_at`` (or ``capture_metadata.captured_at``, ``created_at``) ends the session, steps last
  ``metadata.runtime.timings_ms.total_ms`` (or the sum of ``attempt_timings``); sessions without a time are placed
  one after the other in file order before any dated one.

Each step is an iteration: propose (the plan step's description as content, its ``tool`` as action), observe
(``reward.score`` as metric, token usage, status ERROR when the step failed) and decide (``validation.valid`` true →
keep, false → revert). A step with ``attempts`` = n > 1 carries n − 1 ``trajdyn.retry`` events (reason: the
``metadata.attempt_history`` reason, else the teacher guidance that triggered the retry); a step whose status is
failed/error or whose validation is false carries a ``trajdyn.failure``. Playbook usage in
``session_metadata.learning_usage.roles.<role>.<entry_id>`` becomes cue-hit and adoption events (success true for
``successful_adoptions``, false for ``failed_adoptions``, absent for the rest of ``action_adoptions``) on the root,
``learning_usage.session.failure_events`` failure events, and ``learning_usage.session.retry_count`` retry events
when no step reports attempts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.formats._builder import SYNTHETIC_EPOCH_NS
from trajdyn.formats._imported import ImportedEvent, ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import AttrValue
from trajdyn.formats._read import as_number, iter_lines, parse_timestamp_ns

NAME: Final = "atlas"
AGENT_NAME: Final = "atlas"
SESSION_MARKERS: Final = frozenset(
    {
        "session_metadata",
        "execution_mode",
        "session_id",
        "final_answer",
        "plan",
        "trajectory_events",
        "adaptive_summary",
    }
)
"""Top-level keys of which an Atlas session has at least one besides ``task`` and ``steps``."""
MAX_REASON: Final = 500
_UNDATED_SPACING_NS: Final = 3600 * 1_000_000_000
"""Undated sessions are placed this far apart (one hour per file line)."""
_FAILED_STATUSES: Final = frozenset({"failed", "failure", "error", "errored"})
_TEXT_SNIFF = re.compile(r'^\s*\{\s*"(?:task|session_id)"\s*:')


def _data_lines(head: bytes) -> list[str]:
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def is_session(obj: object) -> bool:
    """Whether ``obj`` is an Atlas session record: ``task`` (string), ``steps`` (list) and one session marker key."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("task"), str)
        and isinstance(obj.get("steps"), list)
        and "resourceSpans" not in obj
        and bool(SESSION_MARKERS & obj.keys())
    )


def sniff(head: bytes) -> bool:
    """The first non-comment line is an Atlas session (or, cut off by the head, starts like one: an object whose
    first key is ``task`` or ``session_id``, with ``steps`` or a session marker key in view)."""
    lines = _data_lines(head)
    if not lines:
        return False
    first = lines[0]
    try:
        return is_session(json.loads(first))
    except ValueError:
        pass
    if len(lines) > 1:  # a complete line that is not JSON: not this format
        return False
    # the first record is longer than the head: judge its visible start (``steps`` may come after a long answer)
    return bool(_TEXT_SNIFF.match(first)) and any(f'"{m}"' in first for m in SESSION_MARKERS | {"steps"})


# ------------------------------------------------------------------------------------------------------------------
# small readers
# ------------------------------------------------------------------------------------------------------------------
def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: object) -> int | None:
    number = as_number(value)
    return int(number) if number is not None and number == int(number) else None


def _score(value: object) -> float | None:
    """``score`` of a reward object, else the mean of its numeric values (``{"process": 0.8}``)."""
    if isinstance(value, dict):
        score = as_number(value.get("score"))
        if score is not None:
            return score
        numbers = [n for n in (as_number(v) for k, v in value.items() if k != "judges") if n is not None]
        return sum(numbers) / len(numbers) if numbers else None
    return as_number(value)


def _reason(text: object) -> str:
    s = str(text).strip() if text is not None else ""
    return s if len(s) <= MAX_REASON else s[: MAX_REASON - 1] + "…"


def task_id_for(task: str) -> str:
    """A readable, collision-free task id: the first words of the text as a slug plus 10 hex of its SHA-256."""
    words = re.findall(r"[a-z0-9]+", task.lower())[:4]
    slug = "-".join(words)[:40].strip("-") or "task"
    return f"{slug}-{sha256(task.strip().encode('utf-8')).hexdigest()[:10]}"


def _usage(obj: Mapping[str, Any]) -> tuple[int | None, int | None]:
    prompt = _int(obj.get("prompt_tokens", obj.get("input_tokens")))
    completion = _int(obj.get("completion_tokens", obj.get("output_tokens")))
    if prompt is None and completion is None:
        total = _int(obj.get("total_tokens"))
        return total, None
    return prompt, completion


# ------------------------------------------------------------------------------------------------------------------
# steps
# ------------------------------------------------------------------------------------------------------------------
def _retry_reasons(step: Mapping[str, Any], meta: Mapping[str, Any], retries: int) -> list[str]:
    reasons: list[str] = []
    history = meta.get("attempt_history")
    if isinstance(history, list):
        for item in history:
            if isinstance(item, dict) and str(item.get("status", "")).lower() != "ok":
                text = _str(item.get("reason")) or _str(item.get("status"))
                if text:
                    reasons.append(text)
    guidance = step.get("guidance")
    if isinstance(guidance, list):
        reasons += [g for g in (_str(x) for x in guidance) if g]
    reasons = [_reason(r) for r in reasons[:retries]]
    while len(reasons) < retries:
        reasons.append(f"retry (attempt {len(reasons) + 2} of {retries + 1})")
    return reasons


def _duration_s(meta: Mapping[str, Any]) -> float | None:
    runtime = _dict(meta.get("runtime"))
    total = as_number(_dict(runtime.get("timings_ms")).get("total_ms"))
    if total is None:
        timings = _dict(meta.get("attempt_timings"))
        values = [n for n in (as_number(v) for v in timings.values()) if n is not None]
        total = sum(values) if values else None
    return total / 1000.0 if total is not None and total > 0 else None


def _step(raw: Mapping[str, Any], line: int) -> tuple[ImportedStep, int | None, int | None, float | None]:
    """The iteration of one Atlas step, with its input / output tokens and reward score."""
    plan_step = _dict(raw.get("step"))
    meta = _dict(raw.get("metadata"))
    description = _str(plan_step.get("description")) or _str(raw.get("description"))
    tool = _str(plan_step.get("tool")) or _str(raw.get("tool"))
    evaluation = _dict(raw.get("evaluation"))
    score = _score(raw.get("reward")) if raw.get("reward") is not None else _score(evaluation.get("reward"))
    validation = _dict(raw.get("validation")) or _dict(evaluation.get("validation"))
    valid = validation.get("valid")
    decision = C.DECISION_KEEP if valid is True else C.DECISION_REVERT if valid is False else None
    attempts = _int(raw.get("attempts"))
    retries = max((attempts or 1) - 1, 0)
    events = [ImportedEvent(C.EVENT_RETRY, {C.REASON: r}) for r in _retry_reasons(raw, meta, retries)]
    status = _str(raw.get("status"))
    error: str | None = None
    if status is not None and status.lower() in _FAILED_STATUSES:
        error = f"step status {status}"
    elif valid is False:
        error = _reason(_str(validation.get("guidance")) or "step output failed validation")
    prompt, completion = _usage(_dict(meta.get("usage")))
    attrs: dict[str, AttrValue] = {}
    if prompt is not None:
        attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = prompt
    if completion is not None:
        attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = completion
    step = ImportedStep(
        line=line,
        action=tool,
        metric=score,
        decision=decision,
        error=error,
        reason=error,
        duration_s=_duration_s(meta),
        content=description,
        attrs=attrs,
        events=events,
    )
    return step, prompt, completion, score


def _place(steps: list[ImportedStep], end_ns: int) -> list[ImportedStep]:
    """Give the steps end times so that the last one ends at ``end_ns`` (durations default to one second)."""
    from dataclasses import replace

    out: list[ImportedStep] = []
    cursor = end_ns
    for step in reversed(steps):
        out.append(replace(step, end_ns=cursor))
        duration = step.duration_s if step.duration_s is not None else 1.0
        cursor -= max(int(duration * 1e9), 3_000_000)
    return out[::-1]


# ------------------------------------------------------------------------------------------------------------------
# sessions
# ------------------------------------------------------------------------------------------------------------------
def _first(*values: object) -> str | None:
    for value in values:
        text = _str(value)
        if text is not None:
            return text
    return None


def _playbook_events(usage: Mapping[str, Any]) -> list[ImportedEvent]:
    """Cue-hit and adoption events of ``learning_usage.roles``; failure (and retry) events of ``.session``."""
    events: list[ImportedEvent] = []
    for role_usage in _dict(usage.get("roles")).values():
        for entry_id, entry in _dict(role_usage).items():
            if not isinstance(entry, dict) or not _str(entry_id):
                continue
            key = {C.PLAYBOOK_ENTRY_ID: str(entry_id).strip()}
            hits = _int(entry.get("cue_hits")) or 0
            ok = _int(entry.get("successful_adoptions")) or 0
            bad = _int(entry.get("failed_adoptions")) or 0
            total = max(_int(entry.get("action_adoptions")) or 0, ok + bad)
            events += [ImportedEvent(C.EVENT_CUE_HIT, key) for _ in range(max(hits, 0))]
            events += [ImportedEvent(C.EVENT_ADOPTION, {**key, C.PLAYBOOK_SUCCESS: True}) for _ in range(max(ok, 0))]
            events += [ImportedEvent(C.EVENT_ADOPTION, {**key, C.PLAYBOOK_SUCCESS: False}) for _ in range(max(bad, 0))]
            events += [ImportedEvent(C.EVENT_ADOPTION, key) for _ in range(max(total - ok - bad, 0))]
    session = _dict(usage.get("session"))
    failures = session.get("failure_events")
    if isinstance(failures, list):
        for item in failures:
            text = (
                _first(*(_dict(item).get(k) for k in ("reason", "message", "error", "type")))
                if isinstance(item, dict)
                else _str(item)
            )
            events.append(ImportedEvent(C.EVENT_FAILURE, {C.REASON: _reason(text or "failure")}))
    elif session.get("failure_flag") is True:
        events.append(ImportedEvent(C.EVENT_FAILURE, {C.REASON: "session failure flag"}))
    return events


def _session(obj: dict[str, Any], line: int, path: str, errors: list[InputProblem]) -> ImportedTrajectory | None:
    task = obj["task"].strip()
    if not task:
        errors.append(InputProblem(path, line, "Atlas session has an empty task"))
        return None
    meta = _dict(obj.get("session_metadata"))
    usage = _dict(meta.get("learning_usage"))
    usage_session = _dict(usage.get("session"))
    capture = _dict(obj.get("capture_metadata"))
    task_meta = _dict(obj.get("task_metadata"))
    adaptive = _dict(obj.get("adaptive_summary")) or _dict(meta.get("adaptive_summary"))
    dossier = _dict(meta.get("triage_dossier"))
    tags = dossier.get("tags")

    steps: list[ImportedStep] = []
    step_scores: list[float] = []
    prompt_total = completion_total = 0
    has_usage = has_attempts = False
    for number, raw in enumerate(obj["steps"], start=1):
        if not isinstance(raw, dict):
            errors.append(InputProblem(path, line, f"step {number}: expected an object, got {type(raw).__name__}"))
            continue
        step, prompt, completion, score = _step(raw, line)
        has_attempts = has_attempts or raw.get("attempts") is not None
        if prompt is not None or completion is not None:
            has_usage = True
            prompt_total += prompt or 0
            completion_total += completion or 0
        if score is not None:
            step_scores.append(score)
        steps.append(step)

    reward = None
    for source in (
        meta.get("reward_summary"),
        meta.get("reward_stats"),
        obj.get("reward_stats"),
        meta.get("session_reward"),
        obj.get("session_reward"),
        obj.get("reward"),
        meta.get("reward"),
    ):
        if isinstance(source, dict):
            reward = as_number(source.get("score"))
            if reward is not None:
                break
    if reward is None and step_scores:
        reward = sum(step_scores) / len(step_scores)

    attrs: dict[str, AttrValue] = {}
    learning_key = _first(meta.get("learning_key"), obj.get("learning_key"))
    if learning_key is not None:
        attrs[C.LEARNING_KEY] = learning_key
    mode = _first(obj.get("execution_mode"), meta.get("execution_mode"), adaptive.get("adaptive_mode"))
    if mode is not None:
        attrs[C.EXECUTION_MODE] = mode
    category = _first(task_meta.get("scenario"), _dict(obj.get("metadata")).get("scenario"))
    if category is None and isinstance(tags, list) and tags:
        category = _str(tags[0])
    if category is not None:
        attrs[C.TASK_CATEGORY] = category
    repeat = _int(capture.get("repeat"))
    if repeat is not None and repeat >= 0:
        attrs[C.ATTEMPT] = repeat + 1
    token_usage = _dict(meta.get("token_usage")) or _dict(usage_session.get("token_usage"))
    prompt, completion = _usage(token_usage) if token_usage else (None, None)
    if prompt is None and completion is None and has_usage:
        prompt, completion = prompt_total, completion_total
    if prompt is not None:
        attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = prompt
    if completion is not None:
        attrs[C.GEN_AI_USAGE_OUTPUT_TOKENS] = completion
    adapter = _dict(meta.get("adapter_session"))
    model = _first(
        adapter.get("student_model_id"), adapter.get("student_model"), meta.get("student_model"), obj.get("model")
    )

    events = _playbook_events(usage)
    retry_count = _int(usage_session.get("retry_count")) or 0
    if not has_attempts and retry_count > 0:
        events += [ImportedEvent(C.EVENT_RETRY, {C.REASON: "session retry"}) for _ in range(retry_count)]

    end_ns = None
    for value in (
        meta.get("completed_at"),
        obj.get("completed_at"),
        capture.get("captured_at"),
        meta.get("created_at"),
        obj.get("created_at"),
    ):
        end_ns = parse_timestamp_ns(value)
        if end_ns is not None:
            break
    if end_ns is None:
        end_ns = SYNTHETIC_EPOCH_NS + line * _UNDATED_SPACING_NS
    steps = _place(steps, end_ns)

    task_id = _first(meta.get("task_id"), obj.get("task_id"), usage_session.get("task_identifier")) or task_id_for(task)
    return ImportedTrajectory(
        line=line,
        task_id=task_id,
        agent_name=AGENT_NAME,
        model=model,
        reward=reward if reward is None or math.isfinite(reward) else None,
        steps=steps,
        attrs=attrs,
        events=events,
        content=task,
    )


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an Atlas session export; bad lines are reported and skipped (``menu`` is not used)."""
    errors: list[InputProblem] = []
    out: list[ImportedTrajectory] = []
    for line, text in iter_lines(path, errors):
        if text.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            errors.append(InputProblem(str(path), line, f"not valid JSON: {exc}"))
            continue
        if not is_session(obj):
            what = type(obj).__name__ if not isinstance(obj, dict) else "an object without task/steps"
            errors.append(InputProblem(str(path), line, f"expected an Atlas session (task, steps, …), got {what}"))
            continue
        traj = _session(obj, line, str(path), errors)
        if traj is not None:
            out.append(traj)
    return out, errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="Atlas session export JSONL (task, steps with attempts, session_metadata.learning_key, reward)",
    sniff=sniff,
    parse=parse,
)
