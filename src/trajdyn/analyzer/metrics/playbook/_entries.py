"""Loading playbook files: the raw entries of a JSON, JSON-lines or YAML playbook file with the line each starts on,
and whole JSON or YAML documents (the linter's settings). Problems are :class:`~trajdyn.analyzer.InputProblem`
records; an unreadable file raises :class:`~trajdyn.exceptions.InputError` (docs/metrics/playbook.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.exceptions import InputError, MissingExtraError

__all__ = ["ENTRY_LIST_KEYS", "load_document", "load_playbook_entries"]

ENTRY_LIST_KEYS: Final = ("entries", "playbook_entries", "playbook")
"""Keys under which a playbook document holds its list of entries, in order of preference."""


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a playbook file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _yaml() -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise MissingExtraError("PyYAML (for YAML playbook files)", "analyze") from exc
    return yaml


def load_document(path: Path) -> Any:
    """A whole JSON or YAML document (by suffix; other suffixes are tried as JSON)."""
    text = _read_text(path)
    if _is_yaml(path):
        yaml = _yaml()
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: not valid YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_entries(path: Path, text: str) -> tuple[list[tuple[int, Any]], list[InputProblem]]:
    """(line, value) of each entry of a JSON document, lines found by decoding the entry list element by element."""
    decoder = json.JSONDecoder()
    errors: list[InputProblem] = []
    ws = re.compile(r"\s*")

    def skip(i: int) -> int:
        m = ws.match(text, i)
        return m.end() if m else i

    def array_at(i: int) -> list[tuple[int, Any]]:
        out: list[tuple[int, Any]] = []
        i = skip(i + 1)
        if i < len(text) and text[i] == "]":
            return out
        while i < len(text):
            value, end = decoder.raw_decode(text, i)
            out.append((_line_of(text, i), value))
            i = skip(end)
            if i < len(text) and text[i] == ",":
                i = skip(i + 1)
                continue
            break
        return out

    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        errors.append(InputProblem(str(path), int(line), f"not valid JSON: {exc}"))
        return [], errors
    start = skip(0)
    if isinstance(doc, list):
        return array_at(start), errors
    if isinstance(doc, dict):
        for key in ENTRY_LIST_KEYS:
            if isinstance(doc.get(key), list):
                # find the key's array: decode the object member by member
                i = skip(start + 1)
                while i < len(text) and text[i] != "}":
                    name, end = decoder.raw_decode(text, i)
                    i = skip(skip(end) + 1)  # past ':'
                    if name == key:
                        return array_at(i), errors
                    _, end = decoder.raw_decode(text, i)
                    i = skip(end)
                    if i < len(text) and text[i] == ",":
                        i = skip(i + 1)
                return [(0, v) for v in doc[key]], errors
        return [(_line_of(text, start), doc)], errors
    errors.append(InputProblem(str(path), 1, f"expected a list of entries or an object, got {type(doc).__name__}"))
    return [], errors


def _yaml_entries(path: Path, text: str) -> tuple[list[tuple[int, Any]], list[InputProblem]]:
    yaml = _yaml()
    try:
        doc = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return [], [InputProblem(str(path), line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if isinstance(doc, dict):
        for key in ENTRY_LIST_KEYS:
            if isinstance(doc.get(key), list):
                items = next(v for k, v in node.value if k.value == key).value
                return [(n.start_mark.line + 1, v) for n, v in zip(items, doc[key], strict=True)], []
        return [(node.start_mark.line + 1, doc)], []
    if isinstance(doc, list):
        return [(n.start_mark.line + 1, v) for n, v in zip(node.value, doc, strict=True)], []
    if doc is None:
        return [], []
    return [], [InputProblem(str(path), 1, f"expected a list of entries or a mapping, got {type(doc).__name__}")]


def _jsonl_entries(path: Path, text: str) -> tuple[list[tuple[int, Any]], list[InputProblem]]:
    out: list[tuple[int, Any]] = []
    errors: list[InputProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            out.append((number, json.loads(stripped)))
        except ValueError as exc:
            errors.append(InputProblem(str(path), number, f"not valid JSON: {exc}"))
    return out, errors


def load_playbook_entries(path: str | Path) -> tuple[list[tuple[int, Any]], list[InputProblem]]:
    """The raw entries of a playbook file with the line each starts on, and the problems found reading it.

    By suffix: ``.jsonl`` / ``.ndjson`` JSON lines, ``.yaml`` / ``.yml`` YAML, anything else JSON (a file that is not
    one JSON document but whose lines are is read as JSON lines). An unreadable file raises
    :class:`~trajdyn.exceptions.InputError`; YAML without PyYAML raises :class:`~trajdyn.exceptions.MissingExtraError`.
    """
    p = Path(path)
    text = _read_text(p)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_entries(p, text)
    if _is_yaml(p):
        return _yaml_entries(p, text)
    entries, errors = _json_entries(p, text)
    if errors and len(text.strip().splitlines()) > 1:
        lines, line_errors = _jsonl_entries(p, text)
        if lines:
            return lines, line_errors
    return entries, errors
