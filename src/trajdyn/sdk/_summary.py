"""What trajdyn did not deliver, and what it scrubbed: counters, one notice on stderr per kind, a final summary.

Nothing is lost silently. Every span trajdyn's processors drop (a full queue the exporter cannot drain), every span
of an export that failed (a full disk, a collector that is down) and every step call a forked child could not record
is counted here; the first of each kind is said once on stderr, as it happens. :func:`summary` gives the counts
(with the number of secrets replaced by :mod:`trajdyn.redact` and trajdyn's internal errors) at any time, and
:func:`print_summary` prints them as one line on stderr at shutdown (``trajdyn.shutdown()``, normal exit, SIGTERM)
when any of them is not zero.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

from trajdyn.redact import redaction_count
from trajdyn.sdk import _errors, _lifecycle

__all__ = [
    "Summary",
    "forget_in_child",
    "notice",
    "print_summary",
    "reset_summary",
    "spans_dropped",
    "spans_exported",
    "spans_lost",
    "steps_unrecorded",
    "summary",
]

_lock = threading.Lock()
_exported = 0
_dropped = 0
_lost = 0
_unrecorded = 0
_redactions_before = 0  # secrets redacted before this process forked (they belong to the parent's summary)
_noticed: set[str] = set()
_printed: Summary | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts since the process started (a forked child starts from zero).

    ``spans_exported``: spans trajdyn's exporters delivered; ``spans_dropped``: spans dropped before export
    because the queue was full and the exporter could not keep up; ``spans_lost``: spans of exports that failed;
    ``steps_unrecorded``: step calls a forked child made inside a trajectory inherited from its parent (recorded
    nowhere; see docs/sdk.md "Processes"); ``secrets_redacted``: secrets replaced by ``[REDACTED]``;
    ``internal_errors``: trajdyn's own errors, logged once per kind and swallowed.
    """

    spans_exported: int
    spans_dropped: int
    spans_lost: int
    steps_unrecorded: int
    secrets_redacted: int
    internal_errors: int

    @property
    def complete(self) -> bool:
        """Whether every span and step reached the exporters."""
        return not (self.spans_dropped or self.spans_lost or self.steps_unrecorded)

    def line(self) -> str:
        """The summary as one line (``trajdyn: …``)."""
        parts = [f"{self.spans_exported} spans exported"] if self.spans_exported else []
        if self.spans_dropped:
            parts.append(f"{self.spans_dropped} DROPPED (queue full)")
        if self.spans_lost:
            parts.append(f"{self.spans_lost} LOST (export failed)")
        if self.steps_unrecorded:
            parts.append(f"{self.steps_unrecorded} steps not recorded (forked child)")
        parts.append(f"{self.secrets_redacted} secrets redacted")
        if self.internal_errors:
            parts.append(f"{self.internal_errors} internal errors")
        return "trajdyn: summary: " + ", ".join(parts)


def notice(kind: str, message: str) -> None:
    """Print ``trajdyn: message`` on stderr the first time ``kind`` happens in this process (never raises)."""
    with _lock:
        if kind in _noticed:
            return
        _noticed.add(kind)
    _print(f"trajdyn: {message}")


def _print(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except Exception:  # a closed stderr must not break the loop or the exit
        pass


def spans_exported(n: int) -> None:
    """Count ``n`` spans delivered."""
    global _exported
    with _lock:
        _exported += n


def spans_dropped(n: int, destination: str) -> None:
    """Count ``n`` spans dropped before export (a full queue); said once on stderr."""
    global _dropped
    with _lock:
        _dropped += n
    _errors.count_silently("spans_dropped", n)
    notice(
        "dropped",
        f"the span queue for {destination} is full and its exporter cannot keep up: dropping spans "
        "(counted; the total is printed at exit; see OTEL_BSP_MAX_QUEUE_SIZE)",
    )


def spans_lost(n: int, destination: str, reason: str) -> None:
    """Count ``n`` spans of a failed export; said once per destination on stderr."""
    global _lost
    with _lock:
        _lost += n
    notice(f"lost:{destination}", f"could not export {n} spans to {destination} ({reason}); counting lost spans")


def steps_unrecorded(n: int, message: str) -> None:
    """Count ``n`` step calls that could not be recorded (a forked child); said once on stderr."""
    global _unrecorded
    with _lock:
        _unrecorded += n
    notice("unrecorded", message)


def summary() -> Summary:
    """The counts so far (see :class:`Summary`)."""
    with _lock:
        return Summary(
            spans_exported=_exported,
            spans_dropped=_dropped,
            spans_lost=_lost,
            steps_unrecorded=_unrecorded,
            secrets_redacted=redaction_count() - _redactions_before,
            internal_errors=_errors.internal_error_count(),
        )


def print_summary() -> None:
    """Print the summary line on stderr when something was dropped, lost, unrecorded, redacted or went wrong, and
    it changed since the last time it was printed."""
    global _printed
    current = summary()
    noteworthy = not current.complete or current.secrets_redacted or current.internal_errors
    with _lock:
        if not noteworthy or current == _printed:
            return
        _printed = current
    _print(current.line())


def forget_in_child() -> None:
    """In a forked child: a new lock, counts from zero (the parent reports its own)."""
    global _lock, _exported, _dropped, _lost, _unrecorded, _redactions_before, _printed
    _lock = threading.Lock()
    _exported = _dropped = _lost = _unrecorded = 0
    _redactions_before = redaction_count()
    _noticed.clear()
    _printed = None


def reset_summary() -> None:
    """Forget every count and notice (test helper)."""
    global _exported, _dropped, _lost, _unrecorded, _redactions_before, _printed
    with _lock:
        _exported = _dropped = _lost = _unrecorded = 0
        _redactions_before = redaction_count()
        _noticed.clear()
        _printed = None


_lifecycle.register(_lifecycle.Hooks(report=print_summary, forget=reset_summary, after_fork_in_child=forget_in_child))
