""":class:`ReportOptions`: the options of a report's sections, one frozen, typed object per options type.

Each section declares the options types it reads (:meth:`~trajdyn.analyzer.report.ReportSection.options_types`):
``exploration`` reads :class:`~trajdyn.analyzer.metrics.exploration.ExplorationOptions`, ``dynamics`` and
``sensitivity`` :class:`~trajdyn.analyzer.metrics.dynamics.DynamicsOptions` and
:class:`~trajdyn.analyzer.embeddings.EmbeddingOptions`, ``playbook``
:class:`~trajdyn.analyzer.metrics.playbook.PlaybookOptions` and a
:class:`~trajdyn.analyzer.metrics.playbook.LintResult`, ``trends``
:class:`~trajdyn.analyzer.report.TrendsOptions`. A plug-in section brings its own type. A section asks for its
options by type (:meth:`ReportOptions.get`), so a misspelt field is a ``TypeError`` where the object is made, and
an options object no registered section reads is an error when the report is built (docs/report.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["ReportOptions"]

T = TypeVar("T")


def _check(option: object) -> None:
    if isinstance(option, type) or not dataclasses.is_dataclass(option):
        raise TypeError(f"expected a section's options object (a frozen dataclass instance), got {option!r}")
    params: Any = getattr(option, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"section options must be frozen dataclasses, {type(option).__name__} is not")


class ReportOptions:
    """The options objects of a report's sections, at most one of each type; the others take their defaults.

    ``ReportOptions(ExplorationOptions(window=5), TrendsOptions(group_by="dir"))``. Immutable: :meth:`replace`
    returns a copy with some objects added or replaced.
    """

    __slots__ = ("_by_type",)

    def __init__(self, *options: object) -> None:
        by_type: dict[type[Any], object] = {}
        for option in options:
            _check(option)
            kind = type(option)
            if kind in by_type:
                raise ValueError(f"two {kind.__name__} options given: give each options type once")
            by_type[kind] = option
        self._by_type = by_type

    @classmethod
    def of(cls, options: ReportOptions | Iterable[object] | None) -> ReportOptions:
        """``options`` as a :class:`ReportOptions` (from an iterable of options objects, or none)."""
        if isinstance(options, ReportOptions):
            return options
        return cls(*(options or ()))

    def get(self, kind: type[T]) -> T:
        """The options object of type ``kind`` that was given, else ``kind()`` (its defaults)."""
        found = self._by_type.get(kind)
        return found if isinstance(found, kind) else kind()

    def find(self, kind: type[T]) -> T | None:
        """The options object of type ``kind`` that was given, else ``None`` (for types without defaults)."""
        found = self._by_type.get(kind)
        return found if isinstance(found, kind) else None

    def replace(self, *options: object) -> ReportOptions:
        """A copy with ``options`` added, each replacing a given object of its type."""
        for option in options:
            _check(option)
        merged = {**self._by_type, **{type(o): o for o in options}}
        return ReportOptions(*merged.values())

    def types(self) -> tuple[type[Any], ...]:
        """The types of the objects given."""
        return tuple(self._by_type)

    def __iter__(self) -> Iterator[object]:
        return iter(tuple(self._by_type.values()))

    def __len__(self) -> int:
        return len(self._by_type)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReportOptions) and self._by_type == other._by_type

    def __repr__(self) -> str:
        return f"ReportOptions({', '.join(map(repr, self._by_type.values()))})"
