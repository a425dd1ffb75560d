"""Building HTML that is safe by construction: text is escaped unless it is already :class:`Markup`.

Every function here takes data as plain ``str`` (or any object) and escapes it through the report's one escaping
module (:func:`~trajdyn.analyzer.report._escape.html_text`: controls and bidirectional overrides shown as escapes,
long strings clipped, ``<>&"'`` as entities). Only what this module builds, and SVG checked by :mod:`._svg`, is
:class:`Markup`; concatenating ``Markup`` with a plain ``str`` gives a plain ``str``, which the next builder escapes
again — a mistake shows as visible entities, never as live HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from trajdyn.analyzer.report._escape import HTML_CHARS, html_text

__all__ = ["Markup", "el", "esc", "join", "table"]

_NAME: Final = re.compile(r"^[a-z][a-z0-9-]*$")
_VOID: Final = frozenset({"br", "hr", "meta", "wbr"})


class Markup(str):
    """A string of HTML that is safe to insert as is (built by this module, or a checked chart)."""

    __slots__ = ()


def esc(value: object, *, limit: int = HTML_CHARS) -> Markup:
    """``value`` as HTML text: itself when it is already :class:`Markup`, else escaped and clipped to ``limit``."""
    if isinstance(value, Markup):
        return value
    return Markup(html_text(value, limit=limit))


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """The parts one after another (each escaped unless it is :class:`Markup`), ``sep`` (ours, not data) between."""
    return Markup(sep.join(esc(p) for p in parts))


def _attr(name: str, value: object) -> str:
    key = name.rstrip("_").replace("_", "-")
    if not _NAME.match(key) or key.startswith("on") or key == "style":
        raise ValueError(f"refusing the HTML attribute {name!r}")
    if value is True:
        return f" {key}"
    return f' {key}="{esc(value)}"'


def el(tag: str, *children: object, **attrs: object) -> Markup:
    """``<tag attrs>children</tag>``: children escaped unless :class:`Markup`; an attribute that is ``None`` or
    ``False`` is left out, ``True`` is written bare; ``class_`` stands for ``class``, ``_`` in a name for ``-``.

    Event handlers (``on…``) and ``style`` are refused: the page has no script, and its one stylesheet is allowed by
    its hash in the Content-Security-Policy (an inline ``style`` attribute would be blocked).
    """
    if not _NAME.match(tag) or tag in ("script", "style", "iframe", "object", "embed", "img", "link", "base"):
        raise ValueError(f"refusing the HTML element {tag!r}")
    opened = "<" + tag + "".join(_attr(k, v) for k, v in attrs.items() if v is not None and v is not False) + ">"
    if tag in _VOID:
        return Markup(opened)
    return Markup(opened + "".join(esc(c) for c in children) + f"</{tag}>")


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    caption: object = None,
    class_: str | None = None,
) -> Markup:
    """A table (in a horizontally scrolling box): ``headers`` (ours), ``rows`` of cells (data, escaped unless
    :class:`Markup`); columns in ``numeric`` are right-aligned with tabular figures."""
    right = set(numeric)
    head = el("tr", *(el("th", h, scope="col", class_="num" if i in right else None) for i, h in enumerate(headers)))
    body = [el("tr", *(el("td", c, class_="num" if i in right else None) for i, c in enumerate(row))) for row in rows]
    return el(
        "div",
        el(
            "table",
            el("caption", caption) if caption is not None else Markup(""),
            el("thead", head),
            el("tbody", *body),
            class_=class_,
        ),
        class_="tablewrap",
    )
