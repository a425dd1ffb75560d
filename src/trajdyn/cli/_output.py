"""What both modes of ``trajdyn-analyze`` (the report, and the playbook lint alone) share: the exit codes, the one
line of a user error, the ``path:line: problem`` lines on stderr, and the one writer of ``--json`` / ``--markdown``
/ ``--html`` / ``--out`` (or the terminal when none is given). See docs/cli.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

__all__ = [
    "EXIT_INPUT_ERROR",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_USAGE",
    "MAX_ERRORS_SHOWN",
    "PROG",
    "Document",
    "Targets",
    "emit",
    "fail",
    "print_problems",
]

PROG: Final = "trajdyn-analyze"
EXIT_OK: Final = 0
EXIT_INPUT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_REGRESSION: Final = 3
"""``--fail-on-regression`` and at least one group of the ``trends`` section has the verdict ``regression``."""
MAX_ERRORS_SHOWN: Final = 20
STDOUT: Final = "-"
"""The file name that means standard output, for every output option."""


def fail(message: str, code: int, stderr: TextIO) -> int:
    """Print ``trajdyn-analyze: error: message`` (data in it shown inert) and return ``code``."""
    from trajdyn.analyzer.report import plain_text

    print(f"{PROG}: error: {plain_text(message)}", file=stderr)
    return code


def print_problems(problems: Sequence[object], stderr: TextIO, *, what: str = "input problems") -> None:
    """The first :data:`MAX_ERRORS_SHOWN` problems, one ``path:line: message`` line each (inert), then a count."""
    from trajdyn.analyzer.report import plain_text

    for problem in problems[:MAX_ERRORS_SHOWN]:
        print(plain_text(problem), file=stderr)
    if len(problems) > MAX_ERRORS_SHOWN:
        print(f"... and {len(problems) - MAX_ERRORS_SHOWN} more {what}", file=stderr)


@dataclass(frozen=True, slots=True)
class Targets:
    """Where to write: ``--json FILE``, ``--markdown FILE``, ``--html FILE`` (``-``: stdout), ``--out DIR``; none:
    the terminal."""

    json: str | None = None
    markdown: str | None = None
    out: str | None = None
    html: str | None = None

    @property
    def terminal(self) -> bool:
        """No file target: show the document on the terminal."""
        return self.json is None and self.markdown is None and self.out is None and self.html is None


@dataclass(frozen=True)
class Document:
    """A result to write: ``stem`` names its files under ``--out`` (``report`` → report.json, report.md); the
    renderings are made on first use, once; ``artifacts`` writes extra files under ``--out DIR``; ``html_text``, the
    HTML page, when the document has one and it can be drawn here (``--out`` then writes ``stem.html`` too)."""

    stem: str
    what: str
    json_text: Callable[[], str]
    markdown_text: Callable[[], str]
    terminal: Callable[[], None]
    artifacts: Callable[[Path], None] | None = None
    html_text: Callable[[], str] | None = None
    _cache: dict[str, str] = field(default_factory=dict, repr=False)

    def json(self) -> str:
        """The JSON text (made once)."""
        if "json" not in self._cache:
            self._cache["json"] = self.json_text()
        return self._cache["json"]

    def markdown(self) -> str:
        """The Markdown text (made once)."""
        if "markdown" not in self._cache:
            self._cache["markdown"] = self.markdown_text()
        return self._cache["markdown"]

    def html(self) -> str:
        """The HTML page (made once); ``ValueError`` when the document has none."""
        if self.html_text is None:
            raise ValueError(f"the {self.what} has no HTML rendering here")
        if "html" not in self._cache:
            self._cache["html"] = self.html_text()
        return self._cache["html"]


def emit(document: Document, targets: Targets, *, stdout: TextIO, stderr: TextIO) -> int | None:
    """Write ``document`` to ``targets`` (or render it on the terminal); an exit code when writing failed, else None.

    ``-`` is standard output for ``--json``, ``--markdown`` and ``--html`` alike (one of them at a time).
    """
    if targets.json == STDOUT and targets.markdown == STDOUT:
        return fail("--json - and --markdown - both ask for stdout: send one of them to a file", EXIT_USAGE, stderr)
    if targets.html == STDOUT and STDOUT in (targets.json, targets.markdown):
        return fail("--html - and another output both ask for stdout: send one of them to a file", EXIT_USAGE, stderr)
    try:
        if targets.out is not None:
            out = Path(targets.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{document.stem}.json").write_text(document.json() + "\n", encoding="utf-8")
            (out / f"{document.stem}.md").write_text(document.markdown(), encoding="utf-8")
            if document.artifacts is not None:
                document.artifacts(out)
            if document.html_text is not None:
                (out / f"{document.stem}.html").write_text(document.html(), encoding="utf-8")
        if targets.json is not None:
            if targets.json == STDOUT:
                stdout.write(document.json() + "\n")
            else:
                Path(targets.json).write_text(document.json() + "\n", encoding="utf-8")
        if targets.markdown == STDOUT:
            stdout.write(document.markdown())
        elif targets.markdown is not None:
            Path(targets.markdown).write_text(document.markdown(), encoding="utf-8")
        if targets.html == STDOUT:
            stdout.write(document.html())
        elif targets.html is not None:
            Path(targets.html).write_text(document.html(), encoding="utf-8")
    except OSError as exc:
        return fail(f"cannot write the {document.what}: {exc}", EXIT_USAGE, stderr)
    if targets.terminal:
        document.terminal()
    return None
