"""Return-value extraction: proposals, metrics, decisions; unreadable input is absent, never an error."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import example, given
from hypothesis import strategies as st

from trajdyn import canonical_value
from trajdyn.sdk import Observation, Proposal, read_decision, read_metrics, read_proposal

knobs = st.text(min_size=1, max_size=12)
values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=8),
    st.none(),
)


@dataclass
class _Prop:
    knob: object
    value: object


@given(knobs, values)
@example("d_model", 768)
@example("d_model", 768.0)
@example("d_model", "768")
@example("lr", 0.0002)
@example("lr", 2e-4)
@example("flag", True)
@example("gc", None)
def test_all_proposal_shapes_read_the_same(knob: str, value: object) -> None:
    """A mapping, a tuple, a list and an object with .knob/.value give one canonical proposal."""
    expected_value = canonical_value(value)
    expected = Proposal(knob, expected_value, knob if expected_value is None else f"{knob}={expected_value}")
    assert read_proposal({"knob": knob, "value": value}) == expected
    assert read_proposal((knob, value)) == expected
    assert read_proposal([knob, value]) == expected
    assert read_proposal(_Prop(knob, value)) == expected


@given(st.sampled_from([768, 768.0, "768"]))
def test_integral_values_are_one_value(value: object) -> None:
    """768, 768.0 and "768" canonicalise to the same proposal."""
    assert read_proposal(("d_model", value)).value == "768"


def test_str_is_a_tool_call_without_knob() -> None:
    """A plain string is an action (tool name) with no knob; its pair knob is the action."""
    p = read_proposal("web_search")
    assert (p.knob, p.value, p.action, p.pair_knob) == (None, None, "web_search", "web_search")


@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.tuples(st.integers()), st.just({})))
@example(None)
@example(())
@example({"value": 3})
@example("")
def test_unreadable_proposals_are_absent(obj: object) -> None:
    """Anything without a knob reads as no proposal, without raising."""
    if isinstance(obj, dict) and obj.get("knob") is not None:
        return
    assert read_proposal(obj) == Proposal(None, None, None)


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**9), 10**9))
def test_number_is_the_primary_metric(x: float) -> None:
    """A plain number is the primary metric."""
    assert read_metrics(x) == Observation(float(x), {})


def test_mapping_primary_is_metric_name_then_metric_then_single() -> None:
    """The primary metric is metric_name, else "metric", else the only entry; the rest are secondary."""
    assert read_metrics({"val_bpb": 1.5, "mem": 3}, "val_bpb") == Observation(1.5, {"mem": 3.0})
    assert read_metrics({"metric": 2.0, "mem": 3}, "val_bpb") == Observation(2.0, {"mem": 3.0})
    assert read_metrics({"loss": 0.5}) == Observation(0.5, {})
    assert read_metrics({"a": 1.0, "b": 2.0}) == Observation(None, {"a": 1.0, "b": 2.0})


@given(st.one_of(st.none(), st.text(), st.booleans(), st.just(math.nan), st.just(math.inf), st.binary()))
def test_unreadable_metrics_are_absent(obj: object) -> None:
    """Strings, bools, NaN/inf and None give no metric."""
    assert read_metrics(obj).metric is None


@given(st.sampled_from(["keep", "KEEP ", "accepted", True, "revert", "discard", "Rejected", False]))
def test_decision_aliases(obj: object) -> None:
    """Decision spellings normalise to keep/revert, also inside a mapping."""
    expected = read_decision(obj)
    assert expected in ("keep", "revert")
    assert read_decision({"decision": obj}) == expected


@given(st.one_of(st.none(), st.integers(), st.text().filter(lambda s: s.strip().lower() not in _ALIASES)))
def test_unreadable_decisions_are_absent(obj: object) -> None:
    """Unknown decisions read as None."""
    assert read_decision(obj) is None


_ALIASES = {
    "keep",
    "kept",
    "true",
    "accept",
    "accepted",
    "revert",
    "reverted",
    "false",
    "discard",
    "discarded",
    "reject",
    "rejected",
}
