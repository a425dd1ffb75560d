"""trajdyn's offline analyzer: read OTLP/JSON span dumps into polars frames and derive the trajectory model.

Needs the ``analyze`` extra (polars …); importing this package without it raises
:class:`~trajdyn.exceptions.MissingExtraError` naming the extra::

    from trajdyn.analyzer import read_spans, trajectories, steps, events

    data = read_spans("trajdyn-out/spans.jsonl")
    steps(data).filter(phase="propose")
"""

from __future__ import annotations

import importlib.util

from trajdyn.exceptions import MissingExtraError

if importlib.util.find_spec("polars") is None:  # pragma: no cover - exercised in an environment without polars
    raise MissingExtraError("polars", "analyze")

from trajdyn.analyzer.errors import ReadError
from trajdyn.analyzer.io import InputParseError, InputSummary, SpanData, read_spans
from trajdyn.analyzer.model import events, steps, trajectories

ReadResult = SpanData
"""Alias of :class:`SpanData`."""

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
