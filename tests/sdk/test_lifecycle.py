"""The lifecycle is a hook registry below every stateful module: hooks run at each moment, in order; no import cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import trajdyn
from tests.sdk.conftest import REPO_ROOT
from trajdyn.sdk import _lifecycle

SDK_DIR = REPO_ROOT / "src" / "trajdyn" / "sdk"


@pytest.fixture
def calls() -> Iterator[list[tuple[str, object]]]:
    """Two registered hook sets that record every call (and are removed afterwards)."""
    seen: list[tuple[str, object]] = []

    def hooks(tag: str, flushed: bool) -> _lifecycle.Hooks:
        def flush(timeout_millis: int) -> bool:
            seen.append((f"{tag}.flush", timeout_millis))
            return flushed

        return _lifecycle.Hooks(
            end=lambda reason: seen.append((f"{tag}.end", reason)),
            flush=flush,
            close=lambda: seen.append((f"{tag}.close", None)),
            report=lambda: seen.append((f"{tag}.report", None)),
            forget=lambda: seen.append((f"{tag}.forget", None)),
        )

    a, b = _lifecycle.register(hooks("a", True)), _lifecycle.register(hooks("b", False))
    yield seen
    _lifecycle.unregister(a)
    _lifecycle.unregister(b)


def test_shutdown_ends_flushes_closes_then_reports(calls: list[tuple[str, object]]) -> None:
    """shutdown(): every end hook (with the reason), every flush (with the timeout), every close, every report."""
    trajdyn.shutdown(1234)
    ours = [c for c in calls if c[0][0] in "ab"]
    assert ours == [
        ("a.end", "trajdyn shut down before the trajectory ended"),
        ("b.end", "trajdyn shut down before the trajectory ended"),
        ("a.flush", 1234),
        ("b.flush", 1234),
        ("a.close", None),
        ("b.close", None),
        ("a.report", None),
        ("b.report", None),
    ]


def test_flush_is_true_only_when_every_hook_delivered(calls: list[tuple[str, object]]) -> None:
    """One hook that could not deliver makes flush() False; every hook is still asked."""
    assert trajdyn.flush(50) is False
    assert [c for c in calls if c[0].endswith(".flush")] == [("a.flush", 50), ("b.flush", 50)]


def test_reset_ends_closes_and_forgets_without_flushing_or_reporting(calls: list[tuple[str, object]]) -> None:
    """reset() (a test helper): end, close, forget; no summary line and no flush of its own."""
    trajdyn.sdk.reset()
    assert [name for name, _ in calls] == ["a.end", "b.end", "a.close", "b.close", "a.forget", "b.forget"]


def test_unregistered_hooks_are_not_run(calls: list[tuple[str, object]]) -> None:
    """unregister() removes exactly the object that was registered."""
    extra = _lifecycle.register(_lifecycle.Hooks(close=lambda: calls.append(("extra.close", None))))
    _lifecycle.unregister(extra)
    _lifecycle.unregister(extra)  # a second time: nothing to remove, no error
    trajdyn.sdk.reset()
    assert ("extra.close", None) not in calls


def _sdk_imports(path: Path) -> set[str]:
    """The trajdyn.sdk modules ``path`` imports, at any depth (function-level and TYPE_CHECKING imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "trajdyn.sdk":
                found.update(f"trajdyn.sdk.{a.name}" for a in node.names if (SDK_DIR / f"{a.name}.py").exists())
            elif node.module.startswith("trajdyn.sdk."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("trajdyn.sdk."))
    return found


def test_the_sdk_has_no_import_cycle() -> None:
    """The modules of trajdyn.sdk import each other without a cycle (every import counted, lazy ones too)."""
    graph = {f"trajdyn.sdk.{p.stem}": _sdk_imports(p) for p in SDK_DIR.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for dep in sorted(graph.get(module, ())):
            visit(dep, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
    assert len(done) == len(graph) >= 15


def test_the_lifecycle_imports_no_stateful_module() -> None:
    """The lifecycle knows no module that registers with it: it imports only the internal-error policy."""
    assert _sdk_imports(SDK_DIR / "_lifecycle.py") == {"trajdyn.sdk._errors"}
