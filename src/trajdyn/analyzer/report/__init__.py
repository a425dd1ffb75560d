"""The report layer: sections (one per metric family), the builder, and JSON / Markdown / terminal renderings.

A metric family plugs in as one :class:`ReportSection` subclass (with its own frozen options type) registered with
:func:`register_section`; the builder, the renderers and the CLI pick it up without change. ``exploration``,
``dynamics``, ``sensitivity``, ``playbook``, ``trends`` and ``fusion`` are built in. Options reach the sections as typed
objects in a :class:`ReportOptions` (docs/report.md). Importing this package imports neither polars nor numpy.
"""

from __future__ import annotations

from trajdyn.analyzer.report._builder import build_report, check_options, load_previous_report
from trajdyn.analyzer.report._dynamics import DynamicsSection, SensitivitySection
from trajdyn.analyzer.report._escape import plain_text
from trajdyn.analyzer.report._exploration import ExplorationSection
from trajdyn.analyzer.report._fusion import FusionOptions, FusionSection
from trajdyn.analyzer.report._json import report_to_json, to_json_value, write_json
from trajdyn.analyzer.report._markdown import render_markdown
from trajdyn.analyzer.report._model import (
    InputLike,
    JSONValue,
    Report,
    ReportContext,
    ReportSection,
    Scope,
    SectionResult,
)
from trajdyn.analyzer.report._options import ReportOptions
from trajdyn.analyzer.report._playbook import PlaybookSection
from trajdyn.analyzer.report._playbook_lint import lint_to_json, render_lint_markdown, render_lint_terminal
from trajdyn.analyzer.report._registry import SECTIONS, register_section, registered_sections, unregister_section
from trajdyn.analyzer.report._sparkline import sparkline
from trajdyn.analyzer.report._sweeps import SweepsOptions, SweepsSection
from trajdyn.analyzer.report._terminal import render_terminal
from trajdyn.analyzer.report._trends import TrendsOptions, TrendsSection, regressions

__all__ = [
    "SECTIONS",
    "DynamicsSection",
    "ExplorationSection",
    "FusionOptions",
    "FusionSection",
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
    "SweepsOptions",
    "SweepsSection",
    "TrendsOptions",
    "TrendsSection",
    "build_report",
    "check_options",
    "lint_to_json",
    "load_previous_report",
    "plain_text",
    "register_section",
    "registered_sections",
    "regressions",
    "render_lint_markdown",
    "render_lint_terminal",
    "render_markdown",
    "render_terminal",
    "report_to_json",
    "sparkline",
    "to_json_value",
    "unregister_section",
    "write_json",
]
