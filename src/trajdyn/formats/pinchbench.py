"""PinchBench result files: one benchmark run each, read into per-task records for the trends family.

PinchBench's ``benchmark.py`` writes ``{output_dir}/{run_id}_{model_slug}.json`` per run (real ones are named
``NNNN_main.json``)::

    {model, benchmark_version, run_id, timestamp (unix s), suite, runs_per_task, in_progress?,
     tasks: [{task_id, status, usage{total_tokens, cost_usd, ...}, grading{mean, runs[...], ...}, ...}],
     efficiency{tasks_with_usage_data, per_task[...], ...}}

A run's score is the mean of ``tasks[].grading.mean`` (PinchBench's own score_pct / 100). Rules:

* ``in_progress: true`` → the run is kept as a marker (``in_progress`` true, no score) and left out of the series.
* A task id listed more than once (``runs_per_task > 1`` in older versions) is averaged into one record;
  ``duplicates`` counts the extra entries.
* ``usage.total_tokens == 0`` (or ``efficiency.tasks_with_usage_data == 0``) means *not measured*: tokens and cost
  are null for that task, not zero. A cost of 0 with tokens > 0 (a local model) is a real zero.
* ``frontmatter.category`` (``pcsim_query``, ``pcsim_multi_step`` …) is the task's ``category``: the stratum of
  the ``fusion`` section (docs/metrics/fusion.md); null when absent.
* ``model`` is whatever the harness wrote: real files say ``"agent:main"`` (an agent id) whatever LLM ran, so the
  parent directory (``dir``) is kept too.

Problems are :class:`~trajdyn._problems.InputProblem` (``path:line: message``): a file that is not JSON, not a
result file, or has no usable task is skipped; a bad task entry is skipped and the rest of the run kept.
``pinchbench/skill``'s hand-written ``results.json`` summary (``runs[]``, ``summary.success_rate``) has no per-task
scores and is rejected with a message that says so.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._kinds import ResultFormat

__all__ = [
    "FORMAT",
    "NAME",
    "SKILL_SUMMARY",
    "SKILL_SUMMARY_FORMAT",
    "parse_result",
    "sniff",
]

NAME: Final = "pinchbench"
SKILL_SUMMARY: Final = "pinchbench-skill-summary"

_OTLP = re.compile(rb'"(resourceSpans|resource_spans)"\s*:')
_MODEL = re.compile(rb'"model"\s*:')
_TASKS = re.compile(rb'"tasks"\s*:\s*\[')
_RUN_FIELDS = re.compile(rb'"(run_id|benchmark_version|timestamp|runs_per_task)"\s*:')
_RUNS = re.compile(rb'"runs"\s*:\s*\[')
_SUMMARY = re.compile(rb'"(summary|success_rate|total_tasks)"\s*:')


def sniff(head: bytes) -> str | None:
    """``"pinchbench"`` for a PinchBench result file, ``"pinchbench-skill-summary"`` for the skill summary, else None.

    Judged from the first bytes: one JSON object (not OTLP) with a ``model`` key and ``tasks: [`` plus one of
    ``run_id`` / ``benchmark_version`` / ``timestamp``; or ``runs: [`` plus ``summary`` for the skill summary.
    """
    text = head.lstrip()
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:].lstrip()
    if not text.startswith(b"{") or _OTLP.search(text) or not _MODEL.search(text):
        return None
    if _TASKS.search(text) and _RUN_FIELDS.search(text):
        return NAME
    if _RUNS.search(text) and _SUMMARY.search(text) and not _TASKS.search(text):
        return SKILL_SUMMARY
    return None


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` in ``text``, 0 when absent."""
    at = text.find(needle)
    return 0 if at < 0 else text.count("\n", 0, at) + 1


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _describe(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_result(path: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    """Records (:data:`~trajdyn.formats.RESULT_KEYS`) and problems of one PinchBench result file's ``text``; never raises."""
    errors: list[InputProblem] = []
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        msg = getattr(exc, "msg", str(exc))
        return [], [InputProblem(path, int(line), f"not JSON: {msg}")]
    if not isinstance(doc, dict):
        return [], [InputProblem(path, 1, f"expected a PinchBench result object, got a JSON {type(doc).__name__}")]
    if "tasks" not in doc and isinstance(doc.get("runs"), list):
        return [], [
            InputProblem(
                path,
                0,
                "a PinchBench skill summary (runs[], summary.success_rate), not a benchmark result file: it has no "
                "per-task scores (tasks[].grading.mean) and cannot be used for trends; give the files benchmark.py "
                "writes ({run_id}_{model}.json)",
            )
        ]
    model = doc.get("model")
    if model is not None and not isinstance(model, str):
        errors.append(InputProblem(path, _line_of(text, '"model"'), f"model is not a string: {_describe(model)}"))
        model = None
    raw_run = doc.get("run_id")
    run_id = str(raw_run) if isinstance(raw_run, str | int) and not isinstance(raw_run, bool) else None
    if run_id is None:
        run_id = Path(path).stem.split("_", 1)[0]
        if raw_run is not None:
            errors.append(
                InputProblem(
                    path, _line_of(text, '"run_id"'), f"run_id {_describe(raw_run)} is not a string; used {run_id!r}"
                )
            )
    time = _number(doc.get("timestamp"))
    if time is None and doc.get("timestamp") is not None:
        errors.append(
            InputProblem(
                path,
                _line_of(text, '"timestamp"'),
                f"timestamp {_describe(doc.get('timestamp'))} is not a number (unix seconds); the run is ordered last",
            )
        )
    version = doc.get("benchmark_version")
    suite = doc.get("suite")
    base: dict[str, Any] = {
        "path": path,
        "model": model,
        "run_id": run_id,
        "time": time,
        "benchmark_version": str(version) if version is not None else None,
        "suite": str(suite) if suite is not None else None,
    }
    if doc.get("in_progress") is True:
        marker = {"in_progress": True, "task_id": None, "score": None, "cost": None, "tokens": None, "duplicates": 0}
        return [{**base, **marker, "category": None}], errors
    tasks = doc.get("tasks")
    if not isinstance(tasks, list):
        errors.append(InputProblem(path, _line_of(text, '"tasks"'), "expected tasks to be a list of task results"))
        return [], errors
    efficiency = doc.get("efficiency")
    no_usage = isinstance(efficiency, dict) and efficiency.get("tasks_with_usage_data") == 0
    merged: dict[str, list[tuple[float, float | None, float | None]]] = {}
    categories: dict[str, str] = {}
    for k, task in enumerate(tasks):
        parsed = _task(path, text, k, task, no_usage)
        if isinstance(parsed, InputProblem):
            errors.append(parsed)
            continue
        task_id, values = parsed
        merged.setdefault(task_id, []).append(values)
        category = _category(task)
        if category is not None:
            categories.setdefault(task_id, category)
    if not merged:
        errors.append(InputProblem(path, _line_of(text, '"tasks"'), "no task with a usable grading.mean: run skipped"))
        return [], errors
    records = [
        {
            **base,
            "in_progress": False,
            "task_id": task_id,
            "score": sum(v[0] for v in entries) / len(entries),
            "cost": _mean([v[1] for v in entries]),
            "tokens": _mean([v[2] for v in entries]),
            "duplicates": len(entries) - 1,
            "category": categories.get(task_id),
        }
        for task_id, entries in merged.items()
    ]
    return records, errors


def _category(task: dict[str, Any]) -> str | None:
    """The task's ``frontmatter.category`` (``pcsim_query`` …): the stratum of the fusion section; None when absent."""
    front = task.get("frontmatter")
    category = front.get("category") if isinstance(front, dict) else None
    return category if isinstance(category, str) and category.strip() else None


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _task(
    path: str, text: str, k: int, task: object, no_usage: bool
) -> tuple[str, tuple[float, float | None, float | None]] | InputProblem:
    if not isinstance(task, dict):
        return InputProblem(path, 0, f"tasks[{k}] is not an object: skipped")
    task_id = task.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        return InputProblem(path, 0, f"tasks[{k}] has no task_id: skipped")
    line = _line_of(text, json.dumps(task_id))
    grading = task.get("grading")
    mean = _number(grading.get("mean")) if isinstance(grading, dict) else None
    if mean is None:
        got = grading.get("mean") if isinstance(grading, dict) else grading
        return InputProblem(path, line, f"task {task_id!r}: grading.mean {_describe(got)} is not a number: skipped")
    if not 0.0 <= mean <= 1.0:
        return InputProblem(path, line, f"task {task_id!r}: grading.mean {mean!r} is outside [0, 1]: skipped")
    tokens: float | None = None
    cost: float | None = None
    usage = task.get("usage")
    if isinstance(usage, dict) and not no_usage:
        tokens = _number(usage.get("total_tokens"))
        if tokens is not None and tokens > 0:
            cost = _number(usage.get("cost_usd"))
            cost = None if cost is None or cost < 0 else cost
        else:
            tokens = None  # 0 tokens: usage was not measured
    return task_id, (mean, cost, tokens)


def _is_result(head: bytes) -> bool:
    return sniff(head) == NAME


def _is_skill_summary(head: bytes) -> bool:
    return sniff(head) == SKILL_SUMMARY


FORMAT: Final = ResultFormat(
    name=NAME,
    description="PinchBench benchmark.py run result ({run_id}_{model}.json: tasks[].grading.mean, usage)",
    sniff=_is_result,
    parse=parse_result,
)
SKILL_SUMMARY_FORMAT: Final = ResultFormat(
    name=SKILL_SUMMARY,
    description="PinchBench skill summary (runs[], summary.success_rate): recognised and rejected, no per-task scores",
    sniff=_is_skill_summary,
    parse=parse_result,
)
