"""The report layer: sections (one per metric family), the builder, and JSON / Markdown / terminal renderings.

A metric family plugs in as one :class:`ReportSection` subclass registered with :func:`register_section`; the
builder, the renderers and the CLI pick it up without change. ``exploration``, ``dynamics``, ``sensitivity``,
``playbook`` and ``trends`` are registered here.
"""

from __future__ import annotations

from trajdyn.analyzer.report._builder import build_report, load_previous_report
from trajdyn.analyzer.report._dynamics import DynamicsSection, SensitivitySection
from trajdyn.analyzer.report._exploration import ExplorationSection
from trajdyn.analyzer.report._json import report_to_json, to_json_value, write_json
from trajdyn.analyzer.report._markdown import render_markdown
from trajdyn.analyzer.report._model import InputLike, JSONValue, Report, ReportContext, ReportOptions, SectionResult
from trajdyn.analyzer.report._playbook import PlaybookSection
from trajdyn.analyzer.report._registry import register_section, registered_sections, unregister_section
from trajdyn.analyzer.report._section import ReportSection, Scope
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.analyzer.report._terminal import render_terminal
from trajdyn.analyzer.report._trends import TrendsSection

for _section in (ExplorationSection(), DynamicsSection(), SensitivitySection(), PlaybookSection(), TrendsSection()):
    if _section.name not in {s.name for s in registered_sections()}:
        register_section(_section)

__all__ = [
    "DynamicsSection",
    "ExplorationSection",
    "InputLike",
    "JSONValue",
    "PlaybookSection",
    "Report",
    "ReportContext",
    "ReportOptions",
    "ReportSection",
    "Scope",
    "SectionResult",
    "SensitivitySection",
    "TrendsSection",
    "build_report",
    "load_previous_report",
    "register_section",
    "registered_sections",
    "render_markdown",
    "render_terminal",
    "report_to_json",
    "sparkline",
    "to_json_value",
    "unregister_section",
    "write_json",
]
