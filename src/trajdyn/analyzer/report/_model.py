"""The report's data model: the context a section computes from, what it returns, the report, and the section
extension point (:class:`ReportSection`, one per metric family)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeAlias, TypeVar

from trajdyn import conventions as C
from trajdyn.analyzer.report._options import ReportOptions

if TYPE_CHECKING:
    import polars as pl
    from rich.console import RenderableType

    from trajdyn._problems import InputProblem
    from trajdyn.analyzer.io import SweepData
    from trajdyn.analyzer.report.html import HtmlContext, HtmlPart

__all__ = ["InputLike", "JSONValue", "Report", "ReportContext", "ReportSection", "Scope", "SectionResult"]

T = TypeVar("T")

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
class ReportContext:
    """Everything a section may compute from: the model's frames, the options, and the previous report.

    ``previous``: the ``trajdyn.report/1`` document given with ``--compare-to`` (already parsed and checked to be
    a report), or ``None``. A section that supports comparison reads its own block there (``previous[name]`` for a
    report-scope section, the trajectory entries' ``[name]`` otherwise) and adds deltas to its own output.

    ``results``: records of benchmark result files (run summaries, not spans: see :func:`trajdyn.analyzer.read_results`,
    one row per task of a run), or ``None`` when the inputs held none. ``sweeps``: the frames of parameter-sweep
    summaries (:class:`trajdyn.analyzer.io.SweepData`), or ``None``.

    ``computed``: the per-trajectory values of the trajectory-scope sections computed before this one (section name
    → trajectory id → its object), filled in by the builder as it goes: a report-scope section that summarises
    other families' numbers (``fusion``) reads them here instead of computing them again. Read-only for sections.
    """

    steps: pl.DataFrame
    trajectories: pl.DataFrame
    events: pl.DataFrame | None
    options: ReportOptions
    previous: Mapping[str, Any] | None = None
    results: pl.DataFrame | None = None
    sweeps: SweepData | None = None
    computed: Mapping[str, Mapping[str, dict[str, JSONValue]]] = field(default_factory=dict)
    _memo: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per report: what several sections share (the dynamics analysis of ``dynamics`` and
        ``sensitivity``) is kept on this context under ``key`` and goes away with it; no module-level cache."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = compute()
            value: T = self._memo[key]
            return value


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
    problems: tuple[InputProblem, ...] = ()
    schema: str = C.REPORT_SCHEMA
    notes: tuple[str, ...] = ()
    """What the reader should know about the inputs that is no problem with them: files skipped on purpose (the
    SDK's sidecar, files of no known format in a directory), spans in which no agent run was recognised. In the
    JSON only when there are any (``notes``, after ``errors``)."""

    def to_dict(self) -> dict[str, JSONValue]:
        """The JSON structure: ``schema, generated_at, inputs, errors, (notes,) trajectories`` then the top-level
        blocks."""
        out: dict[str, JSONValue] = {
            "schema": self.schema,
            "generated_at": self.generated_at,
            "inputs": list(self.inputs),
            "errors": list(self.errors),
        }
        if self.notes:
            out["notes"] = list(self.notes)
        out["trajectories"] = list(self.trajectories)
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


Scope = Literal["trajectory", "report"]


class ReportSection(ABC):
    """A metric family in the report.

    ``name`` is its JSON key: with ``scope = "trajectory"`` an object under that key in every trajectory entry
    (``exploration``, ``dynamics``), with ``scope = "report"`` one top-level block (``sensitivity``, ``playbook``,
    ``trends``; left out of the report when the block is ``None``). Its options are frozen dataclasses of the types
    :meth:`options_types` names, read with ``ctx.options.get(T)``. A new family is one module with a subclass (and
    its options type), registered with :func:`~trajdyn.analyzer.report.register_section`; nothing else changes
    (docs/report.md, docs/architecture.md).
    """

    name: ClassVar[str]
    scope: ClassVar[Scope] = "trajectory"

    def options_types(self) -> tuple[type[Any], ...]:
        """The options types this section reads from :attr:`ReportContext.options` (default: none).

        A method, not a class attribute, so that a section may import its options types (and the metric modules that
        define them) only when a report is built. An options object that no registered section reads is an error.
        """
        return ()

    @abstractmethod
    def compute(self, ctx: ReportContext) -> SectionResult:
        """Compute the section's values from the model frames.

        Per-trajectory values must be JSON-ready as returned (plain dicts, lists, str, int, finite floats or None:
        no NaN, no tuples, canonical strings): the builder passes them through untouched, because normalising
        thousands of blocks in Python costs more than computing them. A report-scope ``block`` is normalised with
        :func:`~trajdyn.analyzer.report.to_json_value`. The JSON writer turns a stray NaN into null regardless.
        """

    @abstractmethod
    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        """Markdown lines for this section (a heading of level 2 first); at most ``max_detail`` detailed trajectories."""

    @abstractmethod
    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        """rich renderables for this section, fitted to ``width`` columns."""

    def artifacts(self, report: Report) -> dict[str, str]:
        """Extra files this section writes next to the report with ``--out DIR``: relative path → text.

        Paths use ``/``, stay inside DIR (no ``..``, not absolute) and must not collide with another section's; the
        default is none. ``playbook`` writes one JSON and one Markdown file per learning key.
        """
        return {}

    def to_html(self, report: Report, ctx: HtmlContext) -> HtmlPart | None:
        """This section's part of the HTML report (``None``: the section is left out of the page).

        The default draws the built-in view of the sections trajdyn ships (``exploration``, ``dynamics``,
        ``sensitivity``, ``playbook``, ``trends``) and, for any other, its block's numbers as tables. A new section
        overrides it to draw its own charts: see :mod:`trajdyn.analyzer.report.html` and ``docs/report.md``.
        """
        from trajdyn.analyzer.report.html import builtin_part

        return builtin_part(self, report, ctx)
