"""Secret scrubbing: the one redactor every trajdyn writer uses (SDK spans and sidecar, importers, messages).

Public API (also for your own code: ``from trajdyn.redact import scrub_secrets``):

- :func:`scrub_secrets` replaces every secret-looking substring of a text by :data:`REDACTED`; the marker never
  contains any part of the secret (not a prefix, not a length, not a hash).
- :func:`scrub_value` is the same for a value that repeats (a knob value, an action, a playbook entry id): results
  are cached, so the hot path pays a dictionary lookup.
- :func:`scrub_proposal` scrubs a proposal as a whole (knob, value and their ``knob=value`` action, which can be a
  secret when neither part looks like one: ``password`` = ``hunter2``), cached.
- :func:`scrub_attributes` scrubs every string (and string list) of an attribute mapping.
- :func:`redaction_count` is the number of secrets replaced in this process so far (reported in the SDK's final
  summary).
- :func:`content_attributes` is the content-capture recipe: the user's :data:`Redactor` callback, then scrubbing,
  then truncation.

What is caught (each a test in ``tests/test_redact.py``; see docs/reliability.md "Security"):

- provider keys and tokens by their shape: OpenAI/Anthropic ``sk-…``, Stripe ``sk_live_…``/``rk_test_…``, AWS key
  ids ``AKIA…``/``ASIA…``, GitHub ``ghp_…``/``gho_…``/``ghs_…``/``github_pat_…``, GitLab ``glpat-…``, Hugging Face
  ``hf_…``, Slack ``xox?-…``, Google ``AIza…``, npm ``npm_…``, PyPI ``pypi-…``, JSON Web Tokens ``eyJ….….…``;
- PEM private-key blocks (``-----BEGIN … PRIVATE KEY-----`` up to its end marker, or to the end of a truncated text);
- credentials in URLs (``https://user:pass@host`` → ``https://[REDACTED]@host``);
- ``Authorization:`` headers (the scheme is kept: ``Authorization: Basic [REDACTED]``), ``Bearer …`` and HTTP Basic
  credentials (a ``Basic`` token is redacted only when it decodes to ``user:password``);
- assignments ``NAME=value`` / ``NAME: value`` / ``"NAME": "value"`` where NAME ends with a secret word:
  ``password``, ``passwd``, ``pwd``, ``secret``, ``credentials`` (any value), or ``token``, ``api_key``, ``apikey``,
  ``access_key``, ``secret_key``, ``private_key``, ``auth`` (a value of at least 8 characters that is not a
  number). ``AWS_SECRET_ACCESS_KEY=…``, ``DB_PASSWORD=…``, ``token: …`` and ``client_secret=…`` are caught;
  ``max_tokens=4096``, ``token_budget=8000``, ``sort_key=name`` and ``use_token=true`` are not;
- a value that names a secret instead of holding one is kept, in assignments, headers and URLs: an environment
  variable (``$GITHUB_TOKEN``, ``${TOKEN}``, ``%TOKEN%``), a template or placeholder (``{token}``, ``<key>``,
  ``YOUR_API_KEY``, ``xxx``), code (``get_netrc_auth(url)``, ``os.environ[...]``; for tokens and keys also a
  lower-case dotted name such as ``request.auth``), so stack traces and prompts stay readable.

Ordinary values (numbers, model names, tool names, file paths, URLs without credentials, git hashes, UUIDs) pass
unchanged. Pure standard library, importable without the SDK.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final, TypeAlias, TypeVar

from trajdyn import conventions as C

__all__ = [
    "REDACTED",
    "Redactor",
    "content_attributes",
    "redaction_count",
    "scrub_attributes",
    "scrub_proposal",
    "scrub_secrets",
    "scrub_value",
]

Redactor: TypeAlias = Callable[[str, str], str | None]
"""``redact(key, text)`` → the text to record, or ``None`` to record nothing for this key."""

REDACTED: Final = "[REDACTED]"
"""What a secret is replaced by."""

_TOKEN_PATTERNS: Final = re.compile(
    "|".join(
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            r"\bsk-[A-Za-z0-9_\-]{16,}",
            r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bglpat-[A-Za-z0-9_\-]{20,}",
            r"\bhf_[A-Za-z0-9]{30,}",
            r"\bnpm_[A-Za-z0-9]{36,}",
            r"\bpypi-[A-Za-z0-9_\-]{50,}",
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
            r"\bAIza[0-9A-Za-z_\-]{35}",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        )
    ),
    re.DOTALL,
)
_URL_USERINFO: Final = re.compile(
    r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/?#@\"'<>:]*:[^\s/?#@\"'<>]*|[^\s/?#@\"'<>:]{20,})@"
)
_AUTH_HEADER: Final = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    r"((?:basic|bearer|digest|token|negotiate|ntlm|aws4-hmac-sha256)\s+)?([^\s\"',;]{4,})"
)
_BEARER: Final = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9\-._~+/]{8,}=*")
_BASIC: Final = re.compile(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])")
_NAME_TAIL: Final = r"[A-Za-z0-9_.\-]*?"
_ASSIGNMENT_ANY: Final = re.compile(
    r"(?i)(?<![A-Za-z0-9])(" + _NAME_TAIL + r"(?:password|passwd|pwd|secret|credentials?)"
    r"[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)"
)
_ASSIGNMENT_LONG: Final = re.compile(
    r"(?i)(?<![A-Za-z0-9])(" + _NAME_TAIL + r"(?:token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|"
    r"private[_-]?key|auth)[\"']?\s*[=:]\s*)(\"[^\"]{8,}\"|'[^']{8,}'|[^\s,;&\"']{8,})"
)
_NUMBER: Final = re.compile(r"[\"']?[+\-]?[0-9][0-9_.,eE+\-]*[\"']?")
_REFERENCE: Final = re.compile(
    r"""(?x)
      \$\{?[A-Z_][A-Z0-9_]*\}?             # an environment variable: $GITHUB_TOKEN, ${TOKEN} (upper case)
    | %[A-Z_][A-Z0-9_]*%                  # %TOKEN%
    | \{[\w.\-]*\}|<[^<>"'=:]*>?           # a template or a placeholder: {token}, <your key>
    | (?i:your)[_\-][A-Za-z0-9_\-]*       # YOUR_API_KEY, your-token
    | [xX*.]{3,}                          # xxx, ***, ...
    | [A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(.*\)|\[.*)   # code: get_netrc_auth(url), os.environ[...]
    """
)
"""Values that name a secret instead of holding one (a reference, a placeholder, code): kept."""
_DOTTED_NAME: Final = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
"""``request.auth``: code, not a token (a token is mixed-case or has digits); not applied to passwords."""
_NOT_SECRETS: Final = frozenset({"", "true", "false", "null", "none", "yes", "no"})
_QUICK: Final = re.compile(
    r"-----begin|sk-|[sr]k_|akia|asia|gh[pousr]_|github_pat_|glpat-|hf_|npm_|pypi-|xox|aiza|eyj|://|"
    r"bearer|basic|passw|pwd|secret|credential|token|key|auth"
)
"""A cheap first pass over the lower-cased text (a case-insensitive alternation is several times slower): text
without any of these substrings has nothing to scrub."""

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
_count_lock = threading.Lock()
_count = 0
_cache: dict[str, tuple[str, int]] = {}
_CACHE_MAX: Final = 8192


def _count_add(n: int) -> None:
    global _count
    with _count_lock:
        _count += n


def _basic(match: re.Match[str]) -> str:
    token = match.group(3)
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    if b":" not in decoded or not all(32 <= b < 127 for b in decoded):  # user:password is printable text
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def _url_userinfo(match: re.Match[str]) -> str:
    _, _, password = match.group(2).partition(":")
    if _REFERENCE.fullmatch(password):
        return match.group(0)
    return f"{match.group(1)}{REDACTED}@"


def _auth_header(match: re.Match[str]) -> str:
    if match.group(3) == REDACTED or _REFERENCE.fullmatch(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2) or ''}{REDACTED}"


def _kept(match: re.Match[str]) -> str:
    """A value kept as not secret, itself scrubbed: this match consumed it, so its own pass will not see what it
    holds (``auth='f(api_key="…")'``)."""
    return match.group(1) + _scrub(match.group(2))[0]


def _assignment(match: re.Match[str]) -> str:
    value = match.group(2).strip("\"'")
    if value == REDACTED or value.lower() in _NOT_SECRETS or _REFERENCE.fullmatch(value):
        return _kept(match)
    return f"{match.group(1)}{REDACTED}"


def _long_assignment(match: re.Match[str]) -> str:
    value = match.group(2)
    bare = value.strip("\"'")
    if bare == REDACTED or _NUMBER.fullmatch(value) or _REFERENCE.fullmatch(bare) or _DOTTED_NAME.fullmatch(bare):
        return _kept(match)
    return f"{match.group(1)}{REDACTED}"


def _scrub(original: str) -> tuple[str, int]:
    """``original`` scrubbed (the same object when nothing was found), and the number of secrets replaced."""
    if not _QUICK.search(original.lower()):
        return original, 0
    total = 0
    text, n = _TOKEN_PATTERNS.subn(REDACTED, original)
    total += n
    for pattern, repl in (
        (_URL_USERINFO, _url_userinfo),
        (_AUTH_HEADER, _auth_header),
        (_BEARER, lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}"),
        (_BASIC, _basic),
        (_ASSIGNMENT_ANY, _assignment),
        (_ASSIGNMENT_LONG, _long_assignment),
    ):
        replaced = pattern.sub(repl, text)
        if replaced != text:
            total += max(replaced.count(REDACTED) - text.count(REDACTED), 1)
            text = replaced
    return (text, total) if total else (original, 0)


def scrub_secrets(text: str) -> str:
    """``text`` with every secret-looking substring replaced by :data:`REDACTED` (counted)."""
    out, n = _scrub(text)
    if n:
        _count_add(n)
    return out


def _cached(cache: dict[_K, tuple[_V, int]], key: _K, scrub: Callable[[_K], tuple[_V, int]]) -> _V:
    """``scrub(key)``'s result from ``cache`` (computed once; the cache is cleared when full); its secrets are
    counted on every use."""
    hit = cache.get(key)
    if hit is None:
        hit = scrub(key)
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = hit
    if hit[1]:
        _count_add(hit[1])
    return hit[0]


def scrub_value(text: str) -> str:
    """:func:`scrub_secrets` for values that repeat (knob values, actions, entry ids): cached, counted on every use.

    The cache holds at most a few thousand distinct values and is cleared when full.
    """
    return _cached(_cache, text, _scrub)


Proposal: TypeAlias = tuple[str | None, str | None, str | None]
"""(knob, canonical value, action) as the SDK and the importers record a proposal."""
_proposal_cache: dict[Proposal, tuple[Proposal, int]] = {}


def _scrub_proposal(key: Proposal) -> tuple[Proposal, int]:
    knob, value, action = key
    if knob is None:
        if action is None:
            return (None, None, None), 0
        scrubbed, n = _scrub(action)
        return (None, None, scrubbed), n
    k, n = _scrub(knob)
    if value is None:
        return (k, None, k), n
    v, n_value = _scrub(value)
    joined = f"{k}={v}"
    if _scrub(joined)[1]:  # the pair reveals a secret that neither part shows alone
        v, n_value = REDACTED, n_value or 1
        joined = f"{k}={REDACTED}"
    return (k, v, joined), n + n_value


def scrub_proposal(knob: str | None, value: str | None, action: str | None) -> Proposal:
    """A proposal with its secrets replaced: ``(knob, value, action)``, cached and counted like :func:`scrub_value`.

    A knob proposal's action is returned as ``knob=value`` of the scrubbed parts (``action`` is not read); when
    the pair ``knob=value`` looks like a secret although neither part does (``password=hunter2``), the value is
    replaced. A proposal without a knob (a tool call) gives ``(None, None, scrubbed action)``.
    """
    return _cached(_proposal_cache, (knob, value, action if knob is None else None), _scrub_proposal)


def scrub_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``attrs`` with every string, and every string in a list or tuple, scrubbed."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if isinstance(value, str):
            out[key] = scrub_secrets(value)
        elif isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
            out[key] = [scrub_secrets(v) if isinstance(v, str) else v for v in value]
        else:
            out[key] = value
    return out


def redaction_count() -> int:
    """Number of secrets replaced by :data:`REDACTED` in this process so far."""
    return _count


def content_attributes(
    key: str, text: str, *, redact: Redactor | None, max_length: int, scrub: bool = True
) -> dict[str, Any]:
    """Attributes recording ``text`` under ``key``: redacted, scrubbed, truncated (with the original length).

    Order: the user's ``redact(key, text)`` (``None`` records nothing), then :func:`scrub_secrets`, then
    truncation to ``max_length`` characters with ``<key>.original_length`` recorded.
    """
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
