"""Which HTML part draws which section: the built-in parts by section name, and a plain view for any other.

:meth:`trajdyn.analyzer.report.ReportSection.to_html` calls :func:`builtin_part` unless a section overrides it. A
section without a part here (a plug-in) overrides ``to_html`` to draw its own charts; until it does,
:func:`generic_part` shows its block's numbers as tables (everything is in the JSON report too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report._model import Report
from trajdyn.analyzer.report.html._common import capped_table, short_label
from trajdyn.analyzer.report.html._dynamics import dynamics_part, sensitivity_part
from trajdyn.analyzer.report.html._exploration import exploration_part
from trajdyn.analyzer.report.html._fusion import fusion_part
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import HtmlContext, HtmlPart
from trajdyn.analyzer.report.html._playbook import playbook_part
from trajdyn.analyzer.report.html._sweeps import sweeps_part
from trajdyn.analyzer.report.html._trends import trends_part

if TYPE_CHECKING:
    from trajdyn.analyzer.report._model import ReportSection

__all__ = ["BUILTIN_PARTS", "builtin_part", "generic_part"]

PartFn = Callable[[Report, HtmlContext], "HtmlPart | None"]

BUILTIN_PARTS: Final[Mapping[str, PartFn]] = {
    "exploration": exploration_part,
    "dynamics": dynamics_part,
    "sensitivity": sensitivity_part,
    "playbook": playbook_part,
    "trends": trends_part,
    "fusion": fusion_part,
    "sweeps": sweeps_part,
}
MAX_COLUMNS: Final = 8


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _cell(value: object) -> str:
    if isinstance(value, list):
        return f"{len(value)} items"
    if isinstance(value, dict):
        return f"{len(value)} fields"
    return fmt_num(value, 4)


def _rows_table(
    items: Sequence[Mapping[str, Any]], ctx: HtmlContext, *, lead: str | None = None, what: str = "rows"
) -> Markup:
    """The first items' scalar fields (of the first item, up to :data:`MAX_COLUMNS`), after a ``lead`` column."""
    columns = [k for k, v in items[0].items() if _scalar(v) and k != "__label__"][:MAX_COLUMNS]
    rows = [[*([str(item.get("__label__"))] if lead else []), *(_cell(item.get(c)) for c in columns)] for item in items]
    headers = (lead, *columns) if lead else tuple(columns)
    return capped_table(headers, rows, limit=ctx.options.table_rows, what=what)


def generic_part(section: ReportSection, report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """A plain view of a section without an HTML part of its own: its numbers as tables."""
    title = section.name.replace("_", " ").capitalize()
    note = el("p", "This section has no charts yet; every number is in the JSON report.", class_="muted")
    if section.scope == "report":
        block = report.blocks.get(section.name)
        if block is None:
            return None
        if isinstance(block, dict):
            pairs = [(k, _cell(v)) for k, v in block.items()]
            body = capped_table(("key", "value"), pairs, limit=ctx.options.table_rows, what="keys")
        elif isinstance(block, list):
            items = [b for b in block if isinstance(b, dict)]
            body = _rows_table(items, ctx) if items else el("p", f"{len(block)} items.")
        else:
            body = el("p", _cell(block))
        return HtmlPart(section.name, title, join([note, body]))
    rows = report.section(section.name)
    items = [{"__label__": short_label(e), **b} for e, b in rows if isinstance(b, dict)]
    if not items:
        return HtmlPart(section.name, title, el("p", "No trajectories."))
    body = _rows_table(items, ctx, lead="trajectory", what="trajectories")
    return HtmlPart(section.name, title, join([note, body]))


def builtin_part(section: ReportSection, report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The built-in part for the section's name, or :func:`generic_part`."""
    fn = BUILTIN_PARTS.get(section.name)
    return fn(report, ctx) if fn is not None else generic_part(section, report, ctx)
