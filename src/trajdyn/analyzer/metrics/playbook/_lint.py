"""The playbook entry linter: Atlas's three rubric gates and four weighted scores per entry (docs/metrics/playbook.md).

``trajdyn-analyze --playbook entries.json`` on the command line; from Python::

    from trajdyn.analyzer.metrics.playbook import LintConfig, lint_playbook
    result = lint_playbook("entries.yaml", LintConfig(allowed_handles=("logs.search", "data.query*")))
    for entry in result.entries:
        print(entry.entry_id, entry.passed, entry.reasons)

An entry (Atlas ``playbook_entry.v1``): ``{id?, cue: {type, pattern, description?}, action: {imperative,
runtime_handle}, expected_effect, scope: {category?, constraints?, applies_when?} | str, provenance?}``. A cue given
as a string is a keyword cue and an action given as a string is its imperative (as Atlas coerces them). An entry
without ``id`` gets Atlas's stable id ``playbook-entry-<sha256[:12]>`` of (audience, cue type, cue pattern,
imperative, runtime handle, scope constraints), so lint results join the impact report of the same entries.

Gates (reference: Arc-Computer/atlas-sdk ``atlas/learning/playbook_entries.py``):

- **actionability**: the imperative is non-empty and the runtime handle is allowed: equal (case-insensitive) to an
  allowed handle, or starting with an allowed prefix (``handle_prefixes``, or an allowed handle ending in ``*``).
  With no allowed handles and no prefixes configured, any non-empty handle passes (Atlas would reject every handle;
  a linter without a tool list can still check that one is named). ``allow_missing_handle`` waives the handle.
- **cue**: the cue type is one of ``cue_types`` (default regex, keyword, predicate), the pattern is non-empty, and a
  regex pattern compiles (Python ``re``). Atlas silently rewrites an unknown type to ``keyword`` before gating; the
  linter reports it instead.
- **generality**: over cue pattern + description, imperative, expected effect, scope constraints + applies_when: the
  text is non-empty and has no banned token (default incident, ticket, case, postmortem; matched case-insensitively at
  the start of a word — Atlas matched substrings, so ``lowercase`` failed on ``case``), no date (``2024``,
  ``2024-05``, ``2024/05/17``), no incident reference (``ticket #123``, ``case-789``), no file path with an extension
  (``/etc/app.yaml``, ``./run.sh``).

Scores (computed even when a gate fails): actionability and generality 1 when their gate passes (or is not
enforced) else 0; hookability 1.0 for a regex cue, 0.6 for a predicate, 0.4 for any other type, 0 when the cue is
invalid; concision 1 when len(imperative + " " + expected effect + " " + constraints + " " + pattern) ≤
``max_text_length`` (420) else max(0, 1 − overflow / limit). weighted_score = Σ score·weight / Σ weight with weights
actionability 0.4, generality 0.3, hookability 0.2, concision 0.1. An entry passes when every enforced gate passes.

Files (read by :mod:`._entries`): JSON (a list of entries, an object with ``entries`` / ``playbook_entries`` /
``playbook`` holding the list, or one entry object), JSON lines (one entry per line; blank and ``#`` lines skipped)
or YAML (the same shapes as JSON; needs PyYAML, in the ``analyze`` extra). A malformed entry is reported as
``path:line: problem`` and skipped. Rendering: :mod:`trajdyn.analyzer.report._playbook_lint`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from typing import Any, Final

from trajdyn import conventions as C
from trajdyn._problems import InputProblem
from trajdyn.analyzer.metrics.playbook._entries import load_document, load_playbook_entries
from trajdyn.exceptions import InputError

__all__ = [
    "DEFAULT_BANNED_TOKENS",
    "DEFAULT_CUE_TYPES",
    "DEFAULT_MAX_TEXT_LENGTH",
    "DEFAULT_WEIGHTS",
    "GATES",
    "SCORES",
    "EntryLint",
    "LintConfig",
    "LintResult",
    "lint_entries",
    "lint_entry",
    "lint_playbook",
    "stable_entry_id",
]

GATES: Final = ("actionability", "cue", "generality")
SCORES: Final = ("actionability", "generality", "hookability", "concision")
DEFAULT_CUE_TYPES: Final = ("regex", "keyword", "predicate")
DEFAULT_BANNED_TOKENS: Final = ("incident", "ticket", "case", "postmortem")
DEFAULT_MAX_TEXT_LENGTH: Final = 420
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {
    "actionability": 0.4,
    "generality": 0.3,
    "hookability": 0.2,
    "concision": 0.1,
}
HOOKABILITY: Final[Mapping[str, float]] = {"regex": 1.0, "predicate": 0.6}
HOOKABILITY_OTHER: Final = 0.4

_DATE = re.compile(r"\b(?:20\d{2}|19\d{2})(?:[-/](?:0?[1-9]|1[0-2])(?:[-/](?:0?[1-9]|[12]\d|3[01]))?)?\b")
_INCIDENT_REF = re.compile(r"\b(?:incident|case|ticket)[\s#_\-]+[A-Za-z0-9][A-Za-z0-9_\-]*", re.IGNORECASE)
_FILE_PATH = re.compile(
    r"(?:^|[\s\"'`])(?:/|\.\.?/|~/?)[\w./\-]+[/.](?:py|js|ts|java|rb|go|rs|yaml|yml|json|txt|md|sql|sh|bat|ps1)"
    r"(?=$|[\s\"'`])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LintConfig:
    """What the gates accept and how the scores are weighted (defaults: Atlas's).

    ``allowed_handles``: exact runtime handles, an entry ending in ``*`` is a prefix; ``handle_prefixes``: more
    prefixes; both empty: any non-empty handle passes. ``weights``: actionability / generality / hookability /
    concision, normalised to sum 1 (Atlas ``learning.rubric_weights``).
    """

    allowed_handles: tuple[str, ...] = ()
    handle_prefixes: tuple[str, ...] = ()
    cue_types: tuple[str, ...] = DEFAULT_CUE_TYPES
    banned_tokens: tuple[str, ...] = DEFAULT_BANNED_TOKENS
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    enforce_actionability: bool = True
    enforce_cue: bool = True
    enforce_generality: bool = True
    allow_missing_handle: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(SCORES)
        if unknown:
            raise ValueError(f"unknown rubric weight(s) {sorted(unknown)}; expected some of {list(SCORES)}")
        for name, value in self.weights.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"expected rubric weight {name} to be a number >= 0, got {value!r}")
        if isinstance(self.max_text_length, bool) or not isinstance(self.max_text_length, int):
            raise ValueError(f"expected max_text_length to be an integer, got {self.max_text_length!r}")
        if self.max_text_length < 1:
            raise ValueError(f"expected max_text_length >= 1, got {self.max_text_length!r}")

    @property
    def normalised_weights(self) -> dict[str, float]:
        """The four weights (missing ones 0) divided by their sum (all 0: equal weights)."""
        raw = {name: float(self.weights.get(name, 0.0)) for name in SCORES}
        total = math.fsum(raw.values())
        if total <= 0:
            return dict.fromkeys(SCORES, 1.0 / len(SCORES))
        return {name: value / total for name, value in raw.items()}

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any]) -> LintConfig:
        """A config from Atlas's ``learning`` block (or a whole Atlas config holding one).

        Reads ``schema.allowed_runtime_handles``, ``schema.runtime_handle_prefixes``, ``schema.cue_types``,
        ``schema.allow_missing_tool_mapping``, ``gates.enforce_actionability|enforce_cue|enforce_generality``,
        ``gates.max_text_length``, ``gates.banned_incident_tokens`` and ``rubric_weights``; the flat names of this
        class (``allowed_handles``, ``banned_tokens``, ``weights`` …) are accepted too. Raises ``ValueError`` naming a
        bad value.
        """
        learning = doc.get("learning")
        block: Mapping[str, Any] = learning if isinstance(learning, Mapping) else doc
        schema = _mapping(block.get("schema"), "schema")
        gates = _mapping(block.get("gates"), "gates")
        kwargs: dict[str, Any] = {}

        def pick(name: str, *sources: tuple[Mapping[str, Any], str]) -> Any:
            for source, key in sources:
                if key in source and source[key] is not None:
                    return source[key]
            return None

        handles = pick("allowed_handles", (block, "allowed_handles"), (schema, "allowed_runtime_handles"))
        prefixes = pick("handle_prefixes", (block, "handle_prefixes"), (schema, "runtime_handle_prefixes"))
        cue_types = pick("cue_types", (block, "cue_types"), (schema, "cue_types"))
        banned = pick("banned_tokens", (block, "banned_tokens"), (gates, "banned_incident_tokens"))
        for name, value in (
            ("allowed_handles", handles),
            ("handle_prefixes", prefixes),
            ("cue_types", cue_types),
            ("banned_tokens", banned),
        ):
            if value is not None:
                kwargs[name] = _strings(value, name)
        if "cue_types" in kwargs:
            kwargs["cue_types"] = tuple(t.lower() for t in kwargs["cue_types"])
        length = pick("max_text_length", (block, "max_text_length"), (gates, "max_text_length"))
        if length is not None:
            kwargs["max_text_length"] = length
        for flag in ("enforce_actionability", "enforce_cue", "enforce_generality"):
            value = pick(flag, (block, flag), (gates, flag))
            if value is not None:
                kwargs[flag] = _bool(value, flag)
        missing = pick("allow_missing_handle", (block, "allow_missing_handle"), (schema, "allow_missing_tool_mapping"))
        if missing is not None:
            kwargs["allow_missing_handle"] = _bool(missing, "allow_missing_handle")
        weights = pick("weights", (block, "weights"), (block, "rubric_weights"))
        if weights is not None:
            w = _mapping(weights, "rubric_weights")
            kwargs["weights"] = {**DEFAULT_WEIGHTS, **w}
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | Path) -> LintConfig:
        """:meth:`from_mapping` of a JSON or YAML file; :class:`~trajdyn.exceptions.InputError` when unreadable."""
        p = Path(path)
        doc = load_document(p)
        if not isinstance(doc, Mapping):
            raise InputError(f"{p}: expected a mapping of linter settings, got {type(doc).__name__}")
        try:
            return cls.from_mapping(doc)
        except ValueError as exc:
            raise InputError(f"{p}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON data."""
        return {
            "allowed_handles": list(self.allowed_handles),
            "handle_prefixes": list(self.handle_prefixes),
            "cue_types": list(self.cue_types),
            "banned_tokens": list(self.banned_tokens),
            "max_text_length": self.max_text_length,
            "weights": self.normalised_weights,
            "enforce": {
                "actionability": self.enforce_actionability,
                "cue": self.enforce_cue,
                "generality": self.enforce_generality,
            },
            "allow_missing_handle": self.allow_missing_handle,
        }


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected {name} to be a mapping, got {type(value).__name__}")
    return value


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected {name} to be a list of strings, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected {name} to be true or false, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class EntryLint:
    """The gates, scores and reasons of one entry; ``line`` is where it starts in its file (0: unknown)."""

    entry_id: str
    line: int
    gates: dict[str, bool]
    scores: dict[str, float]
    weighted_score: float
    reasons: list[str]

    @property
    def passed(self) -> bool:
        """Every gate passed."""
        return all(self.gates.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON data: entry_id, line, passed, gates, scores, weighted_score, reasons."""
        return {
            "entry_id": self.entry_id,
            "line": self.line,
            "passed": self.passed,
            "gates": dict(self.gates),
            "scores": dict(self.scores),
            "weighted_score": self.weighted_score,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class LintResult:
    """The lint of one playbook file: per-entry results, the problems of malformed entries, and the settings."""

    path: str
    entries: list[EntryLint]
    problems: list[InputProblem]
    config: LintConfig

    @property
    def summary(self) -> dict[str, Any]:
        """total, passed, failed, pass_rate, gate_failures {gate: n}, average_weighted_score (Atlas's summary)."""
        total = len(self.entries)
        passed = sum(1 for e in self.entries if e.passed)
        return {
            "total": total,
            "passed": passed,
            "failed": total - passed,
            "pass_rate": passed / total if total else None,
            "gate_failures": {g: sum(1 for e in self.entries if not e.gates[g]) for g in GATES},
            "average_weighted_score": sum(e.weighted_score for e in self.entries) / total if total else None,
            "problems": len(self.problems),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``trajdyn.playbook-lint/1`` JSON document."""
        return {
            "schema": C.PLAYBOOK_LINT_SCHEMA,
            "path": self.path,
            "config": self.config.to_dict(),
            "summary": self.summary,
            "entries": [e.to_dict() for e in self.entries],
            "problems": [p.to_dict() for p in self.problems],
        }


# ------------------------------------------------------------------------------------------------------------------
# one entry
# ------------------------------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def _normalise(entry: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Atlas's coercion of an entry (strings for cue/action/scope allowed); problems for wrong-typed parts."""
    problems: list[str] = []
    cue_raw, action_raw, scope_raw = entry.get("cue"), entry.get("action"), entry.get("scope")
    if isinstance(cue_raw, Mapping):
        cue = {
            "type": _text(cue_raw.get("type")).lower(),
            "pattern": _text(cue_raw.get("pattern") or cue_raw.get("regex") or cue_raw.get("text")),
            "description": _text(cue_raw.get("description")),
        }
    elif isinstance(cue_raw, str) or cue_raw is None:
        cue = {"type": "keyword", "pattern": _text(cue_raw), "description": ""}
    else:
        problems.append(f"cue must be an object or a string, got {type(cue_raw).__name__}")
        cue = {"type": "", "pattern": "", "description": ""}
    if isinstance(action_raw, Mapping):
        handle = action_raw.get("runtime_handle") or action_raw.get("handle") or action_raw.get("tool")
        action = {"imperative": _text(action_raw.get("imperative")), "runtime_handle": _text(handle)}
    elif isinstance(action_raw, str) or action_raw is None:
        action = {"imperative": _text(action_raw), "runtime_handle": ""}
    else:
        problems.append(f"action must be an object or a string, got {type(action_raw).__name__}")
        action = {"imperative": "", "runtime_handle": ""}
    if isinstance(scope_raw, Mapping):
        scope = {
            "constraints": _text(scope_raw.get("constraints")),
            "applies_when": _text(scope_raw.get("applies_when") or scope_raw.get("applies_to")),
        }
    elif isinstance(scope_raw, str) or scope_raw is None:
        scope = {"constraints": _text(scope_raw), "applies_when": ""}
    else:
        problems.append(f"scope must be an object or a string, got {type(scope_raw).__name__}")
        scope = {"constraints": "", "applies_when": ""}
    effect = entry.get("expected_effect", entry.get("why"))
    if effect is not None and not isinstance(effect, str):
        problems.append(f"expected_effect must be a string, got {type(effect).__name__}")
        effect = None
    return (
        {
            "audience": _text(entry.get("audience")),
            "cue": cue,
            "action": action,
            "scope": scope,
            "expected_effect": _text(effect),
        },
        problems,
    )


def stable_entry_id(entry: Mapping[str, Any]) -> str:
    """Atlas's stable entry id: ``playbook-entry-`` + 12 hex of SHA-256 over the entry's defining fields."""
    norm, _ = _normalise(entry)
    parts = [
        norm["audience"],
        norm["cue"]["type"],
        norm["cue"]["pattern"],
        norm["action"]["imperative"],
        norm["action"]["runtime_handle"],
        norm["scope"]["constraints"],
    ]
    return "playbook-entry-" + sha256("||".join(parts).encode("utf-8")).hexdigest()[:12]


def _handle_reason(handle: str, config: LintConfig) -> str | None:
    """Why ``handle`` is not allowed, or ``None`` when it is."""
    if config.allow_missing_handle:
        return None
    if not handle:
        return "runtime handle missing"
    exact = {h.lower() for h in config.allowed_handles if not h.endswith("*")}
    prefixes = [h[:-1].lower() for h in config.allowed_handles if h.endswith("*")]
    prefixes += [p.lower() for p in config.handle_prefixes]
    if not exact and not prefixes:
        return None
    low = handle.lower()
    if low in exact or any(low.startswith(p) for p in prefixes if p):
        return None
    return f"runtime handle {handle!r} is not an allowed handle or prefix"


def _cue_reason(cue: Mapping[str, str], config: LintConfig) -> str | None:
    kind, pattern = cue["type"], cue["pattern"]
    if kind not in config.cue_types:
        return f"cue type {kind or '(none)'!r} is not one of {', '.join(config.cue_types)}"
    if not pattern:
        return "cue pattern is empty"
    if kind == "regex":
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"cue regex does not compile: {exc}"
    return None


def _generality_reason(norm: Mapping[str, Any], config: LintConfig) -> str | None:
    segments = [
        norm["cue"]["pattern"],
        norm["cue"]["description"],
        norm["action"]["imperative"],
        norm["expected_effect"],
        norm["scope"]["constraints"],
        norm["scope"]["applies_when"],
    ]
    combined = " ".join(s for s in segments if s)
    if not combined:
        return "no text to judge (empty entry)"
    for token in config.banned_tokens:
        if token and re.search(r"(?<![A-Za-z0-9_])" + re.escape(token.lower()), combined.lower()):
            return f"banned token {token!r}"
    match = _DATE.search(combined)
    if match:
        return f"contains a date ({match.group(0)!r})"
    match = _INCIDENT_REF.search(combined)
    if match:
        return f"contains an incident reference ({match.group(0)!r})"
    match = _FILE_PATH.search(combined)
    if match:
        return f"contains a file path ({match.group(0).strip()!r})"
    return None


def lint_entry(entry: Mapping[str, Any], config: LintConfig | None = None, *, line: int = 0) -> EntryLint:
    """Gates, scores and weighted score of one entry (see the module docstring for the definitions).

    Wrong-typed parts (a cue that is a number …) count as missing; :func:`lint_entries` also reports them as problems.
    """
    cfg = config or LintConfig()
    norm, _ = _normalise(entry)
    raw_id = entry.get("id", entry.get("entry_id"))
    entry_id = _text(raw_id) or stable_entry_id(entry)
    reasons: list[str] = []
    imperative, handle = norm["action"]["imperative"], norm["action"]["runtime_handle"]
    action_reason = "imperative is empty" if not imperative else _handle_reason(handle, cfg)
    cue_reason = _cue_reason(norm["cue"], cfg)
    general_reason = _generality_reason(norm, cfg)
    gates = {
        "actionability": action_reason is None or not cfg.enforce_actionability,
        "cue": cue_reason is None or not cfg.enforce_cue,
        "generality": general_reason is None or not cfg.enforce_generality,
    }
    for gate, reason in (("actionability", action_reason), ("cue", cue_reason), ("generality", general_reason)):
        if reason is not None:
            reasons.append(f"{gate}: {reason}" + ("" if not gates[gate] else " (gate not enforced)"))
    kind = norm["cue"]["type"]
    hookability = 0.0 if cue_reason is not None else HOOKABILITY.get(kind, HOOKABILITY_OTHER)
    text = " ".join([imperative, norm["expected_effect"], norm["scope"]["constraints"], norm["cue"]["pattern"]])
    limit = cfg.max_text_length
    overflow = len(text) - limit
    concision = 1.0 if overflow <= 0 else max(0.0, 1.0 - overflow / limit)
    scores = {
        "actionability": 1.0 if gates["actionability"] else 0.0,
        "generality": 1.0 if gates["generality"] else 0.0,
        "hookability": hookability,
        "concision": concision,
    }
    weights = cfg.normalised_weights
    weighted = math.fsum(scores[name] * weights[name] for name in SCORES)
    return EntryLint(entry_id, line, gates, scores, weighted, reasons)


def lint_entries(
    entries: Sequence[tuple[int, Any]], config: LintConfig | None = None, *, path: str = "<entries>"
) -> LintResult:
    """Lint ``(line, entry)`` pairs; a value that is not an object, or has wrong-typed parts, is a problem."""
    cfg = config or LintConfig()
    results: list[EntryLint] = []
    problems: list[InputProblem] = []
    seen: dict[str, int] = {}
    for line, entry in entries:
        if not isinstance(entry, Mapping):
            problems.append(InputProblem(path, line, f"expected a playbook entry object, got {type(entry).__name__}"))
            continue
        _, wrong = _normalise(entry)
        if wrong:
            problems.extend(InputProblem(path, line, message) for message in wrong)
            continue
        result = lint_entry(entry, cfg, line=line)
        if result.entry_id in seen:
            problems.append(
                InputProblem(
                    path, line, f"duplicate entry id {result.entry_id!r} (first at line {seen[result.entry_id]})"
                )
            )
        else:
            seen[result.entry_id] = line
        results.append(result)
    return LintResult(path=path, entries=results, problems=problems, config=cfg)


def lint_playbook(path: str | Path, config: LintConfig | None = None) -> LintResult:
    """Lint every entry of a playbook file (JSON, JSON lines or YAML); see :func:`load_playbook_entries`."""
    entries, problems = load_playbook_entries(path)
    result = lint_entries(entries, config, path=str(path))
    return replace(result, problems=[*problems, *result.problems])
