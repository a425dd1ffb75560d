"""One series → one trend analysis and its verdict: the decision procedure of the trends family.

Definitions in :func:`analyze_series` and ``docs/metrics/trends.md``; the statistics are those of
:mod:`trajdyn.analyzer.stats`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from trajdyn.analyzer.stats import (
    PERMUTATIONS,
    SEED,
    Comparison,
    e_divisive,
    lag1_autocorrelation,
    mann_kendall,
    median_shift,
    ols_slope,
    sen_slope,
)

__all__ = [
    "IMPROVEMENT",
    "INSUFFICIENT",
    "REGRESSION",
    "SERIES_KEYS",
    "STABLE",
    "VERDICTS",
    "Settings",
    "Verdict",
    "analyze_series",
    "comparison_dict",
]

Verdict = Literal["regression", "improvement", "stable", "insufficient-data"]
REGRESSION: Final = "regression"
IMPROVEMENT: Final = "improvement"
STABLE: Final = "stable"
INSUFFICIENT: Final = "insufficient-data"
VERDICTS: Final = (REGRESSION, IMPROVEMENT, STABLE, INSUFFICIENT)
RESIDUAL_AUTOCORRELATION: Final = 0.1
"""The residual lag-1 autocorrelation above which a series with r₁ > 0.3 is flagged (see :func:`analyze_series`)."""

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
    """The knobs of the decision procedure (defaults in ``docs/metrics/trends.md``).

    ``min_effect``: the practical gate in percentage points (2 → a score change of 0.02 on the 0–1 scale; for cost
    and tokens 2 % of the level before the change). ``alpha``: significance level of every test. ``permutations``:
    B of the E-divisive test. ``min_size``: shortest segment. ``min_series``: below this many runs no series test
    runs and the last run is compared with the previous one. ``min_pairs``: paired units (tasks) the last-vs-previous
    comparison needs for a verdict. ``autocorrelation``: lag-1 autocorrelation above which a series is flagged.
    """

    min_effect: float = 2.0
    alpha: float = 0.05
    permutations: int = PERMUTATIONS
    min_size: int = 3
    min_series: int = 5
    min_pairs: int = 5
    autocorrelation: float = 0.3
    seed: int = SEED
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not (self.min_effect >= 0 and np.isfinite(self.min_effect)):
            raise ValueError(f"min_effect must be a finite number >= 0 (percentage points), got {self.min_effect!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.permutations < 1:
            raise ValueError(f"permutations must be >= 1, got {self.permutations!r}")
        if self.min_size < 2:
            raise ValueError(f"min_size must be >= 2, got {self.min_size!r}")


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


def _direction(delta: float, higher_is_better: bool) -> Verdict:
    worse = delta < 0 if higher_is_better else delta > 0
    return REGRESSION if worse else IMPROVEMENT


def _fmt(value: float, relative: bool) -> str:
    return f"{value:+.4g}" if relative else f"{value * 100:+.2f} pp"


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

    Definitions (``x`` the series, n its length, α = ``settings.alpha``, δ the effect gate):

    * ``ols_slope`` — least-squares slope per run (the PinchBench RunTrendAnalyzer's statistic; not used for the
      verdict). ``sen_slope`` / ``sen_slope_ci`` — Theil–Sen slope per run and its 95 % CI.
      ``mann_kendall_tau`` / ``_p`` — Mann–Kendall test of a monotone trend (exact without ties).
    * ``change_points`` — E-divisive change points (n ≥ 2·min_size), each
      ``{index, run, p_value, before_median, after_median, delta, delta_ci}`` with Δ = median(after) − median(before)
      over the adjacent segments and a bootstrap CI; ``run`` is the label of the first run after the change.
    * ``lag1_autocorrelation`` — r₁ of the series; ``lag1_autocorrelation_residual`` — r₁ of the series minus its
      segment medians (minus the Sen line when only the trend test is significant; = r₁ when nothing is).
      ``autocorrelated`` = r₁ > ``settings.autocorrelation`` (0.3) and residual r₁ > 0.1: every test here assumes
      independent runs and over-alarms on such series. A level shift alone also raises r₁; the residual condition
      keeps the flag off when the detected changes explain it (iid noise around segment medians has r₁ ≈ −1/L).
    * ``last_vs_previous`` — the caller's comparison of the last run with the previous one (per-task paired
      differences, bootstrap CI), ``{delta, delta_ci, p_value, n, method}``.
    * verdict, n ≥ ``min_series`` (``method`` = ``series``), from the significant change points (p ≤ α): the last
      change (Δ of the last segment against the one before, ``delta_from`` = ``change-point``) and, with two or
      more change points, the net change (median of the last segment − median of the first, bootstrap CI excluding
      0, ``net-change``) count when |Δ| ≥ δ; a regression among them wins over an improvement (a partial recovery
      does not hide a drop; a fall back from an improved level is caught). Failing both, a significant
      Mann–Kendall trend (p ≤ α) whose drift Δ = Sen slope × (n − 1) has |Δ| ≥ δ (``trend``). The sign of Δ gives
      regression or improvement (``higher_is_better``). Significant changes smaller than δ, and no significant
      change, give ``stable``.
    * verdict, 2 ≤ n < ``min_series`` (``method`` = ``last-vs-previous``): the comparison decides when it has at
      least ``min_pairs`` units: its CI excludes 0 and |Δ| ≥ δ; fewer units, or n < 2, give ``insufficient-data``.
    * δ = min_effect/100 (score units; 2 → 2 percentage points); with ``relative`` (cost, tokens) δ is that fraction
      of the level before the change (median of the earlier segment, start of the Sen line, or the previous run).
      ``min_effect`` in the result is the δ applied (relative without a change: that fraction of the median).
    * ``delta`` / ``delta_ci`` / ``delta_from`` / ``p_value``:
      the evidence behind the verdict (``change-point`` | ``net-change`` | ``trend`` | ``last-vs-previous``); null
      when nothing significant passed the gate.
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
    out["method"] = "series"

    cps = (
        e_divisive(x, alpha=s.alpha, permutations=s.permutations, min_size=s.min_size, seed=s.seed)
        if n >= 2 * s.min_size
        else []
    )
    bounds = [0, *(c.index for c in cps), n]
    fitted = np.empty(n)
    for a, b in itertools.pairwise(bounds):
        fitted[a:b] = np.median(x[a:b])
    cp_rows: list[dict[str, Any]] = []
    for k, cp in enumerate(cps):
        before, after = x[bounds[k] : cp.index], x[cp.index : bounds[k + 2]]
        shift = median_shift(before, after, confidence=s.confidence, seed=s.seed + cp.index)
        cp_rows.append(
            {
                "index": cp.index,
                "run": names[cp.index],
                "p_value": cp.p_value,
                "before_median": float(np.median(before)),
                "after_median": float(np.median(after)),
                "delta": shift.delta,
                "delta_ci": None if shift.low is None else [shift.low, shift.high],
            }
        )
    out["change_points"] = cp_rows

    mk_significant = mk.p_value is not None and mk.p_value <= s.alpha
    if not cps and mk_significant and sen.slope is not None:
        t = np.arange(n, dtype=np.float64)
        fitted = float(np.median(x - sen.slope * t)) + sen.slope * t
    r1 = lag1_autocorrelation(x)
    r1_residual = lag1_autocorrelation(x - fitted) if cps or mk_significant else r1
    out["lag1_autocorrelation"] = r1
    out["lag1_autocorrelation_residual"] = r1_residual
    out["autocorrelated"] = (
        None
        if r1 is None
        else bool(r1 > s.autocorrelation and (r1_residual is None or r1_residual > RESIDUAL_AUTOCORRELATION))
    )

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
                    "reason": f"change at run {last['run']} (index {last['index']}): "
                    f"Δ {_fmt(last['delta'], relative)}, p = {last['p_value']:.3g}",
                }
            )
    if len(cp_rows) >= 2:
        first_seg, last_seg = x[: cps[0].index], x[cps[-1].index :]
        net = median_shift(first_seg, last_seg, confidence=s.confidence, seed=s.seed + n)
        gate = _gate(s, relative, float(np.median(first_seg)))
        excludes_zero = net.low is not None and net.high is not None and (net.low > 0 or net.high < 0)
        if excludes_zero and abs(net.delta) >= gate and net.delta != 0:
            evidence.append(
                {
                    "delta": net.delta,
                    "delta_ci": [net.low, net.high],
                    "delta_from": "net-change",
                    "p_value": net.p_value,
                    "min_effect": gate,
                    "reason": f"net change over {len(cp_rows)} change points (first segment → last, from run "
                    f"{cp_rows[-1]['run']}): Δ {_fmt(net.delta, relative)}, 95 % CI excludes 0",
                }
            )
    for wanted in (REGRESSION, IMPROVEMENT):
        for item in evidence:
            if _direction(item["delta"], higher_is_better) == wanted:
                out.update(item, verdict=wanted)
                return out
    if mk_significant and sen.slope is not None and mk.p_value is not None:
        drift = sen.slope * (n - 1)
        start = float(np.median(x - sen.slope * np.arange(n)))
        gate = _gate(s, relative, start)
        if abs(drift) >= gate and drift != 0:
            ci = None if sen.low is None or sen.high is None else [sen.low * (n - 1), sen.high * (n - 1)]
            out.update(
                delta=drift,
                delta_ci=ci,
                delta_from="trend",
                p_value=mk.p_value,
                min_effect=gate,
                verdict=_direction(drift, higher_is_better),
                reason=f"monotone trend over {n} runs: drift {_fmt(drift, relative)} (Sen slope × (n − 1)), "
                f"Mann–Kendall p = {mk.p_value:.3g}",
            )
            return out
    if cp_rows or mk_significant:
        out.update(verdict=STABLE, reason="significant change smaller than the minimum effect")
    else:
        out.update(verdict=STABLE, reason="no significant change point or trend")
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
    out["method"] = "last-vs-previous"
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
            f"95 % CI excludes 0",
        )
        return out
    why = "smaller than the minimum effect" if significant else "95 % CI includes 0"
    out.update(
        verdict=STABLE,
        reason=f"{n} runs: last vs previous over {comparison.n} {units}: Δ {_fmt(comparison.delta, relative)}, {why}",
    )
    return out
