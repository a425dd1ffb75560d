"""The HTML report: one self-contained, offline page with charts (``trajdyn-analyze --html``, ``report.html``).

::

    from trajdyn.analyzer import analyze
    from trajdyn.analyzer.report.html import HtmlOptions, render_html

    report = analyze(["spans.jsonl"])
    Path("report.html").write_text(render_html(report, HtmlOptions(detail=20)), encoding="utf-8")

In a notebook, a :class:`~trajdyn.analyzer.report.Report` shows itself as this page (``_repr_html_``).

A section draws its part of the page in :meth:`~trajdyn.analyzer.report.ReportSection.to_html`, returning an
:class:`HtmlPart` (body, overview headlines and findings, per-trajectory interest and detail); the built-in sections'
parts live in this package, a new section overrides the method and builds its part with :func:`el`, :func:`table`
and :meth:`HtmlContext.figure` (a Vega-Lite spec from :mod:`._charts`, or its own). Needs ``vl-convert-python``
(``pip install 'trajdyn[html]'``); see ``docs/report.md``.
"""

from __future__ import annotations

from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._markup import Markup, el, esc, join, table
from trajdyn.analyzer.report.html._page import CSP, CSS, html_available, render_fragment, render_html, select_detail
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlOptions, HtmlPart, Interest
from trajdyn.analyzer.report.html._sections import builtin_part, generic_part
from trajdyn.analyzer.report.html._svg import VEGA_LITE_VERSION, ChartError, check_svg, clean_spec, render_svg

__all__ = [
    "CSP",
    "CSS",
    "VEGA_LITE_VERSION",
    "ChartError",
    "Finding",
    "Headline",
    "HtmlContext",
    "HtmlOptions",
    "HtmlPart",
    "Interest",
    "Markup",
    "builtin_part",
    "charts",
    "check_svg",
    "clean_spec",
    "el",
    "esc",
    "generic_part",
    "html_available",
    "join",
    "render_fragment",
    "render_html",
    "render_svg",
    "select_detail",
    "table",
]
