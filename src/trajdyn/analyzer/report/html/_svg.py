"""Charts drawn as inline SVG: a Vega-Lite spec (a plain dict) rendered offline by ``vl-convert-python``.

Why Vega-Lite through vl-convert (measured for issue 16, see ``docs/report.md``): its SVG sets colours with
presentation attributes — no ``<style>`` element, no ``style=`` attribute, no script — so the page keeps a strict
Content-Security-Policy without ``'unsafe-inline'``; it is about twice as fast as matplotlib on a page of charts; its
output is the same bytes on every run and machine (fonts are not embedded or measured from the system); and it needs
no network (``allowed_base_urls=[]`` turns any data URL into an error).

Safety, in this order, for every chart:

1. :func:`clean_spec` walks the whole spec: every string passes :func:`~trajdyn.analyzer.report._escape.chart_text`
   (vl-convert *aborts the process* — no exception — on an XML-invalid character anywhere, and a bidirectional
   override would make a label read backwards), every non-finite number becomes ``null``. Data strings are only ever
   values (never field names or expressions), so they cannot change what a spec does.
2. The spec is rendered with accessibility metadata off (``config.aria = false``: with it on, Vega-Lite copies an axis
   title into a generated expression unescaped) and no base URL allowed.
3. :func:`check_svg` parses the result and refuses it unless it is plain drawing: no script, foreign object, image,
   link or style; no event-handler or ``style`` attribute; no reference other than to the chart's own ids.
4. The chart's ids (gradients, clip paths) get a prefix unique on the page, so two charts never share an id.

A chart that fails any step is replaced by a note that says why; the rest of the report is written.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Final

from trajdyn.analyzer.report._escape import chart_text
from trajdyn.analyzer.report.html._markup import Markup
from trajdyn.exceptions import MissingExtraError

__all__ = ["VEGA_LITE_VERSION", "ChartError", "check_svg", "clean_spec", "render_svg"]

VEGA_LITE_VERSION: Final = "5.20"
"""The Vega-Lite version the specs are written for (vl-convert bundles several; pinned so output never drifts)."""

_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"
_ALLOWED: Final = frozenset(
    {
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "title",
        "desc",
        "defs",
        "clipPath",
        "linearGradient",
        "radialGradient",
        "stop",
    }
)
_URL: Final = re.compile(r"url\(\s*([^)]*)\)")
_ID_ATTR: Final = re.compile(r'\bid="([^"]+)"')
_ID_REF: Final = re.compile(r'(url\(#|href="#)([^)"]+)')


class ChartError(ValueError):
    """A chart could not be drawn, or its SVG was not plain drawing."""


def clean_spec(value: Any) -> Any:
    """``value`` (a spec, or any part of one) with every string made chart-safe and non-finite numbers as ``None``.

    Keys are ours (field and property names), values may come from the data: both are cleaned, keys included, so no
    string in the spec escapes the rule. Tuples become lists.
    """
    if isinstance(value, str):
        return chart_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {chart_text(str(k)): clean_spec(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_spec(v) for v in value]
    raise ChartError(f"a chart spec may hold only JSON values, not {type(value).__name__}")


def check_svg(svg: str) -> None:
    """Raise :class:`ChartError` unless ``svg`` is well-formed SVG made of drawing elements only, with no event
    handler, ``style`` attribute or reference outside itself."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ChartError(f"the chart's SVG is not well-formed: {exc}") from None
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for node in root.iter():
        tag = node.tag.removeprefix(_SVG_NS)
        if tag not in _ALLOWED:
            raise ChartError(f"the chart's SVG holds a <{tag}> element")
        for name, value in node.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or local == "style":
                raise ChartError(f"the chart's SVG holds a {local!r} attribute")
            if (name == _XLINK_HREF or local == "href") and (not value.startswith("#") or value[1:] not in ids):
                raise ChartError("the chart's SVG links outside itself")
            for target in _URL.findall(value):
                if not target.startswith("#") or target[1:] not in ids:
                    raise ChartError("the chart's SVG refers to something outside itself")


def _prefix_ids(svg: str, prefix: str) -> str:
    """Every id of the chart and every reference to one, prefixed (ids must be unique on the page)."""
    if 'id="' not in svg:
        return svg
    svg = _ID_ATTR.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return _ID_REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def render_svg(spec: Mapping[str, Any], *, chart_id: str) -> Markup:
    """The chart of the Vega-Lite ``spec`` as checked inline SVG; ids prefixed with ``chart_id`` (unique per page).

    Raises :class:`ChartError` when it cannot be drawn or is not plain drawing, and
    :class:`~trajdyn.exceptions.MissingExtraError` without ``vl-convert-python`` (the ``html`` extra).
    """
    try:
        import vl_convert
    except ImportError as exc:
        raise MissingExtraError("vl-convert-python", "html") from exc
    try:
        text = json.dumps(clean_spec(dict(spec)), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:  # pragma: no cover - clean_spec leaves only JSON values
        raise ChartError(f"the chart spec is not JSON: {exc}") from None
    try:
        svg = vl_convert.vegalite_to_svg(
            text, vl_version=VEGA_LITE_VERSION, config={"aria": False}, allowed_base_urls=[]
        )
    except ValueError as exc:
        raise ChartError(f"the chart could not be drawn: {chart_text(exc, limit=300)}") from None
    svg = svg.strip()
    check_svg(svg)
    return Markup(_prefix_ids(svg, f"{chart_id}-"))
