"""Records → one trend analysis per group (and per task within it): :func:`trends` (``docs/metrics/trends.md``)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import polars as pl

from trajdyn.analyzer.metrics.trends._records import (
    NO_GROUP,
    RESULT_GROUP_COLUMNS,
    SOURCE_SPANS,
    SPAN_GROUP_COLUMNS,
)
from trajdyn.analyzer.metrics.trends._series import (
    IMPROVEMENT,
    METHOD_AR1,
    REGRESSION,
    SERIES_KEYS,
    STABLE,
    Settings,
    analyze_series,
)
from trajdyn.analyzer.stats import Comparison, benjamini_hochberg, mean_difference, ols_slope

__all__ = ["GROUP_KEYS", "PINCHBENCH_THRESHOLD", "PINCHBENCH_WINDOW", "TASK_KEYS", "trends"]

PINCHBENCH_WINDOW: Final = 10
"""Runs the PinchBench RunTrendAnalyzer fits its OLS slope over (the last ones)."""
PINCHBENCH_THRESHOLD: Final = -0.5
"""Its regression threshold, in percentage points per run."""
MAX_LISTED: Final = 4

_SCORE_KEYS: Final = tuple(k for k in SERIES_KEYS if k not in ("n_runs", "verdict", "reason"))
GROUP_KEYS: Final = (
    "group",
    "group_by",
    "source",
    "verdict",
    "reason",
    "n_runs",
    "score_source",
    "runs",
    *_SCORE_KEYS,
    "pinchbench_rule",
    "cost",
    "tokens",
    "warnings",
    "compare",
    "tasks",
)
"""Keys of one group object of :func:`trends`, in order (the score analysis is flattened into it)."""
TASK_KEYS: Final = ("task_id", "verdict", "reason", "q_value", "n_runs", "runs", *_SCORE_KEYS)
"""Keys of one task object (``tasks`` of a group)."""


def _iso(seconds: float | None) -> str | None:
    if seconds is None or not np.isfinite(seconds):
        return None
    stamp = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
    return stamp.replace("+00:00", "Z")


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f", … ({len(values)} in all)" if len(values) > MAX_LISTED else "")


def _pairs(
    tasks: pl.DataFrame, records: pl.DataFrame, previous: str, last: str, column: str, s: Settings
) -> tuple[Comparison | None, str | None]:
    """Last run vs the previous one: per-task paired differences, else (too few shared tasks) the records unpaired."""
    a = tasks.filter(pl.col("run") == previous).select("task_id", pl.col(column).alias("_a"))
    b = tasks.filter(pl.col("run") == last).select("task_id", pl.col(column).alias("_b"))
    paired = a.join(b, on="task_id", how="inner", nulls_equal=True).drop_nulls(["_a", "_b"])
    if paired.height >= s.min_pairs:
        seed = s.seed + 1
        cmp = mean_difference(paired["_a"].to_numpy(), paired["_b"].to_numpy(), paired=True, seed=seed)
        return cmp, "paired-tasks"
    ra = records.filter(pl.col("run") == previous)[column].drop_nulls().to_numpy()
    rb = records.filter(pl.col("run") == last)[column].drop_nulls().to_numpy()
    if ra.size >= s.min_pairs and rb.size >= s.min_pairs:
        return mean_difference(ra, rb, paired=False, seed=s.seed + 2), "records"
    if paired.height:
        return mean_difference(paired["_a"].to_numpy(), paired["_b"].to_numpy(), paired=True, seed=s.seed + 1), (
            "paired-tasks"
        )
    if ra.size and rb.size:
        return mean_difference(ra, rb, paired=False, seed=s.seed + 2), "records"
    return None, None


def _metric(
    runs: pl.DataFrame,
    tasks: pl.DataFrame,
    records: pl.DataFrame,
    column: str,
    s: Settings,
    *,
    higher_is_better: bool,
    relative: bool,
) -> dict[str, Any] | None:
    """The series analysis of one run-level column (runs without a value are left out); None below 2 values."""
    known = runs.filter(pl.col(column).is_not_null())
    if known.height < (1 if column == "score" else 2):
        return None
    order = known["run"].to_list()
    cmp, how = (None, None)
    if known.height >= 2:
        cmp, how = _pairs(tasks, records, order[-2], order[-1], column, s)
    return analyze_series(
        known[column].to_numpy(),
        settings=s,
        higher_is_better=higher_is_better,
        relative=relative,
        last_vs_previous=cmp,
        comparison_method=how,
        labels=known["run_id"].to_list(),
    )


def _pinchbench_rule(series: list[float]) -> dict[str, Any]:
    window = series[-PINCHBENCH_WINDOW:]
    slope = ols_slope(np.asarray(window) * 100.0)
    return {
        "window": PINCHBENCH_WINDOW,
        "runs": len(window),
        "slope_pct_per_run": slope,
        "threshold_pct_per_run": PINCHBENCH_THRESHOLD,
        "flagged": None if slope is None else bool(slope < PINCHBENCH_THRESHOLD),
    }


def _warnings(
    source: str,
    group_by: str,
    records: pl.DataFrame,
    runs: pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    several_series: bool = False,
) -> list[str]:
    out: list[str] = []
    columns = SPAN_GROUP_COLUMNS if source == SOURCE_SPANS else RESULT_GROUP_COLUMNS
    if group_by != NO_GROUP and group_by not in columns:
        what = "spans" if source == SOURCE_SPANS else f"{source} result files"
        out.append(f"{what} have no {group_by!r}: all their runs are in one group")
    pending = records.filter(pl.col("in_progress"))
    if pending.height:
        paths = pending["path"].drop_nulls().unique(maintain_order=True).to_list()
        out.append(f"skipped {len(paths)} run(s) still in progress (in_progress: true): {_listing(paths)}")
    dirs = runs["dir"].drop_nulls().unique(maintain_order=True).to_list()
    if len(dirs) > 1:
        models = runs["group"].drop_nulls().unique().to_list() if group_by == "model" else []
        hint = f"a model name such as {models[0]!r} can stand for different LLMs; " if models else ""
        out.append(
            f"runs come from {len(dirs)} directories ({_listing(sorted(dirs))}): {hint}"
            "compare like with like (--group-by dir)"
        )
    versions = Counter(v for v in runs["benchmark_version"].to_list() if v is not None)
    if len(versions) > 1:
        listed = ", ".join(f"{v} ×{n}" for v, n in versions.most_common())
        out.append(f"runs mix {len(versions)} benchmark versions ({listed}): scores may not be comparable")
    if several_series:
        per_series = tasks.filter(pl.col("score").is_not_null()).group_by("task_id").agg(pl.col("run").n_unique())
        gaps = per_series.filter(pl.col("run") < runs.height).height
        if gaps:
            out.append(f"{gaps} of {per_series.height} series lack a value in some of the {runs.height} runs")
    elif runs.height > 1 and tasks.height:
        per_run = tasks.group_by("run").agg(pl.col("task_id").unique().alias("_set"))
        sets = [frozenset(s) for s in per_run["_set"].to_list()]
        union = frozenset().union(*sets)
        common = frozenset.intersection(*sets)
        if union != common:
            out.append(
                f"the task set changes across runs ({len(union)} tasks in all, {len(common)} in every run): "
                "run scores average different tasks"
            )
    dups = int(records["duplicates"].sum() or 0)
    if dups:
        out.append(f"averaged {dups} duplicate task entries (runs_per_task > 1 in older PinchBench versions)")
    missing_time = runs.filter(pl.col("time").is_null()).height
    if missing_time:
        out.append(f"{missing_time} run(s) have no timestamp: ordered last, by run id")
    return out


def _task_entries(
    runs: pl.DataFrame,
    tasks: pl.DataFrame,
    records: pl.DataFrame,
    s: Settings,
    *,
    higher_is_better: bool = True,
    relative: bool = False,
) -> list[dict[str, Any]]:
    """Per-task analyses of one group, verdicts gated by Benjamini–Hochberg over the group's tasks."""
    order = {run: k for k, run in enumerate(runs["run"].to_list())}
    labels = dict(zip(runs["run"].to_list(), runs["run_id"].to_list(), strict=True))
    known = tasks.filter(pl.col("score").is_not_null() & pl.col("run").is_in(list(order)))
    if known.height == 0:
        return []
    known = known.with_columns(pl.col("run").replace_strict(order, return_dtype=pl.Int64).alias("_k")).sort(
        ["task_id", "_k"], nulls_last=True
    )
    by_task = {key[0]: part for key, part in records.partition_by("task_id", as_dict=True).items()}
    entries: list[dict[str, Any]] = []
    for (task_id,), frame in known.group_by("task_id", maintain_order=True):
        task_runs = frame["run"].to_list()
        cmp, how = (None, None)
        if len(task_runs) >= 2:
            sub = by_task[task_id]
            a = sub.filter(pl.col("run") == task_runs[-2])["score"].drop_nulls().to_numpy()
            b = sub.filter(pl.col("run") == task_runs[-1])["score"].drop_nulls().to_numpy()
            if a.size and b.size:
                cmp, how = mean_difference(a, b, paired=False, seed=s.seed + 3), "records"
        body = analyze_series(
            frame["score"].to_numpy(),
            settings=s,
            higher_is_better=higher_is_better,
            relative=relative,
            last_vs_previous=cmp,
            comparison_method=how,
            labels=[labels[r] for r in task_runs],
        )
        entry: dict[str, Any] = {"task_id": task_id, "verdict": body["verdict"], "reason": body["reason"]}
        entry["q_value"] = None
        entry["n_runs"] = body["n_runs"]
        entry["runs"] = [labels[r] for r in task_runs]
        entry.update({k: body[k] for k in _SCORE_KEYS})
        entries.append(entry)
    _adjust(entries, s)
    return entries


def _candidate_p(entry: dict[str, Any]) -> float:
    if entry["p_value"] is not None:
        return float(entry["p_value"])
    ps = [cp["p_value"] for cp in entry["change_points"]]
    if entry["method"] == METHOD_AR1:
        ps += [p for p in (entry["p_step"], entry["p_trend"]) if p is not None]
    lvp = entry["last_vs_previous"]
    if entry["method"] == "last-vs-previous" and lvp is not None and lvp["p_value"] is not None:
        ps.append(lvp["p_value"])
    return float(min(ps)) if ps else float("nan")


def _adjust(entries: list[dict[str, Any]], s: Settings) -> None:
    """Benjamini–Hochberg over the tasks: a task keeps regression/improvement only when its q ≤ α."""
    q = benjamini_hochberg([_candidate_p(e) for e in entries])
    for entry, value in zip(entries, q, strict=True):
        entry["q_value"] = float(value) if np.isfinite(value) else None
        if entry["verdict"] in (REGRESSION, IMPROVEMENT) and not (np.isfinite(value) and value <= s.alpha):
            entry["verdict"] = STABLE
            entry["reason"] = (
                f"{entry['reason']}; not significant after the Benjamini–Hochberg correction over "
                f"{len(entries)} tasks (q = {value:.3g})"
            )


def _group(
    source: str, group_by: str, group: str | None, records: pl.DataFrame, s: Settings, per_task: bool
) -> dict[str, Any]:
    complete = records.filter(~pl.col("in_progress"))
    tasks = (
        complete.group_by(["run", "task_id"])
        .agg(pl.col("score").mean(), pl.col("cost").mean(), pl.col("tokens").mean(), pl.len().alias("n"))
        .sort(["run", "task_id"], nulls_last=True)  # a fixed order: the bootstraps below resample by position
    )
    runs = (
        complete.group_by("run")
        .agg(
            pl.col("run_id").first(),
            pl.col("group").first(),
            pl.col("time").min(),
            pl.col("score").mean(),
            pl.col("cost").mean(),
            pl.col("tokens").mean(),
            pl.col("task_id").n_unique().alias("n_tasks"),
            pl.len().alias("n_records"),
            pl.col("path").first(),
            pl.col("dir").first(),
            pl.col("benchmark_version").first(),
        )
        .sort(["time", "run_id", "run"], nulls_last=True)
    )
    score_sources = complete["score_source"].drop_nulls().unique().to_list()
    units = complete["unit"].drop_nulls().unique(maintain_order=True).to_list()
    directions = complete["higher_is_better"].drop_nulls().unique().to_list()
    higher = bool(directions[0]) if len(directions) == 1 else True
    measured = bool(units)
    several_series = measured and complete["task_id"].drop_nulls().n_unique() > 1
    if several_series:  # raw measurements of different benchmarks have no common score: each series is a task
        runs = runs.with_columns(pl.lit(None, pl.Float64).alias("score"))
    scored = runs.filter(pl.col("score").is_not_null())
    body = _metric(runs, tasks, complete, "score", s, higher_is_better=higher, relative=measured)
    if body is None:
        body = analyze_series([], settings=s)
        body["reason"] = "no run has a score (no reward, outcome or grading)" if runs.height else "no completed run"
    entry: dict[str, Any] = dict.fromkeys(GROUP_KEYS)
    entry.update(
        group=group,
        group_by=group_by,
        source=source,
        verdict=body["verdict"],
        reason=body["reason"],
        n_runs=runs.height,
        score_source=score_sources[0] if len(score_sources) == 1 else None,
        runs=[
            {
                "run_id": row["run_id"],
                "time": _iso(row["time"]),
                "score": row["score"],
                "n_tasks": row["n_tasks"],
                "n_records": row["n_records"],
                "cost": row["cost"],
                "tokens": row["tokens"],
                "path": row["path"],
                "dir": row["dir"],
                "benchmark_version": row["benchmark_version"],
            }
            for row in runs.iter_rows(named=True)
        ],
    )
    entry.update({k: body[k] for k in _SCORE_KEYS})
    entry["pinchbench_rule"] = (
        _pinchbench_rule(scored["score"].to_list()) if scored.height >= 2 and not measured else None
    )
    entry["cost"] = _metric(runs, tasks, complete, "cost", s, higher_is_better=False, relative=True)
    entry["tokens"] = _metric(runs, tasks, complete, "tokens", s, higher_is_better=False, relative=True)
    warnings = _warnings(source, group_by, records, runs, tasks, several_series=several_series)
    if body.get("autocorrelated"):
        warnings.append(
            f"runs are autocorrelated (φ = {body['phi']:.2f} ≥ {s.autocorrelation}, from the {body['phi_source']}): "
            "the tests allow for it, so a change must be larger or longer-lived to count"
        )
    entry["warnings"] = warnings
    enough = (runs.height if several_series else scored.height) >= 2
    entry["tasks"] = (
        _task_entries(runs, tasks, complete, s, higher_is_better=higher, relative=measured)
        if (per_task or several_series) and enough
        else []
    )
    if measured:
        entry["unit"] = units[0] if len(units) == 1 else ", ".join(str(u) for u in units)
        entry["higher_is_better"] = higher
        task_units = dict(
            complete.filter(pl.col("unit").is_not_null())
            .group_by("task_id", maintain_order=True)
            .agg(pl.col("unit").unique(maintain_order=True).str.join(", "))
            .iter_rows()
        )
        for task in entry["tasks"]:  # each series' own unit (the group's may list several)
            task["unit"] = task_units.get(task["task_id"])
    if several_series:
        _summarise_series(entry, complete["task_id"].drop_nulls().n_unique())
    return entry


def _summarise_series(entry: dict[str, Any], n_series: int) -> None:
    """The verdict of a group of several measured series (asv benchmarks …): the worst of its series' verdicts,
    after the Benjamini–Hochberg correction over the series (each series is a task of the group)."""
    counts = Counter(t["verdict"] for t in entry["tasks"])
    for verdict in (REGRESSION, IMPROVEMENT, STABLE):
        if counts[verdict]:
            entry["verdict"] = verdict
            break
    listed = ", ".join(f"{n} {v}" for v, n in counts.most_common())
    entry["reason"] = (
        f"{n_series} measured series ({entry['unit']}, {'higher' if entry['higher_is_better'] else 'lower'} is "
        f"better) have no common score: each is analysed as a task ({listed or 'none with 2 runs'}; "
        "Benjamini–Hochberg over the series); --group-by task gives one group per series"
    )


def trends(records: pl.DataFrame, *, settings: Settings | None = None, per_task: bool = True) -> list[dict[str, Any]]:
    """One trend analysis per (source, group) of a records frame (:data:`RECORD_SCHEMA`), in group order.

    A group's runs are ordered by time (then run id; runs without a time last); its score series is the runs'
    mean record score, its cost and tokens series the runs' mean cost and tokens per record (runs without them
    left out). Each series is analysed by :func:`analyze_series` (scores: absolute gate, higher is better; cost
    and tokens: relative gate, lower is better); ``last_vs_previous`` pairs the tasks of the last two runs.
    ``tasks``: the same analysis per task (its per-run mean score over the runs where it appears), the verdicts
    gated by the Benjamini–Hochberg correction over the group's tasks (``q_value`` ≤ α). ``pinchbench_rule``:
    the source tool's rule for comparison (OLS slope over the last 10 runs < −0.5 percentage points per run), not
    used for the verdict. ``warnings``: runs that mix directories, benchmark versions or task sets, runs still in
    progress, duplicate task entries, missing timestamps, autocorrelated runs. Returns :data:`GROUP_KEYS` objects.
    """
    s = settings or Settings()
    if records.height == 0:
        return []
    out: list[dict[str, Any]] = []
    keys = records.select("source", "group_by", "group").unique().sort(["source", "group_by", "group"], nulls_last=True)
    for source, group_by, group in keys.iter_rows():
        subset = records.filter(
            (pl.col("source") == source)
            & (pl.col("group_by") == group_by)
            & (pl.col("group").is_null() if group is None else pl.col("group") == group)
        )
        out.append(_group(source, group_by, group, subset, s, per_task))
    return out
