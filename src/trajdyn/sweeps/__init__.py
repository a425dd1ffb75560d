"""Sweeps and keep/revert decisions that do not chase noise: the :class:`Ratchet` and the scenario factory.

Light like the rest of the SDK: pure Python, no OpenTelemetry, numpy or scipy. :class:`Ratchet` is also
``trajdyn.Ratchet``. :func:`sweep_run` opens the trajectory of one sweep run (OpenTelemetry imported on its first call). See
docs/sdk.md#the-ratchet, docs/sdk.md#scenarios and docs/sdk.md#sweep-runs; the analyzer's ``sweeps`` report section
(docs/metrics/sweeps.md) reads the spans of sweep runs and popoto's sweep summaries.
"""

from __future__ import annotations

from trajdyn.sweeps._paired import PairedInterval, paired_t_interval, t_cdf, t_quantile
from trajdyn.sweeps._ratchet import INTERVAL_METHOD, Ratchet, RatchetDecision, Scores
from trajdyn.sweeps._runs import sweep_attributes, sweep_run
from trajdyn.sweeps._scenarios import (
    Axis,
    Choice,
    DegenerateCheck,
    IntRange,
    LogUniform,
    Scenario,
    ScenarioFactory,
    ScenarioSet,
    Skipped,
    Uniform,
)

__all__ = [
    "INTERVAL_METHOD",
    "Axis",
    "Choice",
    "DegenerateCheck",
    "IntRange",
    "LogUniform",
    "PairedInterval",
    "Ratchet",
    "RatchetDecision",
    "Scenario",
    "ScenarioFactory",
    "ScenarioSet",
    "Scores",
    "Skipped",
    "Uniform",
    "paired_t_interval",
    "sweep_attributes",
    "sweep_run",
    "t_cdf",
    "t_quantile",
]
