"""The Ratchet: a keep/revert decision that does not chase noise.

A loop that keeps whatever beats the best so far is a Ladder with η ≈ 0 (Blum & Hardt 2015, "The Ladder: a reliable
leaderboard for machine learning competitions"): it accepts noise (winner's curse) and, query after query, overfits
the data it decides on. The Ratchet keeps a candidate only when the **lower bound of the paired interval of its
improvement** over the incumbent exceeds ``min_effect`` (η); every ``confirm_every`` accepts it asks for a
re-confirmation of the accumulated keeps on a fresh split the caller provides, and rolls them back when they do not
hold there; it counts the queries made of the decision data and of the fresh splits. The interval is the paired t
interval of :mod:`trajdyn.sweeps._paired`. Nothing here imports OpenTelemetry, numpy or scipy.

Used as the body of a ``@trajdyn.decide`` function, its :class:`RatchetDecision` is read as the decision and its
numbers are recorded on the decide span (``trajdyn.ratchet.*``, docs/conventions.md). See docs/sdk.md#the-ratchet.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeAlias, TypeVar

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.sweeps._paired import PairedInterval, paired_t_interval

__all__ = ["INTERVAL_METHOD", "Ratchet", "RatchetDecision", "Scores"]

Scores: TypeAlias = Sequence[float] | Mapping[Hashable, float]
"""Per-task (or per-seed) scores: a sequence paired by position, or a mapping paired by key."""
S = TypeVar("S")

INTERVAL_METHOD: Final = "paired-t"
"""The interval the Ratchet uses (recorded in every decision's reason text and in docs/sdk.md)."""


@dataclass(frozen=True, slots=True)
class RatchetDecision:
    """One decision of a :class:`Ratchet`: what it decided, on what evidence, and the query counts after it.

    ``improvement``, ``ci_low`` and ``ci_high`` are in the objective's units, signed so that positive is better
    (for ``objective="minimize"`` a lower score is an improvement); ``ci_low``/``ci_high`` are one-sided bounds at
    ``confidence`` (``None`` with fewer than two usable pairs). ``n`` pairs were used; ``n_excluded`` pairs were left
    out (a key in one mapping only, or an incumbent score that is not a finite number); ``n_failed`` pairs had a
    non-finite candidate score where the incumbent's was finite, which always reverts.
    """

    decision: C.Decision
    step: C.RatchetStep
    reason: str
    improvement: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_excluded: int
    n_failed: int
    min_effect: float
    confidence: float
    queries: int
    confirm_queries: int
    pending: int
    confirm_due: bool

    @property
    def keep(self) -> bool:
        """Whether the candidate (or, for a confirmation, the accumulated keeps) was kept."""
        return self.decision == C.DECISION_KEEP

    def __trajdyn_evidence__(self) -> dict[str, Any]:
        """The hook by which ``@trajdyn.decide`` records :meth:`attributes` on its span (see
        ``trajdyn.sdk._decorators.EVIDENCE_HOOK``)."""
        return self.attributes()

    def attributes(self) -> dict[str, Any]:
        """The decide span's ``trajdyn.ratchet.*`` attributes (docs/conventions.md)."""
        out: dict[str, Any] = {
            C.RATCHET_STEP: self.step,
            C.RATCHET_REASON: self.reason,
            C.RATCHET_N: self.n,
            C.RATCHET_N_EXCLUDED: self.n_excluded + self.n_failed,
            C.RATCHET_MIN_EFFECT: self.min_effect,
            C.RATCHET_CONFIDENCE: self.confidence,
            C.RATCHET_QUERIES: self.queries,
            C.RATCHET_CONFIRM_QUERIES: self.confirm_queries,
            C.RATCHET_PENDING: self.pending,
            C.RATCHET_CONFIRM_DUE: self.confirm_due,
        }
        if self.improvement is not None:
            out[C.RATCHET_IMPROVEMENT] = self.improvement
        if self.ci_low is not None and self.ci_high is not None:
            out[C.RATCHET_CI_LOW] = self.ci_low
            out[C.RATCHET_CI_HIGH] = self.ci_high
        return out


def _finite(x: object) -> float | None:
    if isinstance(x, bool | str | bytes) or x is None:
        return None
    if not isinstance(x, int | float):
        try:
            x = float(x)  # type: ignore[arg-type]  # numpy scalars and Decimals
        except (TypeError, ValueError):
            return None
    f = float(x)
    return f if math.isfinite(f) else None


def _pairs(candidate: Scores, incumbent: Scores) -> tuple[list[tuple[float | None, float | None]], int]:
    """The (candidate, incumbent) pairs and the number of entries present on one side only."""
    if isinstance(candidate, Mapping) != isinstance(incumbent, Mapping):
        raise TypeError("candidate and incumbent scores must both be sequences (paired by position) or both mappings")
    if isinstance(candidate, Mapping) and isinstance(incumbent, Mapping):
        common = [k for k in candidate if k in incumbent]
        one_side = len(candidate) + len(incumbent) - 2 * len(common)
        return [(_finite(candidate[k]), _finite(incumbent[k])) for k in common], one_side
    if isinstance(candidate, str | bytes) or isinstance(incumbent, str | bytes):
        raise TypeError("scores must be numbers, not a string")
    cand = list(candidate)
    inc = list(incumbent)
    if len(cand) != len(inc):
        raise ValueError(
            f"candidate and incumbent scores are paired by position and must have the same length, "
            f"got {len(cand)} and {len(inc)}"
        )
    return [(_finite(c), _finite(i)) for c, i in zip(cand, inc, strict=True)], 0


def _fmt(x: float) -> str:
    return f"{x:+.4g}"


class Ratchet(Generic[S]):
    """Keep a candidate only when the paired evidence says it is better by more than ``min_effect``.

    Args:
        objective: ``"maximize"`` (default) or ``"minimize"`` the scores.
        min_effect: η ≥ 0, the smallest improvement worth keeping, in the scores' units. A candidate is kept when
            the one-sided lower confidence bound of its mean paired improvement exceeds η.
        confidence: the one-sided confidence of that bound, in (0.5, 1); a candidate no better than η is kept at
            most ``1 − confidence`` of the time.
        confirm_every: after this many keeps since the last confirmation, :attr:`confirm_due` turns true and the
            caller should evaluate the current incumbent and the last confirmed one (:attr:`anchor`) on a fresh
            split and call :meth:`confirm`. ``None``: never.
        incumbent: the starting state (any object; optional). The Ratchet never looks inside it: it only remembers
            which state is the incumbent and which the anchor, so that a rollback can hand the anchor back.

    Raises:
        ConfigurationError: a bad argument (also a ``ValueError``).

    Thread-safe: each decision is made and counted under a lock.
    """

    def __init__(
        self,
        *,
        objective: C.Objective = C.OBJECTIVE_MAXIMIZE,
        min_effect: float = 0.0,
        confidence: float = 0.95,
        confirm_every: int | None = None,
        incumbent: S | None = None,
    ) -> None:
        if objective not in C.OBJECTIVES:
            raise ConfigurationError(f"expected objective in {C.OBJECTIVES}, got {objective!r}")
        eta = _finite(min_effect)
        if eta is None or eta < 0:
            raise ConfigurationError(f"expected min_effect to be a finite number >= 0, got {min_effect!r}")
        conf = _finite(confidence)
        if conf is None or not 0.5 < conf < 1.0:
            raise ConfigurationError(f"expected confidence in (0.5, 1), got {confidence!r}")
        if confirm_every is not None and (
            isinstance(confirm_every, bool) or not isinstance(confirm_every, int) or confirm_every < 1
        ):
            raise ConfigurationError(f"expected confirm_every to be an integer >= 1 or None, got {confirm_every!r}")
        self.objective: C.Objective = objective
        self.min_effect = eta
        self.confidence = conf
        self.confirm_every = confirm_every
        self._sign = 1.0 if objective == C.OBJECTIVE_MAXIMIZE else -1.0
        self._lock = threading.Lock()
        self._incumbent: S | None = incumbent
        self._anchor: S | None = incumbent
        self.queries = 0
        """Decisions made with :meth:`decide`: each one is a query of the data the loop decides on."""
        self.confirm_queries = 0
        """Confirmations made with :meth:`confirm`: each one is a query of a fresh split."""
        self.keeps = 0
        """Candidates kept by :meth:`decide` (rolled-back ones included)."""
        self.reverts = 0
        """Candidates reverted by :meth:`decide`."""
        self.pending = 0
        """Keeps since the last confirmation (or the start)."""
        self.confirmations = 0
        """Confirmations that held."""
        self.rollbacks = 0
        """Confirmations that failed: their pending keeps were rolled back to the anchor."""

    @property
    def incumbent(self) -> S | None:
        """The current incumbent state: the last kept candidate's ``state``, or the anchor after a rollback."""
        return self._incumbent

    @property
    def anchor(self) -> S | None:
        """The last confirmed state (the starting ``incumbent`` until a confirmation holds)."""
        return self._anchor

    @property
    def confirm_due(self) -> bool:
        """Whether ``confirm_every`` keeps have accumulated since the last confirmation."""
        return self.confirm_every is not None and self.pending >= self.confirm_every

    def _evaluate(
        self, candidate: Scores, incumbent: Scores
    ) -> tuple[PairedInterval | None, int, int, int, str | None]:
        pairs, one_side = _pairs(candidate, incumbent)
        diffs: list[float] = []
        excluded = one_side
        failed = 0
        for c, i in pairs:
            if i is None:
                excluded += 1
            elif c is None:
                failed += 1
            else:
                diffs.append(self._sign * (c - i))
        if failed:
            return None, len(diffs), excluded, failed, f"the candidate has no finite score on {failed} task(s)"
        interval = paired_t_interval(diffs, self.confidence)
        if interval is None:
            return None, len(diffs), excluded, failed, f"too few paired scores to decide (n={len(diffs)}, need >= 2)"
        return interval, len(diffs), excluded, failed, None

    def _decision(
        self,
        keep: bool,
        step: C.RatchetStep,
        reason: str,
        interval: PairedInterval | None,
        n: int,
        excluded: int,
        failed: int,
    ) -> RatchetDecision:
        return RatchetDecision(
            decision=C.DECISION_KEEP if keep else C.DECISION_REVERT,
            step=step,
            reason=reason,
            improvement=interval.mean if interval is not None else None,
            ci_low=interval.low if interval is not None else None,
            ci_high=interval.high if interval is not None else None,
            n=n,
            n_excluded=excluded,
            n_failed=failed,
            min_effect=self.min_effect,
            confidence=self.confidence,
            queries=self.queries,
            confirm_queries=self.confirm_queries,
            pending=self.pending,
            confirm_due=self.confirm_due,
        )

    def _judge(self, interval: PairedInterval) -> tuple[bool, str]:
        pct = f"{self.confidence:.0%}"
        bound = f"lower {pct} {INTERVAL_METHOD} bound {_fmt(interval.low)} (mean {_fmt(interval.mean)}, n={interval.n})"
        if interval.low > self.min_effect:
            return True, f"{bound} > min_effect {self.min_effect:.4g}"
        return False, f"{bound} <= min_effect {self.min_effect:.4g}"

    def decide(self, candidate: Scores, incumbent: Scores, *, state: S | None = None) -> RatchetDecision:
        """Keep ``candidate`` or revert to ``incumbent``, from their paired scores on the same tasks or seeds.

        ``state``: the candidate's state (any object), which becomes :attr:`incumbent` when kept.

        Raises:
            ValueError: sequences of different lengths (pairing by position would be wrong).
            TypeError: a sequence and a mapping, or a string given as scores.
        """
        with self._lock:
            interval, n, excluded, failed, problem = self._evaluate(candidate, incumbent)
            self.queries += 1
            if interval is None:
                keep, reason = False, str(problem)
            else:
                keep, reason = self._judge(interval)
            if keep:
                self.keeps += 1
                self.pending += 1
                self._incumbent = state
            else:
                self.reverts += 1
            return self._decision(keep, "decide", reason, interval, n, excluded, failed)

    def confirm(self, current: Scores, anchor: Scores) -> RatchetDecision:
        """Re-confirm the keeps since the last confirmation on a fresh split.

        ``current`` and ``anchor`` are the paired scores, on tasks or seeds the loop has not decided on, of the
        current incumbent and of :attr:`anchor` (the last confirmed state). The keeps hold when the lower bound of
        the paired improvement exceeds ``min_effect``: the anchor moves to the incumbent. Otherwise they are rolled
        back: :attr:`incumbent` becomes the anchor again and the decision is ``revert``. Either way the pending
        count restarts.
        """
        with self._lock:
            interval, n, excluded, failed, problem = self._evaluate(current, anchor)
            self.confirm_queries += 1
            pending = self.pending
            if interval is None:
                keep, reason = False, str(problem)
            else:
                keep, reason = self._judge(interval)
            if keep:
                self.confirmations += 1
                self._anchor = self._incumbent
                reason = f"confirmed {pending} keep(s) on a fresh split: {reason}"
            else:
                self.rollbacks += 1
                self._incumbent = self._anchor
                reason = f"rolled back {pending} keep(s) that did not hold on a fresh split: {reason}"
            self.pending = 0
            return self._decision(keep, "confirm", reason, interval, n, excluded, failed)

    def __repr__(self) -> str:
        return (
            f"Ratchet(objective={self.objective!r}, min_effect={self.min_effect!r}, confidence={self.confidence!r}, "
            f"confirm_every={self.confirm_every!r}; queries={self.queries}, keeps={self.keeps}, "
            f"pending={self.pending}, rollbacks={self.rollbacks})"
        )
