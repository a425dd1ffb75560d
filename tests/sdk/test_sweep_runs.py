"""trajdyn.sweeps.sweep_run: the root span of a sweep run carries the constant, its value, the default, the scenario
and its split; a degenerate run and a failing run are marked; bad arguments raise."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import trajdyn
from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError
from trajdyn.sweeps import IntRange, ScenarioFactory, sweep_attributes, sweep_run

FACTORY = ScenarioFactory("bank", {"n": IntRange(1, 9)}, validation_fraction=0.5)


def _roots(spans: InMemorySpanExporter) -> list[dict[str, object]]:
    return [
        dict(s.attributes or {})
        for s in spans.get_finished_spans()
        if (s.attributes or {}).get(C.GEN_AI_OPERATION_NAME) == C.OPERATION_INVOKE_AGENT
    ]


def test_sweep_run_tags_the_root_span(spans: InMemorySpanExporter) -> None:
    scenario = FACTORY.scenario(1)
    with sweep_run("top_k", 5, scenario=scenario, default=10, metric_name="ndcg@5", attributes={"x.y": "z"}) as t:
        t.set_reward(0.75)
    (root,) = _roots(spans)
    assert root[C.KNOB] == "top_k" and root[C.VALUE] == "5" and root[C.KNOB_DEFAULT] == "10"
    assert root[C.TASK_ID] == scenario.id and root[C.SPLIT] == scenario.split == "validation"
    assert root[C.REWARD] == 0.75 and root[C.METRIC_NAME] == "ndcg@5" and root["x.y"] == "z"
    assert C.SWEEP_DEGENERATE not in root


def test_degenerate_and_failing_runs_are_marked(spans: InMemorySpanExporter) -> None:
    with sweep_run("w", 0.25, task_id="s1", split="train") as t:
        t.set_degenerate()
    with pytest.raises(RuntimeError), sweep_run("w", 0.25, task_id="s2", degenerate=False):
        raise RuntimeError("backend down")
    finished = [s for s in spans.get_finished_spans() if (s.attributes or {}).get(C.GEN_AI_OPERATION_NAME) is not None]
    assert [dict(s.attributes or {}).get(C.SWEEP_DEGENERATE) for s in finished] == [True, False]
    assert finished[1].status.status_code == StatusCode.ERROR
    assert dict(finished[0].attributes or {})[C.VALUE] == trajdyn.canonical_value(0.25)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ConfigurationError):
        sweep_attributes("", 1)
    with pytest.raises(ConfigurationError):
        sweep_attributes("k", float("nan"))
    with pytest.raises(ConfigurationError):
        sweep_attributes("k", 1, default=float("inf"))
    with pytest.raises(ConfigurationError):
        sweep_run("k", 1)  # neither a scenario nor a task id
    assert sweep_attributes("k", 1, degenerate=True) == {C.KNOB: "k", C.VALUE: "1", C.SWEEP_DEGENERATE: True}


def test_numeric_strings_are_canonicalised_like_numbers() -> None:
    """``default="1.0"`` with ``value=1.0`` used to give value ``"1"`` and default ``"1.0"``: no train delta, never
    validated. A string that spells a number is that number's canonical string; other strings are unchanged."""
    a = sweep_attributes("k", 1.0, default="1.0")
    assert (a[C.VALUE], a[C.KNOB_DEFAULT]) == ("1", "1")
    assert sweep_attributes("k", "0.10", default=" 1e-3 ")[C.VALUE] == "0.1"
    assert sweep_attributes("k", 0.1, default="0.10")[C.KNOB_DEFAULT] == trajdyn.canonical_value(0.1)
    assert sweep_attributes("k", "007", default="-0")[C.VALUE] == "7"
    for text in ("bm25", "nan", "inf", "1_000", "0x10", "1.2.3", ""):
        assert sweep_attributes("k", "x", default=text).get(C.KNOB_DEFAULT) == text
