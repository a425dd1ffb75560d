"""Number formatting shared by the markdown and terminal renderings."""

from __future__ import annotations

import math

__all__ = ["fmt_label", "fmt_num", "fmt_pct", "fmt_value"]


def fmt_num(value: object, digits: int = 4) -> str:
    """An integer as is, a float with ``digits`` significant digits, null as ``–``."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:.{digits}e}"
    return str(value)


def fmt_pct(value: object, digits: int = 2) -> str:
    """A fraction as a percentage (0.0093 → ``0.93 %``), null as ``–``."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    return f"{value * 100:.{digits}f} %"


def fmt_value(value: object) -> str:
    """A canonical knob value; null (a tool call) as ``–``."""
    return "–" if value is None else str(value)


def fmt_label(text: object, limit: int = 60) -> str:
    """A label cut to ``limit`` characters with an ellipsis (a long free-text action in a list of counts); null as
    ``–``. The full text stays in the JSON report."""
    if text is None:
        return "–"
    label = str(text)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
