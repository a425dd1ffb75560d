#!/usr/bin/env bash
# The whole test suite: install everything (CPU torch, the offline MiniLM model, Phoenix for the
# end-to-end export test, the dev tools), then ruff, mypy --strict on src/, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh all "torch==2.13.0" "arize-phoenix" \
  "pytest>=8" "hypothesis>=6.100" "ruff>=0.6" "mypy>=1.11"
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
