"""The ``fusion`` report section: per-run numbers reweighted to a target task mix (docs/metrics/fusion.md).

Options: :class:`FusionOptions` (set by ``trajdyn-analyze --profile FILE --fusion-k K --fusion-seed S``). The
section is present only with a target profile. It reads the per-trajectory values of the sections computed before
it (``exploration``, ``dynamics``) and the benchmark result records; with ``--sections fusion`` alone it fuses what
the trajectories and result files carry (reward, tokens, score, cost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from trajdyn.analyzer.report._escape import markdown_cell, markdown_code, markdown_text, terminal_text
from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from trajdyn.analyzer.metrics.fusion import TargetProfile

__all__ = ["FusionOptions", "FusionSection", "headline"]

DEFAULT_DRAWS: Final = 10_000
_STRATA_HEADERS: Final = ("stratum", "target share", "benchmark share", "weight", "n", "mean")


@dataclass(frozen=True, slots=True)
class FusionOptions:
    """Options of the ``fusion`` section (docs/metrics/fusion.md).

    ``profile``: the target profile — a file path (JSON or YAML) or a parsed
    :class:`~trajdyn.analyzer.metrics.fusion.TargetProfile`; without one the section is left out. ``k``: the number
    of task clusters when tasks have no category (``None``: chosen by silhouette); ``seed``: of the clustering and
    the intervals; ``draws``: Jeffreys draws / bootstrap resamples per number; ``confidence`` of the intervals.
    """

    profile: str | Path | TargetProfile | None = None
    k: int | None = None
    seed: int = 0
    draws: int = DEFAULT_DRAWS
    confidence: float = 0.95

    def __post_init__(self) -> None:
        from trajdyn.analyzer.metrics.fusion import TargetProfile

        if self.profile is not None and not isinstance(self.profile, str | Path | TargetProfile):
            raise ConfigurationError(
                f"expected fusion option profile to be a path or a TargetProfile, got {self.profile!r}"
            )
        if self.k is not None and (isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1):
            raise ConfigurationError(f"expected fusion option k to be an integer >= 1, got {self.k!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigurationError(f"expected fusion option seed to be an integer, got {self.seed!r}")
        if isinstance(self.draws, bool) or not isinstance(self.draws, int) or self.draws < 100:
            raise ConfigurationError(f"expected fusion option draws to be an integer >= 100, got {self.draws!r}")
        c = self.confidence
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c) or not 0.5 <= c < 1:
            raise ConfigurationError(f"expected fusion option confidence in [0.5, 1), got {c!r}")

    def target_profile(self) -> TargetProfile | None:
        """The parsed profile (read from its file when a path was given)."""
        from trajdyn.analyzer.metrics.fusion import TargetProfile, load_profile

        if self.profile is None or isinstance(self.profile, TargetProfile):
            return self.profile
        return load_profile(self.profile)


def _num(value: object, digits: int = 2) -> str:
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 10**digits:
        return f"{value:.0f}"
    return fmt_num(value, digits)


def _label(metric: str) -> str:
    if metric == "looping":
        return "P(looping)"
    if metric.startswith("regime="):
        return f"P(regime = {metric.removeprefix('regime=')})"
    return metric


def group_label(group: Mapping[str, Any]) -> str:
    """``model X`` / ``model X, run R`` / ``model X (dir, run R)`` for result files / ``trajectories without a model``."""
    model = f"model {group['model']}" if group.get("model") else "trajectories without a model"
    if group.get("source") == "results":
        return f"{model} ({group.get('dir') or '–'}, run {group.get('run') or '–'})"
    return f"{model}, run {group['run']}" if group.get("run") else model


def headline(group: Mapping[str, Any], metric: Mapping[str, Any], confidence: float) -> str:
    """One sentence: "Under the target mix, P(looping) for model X is 0.12 (95 % CI 0.05–0.22, ESS 31 of 200; 8 % of
    the target mass has no benchmark task)"."""
    who = f"{_label(str(metric['metric']))} for {group_label(group)}"
    estimate = metric.get("reweighted_mean")
    uncovered = 1.0 - float(metric["covered_mass"])
    if estimate is None:
        return f"Under the target mix, {who} cannot be estimated: no benchmark task lies in the target's strata."
    ci = metric.get("ci")
    band = f"{confidence * 100:g} % CI {_num(ci[0], 3)}–{_num(ci[1], 3)}, " if ci else ""
    tail = ""
    if uncovered > 1e-9:
        tail = f"; {uncovered * 100:.0f} % of the target mass has no benchmark task"
        bounds = metric.get("bounds")
        if bounds:
            tail += f", bounds {_num(bounds[0], 3)}–{_num(bounds[1], 3)}"
    ess = metric.get("ess")
    return (
        f"Under the target mix, {who} is {_num(estimate, 3)} ({band}ESS {_num(ess, 3)} of {metric['n']}{tail}); "
        f"benchmark mean {_num(metric.get('benchmark_mean'), 3)}."
    )


class FusionSection(ReportSection):
    """Reweighted fusion (docs/metrics/fusion.md); options :class:`FusionOptions` and the embeddings' options."""

    name: ClassVar[str] = "fusion"
    scope = "report"

    def options_types(self) -> tuple[type[Any], ...]:
        from trajdyn.analyzer.embeddings import EmbeddingOptions

        return (FusionOptions, EmbeddingOptions)

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.embeddings import EmbeddingOptions
        from trajdyn.analyzer.metrics.fusion import FusionSettings, assign_strata, fuse_groups, fusion_units

        options = ctx.options.get(FusionOptions)
        profile = options.target_profile()
        if profile is None:
            return SectionResult(block=None)
        units = fusion_units(ctx.trajectories, ctx.steps, ctx.computed, ctx.results)
        if not units:
            return SectionResult(block=None)
        settings = FusionSettings(k=options.k, seed=options.seed, draws=options.draws, confidence=options.confidence)
        strata = assign_strata(units, profile, ctx.options.get(EmbeddingOptions).embedder(), settings)
        groups = fuse_groups(units, strata, profile, settings)
        warnings: list[JSONValue] = []
        if strata.target is not None and not set(strata.target) & set(strata.by_task.values()):
            warnings.append(
                f"no stratum of the profile ({', '.join(sorted(strata.target))}) names a benchmark stratum "
                f"({', '.join(sorted(set(strata.by_task.values())))}): nothing is covered"
            )
        for group in groups:
            for metric in group["metrics"]:
                metric["headline"] = headline(group, metric, options.confidence)
        block: dict[str, JSONValue] = {
            "profile": {
                "source": Path(profile.source).name,
                "name": profile.name,
                "kind": profile.kind,
                "entries": len(profile.texts) if profile.kind == "texts" else len(profile.shares),
                "total_given": profile.total_given,
                "normalised": profile.kind != "texts" and abs(profile.total_given - 1.0) > 1e-9,
            },
            "confidence": options.confidence,
            "draws": options.draws,
            "seed": options.seed,
            "strata_basis": strata.basis,
            "clustering": strata.clustering,
            "target": dict(strata.target) if strata.target is not None else None,
            "assignment": [{"task_id": t, "stratum": s} for t, s in strata.by_task.items()],
            "warnings": warnings,
            "groups": list(groups),
        }
        return SectionResult(block=block)

    def _block(self, report: Report) -> dict[str, Any] | None:
        block = report.blocks.get(self.name)
        return block if isinstance(block, dict) else None

    @staticmethod
    def _strata_rows(metric: Mapping[str, Any]) -> list[tuple[str, ...]]:
        return [
            (
                str(r["stratum"]),
                _num(r["target_share"], 3),
                _num(r["benchmark_share"], 3),
                _num(r["weight"], 3),
                str(r["n"]),
                _num(r["mean"], 3),
            )
            for r in metric["strata"]
        ]

    @staticmethod
    def _intro(block: Mapping[str, Any]) -> list[str]:
        profile = block["profile"]
        name = f" ({profile['name']})" if profile.get("name") else ""
        lines = [
            f"Target profile {profile['source']}{name}: {profile['entries']} {profile['kind']} entries"
            + (f", shares divided by their total {_num(profile['total_given'], 4)}" if profile["normalised"] else "")
            + f". Strata: {block['strata_basis']}."
        ]
        clustering = block.get("clustering")
        if isinstance(clustering, Mapping):
            lines.append(
                f"k = {clustering['k']} ({clustering['criterion']}; embedder {clustering['embedder']}, seed "
                f"{clustering['seed']})."
            )
        lines += [f"Warning: {w}" for w in block.get("warnings") or []]
        return lines

    @staticmethod
    def _assignment(block: Mapping[str, Any]) -> list[tuple[str, str]]:
        by: dict[str, list[str]] = {}
        for row in block["assignment"]:
            by.setdefault(str(row["stratum"]), []).append(str(row["task_id"]))
        return [(s, ", ".join(tasks)) for s, tasks in sorted(by.items())]

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        block = self._block(report)
        if block is None:
            return []
        lines = ["## Fusion", ""]
        lines += [markdown_text(line, block_start=True) + "  " for line in self._intro(block)]
        lines.append("")
        for group in block["groups"]:
            lines += [f"### {markdown_text(group_label(group), block_start=True)}", ""]
            lines += [f"- {markdown_text(m['headline'])}" for m in group["metrics"]]
            lines.append("")
            if group["metrics"]:
                first = group["metrics"][0]
                lines += [
                    f"Strata of {markdown_code(first['metric'])} ({first['n']} tasks):",
                    "",
                    "| " + " | ".join(_STRATA_HEADERS) + " |",
                    "|" + "|".join("---" for _ in _STRATA_HEADERS) + "|",
                ]
                lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in self._strata_rows(first)]
                lines.append("")
        lines += ["### Strata assignment", "", "| stratum | tasks |", "|---|---|"]
        lines += [f"| {markdown_cell(s)} | {markdown_cell(t)} |" for s, t in self._assignment(block)]
        lines.append("")
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        block = self._block(report)
        if block is None:
            return []
        out: list[RenderableType] = [terminal_text("Fusion — " + " ".join(self._intro(block)))]
        for group in block["groups"][: max(max_detail, 1)]:
            for metric in group["metrics"]:
                out.append(terminal_text("• " + str(metric["headline"])))
            if group["metrics"]:
                first = group["metrics"][0]
                table = Table(title=terminal_text(f"Fusion strata — {group_label(group)} ({first['metric']})"))
                for i, header in enumerate(_STRATA_HEADERS):
                    table.add_column(header, justify="left" if i == 0 else "right", overflow="fold")
                for row in self._strata_rows(first):
                    table.add_row(*(terminal_text(c) for c in row))
                out.append(table)
        if len(block["groups"]) > max(max_detail, 1):
            out.append(f"{len(block['groups']) - max(max_detail, 1)} more groups omitted (use --json for all).")
        return out
