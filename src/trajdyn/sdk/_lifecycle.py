"""Process lifecycle: flush at normal exit and on SIGTERM, explicit behaviour in a forked child.

- ``atexit``: open trajectories are ended (status ERROR, a ``trajdyn.failure`` event), sidecars written, spans
  flushed and trajdyn's own processors shut down; then the summary line is printed on stderr when anything was
  dropped, lost, left unrecorded or redacted (:mod:`trajdyn.sdk._summary`).
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
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from types import FrameType
from typing import Any

from trajdyn.sdk import _config, _errors, _sidecar, _summary

__all__ = ["flush", "install_hooks", "reset", "shutdown"]

_hooks_lock = threading.Lock()
_atexit_installed = False
_sigterm_installed = False
_previous_sigterm: Any = None


def flush(timeout_millis: int = 30000) -> bool:
    """Write dirty sidecars and export every finished span now; ``True`` when everything was delivered."""
    _sidecar.flush_sidecars()
    cfg = _config.current_config()
    if cfg is None:
        return True
    try:
        return cfg.force_flush(timeout_millis)
    except Exception as exc:
        _errors.report_internal_error("export", exc)
        return False


def _end_open_trajectories(reason: str) -> None:
    from trajdyn.sdk._trajectory import open_trajectories

    for traj in open_trajectories():
        try:
            traj.abort(reason)
        except Exception as exc:
            _errors.report_internal_error("shutdown", exc)


def shutdown(timeout_millis: int = 30000) -> None:
    """End open trajectories, flush everything and shut down what trajdyn created (a later use reconfigures); then
    print the summary line on stderr when anything was dropped, lost, left unrecorded or redacted."""
    _end_open_trajectories("trajdyn shut down before the trajectory ended")
    flush(timeout_millis)
    try:
        _config.reset_config(shutdown=True)
    except Exception as exc:
        _errors.report_internal_error("shutdown", exc)
    _summary.print_summary()


def _at_exit() -> None:
    try:
        shutdown()
    except Exception:  # never fail interpreter exit (strict mode included)
        pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    try:
        _end_open_trajectories("terminated by SIGTERM")
        flush()
        _config.reset_config(shutdown=True)
        _summary.print_summary()
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
    from trajdyn.sdk import _trajectory

    _trajectory.forget_in_child()
    _config.forget_in_child()
    _sidecar.forget_in_child()
    _errors.forget_in_child()
    _summary.forget_in_child()


def install_hooks() -> None:
    """Install the atexit, fork and (from the main thread) SIGTERM hooks, once each."""
    global _atexit_installed, _sigterm_installed, _previous_sigterm
    with _hooks_lock:
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


def reset() -> None:
    """Forget all process-wide trajdyn state (configuration, sidecars, error counts, strict override).

    A test helper: open trajectories are ended, trajdyn's processors are shut down, and the next use configures
    afresh. Hooks stay installed.
    """
    _end_open_trajectories("trajdyn was reset before the trajectory ended")
    _sidecar.flush_sidecars()
    _config.reset_config(shutdown=True)
    _sidecar.reset_sidecars()
    _errors.reset_internal_errors()
    _errors.set_strict(None)
    _summary.reset_summary()
