"""The ``exploration`` report section: :func:`trajdyn.analyzer.metrics.exploration` per trajectory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._format import fmt_num, fmt_pct, fmt_value
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, SectionResult
from trajdyn.analyzer.report._section import ReportSection
from trajdyn.analyzer.report._sparkline import sparkline

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["ExplorationSection"]


def _rates(block: dict[str, Any]) -> list[float | None]:
    return [w["rate"] for w in block["windows_repeat_rate"]]


def _pairs(pairs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['knob']}={fmt_value(p['value'])}×{p['n']}" for p in pairs) or "–"


def _label(entry: dict[str, JSONValue]) -> str:
    parts = [str(entry[k]) for k in (K.TASK_ID, K.MODEL, K.RUN_ID) if entry.get(k) is not None]
    return f"{entry[K.TRAJECTORY_ID]}" + (f" ({', '.join(parts)})" if parts else "")


def _details(block: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows of one trajectory's detail view."""
    coverage = (
        f"{block['knobs_touched']} of {block['knobs_total']} knobs ({fmt_pct(block['knob_coverage'], 1)})"
        if block["knobs_total"] is not None
        else f"{block['knobs_touched']} knobs (no menu)"
    )
    best = (
        f"{fmt_num(block['best_value'], 6)} at iteration {block['best_iteration']} "
        f"({block['best_pair']['knob']}={fmt_value(block['best_pair']['value'])})"
        if block["best_iteration"] is not None
        else "–"
    )
    rates = _rates(block)
    rows = [
        ("iterations", str(block["iterations"])),
        ("coverage", coverage),
        ("untouched", ", ".join(block["knobs_untouched"]) if block["knobs_untouched"] else "–"),
        ("knob counts", ", ".join(f"{k}×{n}" for k, n in block["knob_counts"].items()) or "–"),
        ("unique pairs", str(block["unique_pairs"])),
        ("repeats", f"{block['repeat_count']} ({fmt_num(block['repeat_rate'], 3)})"),
        (
            "repeat rate / window",
            f"{sparkline(rates, lo=0.0, hi=1.0, width=60)}  {' '.join(fmt_num(r, 2) for r in rates[:30])}"
            + (" …" if len(rates) > 30 else ""),
        ),
        ("top pairs", _pairs(block["top_pairs"])),
        ("keeps", f"{block['keep_count']} at {block['keep_iterations']}" if block["keep_count"] else "0"),
        ("kept pairs", _pairs(block["keep_pair_counts"])),
        ("best", best),
        ("baseline", fmt_num(block["baseline_value"], 6)),
        ("improvement", fmt_pct(block["improvement"])),
        ("cumulative best", sparkline(block["running_best"], width=60)),
        ("novelty (Good–Turing)", fmt_num(block["novelty_good_turing"], 3)),
        ("Chao1 pairs", fmt_num(block["chao1"], 4)),
        ("noise floor", fmt_num(block["noise_floor"], 3)),
        ("keeps within noise", fmt_num(block["keeps_within_noise"])),
        ("longest plateau", str(block["longest_plateau"])),
        ("since improvement", str(block["since_improvement"])),
    ]
    return rows


_SUMMARY_HEADERS = (
    "trajectory",
    "iters",
    "coverage",
    "pairs",
    "repeat",
    "keeps",
    "best",
    "improv.",
    "plateau",
    "repeats",
)


def _summary_row(entry: dict[str, JSONValue], block: dict[str, Any]) -> tuple[str, ...]:
    return (
        _label(entry),
        str(block["iterations"]),
        fmt_pct(block["knob_coverage"], 0),
        str(block["unique_pairs"]),
        fmt_num(block["repeat_rate"], 2),
        str(block["keep_count"]),
        fmt_num(block["best_value"], 5),
        fmt_pct(block["improvement"]),
        str(block["longest_plateau"]),
        sparkline(_rates(block), lo=0.0, hi=1.0, width=20),
    )


def _no_spans(report: Report) -> bool:
    """Whether no input held spans (e.g. only benchmark result files): the section then says nothing."""
    return bool(report.inputs) and all(i.get("spans") == 0 for i in report.inputs)


class ExplorationSection(ReportSection):
    """Per-trajectory exploration coverage (METHODS §1); options ``window``, ``eta``, ``top``."""

    name: ClassVar[str] = "exploration"

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.metrics import exploration

        frame = exploration(
            ctx.steps, ctx.trajectories, window=ctx.options.window, eta=ctx.options.eta, top=ctx.options.top
        )
        out: dict[str, dict[str, JSONValue]] = {}
        for row in frame.iter_rows(named=True):
            tid = row.pop(K.TRAJECTORY_ID)
            row["knob_counts"] = {c["knob"]: c["n"] for c in row["knob_counts"]}
            out[str(tid)] = row  # made JSON-ready (NaN → null) once, by the report builder
        return SectionResult(per_trajectory=out)

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        rows = report.section(self.name)
        lines = ["## Exploration", ""]
        if not rows:
            return [] if _no_spans(report) else [*lines, "No trajectories.", ""]
        if len(rows) > 1:
            lines += [
                "| " + " | ".join(_SUMMARY_HEADERS) + " |",
                "|" + "|".join("---" for _ in _SUMMARY_HEADERS) + "|",
            ]
            lines += ["| " + " | ".join(_md(c) for c in _summary_row(e, _obj(b))) + " |" for e, b in rows]
            lines.append("")
        for entry, block in rows[:max_detail]:
            lines += [f"### {_md(_label(entry))}", "", "| metric | value |", "|---|---|"]
            lines += [f"| {label} | {_md(text)} |" for label, text in _details(_obj(block))]
            lines.append("")
        if len(rows) > max_detail:
            lines += [
                f"_{len(rows) - max_detail} more trajectories omitted from the detail (see the JSON report)._",
                "",
            ]
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        rows = report.section(self.name)
        out: list[RenderableType] = []
        if not rows:
            return [] if _no_spans(report) else ["[bold]Exploration[/bold]: no trajectories."]
        if len(rows) > 1:
            narrow = width < 100
            keep = [0, 1, 2, 4, 5, 7, 9] if narrow else list(range(len(_SUMMARY_HEADERS)))
            table = Table(title=f"Exploration — {len(rows)} trajectories", expand=False)
            for i in keep:
                table.add_column(_SUMMARY_HEADERS[i], justify="left" if i in (0, 9) else "right", overflow="fold")
            for entry, block in rows:
                cells = _summary_row(entry, _obj(block))
                table.add_row(*(cells[i] for i in keep))
            out.append(table)
        for entry, block in rows[:max_detail]:
            detail = Table(title=f"Exploration — {_label(entry)}", show_header=False, expand=False)
            detail.add_column("metric", style="bold", no_wrap=True)
            detail.add_column("value", overflow="fold")
            for label, text in _details(_obj(block)):
                detail.add_row(label, text)
            out.append(detail)
        if len(rows) > max_detail:
            out.append(f"{len(rows) - max_detail} more trajectories omitted from the detail (use --json for all).")
        return out


def _obj(value: JSONValue) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an exploration object, got {type(value).__name__}")
    return value


def _md(text: str) -> str:
    """Escape a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
