"""The trajdyn SDK: decorators, trajectories, live coverage and the OpenTelemetry plumbing behind them.

Everything public is re-exported from :mod:`trajdyn`; this package adds the lower-level pieces
(:class:`CoverageTracker`, the extractor types, the internal-error counters, :func:`summary` of what was dropped,
lost or redacted).
"""

from __future__ import annotations

from trajdyn.redact import REDACTED, Redactor, scrub_secrets
from trajdyn.sdk._config import Config, configure, current_config
from trajdyn.sdk._coverage import CoverageTracker
from trajdyn.sdk._decorators import ContentExtractor, decide, observe, propose
from trajdyn.sdk._errors import internal_error_count, internal_error_counts, is_strict
from trajdyn.sdk._extract import (
    DecisionExtractor,
    MetricsExtractor,
    Observation,
    Proposal,
    ProposalExtractor,
    read_decision,
    read_metrics,
    read_proposal,
)
from trajdyn.sdk._lifecycle import flush, reset, shutdown
from trajdyn.sdk._perturb import PERTURBATIONS, Variant, perturb
from trajdyn.sdk._sidecar import sidecar_path_for
from trajdyn.sdk._summary import Summary, summary
from trajdyn.sdk._trajectory import (
    Trajectory,
    add_usage,
    adoption,
    cue_hit,
    current_trajectory,
    failure,
    retry,
    set_execution_mode,
    set_learning_key,
    set_outcome,
    set_reward,
    trajectory,
)

__all__ = [
    "PERTURBATIONS",
    "REDACTED",
    "Config",
    "ContentExtractor",
    "CoverageTracker",
    "DecisionExtractor",
    "MetricsExtractor",
    "Observation",
    "Proposal",
    "ProposalExtractor",
    "Redactor",
    "Summary",
    "Trajectory",
    "Variant",
    "add_usage",
    "adoption",
    "configure",
    "cue_hit",
    "current_config",
    "current_trajectory",
    "decide",
    "failure",
    "flush",
    "internal_error_count",
    "internal_error_counts",
    "is_strict",
    "observe",
    "perturb",
    "propose",
    "read_decision",
    "read_metrics",
    "read_proposal",
    "reset",
    "retry",
    "scrub_secrets",
    "set_execution_mode",
    "set_learning_key",
    "set_outcome",
    "set_reward",
    "shutdown",
    "sidecar_path_for",
    "summary",
    "trajectory",
]
