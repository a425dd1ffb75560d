"""Playbook impact (METHODS §4): per-entry within-task impact estimates and learning-key reports."""

from __future__ import annotations

from trajdyn.analyzer.metrics.playbook._impact import (
    ADOPTIONS,
    CUE_HITS,
    ENTRY_COLUMNS,
    FAILED,
    FAILURES,
    LEARNING_KEY_COLUMNS,
    RETRIES,
    SUCCESSFUL,
    PlaybookOptions,
    benjamini_hochberg,
    learning_key_report,
    learning_key_slug,
    playbook_entries,
    playbook_entry_usage,
    playbook_sessions,
    transfer_level,
    within_task_delta,
)

__all__ = [
    "ADOPTIONS",
    "CUE_HITS",
    "ENTRY_COLUMNS",
    "FAILED",
    "FAILURES",
    "LEARNING_KEY_COLUMNS",
    "RETRIES",
    "SUCCESSFUL",
    "PlaybookOptions",
    "benjamini_hochberg",
    "learning_key_report",
    "learning_key_slug",
    "playbook_entries",
    "playbook_entry_usage",
    "playbook_sessions",
    "transfer_level",
    "within_task_delta",
]
