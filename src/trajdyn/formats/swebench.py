"""SWE-bench evaluation files: the resolved labels that become the rewards of imported coding-agent runs.

Two shapes, both keyed by SWE-bench instance id (``astropy__astropy-13398``):

* a submission's **results** file (SWE-bench experiments ``results/results.json``)::

      {"resolved": [ids], "no_generation": [ids], "no_logs": [ids], ...}

  an id in ``resolved`` → reward 1; in ``no_generation`` / ``no_logs`` → no reward (the run was not evaluated);
  any other instance id (``owner__repo-number``) → 0: the file lists only the resolved ones, so it labels **only
  runs of its own submission** — it is given explicitly (``labels=`` / ``--labels FILE``), never picked up from a
  folder — and a task id that is not an instance id (a renamed 0.x file) gets no label;
* a per-instance **report** (the harness's ``report.json``; mini-swe-agent's ``<run>.report.json``)::

      {"<id>": {"resolved": bool, "tests_status": {...}, ...}}

  → 1 / 0 for the ids it names, no reward for any other.

Both are recognised by content (:data:`RESULTS_FORMAT`, :data:`REPORT_FORMAT`) so that a folder holding them reads
without input errors; on their own they hold no run (no trends record). See docs/importers.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn.exceptions import InputError
from trajdyn.formats._imported import ImportedTrajectory
from trajdyn.formats._kinds import ResultFormat
from trajdyn.formats._read import head_text, read_bytes

__all__ = ["REPORT_FORMAT", "RESULTS_FORMAT", "Labels", "apply_labels", "load_labels"]

_RESULT_LISTS: Final = ("resolved", "no_generation", "no_logs", "no_apply", "applied", "generated", "with_logs")
_NOT_EVALUATED: Final = ("no_generation", "no_logs")
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+-\d+$")
"""A SWE-bench instance id (``owner__repo-number``): a results file labels nothing else."""
_HEAD_RESULTS = re.compile(rb'^\{\s*"(resolved|no_generation|no_logs|no_apply|generated|applied)"\s*:\s*\[\s*("|\])')
_HEAD_REPORT = re.compile(rb'^\{\s*"[^"]+__[^"]+"\s*:\s*\{\s*"(patch_is_None|patch_exists|resolved)"')


@dataclass(frozen=True, slots=True)
class Labels:
    """Resolved labels of one evaluation file: ``rewards`` by instance id (None: listed, not evaluated); with
    ``closed`` (a report) an id it does not name has no label, else (a submission's results) it is unresolved (0)."""

    source: str
    rewards: Mapping[str, float | None] = field(default_factory=dict)
    closed: bool = True

    def reward(self, instance_id: str) -> float | None:
        if instance_id in self.rewards:
            return self.rewards[instance_id]
        if self.closed or not _INSTANCE_ID.match(instance_id):
            return None  # a report names its instances; a task id that is no instance id (a renamed file) is unknown
        return 0.0


def _is_results(head: bytes) -> bool:
    return bool(_HEAD_RESULTS.match(head_text(head)))


def _is_report(head: bytes) -> bool:
    return bool(_HEAD_REPORT.match(head_text(head)))


def labels_of(doc: object, source: str) -> Labels | None:
    """The labels of a parsed results or report document, None when it is neither."""
    if not isinstance(doc, dict) or not doc:
        return None
    if all(isinstance(v, list) for v in doc.values()) and set(doc) & set(_RESULT_LISTS):
        rewards: dict[str, float | None] = {}
        for key in _NOT_EVALUATED:
            rewards.update({str(i): None for i in doc.get(key, []) if isinstance(i, str)})
        rewards.update({str(i): 1.0 for i in doc.get("resolved", []) if isinstance(i, str)})
        return Labels(source, rewards, closed=False)
    if all(isinstance(v, dict) and isinstance(v.get("resolved"), bool) for v in doc.values()):
        return Labels(source, {str(k): 1.0 if v["resolved"] else 0.0 for k, v in doc.items()}, closed=True)
    return None


def load_labels(path: Path) -> Labels:
    """Read a SWE-bench results or report file; :class:`~trajdyn.exceptions.InputError` when it is neither."""
    try:
        doc = json.loads(read_bytes(path).decode("utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the SWE-bench labels: {exc}") from exc
    labels = labels_of(doc, str(path))
    if labels is None:
        raise InputError(
            f"{path}: not a SWE-bench results file ({{resolved: [ids], ...}}) or report ({{id: {{resolved: bool}}}})"
        )
    return labels


def apply_labels(trajectories: Sequence[ImportedTrajectory], labels: Labels) -> list[ImportedTrajectory]:
    """The trajectories with the labels' reward (and outcome success / failure) where the log had no reward."""
    out: list[ImportedTrajectory] = []
    for t in trajectories:
        reward = labels.reward(t.task_id) if t.reward is None else None
        if reward is None:
            out.append(t)
            continue
        outcome = C.OUTCOME_SUCCESS if reward >= 1.0 else C.OUTCOME_FAILURE
        out.append(replace(t, reward=reward, outcome=outcome if t.outcome is None else t.outcome))
    return out


def _side_input(path: str, text: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """A labels file read on its own: no run of its own (it labels imported runs: ``--labels FILE``)."""
    del path, text
    return [], []


RESULTS_FORMAT: Final = ResultFormat(
    name="swebench-results",
    description="SWE-bench submission results ({resolved: [ids], no_generation, no_logs}): labels, give with --labels",
    sniff=_is_results,
    parse=_side_input,
)
REPORT_FORMAT: Final = ResultFormat(
    name="swebench-report",
    description="SWE-bench per-instance report ({id: {resolved, tests_status}}): labels, give with --labels",
    sniff=_is_report,
    parse=_side_input,
)
