"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles: "ci" (the default: 200 examples per property, no per-example deadline, since examples run
# real file reads on a shared 2-core machine) and "quick" for a fast local loop: HYPOTHESIS_PROFILE=quick pytest ...
# A test's own @settings still wins over the profile.
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("quick", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parent.parent
_SHARED_CANDIDATES = [
    Path(os.environ["TRAJDYN_SHARED_DIR"]) if os.environ.get("TRAJDYN_SHARED_DIR") else None,
    REPO_ROOT.parent / "shared",
]


def _find_external() -> Path | None:
    for candidate in _SHARED_CANDIDATES:
        if candidate is not None and (candidate / "external").is_dir():
            return candidate / "external"
    return None


EXTERNAL_DIR = _find_external()


@pytest.fixture
def external() -> Path:
    """``../shared/external``: real public data from the source systems (see its SOURCES.md).

    Skips the test when the shared directory is absent (a clone outside CI); set TRAJDYN_SHARED_DIR to point elsewhere.
    """
    if EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data tests")
    return EXTERNAL_DIR


SUMMARY_LINES: list[str] = []
"""Lines a test wants a person to see after the run (e.g. where the HTML report's screenshots are)."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in SUMMARY_LINES:
        terminalreporter.write_line(line)
