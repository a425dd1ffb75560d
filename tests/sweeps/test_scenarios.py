"""The scenario factory: deterministic parameters, a fixed split by seed id, degenerate scenarios skipped and counted."""

from __future__ import annotations

import pytest

from trajdyn.exceptions import ConfigurationError
from trajdyn.sweeps import Choice, IntRange, LogUniform, Scenario, ScenarioFactory, Uniform

AXES = {
    "n_docs": IntRange(5, 100),
    "shape": Choice("uniform", "clustered", "bimodal"),
    "noise": Uniform(0.0, 0.5),
    "scale": LogUniform(0.01, 10.0),
}


def test_parameters_are_deterministic_and_independent_of_other_seeds_and_axes() -> None:
    f = ScenarioFactory("retrieval", AXES)
    a = f.generate(50)
    b = ScenarioFactory("retrieval", AXES).generate(range(49, -1, -1))
    assert {s.seed_id: dict(s.params) for s in a} == {s.seed_id: dict(s.params) for s in b}
    fewer = ScenarioFactory("retrieval", {"noise": AXES["noise"]}).generate(50)
    assert [s.params["noise"] for s in fewer] == [s.params["noise"] for s in a]
    other = ScenarioFactory("ranking", AXES).generate(50)
    assert [s.params for s in other] != [s.params for s in a]
    for s in a:
        assert 5 <= int(s.params["n_docs"]) <= 100 and s.params["shape"] in AXES["shape"].options  # type: ignore[attr-defined]
        assert 0.01 <= float(s.params["scale"]) <= 10.0
    assert a.scenarios[7].id == "retrieval-0007"
    assert a.scenarios[3].rng().random() == f.scenario(3).rng().random()


@pytest.mark.parametrize("fraction", [0.3, 0.25, 0.1, 0.5])
def test_every_prefix_holds_floor_n_f_validation_seeds(fraction: float) -> None:
    f = ScenarioFactory("r", {"x": Uniform(0, 1)}, validation_fraction=fraction)
    ids = [f.split_of(i) for i in range(200)]
    for n in range(1, 201):
        assert ids[:n].count("validation") == int(n * fraction + 1e-9)
    s = f.generate(100)
    assert len(s.validation) == int(100 * fraction + 1e-9) and len(s.train) + len(s.validation) == 100


def test_degenerate_scenarios_are_skipped_with_a_count_and_reason() -> None:
    def degenerate(s: Scenario) -> str | None:
        return "too few documents" if int(s.params["n_docs"]) < 20 else None

    s = ScenarioFactory("retrieval", AXES, degenerate=degenerate).generate(100)
    assert s.n_skipped > 0 and len(s) + s.n_skipped == 100
    assert all(int(sc.params["n_docs"]) >= 20 for sc in s)
    assert s.skipped_by_reason() == {"too few documents": s.n_skipped}
    fresh = ScenarioFactory("retrieval", AXES).generate(range(1000, 1010), split="test")
    assert {sc.split for sc in fresh} == {"test"} and len(fresh.split("test")) == 10


def test_bad_configuration_raises() -> None:
    with pytest.raises(ConfigurationError):
        ScenarioFactory("", AXES)
    with pytest.raises(ConfigurationError):
        ScenarioFactory("r", {})
    with pytest.raises(ConfigurationError):
        ScenarioFactory("r", AXES, validation_fraction=1.0)
    with pytest.raises(ConfigurationError):
        Uniform(1.0, 0.0)
    with pytest.raises(ConfigurationError):
        LogUniform(0.0, 1.0)
    with pytest.raises(ConfigurationError):
        ScenarioFactory("r", AXES).generate([1, 1])
    with pytest.raises(ConfigurationError):
        ScenarioFactory("r", AXES).scenario(-1)
