"""The playbook family (docs/metrics/playbook.md): per-entry impact and learning-key reports from the trajectory
frames (:mod:`._impact`; its statistics are those of :mod:`trajdyn.analyzer.stats`), the entry linter (:mod:`._lint`) and the loading of playbook files (:mod:`._entries`).

Rendering (the report's ``playbook`` block, the lint tables) is in :mod:`trajdyn.analyzer.report`.
"""

from __future__ import annotations

from trajdyn.analyzer.metrics.playbook._entries import ENTRY_LIST_KEYS, load_document, load_playbook_entries
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
    learning_key_report,
    learning_key_slug,
    playbook_entries,
    playbook_entry_usage,
    playbook_sessions,
    transfer_level,
)
from trajdyn.analyzer.metrics.playbook._lint import (
    DEFAULT_BANNED_TOKENS,
    DEFAULT_CUE_TYPES,
    DEFAULT_MAX_TEXT_LENGTH,
    DEFAULT_WEIGHTS,
    GATES,
    SCORES,
    EntryLint,
    LintConfig,
    LintResult,
    lint_entries,
    lint_entry,
    lint_playbook,
    stable_entry_id,
)

__all__ = [
    "ADOPTIONS",
    "CUE_HITS",
    "DEFAULT_BANNED_TOKENS",
    "DEFAULT_CUE_TYPES",
    "DEFAULT_MAX_TEXT_LENGTH",
    "DEFAULT_WEIGHTS",
    "ENTRY_COLUMNS",
    "ENTRY_LIST_KEYS",
    "FAILED",
    "FAILURES",
    "GATES",
    "LEARNING_KEY_COLUMNS",
    "RETRIES",
    "SCORES",
    "SUCCESSFUL",
    "EntryLint",
    "LintConfig",
    "LintResult",
    "PlaybookOptions",
    "learning_key_report",
    "learning_key_slug",
    "lint_entries",
    "lint_entry",
    "lint_playbook",
    "load_document",
    "load_playbook_entries",
    "playbook_entries",
    "playbook_entry_usage",
    "playbook_sessions",
    "stable_entry_id",
    "transfer_level",
]
