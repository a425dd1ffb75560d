"""Reading the return values of decorated functions: pluggable, and never an error.

The default readers understand:

- **propose**: a mapping with ``"knob"`` (and ``"value"``), a ``(knob, value)`` tuple or list, an object with
  ``.knob`` (and ``.value``) attributes, or a plain ``str`` — a tool call, recorded as its action with no knob;
- **observe**: a number (the primary metric), or a mapping of metrics whose primary entry is the trajectory's
  ``metric_name``, else ``"metric"``, else its only entry; the other numeric entries become
  ``trajdyn.metrics.<name>``; an object with a ``.metric`` attribute is read as that number;
- **decide**: ``"keep"``/``"revert"`` and their aliases or a bool (:func:`trajdyn.normalize_decision`), or a mapping /
  object with a ``decision`` entry.

An extractor passed as ``@trajdyn.propose(extract=fn)`` is a plain callable that maps the function's return value to
something the default reader understands (``lambda r: r.proposal``, ``lambda r: {"loss": r[0]}`` …). Anything the
reader cannot read is recorded as absent. An extractor that raises is a trajdyn internal error (logged once,
counted, swallowed; re-raised in strict mode).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeAlias

from trajdyn import conventions as C
from trajdyn._values import canonical_action, canonical_value, normalize_decision

__all__ = [
    "DecisionExtractor",
    "MetricsExtractor",
    "Observation",
    "Proposal",
    "ProposalExtractor",
    "read_decision",
    "read_metrics",
    "read_proposal",
]

ProposalExtractor: TypeAlias = Callable[[Any], Any]
"""Maps a propose function's return value to a mapping / tuple / object / str that :func:`read_proposal` reads."""
MetricsExtractor: TypeAlias = Callable[[Any], Any]
"""Maps an observe function's return value to a number or a mapping of metrics."""
DecisionExtractor: TypeAlias = Callable[[Any], Any]
"""Maps a decide function's return value to ``"keep"``/``"revert"``/bool."""


class Proposal(NamedTuple):
    """A proposal read from a return value: knob (``None`` for a tool call), canonical value, action signature."""

    knob: str | None
    value: str | None
    action: str | None

    @property
    def pair_knob(self) -> str | None:
        """The knob of the (knob, value) pair: the knob, or the action of a tool call."""
        return self.knob if self.knob is not None else self.action


class Observation(NamedTuple):
    """Metrics read from an observe return value: the primary metric and the others by name."""

    metric: float | None
    others: dict[str, float]


_NO_PROPOSAL = Proposal(None, None, None)
_NO_OBSERVATION = Observation(None, {})


def _as_float(x: object) -> float | None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _knob_str(knob: object) -> str | None:
    if knob is None:
        return None
    k = knob if isinstance(knob, str) else canonical_value(knob)
    return k if k else None


def _fast_value(value: object) -> str | None:
    tv = type(value)
    if tv is str:
        return value  # type: ignore[return-value]
    if tv is int:
        return str(value)
    return canonical_value(value)


def read_proposal_fields(obj: object) -> tuple[str | None, str | None, str | None]:
    """(knob, canonical value, action) of a proposal: :func:`read_proposal` without the named tuple (hot path)."""
    if type(obj) is dict:
        knob = obj.get("knob")
        if type(knob) is str and knob:
            v = _fast_value(obj.get("value"))
            return knob, v, knob if v is None else f"{knob}={v}"
    elif type(obj) is tuple and len(obj) == 2 and type(obj[0]) is str and obj[0]:
        knob = obj[0]
        v = _fast_value(obj[1])
        return knob, v, knob if v is None else f"{knob}={v}"
    return read_proposal(obj)


def read_metric_fields(obj: object, metric_name: str | None) -> tuple[float | None, dict[str, float] | None]:
    """(primary metric, other metrics or None): :func:`read_metrics` for the hot path."""
    if type(obj) is float:
        return (obj, None) if math.isfinite(obj) else (None, None)
    metric, others = read_metrics(obj, metric_name)
    return metric, others or None


def read_decision_fast(obj: object) -> str | None:
    """:func:`read_decision` with a fast path for canonical strings and bools."""
    if obj is True:
        return C.DECISION_KEEP
    if obj is False:
        return C.DECISION_REVERT
    if type(obj) is str:
        d = C.DECISION_ALIASES.get(obj)
        if d is not None:
            return d
    return read_decision(obj)


def read_proposal(obj: object) -> Proposal:
    """Read a proposal; unreadable input gives ``Proposal(None, None, None)``."""
    if isinstance(obj, str):
        return Proposal(None, None, obj) if obj else _NO_PROPOSAL
    knob: object = None
    value: object = None
    if isinstance(obj, Mapping):
        knob = obj.get("knob")
        value = obj.get("value")
        if knob is None:
            action = obj.get("action", obj.get("tool"))
            if isinstance(action, str) and action:
                return Proposal(None, None, action)
    elif isinstance(obj, tuple | list):
        if len(obj) != 2:
            return _NO_PROPOSAL
        knob, value = obj
    elif obj is not None:
        knob = getattr(obj, "knob", None)
        value = getattr(obj, "value", None)
    k = _knob_str(knob)
    if k is None:
        return _NO_PROPOSAL
    v = canonical_value(value)
    return Proposal(k, v, canonical_action(k, v))


def read_metrics(obj: object, metric_name: str | None = None) -> Observation:
    """Read the primary metric and the secondary metrics; unreadable input gives no metric."""
    direct = _as_float(obj)
    if direct is not None:
        return Observation(direct, {})
    if isinstance(obj, Mapping):
        numeric: dict[str, float] = {}
        for key, raw in obj.items():
            f = _as_float(raw)
            if f is not None and isinstance(key, str):
                numeric[key] = f
        primary_key: str | None = None
        if metric_name is not None and metric_name in numeric:
            primary_key = metric_name
        elif "metric" in numeric:
            primary_key = "metric"
        elif len(obj) == 1 and len(numeric) == 1:
            primary_key = next(iter(numeric))
        primary = numeric.pop(primary_key) if primary_key is not None else None
        return Observation(primary, numeric)
    if obj is not None and not isinstance(obj, str | bytes):
        m = _as_float(getattr(obj, "metric", None))
        if m is not None:
            return Observation(m, {})
    return _NO_OBSERVATION


def read_decision(obj: object) -> str | None:
    """Read a decision as ``keep``/``revert``; ``None`` when unreadable."""
    if isinstance(obj, Mapping):
        obj = obj.get("decision")
    elif obj is not None and not isinstance(obj, str | bool) and hasattr(obj, "decision"):
        obj = obj.decision
    return normalize_decision(obj)
