"""Per-run numbers reweighted to a target task mix (docs/metrics/fusion.md; METHODS §3; ClawBench stages 1 and 3).

:func:`fusion_units` turns the inputs into one row per unit (a trajectory, or a task of a benchmark run) with its
group (model and run), task, category, text and the numbers to fuse; :func:`assign_strata` gives every task a
stratum (its category, else a task cluster); :func:`fuse_groups` averages each task's trials into one value (tasks,
not trials, are the units) and fuses every number of every group with :func:`trajdyn.analyzer.stats.fuse`.

Numbers fused (each where the inputs have it): from spans, ``reward`` (binary when every value is 0 or 1, bounded
when in [0, 1], else continuous), ``tokens`` (input + output), and from the sections computed before fusion
``turns``, ``looping`` (a loop detected), ``regime=<r>`` (one indicator per regime seen), ``action_entropy``,
``lz_complexity``, ``drift_final`` (dynamics), ``knob_coverage``, ``repeat_rate``, ``improvement`` (exploration);
from benchmark result files, ``score`` (bounded), ``cost`` and ``tokens``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.fusion._clusters import choose_k, nearest
from trajdyn.analyzer.metrics.fusion._profile import TargetProfile
from trajdyn.analyzer.stats import FUSION_DRAWS, central_levels, fuse
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from trajdyn.analyzer.embeddings import Embedder

__all__ = [
    "UNCATEGORISED",
    "FusionSettings",
    "Strata",
    "assign_strata",
    "fuse_groups",
    "fusion_units",
    "natural_key",
]

Kind = Literal["binary", "bounded", "continuous", "auto"]
UNCATEGORISED: Final = "(uncategorised)"
"""The stratum of a task without a category when other tasks have one."""


@dataclass(frozen=True, slots=True)
class FusionSettings:
    """``k``: the number of task clusters (``None``: by silhouette); ``seed`` of the clustering and the intervals;
    ``draws``: Jeffreys draws / bootstrap resamples; ``confidence`` of the intervals."""

    k: int | None = None
    seed: int = 0
    draws: int = FUSION_DRAWS
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    kind: Kind
    get: Callable[[Mapping[str, Any]], object]


def _path(*keys: str) -> Callable[[Mapping[str, Any]], object]:
    def get(block: Mapping[str, Any]) -> object:
        value: object = block
        for key in keys:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return get


_DYNAMICS: Final = (
    _Spec("turns", "continuous", _path("turns")),
    _Spec("looping", "binary", _path("loop", "detected")),
    _Spec("action_entropy", "continuous", _path("action_entropy")),
    _Spec("lz_complexity", "continuous", _path("lz_complexity")),
    _Spec("drift_final", "continuous", _path("drift", "final")),
)
_EXPLORATION: Final = (
    _Spec("knob_coverage", "bounded", _path("knob_coverage")),
    _Spec("repeat_rate", "bounded", _path("repeat_rate")),
    _Spec("improvement", "continuous", _path("improvement")),
)
_KINDS: Final[dict[str, Kind]] = {
    "reward": "auto",
    "tokens": "continuous",
    "score": "bounded",
    "cost": "continuous",
    **{s.name: s.kind for s in (*_DYNAMICS, *_EXPLORATION)},
}


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``task_9`` before ``task_10`` (digit runs as numbers)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and np.isfinite(value):
        return float(value)
    return None


def fusion_units(
    trajectories: pl.DataFrame,
    steps: pl.DataFrame,
    computed: Mapping[str, Mapping[str, Mapping[str, Any]]],
    results: pl.DataFrame | None,
) -> list[dict[str, Any]]:
    """One dict per unit: ``source`` (spans/results), ``model``, ``run``, ``dir``, ``task``, ``category``, ``text``,
    ``actions`` (the trajectory's actions, for clustering without text) and ``values`` (name → number)."""
    units: list[dict[str, Any]] = []
    if trajectories.height:
        actions: dict[str, list[str]] = {}
        if steps.height and K.ACTION in steps.columns:
            grouped = (
                steps.filter(pl.col(K.ACTION).is_not_null())
                .group_by(K.TRAJECTORY_ID, maintain_order=True)
                .agg(pl.col(K.ACTION))
            )
            actions = dict(zip(grouped[K.TRAJECTORY_ID].to_list(), grouped[K.ACTION].to_list(), strict=True))
        dynamics = computed.get("dynamics", {})
        exploration = computed.get("exploration", {})
        cols = [K.TRAJECTORY_ID, K.TASK_ID, K.TASK_CATEGORY, K.TASK_TEXT, K.MODEL, K.RUN_ID, K.REWARD]
        cols += [K.INPUT_TOKENS, K.OUTPUT_TOKENS]
        frame = trajectories.select(cols).sort(K.TRAJECTORY_ID)
        for row in frame.iter_rows(named=True):
            tid = str(row[K.TRAJECTORY_ID])
            values: dict[str, float | None] = {"reward": _number(row[K.REWARD])}
            tokens = [row[c] for c in (K.INPUT_TOKENS, K.OUTPUT_TOKENS) if row[c] is not None]
            values["tokens"] = float(sum(tokens)) if tokens else None
            dyn = dynamics.get(tid) or {}
            for spec in _DYNAMICS:
                values[spec.name] = _number(spec.get(dyn))
            regime = dyn.get("regime")
            if isinstance(regime, str):
                values[f"regime={regime}"] = 1.0
            exp = exploration.get(tid) or {}
            for spec in _EXPLORATION:
                values[spec.name] = _number(spec.get(exp))
            units.append(
                {
                    "source": "spans",
                    "model": row[K.MODEL],
                    "run": row[K.RUN_ID],
                    "dir": None,
                    "task": str(row[K.TASK_ID]) if row[K.TASK_ID] is not None else tid,
                    "category": row[K.TASK_CATEGORY],
                    "text": row[K.TASK_TEXT],
                    "actions": actions.get(row[K.TRAJECTORY_ID], []),
                    "has_regime": isinstance(regime, str),
                    "values": values,
                }
            )
    if results is not None and results.height:
        frame = results.filter(~pl.col("in_progress") & pl.col("task_id").is_not_null())
        for row in frame.sort("path", "task_id").iter_rows(named=True):
            units.append(
                {
                    "source": "results",
                    "model": row["model"],
                    "run": row["run_id"],
                    "dir": row["dir"],
                    "task": str(row["task_id"]),
                    "category": row.get("category"),
                    "text": None,
                    "actions": [],
                    "has_regime": False,
                    "values": {k: _number(row[k]) for k in ("score", "cost", "tokens")},
                }
            )
    # a regime indicator is 0 (not absent) for a trajectory whose regime is another one
    regimes = sorted({k for u in units for k in u["values"] if k.startswith("regime=")})
    for unit in units:
        if unit.pop("has_regime"):
            for name in regimes:
                unit["values"].setdefault(name, 0.0)
    return units


@dataclass(frozen=True, slots=True)
class Strata:
    """Every task's stratum, how they were formed, the stratum names (profile order first) and target shares."""

    by_task: dict[str, str]
    basis: str
    names: list[str]
    target: dict[str, float] | None
    clustering: dict[str, Any] | None


def _task_texts(units: Sequence[Mapping[str, Any]], tasks: list[str]) -> tuple[list[str], str]:
    texts: dict[str, str] = {}
    for unit in units:
        if unit["text"] and unit["task"] not in texts:
            texts[unit["task"]] = str(unit["text"])
    if texts and len(texts) == len(tasks):
        return [texts[t] for t in tasks], "task texts"
    profiles: dict[str, list[str]] = {}
    for unit in units:
        profiles.setdefault(unit["task"], []).extend(str(a) for a in unit["actions"])
    if any(profiles.get(t) for t in tasks):
        return [texts.get(t) or f"{t} " + " ".join(profiles.get(t, [])) for t in tasks], "task ids and action profiles"
    return [texts.get(t) or t for t in tasks], "task ids"


def _dense(matrix: Any) -> npt.NDArray[np.float64]:
    """An embedder's output (numpy or scipy CSR) as a dense float64 array."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=np.float64)


def assign_strata(
    units: Sequence[Mapping[str, Any]], profile: TargetProfile, embedder: Embedder, settings: FusionSettings
) -> Strata:
    """The stratum of every task: its category when any task has one (others: :data:`UNCATEGORISED`), else a task
    cluster; plus the target shares of the strata (``None`` for a profile by task)."""
    tasks = sorted({str(u["task"]) for u in units}, key=natural_key)
    categories: dict[str, str] = {}
    for unit in units:
        if isinstance(unit["category"], str) and unit["category"].strip():
            categories.setdefault(unit["task"], unit["category"])
    clustering: dict[str, Any] | None = None
    if categories:
        by_task = {t: categories.get(t, UNCATEGORISED) for t in tasks}
        basis = "category"
        if profile.kind == "texts":
            raise ConfigurationError(
                f"{profile.source}: texts: example texts are assigned to task clusters, but these tasks have "
                "categories: give the target as strata shares (or weights by task id)"
            )
        centroids = None
    else:
        texts, what = _task_texts(units, tasks)
        rows = _dense(embedder.embed(texts))
        fit = choose_k(rows, k=settings.k, seed=settings.seed)
        by_task = {t: f"cluster-{int(c) + 1}" for t, c in zip(tasks, fit.labels.tolist(), strict=True)}
        basis = f"clusters of {what}"
        centroids = fit.centroids
        clustering = {
            "method": "k-means (k-means++ seeds, best of 8) on unit-length embeddings",
            "embedder": embedder.model_id,
            "basis": what,
            "k": fit.k,
            "k_given": settings.k is not None,
            "criterion": "given" if settings.k is not None else "largest mean silhouette, k = 2..8",
            "silhouette": {str(k): v for k, v in fit.silhouettes.items()},
            "seed": settings.seed,
        }
    present = sorted(set(by_task.values()))
    target: dict[str, float] | None
    if profile.kind == "strata":
        target = profile.as_dict()
    elif profile.kind == "texts":
        assert centroids is not None
        examples = _dense(embedder.embed(list(profile.texts)))
        near = nearest(examples, centroids)
        counts = np.bincount(near, minlength=centroids.shape[0])
        target = {f"cluster-{j + 1}": float(c) / len(profile.texts) for j, c in enumerate(counts.tolist()) if c}
        assert clustering is not None
        clustering["target_examples"] = {f"cluster-{j + 1}": int(c) for j, c in enumerate(counts.tolist())}
    else:
        target = None
    names = [*(target or {}), *(s for s in present if s not in (target or {}))]
    return Strata(by_task, basis, names, target, clustering)


def _kind_of(name: str, values: Sequence[float]) -> Literal["binary", "bounded", "continuous"]:
    declared = _KINDS.get(name, "binary" if name.startswith("regime=") else "continuous")
    if declared != "auto":
        if declared != "continuous" and any(not 0.0 <= v <= 1.0 for v in values):
            return "continuous"
        return declared
    if all(v in (0.0, 1.0) for v in values):
        return "binary"
    return "bounded" if all(0.0 <= v <= 1.0 for v in values) else "continuous"


def _group_key(unit: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(unit["source"]), str(unit["model"] or ""), str(unit["run"] or ""), str(unit["dir"] or ""))


def _split_runs(units: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str, str], list[Mapping[str, Any]]]:
    """Units by (source, model, run, dir); spans of a model are one group when the model has a single run."""
    runs: dict[tuple[str, str], set[str]] = {}
    for unit in units:
        runs.setdefault((str(unit["source"]), str(unit["model"] or "")), set()).add(str(unit["run"] or ""))
    groups: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = {}
    for unit in units:
        key = _group_key(unit)
        if unit["source"] == "spans" and len(runs[(key[0], key[1])]) == 1:
            key = (key[0], key[1], "", "")
        groups.setdefault(key, []).append(unit)
    return groups


def _fuse_metric(
    name: str,
    group: Sequence[Mapping[str, Any]],
    strata: Strata,
    profile: TargetProfile,
    settings: FusionSettings,
) -> dict[str, Any] | None:
    per_task: dict[str, list[float]] = {}
    for unit in group:
        value = unit["values"].get(name)
        if value is not None:
            per_task.setdefault(str(unit["task"]), []).append(float(value))
    if not per_task:
        return None
    tasks = sorted(per_task, key=natural_key)
    trial_values = [v for t in tasks for v in per_task[t]]
    kind = _kind_of(name, trial_values)
    # fsum: a task's mean does not depend on the order of its trials (to the last bit)
    values = np.array([math.fsum(per_task[t]) / len(per_task[t]) for t in tasks])
    code = {s: i for i, s in enumerate(strata.names)}
    codes = np.array([code[strata.by_task[t]] for t in tasks], dtype=np.int64)
    levels = central_levels(settings.confidence)
    common: dict[str, Any] = {"k": len(strata.names), "kind": kind, "levels": levels, "draws": settings.draws}
    uncovered_tasks: list[str] = []
    if strata.target is not None:
        target = np.array([strata.target.get(s, 0.0) for s in strata.names])
        fused = fuse(values, codes, stratum_target=target, seed=settings.seed, **common)
    else:
        shares = profile.as_dict()
        mass = np.array([shares.get(t, 0.0) for t in tasks])
        uncovered_tasks = [t for t in shares if t not in per_task and shares[t] > 0]
        fused = fuse(values, codes, task_mass=mass, seed=settings.seed, **common)
    n = fused.n
    table = []
    for i, stratum in enumerate(strata.names):
        n_s, p_s = int(fused.counts[i]), float(fused.target[i])
        if n_s == 0 and p_s == 0:
            continue
        table.append(
            {
                "stratum": stratum,
                "target_share": p_s,
                "benchmark_share": n_s / n,
                "weight": float(fused.weights[i]) if n_s else None,
                "n": n_s,
                "mean": float(fused.means[i]) if n_s else None,
            }
        )
    uncovered = [{"stratum": r["stratum"], "target_share": r["target_share"]} for r in table if r["n"] == 0]
    if uncovered_tasks:
        shares = profile.as_dict()
        uncovered += [{"task": t, "target_share": shares[t]} for t in uncovered_tasks]
    return {
        "metric": name,
        "kind": kind,
        "n": n,
        "n_trials": len(trial_values),
        "benchmark_mean": fused.benchmark_mean,
        "reweighted_mean": fused.reweighted_mean,
        "ci": list(fused.ci) if fused.ci is not None else None,
        "ci_method": fused.ci_method,
        "se": fused.se,
        "ess": fused.ess,
        "max_weight_share": fused.max_weight_share,
        "covered_mass": fused.covered_mass,
        "uncovered_strata": uncovered,
        "untargeted_strata": [{"stratum": r["stratum"], "n": r["n"]} for r in table if r["target_share"] == 0],
        "bounds": list(fused.bounds) if fused.bounds is not None else None,
        "bounds_ci": list(fused.bounds_ci) if fused.bounds_ci is not None else None,
        "strata": table,
    }


def fuse_groups(
    units: Sequence[Mapping[str, Any]], strata: Strata, profile: TargetProfile, settings: FusionSettings
) -> list[dict[str, Any]]:
    """Every group's fused numbers: ``source``, ``model``, ``run``, ``dir``, ``n_tasks``, ``n_units`` and
    ``metrics`` (one object per number, in a fixed order)."""
    order = [*_KINDS]
    out: list[dict[str, Any]] = []
    for (source, model, run, directory), group in sorted(_split_runs(units).items()):
        names = {k for u in group for k, v in u["values"].items() if v is not None}
        ranked = sorted(names, key=lambda m: (order.index(m) if m in order else len(order), m))
        metrics = [m for m in (_fuse_metric(name, group, strata, profile, settings) for name in ranked) if m]
        out.append(
            {
                "source": source,
                "model": model or None,
                "run": run or None,
                "dir": directory or None,
                "n_tasks": len({u["task"] for u in group}),
                "n_units": len(group),
                "metrics": metrics,
            }
        )
    return out
