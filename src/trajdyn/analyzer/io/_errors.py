""":class:`InputParseError`: the first input problem, raised under ``strict`` (problems are collected otherwise)."""

from __future__ import annotations

from trajdyn._problems import InputProblem
from trajdyn.exceptions import InputError

__all__ = ["InputParseError"]


class InputParseError(InputError):
    """The first input problem, raised by ``read_spans(..., strict=True)``; ``error`` is the :class:`InputProblem`."""

    def __init__(self, error: InputProblem) -> None:
        super().__init__(str(error))
        self.error = error
