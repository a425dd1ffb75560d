"""The ``exploration`` report section: :func:`trajdyn.analyzer.metrics.exploration` per trajectory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._format import fmt_num, fmt_pct, fmt_value
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.analyzer.report._tables import entry_label, trajectory_markdown, trajectory_terminal

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["ExplorationSection"]


def _rates(block: dict[str, Any]) -> list[float | None]:
    return [w["rate"] for w in block["windows_repeat_rate"]]


def _pairs(pairs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['knob']}={fmt_value(p['value'])}×{p['n']}" for p in pairs) or "–"


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
        entry_label(entry),
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
    """Per-trajectory exploration coverage (docs/metrics/exploration.md); options
    :class:`~trajdyn.analyzer.metrics.exploration.ExplorationOptions`."""

    name: ClassVar[str] = "exploration"

    def options_types(self) -> tuple[type[Any], ...]:
        from trajdyn.analyzer.metrics.exploration import ExplorationOptions

        return (ExplorationOptions,)

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.metrics.exploration import ExplorationOptions, exploration

        opts = ctx.options.get(ExplorationOptions)
        frame = exploration(ctx.steps, ctx.trajectories, window=opts.window, eta=opts.eta, top=opts.top)
        out: dict[str, dict[str, JSONValue]] = {}
        for row in frame.iter_rows(named=True):
            tid = row.pop(K.TRAJECTORY_ID)
            row["knob_counts"] = {c["knob"]: c["n"] for c in row["knob_counts"]}
            out[str(tid)] = row  # made JSON-ready (NaN → null) once, by the report builder
        return SectionResult(per_trajectory=out)

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        rows = report.section(self.name)
        if not rows:
            return [] if _no_spans(report) else ["## Exploration", "", "No trajectories.", ""]
        return [
            "## Exploration",
            "",
            *trajectory_markdown(
                rows,
                section=self.name,
                headers=_SUMMARY_HEADERS,
                summary=_summary_row,
                details=_details,
                max_detail=max_detail,
            ),
        ]

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        rows = report.section(self.name)
        if not rows:
            return [] if _no_spans(report) else ["[bold]Exploration[/bold]: no trajectories."]
        return trajectory_terminal(
            rows,
            section=self.name,
            title="Exploration",
            headers=_SUMMARY_HEADERS,
            keep=[0, 1, 2, 4, 5, 7, 9] if width < 100 else range(len(_SUMMARY_HEADERS)),
            left=(0, 9),
            summary=_summary_row,
            details=_details,
            max_detail=max_detail,
        )
