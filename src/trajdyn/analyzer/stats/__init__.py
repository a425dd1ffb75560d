"""The analyzer's statistics, in one place: small, typed, documented functions every metric family uses.

Definitions and references in ``docs/metrics/statistics.md``. Grouped by what they answer:

* multiple testing (:mod:`._multiple`) — :func:`benjamini_hochberg`;
* trends of a series (:mod:`._trend`) — :func:`mann_kendall` (exact, one series), :func:`mann_kendall_z`
  (many series, Hamed–Rao lag-1 variant), :func:`theil_sen_slope`, :func:`sen_slope` (with Sen's CI),
  :func:`ols_slope`, :func:`lag1_autocorrelation`;
* change points (:mod:`._changepoint`) — :func:`e_divisive` and its statistic;
* tests calibrated under AR(1) run-to-run noise (:mod:`._ar1`) — :func:`max_t_split`, :func:`slope_t`,
  :func:`ar1_null_table` (tabulated AR(1) parametric-bootstrap nulls, quantile-unbiased φ),
  :func:`phi_quantile_level`, :func:`further_splits`, the sieve-bootstrap intervals :func:`step_shift_interval`
  and :func:`trend_drift_interval`;
* resampling (:mod:`._resample`) — bootstrap draws and intervals, permutation p-values, :func:`mean_interval`,
  :func:`mean_difference`, :func:`median_shift`, :func:`stratified_difference` (cluster bootstrap and
  within-stratum permutation test);
* intervals (:mod:`._intervals`) — :func:`jeffreys_interval`, :func:`wilson_interval`, :func:`welch_interval`,
  :func:`paired_t_interval`;
* 2×2 tables (:mod:`._contingency`) — :func:`fisher_exact_p`;
* reweighted fusion (:mod:`._fusion`) — :func:`fuse` (Hájek mean, Kish ESS, Jeffreys-mixture and stratified
  bootstrap-t intervals, Manski bounds; ``docs/metrics/fusion.md``);
* noise of a curve without replicates (:mod:`._noise`) — :func:`pseudo_residual_sd`; of replicates on shared blocks —
  :func:`blocked_noise`.

scipy does the work wherever it already does it (Kendall's exact null, Sen's interval, Student's t and Beta
quantiles); the functions here add what it lacks (batches of series, NaN-tolerant families, seeded resampling
plans). Every random function takes a seed or a generator.
"""

from __future__ import annotations

from trajdyn.exceptions import MissingExtraError

try:
    import numpy  # noqa: F401
    import scipy  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError(exc.name or "numpy", "analyze") from exc

from trajdyn.analyzer.stats._ar1 import (
    AR1_SIMULATIONS,
    PHI_GRID,
    Ar1NullTable,
    SplitStatistics,
    TrendStatistics,
    ar1_null_table,
    ar1_paths,
    ar1_sieve_resample,
    further_splits,
    max_t_split,
    phi_quantile_level,
    slope_t,
    step_shift_interval,
    trend_drift_interval,
)
from trajdyn.analyzer.stats._changepoint import PERMUTATIONS, ChangePoint, e_divisive, e_divisive_statistic
from trajdyn.analyzer.stats._contingency import fisher_exact_p
from trajdyn.analyzer.stats._fusion import (
    CI_BOOTSTRAP,
    CI_JEFFREYS,
    FUSION_DRAWS,
    MIN_BOOTSTRAP_STRATUM,
    Fused,
    bootstrap_pools,
    fuse,
    hajek_mean,
    hajek_se,
    jeffreys_mixture_interval,
    kish_ess,
    manski_bounds,
    max_weight_share,
    stratified_bootstrap_interval,
    stratum_summary,
    task_weights,
)
from trajdyn.analyzer.stats._intervals import jeffreys_interval, paired_t_interval, welch_interval, wilson_interval
from trajdyn.analyzer.stats._multiple import benjamini_hochberg
from trajdyn.analyzer.stats._noise import MAD_NORMAL, blocked_noise, pseudo_residual_sd
from trajdyn.analyzer.stats._resample import (
    BOOTSTRAP_RESAMPLES,
    SEED,
    Comparison,
    MeanInterval,
    StratifiedDifference,
    bootstrap_counts,
    bootstrap_indices,
    bootstrap_p_value,
    central_levels,
    mean_difference,
    mean_interval,
    median_shift,
    null_z_score,
    percentile_interval,
    permutation_p_value,
    stratified_difference,
)
from trajdyn.analyzer.stats._trend import (
    MAX_SLOPE_PAIRS,
    MannKendall,
    SenSlope,
    lag1_autocorrelation,
    mann_kendall,
    mann_kendall_z,
    ols_slope,
    sen_slope,
    theil_sen_slope,
)

__all__ = [
    "AR1_SIMULATIONS",
    "BOOTSTRAP_RESAMPLES",
    "CI_BOOTSTRAP",
    "CI_JEFFREYS",
    "FUSION_DRAWS",
    "MAD_NORMAL",
    "MAX_SLOPE_PAIRS",
    "MIN_BOOTSTRAP_STRATUM",
    "PERMUTATIONS",
    "PHI_GRID",
    "SEED",
    "Ar1NullTable",
    "ChangePoint",
    "Comparison",
    "Fused",
    "MannKendall",
    "MeanInterval",
    "SenSlope",
    "SplitStatistics",
    "StratifiedDifference",
    "TrendStatistics",
    "ar1_null_table",
    "ar1_paths",
    "ar1_sieve_resample",
    "benjamini_hochberg",
    "blocked_noise",
    "bootstrap_counts",
    "bootstrap_indices",
    "bootstrap_p_value",
    "bootstrap_pools",
    "central_levels",
    "e_divisive",
    "e_divisive_statistic",
    "fisher_exact_p",
    "further_splits",
    "fuse",
    "hajek_mean",
    "hajek_se",
    "jeffreys_interval",
    "jeffreys_mixture_interval",
    "kish_ess",
    "lag1_autocorrelation",
    "mann_kendall",
    "mann_kendall_z",
    "manski_bounds",
    "max_t_split",
    "max_weight_share",
    "mean_difference",
    "mean_interval",
    "median_shift",
    "null_z_score",
    "ols_slope",
    "paired_t_interval",
    "percentile_interval",
    "permutation_p_value",
    "phi_quantile_level",
    "pseudo_residual_sd",
    "sen_slope",
    "slope_t",
    "step_shift_interval",
    "stratified_bootstrap_interval",
    "stratified_difference",
    "stratum_summary",
    "task_weights",
    "theil_sen_slope",
    "trend_drift_interval",
    "welch_interval",
    "wilson_interval",
]
