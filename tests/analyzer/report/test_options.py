"""Typed section options: each section reads frozen objects by type; a misspelt field or an object no section reads
is an error, never ignored; a plug-in section brings its own options type; defaults agree with the metrics'."""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

pl = pytest.importorskip("polars", reason="needs the analyze extra")

from tests.analyzer._dumps import lines_of, seeded_spans, write_lines  # noqa: E402
from trajdyn.analyzer import (  # noqa: E402
    DynamicsOptions,
    EmbeddingOptions,
    ExplorationOptions,
    InputProblem,
    PlaybookOptions,
    ReportOptions,
    TrendsOptions,
    analyze,
    read_spans,
    steps,
)
from trajdyn.analyzer.metrics import exploration  # noqa: E402
from trajdyn.analyzer.metrics.trends import Settings  # noqa: E402
from trajdyn.analyzer.report import (  # noqa: E402
    Report,
    ReportContext,
    ReportSection,
    SectionResult,
    register_section,
    registered_sections,
    unregister_section,
)
from trajdyn.exceptions import ConfigurationError  # noqa: E402


@pytest.fixture
def dump(tmp_path: Path) -> str:
    (path,) = write_lines(tmp_path, lines_of(seeded_spans(3, 4), [64]))
    return path


def test_options_are_looked_up_by_type_with_defaults_for_the_others() -> None:
    options = ReportOptions(ExplorationOptions(window=5), TrendsOptions(group_by="dir"))
    assert options.get(ExplorationOptions).window == 5 and options.get(TrendsOptions).group_by == "dir"
    assert options.get(DynamicsOptions) == DynamicsOptions()  # not given: its defaults
    assert options.find(DynamicsOptions) is None and options.find(ExplorationOptions) == ExplorationOptions(window=5)
    replaced = options.replace(ExplorationOptions(window=7), DynamicsOptions(shuffles=0))
    assert replaced.get(ExplorationOptions).window == 7 and replaced.get(DynamicsOptions).shuffles == 0
    assert options.get(ExplorationOptions).window == 5 and len(options) == 2  # immutable
    assert ReportOptions.of([ExplorationOptions(window=5), TrendsOptions(group_by="dir")]) == options


def test_an_options_object_is_given_once_and_must_be_a_frozen_dataclass() -> None:
    with pytest.raises(ValueError, match="two ExplorationOptions"):
        ReportOptions(ExplorationOptions(), ExplorationOptions(window=3))
    with pytest.raises(TypeError, match="frozen dataclass"):
        ReportOptions({"window": 3})

    @dataclass
    class Mutable:
        x: int = 0

    with pytest.raises(TypeError, match="must be frozen"):
        ReportOptions(Mutable())


def test_a_misspelt_field_is_an_error_where_the_options_are_made() -> None:
    with pytest.raises(TypeError, match="windw"):
        ExplorationOptions(windw=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="min_efect"):
        TrendsOptions(min_efect=1.0)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ExplorationOptions(window=0), "window"),
        (lambda: ExplorationOptions(eta=float("nan")), "eta"),
        (lambda: DynamicsOptions(shuffles=1), "shuffles"),
        (lambda: PlaybookOptions(recent_window=0), "recent_window"),
        (lambda: TrendsOptions(min_effect=float("inf")), "min_effect"),
        (lambda: TrendsOptions(per_task="yes"), "per_task"),
        (lambda: EmbeddingOptions(backend="word2vec"), "embeddings backend"),
    ],
)
def test_a_bad_value_is_a_configuration_error_naming_the_option(make: Any, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        make()


def test_options_no_section_reads_are_an_error_before_any_input_is_read(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Stray:
        x: int = 1

    with pytest.raises(ConfigurationError, match="no report section reads Stray options"):
        analyze([str(tmp_path / "does-not-exist.jsonl")], options=[Stray()])


def test_options_of_a_registered_section_not_chosen_are_no_error(dump: str) -> None:
    (exploration_section,) = [s for s in registered_sections() if s.name == "exploration"]
    report = analyze([dump], options=[TrendsOptions(group_by="task")], sections=[exploration_section])
    assert [s.name for s in report.sections] == ["exploration"]


@dataclass(frozen=True, slots=True)
class CountOptions:
    """The plug-in section's own options."""

    phase: str = "propose"
    scale: int = 1


class CountSection(ReportSection):
    """A plug-in section: steps of one phase per trajectory, times a scale."""

    name: ClassVar[str] = "count"

    def options_types(self) -> tuple[type[Any], ...]:
        return (CountOptions,)

    def compute(self, ctx: ReportContext) -> SectionResult:
        options = ctx.options.get(CountOptions)
        counts = ctx.steps.filter(pl.col("phase") == options.phase).group_by("trajectory_id").len()
        return SectionResult(per_trajectory={t: {"n": n * options.scale} for t, n in counts.iter_rows()})

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        return ["## Count", ""]

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[Any]:
        return []


def test_a_plug_in_section_brings_its_own_options_type(dump: str) -> None:
    with pytest.raises(ConfigurationError, match="no report section reads CountOptions"):
        analyze([dump], options=[CountOptions()])
    register_section(CountSection())
    try:
        plain = analyze([dump]).to_dict()
        scaled = analyze([dump], options=[CountOptions(phase="decide", scale=10)]).to_dict()
    finally:
        unregister_section("count")
    frame = steps(read_spans(dump))
    expected = {
        phase: dict(frame.filter(pl.col("phase") == phase).group_by("trajectory_id").len().iter_rows())
        for phase in ("propose", "decide")
    }
    assert {t["trajectory_id"]: t["count"]["n"] for t in plain["trajectories"]} == expected["propose"]
    assert {t["trajectory_id"]: t["count"]["n"] for t in scaled["trajectories"]} == {
        tid: 10 * n for tid, n in expected["decide"].items()
    }


def test_the_options_defaults_are_the_metrics_defaults() -> None:
    signature = inspect.signature(exploration)
    explored = ExplorationOptions()
    for name in ("window", "eta", "top"):
        assert getattr(explored, name) == signature.parameters[name].default, name
    settings, trends = Settings(), TrendsOptions().settings()
    for field in dataclasses.fields(Settings):
        assert getattr(trends, field.name) == getattr(settings, field.name), field.name


def test_read_error_is_a_deprecated_name_of_input_problem() -> None:
    import trajdyn.analyzer as analyzer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = analyzer.ReadError
    assert old is InputProblem
    assert [w.category for w in caught] == [DeprecationWarning] and "InputProblem" in str(caught[0].message)
