"""A small deterministic parametric scenario generator: seeds → parameters along declared axes.

After popoto's ``ScenarioFactory`` (``../shared/seeds/004_*``): a fixed bank of generated scenarios instead of a few
hand-written ones, so that a sweep or a keep/revert loop is not tuned to three test cases. Rules:

- **Determinism.** The value of axis ``a`` for seed ``i`` is drawn from ``random.Random("<name>/<i>/<a>")`` (a string
  seed is hashed with SHA-512, the same on every platform and Python version): a seed's parameters never depend on how
  many seeds were generated, nor on the other axes (adding an axis leaves the others' values alone).
  :meth:`Scenario.rng` gives a generator for the scenario's own contents, seeded the same way.
- **A fixed split by seed id.** Seed ``i`` is in the validation split when ``⌊(i+1)·f⌋ > ⌊i·f⌋`` for the validation
  fraction ``f`` (exact rational arithmetic): every prefix ``0..n−1`` of the seed ids holds ``⌊n·f⌋`` validation
  seeds, and a seed's split never changes when more seeds are generated. No shuffling.
- **Degenerate scenarios are skipped and counted**, never silently dropped: ``degenerate(scenario)`` returns a reason
  (or ``None``); :class:`ScenarioSet` keeps the skipped seeds with their reasons.

See docs/sdk.md#scenarios.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Final, TypeAlias

from trajdyn import conventions as C
from trajdyn.exceptions import ConfigurationError

__all__ = [
    "Axis",
    "Choice",
    "DegenerateCheck",
    "IntRange",
    "LogUniform",
    "Scenario",
    "ScenarioFactory",
    "ScenarioSet",
    "Skipped",
    "Uniform",
]

ParamValue: TypeAlias = float | int | str
_SPLIT_TRAIN: Final = C.SPLITS[0]
_SPLIT_VALIDATION: Final = C.SPLITS[1]


def _check_range(kind: str, low: float, high: float) -> None:
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ConfigurationError(f"{kind} axis: expected finite low <= high, got {low!r}, {high!r}")


@dataclass(frozen=True, slots=True)
class Uniform:
    """A float drawn uniformly from ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range("Uniform", self.low, self.high)

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class LogUniform:
    """A float whose logarithm is uniform on ``[log low, log high]`` (``0 < low <= high``)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range("LogUniform", self.low, self.high)
        if self.low <= 0:
            raise ConfigurationError(f"LogUniform axis: expected low > 0, got {self.low!r}")

    def draw(self, rng: random.Random) -> float:
        return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))


@dataclass(frozen=True, slots=True)
class IntRange:
    """An integer drawn uniformly from ``low..high`` inclusive."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not isinstance(self.low, int) or not isinstance(self.high, int) or self.low > self.high:
            raise ConfigurationError(f"IntRange axis: expected integers low <= high, got {self.low!r}, {self.high!r}")

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)


@dataclass(frozen=True, slots=True, init=False)
class Choice:
    """One of the given options, each equally likely: ``Choice("uniform", "clustered", "bimodal")``."""

    options: tuple[ParamValue, ...]

    def __init__(self, *options: ParamValue) -> None:
        if not options:
            raise ConfigurationError("Choice axis: expected at least one option")
        object.__setattr__(self, "options", tuple(options))

    def draw(self, rng: random.Random) -> ParamValue:
        return self.options[rng.randrange(len(self.options))]


Axis: TypeAlias = Uniform | LogUniform | IntRange | Choice


@dataclass(frozen=True, slots=True)
class Scenario:
    """One generated scenario: its seed id, its split, and its parameters (axis name → value, in axis order)."""

    factory: str
    seed_id: int
    split: str
    params: Mapping[str, ParamValue]

    @property
    def id(self) -> str:
        """``<factory name>-<seed id>`` (``retrieval-0007``), the scenario's task id in a sweep's spans."""
        return f"{self.factory}-{self.seed_id:04d}"

    def rng(self, purpose: str = "contents") -> random.Random:
        """A generator for the scenario's own random contents, the same for the same factory, seed and purpose."""
        return random.Random(f"{self.factory}/{self.seed_id}/#{purpose}")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A seed whose scenario was degenerate, with the reason ``degenerate`` gave."""

    seed_id: int
    split: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    """The scenarios of some seeds, in seed order, and the seeds skipped as degenerate."""

    scenarios: tuple[Scenario, ...]
    skipped: tuple[Skipped, ...] = field(default=())

    @property
    def train(self) -> tuple[Scenario, ...]:
        """The scenarios of the train split."""
        return tuple(s for s in self.scenarios if s.split == _SPLIT_TRAIN)

    @property
    def validation(self) -> tuple[Scenario, ...]:
        """The scenarios of the validation split."""
        return tuple(s for s in self.scenarios if s.split == _SPLIT_VALIDATION)

    def split(self, name: str) -> tuple[Scenario, ...]:
        """The scenarios of the split called ``name``."""
        return tuple(s for s in self.scenarios if s.split == name)

    @property
    def n_skipped(self) -> int:
        """How many seeds were skipped as degenerate."""
        return len(self.skipped)

    def skipped_by_reason(self) -> dict[str, int]:
        """Skipped seeds counted by reason, most frequent first (ties by reason)."""
        counts = Counter(s.reason for s in self.skipped)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)


DegenerateCheck: TypeAlias = Callable[[Scenario], "str | None"]
"""Returns why a scenario is degenerate (no relevant document, a trivial ranking …), or ``None`` when it is usable."""


def _fraction(value: float, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ConfigurationError(f"expected {what} in [0, 1), got {value!r}")
    return Fraction(value).limit_denominator(1_000_000)


class ScenarioFactory:
    """Deterministic scenarios from seed ids along declared axes, split into train and validation by seed id.

    Args:
        name: the factory's name: part of every seed (two factories with different names draw different values)
            and of every scenario id.
        axes: axis name → :class:`Uniform` / :class:`LogUniform` / :class:`IntRange` / :class:`Choice`.
        validation_fraction: the share of seed ids in the validation split (default 0.3, popoto's 70/30).
        degenerate: optional check; a scenario it gives a reason for is skipped and counted.

    Raises:
        ConfigurationError: no axes, an axis that is not one of the axis types, a bad fraction or an empty name.
    """

    def __init__(
        self,
        name: str,
        axes: Mapping[str, Axis],
        *,
        validation_fraction: float = 0.3,
        degenerate: DegenerateCheck | None = None,
    ) -> None:
        if not isinstance(name, str) or not name or "/" in name:
            raise ConfigurationError(f"expected a non-empty factory name without '/', got {name!r}")
        if not axes:
            raise ConfigurationError("expected at least one axis")
        for axis_name, axis in axes.items():
            if not isinstance(axis_name, str) or not axis_name:
                raise ConfigurationError(f"expected axis names to be non-empty strings, got {axis_name!r}")
            if not isinstance(axis, Uniform | LogUniform | IntRange | Choice):
                raise ConfigurationError(f"axis {axis_name!r}: expected Uniform, LogUniform, IntRange or Choice")
        self.name = name
        self.axes: Mapping[str, Axis] = MappingProxyType(dict(axes))
        self.validation_fraction = _fraction(validation_fraction, "validation_fraction")
        self.degenerate = degenerate

    def split_of(self, seed_id: int) -> str:
        """The split of ``seed_id``: validation when ``⌊(i+1)·f⌋ > ⌊i·f⌋``, else train."""
        f = self.validation_fraction
        return _SPLIT_VALIDATION if math.floor((seed_id + 1) * f) > math.floor(seed_id * f) else _SPLIT_TRAIN

    def params(self, seed_id: int) -> dict[str, ParamValue]:
        """The parameters of ``seed_id``: each axis drawn from its own seeded generator."""
        return {a: axis.draw(random.Random(f"{self.name}/{seed_id}/{a}")) for a, axis in self.axes.items()}

    def scenario(self, seed_id: int, *, split: str | None = None) -> Scenario:
        """The scenario of ``seed_id`` (not checked for degeneracy); ``split`` overrides the split rule."""
        if isinstance(seed_id, bool) or not isinstance(seed_id, int) or seed_id < 0:
            raise ConfigurationError(f"expected a seed id >= 0, got {seed_id!r}")
        if split is not None and split not in C.SPLITS:
            raise ConfigurationError(f"expected split in {C.SPLITS}, got {split!r}")
        return Scenario(
            factory=self.name,
            seed_id=seed_id,
            split=split if split is not None else self.split_of(seed_id),
            params=MappingProxyType(self.params(seed_id)),
        )

    def generate(self, seeds: int | Iterable[int], *, split: str | None = None) -> ScenarioSet:
        """The scenarios of ``seeds`` (``n`` means seed ids ``0..n−1``), degenerate ones skipped and counted.

        ``split`` labels every scenario with that split instead of the split rule: ``generate(range(1000, 1030),
        split="test")`` gives a fresh split for :meth:`trajdyn.Ratchet.confirm`, disjoint from seeds ``0..999``.
        """
        ids: Sequence[int] = range(seeds) if isinstance(seeds, int) else list(seeds)
        if len(set(ids)) != len(ids):
            raise ConfigurationError("expected distinct seed ids")
        kept: list[Scenario] = []
        skipped: list[Skipped] = []
        for seed_id in ids:
            sc = self.scenario(seed_id, split=split)
            reason = self.degenerate(sc) if self.degenerate is not None else None
            if reason is None:
                kept.append(sc)
            else:
                skipped.append(Skipped(seed_id, sc.split, str(reason)))
        return ScenarioSet(tuple(kept), tuple(skipped))

    def __repr__(self) -> str:
        return f"ScenarioFactory({self.name!r}, axes={list(self.axes)}, validation_fraction={self.validation_fraction})"
