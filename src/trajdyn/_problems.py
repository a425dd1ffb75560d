"""Input problems found while reading: reported as ``path:line: message`` and skipped, never fatal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReadError:
    """One problem in one input: ``path`` as given, ``line`` 1-based (0 when it concerns the whole input)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message}
