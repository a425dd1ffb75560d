"""argparse value types of ``trajdyn-analyze``: each names what it expected and what it got, in one line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["non_negative_int", "non_negative_number", "positive_int", "shuffle_count"]


def _parsed(text: str, convert: Callable[[str], float], ok: Callable[[float], bool], expected: str) -> float:
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return int(_parsed(text, int, lambda v: v >= 1, "a positive integer"))


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    return int(_parsed(text, int, lambda v: v >= 0, "an integer >= 0"))


def shuffle_count(text: str) -> int:
    """0 (off) or an integer >= 2 (a z-score against one shuffle is meaningless)."""
    return int(_parsed(text, int, lambda v: v == 0 or v >= 2, "0 or an integer >= 2"))


def non_negative_number(expected: str = "a number >= 0") -> Callable[[str], float]:
    """A finite number >= 0; ``expected`` words the error (``"percentage points >= 0"``)."""

    def parse(text: str) -> float:
        return _parsed(text, float, lambda v: v >= 0, expected)

    return parse
