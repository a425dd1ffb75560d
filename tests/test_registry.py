"""The one plug-in mechanism (``trajdyn._registry.Registry``): order, lazy built-ins, names, replacing, removing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from trajdyn._registry import Registry


@dataclass(frozen=True)
class Entry:
    name: str
    value: int = 0


def test_builtins_load_once_on_first_use_and_come_first() -> None:
    calls: list[int] = []

    def builtins() -> list[Entry]:
        calls.append(1)
        return [Entry("a"), Entry("b")]

    registry: Registry[Entry] = Registry("thing", builtins)
    assert calls == []  # nothing is loaded until the registry is read
    registry.register(Entry("mine"))  # registered before first use: still after the built-ins
    assert list(registry) == ["a", "b", "mine"]
    assert list(registry) == ["a", "b", "mine"] and calls == [1]


def test_a_taken_name_is_an_error_unless_replaced_in_place() -> None:
    registry: Registry[Entry] = Registry("thing", lambda: [Entry("a", 1), Entry("b", 2)])
    with pytest.raises(ValueError, match="a thing named 'a' is already registered"):
        registry.register(Entry("a", 9))
    registry.register(Entry("a", 9), replace=True)
    assert [(e.name, e.value) for e in registry.values()] == [("a", 9), ("b", 2)]


def test_unregister_removes_and_names_a_missing_entry() -> None:
    registry: Registry[Entry] = Registry("thing", lambda: [Entry("a"), Entry("b")])
    registry.unregister("a")
    assert list(registry) == ["b"] and "a" not in registry and registry.get("a") is None
    with pytest.raises(KeyError, match="no thing named 'a'"):
        registry.unregister("a")


def test_an_entry_needs_a_name() -> None:
    registry: Registry[Entry] = Registry("thing", list)
    with pytest.raises(ValueError, match="non-empty name"):
        registry.register(Entry(""))
    assert len(registry) == 0
