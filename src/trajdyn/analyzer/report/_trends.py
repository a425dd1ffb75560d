"""The ``trends`` report section: regression trends across sequential runs (docs/metrics/trends.md), one object per group.

key                     meaning
======================  ==================================================================================
``trends.group_by``     the grouping key (default ``model``; see :data:`trajdyn.analyzer.metrics.trends.GROUP_BY_KEYS`)
``trends.min_effect``   the practical effect gate in percentage points (default 2)
``trends.alpha``        the significance level (default 0.05)
``trends.simulations``  no-change AR(1) series per φ of the null tables (default 999)
``trends.seed``         the seed of the null tables and bootstrap resamples
``trends.per_task``     whether to analyse every task of a group too (default true)
======================  ==================================================================================
=======
Options: :class:`TrendsOptions` (set by ``trajdyn-analyze --group-by / --min-effect``).

The section is present when the inputs hold benchmark result files or at least two runs of one group of spans
(trajectories sharing ``trajdyn.run.id``); otherwise it is left out of the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from trajdyn.analyzer.report._escape import markdown_cell, markdown_code, markdown_text, terminal_text
from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    import polars as pl
    from rich.console import RenderableType

__all__ = ["TrendsOptions", "TrendsSection", "regressions"]

DEFAULT_GROUP_BY: Final = "model"
MAX_TASKS_SHOWN: Final = 10
_STYLE: Final = {
    "regression": "bold red",
    "improvement": "green",
    "stable": "",
    "drift": "yellow",
    "insufficient-data": "dim",
}


def regressions(report: Report) -> list[dict[str, Any]]:
    """The groups of the report's ``trends`` section whose verdict is ``regression`` (for ``--fail-on-regression``).

    Only a calibrated regression counts: ``drift`` (a change the noise is too persistent to separate from wander) and
    ``insufficient-data`` (too few runs) do not fail the command.
    """
    block = report.blocks.get(TrendsSection.name)
    if not isinstance(block, list):
        return []
    return [g for g in block if isinstance(g, dict) and g.get("verdict") == "regression"]


@dataclass(frozen=True, slots=True)
class TrendsOptions:
    """Options of the ``trends`` section (docs/metrics/trends.md).

    ``group_by``: the grouping key (``model``, ``agent``, ``task``, ``dir`` …; see
    :data:`trajdyn.analyzer.metrics.trends.GROUP_BY_KEYS`; aliases such as ``gen_ai.request.model`` are accepted);
    ``per_task``: analyse every task of a group too; ``min_effect``: the practical effect gate in percentage points;
    ``alpha``: the significance level; ``simulations``: no-change AR(1) series per φ of the null tables; ``seed``: of
    the null tables and bootstrap resamples. The defaults are those of :class:`trajdyn.analyzer.metrics.trends.Settings`.
    """

    group_by: str = DEFAULT_GROUP_BY
    per_task: bool = True
    min_effect: float = 2.0
    alpha: float = 0.05
    simulations: int = 999
    seed: int = 20140401

    def __post_init__(self) -> None:
        if not isinstance(self.group_by, str):
            raise ConfigurationError(f"expected trends option group_by to be a string, got {self.group_by!r}")
        if not isinstance(self.per_task, bool):
            raise ConfigurationError(f"expected trends option per_task to be true or false, got {self.per_task!r}")
        for name in ("min_effect", "alpha"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigurationError(f"expected trends option {name} to be a finite number, got {value!r}")
        for name in ("simulations", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigurationError(f"expected trends option {name} to be an integer, got {value!r}")

    def settings(self) -> Any:
        """The :class:`~trajdyn.analyzer.metrics.trends.Settings` of these options (its own checks apply)."""
        from trajdyn.analyzer.metrics.trends import Settings

        return Settings(
            min_effect=float(self.min_effect), alpha=float(self.alpha), simulations=self.simulations, seed=self.seed
        )


def _applies(records: pl.DataFrame, results: pl.DataFrame | None) -> bool:
    import polars as pl

    if results is not None and results.height:
        return True
    spans = records.filter(~pl.col("in_progress"))
    if spans.height == 0:
        return False
    most = spans.group_by("source", "group").agg(pl.col("run").n_unique().alias("n"))["n"].max()
    return isinstance(most, int) and most >= 2


def _compare(groups: list[dict[str, Any]], previous: Mapping[str, Any] | None) -> None:
    """Add ``compare`` (deltas against the previous report's matching group) to every group; None without one."""
    if previous is None:
        return
    old = previous.get(TrendsSection.name)
    index: dict[tuple[object, object, object], Mapping[str, Any]] = {}
    if isinstance(old, list):
        for g in old:
            if isinstance(g, Mapping):
                index[(g.get("source"), g.get("group_by"), g.get("group"))] = g
    for group in groups:
        match = index.get((group["source"], group["group_by"], group["group"]))
        runs_now = [r["run_id"] for r in group["runs"]]
        runs_then = {r.get("run_id") for r in match.get("runs") or [] if isinstance(r, Mapping)} if match else set()
        last_now = group["series"][-1] if group["series"] else None
        then_series = match.get("series") if match else None
        last_then = then_series[-1] if isinstance(then_series, list) and then_series else None
        delta = None
        if isinstance(last_now, int | float) and isinstance(last_then, int | float) and not isinstance(last_then, bool):
            delta = float(last_now) - float(last_then)
        group["compare"] = {
            "previous_generated_at": previous.get("generated_at"),
            "previous_verdict": match.get("verdict") if match else None,
            "previous_n_runs": match.get("n_runs") if match else 0,
            "new_runs": [r for r in runs_now if r not in runs_then],
            "last_score_delta": delta,
            "verdict_changed": None if match is None else match.get("verdict") != group["verdict"],
        }


def _pp(value: object, digits: int = 1) -> str:
    """A score difference in percentage points, signed."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value * 100:+.{digits}f} pp"


def _pct(value: object) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value * 100:.1f} %"


def _level(group: Mapping[str, Any], value: object) -> str:
    """A series value: a score in percent, a raw measurement with its unit."""
    unit = group.get("unit")
    return _pct(value) if unit is None else f"{fmt_num(value, 3)} {unit}"


def _change(group: Mapping[str, Any], value: object) -> str:
    """A series difference: in percentage points for a score, in the measurement's unit otherwise."""
    unit = group.get("unit")
    if unit is None:
        return _pp(value, 2)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value:+.3g} {unit}"


def _last_delta(group: Mapping[str, Any], value: object) -> str:
    """The ``--compare-to`` change of a group's last value: percentage points, or the measurement's unit."""
    return _pp(value) if group.get("unit") is None else _change(group, value)


def _effect(body: Mapping[str, Any], *, unit: object = None) -> str:
    """Δ [CI] of the evidence behind the verdict, else of the last run vs the previous one (marked ``last``): in
    percentage points for a score (``unit`` None), in the measurement's unit (``9.86e-07 [6.5e-07, 1.3e-06] seconds``)
    for a measured series."""
    relative = unit is not None
    delta, ci, tag = body.get("delta"), body.get("delta_ci"), ""
    if delta is None and body.get("last_vs_previous"):
        lvp = body["last_vs_previous"]
        delta, ci, tag = lvp["delta"], lvp["delta_ci"], " (last)"
    if delta is None:
        return "–"

    def f(v: object) -> str:
        return fmt_num(v, 3) if relative else _pp(v)

    band = f" [{f(ci[0])}, {f(ci[1])}]" if isinstance(ci, list) else ""
    return f"{f(delta)}{band}{f' {unit}' if relative else ''}{tag}"


def _label(group: Mapping[str, Any]) -> str:
    value = group["group"]
    name = "–" if value is None else str(value)
    return name if group["source"] == "spans" else f"{name} ({group['source']})"


def _notes(group: Mapping[str, Any]) -> str:
    notes: list[str] = []
    for metric in ("cost", "tokens"):
        body = group.get(metric)
        if isinstance(body, Mapping) and body.get("verdict") in ("regression", "improvement"):
            notes.append(f"{metric} {body['verdict']}")
    flagged = [t["task_id"] for t in group.get("tasks") or [] if t["verdict"] == "regression"]
    if flagged:
        notes.append(f"{len(flagged)} task regression(s)")
    if group.get("autocorrelated"):
        notes.append("autocorrelated")
    if group.get("warnings"):
        notes.append(f"{len(group['warnings'])} warning(s)")
    compare = group.get("compare")
    if isinstance(compare, Mapping):
        was = compare.get("previous_verdict") or "absent"
        notes.append(f"+{len(compare['new_runs'])} run(s) since, was {was}")
    return "; ".join(notes)


_HEADERS: Final = ("group", "runs", "score", "last", "Δ [95 % CI]", "p", "φ", "verdict", "notes")
_VERDICT_COLUMN: Final = 7


def _row(group: Mapping[str, Any]) -> tuple[str, ...]:
    series = group["series"] or []
    return (
        _label(group),
        str(group["n_runs"]),
        sparkline(series, width=40),
        _level(group, series[-1]) if series else "–",
        _effect(group, unit=group.get("unit")),
        fmt_num(group.get("p_value"), 2),
        fmt_num(group.get("phi"), 2),
        str(group["verdict"]),
        _notes(group),
    )


def _details(group: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("reason", str(group["reason"]))]
    unit = group.get("unit")
    for cp in group.get("change_points") or []:
        rows.append(
            (
                f"change at {cp['run']}",
                f"index {cp['index']}, p = {fmt_num(cp['p_value'], 3)}, median {_level(group, cp['before_median'])} → "
                f"{_level(group, cp['after_median'])}, Δ {_effect(cp, unit=unit)}",
            )
        )
    rows.append(("method", _method(group)))
    if group.get("p_trend_independent") is not None:
        rows.append(
            (
                "trend",
                f"Sen slope {_change(group, group['sen_slope'])}/run, slope t p = {fmt_num(group.get('p_trend'), 3)} "
                f"under AR(1) (p = {fmt_num(group['p_trend_independent'], 3)} if runs were independent; Mann–Kendall "
                f"τ = {fmt_num(group['mann_kendall_tau'], 3)}, p = {fmt_num(group['mann_kendall_p'], 3)})",
            )
        )
    lvp = group.get("last_vs_previous")
    if isinstance(lvp, Mapping):
        rows.append(
            (
                "last vs previous",
                f"{_effect({'delta': lvp['delta'], 'delta_ci': lvp['delta_ci']}, unit=unit)}, n = {lvp['n']}",
            )
        )
    rule = group.get("pinchbench_rule")
    if isinstance(rule, Mapping) and rule.get("slope_pct_per_run") is not None:
        rows.append(
            (
                "PinchBench rule",
                f"OLS {rule['slope_pct_per_run']:+.2f} %/run over {rule['runs']} runs "
                f"({'flagged' if rule['flagged'] else 'not flagged'} at {rule['threshold_pct_per_run']} %/run)",
            )
        )
    for metric in ("cost", "tokens"):
        body = group.get(metric)
        if isinstance(body, Mapping):
            rows.append(
                (
                    f"{metric} per task",
                    f"{sparkline(body['series'], width=30)} {body['verdict']}: {body['reason']}",
                )
            )
    compare = group.get("compare")
    if isinstance(compare, Mapping):
        rows.append((f"compared with {compare.get('previous_generated_at') or '?'}", _compare_text(compare, group)))
    for warning in group.get("warnings") or []:
        rows.append(("warning", str(warning)))
    tasks = [t for t in group.get("tasks") or [] if t["verdict"] in ("regression", "improvement")]
    for task in tasks[:MAX_TASKS_SHOWN]:
        rows.append(
            (
                f"task {task['task_id']}",
                f"{task['verdict']}: {_effect(task, unit=task.get('unit') or unit)} (q = {fmt_num(task['q_value'], 3)})",
            )
        )
    if len(tasks) > MAX_TASKS_SHOWN:
        rows.append(("tasks", f"… {len(tasks) - MAX_TASKS_SHOWN} more changed tasks (see the JSON report)"))
    return rows


_METHODS: Final = {
    "ar1-bootstrap": "max-t change point + trend t, AR(1) parametric-bootstrap null",
    "independent-runs": "too few runs to estimate φ: tests as if runs were independent, at most insufficient-data",
    "last-vs-previous": "last run vs the previous one, task by task",
}


def _method(group: Mapping[str, Any]) -> str:
    """The test behind the verdict and, for the series tests, the noise they allowed for."""
    method = group.get("method")
    text = _METHODS.get(str(method), str(method)) if method else "–"
    if group.get("phi") is None:
        return text
    nulls = ", ".join(
        f"{name} {fmt_num(group[key], 2)}"
        for name, key in (("step", "phi_null_step"), ("trend", "phi_null_trend"))
        if group.get(key) is not None
    )
    return f"{text}; φ = {fmt_num(group['phi'], 2)} ({group['phi_source']}), nulls at φ: {nulls}"


def _compare_text(compare: Mapping[str, Any], group: Mapping[str, Any]) -> str:
    """The ``--compare-to`` deltas of one group in a sentence: last score Δ, verdict then → now, new runs."""
    if not compare.get("previous_n_runs"):
        return "absent from the earlier report"
    new_runs = [str(r) for r in compare.get("new_runs") or []]
    shown = ", ".join(new_runs[:5]) + (f" … ({len(new_runs)} in all)" if len(new_runs) > 5 else "")
    return (
        f"last score {_last_delta(group, compare.get('last_score_delta'))}; verdict {compare.get('previous_verdict') or '–'} → "
        f"{group['verdict']}; {compare.get('previous_n_runs')} run(s) then, {len(new_runs)} new"
        + (f" ({shown})" if new_runs else "")
    )


_COMPARE_HEADERS: Final = ("group", "last", "Δ last score", "verdict then → now", "new runs")
_RUN_HEADERS: Final = ("run", "time", "score", "tasks", "cost", "tokens", "dir")
MAX_RUNS_SHOWN: Final = 20


def _compare_table(groups: list[dict[str, Any]]) -> RenderableType | None:
    """The terminal's table of ``--compare-to`` deltas (every group, detailed or not); None without a comparison."""
    from rich.table import Table

    compared = [g for g in groups if isinstance(g.get("compare"), Mapping)]
    if not compared:
        return None
    when = compared[0]["compare"].get("previous_generated_at") or "?"
    table = Table(title=terminal_text(f"Trends compared with the report of {when}"), expand=False)
    for i, h in enumerate(_COMPARE_HEADERS):
        table.add_column(h, justify="right" if i in (1, 2) else "left", overflow="fold")
    for g in compared:
        c = g["compare"]
        series = g["series"] or []
        new_runs = [str(r) for r in c.get("new_runs") or []]
        was = c.get("previous_verdict") if c.get("previous_n_runs") else "absent"
        table.add_row(
            terminal_text(_label(g)),
            terminal_text(_level(g, series[-1]) if series else "–"),
            terminal_text(_last_delta(g, c.get("last_score_delta"))),
            terminal_text(f"{was or '–'} → {g['verdict']}", style="bold" if c.get("verdict_changed") else ""),
            terminal_text(
                f"{len(new_runs)}"
                + (f": {', '.join(new_runs[:5])}" if new_runs else "")
                + (" …" if len(new_runs) > 5 else "")
            ),
        )
    return table


def _runs_table(group: Mapping[str, Any]) -> RenderableType | None:
    """The terminal's table of one group's latest runs and their scores (the numbers the sparkline draws)."""
    from rich.table import Table

    runs = [r for r in group.get("runs") or [] if isinstance(r, Mapping)]
    if not runs:
        return None
    shown = runs[-MAX_RUNS_SHOWN:]
    title = f"Runs — {_label(group)}" + (f" (last {len(shown)} of {len(runs)})" if len(runs) > len(shown) else "")
    table = Table(title=terminal_text(title), expand=False)
    for i, h in enumerate(_RUN_HEADERS):
        table.add_column(h, justify="right" if i in (2, 3, 4, 5) else "left", overflow="fold")
    for r in shown:
        table.add_row(
            terminal_text(r.get("run_id")),
            terminal_text(r.get("time") or "–"),
            terminal_text(_level(group, r.get("score"))),
            terminal_text(r.get("n_tasks") if r.get("n_tasks") is not None else "–"),
            terminal_text(fmt_num(r.get("cost"), 3)),
            terminal_text(fmt_num(r.get("tokens"), 3)),
            terminal_text(r.get("dir") or "–"),
        )
    return table


def _worth_detail(group: Mapping[str, Any]) -> bool:
    return group["verdict"] != "insufficient-data" or bool(group.get("warnings"))


class TrendsSection(ReportSection):
    """Regression trends across sequential runs (docs/metrics/trends.md); options :class:`TrendsOptions`."""

    name: ClassVar[str] = "trends"
    scope = "report"

    def options_types(self) -> tuple[type[Any], ...]:
        return (TrendsOptions,)

    def compute(self, ctx: ReportContext) -> SectionResult:
        import polars as pl

        from trajdyn.analyzer.metrics.trends import (
            records_from_results,
            records_from_trajectories,
            resolve_group_by,
            trends,
        )

        options = ctx.options.get(TrendsOptions)
        group_by, settings, per_task = (
            resolve_group_by(options.group_by or DEFAULT_GROUP_BY),
            options.settings(),
            options.per_task,
        )
        parts = [records_from_trajectories(ctx.trajectories, ctx.steps, group_by=group_by)]
        if ctx.results is not None:
            parts.append(records_from_results(ctx.results, group_by=group_by))
        records = pl.concat(parts, how="vertical")
        if not _applies(records, ctx.results):
            return SectionResult(block=None)
        groups = trends(records, settings=settings, per_task=per_task)
        _compare(groups, ctx.previous)
        block: list[JSONValue] = list(groups)
        return SectionResult(block=block)

    def _groups(self, report: Report) -> list[dict[str, Any]] | None:
        block = report.blocks.get(self.name)
        if not isinstance(block, list):
            return None
        return [g for g in block if isinstance(g, dict)]

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        groups = self._groups(report)
        if groups is None:
            return []
        by = groups[0]["group_by"] if groups else "–"
        lines = ["## Trends", "", f"{len(groups)} group(s) by {markdown_code(by)}.", ""]
        if not groups:
            return lines
        lines += ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join("---" for _ in _HEADERS) + "|"]
        lines += ["| " + " | ".join(markdown_cell(c) for c in _row(g)) + " |" for g in groups]
        lines.append("")
        shown = [g for g in groups if _worth_detail(g)]
        for group in shown[:max_detail]:
            lines += [f"### {markdown_text(_label(group), block_start=True)}", "", "| item | value |", "|---|---|"]
            lines += [f"| {markdown_cell(k)} | {markdown_cell(v)} |" for k, v in _details(group)]
            lines.append("")
        if len(shown) > max_detail:
            lines += [f"_{len(shown) - max_detail} more groups omitted from the detail (see the JSON report)._", ""]
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        groups = self._groups(report)
        if groups is None:
            return []
        if not groups:
            return ["[bold]Trends[/bold]: no runs."]
        narrow = width < 110
        keep = [0, 1, 2, 3, 4, _VERDICT_COLUMN] if narrow else list(range(len(_HEADERS)))  # the latest score always
        table = Table(title=terminal_text(f"Trends — {len(groups)} group(s) by {groups[0]['group_by']}"), expand=False)
        for i in keep:
            table.add_column(_HEADERS[i], justify="right" if i in (1, 3, 5, 6) else "left", overflow="fold")
        for group in groups:
            cells = _row(group)
            style = _STYLE.get(str(group["verdict"]), "")
            table.add_row(*(terminal_text(cells[i], style=style if i == _VERDICT_COLUMN else "") for i in keep))
        out: list[RenderableType] = [table]
        compared = _compare_table(groups)
        if compared is not None:
            out.append(compared)
        shown = [g for g in groups if _worth_detail(g)]
        for group in shown[:max_detail]:
            detail = Table(title=terminal_text(f"Trends — {_label(group)}"), show_header=False, expand=False)
            detail.add_column("item", style="bold", no_wrap=True)
            detail.add_column("value", overflow="fold")
            for k, v in _details(group):
                detail.add_row(terminal_text(k), terminal_text(v, style="yellow" if k == "warning" else ""))
            out.append(detail)
            runs = _runs_table(group)
            if runs is not None:
                out.append(runs)
        if len(shown) > max_detail:
            out.append(f"{len(shown) - max_detail} more groups omitted from the detail (use --json for all).")
        return out
