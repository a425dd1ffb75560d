"""Expert labels of agent traces: TRAIL error annotations, MAST's ``annotations.csv`` and Who&When's mistake step.

Readers (pure Python, for ``benchmarks/expert_agreement.py`` and docs/validation.md):

- :func:`read_trail_annotation` — ``{trace_id, errors: [{category, location (a span id), evidence, description,
  impact}], scores: [...]}``; categories are normalised (:func:`normalise_category`: case, spaces, hyphens,
  "complience", a trailing "Error(s)", plural "Failures"/"Issues"), so "Context Handling Failures" is "context handling
  failure" and "Resource Abuse" stays apart from "Resource Exhaustion"/"Resource Not Found". A file without
  ``trace_id`` is the annotation of the trace named like the file. Never assume an error's key set.
- :func:`read_mast_annotations` — ``annotations.csv`` (and ``HyperAgent/annotations.csv``, which repeats the same
  annotation with yes/no): ``{trace path relative to the MAST repository: {label: True/False/None}}``, the trace
  link's ``https://github.com/<owner>/<repo>/blob|tree/<ref>/`` prefix stripped. Only TRUE/FALSE/yes/no are values;
  blanks and stray text (``MAYBE``, ``?``) are missing.
- :func:`whowhen_label` — the ``mistake_agent`` and ``mistake_step`` (a string in the files) of a Who&When log.

The annotation files are also span formats that give no trajectory (``trail-annotations``, ``mast-annotations``),
so a folder of traces and labels reads with no input error: labels are not spans.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._agentlogs import load_document
from trajdyn.formats._imported import ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._read import read_bytes

__all__ = [
    "MAST_ANNOTATIONS_FORMAT",
    "MAST_LABELS",
    "RESOURCE_ABUSE",
    "TRAIL_ANNOTATIONS_FORMAT",
    "TrailAnnotation",
    "TrailError",
    "WhoWhenLabel",
    "normalise_category",
    "read_mast_annotations",
    "read_trail_annotation",
    "whowhen_label",
]

RESOURCE_ABUSE: Final = "resource abuse"
"""TRAIL's normalised category closest to what the dynamics see: repeated or unnecessary calls."""

MAST_LABELS: Final = {
    "step_repetition": "Step repetition",
    "trajectory_restart": "Trajectory restart",
    "redundant_turns": "Redundant conversation turns for iterative tasks rather than batching",
    "conversation_repetition": "Conversation repetition",
    "solved": "Is the task Successfully solved (in spite of inefficiencies)",
}
"""MAST failure modes read by :func:`read_mast_annotations`: key → exact column name of ``annotations.csv``."""

_LINK_COLUMN: Final = "Path in GH repo to the execution trace"
_HA_LINK_COLUMN: Final = "link"
_REPO_PREFIX: Final = re.compile(r"^https?://github\.com/[^/]+/[^/]+/(?:blob|tree)/[^/]+/")


@dataclass(frozen=True, slots=True)
class TrailError:
    """One expert error of a TRAIL trace: normalised ``category``, ``location`` (a span id), ``impact``."""

    category: str
    location: str | None
    impact: str | None


@dataclass(frozen=True, slots=True)
class TrailAnnotation:
    """The expert annotation of one TRAIL trace."""

    trace_id: str
    errors: tuple[TrailError, ...]
    scores: Mapping[str, Any] = field(default_factory=dict)

    @property
    def resource_abuse(self) -> bool:
        return any(e.category == RESOURCE_ABUSE for e in self.errors)


@dataclass(frozen=True, slots=True)
class WhoWhenLabel:
    """The decisive mistake of a Who&When run: its agent and its history index (``None`` when unreadable)."""

    agent: str | None
    step: int | None


def normalise_category(category: str) -> str:
    """A TRAIL error category, normalised (see the module docstring)."""
    c = category.strip().lower().replace("-", " ").replace("complience", "compliance")
    c = re.sub(r"\s+", " ", c)
    c = re.sub(r"\s+errors?$", "", c)
    c = re.sub(r"failures?$", "failure", c)
    return re.sub(r"issues?$", "issue", c)


def read_trail_annotation(path: Path) -> tuple[TrailAnnotation | None, list[InputProblem]]:
    """The annotation of ``path`` and its problems (an error that is not an object is reported and skipped)."""
    doc, problems = load_document(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("errors"), list):
        if doc is not None:
            problems.append(InputProblem(str(path), 1, "not a TRAIL annotation: expected {trace_id, errors: [...]}"))
        return None, problems
    errors = []
    for k, e in enumerate(doc["errors"]):
        if not isinstance(e, dict):
            problems.append(InputProblem(str(path), 1, f"error {k} is not an object, skipped"))
            continue
        location, impact = e.get("location"), e.get("impact")
        errors.append(
            TrailError(
                normalise_category(str(e.get("category") or "")),
                str(location) if location is not None else None,
                str(impact) if impact is not None else None,
            )
        )
    scores = doc.get("scores")
    first = scores[0] if isinstance(scores, list) and scores and isinstance(scores[0], dict) else {}
    trace_id = doc.get("trace_id")
    return TrailAnnotation(str(trace_id) if trace_id else path.stem, tuple(errors), first), problems


def _flag(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    return True if v in ("true", "yes") else False if v in ("false", "no") else None


def read_mast_annotations(path: Path) -> tuple[dict[str, list[dict[str, bool | None]]], list[InputProblem]]:
    """``{relative trace path: [{label key: value}, …]}`` of a MAST annotation CSV (see the module docstring).

    Rows without a trace link are skipped (one row of the file names a spreadsheet instead); a trace annotated in
    several rows keeps them all, in file order (two annotations of one trace: not an input error).
    """
    problems: list[InputProblem] = []
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, [InputProblem(str(path), 1, f"not valid UTF-8 (byte {exc.start})")]
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    link_column = _LINK_COLUMN if _LINK_COLUMN in columns else _HA_LINK_COLUMN if _HA_LINK_COLUMN in columns else None
    if link_column is None:
        return {}, [InputProblem(str(path), 1, "not a MAST annotation file: no trace-link column")]
    out: dict[str, list[dict[str, bool | None]]] = {}
    for row in reader:
        link = _REPO_PREFIX.sub("", (row.get(link_column) or "").strip())
        if not link or "/" not in link:
            continue
        labels = {key: _flag(row.get(column)) for key, column in MAST_LABELS.items() if column in columns}
        out.setdefault(link, []).append(labels)
    return out, problems


def whowhen_label(doc: Mapping[str, Any]) -> WhoWhenLabel:
    """The mistake of a Who&When document (``mistake_step`` is a string in the files)."""
    agent, step = doc.get("mistake_agent"), doc.get("mistake_step")
    try:
        index = int(str(step).strip()) if step is not None and not isinstance(step, bool) else None
    except ValueError:
        index = None
    return WhoWhenLabel(str(agent) if agent is not None else None, index)


# ------------------------------------------------------------------------------------ label files as span formats


def _sniff_trail(head: bytes) -> bool:
    return (
        head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
        and b'"errors"' in head
        and (b'"trace_id"' in head or b'"scores"' in head)
        and b'"spans"' not in head
    )


def _sniff_mast(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return (b"MultiAgentSystem Name" in first and _LINK_COLUMN.encode() in first) or (
        b'"instance_id"' in first and b'"link"' in first
    )


def _no_trajectories(reader: Any) -> Any:
    def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
        _, problems = reader(path)
        return [], problems

    return parse


TRAIL_ANNOTATIONS_FORMAT: Final = SpanFormat(
    name="trail-annotations",
    description="TRAIL expert annotations {trace_id, errors[{category, location, impact}]}: labels, no spans",
    sniff=_sniff_trail,
    parse=_no_trajectories(read_trail_annotation),
)
MAST_ANNOTATIONS_FORMAT: Final = SpanFormat(
    name="mast-annotations",
    description="MAST annotations.csv (failure modes per trace link): labels, no spans",
    sniff=_sniff_mast,
    parse=_no_trajectories(read_mast_annotations),
)
