"""Why bytes that msgspec would not decode are not a JSON value, found by checking the bytes ourselves.

msgspec's error messages are not an interface: 0.23 reports invalid UTF-8 as a ``DecodeError`` worded differently
from 0.22's ``UnicodeDecodeError``, and wording changes between releases. So nothing here reads them. A text that
msgspec rejected is checked step by step, each step with a typed, documented result:

1. UTF-8, with Python's incremental codec (``UnicodeDecodeError.start`` is the bad byte; an incomplete character
   at the very end is a truncation, not an encoding error);
2. JSON syntax, with the standard library's parser, whose ``JSONDecodeError`` carries the position (``pos``,
   ``lineno``, ``colno``): an error at the end of the text, inside a final unterminated string, or in a final
   partial literal or number is a *truncation* (a writer killed mid-line), anything else is *malformed*; text after
   a complete value is *trailing data*; ``RecursionError`` is *nesting too deep*;
3. a text the standard library accepts but msgspec does not holds a value msgspec cannot represent: a number
   beyond the range of a double (``1e999``) or a lone UTF-16 surrogate escape (``"\\ud800"``).

Only the rejected line (or document) is checked, so none of this costs anything on good input.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["Diagnosis", "diagnose", "truncated_message"]

Kind = Literal["utf8", "truncated", "malformed", "trailing", "too-deep", "unrepresentable"]

BOM: Final = b"\xef\xbb\xbf"
_JSON_SPACE: Final = " \t\n\r"
_PARTIAL_TOKEN: Final = re.compile(
    r"(?:t(?:r(?:ue?)?)?|f(?:a(?:l(?:se?)?)?)?|n(?:u(?:ll?)?)?|-?[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?)"
)
_STRING_OR_QUOTE: Final = re.compile(r'"(?:[^"\\]|\\.)*"|"', re.DOTALL)
_EXCERPT: Final = 20


class _NotJSON(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: accepted by Python's parser, not JSON."""


def _reject_constant(name: str) -> object:
    raise _NotJSON(name)


_PARSER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def truncated_message() -> str:
    """The message of a truncated line or document."""
    return "truncated JSON (the writer was probably killed mid-line)"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What is wrong with a text: ``kind``, a one-line ``message``, and where (1-based ``line`` within the text)."""

    kind: Kind
    message: str
    line: int = 1


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _column(text: str, pos: int) -> int:
    return pos - (text.rfind("\n", 0, pos) + 1) + 1


def _unterminated_string_start(text: str) -> int | None:
    """Where the final string of ``text`` opens when the text ends inside it, else ``None``."""
    for match in _STRING_OR_QUOTE.finditer(text):
        if match.end() - match.start() == 1:  # a quote with no closing quote after it
            return match.start()
    return None


def _is_truncation(text: str, pos: int) -> bool:
    """Whether a syntax error at ``pos`` is the end of the text arriving too early (a valid prefix cut short)."""
    rest = text[pos:].rstrip(_JSON_SPACE)
    if not rest:
        return True
    if _PARTIAL_TOKEN.fullmatch(rest):
        return True
    opened = _unterminated_string_start(text)
    return opened is not None and opened <= pos


def _unrepresentable(value: object) -> str | None:
    """The first value that msgspec cannot represent: a number out of a double's range, or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if math.isinf(item):
                return "a number out of range (beyond a 64-bit float, e.g. 1e999)"
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"a lone UTF-16 surrogate escape (\\u{ord(item[exc.start]):04x}) in a string"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def diagnose(buf: bytes | memoryview) -> Diagnosis:
    """Why ``buf`` (one line, or one whole document) is not a JSON value that msgspec decodes.

    Call it only for bytes that msgspec rejected with a ``DecodeError`` (or ``UnicodeDecodeError``); for bytes that
    are in fact fine it says so with kind ``unrepresentable`` and a generic message.
    """
    raw = bytes(buf)
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(raw, final=False)
    except UnicodeDecodeError as exc:
        return Diagnosis(
            "utf8",
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start}: {exc.reason})",
            raw.count(b"\n", 0, exc.start) + 1,
        )
    cut_character = bool(decoder.getstate()[0])  # the text ends inside a multi-byte character
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        value, end = _PARSER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        if cut_character or _is_truncation(text, exc.pos):
            return Diagnosis("truncated", truncated_message(), _line_of(text, len(text.rstrip(_JSON_SPACE))))
        near = text[exc.pos : exc.pos + _EXCERPT]
        return Diagnosis("malformed", f"malformed JSON at column {exc.colno} (at {near!r})", exc.lineno)
    except RecursionError:
        return Diagnosis("too-deep", "JSON nested too deeply to decode")
    except _NotJSON as exc:
        return Diagnosis("malformed", f"malformed JSON: {exc.args[0]} is not a JSON value")
    except ValueError:  # an integer with more digits than Python converts (sys.get_int_max_str_digits)
        return Diagnosis("unrepresentable", "malformed JSON: an integer with too many digits")
    if text[end:].strip(_JSON_SPACE):
        after = end + len(text[end:]) - len(text[end:].lstrip(_JSON_SPACE))
        return Diagnosis(
            "trailing",
            f"malformed JSON: more data after a complete JSON value, at column {_column(text, after)}",
            _line_of(text, after),
        )
    if cut_character:
        return Diagnosis("truncated", truncated_message(), _line_of(text, len(text)))
    problem = _unrepresentable(value)
    return Diagnosis("unrepresentable", f"JSON that cannot be decoded: {problem or 'rejected by the decoder'}")
