"""Importer for the autoresearch agent-loop JSONL (manavsehgal/nvidia-learn ``agent_loop.py``).

The log: a header ``{_meta, baseline_val_bpb, baseline_cfg, accept_delta_frac}``, then one record per loop
iteration with a ``stage``, then ``{stage: "loop_complete", ...}``. Stages:

- ``evaluated`` (``proposal {knob, new_value, reason}``, ``val_bpb``, ``eval_metrics {...}``, ``decision``):
  an iteration; the other numeric ``eval_metrics`` become ``trajdyn.metrics.<name>``;
- ``blocked`` (refused by a rail: ``rail``, ``reason``, maybe ``proposal``): a blocked propose, not an iteration;
- ``eval_failed`` (the evaluation crashed) and ``nim_error`` (the model call failed): a blocked propose with
  status ERROR and a ``trajdyn.failure`` event; any other unknown stage is treated the same way;
- ``paused`` (the loop was stopped and may be resumed with ``--resume``, which appends to the same file):
  a marker with no proposal, dropped; ``loop_complete``: the end of a trajectory.

A second header line starts a new trajectory (logs concatenated). Objective minimize, metric ``val_bpb``,
baseline from the header. The knob menu comes from ``--menu`` or, when absent, from a menu embedded in
the header (``knobs`` / ``knob_menu`` / ``perturbation_menu``). Times: ``ts`` is written when the row
ends; ``iter_wall_s`` is the row's duration and ``nim_latency_s`` the proposal's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn._values import normalize_decision
from trajdyn.formats._imported import ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._menu import menu_from_json
from trajdyn.formats._read import as_number, first_line, iter_lines, parse_timestamp_ns

NAME: Final = "autoresearch"
AGENT_NAME: Final = "autoresearch"
METRIC_NAME: Final = "val_bpb"
STAGE_EVALUATED: Final = "evaluated"
STAGE_BLOCKED: Final = "blocked"
STAGE_COMPLETE: Final = "loop_complete"
STAGE_PAUSED: Final = "paused"
KNOWN_STAGES: Final = frozenset(
    {STAGE_EVALUATED, STAGE_BLOCKED, STAGE_COMPLETE, STAGE_PAUSED, "eval_failed", "nim_error"}
)


def sniff(head: bytes) -> bool:
    """An autoresearch log starts with its header (``baseline_val_bpb``) or, headless, with a staged row."""
    line = first_line(head)
    if line is None:
        return False
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    if not isinstance(obj, dict) or "resourceSpans" in obj:
        return False
    if "baseline_val_bpb" in obj and "stage" not in obj:
        return True
    return obj.get("stage") in KNOWN_STAGES and ("proposal" in obj or "iter" in obj)


def _is_header(obj: dict[str, Any]) -> bool:
    return "stage" not in obj and "iter" not in obj and ("baseline_val_bpb" in obj or "_meta" in obj)


@dataclass
class _Pending:
    line: int
    baseline: float | None = None
    menu: list[str] | None = None
    steps: list[ImportedStep] = field(default_factory=list)
    complete: bool = False


def _proposal(obj: dict[str, Any]) -> tuple[str | None, object, str | None]:
    proposal = obj.get("proposal")
    if not isinstance(proposal, dict):
        return None, None, None
    knob = proposal.get("knob")
    reason = proposal.get("reason")
    return (
        knob if isinstance(knob, str) and knob else None,
        proposal.get("new_value"),
        reason if isinstance(reason, str) else None,
    )


def _times(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "end_ns": parse_timestamp_ns(obj.get("ts")),
        "duration_s": as_number(obj.get("iter_wall_s")),
        "propose_s": as_number(obj.get("nim_latency_s")),
    }


def _evaluated(obj: dict[str, Any], line: int) -> ImportedStep | str:
    knob, value, _ = _proposal(obj)
    if knob is None:
        return "evaluated row has no proposal.knob"
    eval_metrics = obj.get("eval_metrics")
    eval_metrics = eval_metrics if isinstance(eval_metrics, dict) else {}
    metric = as_number(obj.get(METRIC_NAME))
    if metric is None:
        metric = as_number(eval_metrics.get(METRIC_NAME))
    if metric is None:
        return f"evaluated row has no numeric {METRIC_NAME} (got {obj.get(METRIC_NAME)!r})"
    decision = normalize_decision(obj.get("decision"))
    if decision is None:
        return f"evaluated row has an unreadable decision {obj.get('decision')!r}"
    others: dict[str, float] = {}
    for name, raw in eval_metrics.items():
        number = as_number(raw) if not isinstance(raw, str) else None
        if name != METRIC_NAME and number is not None:
            others[name] = number
    return ImportedStep(
        line=line, knob=knob, value=value, metric=metric, metrics=others, decision=decision, **_times(obj)
    )


def _refused(obj: dict[str, Any], line: int, stage: str) -> ImportedStep:
    knob, value, _ = _proposal(obj)
    if stage == STAGE_BLOCKED:
        rail, why = obj.get("rail"), obj.get("reason")
        reason = ": ".join(str(x) for x in (rail, why) if x) or "blocked"
        return ImportedStep(line=line, knob=knob, value=value, blocked=True, reason=reason, **_times(obj))
    detail: object = obj.get("nim_error") or obj.get("error") or obj.get("reason")
    eval_metrics = obj.get("eval_metrics")
    if detail is None and isinstance(eval_metrics, dict):
        detail = eval_metrics.get("error")
    reason = f"{stage}: {detail}" if detail else stage
    return ImportedStep(line=line, knob=knob, value=value, blocked=True, reason=reason, error=reason, **_times(obj))


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse an autoresearch log into trajectories; bad rows are reported and skipped."""
    errors: list[InputProblem] = []
    done: list[_Pending] = []
    current: _Pending | None = None
    for line, text in iter_lines(path, errors):
        try:
            obj = json.loads(text)
        except ValueError as exc:
            errors.append(InputProblem(str(path), line, f"not valid JSON: {exc}"))
            continue
        if not isinstance(obj, dict):
            errors.append(InputProblem(str(path), line, f"expected a JSON object, got {type(obj).__name__}"))
            continue
        if _is_header(obj):
            if current is not None:
                done.append(current)
            current = _Pending(line, baseline=as_number(obj.get("baseline_val_bpb")), menu=menu_from_json(obj))
            continue
        if current is None or current.complete:
            previous = current
            current = _Pending(line)
            if previous is not None:
                done.append(previous)
                current.baseline, current.menu = previous.baseline, previous.menu
        if current.baseline is None:
            current.baseline = as_number(obj.get("baseline_val_bpb"))
        stage = obj.get("stage")
        if stage == STAGE_COMPLETE:
            current.complete = True
        elif stage == STAGE_PAUSED:
            continue
        elif stage == STAGE_EVALUATED:
            step = _evaluated(obj, line)
            if isinstance(step, str):
                errors.append(InputProblem(str(path), line, step))
            else:
                current.steps.append(step)
        elif isinstance(stage, str) and stage:
            current.steps.append(_refused(obj, line, stage))
        else:
            errors.append(InputProblem(str(path), line, f"row has no stage (got {stage!r})"))
    if current is not None:
        done.append(current)
    trajectories = [
        ImportedTrajectory(
            line=p.line,
            task_id=path.stem,
            agent_name=AGENT_NAME,
            knob_menu=list(menu) if menu is not None else p.menu,
            objective=C.OBJECTIVE_MINIMIZE,
            metric_name=METRIC_NAME,
            baseline=p.baseline,
            steps=p.steps,
        )
        for p in done
        if p.steps or p.baseline is not None
    ]
    return trajectories, errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="autoresearch agent-loop JSONL (header, staged rows, loop_complete)",
    sniff=sniff,
    parse=parse,
)
