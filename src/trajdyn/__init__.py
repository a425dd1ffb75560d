"""trajdyn: instrument LLM agent loops with OpenTelemetry and watch their exploration live.

Quick start::

    import trajdyn

    @trajdyn.propose
    def propose(history): ...          # -> {"knob": ..., "value": ...}

    @trajdyn.observe
    def evaluate(proposal): ...        # -> float or {"val_bpb": ...}

    @trajdyn.decide
    def decide(metric): ...            # -> "keep" / "revert" / bool

    with trajdyn.trajectory(task_id="t1", knob_menu=MENU, objective="minimize", metric_name="val_bpb") as traj:
        ...
        print(traj.coverage["repeat_rate"])

Importing trajdyn never imports polars, numpy, scipy or torch, and imports OpenTelemetry only on first use of an
SDK name (``trajdyn.propose``, ``trajdyn.trajectory`` …; the OpenTelemetry SDK itself when the first trajectory or
``configure()`` sets up its exporters): the importers and the analyzer, which use :mod:`trajdyn.conventions` and
:mod:`trajdyn.redact`, do not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trajdyn._values import canonical_action, canonical_value, normalize_decision
from trajdyn.exceptions import ConfigurationError, MissingExtraError, RepeatedProposal, TrajdynError

if TYPE_CHECKING:
    from trajdyn import exporters as exporters
    from trajdyn import redact as redact
    from trajdyn import sdk as sdk
    from trajdyn import sweeps as sweeps
    from trajdyn.sdk import (
        Trajectory,
        Variant,
        add_usage,
        adoption,
        configure,
        cue_hit,
        current_trajectory,
        decide,
        failure,
        flush,
        internal_error_count,
        observe,
        perturb,
        propose,
        retry,
        set_execution_mode,
        set_learning_key,
        set_outcome,
        set_reward,
        shutdown,
        summary,
        trajectory,
    )
    from trajdyn.sweeps import Ratchet, RatchetDecision

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "MissingExtraError",
    "Ratchet",
    "RatchetDecision",
    "RepeatedProposal",
    "TrajdynError",
    "Trajectory",
    "Variant",
    "__version__",
    "add_usage",
    "adoption",
    "canonical_action",
    "canonical_value",
    "configure",
    "cue_hit",
    "current_trajectory",
    "decide",
    "failure",
    "flush",
    "internal_error_count",
    "normalize_decision",
    "observe",
    "perturb",
    "propose",
    "retry",
    "set_execution_mode",
    "set_learning_key",
    "set_outcome",
    "set_reward",
    "shutdown",
    "summary",
    "trajectory",
]

_SUBPACKAGES = frozenset({"exporters", "redact", "sdk", "sweeps"})
_FROM_SWEEPS = frozenset({"Ratchet", "RatchetDecision"})
"""Names loaded from :mod:`trajdyn.sweeps` (pure Python: no OpenTelemetry) rather than :mod:`trajdyn.sdk`."""


def __getattr__(name: str) -> Any:
    """The SDK's names (and the ``sdk``, ``exporters``, ``redact`` and ``sweeps`` modules), imported on first use."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"trajdyn.{name}")
    if name in __all__:
        value = getattr(importlib.import_module("trajdyn.sweeps" if name in _FROM_SWEEPS else "trajdyn.sdk"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBPACKAGES)
