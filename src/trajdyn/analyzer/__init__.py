"""trajdyn's offline analyzer: span dumps and foreign logs → polars frames → the trajectory model → the report.

Needs the ``analyze`` extra (polars …): using ``analyze``, ``read_spans``, ``steps``, ``trajectories``, ``events`` or
an options type without it raises :class:`~trajdyn.exceptions.MissingExtraError` naming the extra. The names are
loaded on first use, so the pure-Python parts (the formats, ``trajdyn-import``, the command lines' error messages)
work without polars::

    from trajdyn.analyzer import TrendsOptions, analyze, read_spans, steps

    report = analyze(["runs/"], options=[TrendsOptions(group_by="dir")])
    data = read_spans("trajdyn-out/spans.jsonl")
    steps(data).filter(phase="propose")

Each report section reads its own frozen options type (``ExplorationOptions``, ``DynamicsOptions`` and
``EmbeddingOptions``, ``PlaybookOptions`` and a ``LintResult``, ``TrendsOptions``, ``FusionOptions``). See docs/analyzer-api.md and
docs/architecture.md.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Final

from trajdyn._problems import InputProblem
from trajdyn.exceptions import MissingExtraError

if TYPE_CHECKING:
    from trajdyn.analyzer._analyze import analyze
    from trajdyn.analyzer.embeddings import EmbeddingOptions
    from trajdyn.analyzer.io import (
        InputParseError,
        InputSummary,
        ResultData,
        SpanData,
        SpanDocuments,
        read_results,
        read_spans,
    )
    from trajdyn.analyzer.metrics.dynamics import DynamicsOptions
    from trajdyn.analyzer.metrics.exploration import ExplorationOptions
    from trajdyn.analyzer.metrics.playbook import LintConfig, LintResult, PlaybookOptions, lint_playbook
    from trajdyn.analyzer.model import events, steps, trajectories
    from trajdyn.analyzer.report import FusionOptions, Report, ReportOptions, SweepsOptions, TrendsOptions

    ReadResult = SpanData

__all__ = [
    "DynamicsOptions",
    "EmbeddingOptions",
    "ExplorationOptions",
    "FusionOptions",
    "InputParseError",
    "InputProblem",
    "InputSummary",
    "LintConfig",
    "LintResult",
    "PlaybookOptions",
    "ReadResult",
    "Report",
    "ReportOptions",
    "ResultData",
    "SpanData",
    "SpanDocuments",
    "SweepsOptions",
    "TrendsOptions",
    "analyze",
    "events",
    "lint_playbook",
    "read_results",
    "read_spans",
    "steps",
    "trajectories",
]

_LAZY: Final = {
    "analyze": "trajdyn.analyzer._analyze",
    "DynamicsOptions": "trajdyn.analyzer.metrics.dynamics",
    "EmbeddingOptions": "trajdyn.analyzer.embeddings",
    "ExplorationOptions": "trajdyn.analyzer.metrics.exploration",
    "InputParseError": "trajdyn.analyzer.io",
    "InputSummary": "trajdyn.analyzer.io",
    "LintConfig": "trajdyn.analyzer.metrics.playbook",
    "LintResult": "trajdyn.analyzer.metrics.playbook",
    "PlaybookOptions": "trajdyn.analyzer.metrics.playbook",
    "ReadResult": "trajdyn.analyzer.io",  # alias of SpanData
    "Report": "trajdyn.analyzer.report",
    "ReportOptions": "trajdyn.analyzer.report",
    "ResultData": "trajdyn.analyzer.io",
    "SpanData": "trajdyn.analyzer.io",
    "SpanDocuments": "trajdyn.analyzer.io",
    "SweepsOptions": "trajdyn.analyzer.report",
    "TrendsOptions": "trajdyn.analyzer.report",
    "FusionOptions": "trajdyn.analyzer.report",
    "events": "trajdyn.analyzer.model",
    "lint_playbook": "trajdyn.analyzer.metrics.playbook",
    "read_results": "trajdyn.analyzer.io",
    "read_spans": "trajdyn.analyzer.io",
    "steps": "trajdyn.analyzer.model",
    "trajectories": "trajdyn.analyzer.model",
}
_DEPRECATED: Final = {"ReadError": ("InputProblem", InputProblem)}
"""Old public names: still importable, with a DeprecationWarning naming the new one."""


def __getattr__(name: str) -> object:
    if name in _DEPRECATED:
        new, value = _DEPRECATED[name]
        warnings.warn(
            f"trajdyn.analyzer.{name} is deprecated: it is trajdyn.analyzer.{new} (a record of an input problem, "
            "not an exception)",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
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
