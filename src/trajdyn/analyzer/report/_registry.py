"""The registry of report sections, in report order: the built-in ones, then those registered by user code.

One :class:`trajdyn._registry.Registry`, the mechanism the file formats use too (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from trajdyn._registry import Registry
from trajdyn.analyzer.report._model import ReportSection

__all__ = ["SECTIONS", "register_section", "registered_sections", "unregister_section"]


def _builtins() -> Iterator[ReportSection]:
    from trajdyn.analyzer.report._dynamics import DynamicsSection, SensitivitySection
    from trajdyn.analyzer.report._exploration import ExplorationSection
    from trajdyn.analyzer.report._fusion import FusionSection
    from trajdyn.analyzer.report._playbook import PlaybookSection
    from trajdyn.analyzer.report._sweeps import SweepsSection
    from trajdyn.analyzer.report._trends import TrendsSection

    yield from (
        ExplorationSection(),
        DynamicsSection(),
        SensitivitySection(),
        PlaybookSection(),
        TrendsSection(),
        FusionSection(),
        SweepsSection(),
    )


SECTIONS: Registry[ReportSection] = Registry("report section", _builtins)
"""Every registered section by name, in report order."""


def register_section(section: ReportSection, *, replace: bool = False) -> None:
    """Add ``section`` to the default report (after those already registered).

    Raises ``ValueError`` when a section of that name exists, unless ``replace`` (which keeps its position).
    """
    if not isinstance(section, ReportSection):
        raise TypeError(f"expected a ReportSection, got {type(section).__name__}")
    SECTIONS.register(section, replace=replace)


def unregister_section(name: str) -> None:
    """Remove the section called ``name`` (``KeyError`` when there is none)."""
    SECTIONS.unregister(name)


def registered_sections() -> tuple[ReportSection, ...]:
    """The registered sections, in registration order."""
    return tuple(SECTIONS.values())
