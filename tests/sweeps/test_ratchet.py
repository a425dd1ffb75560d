"""The Ratchet against planted truth: pure-noise candidates are kept about 1 − confidence of the time (a keep-if-better
loop keeps about half), real improvements are kept, confirmations roll back keeps that do not hold."""

from __future__ import annotations

import math
import random

import pytest

from trajdyn import Ratchet, RatchetDecision
from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError


def _scores(rng: random.Random, n: int, mean: float, sd: float = 0.05) -> list[float]:
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_pure_noise_candidates_are_kept_about_alpha_of_the_time() -> None:
    """5000 candidates equal to the incumbent in truth: the Ratchet keeps ≈ 5 %, keep-if-better ≈ 50 %."""
    rng = random.Random(7)
    ratchet: Ratchet[int] = Ratchet(min_effect=0.0, confidence=0.95)
    kept = naive = 0
    trials = 5000
    for _ in range(trials):
        task_effects = _scores(rng, 20, 0.6, 0.1)
        inc = [t + rng.gauss(0, 0.03) for t in task_effects]
        cand = [t + rng.gauss(0, 0.03) for t in task_effects]
        kept += ratchet.decide(cand, inc).keep
        naive += sum(cand) > sum(inc)
    # binomial(5000, 0.05): sd ≈ 15.4, so ±4.5 sd is 0.036..0.064
    assert 0.036 < kept / trials < 0.064
    assert 0.45 < naive / trials < 0.55
    assert ratchet.queries == trials and ratchet.keeps == kept and ratchet.reverts == trials - kept


def test_real_improvement_is_kept_and_minimize_flips_the_sign() -> None:
    rng = random.Random(3)
    base = _scores(rng, 30, 0.5)
    better = [b + 0.05 + rng.gauss(0, 0.01) for b in base]
    up: Ratchet[str] = Ratchet(min_effect=0.02)
    d = up.decide(better, base, state="v2")
    assert d.keep and d.step == "decide" and up.incumbent == "v2"
    assert d.improvement is not None and d.ci_low is not None and d.ci_high is not None
    assert 0.02 < d.ci_low < d.improvement < d.ci_high
    assert d.improvement == pytest.approx(math.fsum(b - a for a, b in zip(base, better, strict=True)) / 30)
    down: Ratchet[str] = Ratchet(objective="minimize", min_effect=0.02)
    d2 = down.decide(better, base)  # lower is better: a rise of 0.05 is a loss
    assert not d2.keep and d2.improvement is not None and d2.improvement < 0
    assert down.decide(base, better).keep


def test_min_effect_gates_a_small_real_gain() -> None:
    """A real gain of 0.01 with a tight interval: kept with η = 0, reverted with η = 0.02."""
    rng = random.Random(11)
    base = _scores(rng, 50, 0.5)
    cand = [b + 0.01 + rng.gauss(0, 0.002) for b in base]
    assert Ratchet(min_effect=0.0).decide(cand, base).keep
    d = Ratchet(min_effect=0.02).decide(cand, base)
    assert not d.keep and "<= min_effect 0.02" in d.reason


def test_mappings_pair_by_key_and_bad_scores_are_counted() -> None:
    r: Ratchet[None] = Ratchet()
    inc = {"a": 0.5, "b": 0.6, "c": 0.7, "d": float("nan"), "only-inc": 0.1}
    cand = {"c": 0.9, "a": 0.7, "b": 0.8, "d": 0.4, "only-cand": 0.3}
    d = r.decide(cand, inc)
    assert d.n == 3 and d.n_excluded == 3 and d.n_failed == 0  # d (nan incumbent) + one-sided keys
    assert d.improvement == pytest.approx(0.2)
    d2 = r.decide({"a": float("inf"), "b": 0.9, "c": 0.9}, {"a": 0.1, "b": 0.1, "c": 0.1})
    assert not d2.keep and d2.n_failed == 1 and "no finite score" in d2.reason
    assert d2.attributes()[C.RATCHET_N_EXCLUDED] == 1
    d3 = r.decide([0.9], [0.1])
    assert not d3.keep and d3.ci_low is None and "too few" in d3.reason
    with pytest.raises(ValueError):
        r.decide([0.1, 0.2], [0.1])
    with pytest.raises(TypeError):
        r.decide([0.1], {"a": 0.1})


def test_confirm_every_rolls_back_keeps_that_do_not_hold() -> None:
    rng = random.Random(5)
    r: Ratchet[str] = Ratchet(min_effect=0.0, confirm_every=2, incumbent="v0")
    base = _scores(rng, 20, 0.5)
    up = [b + 0.1 for b in base]
    assert r.decide(up, base, state="v1").keep
    assert not r.confirm_due and r.pending == 1
    d = r.decide([u + 0.1 for u in up], up, state="v2")
    assert d.keep and d.confirm_due and r.confirm_due and d.pending == 2
    fresh = _scores(rng, 20, 0.5)
    rollback = r.confirm([f + rng.gauss(0, 0.01) for f in fresh], fresh)  # no real gain on the fresh split
    assert rollback.step == "confirm" and not rollback.keep and "rolled back 2 keep(s)" in rollback.reason
    assert r.incumbent == "v0" and r.anchor == "v0" and r.pending == 0 and r.rollbacks == 1
    assert r.queries == 2 and r.confirm_queries == 1
    assert r.decide(up, base, state="v3").keep
    assert r.decide([u + 0.1 for u in up], up, state="v4").keep
    ok = r.confirm([f + 0.2 for f in fresh], fresh)
    assert ok.keep and r.anchor == "v4" and r.incumbent == "v4" and r.confirmations == 1
    attrs = ok.attributes()
    assert attrs[C.RATCHET_STEP] == "confirm" and attrs[C.RATCHET_CONFIRM_QUERIES] == 2
    assert set(attrs) <= set(C.ATTRIBUTE_TYPES)


def test_decision_attributes_match_their_declared_types() -> None:
    d = Ratchet().decide([0.5, 0.7, 0.6], [0.4, 0.5, 0.5])
    assert isinstance(d, RatchetDecision)
    kinds = {"string": str, "double": float, "int": int, "bool": bool}
    for key, value in d.attributes().items():
        assert key.startswith(C.RATCHET_PREFIX)
        expected = kinds[C.ATTRIBUTE_TYPES[key]]
        assert type(value) is expected, (key, value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"objective": "max"},
        {"min_effect": -0.1},
        {"min_effect": float("nan")},
        {"confidence": 0.5},
        {"confidence": 1.0},
        {"confirm_every": 0},
        {"confirm_every": True},
    ],
)
def test_bad_arguments_raise_configuration_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Ratchet(**kwargs)  # type: ignore[arg-type]
