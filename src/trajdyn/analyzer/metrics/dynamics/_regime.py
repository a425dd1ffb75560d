"""Regimes: one documented label per trajectory built on the dynamics numbers, and how regimes relate to reward.

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

ClawBench (``seeds/000_*``) labels trapped / convergent / diffusive / chaotic / limit_cycle / unknown with fixed
thresholds on raw values; here ``looping`` replaces ``limit_cycle`` (a tested period instead of an autocorrelation
threshold), and sensitivity to the prompt ("chaotic") is a property of a task, reported as Δλ in ``sensitivity``.

**Regimes against reward** (:func:`regime_outcomes`): for every regime (and for loop detected / not, and for repeated
(state, action) bigrams / none) the number of trajectories with a reward, their mean reward and, when rewards are
binary (0/1, or outcomes success/failure), the failures, the failure rate with its Jeffreys 95 % interval
(Beta(f + ½, n − f + ½) quantiles) and the two-sided Fisher exact p-value of that category against all the others.
``findings`` states, in words, the categories of at least 3 runs that fail more often than the rest, highest failure
rate first, each with its runs' mean turn count against the rest's (failure follows length; on τ-bench every such
association vanished once length was accounted for, docs/validation.md), then names the smaller categories that did
as "too few runs to say". Every category carries ``mean_turns`` and ``rest_mean_turns``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from trajdyn.analyzer.metrics.dynamics._loops import DEFAULT_MAX_PERIOD

__all__ = ["REGIMES", "classify_regime", "fisher_exact_p", "regime_outcomes"]

REGIMES: Final = ("degenerate", "trapped", "looping", "convergent", "diffusive", "non_repeating", "unknown")
MIN_TURNS: Final = 3
Z_CRIT: Final = 1.96
LAMINAR: Final = 0.5
LOW_ENTROPY: Final = 0.5
MIN_TREND_TURNS: Final = 6
MIN_FINDING: Final = 3
"""A category with fewer runs than this is listed as "too few to say", not stated as a finding."""


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


def _jeffreys(failures: int, n: int) -> list[float] | None:
    """Jeffreys 95 % interval of a binomial proportion: Beta(f + ½, n − f + ½) quantiles (ends at 0 / 1 at the extremes)."""
    if n == 0:
        return None
    from scipy.special import betaincinv

    a, b = failures + 0.5, n - failures + 0.5
    lo = 0.0 if failures == 0 else float(betaincinv(a, b, 0.025))
    hi = 1.0 if failures == n else float(betaincinv(a, b, 0.975))
    return [lo, hi]


def fisher_exact_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value of the 2×2 table [[a, b], [c, d]]: the total probability, under the
    hypergeometric distribution with the table's margins, of the tables no more probable than the observed one
    (relative tolerance 1e-7, as scipy.stats.fisher_exact)."""
    r1, r2, c1 = a + b, c + d, a + c
    n = r1 + r2

    def log_pmf(x: int) -> float:
        return (
            math.lgamma(r1 + 1)
            - math.lgamma(x + 1)
            - math.lgamma(r1 - x + 1)
            + math.lgamma(r2 + 1)
            - math.lgamma(c1 - x + 1)
            - math.lgamma(r2 - c1 + x + 1)
            - math.lgamma(n + 1)
            + math.lgamma(c1 + 1)
            + math.lgamma(n - c1 + 1)
        )

    observed = log_pmf(a)
    total = 0.0
    for x in range(max(0, c1 - r2), min(r1, c1) + 1):
        lp = log_pmf(x)
        if lp <= observed + 1e-7:
            total += math.exp(lp)
    return min(1.0, total)


def _fisher(fail_in: int, n_in: int, fail_out: int, n_out: int) -> float | None:
    if n_in == 0 or n_out == 0:
        return None
    return fisher_exact_p(fail_in, n_in - fail_in, fail_out, n_out - fail_out)


def _category(
    label: str,
    members: Sequence[int],
    rewards: Sequence[float | None],
    success: Sequence[bool | None],
    binary: bool,
    turns: Sequence[int] = (),
) -> dict[str, Any]:
    scored = [i for i in members if rewards[i] is not None or success[i] is not None]
    values = [r for i in scored if (r := rewards[i]) is not None]
    member_set = set(members)
    rest = [t for i, t in enumerate(turns) if i not in member_set]
    out: dict[str, Any] = {
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
            failure_ci=_jeffreys(failures, len(known)),
            rest_failure_rate=fail_out / len(others) if others else None,
            fisher_p=_fisher(failures, len(known), fail_out, len(others)),
        )
    return out


def regime_outcomes(
    rows: Sequence[Mapping[str, Any]],
    rewards: Sequence[float | None],
    outcomes: Sequence[str | None],
) -> dict[str, Any]:
    """Regimes and loops against reward over trajectories ``rows`` (dynamics rows, aligned with rewards/outcomes)."""
    from trajdyn.analyzer.metrics.dynamics._divergence import is_success

    finite = [r if r is not None and math.isfinite(r) else None for r in rewards]
    known_rewards = [r for r in finite if r is not None]
    binary_rewards = bool(known_rewards) and all(r in (0.0, 1.0) for r in known_rewards)
    success = [is_success(r if binary_rewards else None, o) for r, o in zip(finite, outcomes, strict=True)]
    binary = (binary_rewards or not known_rewards) and any(s is not None for s in success)
    kind = "binary" if binary else ("continuous" if known_rewards else None)
    out: dict[str, Any] = {"reward": kind, "trajectories": len(rows)}
    if kind is None:
        out.update(by_regime=[], by_loop=[], by_repeats=[], findings=[], reason="no rewards or outcomes recorded")
        return out
    known = [s for s in success if s is not None]
    out["failure_rate"] = (sum(1 for s in known if not s) / len(known)) if binary and known else None
    turns = [int(r.get("turns") or 0) for r in rows]
    by_regime = []
    for regime in REGIMES:
        members = [i for i, r in enumerate(rows) if r.get("regime") == regime]
        if members:
            by_regime.append(_category(regime, members, finite, success, binary, turns))
    loops = [i for i, r in enumerate(rows) if (r.get("loop") or {}).get("detected")]
    loop_set = set(loops)
    no_loops = [i for i in range(len(rows)) if i not in loop_set]
    by_loop = [
        _category(label, members, finite, success, binary, turns)
        for label, members in (("loop detected", loops), ("no loop", no_loops))
        if members
    ]

    def bigram_repeats(row: Mapping[str, Any]) -> int:
        for item in row.get("state_action_repeats") or []:
            if item.get("n") == 2:
                return int(item.get("repeated") or 0)
        return 0

    repeats = [i for i, r in enumerate(rows) if bigram_repeats(r) > 0]
    repeat_set = set(repeats)
    no_repeats = [i for i in range(len(rows)) if i not in repeat_set]
    by_repeats = [
        _category(label, members, finite, success, binary, turns)
        for label, members in (
            ("repeated (state, action) bigrams", repeats),
            ("no repeated (state, action) bigram", no_repeats),
        )
        if members
    ]
    out.update(by_regime=by_regime, by_loop=by_loop, by_repeats=by_repeats)
    out["findings"] = _findings(out, binary)
    return out


def _length_note(c: Mapping[str, Any]) -> str:
    """How long the category's runs are against the rest's: a failure difference may be length, not the regime."""
    mine, rest = c.get("mean_turns"), c.get("rest_mean_turns")
    if mine is None or rest is None:
        return ""
    return f"; its runs average {mine:.0f} turns vs {rest:.0f}" + (
        " (longer runs fail more often whatever their regime: compare at equal length)" if mine > rest else ""
    )


def _findings(summary: Mapping[str, Any], binary: bool) -> list[str]:
    items = [c for key in ("by_regime", "by_loop", "by_repeats") for c in summary[key]]
    lines: list[str] = []
    if binary:
        overall = summary.get("failure_rate")
        ranked = sorted(
            (c for c in items if c.get("failure_rate") is not None and c["with_reward"] > 0),
            key=lambda c: (-c["failure_rate"], c["category"]),
        )
        small: list[str] = []
        for c in ranked:
            rest = c.get("rest_failure_rate")
            if rest is None or c["failure_rate"] <= rest:
                continue
            if c["with_reward"] < MIN_FINDING:
                small.append(f"{c['category']} ({c['failures']} of {c['with_reward']} failed)")
                continue
            ci = c["failure_ci"]
            p = c.get("fisher_p")
            lines.append(
                f"{c['category']}: {c['failures']} of {c['with_reward']} failed ({c['failure_rate']:.0%}, "
                f"95 % CI {ci[0]:.0%}–{ci[1]:.0%}) vs {rest:.0%} of the rest"
                + (f" (Fisher p = {p:.2g})" if p is not None else "")
                + _length_note(c)
            )
        if not lines and overall is not None:
            lines.append(f"no regime or loop category fails more often than the rest (overall {overall:.0%} failed)")
        if small:
            lines.append(f"too few runs to say (< {MIN_FINDING}): " + ", ".join(small))
    else:
        ranked = sorted(
            (c for c in items if c.get("mean_reward") is not None), key=lambda c: (c["mean_reward"], c["category"])
        )
        lines = [f"{c['category']}: mean reward {c['mean_reward']:.3g} over {c['with_reward']}" for c in ranked]
    return lines
