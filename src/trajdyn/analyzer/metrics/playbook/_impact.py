"""Playbook impact and learning reports: which learned guidance actually helps (``docs/metrics/playbook.md``).

Agents that learn keep a *playbook* of entries (cue → action). A session (= a trajectory) records playbook usage as
events: ``trajdyn.playbook.cue_hit`` (an entry's cue matched) and ``trajdyn.playbook.adoption`` (the entry's action
was taken, ``trajdyn.playbook.success`` true or false), plus ``trajdyn.retry`` and ``trajdyn.failure``. Its root
carries ``trajdyn.reward``, token usage, ``trajdyn.learning_key`` and ``trajdyn.execution_mode``.

References: ``docs/metrics/playbook.md``; upstream Arc-Computer/atlas-sdk ``atlas/core/__init__.py`` (impact accumulation),
``atlas/evaluation/learning_report.py`` (learning summary: adoption rate, reward/token deltas, transfer levels,
failure avoidance, impact score, reward momentum, model breakdown) and ``atlas/learning/playbook_entries.py``
(rubric gates, see :mod:`trajdyn.analyzer.metrics.playbook._lint`); Benjamini & Hochberg (1995), *Controlling the false
discovery rate*, JRSS B 57:289–300; Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13 (percentile
intervals) and §8 on resampling clusters as units; Cochran–Mantel–Haenszel-style stratified contrasts for the
harmonic-mean weights.

Sessions (:func:`playbook_sessions`) are ordered by start time, then trajectory id. An entry *fired* in a session when
the session has a cue hit or an adoption of it (Atlas's "has hits"). The sessions an entry is compared against are its
*eligible* sessions: those of the learning keys it fired in, from its first firing in that key on (before that the
entry did not exist; Atlas accumulates an entry's with/without sums only while it is in the playbook). Sessions
without a learning key form one group of their own.

Per entry (:func:`playbook_entries`, one row per entry id):

=============================  ====================================================================================
key                            definition
=============================  ====================================================================================
cue_hits                       cue-hit events of the entry
adoptions                      adoption events; ``successful_adoptions`` / ``failed_adoptions`` those with success
                               true / false
adoption_rate_per_cue_hit      successful adoptions / cue hits — Atlas's per-entry ``adoption_rate`` (null when no
                               cue hit). Can exceed 1: adoptions are not tied to a preceding cue hit
adoption_success_rate          successful adoptions / adoptions — the denominator Atlas's session-level ("Runtime
                               Usage") ``adoption_rate`` uses (null when no adoption)
sessions_fired                 sessions where the entry fired
sessions_not_fired             eligible sessions where it did not
reward_fired, reward_not_fired mean reward of those sessions (sessions without a reward left out; n in
                               ``reward_n_fired`` / ``reward_n_not_fired``)
reward_delta_naive             reward_fired − reward_not_fired (Atlas's ``reward_delta``; confounded by task type)
tokens_fired, tokens_not_fired mean tokens (input + output) of those sessions; ``token_delta_naive`` their difference
reward_delta_within            Δ̂ = Σ_t ω_t (ȳ_{t,fired} − ȳ_{t,not}) over the strata t (task id within learning
                               key) that have both arms, ω_t ∝ n_{t,1}·n_{t,0}/(n_{t,1}+n_{t,0}) (half the harmonic
                               mean of the arm counts), normalised to sum 1; null when no stratum has both arms
ci_low, ci_high                percentile interval of Δ̂ at ``ci_level`` from a task-cluster bootstrap: the strata with
                               both arms are resampled with replacement as whole clusters, B = ``n_boot`` times,
                               fixed seed; null with fewer than 2 such strata
p_value                        two-sided permutation p-value of Δ̂: the fired label is permuted within each stratum
                               (arm sizes kept), ``n_perm`` times, p = (1 + #{|Δ*| ≥ |Δ̂|}) / (n_perm + 1); drawing
                               stops early once ``perm_stop`` permutations were as extreme (p = that count / draws;
                               Besag & Clifford 1991, Biometrika 78:301–304)
q_value                        Benjamini–Hochberg adjusted p-value across the entries that have a p-value
significant                    q_value ≤ ``alpha``
n_tasks_both_arms              strata with both arms
support_fired, support_not     sessions (with a reward) in those strata, per arm
low_support                    support_fired or support_not < ``min_support``, or fewer than 2 strata with both arms
distinct_tasks                 distinct task ids of the sessions where the entry fired (Atlas counts distinct incident
                               ids; trajdyn counts task ids)
transfer, transfer_level       distinct_tasks > 1; level ``universal`` (≥ 10), ``workflow`` (≥ 5), ``domain`` (≥ 2),
                               else ``task`` — Atlas's thresholds
retries_fired, retries_not     mean ``trajdyn.retry`` events per session, fired / not fired (failure avoidance)
failures_fired, failures_not   mean ``trajdyn.failure`` events per session, fired / not fired
retry_delta, failure_delta     fired − not fired of the two above
impact_score                   adoption_rate_per_cue_hit × reward_delta_naive (Atlas's composite)
impact_score_within            adoption_rate_per_cue_hit × reward_delta_within
learning_keys                  the learning keys the entry fired in
rank                           1 = first to audit: entries with a negative Δ̂ first (most negative first), then the
                               others by Δ̂ descending, entries without Δ̂ last (ties by entry id)
audit                          Δ̂ < 0
=============================  ====================================================================================

Per learning key (:func:`learning_key_report`): sessions, distinct tasks, first/last start; reward momentum over the
sessions that have a reward, in start order: ``recent`` = the last ``recent_window`` of them, ``baseline`` = the
``baseline_window`` sessions just *before* the recent window (Atlas's baseline overlapped the recent window; here the
two never share a session), delta = recent mean − baseline mean with a Welch t interval; execution-mode and per-model
breakdowns; retries and failures; cue/adoption usage; the latest sessions.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Final

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.stats import benjamini_hochberg, stratified_difference, welch_interval
from trajdyn.exceptions import ConfigurationError

__all__ = [
    "ENTRY_COLUMNS",
    "LEARNING_KEY_COLUMNS",
    "PlaybookOptions",
    "learning_key_report",
    "learning_key_slug",
    "playbook_entries",
    "playbook_entry_usage",
    "playbook_sessions",
    "transfer_level",
]

# ---- column names of the frames built here (no attribute keys) -------------------------------------------------
ORDER: Final = "order"
TOKENS: Final = "tokens"
RETRIES: Final = "retries"
FAILURES: Final = "failures"
CUE_HITS: Final = "cue_hits"
ADOPTIONS: Final = "adoptions"
SUCCESSFUL: Final = "successful_adoptions"
FAILED: Final = "failed_adoptions"

TRANSFER_LEVELS: Final = (("universal", 10), ("workflow", 5), ("domain", 2))
"""Atlas's transfer levels by distinct tasks (``atlas/evaluation/learning_report.py``); below 2: ``task``."""
TRANSFER_TASK: Final = "task"

DEFAULT_N_BOOT: Final = 2000
DEFAULT_N_PERM: Final = 2000
DEFAULT_SEED: Final = 0
DEFAULT_MIN_SUPPORT: Final = 5
DEFAULT_ALPHA: Final = 0.05
DEFAULT_CI_LEVEL: Final = 0.95
DEFAULT_RECENT_WINDOW: Final = 10
DEFAULT_BASELINE_WINDOW: Final = 50
DEFAULT_LATEST: Final = 10
DEFAULT_PERM_STOP: Final = 100


@dataclass(frozen=True, slots=True)
class PlaybookOptions:
    """Options of the playbook metrics (also the ``playbook`` report section's options).

    ``n_boot`` bootstrap resamples, ``n_perm`` permutations (``perm_stop``: stop early after that many exceedances,
    0 never), ``seed`` of both, ``min_support`` sessions per arm,
    ``alpha`` of the Benjamini–Hochberg flag, ``ci_level`` of the bootstrap interval, ``recent_window`` /
    ``baseline_window`` sessions of the reward momentum, ``latest`` sessions listed per learning key.
    """

    n_boot: int = DEFAULT_N_BOOT
    n_perm: int = DEFAULT_N_PERM
    perm_stop: int = DEFAULT_PERM_STOP
    seed: int = DEFAULT_SEED
    min_support: int = DEFAULT_MIN_SUPPORT
    alpha: float = DEFAULT_ALPHA
    ci_level: float = DEFAULT_CI_LEVEL
    recent_window: int = DEFAULT_RECENT_WINDOW
    baseline_window: int = DEFAULT_BASELINE_WINDOW
    latest: int = DEFAULT_LATEST

    def __post_init__(self) -> None:
        for name in ("n_boot", "n_perm", "recent_window", "baseline_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"expected playbook option {name} to be an integer >= 1, got {value!r}")
        for name in ("min_support", "latest", "seed", "perm_stop"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"expected playbook option {name} to be an integer >= 0, got {value!r}")
        for name in ("alpha", "ci_level"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise ConfigurationError(f"expected playbook option {name} to be a number in (0, 1), got {value!r}")


# ------------------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------------------
def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """Column ``name`` of ``frame`` cast to ``dtype``, or a null column when the frame lacks it."""
    if name in frame.columns:
        return pl.col(name).cast(dtype)
    return pl.lit(None, dtype=dtype).alias(name)


def transfer_level(distinct_tasks: int) -> str:
    """Atlas's transfer level of an entry that fired in ``distinct_tasks`` distinct tasks."""
    for name, threshold in TRANSFER_LEVELS:
        if distinct_tasks >= threshold:
            return name
    return TRANSFER_TASK


_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def learning_key_slug(key: str, *, max_readable: int = 40) -> str:
    """A file name stem for ``key`` that cannot collide with another key's.

    A readable part (unsafe characters → ``-``, at most ``max_readable`` characters, lower case) plus the first 12 hex
    digits of the SHA-256 of the full key. Atlas used the first 16 characters of the key, so two keys sharing a
    prefix overwrote each other's files; here distinct keys differ in the hash part (and names never differ only by
    case, which matters on case-insensitive file systems).
    """
    readable = _SLUG_UNSAFE.sub("-", key).strip("-.").lower()[:max_readable].strip("-.") or "key"
    return f"{readable}-{sha256(key.encode('utf-8')).hexdigest()[:12]}"


def _mean(values: np.ndarray[Any, np.dtype[np.float64]]) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def _diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def _safe_div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(None)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


# ------------------------------------------------------------------------------------------------------------------
# sessions and usage
# ------------------------------------------------------------------------------------------------------------------
def playbook_sessions(trajectories: pl.DataFrame, events: pl.DataFrame | None) -> pl.DataFrame:
    """One row per session (trajectory), in start order, with its playbook, retry and failure event counts.

    Columns: ``order`` (0-based position by start time, nulls last, ties by trajectory id), trajectory_id,
    task_id, learning_key, execution_mode, model, reward (non-finite → null), tokens (input + output tokens; null when
    neither is known), start_ns, retries, failures (``trajdyn.retry`` / ``trajdyn.failure`` events), cue_hits,
    adoptions, successful_adoptions, failed_adoptions (playbook events of any entry).
    """
    tokens = (
        pl.when(pl.col(K.INPUT_TOKENS).is_null() & pl.col(K.OUTPUT_TOKENS).is_null())
        .then(pl.lit(None, dtype=pl.Float64))
        .otherwise(pl.col(K.INPUT_TOKENS).fill_null(0) + pl.col(K.OUTPUT_TOKENS).fill_null(0))
        .cast(pl.Float64)
        .alias(TOKENS)
    )
    base = (
        trajectories.select(
            pl.col(K.TRAJECTORY_ID).cast(pl.Utf8),
            _col(trajectories, K.TASK_ID, pl.Utf8),
            _col(trajectories, K.LEARNING_KEY, pl.Utf8),
            _col(trajectories, K.EXECUTION_MODE, pl.Utf8),
            _col(trajectories, K.MODEL, pl.Utf8),
            _col(trajectories, K.REWARD, pl.Float64),
            _col(trajectories, K.INPUT_TOKENS, pl.Float64),
            _col(trajectories, K.OUTPUT_TOKENS, pl.Float64),
            _col(trajectories, K.START_NS, pl.Int64),
        )
        .unique(K.TRAJECTORY_ID, keep="first", maintain_order=True)
        .with_columns(
            pl.when(pl.col(K.REWARD).is_finite()).then(pl.col(K.REWARD)).alias(K.REWARD),
            tokens,
        )
        .drop(K.INPUT_TOKENS, K.OUTPUT_TOKENS)
        .sort([K.START_NS, K.TRAJECTORY_ID], nulls_last=True)
        .with_row_index(ORDER)
        .with_columns(pl.col(ORDER).cast(pl.Int64))
    )
    counts = [RETRIES, FAILURES, CUE_HITS, ADOPTIONS, SUCCESSFUL, FAILED]
    if events is None or events.height == 0:
        return base.with_columns(*(pl.lit(0, dtype=pl.Int64).alias(c) for c in counts))
    name = pl.col(K.EVENT_NAME)
    adoption = name == C.EVENT_ADOPTION
    success = _col(events, K.SUCCESS, pl.Boolean)
    per = events.group_by(K.TRAJECTORY_ID).agg(
        (name == C.EVENT_RETRY).sum().cast(pl.Int64).alias(RETRIES),
        (name == C.EVENT_FAILURE).sum().cast(pl.Int64).alias(FAILURES),
        (name == C.EVENT_CUE_HIT).sum().cast(pl.Int64).alias(CUE_HITS),
        adoption.sum().cast(pl.Int64).alias(ADOPTIONS),
        (adoption & success.fill_null(False)).sum().cast(pl.Int64).alias(SUCCESSFUL),
        (adoption & ~success.fill_null(True)).sum().cast(pl.Int64).alias(FAILED),
    )
    return base.join(per, on=K.TRAJECTORY_ID, how="left", maintain_order="left").with_columns(
        *(pl.col(c).fill_null(0) for c in counts)
    )


def playbook_entry_usage(events: pl.DataFrame | None, sessions: pl.DataFrame) -> pl.DataFrame:
    """One row per (entry_id, session) where the entry fired: cue_hits, adoptions, successful / failed adoptions.

    Only cue-hit and adoption events with a non-empty ``trajdyn.playbook.entry_id`` of a session in ``sessions``
    count. Columns: entry_id, trajectory_id, order (the session's), cue_hits, adoptions, successful_adoptions,
    failed_adoptions; sorted by (entry_id, order).
    """
    schema = {
        K.ENTRY_ID: pl.Utf8,
        K.TRAJECTORY_ID: pl.Utf8,
        ORDER: pl.Int64,
        CUE_HITS: pl.Int64,
        ADOPTIONS: pl.Int64,
        SUCCESSFUL: pl.Int64,
        FAILED: pl.Int64,
    }
    if events is None or events.height == 0 or K.ENTRY_ID not in events.columns:
        return pl.DataFrame(schema=schema)
    name = pl.col(K.EVENT_NAME)
    adoption = name == C.EVENT_ADOPTION
    success = _col(events, K.SUCCESS, pl.Boolean)
    usage = (
        events.filter(name.is_in([C.EVENT_CUE_HIT, C.EVENT_ADOPTION]))
        .with_columns(pl.col(K.ENTRY_ID).cast(pl.Utf8).str.strip_chars())
        .filter(pl.col(K.ENTRY_ID).is_not_null() & (pl.col(K.ENTRY_ID) != ""))
        .group_by(K.ENTRY_ID, K.TRAJECTORY_ID)
        .agg(
            (name == C.EVENT_CUE_HIT).sum().cast(pl.Int64).alias(CUE_HITS),
            adoption.sum().cast(pl.Int64).alias(ADOPTIONS),
            (adoption & success.fill_null(False)).sum().cast(pl.Int64).alias(SUCCESSFUL),
            (adoption & ~success.fill_null(True)).sum().cast(pl.Int64).alias(FAILED),
        )
        .join(sessions.select(K.TRAJECTORY_ID, ORDER), on=K.TRAJECTORY_ID, how="inner")
    )
    return usage.select(list(schema)).sort([K.ENTRY_ID, ORDER])


def _codes(frame: pl.DataFrame, columns: list[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Dense integer codes of the distinct value combinations of ``columns`` (null is a value), in row order."""
    groups = frame.select(columns).unique(maintain_order=True).with_row_index("_code")
    coded = frame.select(columns).join(groups, on=columns, how="left", nulls_equal=True, maintain_order="left")
    return coded["_code"].cast(pl.Int64).to_numpy()


# ------------------------------------------------------------------------------------------------------------------
# per entry
# ------------------------------------------------------------------------------------------------------------------
ENTRY_COLUMNS: Final[dict[str, pl.DataType | type[pl.DataType]]] = {
    "rank": pl.Int64,
    K.ENTRY_ID: pl.Utf8,
    "audit": pl.Boolean,
    CUE_HITS: pl.Int64,
    ADOPTIONS: pl.Int64,
    SUCCESSFUL: pl.Int64,
    FAILED: pl.Int64,
    "adoption_rate_per_cue_hit": pl.Float64,
    "adoption_success_rate": pl.Float64,
    "sessions_fired": pl.Int64,
    "sessions_not_fired": pl.Int64,
    "reward_n_fired": pl.Int64,
    "reward_n_not_fired": pl.Int64,
    "reward_fired": pl.Float64,
    "reward_not_fired": pl.Float64,
    "reward_delta_naive": pl.Float64,
    "tokens_fired": pl.Float64,
    "tokens_not_fired": pl.Float64,
    "token_delta_naive": pl.Float64,
    "reward_delta_within": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "q_value": pl.Float64,
    "significant": pl.Boolean,
    "n_tasks_both_arms": pl.Int64,
    "support_fired": pl.Int64,
    "support_not": pl.Int64,
    "low_support": pl.Boolean,
    "distinct_tasks": pl.Int64,
    "transfer": pl.Boolean,
    "transfer_level": pl.Utf8,
    "retries_fired": pl.Float64,
    "retries_not": pl.Float64,
    "retry_delta": pl.Float64,
    "failures_fired": pl.Float64,
    "failures_not": pl.Float64,
    "failure_delta": pl.Float64,
    "impact_score": pl.Float64,
    "impact_score_within": pl.Float64,
    "learning_keys": pl.List(pl.Utf8),
}
"""Columns of :func:`playbook_entries`, in order (definitions in the module docstring)."""


def _entry_rng(seed: int, entry_id: str) -> np.random.Generator:
    """A generator per entry: results do not depend on which other entries are in the data."""
    return np.random.default_rng([seed, zlib.crc32(entry_id.encode("utf-8"))])


def playbook_entries(
    trajectories: pl.DataFrame,
    events: pl.DataFrame | None,
    options: PlaybookOptions | None = None,
) -> pl.DataFrame:
    """Per-entry impact (columns :data:`ENTRY_COLUMNS`), ordered by ``rank``; see the module docstring.

    ``trajectories`` / ``events``: the analyzer frames (:func:`trajdyn.analyzer.trajectories` / ``events``). The
    per-entry work is numpy over the session arrays (bincounts per stratum), one pass per entry.
    """
    opts = options or PlaybookOptions()
    sessions = playbook_sessions(trajectories, events)
    usage = playbook_entry_usage(events, sessions)
    if usage.height == 0:
        return pl.DataFrame(schema=ENTRY_COLUMNS)
    n = sessions.height
    key_code = _codes(sessions, [K.LEARNING_KEY])
    strata = _codes(sessions, [K.LEARNING_KEY, K.TASK_ID])
    reward = sessions[K.REWARD].fill_null(np.nan).to_numpy().astype(np.float64)
    tokens = sessions[TOKENS].fill_null(np.nan).to_numpy().astype(np.float64)
    retries = sessions[RETRIES].to_numpy().astype(np.float64)
    failures = sessions[FAILURES].to_numpy().astype(np.float64)
    task = sessions[K.TASK_ID].to_list()
    keys = sessions[K.LEARNING_KEY].to_list()
    n_keys = int(key_code.max()) + 1 if n else 0
    idx_all = np.arange(n)

    entry_ids = usage[K.ENTRY_ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, entry_ids[1:] != entry_ids[:-1]])
    ends = np.r_[starts[1:], entry_ids.size]
    order_col = usage[ORDER].to_numpy()
    cue = usage[CUE_HITS].to_numpy()
    adopt = usage[ADOPTIONS].to_numpy()
    succ = usage[SUCCESSFUL].to_numpy()
    fail = usage[FAILED].to_numpy()

    rows: list[dict[str, Any]] = []
    for lo, hi in zip(starts, ends, strict=True):
        entry_id = str(entry_ids[lo])
        where = order_col[lo:hi]  # session positions (sessions are in order, so position == order)
        fired = np.zeros(n, dtype=bool)
        fired[where] = True
        first = np.full(n_keys, n, dtype=np.int64)
        np.minimum.at(first, key_code[where], where)
        eligible = idx_all >= first[key_code]
        not_fired = eligible & ~fired
        cue_hits, adoptions = int(cue[lo:hi].sum()), int(adopt[lo:hi].sum())
        successes, failed = int(succ[lo:hi].sum()), int(fail[lo:hi].sum())
        r1, r0 = reward[fired], reward[not_fired]
        reward_fired, reward_not = _mean(r1), _mean(r0)
        tokens_fired, tokens_not = _mean(tokens[fired]), _mean(tokens[not_fired])
        within = stratified_difference(
            reward[eligible],
            fired[eligible],
            strata[eligible],
            n_boot=opts.n_boot,
            n_perm=opts.n_perm,
            ci_level=opts.ci_level,
            perm_stop=opts.perm_stop,
            rng=_entry_rng(opts.seed, entry_id),
        )
        distinct = len({task[i] for i in where if task[i] is not None})
        rate_per_hit = _ratio(successes, cue_hits)
        naive = _diff(reward_fired, reward_not)
        retries_fired, retries_not = _mean(retries[fired]), _mean(retries[not_fired])
        failures_fired, failures_not = _mean(failures[fired]), _mean(failures[not_fired])
        rows.append(
            {
                K.ENTRY_ID: entry_id,
                CUE_HITS: cue_hits,
                ADOPTIONS: adoptions,
                SUCCESSFUL: successes,
                FAILED: failed,
                "adoption_rate_per_cue_hit": rate_per_hit,
                "adoption_success_rate": _ratio(successes, adoptions),
                "sessions_fired": int(fired.sum()),
                "sessions_not_fired": int(not_fired.sum()),
                "reward_n_fired": int(np.isfinite(r1).sum()),
                "reward_n_not_fired": int(np.isfinite(r0).sum()),
                "reward_fired": reward_fired,
                "reward_not_fired": reward_not,
                "reward_delta_naive": naive,
                "tokens_fired": tokens_fired,
                "tokens_not_fired": tokens_not,
                "token_delta_naive": _diff(tokens_fired, tokens_not),
                "reward_delta_within": within.estimate,
                "ci_low": within.ci_low,
                "ci_high": within.ci_high,
                "p_value": within.p_value,
                "n_tasks_both_arms": within.n_strata,
                "support_fired": within.support_treated,
                "support_not": within.support_control,
                "low_support": within.support_treated < opts.min_support
                or within.support_control < opts.min_support
                or within.n_strata < 2,
                "distinct_tasks": distinct,
                "transfer": distinct > 1,
                "transfer_level": transfer_level(distinct),
                "retries_fired": retries_fired,
                "retries_not": retries_not,
                "retry_delta": _diff(retries_fired, retries_not),
                "failures_fired": failures_fired,
                "failures_not": failures_not,
                "failure_delta": _diff(failures_fired, failures_not),
                "impact_score": rate_per_hit * naive if rate_per_hit is not None and naive is not None else None,
                "impact_score_within": rate_per_hit * within.estimate
                if rate_per_hit is not None and within.estimate is not None
                else None,
                "learning_keys": sorted({keys[i] for i in where if keys[i] is not None}),
            }
        )
    p = np.array([np.nan if r["p_value"] is None else r["p_value"] for r in rows], dtype=np.float64)
    q = benjamini_hochberg(p)
    for row, qv in zip(rows, q, strict=True):
        row["q_value"] = None if math.isnan(qv) else float(qv)
        row["significant"] = None if math.isnan(qv) else bool(qv <= opts.alpha)
        est = row["reward_delta_within"]
        row["audit"] = est is not None and est < 0
    rows.sort(key=_rank_key)
    for i, row in enumerate(rows, start=1):
        row["rank"] = i
    return pl.DataFrame([{c: r.get(c) for c in ENTRY_COLUMNS} for r in rows], schema=ENTRY_COLUMNS)


def _rank_key(row: Mapping[str, Any]) -> tuple[int, float, str]:
    est = row["reward_delta_within"]
    if est is None:
        return (2, 0.0, row[K.ENTRY_ID])
    if est < 0:
        return (0, est, row[K.ENTRY_ID])
    return (1, -est, row[K.ENTRY_ID])


# ------------------------------------------------------------------------------------------------------------------
# per learning key
# ------------------------------------------------------------------------------------------------------------------
LEARNING_KEY_COLUMNS: Final = (
    K.LEARNING_KEY,
    "slug",
    "sessions",
    "tasks",
    "first_start_ns",
    "last_start_ns",
    "reward",
    "execution_modes",
    "execution_mode_missing",
    "models",
    "retries",
    "failures",
    "usage",
    "latest_sessions",
)
"""Columns of :func:`learning_key_report`, in order."""


def learning_key_report(
    trajectories: pl.DataFrame,
    events: pl.DataFrame | None,
    options: PlaybookOptions | None = None,
) -> pl.DataFrame:
    """One row per learning key (sessions with a key only), most sessions first, then by key.

    Columns (:data:`LEARNING_KEY_COLUMNS`): learning_key, slug (:func:`learning_key_slug`), sessions, tasks (distinct
    task ids), first_start_ns / last_start_ns; ``reward`` a struct: sessions_with_reward, mean, latest, recent_n,
    recent_mean, baseline_n, baseline_mean, delta (recent − baseline), ci_low / ci_high (Welch t interval at
    ``ci_level``; null when an arm has < 2 sessions), too_little_data (recent_n < 2 or baseline_n < 2), recent_window,
    baseline_window. Windows: over the key's sessions that have a reward, in start order, recent = the last
    ``recent_window``, baseline = the ``baseline_window`` before those (never overlapping). ``execution_modes`` /
    ``models``: lists of structs {mode|model, sessions, share, reward_n, reward_mean, latest_reward, last_start_ns}
    (sessions desc, then name); ``execution_mode_missing``: sessions without a mode; ``retries`` / ``failures``: struct
    total, sessions_with, per_session; ``usage``: struct cue_hits, sessions_with_cue_hits, cue_trigger_rate (sessions
    with a cue hit / sessions), adoptions, successful_adoptions, failed_adoptions, adoption_success_rate (successes /
    adoptions), adoption_rate_per_cue_hit (successes / cue hits); ``latest_sessions``: the last ``latest`` sessions,
    newest first (trajectory_id, task_id, start_ns, execution_mode, model, reward, tokens, retries, failures, cue_hits,
    adoptions).
    """
    opts = options or PlaybookOptions()
    sessions = playbook_sessions(trajectories, events).filter(pl.col(K.LEARNING_KEY).is_not_null())
    if sessions.height == 0:
        return pl.DataFrame(schema=dict.fromkeys(LEARNING_KEY_COLUMNS, pl.Null))
    key = K.LEARNING_KEY
    rw, bw = opts.recent_window, opts.baseline_window
    scored = sessions.filter(pl.col(K.REWARD).is_not_null()).with_columns(
        (pl.len().over(key) - pl.int_range(pl.len()).over(key)).cast(pl.Int64).alias("_from_end")
    )
    recent = pl.col("_from_end") <= rw
    baseline = (pl.col("_from_end") > rw) & (pl.col("_from_end") <= rw + bw)
    r = pl.col(K.REWARD)
    momentum = scored.group_by(key).agg(
        pl.len().cast(pl.Int64).alias("sessions_with_reward"),
        r.mean().alias("mean"),
        r.last().alias("latest"),
        recent.sum().cast(pl.Int64).alias("recent_n"),
        r.filter(recent).mean().alias("recent_mean"),
        r.filter(recent).var().alias("_recent_var"),
        baseline.sum().cast(pl.Int64).alias("baseline_n"),
        r.filter(baseline).mean().alias("baseline_mean"),
        r.filter(baseline).var().alias("_baseline_var"),
    )
    if momentum.height:
        cols = {c: momentum[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in momentum.columns if c != key}
        lo, hi = welch_interval(
            cols["recent_mean"],
            cols["_recent_var"],
            cols["recent_n"],
            cols["baseline_mean"],
            cols["_baseline_var"],
            cols["baseline_n"],
            opts.ci_level,
        )
        momentum = momentum.with_columns(
            pl.Series("ci_low", lo).fill_nan(None), pl.Series("ci_high", hi).fill_nan(None)
        )
    else:
        momentum = momentum.with_columns(
            pl.lit(None, pl.Float64).alias("ci_low"), pl.lit(None, pl.Float64).alias("ci_high")
        )
    momentum = momentum.select(
        key,
        pl.struct(
            "sessions_with_reward",
            "mean",
            "latest",
            "recent_n",
            "recent_mean",
            "baseline_n",
            "baseline_mean",
            (pl.col("recent_mean") - pl.col("baseline_mean")).alias("delta"),
            "ci_low",
            "ci_high",
            ((pl.col("recent_n") < 2) | (pl.col("baseline_n") < 2)).alias("too_little_data"),
            pl.lit(rw, pl.Int64).alias("recent_window"),
            pl.lit(bw, pl.Int64).alias("baseline_window"),
        ).alias("reward"),
    )

    def breakdown(column: str, label: str) -> pl.DataFrame:
        return (
            sessions.filter(pl.col(column).is_not_null())
            .group_by(key, column)
            .agg(
                pl.len().cast(pl.Int64).alias("sessions"),
                r.count().cast(pl.Int64).alias("reward_n"),
                r.mean().alias("reward_mean"),
                r.drop_nulls().last().alias("latest_reward"),
                pl.col(K.START_NS).max().alias("last_start_ns"),
            )
            .join(sessions.group_by(key).agg(pl.len().alias("_total")), on=key)
            .with_columns((pl.col("sessions") / pl.col("_total")).alias("share"))
            .sort([key, "sessions", column], descending=[False, True, False])
            .group_by(key, maintain_order=True)
            .agg(
                pl.struct(
                    pl.col(column).alias(label),
                    "sessions",
                    "share",
                    "reward_n",
                    "reward_mean",
                    "latest_reward",
                    "last_start_ns",
                ).alias(f"{label}s")
            )
        )

    modes = breakdown(K.EXECUTION_MODE, "mode").rename({"modes": "execution_modes"})
    models = breakdown(K.MODEL, "model")
    tok = pl.col(TOKENS)
    totals = sessions.group_by(key, maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("sessions"),
        pl.col(K.TASK_ID).drop_nulls().n_unique().cast(pl.Int64).alias("tasks"),
        pl.col(K.START_NS).min().alias("first_start_ns"),
        pl.col(K.START_NS).max().alias("last_start_ns"),
        pl.col(K.EXECUTION_MODE).is_null().sum().cast(pl.Int64).alias("execution_mode_missing"),
        pl.struct(
            pl.col(RETRIES).sum().cast(pl.Int64).alias("total"),
            (pl.col(RETRIES) > 0).sum().cast(pl.Int64).alias("sessions_with"),
            pl.col(RETRIES).mean().alias("per_session"),
        ).alias("retries"),
        pl.struct(
            pl.col(FAILURES).sum().cast(pl.Int64).alias("total"),
            (pl.col(FAILURES) > 0).sum().cast(pl.Int64).alias("sessions_with"),
            pl.col(FAILURES).mean().alias("per_session"),
        ).alias("failures"),
        pl.struct(
            pl.col(CUE_HITS).sum().cast(pl.Int64).alias("cue_hits"),
            (pl.col(CUE_HITS) > 0).sum().cast(pl.Int64).alias("sessions_with_cue_hits"),
            ((pl.col(CUE_HITS) > 0).sum() / pl.len()).alias("cue_trigger_rate"),
            pl.col(ADOPTIONS).sum().cast(pl.Int64).alias("adoptions"),
            pl.col(SUCCESSFUL).sum().cast(pl.Int64).alias("successful_adoptions"),
            pl.col(FAILED).sum().cast(pl.Int64).alias("failed_adoptions"),
            _safe_div(pl.col(SUCCESSFUL).sum(), pl.col(ADOPTIONS).sum()).alias("adoption_success_rate"),
            _safe_div(pl.col(SUCCESSFUL).sum(), pl.col(CUE_HITS).sum()).alias("adoption_rate_per_cue_hit"),
        ).alias("usage"),
        pl.struct(
            K.TRAJECTORY_ID,
            K.TASK_ID,
            K.START_NS,
            K.EXECUTION_MODE,
            K.MODEL,
            K.REWARD,
            tok.alias(TOKENS),
            RETRIES,
            FAILURES,
            CUE_HITS,
            ADOPTIONS,
        )
        .reverse()
        .head(opts.latest)
        .alias("latest_sessions"),
    )
    out = (
        totals.join(momentum, on=key, how="left")
        .join(modes, on=key, how="left")
        .join(models, on=key, how="left")
        .sort(["sessions", key], descending=[True, False])
    )
    slugs = pl.Series("slug", [learning_key_slug(k) for k in out[key].to_list()], dtype=pl.Utf8)
    return out.with_columns(slugs).select(LEARNING_KEY_COLUMNS)
