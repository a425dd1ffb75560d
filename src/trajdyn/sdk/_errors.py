"""trajdyn's internal-error policy: never break the user's loop.

A failure inside trajdyn itself (an extractor that raises, a full disk, a collector that is down, a sidecar that
cannot be written) is logged once per *kind*, counted, and swallowed. In strict mode it is re-raised instead, so that
tests see it: strict mode is on with ``configure(strict=True)``, with ``TRAJDYN_STRICT=1``, and automatically while
pytest runs (``PYTEST_VERSION`` in the environment, as Logfire does).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter

from trajdyn import conventions as C
from trajdyn.redact import scrub_secrets

__all__ = [
    "count_internal_error",
    "count_silently",
    "internal_error_count",
    "internal_error_counts",
    "is_strict",
    "report_internal_error",
    "reset_internal_errors",
    "set_strict",
]

logger = logging.getLogger("trajdyn")

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_logged: set[str] = set()
_strict_override: bool | None = None

_TRUE = frozenset({"1", "true", "yes", "on"})


def _env_flag(name: str) -> bool | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return raw.strip().lower() in _TRUE


def set_strict(strict: bool | None) -> None:
    """Set strict mode explicitly (``None`` restores the default: env var, then pytest detection)."""
    global _strict_override
    _strict_override = strict


def is_strict() -> bool:
    """Whether internal errors are re-raised: ``configure(strict=)`` > ``TRAJDYN_STRICT`` > running under pytest."""
    if _strict_override is not None:
        return _strict_override
    env = _env_flag(C.ENV_STRICT)
    if env is not None:
        return env
    return "PYTEST_VERSION" in os.environ


def report_internal_error(kind: str, exc: BaseException) -> None:
    """Count ``exc`` under ``kind``, log it the first time this kind occurs, and re-raise it in strict mode."""
    with _lock:
        _counts[kind] += 1
        first = kind not in _logged
        _logged.add(kind)
    if first:
        logger.warning(
            "trajdyn internal error (%s), further ones of this kind are counted silently: %s",
            kind,
            scrub_secrets(repr(exc)),
        )
    if is_strict():
        raise exc


def count_internal_error(kind: str, exc: BaseException | str) -> None:
    """Count and log-once an internal error seen off the loop's thread (an exporter's worker): never raises."""
    with _lock:
        _counts[kind] += 1
        first = kind not in _logged
        _logged.add(kind)
    if first:
        text = exc if isinstance(exc, str) else repr(exc)
        logger.warning("trajdyn internal error (%s), further ones are counted silently: %s", kind, scrub_secrets(text))


def count_silently(kind: str, n: int = 1) -> None:
    """Count ``n`` internal errors of ``kind`` that the caller reports itself (dropped spans: a stderr notice)."""
    with _lock:
        _counts[kind] += n


def internal_error_count(kind: str | None = None) -> int:
    """Number of internal errors swallowed so far, of one ``kind`` or of all kinds."""
    with _lock:
        return _counts[kind] if kind is not None else sum(_counts.values())


def internal_error_counts() -> dict[str, int]:
    """Internal errors swallowed so far, by kind (``extract``, ``sidecar``, ``export`` …)."""
    with _lock:
        return dict(_counts)


def forget_in_child() -> None:
    """In a forked child: a new lock (the parent's may have been held at fork time); counts start from zero."""
    global _lock
    _lock = threading.Lock()
    _counts.clear()
    _logged.clear()


def reset_internal_errors() -> None:
    """Forget counts and the log-once memory (test helper)."""
    with _lock:
        _counts.clear()
        _logged.clear()
