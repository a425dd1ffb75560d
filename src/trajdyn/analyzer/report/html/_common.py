"""Small pieces shared by the sections' HTML parts: number and interval text, capped tables, binned distributions.

The summaries here (median, quartiles, bin counts) describe what the report already holds, for display; they are
not estimates (every estimate with an interval comes from the JSON report as is).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._format import fmt_num
from trajdyn.analyzer.report.html._markup import Markup, el, join, table

__all__ = [
    "binned",
    "capped_table",
    "ci_text",
    "finite",
    "numbers",
    "obj",
    "objects",
    "pair",
    "quartiles",
    "short_label",
]


def obj(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (a report block read defensively: every key optional)."""
    return value if isinstance(value, dict) else {}


def objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects of ``value`` when it is a list, else none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def numbers(value: object) -> list[object]:
    """The items of ``value`` when it is a list (a series), else none."""
    return list(value) if isinstance(value, list) else []


def pair(value: object) -> tuple[object, object]:
    """An interval ``[low, high]`` of the report as a pair, ``(None, None)`` when it is not one."""
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return None, None


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def ci_text(low: object, high: object, *, digits: int = 3, level: str = "95 %", fmt: Any = None) -> str:
    """``"95 % CI a – b"``, or ``""`` when either bound is missing."""
    lo, hi = finite(low), finite(high)
    if lo is None or hi is None:
        return ""
    show = fmt or (lambda v: fmt_num(v, digits))
    return f"{level} CI {show(lo)} – {show(hi)}"


def quartiles(values: Iterable[object]) -> tuple[float, float, float] | None:
    """(first quartile, median, third quartile) of the finite values (linear interpolation), ``None`` when none."""
    import numpy as np

    data = np.array([v for v in (finite(x) for x in values) if v is not None], dtype=float)
    if data.size == 0:
        return None
    q1, med, q3 = np.quantile(data, [0.25, 0.5, 0.75])
    return float(q1), float(med), float(q3)


def binned(
    values: Sequence[object], *, bins: int = 20, lo: float | None = None, hi: float | None = None
) -> list[dict[str, Any]]:
    """Counts of the finite values in ``bins`` equal bins over [lo, hi] (default: their range) as ``{lo, hi, n}``."""
    import numpy as np

    data = np.array([v for v in (finite(x) for x in values) if v is not None], dtype=float)
    if data.size == 0:
        return []
    low = float(data.min()) if lo is None else lo
    high = float(data.max()) if hi is None else hi
    if high <= low:
        high = low + 1.0
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    return [
        {"lo": float(a), "hi": float(b), "n": int(c)} for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def short_label(entry: Mapping[str, Any]) -> str:
    """A trajectory's label: its id, and its task when it has one."""
    task = entry.get(K.TASK_ID)
    tid = str(entry.get(K.TRAJECTORY_ID))
    return tid if task is None else f"{tid} (task {task})"


def capped_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    limit: int,
    what: str,
    numeric: Iterable[int] = (),
    caption: str | None = None,
) -> Markup:
    """A table of the first ``limit`` rows, saying how many of how many are shown (all are in the JSON report)."""
    shown = rows[:limit]
    note = Markup("")
    if len(rows) > limit:
        note = el("p", f"First {limit:,} of {len(rows):,} {what}; all are in the JSON report.", class_="muted")
    return join([table(headers, shown, numeric=numeric, caption=caption), note])
