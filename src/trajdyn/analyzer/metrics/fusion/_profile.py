"""Target profiles: the task mix a user actually runs (docs/metrics/fusion.md#target-profile).

A profile is a JSON or YAML object with exactly one of

* ``strata``: ``{"math": 0.2, "code": 0.8}`` — a share per stratum (a category, or a cluster name ``cluster-3``);
* ``tasks``: ``{"task_12": 0.5, "task_7": 0.5}`` — a share per task id;
* ``texts``: ``["Cancel my flight …", …]`` — example target tasks, each assigned to the nearest task cluster, so that
  the target share of a cluster is the fraction of examples it receives (only with clustered strata);

and optionally ``name`` (a label in the report). Shares are numbers ≥ 0 with a positive total; shares that do not
sum to 1 (counts, percentages) are divided by their total, and the report says so (``total_given``). Every problem
is a :class:`~trajdyn.exceptions.ConfigurationError` naming the file and the bad entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from trajdyn.exceptions import ConfigurationError

__all__ = ["PROFILE_KINDS", "ProfileKind", "TargetProfile", "load_profile", "parse_profile"]

ProfileKind = Literal["strata", "tasks", "texts"]
PROFILE_KINDS: Final[tuple[ProfileKind, ...]] = ("strata", "tasks", "texts")
_SUM_TOLERANCE: Final = 1e-9


@dataclass(frozen=True, slots=True)
class TargetProfile:
    """A parsed target profile. ``shares`` (strata or tasks kinds) sum to 1, in the file's order; ``texts`` holds
    the example tasks of the texts kind; ``total_given`` is the sum of the shares as written (1 when they were
    shares already; the number of examples for texts)."""

    kind: ProfileKind
    source: str
    name: str | None = None
    shares: tuple[tuple[str, float], ...] = ()
    texts: tuple[str, ...] = ()
    total_given: float = 1.0

    def as_dict(self) -> dict[str, float]:
        """The shares as a mapping (key → share)."""
        return dict(self.shares)


def _bad(source: str, where: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"{source}: {where}: {problem}")


def _shares(source: str, kind: str, raw: object) -> tuple[tuple[tuple[str, float], ...], float]:
    if not isinstance(raw, Mapping) or not raw:
        raise _bad(source, kind, f"expected a non-empty object of {kind[:-1]} → share, got {type(raw).__name__}")
    out: list[tuple[str, float]] = []
    for key, value in raw.items():
        where = f"{kind}.{key}"
        if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
            raise _bad(source, where, "expected a non-empty name")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise _bad(source, where, f"expected a finite share >= 0, got {value!r}")
        out.append((str(key), float(value)))
    total = math.fsum(v for _, v in out)
    if total <= 0:
        raise _bad(source, kind, "every share is 0: the target mix is empty")
    if abs(total - 1.0) <= _SUM_TOLERANCE:
        return tuple(out), 1.0
    return tuple((k, v / total) for k, v in out), total


def parse_profile(document: object, source: str = "<profile>") -> TargetProfile:
    """The :class:`TargetProfile` of a parsed JSON/YAML ``document``; ``source`` names it in errors."""
    if not isinstance(document, Mapping):
        raise _bad(source, "top level", f"expected an object with one of {', '.join(PROFILE_KINDS)}")
    unknown = sorted(str(k) for k in document if k not in (*PROFILE_KINDS, "name", "description"))
    if unknown:
        raise _bad(source, unknown[0], f"unknown key (known: {', '.join(PROFILE_KINDS)}, name, description)")
    given = [k for k in PROFILE_KINDS if k in document]
    if len(given) != 1:
        raise _bad(source, "top level", f"expected exactly one of {', '.join(PROFILE_KINDS)}, got {given or 'none'}")
    kind = given[0]
    name = document.get("name")
    if name is not None and not isinstance(name, str):
        raise _bad(source, "name", f"expected a string, got {name!r}")
    if kind == "texts":
        texts = document["texts"]
        if not isinstance(texts, list) or not texts:
            raise _bad(source, "texts", "expected a non-empty list of example task texts")
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise _bad(source, f"texts[{i}]", f"expected a non-empty string, got {text!r}")
        return TargetProfile("texts", source, name, texts=tuple(texts), total_given=float(len(texts)))
    shares, total = _shares(source, kind, document[kind])
    return TargetProfile(kind, source, name, shares=shares, total_given=total)


def load_profile(path: str | Path) -> TargetProfile:
    """Read and check a profile file (``.yaml``/``.yml`` as YAML, anything else as JSON)."""
    p = Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{source}: cannot read the target profile: {exc}") from None
    document: Any
    if p.suffix.lower() in (".yaml", ".yml"):
        from trajdyn.analyzer.metrics.playbook._entries import _yaml

        yaml = _yaml()
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}" if mark is not None else "top level"
            raise _bad(source, line, "not valid YAML") from None
    else:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise _bad(source, f"line {getattr(exc, 'lineno', 0)}", f"not JSON: {getattr(exc, 'msg', exc)}") from None
    return parse_profile(document, source)
