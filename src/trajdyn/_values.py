"""Value canonicalisation shared by the SDK, importers and the analyzer (conventions v1).

Pure Python with no third-party imports: the SDK's hot path calls these on every proposal.
"""

from __future__ import annotations

import math
import numbers
import re

from trajdyn import conventions as C


def canonical_value(value: object) -> str | None:
    """Return the canonical string of a knob value, or ``None`` for an absent value.

    Integers and integral floats give their integer digits (``768``, ``768.0`` and ``"768"`` are one value),
    other floats their shortest round-tripping ``repr`` (``0.0002``), booleans ``true``/``false``,
    strings are returned unchanged, anything else ``str(value)``. Works for numpy scalars without importing numpy.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        if math.isfinite(f) and f.is_integer():
            return str(int(f))
        return repr(f)
    if type(value).__name__ == "bool_":  # numpy.bool_ is not a numbers.Integral
        return "true" if bool(value) else "false"
    return str(value)


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def canonical_number_text(text: str) -> str:
    """``text`` in canonical form when it spells a finite decimal number (``"0.10"`` → ``"0.1"``, ``"1.0"`` and
    ``"01"`` → ``"1"``, ``"1e-3"`` → ``"0.001"``; surrounding blanks dropped), else ``text`` unchanged. For a knob value
    given as a string that other runs give as a number (a sweep's default): one value, one string."""
    stripped = text.strip()
    if _INTEGER_TEXT.fullmatch(stripped):
        return str(int(stripped))
    if _DECIMAL_TEXT.fullmatch(stripped):
        f = float(stripped)
        if math.isfinite(f):
            return canonical_value(f) or text
    return text


def canonical_action(knob: str | None, value: str | None) -> str | None:
    """Canonical action signature of a knob proposal: ``knob=value`` (``knob`` alone without a value)."""
    if knob is None:
        return None
    return knob if value is None else f"{knob}={value}"


def normalize_decision(decision: object) -> str | None:
    """Map a decision from user code or a foreign log to ``keep`` / ``revert``; ``None`` when unreadable.

    ``True``/accept/accepted/keep → ``keep``; ``False``/discard/reject/rejected/revert → ``revert``.
    """
    if decision is None:
        return None
    if isinstance(decision, bool):
        return C.DECISION_KEEP if decision else C.DECISION_REVERT
    if isinstance(decision, str):
        return C.DECISION_ALIASES.get(decision.strip().lower())
    if type(decision).__name__ == "bool_":
        return C.DECISION_KEEP if bool(decision) else C.DECISION_REVERT
    return None
