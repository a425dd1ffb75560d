"""Spans of sweep runs: one trajectory per (constant, value, scenario), tagged so that the analyzer's ``sweeps``
section reads it (docs/sdk.md#sweep-runs, docs/metrics/sweeps.md#sweep-runs-in-spans).

Light: the OpenTelemetry side (:class:`trajdyn.Trajectory`) is imported on the first call only.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from trajdyn import conventions as C
from trajdyn._values import canonical_number_text, canonical_value
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    from trajdyn.sdk import Trajectory
    from trajdyn.sweeps._scenarios import Scenario

__all__ = ["sweep_attributes", "sweep_run"]


def _canonical(knob: str, what: str, value: object) -> str:
    finite = isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isfinite(float(value))
    text = canonical_value(value) if finite else None
    if isinstance(value, str):  # "0.10" and 0.1 are one value
        text = canonical_number_text(value)
    if text is None:
        raise ConfigurationError(f"knob {knob!r}: expected a {what} with a canonical string, got {value!r}")
    return text


def sweep_attributes(
    knob: str, value: object, *, default: object = None, degenerate: bool | None = None
) -> dict[str, Any]:
    """The root-span attributes of a sweep run: ``trajdyn.knob``, ``trajdyn.value`` (canonical), and when given
    ``trajdyn.knob.default`` (canonical) and ``trajdyn.sweep.degenerate``. A string that spells a number is
    canonicalised as that number (``default="1.0"`` with ``value=1.0`` gives ``"1"`` for both).

    Raises:
        ConfigurationError: an empty knob name, or a value or default with no canonical string (``None``, a
            non-finite number).
    """
    if not isinstance(knob, str) or not knob:
        raise ConfigurationError(f"expected a non-empty knob name, got {knob!r}")
    attributes: dict[str, Any] = {C.KNOB: knob, C.VALUE: _canonical(knob, "value", value)}
    if default is not None:
        attributes[C.KNOB_DEFAULT] = _canonical(knob, "default", default)
    if degenerate is not None:
        attributes[C.SWEEP_DEGENERATE] = bool(degenerate)
    return attributes


def sweep_run(
    knob: str,
    value: object,
    *,
    scenario: Scenario | None = None,
    default: object = None,
    degenerate: bool | None = None,
    **options: Any,
) -> Trajectory:
    """A :class:`trajdyn.Trajectory` for one run of a sweep: constant ``knob`` at ``value`` on one scenario.

    The root span carries :func:`sweep_attributes` (merged over ``options["attributes"]``); with a ``scenario``
    (:class:`~trajdyn.sweeps.Scenario`) the task id is its id and the split its split, unless ``options`` give them.
    Every other keyword is a ``trajdyn.trajectory()`` option (``objective``, ``metric_name``, ``agent_name`` …).
    Record the run's score with ``set_reward`` and a degenerate scenario found during the run with
    ``set_degenerate()``; an exception in the run marks it an error. The analyzer counts errors and degenerate runs
    and never scores them.

    Raises:
        ConfigurationError: see :func:`sweep_attributes`; no ``scenario`` and no ``task_id``.
    """
    attributes = {**(options.pop("attributes", None) or {})}
    attributes.update(sweep_attributes(knob, value, default=default, degenerate=degenerate))
    task_id = options.pop("task_id", None)
    if scenario is not None:
        task_id = task_id if task_id is not None else scenario.id
        options.setdefault("split", scenario.split)
    if task_id is None:
        raise ConfigurationError("sweep_run needs a scenario or a task_id")
    from trajdyn.sdk import Trajectory

    return Trajectory(task_id, attributes=attributes, **options)
