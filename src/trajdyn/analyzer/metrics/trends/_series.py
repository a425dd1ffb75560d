"""One series → one trend analysis and its verdict (METHODS §5, issue 17): the decision procedure of the trends family.

The series tests are calibrated under AR(1) run-to-run noise (``docs/metrics/trends.md``): a max-t change point
and a least-squares trend t, each against a tabulated AR(1) parametric-bootstrap null at a quantile-unbiased φ
estimated from the residuals of the alternative (:mod:`trajdyn.analyzer.stats._ar1`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from trajdyn.analyzer.stats import (
    AR1_SIMULATIONS,
    PHI_GRID,
    SEED,
    Ar1NullTable,
    Comparison,
    ar1_null_table,
    further_splits,
    lag1_autocorrelation,
    mann_kendall,
    max_t_split,
    ols_slope,
    phi_quantile_level,
    sen_slope,
    slope_t,
    step_shift_interval,
    trend_drift_interval,
)

__all__ = [
    "DRIFT",
    "IMPROVEMENT",
    "INSUFFICIENT",
    "METHOD_AR1",
    "METHOD_FEW_RUNS",
    "METHOD_LAST_VS_PREVIOUS",
    "REGRESSION",
    "SERIES_KEYS",
    "STABLE",
    "VERDICTS",
    "Settings",
    "Verdict",
    "analyze_series",
    "comparison_dict",
]

Verdict = Literal["regression", "improvement", "stable", "drift", "insufficient-data"]
REGRESSION: Final = "regression"
IMPROVEMENT: Final = "improvement"
STABLE: Final = "stable"
DRIFT: Final = "drift"
INSUFFICIENT: Final = "insufficient-data"
VERDICTS: Final = (REGRESSION, IMPROVEMENT, STABLE, DRIFT, INSUFFICIENT)
METHOD_AR1: Final = "ar1-bootstrap"
"""max-t change point + trend t against AR(1) noise at a quantile-unbiased φ (n ≥ ``min_runs``)."""
METHOD_FEW_RUNS: Final = "independent-runs"
"""The same statistics calibrated as if runs were independent; ``min_series`` ≤ n < ``min_runs`` (never a
regression: a change found this way is ``insufficient-data``)."""
METHOD_LAST_VS_PREVIOUS: Final = "last-vs-previous"
"""n < ``min_series``: the last run against the previous one, task by task."""

SERIES_KEYS: Final = (
    "n_runs",
    "series",
    "median",
    "ols_slope",
    "sen_slope",
    "sen_slope_ci",
    "mann_kendall_tau",
    "mann_kendall_p",
    "mann_kendall_method",
    "change_points",
    "lag1_autocorrelation",
    "lag1_autocorrelation_residual",
    "autocorrelated",
    "phi",
    "phi_source",
    "phi_null_step",
    "phi_null_trend",
    "p_step",
    "p_trend",
    "p_step_independent",
    "p_trend_independent",
    "last_vs_previous",
    "method",
    "delta",
    "delta_ci",
    "delta_from",
    "p_value",
    "min_effect",
    "verdict",
    "reason",
)
"""Keys of one series analysis (:func:`analyze_series`), in order."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The knobs of the decision procedure (defaults of METHODS §5 and ``docs/metrics/trends.md``).

    ``min_effect``: the practical gate in percentage points (2 → a score change of 0.02 on the 0–1 scale; for cost
    and tokens 2 % of the level before the change). ``alpha``: significance level of every test. ``simulations``:
    no-change AR(1) series per φ of the null tables (B). ``min_size``: shortest segment. ``min_series``: below this
    many runs no series test runs and the last run is compared with the previous one. ``min_runs``: below this many
    runs φ cannot be estimated and a change is at most ``insufficient-data``. ``min_pairs``: paired units (tasks)
    the last-vs-previous comparison needs. ``drift_phi``: median-unbiased φ at or above which a change is reported as
    ``drift``. ``phi_quantile``: the quantile of φ̂'s null distribution at which φ for the null is read (default
    :func:`~trajdyn.analyzer.stats.phi_quantile_level`, 0.5 − 2.5/n). ``autocorrelation``: φ at or above which a
    series is flagged ``autocorrelated`` (a warning, the tests already allow for it).
    """

    min_effect: float = 2.0
    alpha: float = 0.05
    simulations: int = AR1_SIMULATIONS
    min_size: int = 3
    min_series: int = 5
    min_runs: int = 8
    min_pairs: int = 5
    drift_phi: float = 0.8
    phi_quantile: float | None = None
    autocorrelation: float = 0.3
    seed: int = SEED
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not (self.min_effect >= 0 and np.isfinite(self.min_effect)):
            raise ValueError(f"min_effect must be a finite number >= 0 (percentage points), got {self.min_effect!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.simulations < 19:
            raise ValueError(f"simulations must be >= 19, got {self.simulations!r}")
        if self.min_size < 2:
            raise ValueError(f"min_size must be >= 2, got {self.min_size!r}")
        if self.min_runs < 2 * self.min_size:
            raise ValueError(f"min_runs must be >= 2 * min_size ({2 * self.min_size}), got {self.min_runs!r}")
        if not 0 < self.drift_phi <= 1:
            raise ValueError(f"drift_phi must be in (0, 1], got {self.drift_phi!r}")
        if self.phi_quantile is not None and not 0 < self.phi_quantile < 1:
            raise ValueError(f"phi_quantile must be in (0, 1), got {self.phi_quantile!r}")


def comparison_dict(c: Comparison | None, *, method: str | None = None) -> dict[str, Any] | None:
    """A :class:`Comparison` as ``{delta, delta_ci, p_value, n, method}`` (``None`` stays ``None``)."""
    if c is None:
        return None
    ci = None if c.low is None or c.high is None else [c.low, c.high]
    return {"delta": c.delta, "delta_ci": ci, "p_value": c.p_value, "n": c.n, "method": method}


def _gate(settings: Settings, relative: bool, reference: float) -> float:
    """The smallest |Δ| that counts: min_effect/100 in score units, or that fraction of |reference| (relative)."""
    fraction = settings.min_effect / 100.0
    return fraction * abs(reference) if relative else fraction


def _worse(delta: float, higher_is_better: bool) -> bool:
    return delta < 0 if higher_is_better else delta > 0


def _direction(delta: float, higher_is_better: bool) -> Verdict:
    return REGRESSION if _worse(delta, higher_is_better) else IMPROVEMENT


def _fmt(value: float, relative: bool) -> str:
    return f"{value:+.4g}" if relative else f"{value * 100:+.2f} pp"


@dataclass(frozen=True, slots=True)
class _Tests:
    """The statistics of one series and their calibration (under independence and under AR(1))."""

    table: Ar1NullTable
    split_index: int | None
    split_statistic: float | None
    split_phi_hat: float | None
    trend_statistic: float
    trend_phi_hat: float
    p_step_independent: float | None
    p_trend_independent: float


def _tests(x: npt.NDArray[np.float64], s: Settings) -> _Tests:
    n = x.size
    tied = np.unique(x).size < n
    table = ar1_null_table(n, min_size=s.min_size, simulations=s.simulations, seed=s.seed, marginal=x if tied else None)
    trend = slope_t(x)
    t_trend = float(trend.statistic)
    p_trend0 = float(table.p_value("trend", t_trend, 0.0)[0])
    if n < 2 * s.min_size:
        return _Tests(table, None, None, None, t_trend, float(trend.phi_hat), None, p_trend0)
    split = max_t_split(x, s.min_size)
    t_split = float(split.statistic)
    return _Tests(
        table,
        int(split.index),
        t_split,
        float(split.phi_hat),
        t_trend,
        float(trend.phi_hat),
        float(table.p_value("step", t_split, 0.0)[0]),
        p_trend0,
    )


PERSISTENT_PHI: Final = float(PHI_GRID[-1])
"""The most persistent noise of the null tables (φ = 0.99): a change significant even there is no ``drift``."""


def _beats_persistent_noise(evidence: dict[str, Any], tests: _Tests, alpha: float) -> bool:
    """Whether the statistic behind ``evidence`` (the trend t for a trend, else the first change point's max-t) is
    significant at level α even against AR(1) noise at :data:`PERSISTENT_PHI`; notes it in the evidence's reason."""
    if evidence["delta_from"] == "trend":
        p = tests.table.p_value("trend", tests.trend_statistic, PERSISTENT_PHI)
    elif tests.split_statistic is not None:
        p = tests.table.p_value("step", tests.split_statistic, PERSISTENT_PHI)
    else:
        return False
    p_persistent = float(p[0])
    if p_persistent > alpha:
        return False
    evidence["reason"] += f"; significant even against AR(1) noise at φ = {PERSISTENT_PHI} (p = {p_persistent:.3g})"
    return True


def analyze_series(
    values: npt.ArrayLike,
    *,
    settings: Settings | None = None,
    higher_is_better: bool = True,
    relative: bool = False,
    last_vs_previous: Comparison | None = None,
    comparison_method: str | None = None,
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Analyse one series of runs (in run order) and decide its verdict; returns the :data:`SERIES_KEYS` object.

    Definitions (``x`` the series, n its length, α = ``settings.alpha``, δ the effect gate; ``docs/metrics/trends.md``):

    * descriptive, under independence (not used for the verdict): ``ols_slope`` — least-squares slope per run (the
      PinchBench RunTrendAnalyzer's statistic); ``sen_slope`` / ``sen_slope_ci`` — Theil–Sen slope per run with
      Sen's CI; ``mann_kendall_tau`` / ``_p`` — Mann–Kendall test (exact without ties).
    * the tests (n ≥ ``min_series``): the change point τ̂ maximises the two-sample t over the splits (both parts ≥
      ``min_size``), T_step = max |t|; the trend statistic T_trend = |t| of the least-squares slope
      (:func:`~trajdyn.analyzer.stats.max_t_split`, :func:`~trajdyn.analyzer.stats.slope_t`).
      ``p_step_independent`` / ``p_trend_independent`` — their p-values if runs were independent (AR(1) null at
      φ = 0). ``p_step`` / ``p_trend`` — their p-values under AR(1) noise at ``phi_null_step`` / ``phi_null_trend``:
      the φ at which the lag-1 autocorrelation of the alternative's residuals (within the two segments at τ̂;
      around the line) is the q(n)-quantile of its null distribution (Andrews 1993; q(n) = 0.5 − 2.5/n, an upper
      confidence limit for φ); parametric-bootstrap tables per n, a Gaussian copula carrying the series' own values
      when they have ties (pass/fail rates).
    * ``phi`` — the median-unbiased φ from the residuals of the better-fitting alternative (``phi_source``:
      ``segment residuals`` or ``trend residuals``, smaller residual sum of squares); ``lag1_autocorrelation_residual``
      the raw estimate it was mapped from; ``lag1_autocorrelation`` — r₁ of the series itself (inflated by a step
      or a trend); ``autocorrelated`` = φ ≥ ``settings.autocorrelation``.
    * ``change_points`` — the first at τ̂ when p_step ≤ α, further ones by binary segmentation at α/2 against AR(1)
      noise cut by the same segmentation; each ``{index, run, p_value, before_median, after_median, delta,
      delta_ci}``, Δ = median(after) − median(before) over the adjacent segments, 95 % CI by the AR(1) sieve
      bootstrap (Bühlmann 1997) at the median-unbiased φ; ``run`` is the label of the first run after the change.
    * verdict, n ≥ ``min_runs`` (``method`` = ``ar1-bootstrap``): the last change (``change-point``) and, with two or
      more change points, the net change (median of the last segment − median of the first, ``net-change``, p the
      largest of theirs) count when |Δ| ≥ δ; a regression among them wins over an improvement. Failing both, a
      trend with p_trend ≤ α whose drift Δ = Sen slope × (n − 1) has |Δ| ≥ δ (``trend``; CI by the sieve bootstrap
      at the φ of its null). The sign of Δ gives regression or improvement (``higher_is_better``). But when
      ``phi`` ≥ ``drift_phi`` and a gated change is significant (under AR(1) or under independence) the verdict is
      ``drift``: the noise is so persistent that a shift cannot be told from its wander (never a regression).
      Significant changes smaller than δ, and no significant change, give ``stable``.
    * verdict, ``min_series`` ≤ n < ``min_runs`` (``method`` = ``independent-runs``): φ cannot be estimated; a gated
      change significant under independence gives ``insufficient-data`` (with its Δ), else ``stable``.
    * verdict, 2 ≤ n < ``min_series`` (``method`` = ``last-vs-previous``): the caller's comparison of the last run
      with the previous one (``last_vs_previous``, per-task paired differences, bootstrap CI) decides when it has at
      least ``min_pairs`` units: its CI excludes 0 and |Δ| ≥ δ; fewer units, or n < 2, give ``insufficient-data``.
      It measures task-level noise only: run-to-run drift is invisible to it (the reason says so).
    * δ = min_effect/100 (score units; 2 → 2 percentage points); with ``relative`` (cost, tokens) δ is that fraction
      of the level before the change (median of the earlier segment, start of the Sen line, or the previous run).
      ``min_effect`` in the result is the δ applied (relative without a change: that fraction of the median).
    * ``delta`` / ``delta_ci`` / ``delta_from`` / ``p_value``: the evidence behind the verdict (``change-point`` |
      ``net-change`` | ``trend`` | ``last-vs-previous``); for ``drift`` and ``insufficient-data`` the Δ that would
      have been reported; null when nothing significant passed the gate.
    """
    s = settings or Settings()
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError("analyze_series needs a 1-D series of finite values (leave runs without a value out)")
    n = int(x.size)
    names = list(labels) if labels is not None else [str(i) for i in range(n)]
    out: dict[str, Any] = dict.fromkeys(SERIES_KEYS)
    out.update(n_runs=n, series=[float(v) for v in x], change_points=[], autocorrelated=None)
    out["last_vs_previous"] = comparison_dict(last_vs_previous, method=comparison_method)
    if n == 0:
        out.update(verdict=INSUFFICIENT, reason="no runs with a value")
        return out
    out["median"] = float(np.median(x))
    out["ols_slope"] = ols_slope(x)
    sen = sen_slope(x, confidence=s.confidence)
    out["sen_slope"] = sen.slope
    out["sen_slope_ci"] = None if sen.low is None or sen.high is None else [sen.low, sen.high]
    mk = mann_kendall(x)
    out.update(mann_kendall_tau=mk.tau, mann_kendall_p=mk.p_value, mann_kendall_method=mk.method)
    if n < 2:
        out.update(verdict=INSUFFICIENT, reason="a single run: nothing to compare")
        return out
    out["min_effect"] = _gate(s, relative, out["median"])
    if n < s.min_series:
        return _small_n(
            out,
            s,
            higher_is_better=higher_is_better,
            relative=relative,
            comparison=last_vs_previous,
            units=_UNITS.get(comparison_method or "", "paired tasks"),
        )
    out["lag1_autocorrelation"] = lag1_autocorrelation(x)
    if float(np.ptp(x)) == 0:
        method = METHOD_AR1 if n >= s.min_runs else METHOD_FEW_RUNS
        out.update(method=method, verdict=STABLE, reason=f"constant over {n} runs")
        return out
    return _series(out, x, names, s, higher_is_better=higher_is_better, relative=relative, slope=sen.slope or 0.0)


def _series(
    out: dict[str, Any],
    x: npt.NDArray[np.float64],
    names: list[str],
    s: Settings,
    *,
    higher_is_better: bool,
    relative: bool,
    slope: float,
) -> dict[str, Any]:
    """The series tests and the verdict, n ≥ ``min_series`` (see :func:`analyze_series`)."""
    n = x.size
    tests = _tests(x, s)
    out.update(p_step_independent=tests.p_step_independent, p_trend_independent=tests.p_trend_independent)
    drift = slope * (n - 1)
    trend_gate = _gate(s, relative, float(np.median(x - slope * np.arange(n))))

    def independent_change() -> dict[str, Any] | None:
        """The gated change a test assuming independent runs would report (change point first, then trend)."""
        tau = tests.split_index
        p_step0 = tests.p_step_independent
        if tau is not None and p_step0 is not None and p_step0 <= s.alpha:
            delta = float(np.median(x[tau:]) - np.median(x[:tau]))
            gate = _gate(s, relative, float(np.median(x[:tau])))
            if abs(delta) >= gate and delta != 0:
                return {
                    "delta": delta,
                    "delta_from": "change-point",
                    "min_effect": gate,
                    "what": f"change at run {names[tau]} (index {tau}) of {_fmt(delta, relative)}",
                }
        if tests.p_trend_independent <= s.alpha and abs(drift) >= trend_gate and drift != 0:
            return {
                "delta": drift,
                "delta_from": "trend",
                "min_effect": trend_gate,
                "what": f"trend of {_fmt(drift, relative)} over {n} runs",
            }
        return None

    if n < s.min_runs:
        out["method"] = METHOD_FEW_RUNS
        naive = independent_change()
        if naive is None:
            out.update(verdict=STABLE, reason=f"{n} runs: no change even if runs were independent")
            return out
        what = naive.pop("what")
        out.update(
            naive,
            verdict=INSUFFICIENT,
            reason=f"{n} runs (< {s.min_runs}): a {what} would be significant if runs were independent, but so few "
            "runs cannot separate it from autocorrelated drift",
        )
        return out

    out["method"] = METHOD_AR1
    q = phi_quantile_level(n) if s.phi_quantile is None else s.phi_quantile
    table = tests.table
    phi_trend_mu = float(table.unbiased_phi("trend", tests.trend_phi_hat))
    phi_trend_null = float(table.unbiased_phi("trend", tests.trend_phi_hat, q))
    p_trend = float(table.p_value("trend", tests.trend_statistic, phi_trend_null)[0])
    phi, phi_source, phi_raw = phi_trend_mu, "trend residuals", tests.trend_phi_hat
    phi_step_mu = phi_step_null = p_step = None
    tau = tests.split_index
    if tau is not None and tests.split_phi_hat is not None and tests.split_statistic is not None:
        if np.ptp(x[:tau]) == 0 and np.ptp(x[tau:]) == 0:
            # an exact step: no noise around the two levels, so no autocorrelation to allow for (with ties, the copula
            # null would read the missing residual wander as evidence of a persistent process)
            phi_step_mu = phi_step_null = 0.0
        else:
            phi_step_mu = float(table.unbiased_phi("step", tests.split_phi_hat))
            phi_step_null = float(table.unbiased_phi("step", tests.split_phi_hat, q))
        p_step = float(table.p_value("step", tests.split_statistic, phi_step_null)[0])
        segments = np.where(np.arange(n) < tau, x[:tau].mean(), x[tau:].mean())
        tc = np.arange(n) - (n - 1) / 2.0
        line = x.mean() + ((x - x.mean()) @ tc) / (tc @ tc) * tc
        if np.sum((x - segments) ** 2) <= np.sum((x - line) ** 2):
            phi, phi_source, phi_raw = phi_step_mu, "segment residuals", tests.split_phi_hat
    out.update(
        lag1_autocorrelation_residual=phi_raw,
        autocorrelated=bool(phi >= s.autocorrelation),
        phi=phi,
        phi_source=phi_source,
        phi_null_step=phi_step_null,
        phi_null_trend=phi_trend_null,
        p_step=p_step,
        p_trend=p_trend,
    )
    noise = f"under AR(1) noise (φ = {phi:.2f}"

    cp_rows: list[dict[str, Any]] = []
    if tau is not None and p_step is not None and phi_step_null is not None and p_step <= s.alpha:
        found = sorted(
            [
                (tau, p_step),
                *further_splits(
                    x,
                    tau,
                    phi_step_null,
                    alpha=s.alpha / 2,
                    min_size=s.min_size,
                    simulations=s.simulations,
                    seed=s.seed,
                ),
            ]
        )
        bounds = [0, *(index for index, _ in found), n]
        for k, (index, p) in enumerate(found):
            part = x[bounds[k] : bounds[k + 2]]
            shift = step_shift_interval(
                part, index - bounds[k], phi_step_mu or 0.0, confidence=s.confidence, seed=s.seed + index
            )
            cp_rows.append(
                {
                    "index": index,
                    "run": names[index],
                    "p_value": p,
                    "before_median": float(np.median(x[bounds[k] : index])),
                    "after_median": float(np.median(x[index : bounds[k + 2]])),
                    "delta": shift.delta,
                    "delta_ci": None if shift.low is None else [shift.low, shift.high],
                }
            )
    out["change_points"] = cp_rows

    evidence: list[dict[str, Any]] = []
    if cp_rows:
        last = cp_rows[-1]
        gate = _gate(s, relative, last["before_median"])
        if abs(last["delta"]) >= gate and last["delta"] != 0:
            evidence.append(
                {
                    "delta": last["delta"],
                    "delta_ci": last["delta_ci"],
                    "delta_from": "change-point",
                    "p_value": last["p_value"],
                    "min_effect": gate,
                    "reason": f"change at run {last['run']} (index {last['index']}): Δ {_fmt(last['delta'], relative)}, "
                    f"p = {last['p_value']:.3g} {noise}; null at φ = {phi_step_null:.2f})",
                }
            )
    if len(cp_rows) >= 2:
        first_segment = x[: cp_rows[0]["index"]]
        net = float(np.median(x[cp_rows[-1]["index"] :]) - np.median(first_segment))
        gate = _gate(s, relative, float(np.median(first_segment)))
        if abs(net) >= gate and net != 0:
            p_net = max(c["p_value"] for c in cp_rows)
            evidence.append(
                {
                    "delta": net,
                    "delta_ci": None,
                    "delta_from": "net-change",
                    "p_value": p_net,
                    "min_effect": gate,
                    "reason": f"net change over {len(cp_rows)} change points (first segment → last, from run "
                    f"{cp_rows[-1]['run']}): Δ {_fmt(net, relative)}, every change p ≤ {p_net:.3g} {noise})",
                }
            )
    if not evidence and p_trend <= s.alpha and abs(drift) >= trend_gate and drift != 0:
        low, high = trend_drift_interval(x, phi_trend_null, confidence=s.confidence, seed=s.seed)
        evidence.append(
            {
                "delta": drift,
                "delta_ci": [low, high],
                "delta_from": "trend",
                "p_value": p_trend,
                "min_effect": trend_gate,
                "reason": f"trend over {n} runs: drift {_fmt(drift, relative)} (Sen slope × (n − 1)), slope t "
                f"p = {p_trend:.3g} {noise}; null at φ = {phi_trend_null:.2f})",
            }
        )
    evidence.sort(key=lambda item: not _worse(item["delta"], higher_is_better))  # a regression wins

    if phi >= s.drift_phi and not (evidence and _beats_persistent_noise(evidence[0], tests, s.alpha)):
        moved = evidence[0] if evidence else independent_change()
        if moved is not None:
            d = moved["delta"]
            words = "worse" if _worse(d, higher_is_better) else "better"
            out.update(
                delta=d,
                delta_ci=moved.get("delta_ci"),
                delta_from=moved["delta_from"],
                p_value=moved.get("p_value"),
                min_effect=moved["min_effect"],
                verdict=DRIFT,
                reason=f"level moved {_fmt(d, relative)} ({words}, {moved['delta_from']}), but the runs are too "
                f"autocorrelated (φ = {phi:.2f} ≥ {s.drift_phi}) to tell a change from drift",
            )
            return out
    if evidence:
        best = evidence[0]
        out.update(best, verdict=_direction(best["delta"], higher_is_better))
        return out
    if cp_rows or p_trend <= s.alpha:
        out.update(verdict=STABLE, reason=f"significant change smaller than the minimum effect {noise})")
    else:
        out.update(verdict=STABLE, reason=f"no significant change point or trend {noise})")
    return out


_UNITS: Final = {"paired-tasks": "paired tasks", "records": "records per run"}


def _small_n(
    out: dict[str, Any],
    s: Settings,
    *,
    higher_is_better: bool,
    relative: bool,
    comparison: Comparison | None,
    units: str,
) -> dict[str, Any]:
    out["method"] = METHOD_LAST_VS_PREVIOUS
    n = out["n_runs"]
    if comparison is None or comparison.low is None or comparison.high is None or comparison.n < s.min_pairs:
        count = 0 if comparison is None else comparison.n
        out.update(
            verdict=INSUFFICIENT,
            reason=f"{n} runs (< {s.min_series} for the series tests) and {count} {units} "
            f"(< {s.min_pairs} to compare the last run with the previous one)",
        )
        return out
    series = out["series"]
    gate = _gate(s, relative, series[-2])
    significant = comparison.low > 0 or comparison.high < 0
    out.update(min_effect=gate)
    if significant and abs(comparison.delta) >= gate:
        out.update(
            delta=comparison.delta,
            delta_ci=[comparison.low, comparison.high],
            delta_from="last-vs-previous",
            p_value=comparison.p_value,
            verdict=_direction(comparison.delta, higher_is_better),
            reason=f"{n} runs: last vs previous over {comparison.n} {units}: Δ {_fmt(comparison.delta, relative)}, "
            f"95 % CI excludes 0 (task-level noise only: {n} runs cannot show run-to-run drift)",
        )
        return out
    why = "smaller than the minimum effect" if significant else "95 % CI includes 0"
    out.update(
        verdict=STABLE,
        reason=f"{n} runs: last vs previous over {comparison.n} {units}: Δ {_fmt(comparison.delta, relative)}, {why}",
    )
    return out
