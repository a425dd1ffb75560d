"""Regimes: one documented label per trajectory built on the dynamics numbers, and how regimes relate to reward.

Definitions below, mirrored in ``docs/metrics/dynamics.md`` (Regimes).

``non_repeating`` and ``unknown`` say what was observed, not a claim: their reason adds what the loop test could not
have detected at that length (:func:`min_loop_turns`: e.g. a period-1 loop needs at least 19 turns to reach p ≤ 0.01).

The rules, applied in this order (the first that matches wins; ``regime_reason`` says which and with what numbers):

==============  ===================================================================================================
regime          rule
==============  ===================================================================================================
degenerate      fewer than ``min_turns`` turns (default 3): no turn, a single turn, or two turns — the dynamics are
                undefined, and the reason says which (never a silent flat line)
trapped         stuck doing the same thing in the same situation — on the (state, action) sequence: one symbol
                for all turns; or a final run of one symbol over at least half of the turns (and ``min_turns``); or
                a significant period-1 loop at the end (p ≤ alpha); or laminar — LAM ≥ 0.5 above every shuffled copy
                (p ≤ alpha) with action entropy < 0.5
looping         a significant suffix loop of period ≥ 2 (p ≤ alpha, :mod:`._loops`)
convergent      the steps shrink: step-size Mann–Kendall z ≤ −z_crit (default 1.96), at least 6 turns
diffusive       keeps moving away from its start: anchor-drift Mann–Kendall z ≥ z_crit and the steps do not shrink
non_repeating   none of the above, and no (state, action) pair occurs twice: nothing to loop on or be trapped in
unknown         none of the above, though some (state, action) pairs repeat: no significant structure at this length
==============  ===================================================================================================

ClawBench (openclaw/clawbench ``clawbench/dynamics.py``) labels trapped / convergent / diffusive / chaotic / limit_cycle / unknown with fixed
thresholds on raw values; here ``looping`` replaces ``limit_cycle`` (a tested period instead of an autocorrelation
threshold), and sensitivity to the prompt ("chaotic") is a property of a task, reported as Δλ in ``sensitivity``.

**Regimes against reward** (:func:`regime_outcomes`): for every regime (and for loop detected / not, and for repeated
(state, action) bigrams / none) the number of trajectories with a reward, their mean reward and, when rewards are
binary (0/1, or outcomes success/failure), the failures, the failure rate with its Jeffreys 95 % interval
(Beta(f + ½, n − f + ½) quantiles, :func:`trajdyn.analyzer.stats.jeffreys_interval`) and the two-sided Fisher exact
p-value of that category against all the others (:func:`trajdyn.analyzer.stats.fisher_exact_p`). Every category
carries ``mean_turns`` and ``rest_mean_turns``, its runs' mean turn count next to the rest's: failure follows length
(on τ-bench every such association vanished once length was accounted for, docs/validation.md). The report states
the categories that fail more often than the rest in words, each with those mean turn counts
(``report/_dynamics.py``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from trajdyn.analyzer.metrics.dynamics._loops import DEFAULT_MAX_PERIOD
from trajdyn.analyzer.metrics.dynamics._schema import OUTCOME_SCHEMA
from trajdyn.analyzer.stats import fisher_exact_p, jeffreys_interval

__all__ = ["REGIMES", "RegimeOutcomes", "classify_regime", "min_loop_turns", "regime_outcomes"]

REGIMES: Final = ("degenerate", "trapped", "looping", "convergent", "diffusive", "non_repeating", "unknown")
MIN_TURNS: Final = 3
Z_CRIT: Final = 1.96
LAMINAR: Final = 0.5
LOW_ENTROPY: Final = 0.5
MIN_TREND_TURNS: Final = 6


def _f(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def classify_regime(
    row: Mapping[str, Any],
    *,
    alpha: float = 0.01,
    z_crit: float = Z_CRIT,
    min_turns: int = MIN_TURNS,
) -> tuple[str, str]:
    """``(regime, reason)`` of one trajectory's dynamics row (keys of the ``dynamics`` section)."""
    n = int(row.get("turns") or 0)
    if n == 0:
        return "degenerate", "no turns: the trajectory has no propose step"
    if n == 1:
        return "degenerate", "a single turn: entropy, loops and drift are undefined"
    if n < min_turns:
        return "degenerate", f"{n} turns: too few for dynamics (need at least {min_turns})"
    loop = row.get("loop") or {}
    entropy = _f(row.get("action_entropy"))
    lam, lam_p, lam_z = _f(row.get("laminarity")), _f(row.get("laminarity_p")), _f(row.get("laminarity_z"))
    final_run = int(loop.get("final_run") or 0)
    if final_run == n:
        return "trapped", f"the same action in the same situation for all {n} turns"
    if final_run >= max(min_turns, math.ceil(n / 2)):
        return "trapped", f"stuck: the last {final_run} of {n} turns repeat one action in the same situation"
    if loop.get("detected") and loop.get("period") == 1:
        return "trapped", (
            f"the same action in the same situation {loop['repeats']} times from turn {loop['onset_turn']} to the end "
            f"(p = {loop['p_value']:.2g})"
        )
    if (
        lam is not None
        and lam_p is not None
        and entropy is not None
        and lam >= LAMINAR
        and lam_p <= alpha
        and entropy < LOW_ENTROPY
    ):
        z_text = f", z = {lam_z:.1f}" if lam_z is not None else ""
        return "trapped", (
            f"long runs of one action in one situation: laminarity {lam:.2f} above every shuffled copy "
            f"(p = {lam_p:.2g}{z_text}), action entropy {entropy:.2f}"
        )
    if loop.get("detected"):
        return "looping", (
            f"period-{loop['period']} loop from turn {loop['onset_turn']} to the end, {loop['repeats']} repeats "
            f"(p = {loop['p_value']:.2g})"
        )
    drift = row.get("drift") or {}
    step_z, anchor_z = _f(drift.get("step_trend_z")), _f(drift.get("anchor_trend_z"))
    if n >= MIN_TREND_TURNS and step_z is not None and step_z <= -z_crit:
        return "convergent", f"step size shrinks (Mann–Kendall z = {step_z:.1f})"
    if anchor_z is not None and anchor_z >= z_crit and (step_z is None or step_z > -z_crit):
        return "diffusive", f"keeps drifting away from its first turn (Mann–Kendall z = {anchor_z:.1f})"
    parts = []
    if entropy is not None:
        parts.append(f"entropy {entropy:.2f}")
    if anchor_z is not None:
        parts.append(f"drift trend z = {anchor_z:.1f}")
    power = _power_text(n, alpha)
    repeated = _repeated_pairs(row)
    if repeated == 0:
        return "non_repeating", f"no (state, action) pair occurs twice in {n} turns: nothing to loop on{power}"
    return "unknown", (
        f"{repeated} of {n} turns repeat an earlier (state, action) pair, but no loop, trap or trend is significant"
        + (f" ({', '.join(parts)})" if parts else "")
        + power
    )


def _repeated_pairs(row: Mapping[str, Any]) -> int | None:
    """Turns whose (state, action) pair occurred before (the 1-gram entry of ``state_action_repeats``)."""
    for item in row.get("state_action_repeats") or []:
        if item.get("n") == 1:
            return int(item.get("repeated") or 0)
    return None


@functools.cache
def min_loop_turns(period: int, alpha: float, max_period: int = DEFAULT_MAX_PERIOD) -> int:
    """The fewest turns in which a suffix loop of ``period`` can reach p ≤ ``alpha`` at all.

    With r ≥ 2 repetitions of a block of ``period`` symbols, each block symbol occurs at least r times in n turns, so
    every offset's term of the loop's chance probability is at least period·(r/n)^r; with the Bonferroni factor
    min(max_period, n // 2) (:mod:`._loops`) the p-value is at least min(max_period, n // 2)·(period·(r/n)^r)^period.
    Below the returned length no sequence, however repetitive, makes the test significant (checked against the
    detector in the tests: at that length the most favourable sequence is detected).
    """
    for n in range(2 * period, 10_000):
        tests = max(1, min(max_period, n // 2))
        if any(tests * (period * (r / n) ** r) ** period <= alpha for r in range(2, n // period + 1)):
            return n
    return 10_000


def _power_text(n: int, alpha: float) -> str:
    """What the loop test could not have found at this length (``""`` when every period up to 2 was detectable)."""
    short = [q for q in (1, 2) if n < min_loop_turns(q, alpha)]
    if not short:
        return ""
    needs = ", ".join(f"period {q} needs ≥ {min_loop_turns(q, alpha)}" for q in short)
    return f"; at {n} turns the loop test cannot reach p ≤ {alpha:g} for every period ({needs})"


def _list(interval: tuple[float, float] | None) -> list[float] | None:
    return None if interval is None else list(interval)


def _fisher(fail_in: int, n_in: int, fail_out: int, n_out: int) -> float | None:
    if n_in == 0 or n_out == 0:
        return None
    return fisher_exact_p(fail_in, n_in - fail_in, fail_out, n_out - fail_out)


def _category(
    by: str,
    label: str,
    members: Sequence[int],
    rewards: Sequence[float | None],
    success: Sequence[bool | None],
    binary: bool,
    turns: Sequence[int],
) -> dict[str, Any]:
    scored = [i for i in members if rewards[i] is not None or success[i] is not None]
    values = [r for i in scored if (r := rewards[i]) is not None]
    member_set = set(members)
    rest = [t for i, t in enumerate(turns) if i not in member_set]
    out: dict[str, Any] = {
        "by": by,
        "category": label,
        "trajectories": len(members),
        "with_reward": len(scored),
        "mean_reward": sum(values) / len(values) if values else None,
        # failure follows length: every category is reported with its runs' mean length next to the rest's
        "mean_turns": sum(turns[i] for i in members) / len(members) if turns and members else None,
        "rest_mean_turns": sum(rest) / len(rest) if rest else None,
    }
    if binary:
        known = [i for i in scored if success[i] is not None]
        failures = sum(1 for i in known if not success[i])
        others = [i for i, s in enumerate(success) if s is not None and i not in member_set]
        fail_out = sum(1 for i in others if not success[i])
        out.update(
            failures=failures,
            failure_rate=failures / len(known) if known else None,
            failure_ci=_list(jeffreys_interval(failures, len(known))),
            rest_failure_rate=fail_out / len(others) if others else None,
            fisher_p=_fisher(failures, len(known), fail_out, len(others)),
        )
    return out


@dataclass(frozen=True, slots=True)
class RegimeOutcomes:
    """Regimes and loops against reward (:func:`regime_outcomes`).

    ``reward``: ``"binary"``, ``"continuous"``, or ``None`` when no trajectory has a reward or an outcome;
    ``failure_rate``: over all trajectories with a binary result (null otherwise); ``categories``: one row per
    category (:data:`OUTCOME_SCHEMA`), regimes first (in :data:`REGIMES` order), then loop detected / no loop, then
    repeated bigrams / none; a category without trajectories has no row.
    """

    reward: str | None
    trajectories: int
    failure_rate: float | None
    categories: pl.DataFrame


def _bigram_repeats(row: Mapping[str, Any]) -> int:
    for item in row.get("state_action_repeats") or []:
        if item.get("n") == 2:
            return int(item.get("repeated") or 0)
    return 0


def regime_outcomes(
    rows: Sequence[Mapping[str, Any]],
    rewards: Sequence[float | None],
    outcomes: Sequence[str | None],
) -> RegimeOutcomes:
    """Regimes and loops against reward (module docstring) over the trajectories ``rows``: mappings with the keys
    ``regime``, ``turns``, ``loop`` and ``state_action_repeats`` of the per-trajectory frame, aligned with ``rewards`` and
    ``outcomes``."""
    from trajdyn.analyzer.metrics.dynamics._divergence import is_success

    finite = [r if r is not None and math.isfinite(r) else None for r in rewards]
    known_rewards = [r for r in finite if r is not None]
    binary_rewards = bool(known_rewards) and all(r in (0.0, 1.0) for r in known_rewards)
    success = [is_success(r if binary_rewards else None, o) for r, o in zip(finite, outcomes, strict=True)]
    binary = (binary_rewards or not known_rewards) and any(s is not None for s in success)
    kind = "binary" if binary else ("continuous" if known_rewards else None)
    if kind is None:
        return RegimeOutcomes(None, len(rows), None, pl.DataFrame(schema=OUTCOME_SCHEMA))
    known = [s for s in success if s is not None]
    failure_rate = (sum(1 for s in known if not s) / len(known)) if binary and known else None
    everyone = range(len(rows))
    loops = [i for i, r in enumerate(rows) if (r.get("loop") or {}).get("detected")]
    repeats = [i for i, r in enumerate(rows) if _bigram_repeats(r) > 0]
    loop_set, repeat_set = set(loops), set(repeats)
    categories = [
        *(("regime", regime, [i for i, r in enumerate(rows) if r.get("regime") == regime]) for regime in REGIMES),
        ("loop", "loop detected", loops),
        ("loop", "no loop", [i for i in everyone if i not in loop_set]),
        ("repeats", "repeated (state, action) bigrams", repeats),
        ("repeats", "no repeated (state, action) bigram", [i for i in everyone if i not in repeat_set]),
    ]
    turns = [int(r.get("turns") or 0) for r in rows]
    table = [
        _category(by, label, members, finite, success, binary, turns) for by, label, members in categories if members
    ]
    return RegimeOutcomes(kind, len(rows), failure_rate, pl.DataFrame(table, schema=OUTCOME_SCHEMA))
