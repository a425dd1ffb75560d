"""Data strings made safe to display: in a terminal (rich), in Markdown, in HTML, on stderr.

Knob names, task and trajectory ids, tool and model names, playbook entry ids, file names and the messages that
quote them come from the inputs and may hold anything: ANSI/OSC escape sequences (clear the screen, set the
window title, plant a hyperlink), HTML (``<script>``, ``<img onerror=…>``), Markdown that changes the document,
rich markup (``[link=…]``), megabytes of text. Every renderer passes them through this module, so that what is
displayed is the data, inert:

- :func:`visible`: control characters (C0, DEL, C1), line and paragraph separators and bidirectional controls are
  shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``): nothing reaches a terminal that it would interpret;
- :func:`clip`: a long string is cut for display (a 10 MB knob name would make rich's line wrapping take minutes);
  the data is never cut: the JSON report keeps every string whole;
- :func:`terminal_text`: visible and clipped, as a rich ``Text`` (never parsed as markup);
- :func:`markdown_text` / :func:`markdown_code`: visible and clipped, HTML and Markdown escaped (text), or as a
  code span whose fence no backtick in the data can close;
- :func:`html_text`: visible and clipped, HTML-escaped (for an HTML rendering);
- :func:`chart_text`: visible and clipped short, for a string inside a chart (a Vega-Lite spec drawn as SVG): no
  character that XML 1.0 forbids is left in it (the chart renderer, vl-convert, aborts the whole process on one, an
  abort no ``try`` can catch), and the SVG writer escapes ``<`` and ``&`` itself;
- :func:`plain_text`: visible and clipped, for a line printed as is (the ``file:line: problem`` lines on stderr).

The JSON rendering applies none of this: it is exact data.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from rich.text import Text

__all__ = [
    "CHART_CHARS",
    "HTML_CHARS",
    "MARKDOWN_CHARS",
    "TERMINAL_CHARS",
    "chart_text",
    "clip",
    "html_text",
    "markdown_cell",
    "markdown_code",
    "markdown_text",
    "plain_text",
    "terminal_markup",
    "terminal_text",
    "visible",
]

TERMINAL_CHARS: Final = 1000
"""Longest string shown in one terminal table cell or line (before escapes are expanded)."""
MARKDOWN_CHARS: Final = 4000
"""Longest string shown in one Markdown table cell or line."""
HTML_CHARS: Final = 1000
"""Longest string shown in one cell or line of the HTML report."""
CHART_CHARS: Final = 120
"""Longest string drawn in a chart (a title, an axis or a category label)."""

# Controls (C0, DEL, C1), line/paragraph separators, bidirectional controls, and what XML 1.0 forbids beyond the
# controls: lone surrogates and the non-characters U+FFFE / U+FFFF.
_INVISIBLE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MD_SPECIAL: Final = re.compile(r"([\\`*|~]|\[(?=\^)|\](?=[(\[:]))")
_MD_UNDERSCORE: Final = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_MD_BLOCK_START: Final = re.compile(r"^(\s*(?:\d+)?)([-+#.)])")
_BACKTICKS: Final = re.compile(r"`+")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control, separator and bidirectional-control character shown as an escape (so are a
    lone surrogate and U+FFFE / U+FFFF, which no UTF-8 file or XML document may hold)."""
    return _INVISIBLE.sub(_escape_char, text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters for display, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def plain_text(text: object, *, limit: int = TERMINAL_CHARS) -> str:
    """``text`` visible and clipped, for a line printed without rich (stderr messages)."""
    return visible(clip(str(text), limit))


def terminal_text(text: object, *, style: str = "", limit: int = TERMINAL_CHARS) -> Text:
    """A rich ``Text`` of ``text``: visible, clipped, never parsed as markup."""
    from rich.text import Text

    return Text(visible(clip(str(text), limit)), style=style)


def terminal_markup(text: object, *, limit: int = TERMINAL_CHARS) -> str:
    """``text`` visible, clipped and escaped for embedding in a rich markup string (``f"[bold]x[/bold] {…}"``)."""
    from rich.markup import escape

    return escape(visible(clip(str(text), limit)))


def markdown_text(text: object, *, block_start: bool = False, limit: int = MARKDOWN_CHARS) -> str:
    """``text`` as inert inline Markdown: visible and clipped; ``&``, ``<``, ``>`` as HTML entities; the
    characters of emphasis, code, strikethrough, tables and escapes backslash-escaped (an intra-word ``_`` is left
    alone: it never emphasises); a ``]`` that would close a link escaped (so ``[x](javascript:…)`` stays text).
    Safe inside a table cell (``|`` is escaped and there are no newlines). ``block_start``: the text opens a list
    item or heading, where a leading ``-``, ``+``, ``#`` or ``1.`` would start a block, so it is escaped too."""
    s = visible(clip(str(text), limit))
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _MD_UNDERSCORE.sub(r"\\_", s)
    s = html.escape(s, quote=False)
    return _MD_BLOCK_START.sub(r"\1\\\2", s, count=1) if block_start else s


markdown_cell = markdown_text
"""A Markdown table cell: :func:`markdown_text` (which escapes ``|`` and leaves no newline)."""


def markdown_code(text: object, *, table: bool = False, limit: int = MARKDOWN_CHARS) -> str:
    """``text`` as a Markdown code span: visible and clipped, fenced with more backticks than any run inside it.

    A code span shows its content literally (HTML included). ``table``: the span is inside a table cell, where
    GitHub-flavoured Markdown needs ``|`` escaped even in code.
    """
    s = visible(clip(str(text), limit))
    if table:
        s = s.replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith(("`", " ")) or s.endswith(("`", " ")) or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def html_text(text: object, *, limit: int = MARKDOWN_CHARS) -> str:
    """``text`` for HTML element content or a quoted attribute value: visible, clipped, HTML-escaped."""
    return html.escape(visible(clip(str(text), limit)), quote=True)


def chart_text(text: object, *, limit: int = CHART_CHARS) -> str:
    """``text`` for a chart: visible and clipped to ``limit`` characters (a chart label has little room), and a
    character outside the Basic Multilingual Plane (an emoji, say) shown as ``\\U0001f3af``.

    Every string of a chart spec passes here before the spec reaches the SVG renderer: what is left holds no XML-invalid
    character (the renderer aborts the process on one) and no bidirectional control (a label could read backwards).
    Vega shortens a long label to fit by cutting UTF-16 code units, which can split an astral character's surrogate
    pair, and the renderer then fails on the half; hence the escape. Not HTML-escaped: the SVG writer escapes ``<``,
    ``>``, ``&`` and quotes itself, and the SVG is checked afterwards.
    """
    return _ASTRAL.sub(lambda m: f"\\U{ord(m.group()):08x}", visible(clip(str(text), limit)))
