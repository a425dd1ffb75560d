"""The options of ``trajdyn.trajectory()``, in one frozen, validated spec; and the root-span attributes they give.

:class:`TrajectorySpec` is what a :class:`~trajdyn.sdk._trajectory.Trajectory` was created with (the task id and its
22 keyword options), as given: validated, never scrubbed or defaulted here. A trajectory used as a decorator starts a
fresh one from the same spec on every call. The fields that become root-span attributes say so in their metadata
(``attribute``: the key in :mod:`trajdyn.conventions`), in the order the root span lists them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.redact import scrub_attributes, scrub_value

__all__ = ["TrajectorySpec", "root_attributes"]


def _attribute(key: str) -> Any:
    """A field recorded on the root span under ``key`` when it is given (strings scrubbed of secrets)."""
    return field(default=None, metadata={"attribute": key})


@dataclass(frozen=True, slots=True)
class TrajectorySpec:
    """The arguments of ``trajdyn.trajectory(task_id, ...)`` (documented on :class:`~trajdyn.sdk.Trajectory`).

    Raises:
        ConfigurationError: an empty ``task_id``, an unknown ``objective`` or ``split``, ``coverage_window < 1`` or
            ``plateau_eta < 0``.
    """

    task_id: str
    agent_name: str | None = _attribute(C.GEN_AI_AGENT_NAME)
    model: str | None = _attribute(C.GEN_AI_REQUEST_MODEL)
    provider: str | None = _attribute(C.GEN_AI_PROVIDER_NAME)
    trajectory_id: str | None = None
    task_category: str | None = _attribute(C.TASK_CATEGORY)
    task_text: str | None = None
    run_id: str | None = _attribute(C.RUN_ID)
    attempt: int | None = _attribute(C.ATTEMPT)
    perturbation_group: str | None = _attribute(C.PERTURBATION_GROUP)
    variant: str | None = _attribute(C.PERTURBATION_VARIANT)
    split: str | None = _attribute(C.SPLIT)
    learning_key: str | None = _attribute(C.LEARNING_KEY)
    execution_mode: str | None = _attribute(C.EXECUTION_MODE)
    knob_menu: Sequence[str] | None = None
    objective: str | None = None
    metric_name: str | None = _attribute(C.METRIC_NAME)
    baseline: float | None = _attribute(C.BASELINE)
    sidecar: str | os.PathLike[str] | None = None
    block_repeats: bool = False
    coverage_window: int | None = None
    plateau_eta: float = 0.0
    attributes: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.task_id, str) or not self.task_id:
            raise ConfigurationError(f"expected task_id to be a non-empty string, got {self.task_id!r}")
        if self.objective is not None and self.objective not in C.OBJECTIVES:
            raise ConfigurationError(f"expected objective in {C.OBJECTIVES}, got {self.objective!r}")
        if self.split is not None and self.split not in C.SPLITS:
            raise ConfigurationError(f"expected split in {C.SPLITS}, got {self.split!r}")
        if self.coverage_window is not None and self.coverage_window < 1:
            raise ConfigurationError(f"expected coverage_window >= 1, got {self.coverage_window!r}")
        if self.plateau_eta < 0:
            raise ConfigurationError(f"expected plateau_eta >= 0, got {self.plateau_eta!r}")

    @property
    def resolved_objective(self) -> str:
        """The objective, or the default (maximize)."""
        return self.objective if self.objective is not None else C.DEFAULT_OBJECTIVE

    @property
    def resolved_window(self) -> int:
        """The coverage window, or the default (10)."""
        return self.coverage_window if self.coverage_window is not None else C.DEFAULT_COVERAGE_WINDOW

    def arguments(self) -> dict[str, Any]:
        """The spec as ``trajectory()`` keyword arguments (``task_id`` included)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_ROOT_FIELDS: Final = tuple(
    (f.name, f.metadata["attribute"]) for f in fields(TrajectorySpec) if "attribute" in f.metadata
)


def root_attributes(spec: TrajectorySpec, trajectory_id: str, knob_menu: tuple[str, ...] | None) -> dict[str, Any]:
    """The root span's attributes: operation, trajectory id, task id (scrubbed), objective, then every given
    attribute field of ``spec`` (strings scrubbed, the baseline a float), the knob menu (scrubbed), and the extra
    ``attributes`` (scrubbed)."""
    root: dict[str, Any] = {
        C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
        C.TRAJECTORY_ID: trajectory_id,
        C.TASK_ID: scrub_value(spec.task_id),
        C.OBJECTIVE: spec.resolved_objective,
    }
    for name, key in _ROOT_FIELDS:
        value = getattr(spec, name)
        if value is None:
            continue
        if key == C.BASELINE:
            value = float(value)
        elif isinstance(value, str):
            value = scrub_value(value)
        root[key] = value
    if knob_menu is not None:
        root[C.KNOB_MENU] = list(knob_menu)
    if spec.attributes:
        root.update(scrub_attributes(spec.attributes))
    return root
