"""The analyzer's I/O layer: OTLP/JSON span dumps (files, or documents of an imported log in memory) → polars
frames (:func:`read_spans`), and benchmark result files → a records frame (:func:`read_results`), with
parameter-sweep summaries → sweep frames (:class:`SweepData`). See
docs/analyzer-api.md."""

from __future__ import annotations

from trajdyn._problems import InputProblem
from trajdyn.analyzer.io._decode import normalize_id
from trajdyn.analyzer.io._errors import InputParseError
from trajdyn.analyzer.io._read import InputSummary, SpanData, read_spans
from trajdyn.analyzer.io._results import RESULT_SCHEMA, ResultData, ResultInput, read_results
from trajdyn.analyzer.io._route import STDIN_NAME, Foreign, Routed, route
from trajdyn.analyzer.io._sources import NamedFile, SpanDocuments, SpanStream
from trajdyn.analyzer.io._sweeps import SweepData, read_sweeps

__all__ = [
    "RESULT_SCHEMA",
    "STDIN_NAME",
    "Foreign",
    "InputParseError",
    "InputProblem",
    "InputSummary",
    "NamedFile",
    "ResultData",
    "ResultInput",
    "Routed",
    "SpanData",
    "SpanDocuments",
    "SpanStream",
    "SweepData",
    "normalize_id",
    "read_results",
    "read_spans",
    "read_sweeps",
    "route",
]
