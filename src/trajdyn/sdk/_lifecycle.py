"""Process lifecycle: a registry of hooks, run at flush, shutdown, normal exit, SIGTERM, fork and reset.

Every module that holds process-wide state registers what it does at each moment (:func:`register`, as
``atexit.register`` / ``os.register_at_fork`` work); this module imports none of them, so it sits below them all. The
moments, each running the hooks in registration order:

- ``end(reason)``: end the work still open (trajectories: status ERROR, a ``trajdyn.failure`` event with ``reason``);
- ``flush(timeout_millis) -> bool``: deliver what is pending (sidecars written, spans exported);
- ``close()``: release what trajdyn created (its processors shut down; a later use configures afresh);
- ``report()``: say what happened (the summary line, :mod:`trajdyn.sdk._summary`);
- ``forget()``: forget every piece of state (:func:`reset`, a test helper);
- ``after_fork_in_child()``: a forked child's fresh locks and state.

A hook is its own internal-error boundary (it logs, counts and swallows its failures, re-raising only in strict
mode; :mod:`trajdyn.sdk._errors`); the exit and signal handlers below swallow even those.

- ``atexit``: :func:`shutdown`: ``end``, ``flush``, ``close``, then ``report`` (the summary line on stderr when
  anything was dropped, lost, left unrecorded or redacted).
- ``SIGTERM``: the same, then the previous handler runs: a Python handler is called, ``SIG_IGN`` keeps ignoring,
  and the default handler is restored and the signal re-sent, so the process ends as it would have without trajdyn
  (killed by SIGTERM; a shell reports 143 = 128 + 15). Installed only from the main thread, and only once.
- SIGKILL cannot be caught: the spans still queued (at most one batch interval, ``OTEL_BSP_SCHEDULE_DELAY``, 5 s)
  are lost; every line already written is whole, and a line torn by the kill is reported by the analyzer as
  ``file:line`` while the rest is read.
- fork: the child keeps the configuration and exports to the same destinations (the spans file is safe for
  concurrent append; OpenTelemetry's batch processors restart in the child with an empty queue, so the parent's
  spans are never exported twice). Its live-coverage sidecar is ``<name>.<child pid>.coverage.json`` (a shared one
  would be overwritten by each process). Trajectories open in the parent at fork time belong to the parent: in the
  child, steps and events inside them are not recorded, and are counted and said once on stderr; the child records
  its own trajectories. A trajectory that ends in a child flushes the child's spans, because a child may leave with
  ``os._exit`` (``multiprocessing`` does), which skips ``atexit``.

The exit, signal and fork handlers are installed by :func:`install` when trajdyn is first configured.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from trajdyn.sdk import _errors

__all__ = ["Hooks", "flush", "install", "register", "reset", "shutdown", "unregister"]


@dataclass(frozen=True, slots=True, eq=False)
class Hooks:
    """What one stateful module does at each moment of the process's life (see the module docs); each optional.

    Compared by identity: :func:`unregister` removes exactly the object :func:`register` was given."""

    end: Callable[[str], None] | None = None
    flush: Callable[[int], bool] | None = None
    close: Callable[[], None] | None = None
    report: Callable[[], None] | None = None
    forget: Callable[[], None] | None = None
    after_fork_in_child: Callable[[], None] | None = None


_hooks: list[Hooks] = []
_install_lock = threading.Lock()
_atexit_installed = False
_sigterm_installed = False
_previous_sigterm: Any = None


def register(hooks: Hooks) -> Hooks:
    """Add ``hooks`` (at import of the module that owns the state); returns them."""
    _hooks.append(hooks)
    return hooks


def unregister(hooks: Hooks) -> None:
    """Remove ``hooks`` (no error when they are not registered)."""
    if hooks in _hooks:
        _hooks.remove(hooks)


def _end(reason: str) -> None:
    for h in tuple(_hooks):
        if h.end is not None:
            h.end(reason)


def _close() -> None:
    for h in tuple(_hooks):
        if h.close is not None:
            h.close()


def _report() -> None:
    for h in tuple(_hooks):
        if h.report is not None:
            h.report()


def flush(timeout_millis: int = 30000) -> bool:
    """Write dirty sidecars and export every finished span now; ``True`` when everything was delivered."""
    ok = True
    for h in tuple(_hooks):
        if h.flush is not None:
            ok = h.flush(timeout_millis) and ok
    return ok


def shutdown(timeout_millis: int = 30000) -> None:
    """End open trajectories, flush everything and shut down what trajdyn created (a later use reconfigures); then
    print the summary line on stderr when anything was dropped, lost, left unrecorded or redacted."""
    _end("trajdyn shut down before the trajectory ended")
    flush(timeout_millis)
    _close()
    _report()


def reset() -> None:
    """Forget all process-wide trajdyn state (configuration, sidecars, error counts, strict override).

    A test helper: open trajectories are ended, trajdyn's processors are shut down, and the next use configures
    afresh. Hooks stay installed.
    """
    _end("trajdyn was reset before the trajectory ended")
    _close()
    for h in tuple(_hooks):
        if h.forget is not None:
            h.forget()
    _errors.reset_internal_errors()
    _errors.set_strict(None)


def _at_exit() -> None:
    try:
        shutdown()
    except Exception:  # never fail interpreter exit (strict mode included)
        pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    try:
        _end("terminated by SIGTERM")
        flush()
        _close()
        _report()
    except Exception:
        pass
    prev = _previous_sigterm
    if callable(prev):
        prev(signum, frame)
        return
    if prev == signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _after_fork_in_child() -> None:
    # Another thread may have held any of trajdyn's locks at fork time: the child gets new ones, never waits.
    for h in tuple(_hooks):
        if h.after_fork_in_child is not None:
            h.after_fork_in_child()
    _errors.forget_in_child()


def install() -> None:
    """Install the atexit, fork and (from the main thread) SIGTERM handlers, once each."""
    global _atexit_installed, _sigterm_installed, _previous_sigterm
    with _install_lock:
        if not _atexit_installed:
            _atexit_installed = True
            atexit.register(_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_after_fork_in_child)
        if not _sigterm_installed and threading.current_thread() is threading.main_thread():
            try:
                previous = signal.getsignal(signal.SIGTERM)
                if previous is not _on_sigterm:
                    signal.signal(signal.SIGTERM, _on_sigterm)
                    _previous_sigterm = previous
                _sigterm_installed = True
            except (ValueError, OSError):  # not the main interpreter thread, or no signals here
                pass
