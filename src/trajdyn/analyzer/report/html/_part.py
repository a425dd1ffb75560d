"""What a section contributes to the HTML report (:class:`HtmlPart`) and what it may use to make it (:class:`HtmlContext`).

A section's :meth:`~trajdyn.analyzer.report.ReportSection.to_html` returns one :class:`HtmlPart`: its body (plots and
tables), the headline numbers and findings it adds to the overview, how interesting each of its trajectories is
(:class:`Interest`: the page gives a detail article to the top ``HtmlOptions.detail`` of them), and a function that
draws its part of one trajectory's detail article. Everything in it that comes from the data is plain ``str`` (the
page escapes it) or :class:`~._markup.Markup` made by the builders of :mod:`._markup` and :meth:`HtmlContext.figure`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from trajdyn.analyzer.report.html._markup import Markup, el
from trajdyn.analyzer.report.html._svg import ChartError, render_svg

if TYPE_CHECKING:
    from trajdyn.analyzer.report._model import JSONValue

__all__ = ["Finding", "Headline", "HtmlContext", "HtmlOptions", "HtmlPart", "Interest", "Tone"]

Tone = Literal["good", "bad", "neutral"]

DEFAULT_DETAIL: Final = 20
DEFAULT_MAX_BYTES: Final = 4_500_000


@dataclass(frozen=True, slots=True)
class HtmlOptions:
    """How much the page shows.

    ``detail``: trajectories that get a detail article (the most interesting ones; ``--html-detail``).
    ``max_bytes``: the page's size budget: detail articles past it are left out, and the page says how many.
    ``table_rows``: rows shown of a long table (the rest are in the JSON report, and the page says so).
    ``forest_rows``: rows drawn in a forest plot (the table lists them all, up to ``table_rows``).
    """

    detail: int = DEFAULT_DETAIL
    max_bytes: int = DEFAULT_MAX_BYTES
    table_rows: int = 100
    forest_rows: int = 40

    def __post_init__(self) -> None:
        for name in ("detail", "max_bytes", "table_rows", "forest_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"HtmlOptions.{name} must be an integer >= 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline number of the overview: ``label``, ``value``, ``note`` (its interval, or what it counts)."""

    label: str
    value: str
    note: str = ""
    tone: Tone = "neutral"
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the overview's findings (``text``: plain text, escaped by the page, or Markup).

    ``href``: an anchor of the page (the section); ``trajectory``: a trajectory id whose detail article the finding
    links to, when that trajectory got one.
    """

    text: str | Markup
    tone: Tone = "neutral"
    href: str | None = None
    trajectory: str | None = None


@dataclass(frozen=True, slots=True)
class Interest:
    """Why one trajectory deserves a detail article: ``kind`` (``loop``, ``trapped``, ``plateau`` …), ``score``
    (higher first, comparable within a kind) and ``reason`` (said on the page)."""

    kind: str
    score: float
    reason: str


DetailFn = Callable[[Mapping[str, "JSONValue"], "HtmlContext"], Markup]
"""Draws a section's part of one trajectory's detail article, given the trajectory's entry of the report."""


@dataclass(frozen=True, slots=True)
class HtmlPart:
    """A section's contribution to the HTML report (see the module docstring)."""

    name: str
    title: str
    body: Markup
    headlines: Sequence[Headline] = ()
    findings: Sequence[Finding] = ()
    interest: Mapping[str, Sequence[Interest]] = field(default_factory=dict)
    detail: DetailFn | None = None
    detail_for: Collection[str] | None = None
    """The trajectory ids ``detail`` has something to draw for (``None``: every one). Exploration and dynamics leave
    out trajectories with no iterations / no turns; a trajectory no part draws anything for gets no detail article."""


class HtmlContext:
    """What a section's HTML hook may use: the options, and :meth:`figure` (a chart, drawn and checked)."""

    def __init__(self, options: HtmlOptions) -> None:
        self.options = options
        self._charts = 0

    def figure(self, spec: Mapping[str, Any], caption: str | Markup, *, wide: bool = False) -> Markup:
        """``<figure>`` with the chart of the Vega-Lite ``spec`` as inline SVG and ``caption`` under it.

        A chart that cannot be drawn (or whose SVG is not plain drawing) becomes a note saying why; the page goes on.
        """
        self._charts += 1
        try:
            drawn = render_svg(spec, chart_id=f"c{self._charts}")
        except ChartError as exc:
            drawn = el("p", f"(chart not drawn: {exc})", class_="chart-error")
        return el("figure", drawn, el("figcaption", caption), class_="wide" if wide else None)
