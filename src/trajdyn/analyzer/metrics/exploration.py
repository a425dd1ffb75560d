"""Exploration coverage of a propose → observe → decide loop, per trajectory (``docs/metrics/exploration.md``).

References: ``docs/metrics/exploration.md``; the autoresearch article "Trajectory eval: is the agent flailing?"
(upstream manavsehgal/nvidia-learn ``analyze_trajectory.py``); Good (1953) for the Good–Turing
novelty; Chao (1984) for the Chao1 richness estimator. The SDK's live tracker computes the same numbers.

Definitions (one row per trajectory; every key below is a column of :func:`exploration`'s result):

=======================  ==================================================================================
key                      definition
=======================  ==================================================================================
iterations               N = proposes that are not blocked (a blocked propose was refused before evaluation)
basis                    ``"knobs"`` when the trajectory has a knob menu or at least one iteration proposes a knob with a
                         value, else ``"actions"`` (tool calls, free-text descriptions: nothing to cover but the actions
                         themselves); the report shows knob coverage for the first, action diversity for the second
knobs_total              distinct knobs of the trajectory's menu; null without a menu
knobs_touched            distinct knobs proposed (a proposal without a knob uses its action as the knob)
knob_coverage            knobs_touched / knobs_total; null without a menu. Off-menu knobs count in the numerator
knobs_untouched          menu knobs never proposed, in menu order; null without a menu
knob_counts              [{knob, n}]: proposals per knob, n desc, ties by first appearance (the report renders it
                         as an ordered ``{knob: n}`` object)
unique_pairs             D = distinct (knob, value) pairs; value is the canonical string (null for a tool call)
repeat_count             iterations whose pair was proposed at an earlier iteration (= N − D)
repeat_rate              repeat_count / N; null when N = 0
windows_repeat_rate      [{first, last, rate}]: consecutive windows of ``window`` iterations by position (the last one
                         may be partial), first/last its iteration numbers, rate = repeats in it / iterations in it;
                         repeat status is relative to the whole earlier history
top_pairs                [{knob, value, n}]: the ``top`` most proposed pairs, n desc, ties by first appearance
keep_count               iterations whose decision is keep
keep_iterations          their iteration numbers, ascending
keep_pair_counts         [{knob, value, n}] over the kept iterations, n desc, ties by first appearance
first_keep_iteration     first kept iteration; null when none
best_iteration           arg-best of the iteration metric (objective minimize|maximize, default maximize);
                         first wins ties; null when no iteration has a metric
best_value               the metric at best_iteration
best_pair                {knob, value} of best_iteration
baseline_value           the trajectory's ``trajdyn.baseline``; null when absent
improvement              (baseline − best)/|baseline| (minimize) or (best − baseline)/|baseline| (maximize), a fraction
                         (0.0093 = 0.93 %); null without baseline, without best, or when baseline = 0
novelty_good_turing      f1 / N, f1 = pairs proposed exactly once: the Good–Turing probability that the next proposal
                         is a new pair; null when N = 0
chao1                    D + f1²/(2·f2), or D + f1(f1−1)/2 when f2 = 0 (f2 = pairs proposed exactly twice): the Chao1
                         estimate of how many distinct pairs the proposer reaches; null when N = 0
noise_floor              pooled within-pair standard deviation of the metric over pairs evaluated ≥ 2 times,
                         sqrt(Σ(n_i−1)s_i² / Σ(n_i−1)); null when no pair was evaluated twice
keeps_within_noise       keeps whose metric beats the running best just before them by more than 0 and less than
                         noise_floor; null when noise_floor is null
longest_plateau          longest run of consecutive iterations none of which improved (the trailing run included)
since_improvement        iterations after the last improving iteration (N when none improved)
running_best             the running best after each iteration, in iteration order (null until it is defined); feeds
                         the report's cumulative-best sparkline
=======================  ==================================================================================

The metric of an iteration is the primary metric (``trajdyn.metric``) of its last observe step that carries one;
non-finite metrics are treated as absent. Its decision is that of its last decide step that carries one.

Running best and plateaus: the running best starts at the baseline when there is one, else it is undefined until
the first metric (which then counts as an improvement). It is the best value seen so far (``cum_max`` of the
objective-signed metric), whether or not a step cleared η. An iteration *improves* when its metric beats the
running best just before it by more than η·|running best| (η relative, default 0: any strict improvement).

The article is ambiguous about its plateau (its table says "41 iters of plateau" — best at 45 minus first keep at 4 —
and its text "a 17-iter plateau" — between the keeps at 6 and 23). trajdyn defines exactly two numbers instead:
``longest_plateau`` (longest run of non-improving iterations) and ``since_improvement`` (the trailing run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.model import order_steps
from trajdyn.exceptions import ConfigurationError, MissingExtraError

try:
    import numpy as np
    import polars as pl
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("polars", "analyze") from exc

__all__ = ["BASIS_ACTIONS", "BASIS_KNOBS", "EXPLORATION_KEYS", "ExplorationOptions", "exploration"]

BASIS_KNOBS: Final = "knobs"
"""``basis`` of a trajectory with a knob menu or at least one proposal of a knob with a value."""
BASIS_ACTIONS: Final = "actions"
"""``basis`` of a trajectory whose proposals carry no value at all (tool calls, free-text descriptions)."""

EXPLORATION_KEYS: Final = (
    "iterations",
    "basis",
    "knobs_total",
    "knobs_touched",
    "knob_coverage",
    "knobs_untouched",
    "knob_counts",
    "unique_pairs",
    "repeat_count",
    "repeat_rate",
    "windows_repeat_rate",
    "top_pairs",
    "keep_count",
    "keep_iterations",
    "keep_pair_counts",
    "first_keep_iteration",
    "best_iteration",
    "best_value",
    "best_pair",
    "baseline_value",
    "improvement",
    "novelty_good_turing",
    "chao1",
    "noise_floor",
    "keeps_within_noise",
    "longest_plateau",
    "since_improvement",
    "running_best",
)
"""Result columns of :func:`exploration` after ``trajectory_id``, in report order."""

# private working column names
_POS = "_pos"
_SCORE = "_score"
_SIGN = "_sign"
_PAIR = "_pair"
_FIRST = "_first"
_N = "_n"
_REPEAT = "_repeat"
_KEEP = "_keep"
_IMPROVES = "_improves"
_RB_BEFORE = "_rb_before"
_RB_AFTER = "_rb_after"
_BASE_SCORE = "_base_score"
_MENU_POS = "_menu_pos"
_G = "_g"
_T = "_t"

_NEG_INF: Final = -math.inf


def _pair_key() -> pl.Expr:
    """One string per (knob, value): a null value and an empty string stay distinct."""
    value_part = pl.when(pl.col(K.VALUE).is_null()).then(pl.lit("\x00")).otherwise(pl.lit("\x01") + pl.col(K.VALUE))
    return pl.col(K.KNOB) + pl.lit("\x1f") + value_part


def _iteration_rows(steps: pl.DataFrame) -> pl.DataFrame:
    """One row per iteration, in (trajectory, iteration) order.

    Columns: ``_T`` (a dense trajectory code), trajectory_id, iteration, knob, value, metric, ``_keep``, ``_pos``
    (1..N) and ``_pair``. Rows of one (trajectory, iteration) are consecutive after the sort, so the propose, the
    last observe with a metric and the last decide with a decision are picked by first/last-distinct masks
    instead of per-group aggregations.
    """
    tid = K.TRAJECTORY_ID
    needed = [tid, K.ITERATION, K.START_NS, K.PHASE, K.KNOB, K.VALUE, K.ACTION, K.BLOCKED, K.METRIC, K.DECISION]
    ids = [c for c in (K.SPAN_ID, K.TRACE_ID) if c in steps.columns]  # tie-breakers of the steps-frame order
    frame = steps.select(*needed, *ids).filter(pl.col(K.ITERATION).is_not_null() & pl.col(tid).is_not_null())
    frame = order_steps(frame).drop(ids)  # a no-op check for the model's steps frame, which is in this order
    ordered = frame.lazy().with_columns(pl.struct(tid, K.ITERATION).rle_id().alias(_G))
    proposes = (
        ordered.filter((pl.col(K.PHASE) == C.PHASE_PROPOSE) & ~pl.col(K.BLOCKED).fill_null(False))
        .filter(pl.col(_G).is_first_distinct())
        .select(
            _G,
            tid,
            K.ITERATION,
            pl.coalesce(K.KNOB, K.ACTION).fill_null("").alias(K.KNOB),
            pl.when(pl.col(K.KNOB).is_not_null()).then(pl.col(K.VALUE)).otherwise(None).alias(K.VALUE),
        )
    )
    metric = pl.col(K.METRIC)
    metrics = (
        ordered.filter((pl.col(K.PHASE) == C.PHASE_OBSERVE) & metric.is_not_null() & metric.is_finite())
        .filter(pl.col(_G).is_last_distinct())
        .select(_G, K.METRIC)
    )
    decisions = (
        ordered.filter((pl.col(K.PHASE) == C.PHASE_DECIDE) & pl.col(K.DECISION).is_not_null())
        .filter(pl.col(_G).is_last_distinct())
        .select(_G, (pl.col(K.DECISION) == C.DECISION_KEEP).alias(_KEEP))
    )
    return (
        proposes.join(metrics, on=_G, how="left", maintain_order="left")
        .join(decisions, on=_G, how="left", maintain_order="left")
        .with_columns(pl.col(tid).rle_id().alias(_T))
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(_T).alias(_POS),
            # one Int64 per (trajectory, pair): integer keys group much faster than strings
            (
                pl.col(_T).cast(pl.Int64) * (1 << 32) + _pair_key().cast(pl.Categorical).to_physical().cast(pl.Int64)
            ).alias(_PAIR),
            pl.col(_KEEP).fill_null(False),
        )
        .drop(_G)
        .collect()
    )


def _ranked(counted: pl.LazyFrame, keys: list[str], name: str, limit: int | None) -> pl.LazyFrame:
    """``[{*keys, n}]`` per trajectory from a frame of counts ``n`` and first positions, n desc then first."""
    ranked = counted.sort([_T, "n", _POS], descending=[False, True, False])
    if limit is not None:
        ranked = ranked.group_by(_T, maintain_order=True).head(limit)
    return ranked.group_by(_T, maintain_order=True).agg(pl.struct([*keys, "n"]).alias(name))


def _ranked_counts(frame: pl.LazyFrame, keys: list[str], name: str, limit: int | None) -> pl.LazyFrame:
    """``[{*keys, n}]`` per trajectory, n desc then first appearance, as a list column ``name``."""
    tid = _T
    counted = (
        frame.group_by([tid, *keys])
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col(_POS).min().alias(_FIRST))
        .sort([tid, "n", _FIRST], descending=[False, True, False])
    )
    if limit is not None:
        counted = counted.group_by(tid, maintain_order=True).head(limit)
    return counted.group_by(tid, maintain_order=True).agg(pl.struct([*keys, "n"]).alias(name))


def _noise_floor(frame: pl.DataFrame) -> pl.DataFrame:
    """``(_T, noise_floor)``: the pooled within-pair SD sqrt(Σ_i Σ_j (x_ij − x̄_i)² / Σ_i (n_i − 1)), pairs n_i ≥ 2.

    numpy ``bincount`` sums in row order, so the result is bit-for-bit reproducible; polars' ``var`` and ``mean``
    aggregations are not (their SIMD partial sums vary from call to call in the last bits). A trajectory's pairs are
    summed in the order of their first proposal (``_POS``), not of their ``_PAIR`` codes: those come from a
    categorical cast whose codes depend on thread scheduling, which moved the last bits from run to run.
    """
    if frame.height == 0:
        return pl.DataFrame(schema={_T: pl.UInt32, "noise_floor": pl.Float64})
    first = pl.col(_POS).min().over(_PAIR).cast(pl.Int64)
    pair_codes = frame.select((pl.col(_T).cast(pl.Int64) * (1 << 32) + first).rank("dense").cast(pl.Int64) - 1)
    pair = pair_codes.to_series().to_numpy()
    traj = frame[_T].cast(pl.Int64).to_numpy()
    x = frame[K.METRIC].to_numpy()
    n = np.bincount(pair)
    mean = np.bincount(pair, weights=x) / n
    ss_pair = np.bincount(pair, weights=(x - mean[pair]) ** 2)
    pair_traj = np.zeros(n.size, dtype=np.int64)
    pair_traj[pair] = traj
    repeated = n >= 2
    size = int(traj.max()) + 1
    ss = np.bincount(pair_traj[repeated], weights=ss_pair[repeated], minlength=size)
    df = np.bincount(pair_traj[repeated], weights=(n[repeated] - 1).astype(np.float64), minlength=size)
    has = df > 0
    codes = np.flatnonzero(has)
    return pl.DataFrame(
        {_T: pl.Series(codes, dtype=pl.UInt32), "noise_floor": np.sqrt(np.maximum(ss[has] / df[has], 0.0))}
    )


def exploration(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    window: int = C.DEFAULT_COVERAGE_WINDOW,
    eta: float = 0.0,
    top: int = 8,
) -> pl.DataFrame:
    """Exploration coverage per trajectory (every key is defined in this module's docstring and in
    ``docs/metrics/exploration.md``).

    ``steps`` and ``trajectories`` are the frames of :mod:`trajdyn.analyzer.model` (columns of
    :mod:`trajdyn.analyzer._columns`). Returns one row per trajectory id found in either frame, sorted by id,
    with ``trajectory_id`` followed by :data:`EXPLORATION_KEYS`. Undefined values are null, never NaN or inf.
    Vectorised over all trajectories (group_by / window expressions, no per-trajectory Python).
    """
    if window < 1:
        raise ValueError(f"window must be a positive number of iterations, got {window}")
    if not math.isfinite(eta) or eta < 0:
        raise ValueError(f"eta must be a finite number >= 0, got {eta}")
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    tid = K.TRAJECTORY_ID
    it = _iteration_rows(steps)

    baseline = pl.col(K.BASELINE)
    traj = (
        trajectories.lazy()
        .select(
            tid,
            pl.when(pl.col(K.OBJECTIVE) == C.OBJECTIVE_MINIMIZE).then(-1.0).otherwise(1.0).alias(_SIGN),
            pl.when(baseline.is_finite()).then(baseline).otherwise(None).alias(K.BASELINE),
            pl.when(pl.col(K.KNOB_MENU).list.len() > 0).then(pl.col(K.KNOB_MENU)).otherwise(None).alias(K.KNOB_MENU),
        )
        .unique(tid, keep="first", maintain_order=True)
    )
    ids = pl.concat([traj.select(tid), it.lazy().select(tid)]).unique().sort(tid)
    base = ids.join(traj, on=tid, how="left").with_columns(pl.col(_SIGN).fill_null(1.0))
    codes = it.lazy().filter(pl.col(_POS) == 1).select(_T, tid)
    params = codes.join(base.select(tid, _SIGN, K.BASELINE), on=tid, how="left").drop(tid)

    # ---- per-iteration running best ----------------------------------------------------------------------
    score = pl.col(K.METRIC) * pl.col(_SIGN)
    base_score = (pl.col(K.BASELINE) * pl.col(_SIGN)).fill_null(_NEG_INF)
    prior = pl.col(_SCORE).fill_null(_NEG_INF).cum_max().shift(1).over(_T).fill_null(_NEG_INF)
    rb_before = pl.max_horizontal(prior, pl.col(_BASE_SCORE))
    rows = (
        it.lazy()
        .join(params, on=_T, how="left", maintain_order="left")
        .with_columns(score.alias(_SCORE), base_score.alias(_BASE_SCORE))
        .with_columns(rb_before.alias(_RB_BEFORE))
        .with_columns(
            pl.when(pl.col(_SCORE).is_null())
            .then(False)
            .when(pl.col(_RB_BEFORE) == _NEG_INF)
            .then(True)
            .otherwise(pl.col(_SCORE) - pl.col(_RB_BEFORE) > eta * pl.col(_RB_BEFORE).abs())
            .alias(_IMPROVES),
            pl.max_horizontal(pl.col(_RB_BEFORE), pl.col(_SCORE).fill_null(_NEG_INF)).alias(_RB_AFTER),
            (~pl.col(_PAIR).is_first_distinct()).alias(_REPEAT),
        )
    )

    # ---- scalar aggregates per trajectory --------------------------------------------------------------------
    pair_n = pl.len().over(_PAIR)
    plateau_group = pl.col(_IMPROVES).cast(pl.Int64).cum_sum()
    # materialised once: every aggregate below reads it
    rows = rows.with_columns(pair_n.alias(_N), plateau_group.over(_T).alias("_grp")).collect().lazy()
    running_best_value = pl.when(pl.col(_RB_AFTER) == _NEG_INF).then(None).otherwise(pl.col(_RB_AFTER) * pl.col(_SIGN))
    scalars = rows.group_by(_T).agg(
        pl.len().cast(pl.Int64).alias("iterations"),
        pl.col(K.KNOB).n_unique().cast(pl.Int64).alias("knobs_touched"),
        pl.col(K.VALUE).is_not_null().any().alias("_valued"),
        pl.col(_PAIR).n_unique().cast(pl.Int64).alias("unique_pairs"),
        pl.col(_REPEAT).sum().cast(pl.Int64).alias("repeat_count"),
        pl.col(_KEEP).sum().cast(pl.Int64).alias("keep_count"),
        pl.col(K.ITERATION).filter(pl.col(_KEEP)).alias("keep_iterations"),
        pl.col(K.ITERATION).filter(pl.col(_KEEP)).first().alias("first_keep_iteration"),
        ((pl.col(_N) == 1).sum()).cast(pl.Int64).alias("_f1"),
        ((pl.col(_N) == 2).sum() / 2).cast(pl.Int64).alias("_f2"),
        pl.col(_POS).filter(pl.col(_IMPROVES)).max().alias("_last_improve"),
        running_best_value.alias("running_best"),
    )
    # longest plateau: runs of non-improving iterations, grouped by the number of improvements before them
    plateaus = (
        rows.filter(~pl.col(_IMPROVES))
        .group_by([_T, "_grp"])
        .agg(pl.len().cast(pl.Int64).alias("_run"))
        .group_by(_T)
        .agg(pl.col("_run").max().alias("longest_plateau"))
    )
    best = (
        rows.filter(pl.col(_SCORE).is_not_null())
        .group_by(_T)
        .agg(pl.all().get(pl.col(_SCORE).arg_max()))  # arg_max: the first of equal maxima
        .select(
            _T,
            pl.col(K.ITERATION).alias("best_iteration"),
            pl.col(K.METRIC).alias("best_value"),
            pl.struct(K.KNOB, K.VALUE).alias("best_pair"),
        )
    )
    windows = (
        rows.with_columns(((pl.col(_POS) - 1) // window).alias("_w"))
        .group_by([_T, "_w"])
        .agg(
            pl.col(K.ITERATION).min().alias("first"),
            pl.col(K.ITERATION).max().alias("last"),
            pl.col(_REPEAT).mean().alias("rate"),
        )
        .sort([_T, "_w"])
        .group_by(_T, maintain_order=True)
        .agg(pl.struct("first", "last", "rate").alias("windows_repeat_rate"))
    )
    pair_counts = (
        rows.filter(pl.col(_PAIR).is_first_distinct())
        .select(_T, K.KNOB, K.VALUE, _POS, pl.col(_N).cast(pl.Int64).alias("n"))
        .collect()
        .lazy()
    )
    knob_counts = _ranked(
        pair_counts.group_by([_T, K.KNOB]).agg(pl.col("n").sum(), pl.col(_POS).min()), [K.KNOB], "knob_counts", None
    )
    top_pairs = _ranked(pair_counts, [K.KNOB, K.VALUE], "top_pairs", top)
    keep_pairs = _ranked_counts(rows.filter(pl.col(_KEEP)), [K.KNOB, K.VALUE], "keep_pair_counts", None)

    # noise floor: pooled within-pair SD; keeps within it
    per_pair = _noise_floor(
        rows.filter(pl.col(K.METRIC).is_not_null()).select(_T, _PAIR, _POS, K.METRIC).collect()
    ).lazy()
    margin = pl.col(_SCORE) - pl.col(_RB_BEFORE)
    within = (
        rows.join(per_pair, on=_T, how="inner")
        .group_by(_T)
        .agg(
            (
                pl.col(_KEEP)
                & pl.col(_SCORE).is_not_null()
                & (pl.col(_RB_BEFORE) > _NEG_INF)
                & (margin > 0)
                & (margin < pl.col("noise_floor"))
            )
            .sum()
            .cast(pl.Int64)
            .alias("keeps_within_noise")
        )
    )

    # menu
    touched = rows.select(_T, K.KNOB).unique().join(codes, on=_T).select(tid, K.KNOB)
    menu_rows = (
        base.select(tid, K.KNOB_MENU)
        .filter(pl.col(K.KNOB_MENU).is_not_null())
        .explode(K.KNOB_MENU)
        .rename({K.KNOB_MENU: K.KNOB})
        .filter(pl.col(K.KNOB).is_not_null())
        .unique([tid, K.KNOB], keep="first", maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over(tid).alias(_MENU_POS))
    )
    menu = menu_rows.group_by(tid).agg(pl.len().cast(pl.Int64).alias("knobs_total"))
    untouched = (
        menu_rows.join(touched, on=[tid, K.KNOB], how="anti")
        .sort([tid, _MENU_POS])
        .group_by(tid, maintain_order=True)
        .agg(pl.col(K.KNOB).alias("knobs_untouched"))
    )

    per_trajectory = codes
    for part in (scalars, plateaus, best, windows, knob_counts, top_pairs, keep_pairs, per_pair, within):
        per_trajectory = per_trajectory.join(part, on=_T, how="left")
    per_trajectory = per_trajectory.drop(_T)

    n = pl.col("iterations")
    f1 = pl.col("_f1").cast(pl.Float64)
    f2 = pl.col("_f2").cast(pl.Float64)
    d = pl.col("unique_pairs").cast(pl.Float64)
    has_menu = pl.col(K.KNOB_MENU).is_not_null()
    sign = pl.col(_SIGN)
    result = (
        base.join(per_trajectory, on=tid, how="left")
        .join(menu, on=tid, how="left")
        .join(untouched, on=tid, how="left")
        .with_columns(
            n.fill_null(0),
            *(pl.col(c).fill_null(0) for c in ("knobs_touched", "unique_pairs", "repeat_count", "keep_count")),
            *(pl.col(c).fill_null(0) for c in ("_f1", "_f2", "longest_plateau")),
        )
        .with_columns(
            pl.when(has_menu).then(pl.col("knobs_total").fill_null(0)).otherwise(None).alias("knobs_total"),
            pl.when(has_menu | pl.col("_valued").fill_null(False))
            .then(pl.lit(BASIS_KNOBS))
            .otherwise(pl.lit(BASIS_ACTIONS))
            .alias("basis"),
            pl.when(has_menu).then(pl.col("knobs_untouched").fill_null([])).otherwise(None).alias("knobs_untouched"),
            pl.when(n > 0).then(pl.col("repeat_count") / n).otherwise(None).alias("repeat_rate"),
            pl.when(n > 0).then(f1 / n).otherwise(None).alias("novelty_good_turing"),
            pl.when(n == 0)
            .then(None)
            .when(f2 > 0)
            .then(d + f1 * f1 / (2.0 * f2))
            .otherwise(d + f1 * (f1 - 1.0) / 2.0)
            .alias("chao1"),
            (n - pl.col("_last_improve").fill_null(0)).alias("since_improvement"),
            pl.col(K.BASELINE).alias("baseline_value"),
            pl.when(pl.col(K.BASELINE).is_null() | (pl.col(K.BASELINE) == 0) | pl.col("best_value").is_null())
            .then(None)
            .otherwise(sign * (pl.col("best_value") - pl.col(K.BASELINE)) / pl.col(K.BASELINE).abs())
            .alias("improvement"),
            pl.when(pl.col("noise_floor").is_null())
            .then(None)
            .otherwise(pl.col("keeps_within_noise").fill_null(0))
            .alias("keeps_within_noise"),
            *(
                pl.col(c).fill_null([])
                for c in (
                    "keep_iterations",
                    "windows_repeat_rate",
                    "knob_counts",
                    "top_pairs",
                    "keep_pair_counts",
                    "running_best",
                )
            ),
        )
        .with_columns(
            pl.when(pl.col("knobs_total") > 0)
            .then(pl.col("knobs_touched") / pl.col("knobs_total"))
            .otherwise(None)
            .alias("knob_coverage"),
        )
        .select(tid, *EXPLORATION_KEYS)
        .sort(tid)
    )
    return result.collect()


@dataclass(frozen=True, slots=True)
class ExplorationOptions:
    """Options of :func:`exploration` (and of the report's ``exploration`` section): ``window`` iterations per
    repeat-rate window, ``eta`` the relative improvement threshold of the plateau metrics, ``top`` pairs listed."""

    window: int = C.DEFAULT_COVERAGE_WINDOW
    eta: float = 0.0
    top: int = 8

    def __post_init__(self) -> None:
        for name in ("window", "top"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"expected exploration option {name} to be an integer >= 1, got {value!r}")
        eta = self.eta
        if isinstance(eta, bool) or not isinstance(eta, int | float) or not math.isfinite(eta) or eta < 0:
            raise ConfigurationError(f"expected exploration option eta to be a finite number >= 0, got {eta!r}")
