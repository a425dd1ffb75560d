"""Importer for karpathy/autoresearch ``results.tsv``: one tab-separated row per experiment.

Columns are found by header name, not position: ``commit``, ``val_bpb``, ``memory_gb``, ``status``
(keep | discard | crash), ``description``, and any extra column (``artifact_mb`` …), kept as
``trajdyn.metrics.<column>`` when numeric. Only ``val_bpb`` and ``status`` are required.

Mapping decisions (see ``docs/importers.md``):

- every row is an iteration; the proposal has no knob: its action is the ``description`` (the ``commit`` when
  the description is empty), so two experiments with the same description count as a repeat; the commit is
  kept as ``vcs.ref.head.revision`` on the propose span;
- ``keep`` → decide keep, ``discard`` → decide revert; ``crash`` → a failed iteration: observe without a
  metric and with status ERROR (the file's ``0.000000`` / ``0.0`` are placeholders, not measurements),
  decide revert;
- the first row is the unmodified baseline run (autoresearch's protocol): it is iteration 1 and, unless it
  crashed, its ``val_bpb`` is the trajectory's ``trajdyn.baseline``;
- objective minimize, metric ``val_bpb``; the file has no timestamps, so times are synthetic;
- a description that contains tabs (more fields than header columns, description last) is re-joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn._values import normalize_decision
from trajdyn.formats._imported import ImportedStep, ImportedTrajectory
from trajdyn.formats._kinds import SpanFormat
from trajdyn.formats._otlp_writer import VCS_REVISION_KEY, AttrValue
from trajdyn.formats._read import as_number, first_line, iter_lines

NAME: Final = "autoresearch-tsv"
AGENT_NAME: Final = "autoresearch"
METRIC_NAME: Final = "val_bpb"
COL_COMMIT: Final = "commit"
COL_STATUS: Final = "status"
COL_DESCRIPTION: Final = "description"
COL_MEMORY: Final = "memory_gb"
REQUIRED: Final = (METRIC_NAME, COL_STATUS)
STATUS_CRASH: Final = "crash"
CRASH_PLACEHOLDERS: Final = frozenset({METRIC_NAME, COL_MEMORY})
"""Columns autoresearch fills with zeros on a crash."""


def _header(line: str) -> list[str]:
    return [name.strip().lower() for name in line.split("\t")]


def sniff(head: bytes) -> bool:
    """A results.tsv starts with a tab-separated header naming ``val_bpb`` and ``status``."""
    line = first_line(head)
    if line is None or "\t" not in line:
        return False
    names = _header(line)
    return all(col in names for col in REQUIRED)


def parse(path: Path, menu: Sequence[str] | None) -> tuple[list[ImportedTrajectory], list[InputProblem]]:
    """Parse a results.tsv into one trajectory; bad rows are reported and skipped."""
    src = str(path)
    errors: list[InputProblem] = []
    header: list[str] | None = None
    header_line = 0
    steps: list[ImportedStep] = []
    baseline: float | None = None
    first_row = True
    for line, text in iter_lines(path, errors):
        if header is None:
            header, header_line = _header(text), line
            missing = [col for col in REQUIRED if col not in header]
            if missing:
                errors.append(InputProblem(src, line, f"header lacks required column(s) {', '.join(missing)}"))
                return [], errors
            continue
        fields = text.split("\t")
        if len(fields) > len(header) and header[-1] == COL_DESCRIPTION:
            fields = [*fields[: len(header) - 1], "\t".join(fields[len(header) - 1 :])]
        if len(fields) != len(header):
            errors.append(InputProblem(src, line, f"expected {len(header)} tab-separated columns, got {len(fields)}"))
            continue
        row = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        status = row[COL_STATUS].lower()
        crashed = status == STATUS_CRASH
        decision = C.DECISION_REVERT if crashed else normalize_decision(status)
        if decision is None:
            errors.append(
                InputProblem(src, line, f"unknown status {row[COL_STATUS]!r} (expected keep, discard or crash)")
            )
            continue
        metric = None if crashed else as_number(row[METRIC_NAME])
        if metric is None and not crashed:
            errors.append(InputProblem(src, line, f"{METRIC_NAME} is not a number: {row[METRIC_NAME]!r}"))
            continue
        commit = row.get(COL_COMMIT, "")
        action = row.get(COL_DESCRIPTION, "") or commit
        if not action:
            errors.append(InputProblem(src, line, "row has neither a description nor a commit"))
            continue
        metrics: dict[str, float] = {}
        for name, raw in row.items():
            if name in (METRIC_NAME, COL_STATUS, COL_COMMIT, COL_DESCRIPTION) or not name:
                continue
            if crashed and name in CRASH_PLACEHOLDERS:
                continue
            number = as_number(raw)
            if number is not None:
                metrics[name] = number
        propose_attrs: dict[str, AttrValue] = {VCS_REVISION_KEY: commit} if commit else {}
        steps.append(
            ImportedStep(
                line=line,
                action=action,
                metric=metric,
                metrics=metrics,
                decision=decision,
                error=f"{STATUS_CRASH}: {action}" if crashed else None,
                propose_attrs=propose_attrs,
            )
        )
        if first_row and not crashed:
            baseline = metric
        first_row = False
    if header is None:
        errors.append(InputProblem(src, 0, "empty file: no header row"))
        return [], errors
    trajectory = ImportedTrajectory(
        line=header_line,
        task_id=path.stem,
        agent_name=AGENT_NAME,
        knob_menu=list(menu) if menu is not None else None,
        objective=C.OBJECTIVE_MINIMIZE,
        metric_name=METRIC_NAME,
        baseline=baseline,
        steps=steps,
    )
    return [trajectory], errors


FORMAT: Final = SpanFormat(
    name=NAME,
    description="karpathy/autoresearch results.tsv (commit, val_bpb, memory_gb, status, description, …)",
    sniff=sniff,
    parse=parse,
)
