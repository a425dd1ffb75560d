"""Input problems: what was wrong with one place of one input, reported as ``path:line: message`` and skipped.

A problem is a record, not an exception: readers (the span reader, the format importers, the result readers, the
playbook entry loader) collect them and go on with the rest of the input (docs/reliability.md). Under ``strict`` the
first one is raised, wrapped in :class:`trajdyn.analyzer.InputParseError`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputProblem"]


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One problem in one input: ``path`` as given, ``line`` 1-based (0 when it concerns the whole input)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message}
