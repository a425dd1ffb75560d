"""Fixtures of the SDK tests: an in-memory span capture, and a reset of trajdyn's global state after each test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from trajdyn.sdk import reset
from trajdyn.sdk.testing import capture_spans

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _reset_trajdyn() -> Iterator[None]:
    reset()
    yield
    reset()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """trajdyn configured with a private provider → SimpleSpanProcessor → InMemorySpanExporter (incremental ids)."""
    exporter, _ = capture_spans()
    return exporter


def run_python(
    code: str, *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the repo's src on the path) and return the CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    full_env.pop("PYTEST_VERSION", None)
    full_env["PYTHONPATH"] = str(REPO_ROOT / "src")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
