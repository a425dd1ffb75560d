"""Regression trends across sequential runs (``docs/metrics/trends.md``): catch a system getting worse without crying
wolf.

References: ``docs/metrics/trends.md``; the PinchBench RunTrendAnalyzer proposal (pinchbench/skill
``scripts/lib_trend.py``); Matteson & James (2014), *A nonparametric approach for multiple change point analysis of
multivariate data*, JASA 109(505); Daly et al. (2020), *The use of change point detection to identify software
performance regressions in a continuous integration system*, ICPE '20 (MongoDB); Mann (1945) and Kendall (1975) for
the trend test; Theil (1950) and Sen (1968) for the slope; Efron & Tibshirani (1993) for the bootstrap; Benjamini &
Hochberg (1995) for the false discovery rate; Mozilla Perfherder for the practical effect gate.

Pipeline: a records frame (:func:`records_from_trajectories` for spans, :func:`records_from_results` for benchmark
result files; :data:`RECORD_SCHEMA`) → :func:`trends` → one object per group (:data:`GROUP_KEYS`), each holding the
score analysis of :func:`analyze_series` (:data:`SERIES_KEYS`), the same for cost and tokens, warnings and a per-task
breakdown (:data:`TASK_KEYS`).

Why not the source tool's rule: an OLS slope below a fixed −0.5 %/run confuses window length with noise (it never
caught a 2σ drop at n = 20 in simulation) and a t-test after choosing the split point raises 18–34 % false alarms.
Here a change must be significant (E-divisive permutation test or exact Mann–Kendall, α = 0.05) *and* at least
``min_effect`` large; below 5 runs no series test runs and the last run is compared with the previous one, task by
task, with a bootstrap CI. The statistics are those of :mod:`trajdyn.analyzer.stats` (``docs/metrics/statistics.md``).
"""

from __future__ import annotations

from trajdyn.exceptions import MissingExtraError

try:
    import numpy  # noqa: F401
    import polars  # noqa: F401
    import scipy  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError(exc.name or "numpy", "analyze") from exc

from trajdyn.analyzer.metrics.trends._groups import GROUP_KEYS, TASK_KEYS, trends
from trajdyn.analyzer.metrics.trends._records import (
    GROUP_BY_KEYS,
    RECORD_SCHEMA,
    empty_records,
    records_from_results,
    records_from_trajectories,
    resolve_group_by,
)
from trajdyn.analyzer.metrics.trends._series import SERIES_KEYS, VERDICTS, Settings, analyze_series

__all__ = [
    "GROUP_BY_KEYS",
    "GROUP_KEYS",
    "RECORD_SCHEMA",
    "SERIES_KEYS",
    "TASK_KEYS",
    "VERDICTS",
    "Settings",
    "analyze_series",
    "empty_records",
    "records_from_results",
    "records_from_trajectories",
    "resolve_group_by",
    "trends",
]
