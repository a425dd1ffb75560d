"""The one plug-in mechanism of trajdyn: a registry of named extensions, in registration order.

Report sections (:func:`trajdyn.analyzer.report.register_section`) and file formats, span importers and result
readers alike (:func:`trajdyn.formats.register_format`), are each kept in one :class:`Registry`. The built-in entries
are loaded on first use, so importing a package costs nothing until its registry is read; an entry registered by
user code comes after them (or takes the place of a built-in one of the same name with ``replace=True``). Where
each kind of extension goes: ``docs/architecture.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar

__all__ = ["Named", "Registry"]


class Named(Protocol):
    """What a registry holds: anything with a ``name``."""

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping ``name → entry`` in registration order, with :meth:`register` and :meth:`unregister`.

    ``kind`` words the errors (``"report section"``, ``"format"``); ``builtins`` returns the built-in entries and is
    called once, on first use (a failure there propagates: a broken built-in is a bug, not bad input).
    """

    __slots__ = ("_builtins", "_entries", "_kind", "_lock")

    def __init__(self, kind: str, builtins: Callable[[], Iterable[T]]) -> None:
        self._kind = kind
        self._builtins: Callable[[], Iterable[T]] | None = builtins
        self._entries: dict[str, T] = {}
        self._lock = threading.RLock()

    def _loaded(self) -> dict[str, T]:
        if self._builtins is not None:
            with self._lock:
                if self._builtins is not None:
                    load, self._builtins = self._builtins, None
                    registered = dict(self._entries)
                    self._entries = {}
                    for entry in load():
                        self._entries[entry.name] = entry
                    self._entries.update(registered)  # nothing is registered before the first use but by tests
        return self._entries

    def register(self, entry: T, *, replace: bool = False) -> None:
        """Add ``entry`` after those already registered.

        Raises ``ValueError`` when an entry of that name exists, unless ``replace`` (which keeps its position).
        """
        name = entry.name
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self._kind} needs a non-empty name, got {name!r}")
        with self._lock:
            entries = self._loaded()
            if name in entries and not replace:
                raise ValueError(f"a {self._kind} named {name!r} is already registered")
            entries[name] = entry

    def unregister(self, name: str) -> None:
        """Remove the entry called ``name`` (``KeyError`` when there is none)."""
        with self._lock:
            entries = self._loaded()
            if name not in entries:
                raise KeyError(f"no {self._kind} named {name!r} is registered")
            del entries[name]

    def __getitem__(self, name: str) -> T:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._loaded()))

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"Registry({self._kind!r}: {', '.join(self._loaded())})"
