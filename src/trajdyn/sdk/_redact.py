"""Content capture: off by default; when on, redaction and truncation run before anything is exported.

Order: the user's redact callback (``configure(redact=fn)``, ``fn(key, text) -> text | None``; ``None`` drops the
value), then the default scrubbing of secret-looking strings (API keys ``sk-…``, ``AKIA…``, ``ghp_…``, Slack and
Google keys, JWTs, ``Bearer`` tokens, ``password=…``/``api_key: …`` assignments, PEM private keys), each replaced by
:data:`REDACTED` — the marker never contains any part of the secret — then truncation to ``max_content_length``
characters with ``<key>.original_length`` recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from trajdyn import conventions as C

__all__ = ["REDACTED", "Redactor", "content_attributes", "scrub_secrets"]

Redactor: TypeAlias = Callable[[str, str], str | None]
"""``redact(key, text)`` → the text to record, or ``None`` to record nothing for this key."""

REDACTED: Final = "[REDACTED]"

_TOKEN_PATTERNS: Final = re.compile(
    "|".join(
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            r"\bsk-[A-Za-z0-9_\-]{16,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
            r"\bAIza[0-9A-Za-z_\-]{35}",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        )
    ),
    re.DOTALL,
)
_BEARER: Final = re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9\-._~+/]{8,}=*")
_ASSIGNMENT: Final = re.compile(
    r"(?i)\b((?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token|client[_-]?secret)"
    r"[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


def scrub_secrets(text: str) -> str:
    """Replace secret-looking substrings of ``text`` by :data:`REDACTED`."""
    text = _TOKEN_PATTERNS.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _ASSIGNMENT.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def content_attributes(
    key: str, text: str, *, redact: Redactor | None, max_length: int, scrub: bool = True
) -> dict[str, Any]:
    """Attributes recording ``text`` under ``key``: redacted, scrubbed, truncated (with the original length)."""
    if redact is not None:
        redacted = redact(key, text)
        if redacted is None:
            return {}
        text = redacted
    if scrub:
        text = scrub_secrets(text)
    if max_length >= 0 and len(text) > max_length:
        return {key: text[:max_length], key + C.CONTENT_LENGTH_SUFFIX: len(text)}
    return {key: text}
