"""trajdyn's offline analyzer: read OTLP/JSON span dumps into polars frames and derive the trajectory model.

Needs the ``analyze`` extra (polars …) for the frames: using ``read_spans``, ``steps``, ``trajectories`` or
``events`` without it raises :class:`~trajdyn.exceptions.MissingExtraError` naming the extra. The names are loaded
on first use, so the pure-Python parts (the importers, ``trajdyn-import``, the command lines' error messages) work
without polars::

    from trajdyn.analyzer import read_spans, trajectories, steps, events

    data = read_spans("trajdyn-out/spans.jsonl")
    steps(data).filter(phase="propose")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from trajdyn._problems import ReadError
from trajdyn.exceptions import MissingExtraError

if TYPE_CHECKING:
    from trajdyn.analyzer.io import InputParseError, InputSummary, SpanData, read_spans
    from trajdyn.analyzer.model import events, steps, trajectories

    ReadResult = SpanData

__all__ = [
    "InputParseError",
    "InputSummary",
    "ReadError",
    "ReadResult",
    "SpanData",
    "events",
    "read_spans",
    "steps",
    "trajectories",
]

_LAZY: Final = {
    "InputParseError": "trajdyn.analyzer.io",
    "InputSummary": "trajdyn.analyzer.io",
    "SpanData": "trajdyn.analyzer.io",
    "ReadResult": "trajdyn.analyzer.io",  # alias of SpanData
    "read_spans": "trajdyn.analyzer.io",
    "events": "trajdyn.analyzer.model",
    "steps": "trajdyn.analyzer.model",
    "trajectories": "trajdyn.analyzer.model",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        importlib.import_module("polars")
    except ImportError as exc:
        raise MissingExtraError("polars", "analyze") from exc
    value = getattr(importlib.import_module(module), "SpanData" if name == "ReadResult" else name)
    globals()[name] = value
    return value
