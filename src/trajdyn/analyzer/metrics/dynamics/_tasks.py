"""Per task: each group's divergence with its outcomes, regimes and ClawBench C(q); and the summary across tasks.

A *group* is one task under one agent and model (:mod:`._divergence`). Besides the group's divergence, its row of the
per-task frame (:data:`TASK_SCHEMA`) holds ``pass^k`` per prompt variant when the rewards are binary (Yao et al.
2024, τ-bench: ``C(c, k) / C(n, k)`` for c successes in n runs, :func:`pass_hat_k`), the regimes of its trajectories
and the C(q) of its task (:mod:`._clawbench`).

Across groups (:class:`SensitivitySummary`): the mean of the per-group Δλ and of λ_replicate with a percentile
bootstrap CI that resamples groups (:func:`._divergence.bootstrap_mean`), and pass^k = the mean over the
(group, variant) cells with at least k runs (the τ-bench leaderboard number). Definitions mirrored in
``docs/metrics/dynamics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._clawbench import cq_scores
from trajdyn.analyzer.metrics.dynamics._divergence import GroupDivergence, bootstrap_mean, is_success, pass_hat_k
from trajdyn.analyzer.metrics.dynamics._regime import REGIMES
from trajdyn.analyzer.metrics.dynamics._schema import TASK_SCHEMA

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["GROUP", "PassK", "SensitivitySummary", "TaskGroup", "TaskInput", "sensitivity"]

GROUP: Final = "group"
"""Column of the task a trajectory belongs to: its perturbation group, else its task id, else itself."""


@dataclass(frozen=True, slots=True)
class TaskGroup:
    """One group's divergence and who is in it: ``members`` are positions in the trajectory order of
    :class:`TaskInput`, ``variants`` their prompt variants; ``basis`` and ``centred`` as in :mod:`._drift`."""

    members: npt.NDArray[np.int64]
    variants: list[str]
    divergence: GroupDivergence
    basis: str
    centred: bool


@dataclass(frozen=True, slots=True)
class TaskInput:
    """What the per-task numbers are computed from.

    ``meta``: one row per trajectory (all of them, with or without turns) with trajectory_id, ``group``, task_id,
    model, agent, variant, reward, outcome and the group key column named ``gid``; ``groups``: each group's
    divergence, in group order; ``regimes``: every trajectory's regime; ``trajectory_ids``: the trajectories with
    turns, in the order of ``run_vectors`` (their normalised mean turn vectors) and of the groups' ``members``.
    """

    meta: pl.DataFrame
    gid: str
    groups: Sequence[TaskGroup]
    regimes: Mapping[str, str]
    trajectory_ids: Sequence[str]
    run_vectors: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PassK:
    """pass^k across tasks: the mean over the ``cells`` (group, variant) with at least k runs."""

    k: int
    value: float
    cells: int


@dataclass(frozen=True, slots=True)
class SensitivitySummary:
    """The per-task numbers across tasks (module docstring).

    ``replicate_lambda`` / ``delta_lambda``: ``{mean, ci, n, too_little_data}`` of λ_replicate and Δλ over the
    groups that have one; ``regimes``: trajectories per regime (regimes without any left out).
    """

    groups: int
    with_replicates: int
    with_perturbation: int
    replicate_lambda: Mapping[str, Any]
    delta_lambda: Mapping[str, Any]
    pass_k: tuple[PassK, ...]
    regimes: Mapping[str, int]


def regime_counts(regimes: Sequence[str | None]) -> list[tuple[str, int]]:
    """``(regime, trajectories)`` in :data:`REGIMES` order, regimes without trajectories left out."""
    return [(r, n) for r in REGIMES if (n := sum(1 for x in regimes if x == r))]


def sensitivity(data: TaskInput, *, seed: int) -> tuple[pl.DataFrame, SensitivitySummary]:
    """The per-task frame (:data:`TASK_SCHEMA`, in group order) and the summary across tasks."""
    tid = K.TRAJECTORY_ID
    meta = data.meta
    ids = meta[tid].to_list()
    names = (GROUP, K.TASK_ID, K.MODEL, K.AGENT, K.VARIANT, K.REWARD, K.OUTCOME, data.gid)
    column = {name: dict(zip(ids, meta[name].to_list(), strict=True)) for name in names}
    position = {key: i for i, key in enumerate(data.trajectory_ids)}
    # every trajectory of a group, turns or not, in meta order
    by_gid: dict[str, list[str]] = {}
    for key, gid in zip(ids, meta[data.gid].to_list(), strict=True):
        by_gid.setdefault(gid, []).append(key)
    finite = [r for r in column[K.REWARD].values() if r is not None and math.isfinite(r)]
    binary = not finite or all(r in (0.0, 1.0) for r in finite)
    heads = [data.trajectory_ids[int(group.members[0])] for group in data.groups]
    task_members: dict[str, list[str]] = {}
    for head in heads:
        members = [k for k in by_gid.get(column[data.gid][head], []) if k in position]
        task_members.setdefault(str(column[GROUP][head]), []).extend(members)
    tasks = list(task_members)
    cq = cq_scores(
        tasks,
        [data.run_vectors[[position[k] for k in m]] if m else np.zeros((0, 1)) for m in task_members.values()],
        [[column[K.MODEL][k] for k in m] for m in task_members.values()],
    )
    rows: list[dict[str, Any]] = []
    pass_cells: list[list[float]] = []
    for group, head in zip(data.groups, heads, strict=True):
        everyone = by_gid.get(column[data.gid][head], [])
        cells = []
        if binary:
            by_variant: dict[str, list[bool]] = {}
            for key in everyone:
                ok = is_success(column[K.REWARD][key], column[K.OUTCOME][key])
                if ok is not None:
                    by_variant.setdefault(str(column[K.VARIANT][key]), []).append(ok)
            for variant, results in sorted(by_variant.items()):
                values = pass_hat_k(sum(results), len(results))
                cells.append({"variant": variant, "runs": len(results), "successes": sum(results), "pass_k": values})
                pass_cells.append(values)
        d = group.divergence
        rows.append(
            {
                GROUP: column[GROUP][head],
                K.TASK_ID: column[K.TASK_ID][head],
                K.MODEL: column[K.MODEL][head],
                K.AGENT: column[K.AGENT][head],
                "trajectories": len(group.members),
                "variants": [{"variant": x, "runs": group.variants.count(x)} for x in sorted(set(group.variants))],
                "basis": group.basis,
                "centred": group.centred,
                "noise_floor": d.noise_floor,
                "saturation_angle": d.saturation_angle,
                "replicates": d.replicate,
                "perturbation": d.perturbation,
                "outcomes": cells or None,
                "regimes": [
                    {"regime": r, "trajectories": n}
                    for r, n in regime_counts([data.regimes[k] for k in everyone if k in data.regimes])
                ],
                "clawbench": cq.get(str(column[GROUP][head])),
            }
        )
    top_k = max((len(c) for c in pass_cells), default=0)
    summary = SensitivitySummary(
        groups=len(rows),
        with_replicates=sum(1 for r in rows if (r["replicates"] or {}).get("pairs")),
        with_perturbation=sum(1 for r in rows if r["perturbation"] is not None),
        replicate_lambda=bootstrap_mean([g.divergence.replicate_lambda for g in data.groups], seed=seed),
        delta_lambda=bootstrap_mean([g.divergence.delta_lambda for g in data.groups], seed=seed),
        pass_k=tuple(
            PassK(
                k,
                float(np.mean([c[k - 1] for c in pass_cells if len(c) >= k])),
                sum(1 for c in pass_cells if len(c) >= k),
            )
            for k in range(1, top_k + 1)
        ),
        regimes=dict(regime_counts(list(data.regimes.values()))),
    )
    return pl.DataFrame(rows, schema=TASK_SCHEMA), summary
