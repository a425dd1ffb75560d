"""The report's data model: options, the context a section computes from, section results and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from trajdyn import conventions as C

if TYPE_CHECKING:
    import polars as pl

    from trajdyn.analyzer.errors import ReadError
    from trajdyn.analyzer.report._section import ReportSection

__all__ = ["InputLike", "JSONValue", "Report", "ReportContext", "ReportOptions", "SectionResult"]

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
"""A value that serialises to JSON (finite floats only: the report layer turns NaN/inf into null)."""


class InputLike(Protocol):
    """What the report needs of one input summary (``trajdyn.analyzer.InputSummary`` fits)."""

    @property
    def path(self) -> str: ...

    @property
    def spans(self) -> int: ...

    @property
    def errors(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Options of the metric sections: exploration ``window``/``eta``/``top``; ``extra`` for plug-in sections."""

    window: int = C.DEFAULT_COVERAGE_WINDOW
    eta: float = 0.0
    top: int = 8
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything a section may compute from: the model's frames, the options, and the previous report.

    ``previous``: the ``trajdyn.report/1`` document given with ``--compare-to`` (already parsed and checked to be
    a report), or ``None``. A section that supports comparison reads its own block there (``previous[name]`` for a
    report-scope section, the trajectory entries' ``[name]`` otherwise) and adds deltas to its own output.

    ``results``: records of benchmark result files (run summaries, not spans: see :mod:`trajdyn.analyzer.results`,
    one row per task of a run), or ``None`` when the inputs held none.
    """

    steps: pl.DataFrame
    trajectories: pl.DataFrame
    events: pl.DataFrame | None
    options: ReportOptions
    previous: Mapping[str, Any] | None = None
    results: pl.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class SectionResult:
    """What a section computed: a JSON object per trajectory id, and/or one top-level block.

    A report-scope section whose ``block`` is ``None`` does not apply to these inputs and is left out of the report.
    """

    per_trajectory: Mapping[str, dict[str, JSONValue]] = field(default_factory=dict)
    block: JSONValue = None


@dataclass(frozen=True, slots=True)
class Report:
    """A built report. :meth:`to_dict` gives the ``trajdyn.report/1`` JSON structure, keys in a fixed order.

    ``trajectories`` entries hold ``trajectory_id, trace_id, task_id, model, run_id, iterations`` followed by one
    object per per-trajectory section (``exploration`` …); ``blocks`` holds the top-level sections' blocks.
    """

    generated_at: str
    inputs: list[dict[str, JSONValue]]
    errors: list[dict[str, JSONValue]]
    trajectories: list[dict[str, JSONValue]]
    blocks: dict[str, JSONValue]
    sections: tuple[ReportSection, ...] = ()
    read_errors: tuple[ReadError, ...] = ()
    schema: str = C.REPORT_SCHEMA

    def to_dict(self) -> dict[str, JSONValue]:
        """The JSON structure: ``schema, generated_at, inputs, errors, trajectories`` then the top-level blocks."""
        out: dict[str, JSONValue] = {
            "schema": self.schema,
            "generated_at": self.generated_at,
            "inputs": list(self.inputs),
            "errors": list(self.errors),
            "trajectories": list(self.trajectories),
        }
        out.update(self.blocks)
        return out

    def section(self, name: str) -> list[tuple[dict[str, JSONValue], JSONValue]]:
        """``(trajectory entry, that trajectory's block of section name)`` for every trajectory that has one."""
        return [(t, t[name]) for t in self.trajectories if name in t]

    @property
    def has_errors(self) -> bool:
        """Whether any input problem was reported."""
        return bool(self.errors)

    def _repr_html_(self) -> str:
        """The HTML report as a notebook fragment (:func:`trajdyn.analyzer.report.html.render_fragment`)."""
        from trajdyn.analyzer.report.html import render_fragment

        return render_fragment(self)
