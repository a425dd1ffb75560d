"""Input problems: :class:`ReadError` records (collected) and :class:`InputParseError` (raised under ``strict``)."""

from __future__ import annotations

from trajdyn._problems import ReadError
from trajdyn.exceptions import InputError

__all__ = ["InputParseError", "ReadError"]


class InputParseError(InputError):
    """The first input problem, raised by ``read_spans(..., strict=True)``; ``error`` is the :class:`ReadError`."""

    def __init__(self, error: ReadError) -> None:
        super().__init__(str(error))
        self.error = error
