"""Temporal dynamics of trajectories: entropy, loops, drift, regimes and divergence under perturbation.

Each trajectory's turns (:func:`turns`) are treated as a discrete dynamical system:

- the **action sequence** — Miller–Madow normalised entropy and its windowed series (:mod:`._entropy`; Miller 1955),
  LZ76 complexity with a z-score against shuffled copies (:mod:`._complexity`; Lempel & Ziv 1976), a suffix-period
  loop detector, repeated (state, action) n-grams and RQA laminarity against shuffles (:mod:`._loops`; Marwan et
  al. 2007);
- the **semantic trajectory** — turn embeddings (:mod:`trajdyn.analyzer.embeddings`), anchor drift, step size and
  tortuosity as angles on the mean-centred unit sphere, with Mann–Kendall trends (:mod:`._drift`);
- a **repetition score** (:mod:`._repetition`): the share of turns that near-repeat an earlier call (same action,
  overlapping arguments), or that sit in a significant loop or a final trapped run, with its flag threshold;
- a **regime** by documented rules (:mod:`._regime`): degenerate, trapped, looping, convergent, diffusive,
  non_repeating, unknown;
- per task, the **sensitivity**: replicate noise floor and divergence rate (Theil–Sen of ln θ_t; Theil 1950,
  Sen 1968), Δλ under prompt perturbation with a task-bootstrap CI, divergence time, excess-divergence area, and
  pass^k (:mod:`._divergence`);
- ClawBench's participation-ratio constraint index and task-level C(q) as named variants (:mod:`._clawbench`).

Every definition is in the docstring of the module that computes it and in ``docs/metrics/dynamics.md``; the
statistics are those of :mod:`trajdyn.analyzer.stats`. :func:`analyze_dynamics` computes everything once and returns
frames with declared schemas (:mod:`._schema`): per turn, per trajectory, per task, per outcome category, and the
summary across tasks; the report renders them (``report/_dynamics.py``). The other frame functions are pure views of
one family each (frames in, frame out).
"""

from __future__ import annotations

from trajdyn.analyzer.metrics.dynamics._analysis import (
    DynamicsOptions,
    DynamicsResult,
    EmbeddingsUsed,
    analyze_dynamics,
)
from trajdyn.analyzer.metrics.dynamics._clawbench import TOOL_FAMILIES, constraint_index, cq_scores, tool_family
from trajdyn.analyzer.metrics.dynamics._complexity import lz76_counts
from trajdyn.analyzer.metrics.dynamics._divergence import pass_hat_k
from trajdyn.analyzer.metrics.dynamics._entropy import action_entropy
from trajdyn.analyzer.metrics.dynamics._frames import dynamics, laminarity, lz_complexity, sensitivity, suffix_loop
from trajdyn.analyzer.metrics.dynamics._loops import state_action_ngrams
from trajdyn.analyzer.metrics.dynamics._regime import REGIMES, RegimeOutcomes, classify_regime, regime_outcomes
from trajdyn.analyzer.metrics.dynamics._repetition import near_repeats, repetition
from trajdyn.analyzer.metrics.dynamics._schema import (
    DYNAMICS_KEYS,
    OUTCOME_SCHEMA,
    TASK_SCHEMA,
    TRAJECTORY_SCHEMA,
    TURN_SCHEMA,
)
from trajdyn.analyzer.metrics.dynamics._tasks import PassK, SensitivitySummary
from trajdyn.analyzer.metrics.dynamics._turns import turns

__all__ = [
    "DYNAMICS_KEYS",
    "OUTCOME_SCHEMA",
    "REGIMES",
    "TASK_SCHEMA",
    "TOOL_FAMILIES",
    "TRAJECTORY_SCHEMA",
    "TURN_SCHEMA",
    "DynamicsOptions",
    "DynamicsResult",
    "EmbeddingsUsed",
    "PassK",
    "RegimeOutcomes",
    "SensitivitySummary",
    "action_entropy",
    "analyze_dynamics",
    "classify_regime",
    "constraint_index",
    "cq_scores",
    "dynamics",
    "laminarity",
    "lz76_counts",
    "lz_complexity",
    "near_repeats",
    "pass_hat_k",
    "regime_outcomes",
    "repetition",
    "sensitivity",
    "state_action_ngrams",
    "suffix_loop",
    "tool_family",
    "turns",
]
