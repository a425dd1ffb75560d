"""Foreign formats: other tools' logs become conventions-v1 spans, benchmark result files become result records.

Two kinds of format in one registry (:data:`FORMATS`), each detected by content (:func:`detect_format`):

- span formats (:class:`SpanFormat`): ``autoresearch`` (the agent-loop JSONL of nvidia-learn's autoresearch loop),
  ``autoresearch-tsv`` (karpathy/autoresearch ``results.tsv``), ``atlas`` (Atlas session exports), ``tau-bench``
  (τ-bench trajectory files). :func:`convert` gives OTLP/JSON requests; the analyzer reads them in process
  (``trajdyn.analyzer.analyze``), ``trajdyn-import`` and :func:`write_jsonl` write them for other tools::

      from trajdyn.formats import convert, write_jsonl
      result = convert(Path("trajectory.jsonl"), "autoresearch", menu=Path("perturbation_menu.json"))
      write_jsonl(result.requests, Path("spans.jsonl"))

- result formats (:class:`ResultFormat`): ``pinchbench`` (PinchBench run results; its skill summary is recognised
  and rejected). :func:`read_result` gives result records (:data:`RESULT_KEYS`) for the ``trends`` section.
- sweep formats (:class:`SweepFormat`): ``popoto-sweep`` (popoto's constant-sweep summaries). :func:`read_sweep`
  gives sweep records (:data:`SWEEP_RECORD_KINDS`) for the ``sweeps`` section.

A new format is one module defining a :class:`SpanFormat` or :class:`ResultFormat` plus one line in
:data:`~trajdyn.formats._registry.BUILTIN`; code outside trajdyn calls :func:`register_format`. Pure Python:
importing this package imports neither polars, numpy nor the OpenTelemetry SDK (docs/importers.md).
"""

from __future__ import annotations

from trajdyn._problems import InputProblem
from trajdyn.formats._builder import build_requests
from trajdyn.formats._imported import ImportedEvent, ImportedStep, ImportedTrajectory, ImportResult
from trajdyn.formats._kinds import (
    RESULT_KEYS,
    SWEEP_RECORD_KINDS,
    Format,
    FormatKind,
    ResultFormat,
    SpanFormat,
    SweepFormat,
)
from trajdyn.formats._menu import load_menu, menu_from_json
from trajdyn.formats._otlp_writer import write_jsonl
from trajdyn.formats._registry import (
    FORMATS,
    convert,
    detect_format,
    read_result,
    read_sweep,
    register_format,
    sniff_format,
    unregister_format,
)

__all__ = [
    "FORMATS",
    "RESULT_KEYS",
    "SWEEP_RECORD_KINDS",
    "Format",
    "FormatKind",
    "ImportResult",
    "ImportedEvent",
    "ImportedStep",
    "ImportedTrajectory",
    "InputProblem",
    "ResultFormat",
    "SpanFormat",
    "SweepFormat",
    "build_requests",
    "convert",
    "detect_format",
    "load_menu",
    "menu_from_json",
    "read_result",
    "read_sweep",
    "register_format",
    "sniff_format",
    "unregister_format",
    "write_jsonl",
]
