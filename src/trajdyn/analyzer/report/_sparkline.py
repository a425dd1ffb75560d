"""Unicode sparklines (▁▂▃▄▅▆▇█) for the markdown and terminal reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

__all__ = ["BLOCKS", "sparkline"]

BLOCKS: Final = "▁▂▃▄▅▆▇█"


def sparkline(
    values: Sequence[float | None], *, lo: float | None = None, hi: float | None = None, width: int | None = None
) -> str:
    """One block character per value, scaled linearly from ``lo`` (▁) to ``hi`` (█).

    ``width``: at most that many characters; a longer series is shown by the last value of each of ``width``
    equal buckets (the right view for a cumulative best).

    ``lo``/``hi`` default to the finite values' minimum and maximum; a missing or non-finite value is a space;
    when every value is equal (or ``lo == hi``) each one is drawn as ▄. Values outside ``[lo, hi]`` are clipped.
    """
    if width is not None and width > 0 and len(values) > width:
        n = len(values)
        values = [values[min(n - 1, ((i + 1) * n) // width - 1)] for i in range(width)]
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low = min(finite) if lo is None else lo
    high = max(finite) if hi is None else hi
    top = len(BLOCKS) - 1
    out: list[str] = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif high <= low:
            out.append(BLOCKS[top // 2])
        else:
            frac = min(max((v - low) / (high - low), 0.0), 1.0)
            out.append(BLOCKS[round(frac * top)])
    return "".join(out)
