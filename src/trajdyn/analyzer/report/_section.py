"""The extension point of the report: one :class:`ReportSection` per metric family."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from rich.console import RenderableType

    from trajdyn.analyzer.report._model import Report, ReportContext, SectionResult
    from trajdyn.analyzer.report.html import HtmlContext, HtmlPart

__all__ = ["ReportSection", "Scope"]

Scope = Literal["trajectory", "report"]


class ReportSection(ABC):
    """A metric family in the report.

    ``name`` is its JSON key: with ``scope = "trajectory"`` an object under that key in every trajectory entry
    (``exploration``, later ``dynamics``), with ``scope = "report"`` one top-level block (``playbook``, later
    ``fusion``, ``trends``; left out of the report when the block is ``None``). A new family is one module with a subclass, registered with
    :func:`~trajdyn.analyzer.report.register_section`; nothing else changes.
    """

    name: ClassVar[str]
    scope: ClassVar[Scope] = "trajectory"

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
