"""The ``sweeps`` report section: per-constant sensitivity, cliffs and proposals from parameter sweeps
(docs/metrics/sweeps.md).

Options: :class:`SweepsOptions` (set by ``trajdyn-analyze --sweep-objective / --sweep-min-effect /
--sweep-cliff-drop / --sweep-default NAME=VALUE``). Present when the inputs hold a sweep summary (popoto's
``sweep_*.json``) or spans of sweep runs (a constant and its value on each run's root span: see
:mod:`trajdyn.analyzer.metrics.sweep_runs`); otherwise left out of the report. Nothing is ever written back to the user's constants: the
proposal is text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

from trajdyn import conventions as C
from trajdyn.analyzer.report._escape import markdown_cell, markdown_code, markdown_text, terminal_text
from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["HEADERS", "VALIDATION_HEADERS", "SweepsOptions", "SweepsSection", "constant_row", "validation_row"]

HEADERS: Final = (
    "constant",
    "best",
    "best score",
    "curve",
    "sensitivity",
    "noise",
    "spread",
    "cliffs",
    "largest drop (z)",
    "ok / errors / degenerate",
    "decision",
)
VALIDATION_HEADERS: Final = ("constant", "best vs default", "interval", "delta", "CI", "runs", "decision", "reason")
"""Columns of the validation table: one row per constant whose best value and default both ran on validation."""
_STYLE: Final = {"sensitive": "bold", "within-noise": "", "insufficient-data": "dim"}


@dataclass(frozen=True, slots=True)
class SweepsOptions:
    """Options of the ``sweeps`` section (docs/metrics/sweeps.md).

    ``objective``: whether the sweep's score is maximised (nDCG, the default) or minimised; ``alpha``: the
    family-wise level of the cliff and sensitivity tests; ``min_effect``: the smallest difference worth acting on, in
    score units; ``cliff_min_drop``: the smallest drop that is a cliff; ``cliff_gap_ratio``: a cliff's drop must be
    this many median gaps; ``defaults``: constant name → its current default (canonical string), the value a
    proposal is compared with (a sweep summary does not record it).
    """

    objective: str = C.OBJECTIVE_MAXIMIZE
    alpha: float = 0.05
    min_effect: float = 0.01
    cliff_min_drop: float = 0.05
    cliff_gap_ratio: float = 3.0
    defaults: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.defaults, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.defaults.items()
        ):
            raise ConfigurationError(f"expected sweeps option defaults to map names to strings, got {self.defaults!r}")
        self.settings()  # its own checks

    def settings(self) -> Any:
        """The :class:`~trajdyn.analyzer.metrics.sweeps.SweepSettings` of these options."""
        from trajdyn.analyzer.metrics.sweeps import SweepSettings

        return SweepSettings(
            objective=self.objective,
            alpha=self.alpha,
            min_effect=self.min_effect,
            cliff_min_drop=self.cliff_min_drop,
            cliff_gap_ratio=self.cliff_gap_ratio,
            defaults=tuple(sorted(self.defaults.items())),
        )


def _num(value: object) -> str:
    return fmt_num(value) if isinstance(value, int | float) and not isinstance(value, bool) else "–"


def _count(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _largest(c: Mapping[str, Any]) -> str:
    ld = c.get("largest_drop")
    if not isinstance(ld, Mapping):
        return "–"
    z = ld.get("z")
    z_text = f"z {z:.2f}" if isinstance(z, int | float) else "z ∞ (noise 0)" if ld.get("cliff") else "z –"
    return f"{ld['from']}→{ld['to']} {ld['delta']:.4g} ({z_text})"


def constant_row(c: Mapping[str, Any]) -> tuple[str, ...]:
    """One constant's row of the table (:data:`HEADERS`), as text."""
    means = [m for m in c.get("means") or [] if isinstance(m, int | float)]
    cliffs = c.get("cliffs") or []
    return (
        str(c["name"]),
        str(c.get("best_value") if c.get("best_value") is not None else "–"),
        _num(c.get("best_score")),
        sparkline(means),
        str(c["sensitivity"]),
        _num(c.get("noise")),
        _num(c.get("spread")),
        ", ".join(f"{x['from']}→{x['to']}" for x in cliffs) or "none",
        _largest(c),
        f"{_count(c.get('n_points'))} / {_count(c.get('n_errors'))} / {_count(c.get('n_degenerate'))}"
        + (f" + {c['n_unscored']} unscored" if _positive(c.get("n_unscored")) else ""),
        str(c.get("decision")),
    )


def validation_row(c: Mapping[str, Any]) -> tuple[str, ...] | None:
    """One constant's row of the validation table (:data:`VALIDATION_HEADERS`), or ``None`` without a validation."""
    v = c.get("validation")
    if not isinstance(v, Mapping):
        return None
    ci = v.get("ci") or [None, None]
    conf = v.get("confidence")
    method = str(v.get("method") or "welch")
    pairs = v.get("n_pairs")
    runs = f"{_count(v.get('n_best'))} / {_count(v.get('n_default'))}"
    return (
        str(c["name"]),
        f"{c.get('best_value')} vs {c.get('default')}",
        f"{method} by scenario" if method == "paired" else method,
        _num(v.get("delta")),
        f"[{_num(ci[0])}, {_num(ci[1])}]"
        + (
            f" one-sided {fmt_num(100 * conf)} % bounds"
            if isinstance(conf, int | float) and not isinstance(conf, bool)
            else ""
        ),
        runs
        + (f" ({pairs} pairs)" if method == "paired" and isinstance(pairs, int) else "")
        + (f", {v['n_unpaired']} unpaired left out" if _positive(v.get("n_unpaired")) else ""),
        str(c.get("decision")),
        str(c.get("reason")),
    )


def _blocked_note(constants: list[dict[str, Any]]) -> str | None:
    blocked = [c for c in constants if c.get("noise_source") == "replicates-by-scenario"]
    if not blocked:
        return None
    names = ", ".join(str(c["name"]) for c in blocked)
    left = [
        f"{c['name']} {c['n_unblocked']}" for c in blocked if isinstance(c.get("n_unblocked"), int) and c["n_unblocked"]
    ]
    return (
        f"Noise of {names}: from replicates with the scenarios' own effects removed (additive value + scenario fit "
        "on the scenarios run at two or more values; means adjusted to the average of those scenarios; the "
        "uncertainty of each difference from the fit's covariance, larger where two values share fewer scenarios)."
        + (f" Scores left out of the fit (scenario run at one value only, or none): {', '.join(left)}." if left else "")
    )


def _notes(c: Mapping[str, Any]) -> list[str]:
    """Lines worth reading under the table: cliffs, drops that are not cliffs, disagreements with the file."""
    out: list[str] = []
    if c.get("objective_note"):
        out.append(f"{c['name']}: {c['objective_note']}")
    if _positive(c.get("n_unscored")):
        nonfinite = c.get("n_nonfinite")
        out.append(
            f"{c['name']}: {c['n_unscored']} run(s) without a finite score"
            + (f" ({nonfinite} with a NaN or infinite reward)" if _positive(nonfinite) else "")
            + ": counted, never scored"
        )
    ld = c.get("largest_drop")
    near = isinstance(ld, Mapping) and float(ld["delta"]) >= 0.5 * float(c.get("_cliff_min_drop") or 0.05)
    if isinstance(ld, Mapping) and near and not ld.get("cliff") and isinstance(ld.get("z"), int | float):
        out.append(
            f"{c['name']}: the drop {ld['from']}→{ld['to']} of {ld['delta']:.4g} is not a cliff: {ld['why_not']} "
            f"(threshold z {ld['z_threshold']:.2f})"
        )
    reported = c.get("reported") or {}
    rep_cliffs = reported.get("cliffs") if isinstance(reported, Mapping) else None
    if rep_cliffs:
        ours = {(x["from"], x["to"]) for x in c.get("cliffs") or []}
        for rc in rep_cliffs:
            pair = (fmt_num(rc[0]), fmt_num(rc[1])) if isinstance(rc, list) and len(rc) >= 2 else None
            if pair is not None and not any(
                pair == (fmt_num(float(a)), fmt_num(float(b))) for a, b in ours if _isnum(a, b)
            ):
                out.append(
                    f"{c['name']}: the file reports a cliff {rc[0]}→{rc[1]} (|Δ| ≥ 0.15, rises included) that is not a harmful drop here"
                )
    return out


def _isnum(a: str, b: str) -> bool:
    try:
        return math.isfinite(float(a)) and math.isfinite(float(b))
    except ValueError:
        return False


class SweepsSection(ReportSection):
    """Sensitivity, cliffs and validated proposals per swept constant (docs/metrics/sweeps.md)."""

    name: ClassVar[str] = "sweeps"
    scope = "report"

    def options_types(self) -> tuple[type[Any], ...]:
        return (SweepsOptions,)

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.io import SweepData
        from trajdyn.analyzer.metrics.sweep_runs import sweep_runs
        from trajdyn.analyzer.metrics.sweeps import analyze_sweeps

        runs = sweep_runs(ctx.steps, ctx.trajectories)
        data = SweepData.concat([d for d in (ctx.sweeps, runs) if d is not None])
        block = analyze_sweeps(data, ctx.options.get(SweepsOptions).settings())
        return SectionResult(block=block)

    def _block(self, report: Report) -> dict[str, Any] | None:
        block = report.blocks.get(self.name)
        return block if isinstance(block, dict) else None

    def _by_source(self, block: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for c in block.get("constants") or []:
            if isinstance(c, dict):
                out.setdefault(str(c.get("source")), []).append({**c, "_cliff_min_drop": block.get("cliff_min_drop")})
        return out

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        block = self._block(report)
        if block is None:
            return []
        lines = [
            "## Sweeps",
            "",
            f"Objective {markdown_code(block.get('objective'))}; cliffs and sensitivity at family-wise α "
            f"{fmt_num(block.get('alpha'))}, min effect {fmt_num(block.get('min_effect'))}, cliff drop ≥ "
            f"{fmt_num(block.get('cliff_min_drop'))}. Noise from replicates when present, else from the curve "
            "(robust scale of its pseudo-residuals). A rise is never a cliff. Proposals are text only.",
            "",
        ]
        for source, constants in self._by_source(block).items():
            lines += [f"### {markdown_text(source, block_start=True)}", ""]
            lines += ["| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
            lines += ["| " + " | ".join(markdown_cell(x) for x in constant_row(c)) + " |" for c in constants]
            lines.append("")
            validated = [r for r in (validation_row(c) for c in constants) if r is not None]
            if validated:
                lines += [
                    "Validation of the best train value against the default:",
                    "",
                    "| " + " | ".join(VALIDATION_HEADERS) + " |",
                    "|" + "|".join("---" for _ in VALIDATION_HEADERS) + "|",
                ]
                lines += ["| " + " | ".join(markdown_cell(x) for x in r) + " |" for r in validated]
                lines.append("")
            blocked = _blocked_note(constants)
            notes = [*([blocked] if blocked else []), *(n for c in constants for n in _notes(c))]
            proposals = [c["proposal"] for c in constants if c.get("sensitivity") == "sensitive"]
            for note in notes[:max_detail]:
                lines.append(f"- {markdown_text(note)}")
            if notes:
                lines.append("")
            if proposals:
                # a list of escaped text, not a code block: entities (``-&gt;``) are not decoded in a code block
                lines += ["Proposals (sensitive constants):", ""]
                lines += [f"- {markdown_text(p, block_start=True)}" for p in proposals[:max_detail]]
                lines.append("")
        pairs = [p for p in block.get("pairwise") or [] if isinstance(p, dict)]
        if pairs:
            lines += [
                "### Pairwise interactions",
                "",
                "| pair | cells | points | best | worst | spread |",
                "|---|---|---|---|---|---|",
            ]
            for p in pairs:
                best, worst = p["best"], p["worst"]
                cells = (
                    str(p["name"]),
                    str(p["n_cells"]),
                    str(p["n_points"]),
                    f"{best['value_a']}, {best['value_b']}: {fmt_num(best['score'])}",
                    f"{worst['value_a']}, {worst['value_b']}: {fmt_num(worst['score'])}",
                    fmt_num(p["spread"]),
                )
                lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
            lines.append("")
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        block = self._block(report)
        if block is None:
            return []
        keep = [0, 1, 3, 4, 7, 8, 10] if width < 140 else list(range(len(HEADERS)))
        out: list[RenderableType] = []
        for source, constants in self._by_source(block).items():
            table = Table(title=terminal_text(f"Sweeps — {source}"), expand=False)
            for i in keep:
                table.add_column(HEADERS[i], overflow="fold")
            for c in constants:
                cells = constant_row(c)
                style = _STYLE.get(str(c.get("sensitivity")), "")
                table.add_row(*(terminal_text(cells[i], style=style if i == 4 else "") for i in keep))
            out.append(table)
            validated = [r for r in (validation_row(c) for c in constants) if r is not None]
            if validated:
                vt = Table(title=terminal_text(f"Validation — {source}"), expand=False)
                for h in VALIDATION_HEADERS:
                    vt.add_column(h, overflow="fold")
                for r in validated:
                    vt.add_row(*(terminal_text(x) for x in r))
                out.append(vt)
            blocked = _blocked_note(constants)
            for note in [*([blocked] if blocked else []), *(n for c in constants for n in _notes(c))][:max_detail]:
                out.append(terminal_text(note))
        return out
