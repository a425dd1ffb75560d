"""Importers: foreign agent-loop logs become conventions-v1 OTLP/JSON spans.

``trajdyn-import FORMAT INPUT -o spans.jsonl`` on the command line; from Python::

    from trajdyn.formats import convert, write_jsonl
    result = convert(Path("trajectory.jsonl"), "autoresearch", menu=Path("perturbation_menu.json"))
    write_jsonl(result.requests, Path("spans.jsonl"))

Formats (:data:`FORMATS`): ``autoresearch`` (the agent-loop JSONL of nvidia-learn's autoresearch loop),
``autoresearch-tsv`` (karpathy/autoresearch ``results.tsv``), ``atlas`` (Atlas session exports) and ``tau-bench``
(τ-bench trajectory files). A new format is one new module defining
``IMPORTER`` (see :mod:`trajdyn.formats._registry`). Pure Python: no polars or numpy needed.
"""

from __future__ import annotations

from trajdyn.formats._imported import ImportedEvent, ImportedStep, ImportedTrajectory, Importer, ImportResult
from trajdyn.formats._menu import load_menu, menu_from_json
from trajdyn.formats._otlp_writer import write_jsonl
from trajdyn.formats._registry import FORMATS, convert, detect_format, register

__all__ = [
    "FORMATS",
    "ImportResult",
    "ImportedEvent",
    "ImportedStep",
    "ImportedTrajectory",
    "Importer",
    "convert",
    "detect_format",
    "load_menu",
    "menu_from_json",
    "register",
    "write_jsonl",
]
