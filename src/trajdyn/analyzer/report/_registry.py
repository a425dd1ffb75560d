"""The registry of report sections, in report order."""

from __future__ import annotations

from trajdyn.analyzer.report._section import ReportSection

__all__ = ["register_section", "registered_sections", "unregister_section"]

_SECTIONS: dict[str, ReportSection] = {}


def register_section(section: ReportSection, *, replace: bool = False) -> None:
    """Add ``section`` to the default report (after those already registered).

    Raises ``ValueError`` when a section of that name exists, unless ``replace`` (which keeps its position).
    """
    if section.name in _SECTIONS and not replace:
        raise ValueError(f"a report section named {section.name!r} is already registered")
    _SECTIONS[section.name] = section


def unregister_section(name: str) -> None:
    """Remove the section called ``name`` (``KeyError`` when there is none)."""
    del _SECTIONS[name]


def registered_sections() -> tuple[ReportSection, ...]:
    """The registered sections, in registration order."""
    return tuple(_SECTIONS.values())
