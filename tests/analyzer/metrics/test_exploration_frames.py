"""Test helper (no tests here): hand-made ``steps`` / ``trajectories`` frames with the columns of ``_columns``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K

STEP_SCHEMA: dict[str, pl.DataType] = {
    K.TRAJECTORY_ID: pl.Utf8(),
    K.TRACE_ID: pl.Utf8(),
    K.SPAN_ID: pl.Utf8(),
    K.PARENT_SPAN_ID: pl.Utf8(),
    K.START_NS: pl.Int64(),
    K.END_NS: pl.Int64(),
    K.STATUS_CODE: pl.Int8(),
    K.PHASE: pl.Utf8(),
    K.ITERATION: pl.Int64(),
    K.KNOB: pl.Utf8(),
    K.VALUE: pl.Utf8(),
    K.ACTION: pl.Utf8(),
    K.REPEAT: pl.Boolean(),
    K.BLOCKED: pl.Boolean(),
    K.CONTENT: pl.Utf8(),
    K.METRIC: pl.Float64(),
    K.DECISION: pl.Utf8(),
    K.REWARD: pl.Float64(),
    K.INPUT_TOKENS: pl.Int64(),
    K.OUTPUT_TOKENS: pl.Int64(),
}

TRAJECTORY_SCHEMA: dict[str, pl.DataType] = {
    K.TRAJECTORY_ID: pl.Utf8(),
    K.TRACE_ID: pl.Utf8(),
    K.ROOT_SPAN_ID: pl.Utf8(),
    K.HAS_ROOT: pl.Boolean(),
    **{name: pl.Utf8() for name in (K.TASK_ID, K.TASK_CATEGORY, K.TASK_TEXT, K.AGENT, K.MODEL, K.PROVIDER, K.RUN_ID)},
    K.ATTEMPT: pl.Int64(),
    **{name: pl.Utf8() for name in (K.PERTURBATION_GROUP, K.VARIANT, K.SPLIT, K.LEARNING_KEY, K.EXECUTION_MODE)},
    K.KNOB_MENU: pl.List(pl.Utf8()),
    K.OBJECTIVE: pl.Utf8(),
    K.METRIC_NAME: pl.Utf8(),
    K.BASELINE: pl.Float64(),
    K.REWARD: pl.Float64(),
    K.OUTCOME: pl.Utf8(),
    K.INPUT_TOKENS: pl.Int64(),
    K.OUTPUT_TOKENS: pl.Int64(),
    K.START_NS: pl.Int64(),
    K.END_NS: pl.Int64(),
    K.STATUS_CODE: pl.Int8(),
    K.N_STEPS: pl.Int64(),
    "n_iterations": pl.Int64(),
}


@dataclass(frozen=True)
class Step:
    """One proposal and its outcome: ``knob``/``value`` (``knob=None`` → a tool call named ``action``)."""

    knob: str | None
    value: str | None = None
    metric: float | None = None
    decision: str | None = None
    blocked: bool = False
    action: str | None = None


@dataclass
class Traj:
    """One trajectory of hand-made steps."""

    trajectory_id: str
    steps: Sequence[Step] = ()
    menu: list[str] | None = None
    objective: str | None = None
    baseline: float | None = None
    run_id: str | None = None
    task_id: str | None = None
    model: str | None = None
    start_ns: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def p(knob: str | None, value: object = None, metric: float | None = None, decision: str | None = None) -> Step:
    """Shorthand for a non-blocked proposal; ``value`` is turned into its canonical string."""
    from trajdyn._values import canonical_value

    return Step(knob, canonical_value(value), metric, decision)


def frames(trajs: Sequence[Traj]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(steps, trajectories)`` frames as ingest would produce them: propose/observe/decide spans per step."""
    step_rows: list[dict[str, object]] = []
    traj_rows: list[dict[str, object]] = []
    span = 0
    for t in trajs:
        trace = f"{abs(hash(t.trajectory_id)) % (1 << 64):032x}"
        clock = t.start_ns
        iteration = 1
        n_iter = 0
        for s in t.steps:
            action = s.action if s.knob is None else (s.knob if s.value is None else f"{s.knob}={s.value}")
            phases: list[tuple[str, dict[str, object]]] = [
                (
                    C.PHASE_PROPOSE,
                    {K.KNOB: s.knob, K.VALUE: s.value, K.ACTION: action, K.BLOCKED: s.blocked},
                )
            ]
            if not s.blocked:
                phases.append((C.PHASE_OBSERVE, {K.METRIC: s.metric}))
                phases.append((C.PHASE_DECIDE, {K.DECISION: s.decision}))
            for phase, attrs in phases:
                span += 1
                clock += 10
                row: dict[str, object] = {
                    K.TRAJECTORY_ID: t.trajectory_id,
                    K.TRACE_ID: trace,
                    K.SPAN_ID: f"{span:016x}",
                    K.START_NS: clock,
                    K.END_NS: clock + 5,
                    K.STATUS_CODE: 0,
                    K.PHASE: phase,
                    K.ITERATION: iteration,
                    K.BLOCKED: False,
                }
                row.update(attrs)
                step_rows.append(row)
            if not s.blocked:
                iteration += 1
                n_iter += 1
        traj_rows.append(
            {
                K.TRAJECTORY_ID: t.trajectory_id,
                K.TRACE_ID: trace,
                K.HAS_ROOT: True,
                K.KNOB_MENU: t.menu,
                K.OBJECTIVE: t.objective or C.DEFAULT_OBJECTIVE,
                K.BASELINE: t.baseline,
                K.RUN_ID: t.run_id,
                K.TASK_ID: t.task_id,
                K.MODEL: t.model,
                K.START_NS: t.start_ns,
                K.END_NS: clock + 10,
                K.N_STEPS: len(t.steps),
                "n_iterations": n_iter,
                **t.extra,
            }
        )
    steps = pl.DataFrame(step_rows, schema=STEP_SCHEMA)
    trajectories = pl.DataFrame(traj_rows, schema=TRAJECTORY_SCHEMA)
    return steps, trajectories
