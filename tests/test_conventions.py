"""The wire contract is spelled once: in trajdyn.conventions, mirrored by docs/conventions.md."""

from __future__ import annotations

import ast
from pathlib import Path

from trajdyn import conventions as C

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
SRC = ROOT / "src" / "trajdyn"


def _constant_values() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(C).items()
        if name.isupper() and isinstance(value, str) and value.startswith(("trajdyn.", "gen_ai.")) and "/" not in value
    }


def test_every_attribute_key_is_documented() -> None:
    missing = [key for key in C.ATTRIBUTE_TYPES if f"`{key}`" not in DOC]
    assert missing == []


def test_every_event_and_env_var_is_documented() -> None:
    names = [C.EVENT_CUE_HIT, C.EVENT_ADOPTION, C.EVENT_RETRY, C.EVENT_FAILURE, C.EVENT_EXCEPTION]
    names += [value for name, value in vars(C).items() if name.startswith("ENV_") and isinstance(value, str)]
    missing = [name for name in names if f"`{name}`" not in DOC]
    assert missing == []


def test_documented_trajdyn_keys_exist_in_the_module() -> None:
    known = set(_constant_values().values()) | set(C.ATTRIBUTE_TYPES)
    documented = {
        token.strip("`")
        for token in DOC.split()
        if token.startswith("`trajdyn.") and token.endswith("`") and not any(c in token for c in "<…*")
    }
    assert documented - known - {"trajdyn.conventions"} == set()


def test_attribute_types_cover_every_key_constant() -> None:
    keys = {
        value
        for name, value in _constant_values().items()
        if not name.startswith(
            ("EVENT_", "COVERAGE_PREFIX", "METRICS_PREFIX", "INSTRUMENT_PREFIX", "IMPORT_", "FOREIGN_")
        )
        and not value.endswith(".")
        and name != "INSTRUMENTATION_SCOPE"
    }
    assert keys - set(C.ATTRIBUTE_TYPES) == set()


def test_every_foreign_key_is_documented() -> None:
    """Keys trajdyn reads from other conventions (never writes) are listed in docs/conventions.md."""
    foreign = [value for name, value in vars(C).items() if name.startswith("FOREIGN_") and isinstance(value, str)]
    assert len(foreign) > 20
    assert [key for key in foreign if f"`{key}`" not in DOC] == []


def test_no_other_module_spells_a_key() -> None:
    """Nothing in src/ but conventions.py has a string literal equal to a conventions key."""
    keys = set(_constant_values().values()) | set(C.ATTRIBUTE_TYPES)
    offenders: list[str] = []
    for path in SRC.rglob("*.py"):
        if path.name == "conventions.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in keys:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []
