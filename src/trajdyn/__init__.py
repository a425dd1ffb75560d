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

Importing trajdyn never imports polars, numpy, scipy or torch.
"""

from __future__ import annotations

from trajdyn._values import canonical_action, canonical_value, normalize_decision
from trajdyn.exceptions import ConfigurationError, MissingExtraError, RepeatedProposal, TrajdynError
from trajdyn.sdk import (
    Trajectory,
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
from trajdyn.sdk._perturb import Variant, perturb

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "MissingExtraError",
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
