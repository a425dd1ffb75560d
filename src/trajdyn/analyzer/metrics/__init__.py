"""Metric families: pure functions from the analyzer's polars frames to result frames.

Each function's docstring states its definitions and references (mirrored in ``docs/metrics/``): ``exploration``
(one row per trajectory), ``playbook`` (one row per playbook entry / per learning key), ``dynamics`` (frames per turn,
trajectory and task), ``trends`` (one analysis per group of runs). Their statistics live in
:mod:`trajdyn.analyzer.stats`.
"""

from __future__ import annotations

from trajdyn.analyzer.metrics.exploration import EXPLORATION_KEYS, ExplorationOptions, exploration
from trajdyn.analyzer.metrics.playbook import PlaybookOptions, learning_key_report, playbook_entries

__all__ = [
    "EXPLORATION_KEYS",
    "ExplorationOptions",
    "PlaybookOptions",
    "exploration",
    "learning_key_report",
    "playbook_entries",
]
