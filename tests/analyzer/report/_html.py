"""What the HTML report tests share: a parse of the page, the checks every page must pass, and the pages' inputs.

:func:`check_page` is the offline half of "no request, no script, nothing from the data live": it parses the page with
the standard library's HTML parser and checks every element and attribute; the browser tests load the same pages in
Chromium for the other half (what a real browser does with them).
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import REPO_ROOT

# What no visible text may hold: C0 controls but newline and tab, DEL, C1, separators and bidirectional controls.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "img",
        "image",
        "iframe",
        "object",
        "embed",
        "link",
        "base",
        "form",
        "input",
        "button",
        "audio",
        "video",
        "source",
        "foreignobject",
        "use",
    }
)

EXAMPLE = REPO_ROOT / "examples" / "autoresearch_loop.py"

# hostile strings for every section (the injection case of the HTML report tests)
KNOB = "knob\x1b[2J\x1b[H<script>alert(1)</script>"
KNOB2 = "k2\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ </style><style>*{display:none}</style>"
VALUE = '"><img src=x onerror=alert(1)>'
TASK1 = "task\x1b]0;pwned\x07<svg onload=alert(1)>"
TASK2 = "task2\u202egnp.exe\r\n\ufffe"
MODEL = "model</title><script>alert(2)</script>\x9b31m"
RUN = "run\x1b[31m<!--"
KEY = "key<iframe src=//evil.example>\x1b[2J"
ENTRY = "entry\x1b[2J<img src=x onerror=alert(1)>]]>\x00"
LONG = "L" * 20_000
HANDLE = "shell\x1b[2J<script>rm()</script>"
PAYLOADS = (KNOB, KNOB2, VALUE, TASK1, TASK2, MODEL, RUN, KEY, ENTRY)


def hostile_inputs(root: Path) -> tuple[Path, Path]:
    """Three runs of two tasks through the real SDK with hostile strings in every name (knobs, values, tasks, model,
    runs, learning key, playbook entry), a 20,000-character knob, a bad line, and a playbook file with a hostile id."""
    from tests.analyzer._sdk_dumps import write_knob_loops

    spans = root / "spans\x1b[31m<b>.jsonl"
    dump = write_knob_loops(
        root / "sdk.jsonl",
        runs=3,
        tasks=(TASK1, TASK2),
        iterations=8,
        menu=(KNOB, KNOB2, LONG),
        values=(VALUE, "2"),
        model=MODEL,
        run_prefix=RUN,
        learning_key=KEY,
        entry=ENTRY,
    )
    spans.write_bytes(dump.data + b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\\u001b[2J<b>"}]}]}]}\n')
    from tests.analyzer._playbook_data import write_playbook_entry

    playbook = write_playbook_entry(root / "playbook.jsonl", ENTRY, HANDLE)
    return spans, playbook


@dataclass
class Page:
    """The parsed page: every start tag with its attributes, the text, the stylesheets, the head's order."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    head: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())

    def ids(self) -> list[str]:
        return [str(a["id"]) for _, a in self.tags if a.get("id") is not None]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_head = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        entry = (tag, dict(attrs))
        self.page.tags.append(entry)
        if tag == "head":
            self._in_head = True
        elif self._in_head:
            self.page.head.append(entry)
        if tag == "style":
            self._in_style = True
            self.page.styles.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.page.styles[-1] += data
        else:
            self.page.text.append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def check_page(html: str, *, document: bool = True) -> Page:
    """Assert what every report page must be; returns the parse.

    - the Content-Security-Policy meta element comes right after the charset and forbids everything but the one
      stylesheet, whose hash it names;
    - no element that runs or loads anything (script, img, iframe, link, SVG image / foreignObject / use, …);
    - no event-handler, ``style``, ``src`` attribute; every ``href`` is an anchor of the page that exists;
    - ids are unique; no ``url(`` but to an id of the page; no raw control character in the text.
    """
    page = parse(html)
    if document:
        assert html.startswith("<!doctype html>\n")
        first, second = page.head[0], page.head[1]
        assert first == ("meta", {"charset": "utf-8"}), first
        assert second[0] == "meta" and second[1].get("http-equiv") == "Content-Security-Policy", second
        csp = str(second[1]["content"])
        (style,) = page.styles
        digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
        assert csp == f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'", csp
        assert "unsafe" not in csp
    ids = page.ids()
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for tag, attrs in page.tags:
        assert tag not in FORBIDDEN_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("style", "src", "srcset", "action", "formaction", "background", "poster"), (tag, name)
            if name in ("href", "xlink:href"):
                assert value is not None and value.startswith("#") and value[1:] in ids, (tag, name, value)
        if tag == "meta":
            assert attrs.get("http-equiv") in (None, "Content-Security-Policy"), attrs
    for target in re.findall(r"url\(([^)]*)\)", html):
        assert target.startswith("#") and target[1:] in ids, target
    assert not RAW_CONTROL.findall(page.plain), sorted(set(RAW_CONTROL.findall(page.plain)))
    assert 'class="render-error"' not in html and 'class="chart-error"' not in html
    return page


def run_example(out: Path, iterations: int = 50) -> Path:
    """Run the example agent loop (``examples/autoresearch_loop.py``) into ``out``; returns its spans file."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--iterations", str(iterations)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT / "src")},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out / "spans.jsonl"


class _Outliner(HTMLParser):
    """The page's structure as text lines: headings, cards, findings, paragraphs, figure captions, tables (headers,
    row count and the first rows), detail articles; SVG content is skipped (its bytes belong to the chart renderer)."""

    ROWS = 5

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._svg = 0
        self._capture: list[tuple[str, list[str]]] = []
        self._row: list[str] | None = None
        self._rows = 0
        self._header: list[str] = []

    def _text(self) -> str:
        return " ".join("".join(self._capture[-1][1]).split()) if self._capture else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self._svg += 1
            self.lines.append("  [chart]")
        if self._svg:
            return
        if tag == "span" and self._capture and self._capture[-1][0] == "li":
            self._capture[-1][1].append(" | ")
        if tag in ("h1", "h2", "h3", "h4", "p", "figcaption", "title", "th", "td") or (
            tag == "li" and (a.get("class") or "").startswith("card")
        ):
            self._capture.append((tag, []))
        elif tag == "li" and not self._capture:
            self._capture.append(("li", []))
        if tag == "section" or tag == "article":
            self.lines.append(f"{tag} {a.get('id')}")
        if tag == "table":
            self._rows, self._header = 0, []
        if tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg -= 1
            return
        if self._svg:
            return
        if self._capture and self._capture[-1][0] == tag:
            text = self._text()
            self._capture.pop()
            if tag in ("th", "td"):
                if self._row is not None:
                    self._row.append(text)
                return
            if self._capture:  # nested (a paragraph in a card): part of the outer text
                self._capture[-1][1].append(" " + text + " ")
                return
            self.lines.append(f"  {tag}: {text}")
        if tag == "tr" and self._row is not None:
            if not self._header:
                self._header = self._row
                self.lines.append("  table: " + " | ".join(self._row))
            else:
                self._rows += 1
                if self._rows <= self.ROWS:
                    self.lines.append("    " + " | ".join(self._row))
            self._row = None
        if tag == "table" and self._rows > self.ROWS:
            self.lines.append(f"    … {self._rows} rows")

    def handle_data(self, data: str) -> None:
        if not self._svg and self._capture:
            self._capture[-1][1].append(data)


def outline(html: str) -> str:
    """The structure of a report page as text (see :class:`_Outliner`), for the HTML goldens."""
    parser = _Outliner()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.lines) + "\n"
