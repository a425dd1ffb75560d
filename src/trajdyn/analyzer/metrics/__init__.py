"""Metric families: pure functions from the analyzer's polars frames to one row per trajectory.

Each function's docstring states its definitions and references (mirrored in ``docs/metrics/``).
"""

from __future__ import annotations

from trajdyn.analyzer.metrics.exploration import EXPLORATION_KEYS, exploration

__all__ = ["EXPLORATION_KEYS", "exploration"]
