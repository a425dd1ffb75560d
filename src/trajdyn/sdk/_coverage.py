"""Live exploration coverage: a pure-Python incremental tracker, O(1) per event.

The definitions are the shared ones of ``docs/`` and ``METHODS.md`` §1 (autoresearch loop, Sehgal 2025,
"Trajectory eval: is the agent flailing?"); the offline analyzer computes the same numbers from spans and a test
replays a real log through both. In short:

- an *iteration* is a propose that is not blocked, numbered 1..N; its *pair* is (knob, canonical value), a tool
  call without a knob is (action, null);
- a *repeat* is an iteration whose pair was proposed at an earlier iteration; ``repeat_rate`` = repeats / N, also per
  consecutive window of W iterations (the last one may be partial; repeat status is relative to the whole history);
- a *keep* is an iteration whose (last) decision is keep; the metric of an iteration is the primary metric of its
  last observe step; ``best_*`` is the arg-best over iterations with a metric (objective-aware, first wins ties);
- ``improvement`` = (baseline − best)/|baseline| (minimize) or (best − baseline)/|baseline| (maximize), a fraction;
- the *running best* is the best value seen so far, starting at the baseline (else undefined until the first
  metric, which counts as an improvement); an iteration *improves* when its metric beats the running best just
  before it by more than η·|running best| (η = 0: any strict improvement); ``since_improvement`` = N − last improving
  iteration (N when none), ``longest_plateau`` = longest run of consecutive non-improving iterations, trailing run
  included; ``running_best`` lists the running best after each iteration (null until defined);
- the metric of an iteration is its last observe that carries a finite metric, its decision the last decide that
  carries a readable one;
- ``novelty_good_turing`` = f1/N (Good 1953), ``chao1`` = D + f1²/(2 f2), or D + f1(f1−1)/2 when f2 = 0 (Chao 1984),
  both null when N = 0; ``top_pairs`` = the ``top`` (default 8) most proposed pairs, n desc, ties by first appearance;
- ``noise_floor`` = pooled within-pair standard deviation sqrt(Σ(n_i−1)s_i² / Σ(n_i−1)) over pairs evaluated at
  least twice; ``keeps_within_noise`` = keeps whose metric beats (strictly) the running best just before them by
  less than the noise floor.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

from trajdyn import conventions as C

__all__ = ["CoverageTracker", "Pair"]

Pair = tuple[str, str | None]
"""(knob, canonical value); a tool call is (action, None)."""

_ScalarState = tuple[float | None, int, int, int, float | None, int | None, "Pair | None", int, int | None]


class CoverageTracker:
    """Incremental exploration-coverage statistics of one trajectory (thread-safe; O(1) per event).

    Call :meth:`propose` for every iteration (not for blocked proposals), :meth:`observe` with the iteration's
    primary metric and :meth:`decide` with its normalised decision. A second observe/decide in the same iteration
    replaces the first one. :meth:`attributes` gives the ``trajdyn.coverage.*`` span attributes in O(1);
    :meth:`snapshot` the full report dict (O(number of distinct pairs)).
    """

    def __init__(
        self,
        *,
        knob_menu: Sequence[str] | None = None,
        objective: str = C.DEFAULT_OBJECTIVE,
        baseline: float | None = None,
        window: int = C.DEFAULT_COVERAGE_WINDOW,
        eta: float = 0.0,
        top: int = 8,
    ) -> None:
        if window < 1:
            raise ValueError(f"expected coverage window >= 1, got {window!r}")
        if eta < 0:
            raise ValueError(f"expected plateau threshold eta >= 0, got {eta!r}")
        if objective not in C.OBJECTIVES:
            raise ValueError(f"expected objective in {C.OBJECTIVES}, got {objective!r}")
        self._lock = threading.Lock()
        self.knob_menu: tuple[str, ...] | None = tuple(knob_menu) if knob_menu else None  # empty = no menu
        self.top = top
        self._minimize = objective == C.OBJECTIVE_MINIMIZE
        self.baseline = baseline
        self.window = window
        self.eta = eta
        # proposal side
        self._n = 0
        self._knob_counts: dict[str, int] = {}
        self._pair_counts: dict[Pair, int] = {}
        self._pair_first: dict[Pair, int] = {}
        self._f1 = 0
        self._f2 = 0
        self._repeat_count = 0
        self._windows: list[list[int]] = []  # [repeats, iterations] per window
        # evaluation side (checkpointed per iteration so that a later observe/decide replaces an earlier one)
        self._running_best: float | None = baseline
        self._last_improve = 0
        self._cur_run = 0
        self._longest_run = 0
        self._best_value: float | None = None
        self._best_iteration: int | None = None
        self._best_pair: Pair | None = None
        self._keep_count = 0
        self._first_keep: int | None = None
        self._keep_iterations: list[int] = []
        self._keep_pair_counts: dict[Pair, int] = {}
        self._keep_gains: list[float] = []
        self._pair_metrics: dict[Pair, list[float]] = {}
        self._running_bests: list[float | None] = []
        # the current iteration
        self._cur_pair: Pair | None = None  # None: an unreadable proposal
        self._cur_metric: float | None = None
        self._cur_decision: str | None = None
        self._checkpoint: _ScalarState | None = None
        self._applied_metric = False
        self._applied_keep = False
        self._applied_gain = False

    # ------------------------------------------------------------------ queries
    @property
    def iterations(self) -> int:
        """Number of iterations so far (N)."""
        return self._n

    def first_iteration(self, knob: str | None, value: str | None) -> int | None:
        """The iteration at which (knob, canonical value) was first proposed, or ``None`` if never."""
        return None if knob is None else self._pair_first.get((knob, value))

    # ------------------------------------------------------------------ events
    def propose(self, knob: str | None, value: str | None) -> tuple[int, bool]:
        """Open the next iteration with this pair; returns (iteration number, whether it is a repeat).

        ``knob`` is the knob, or the action of a tool call; ``None`` (an unreadable proposal) still opens an
        iteration but has no pair: it is neither a repeat nor counted in any pair or knob statistic.
        """
        with self._lock:
            self._n += 1
            it = self._n
            pair: Pair | None = None
            prev = 0
            if knob is not None:
                pair = (knob, value)
                kc = self._knob_counts
                kc[knob] = kc.get(knob, 0) + 1
                prev = self._pair_counts.get(pair, 0)
                self._pair_counts[pair] = prev + 1
            repeat = prev > 0
            if pair is None:
                pass
            elif prev == 0:
                self._pair_first[pair] = it
                self._f1 += 1
            elif prev == 1:
                self._f1 -= 1
                self._f2 += 1
            elif prev == 2:
                self._f2 -= 1
            w = (it - 1) // self.window
            if w == len(self._windows):
                self._windows.append([0, 0])
            win = self._windows[w]
            win[1] += 1
            if repeat:
                self._repeat_count += 1
                win[0] += 1
            # commit the previous iteration, start this one (no metric, no decision yet)
            self._cur_pair = pair
            self._cur_metric = None
            self._cur_decision = None
            self._checkpoint = self._save()
            self._applied_metric = self._applied_keep = self._applied_gain = False
            self._running_bests.append(None)
            self._apply()
            return it, repeat

    def observe(self, metric: float | None) -> None:
        """Record the primary metric of the current iteration (``None`` or NaN: no metric)."""
        if metric is None or not math.isfinite(metric):
            return  # an observe without a metric leaves the iteration's metric as it is
        with self._lock:
            if self._checkpoint is None:
                return  # an observe before any propose is not part of an iteration
            self._restore()
            self._cur_metric = metric
            self._apply()

    def decide(self, decision: str | None) -> None:
        """Record the normalised decision (``keep``/``revert``) of the current iteration; ``None`` changes nothing."""
        if decision is None:
            return
        with self._lock:
            if self._checkpoint is None:
                return
            if decision != C.DECISION_KEEP and self._cur_decision != C.DECISION_KEEP:
                self._cur_decision = decision  # keep status unchanged: nothing to recompute
                return
            self._restore()
            self._cur_decision = decision
            self._apply()

    # ------------------------------------------------------------------ checkpointing
    def _save(self) -> _ScalarState:
        return (
            self._running_best,
            self._last_improve,
            self._cur_run,
            self._longest_run,
            self._best_value,
            self._best_iteration,
            self._best_pair,
            self._keep_count,
            self._first_keep,
        )

    def _restore(self) -> None:
        ck = self._checkpoint
        assert ck is not None
        pair = self._cur_pair
        if self._applied_gain:
            self._keep_gains.pop()
        if self._applied_keep:
            self._keep_iterations.pop()
        if self._applied_keep and pair is not None:
            left = self._keep_pair_counts[pair] - 1
            if left:
                self._keep_pair_counts[pair] = left
            else:
                del self._keep_pair_counts[pair]
        if self._applied_metric and pair is not None:
            values = self._pair_metrics[pair]
            values.pop()
            if not values:
                del self._pair_metrics[pair]
        self._applied_metric = self._applied_keep = self._applied_gain = False
        (
            self._running_best,
            self._last_improve,
            self._cur_run,
            self._longest_run,
            self._best_value,
            self._best_iteration,
            self._best_pair,
            self._keep_count,
            self._first_keep,
        ) = ck

    def _apply(self) -> None:
        it = self._n
        pair = self._cur_pair
        m = self._cur_metric
        rb = self._running_best
        improved = False
        gain: float | None = None
        if m is not None:
            best = self._best_value
            if best is None or (m < best if self._minimize else m > best):
                self._best_value = m
                self._best_iteration = it
                self._best_pair = pair
            if rb is None:
                improved = True
            else:
                gain = (rb - m) if self._minimize else (m - rb)
                improved = gain > self.eta * abs(rb)
            if improved:
                self._last_improve = it
            if rb is None or (m < rb if self._minimize else m > rb):
                self._running_best = m
            if pair is not None:
                self._pair_metrics.setdefault(pair, []).append(m)
            self._applied_metric = True
        self._running_bests[-1] = self._running_best
        if improved:
            self._cur_run = 0
        else:
            self._cur_run += 1
            if self._cur_run > self._longest_run:
                self._longest_run = self._cur_run
        if self._cur_decision == C.DECISION_KEEP:
            self._keep_count += 1
            if self._first_keep is None:
                self._first_keep = it
            self._keep_iterations.append(it)
            if pair is not None:
                self._keep_pair_counts[pair] = self._keep_pair_counts.get(pair, 0) + 1
            self._applied_keep = True
            if gain is not None:
                self._keep_gains.append(gain)
                self._applied_gain = True

    # ------------------------------------------------------------------ outputs
    def attributes(self) -> dict[str, Any]:
        """The ``trajdyn.coverage.*`` attributes for a decide span (absent values are left out); O(1)."""
        with self._lock:
            n = self._n
            attrs: dict[str, Any] = {
                C.COVERAGE_KNOBS_TOUCHED: len(self._knob_counts),
                C.COVERAGE_UNIQUE_PAIRS: len(self._pair_counts),
                C.COVERAGE_REPEAT_COUNT: self._repeat_count,
                C.COVERAGE_KEEP_COUNT: self._keep_count,
                C.COVERAGE_SINCE_IMPROVEMENT: n - self._last_improve,
            }
            if self.knob_menu:
                attrs[C.COVERAGE_KNOB_COVERAGE] = len(self._knob_counts) / len(self.knob_menu)
            if n:
                attrs[C.COVERAGE_REPEAT_RATE] = self._repeat_count / n
            if self._best_value is not None:
                attrs[C.COVERAGE_BEST_VALUE] = self._best_value
                attrs[C.COVERAGE_BEST_ITERATION] = self._best_iteration
            return attrs

    def snapshot(self) -> dict[str, Any]:
        """Every exploration key of the analyzer report, with the same names and definitions."""
        with self._lock:
            n = self._n
            menu = self.knob_menu
            touched = len(self._knob_counts)
            knob_counts = dict(sorted(self._knob_counts.items(), key=lambda kv: -kv[1]))
            pairs_sorted = sorted(self._pair_counts.items(), key=lambda kv: -kv[1])
            keep_pairs_sorted = sorted(self._keep_pair_counts.items(), key=lambda kv: -kv[1])
            windows = [
                {"first": i * self.window + 1, "last": i * self.window + w[1], "rate": w[0] / w[1]}
                for i, w in enumerate(self._windows)
            ]
            d = len(self._pair_counts)
            f1, f2 = self._f1, self._f2
            chao1 = float(d + (f1 * f1 / (2 * f2) if f2 else f1 * (f1 - 1) / 2)) if n else None
            num = 0.0
            df = 0
            for values in self._pair_metrics.values():
                k = len(values)
                if k >= 2:
                    mean = math.fsum(values) / k
                    num += math.fsum((v - mean) ** 2 for v in values)
                    df += k - 1
            noise_floor = math.sqrt(num / df) if df else None
            within: int | None = None
            if noise_floor is not None:
                within = sum(1 for g in self._keep_gains if 0 < g < noise_floor)
            best = self._best_value
            base = self.baseline
            improvement: float | None = None
            if best is not None and base is not None and base != 0:
                improvement = ((base - best) if self._minimize else (best - base)) / abs(base)
            bp = self._best_pair
            return {
                "iterations": n,
                "knobs_total": len(menu) if menu is not None else None,
                "knobs_touched": touched,
                "knob_coverage": touched / len(menu) if menu else None,
                "knobs_untouched": [k for k in menu if k not in self._knob_counts] if menu is not None else None,
                "knob_counts": knob_counts,
                "unique_pairs": d,
                "repeat_count": self._repeat_count,
                "repeat_rate": self._repeat_count / n if n else None,
                "windows_repeat_rate": windows,
                "top_pairs": [{"knob": k, "value": v, "n": c} for (k, v), c in pairs_sorted[: self.top]],
                "keep_count": self._keep_count,
                "keep_iterations": list(self._keep_iterations),
                "keep_pair_counts": [{"knob": k, "value": v, "n": c} for (k, v), c in keep_pairs_sorted],
                "first_keep_iteration": self._first_keep,
                "best_value": best,
                "best_iteration": self._best_iteration,
                "best_pair": {"knob": bp[0], "value": bp[1]} if bp is not None else None,
                "baseline_value": base,
                "improvement": improvement,
                "since_improvement": n - self._last_improve,
                "longest_plateau": self._longest_run,
                "novelty_good_turing": f1 / n if n else None,
                "chao1": chao1,
                "noise_floor": noise_floor,
                "keeps_within_noise": within,
                "running_best": list(self._running_bests),
            }
