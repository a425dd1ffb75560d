#!/usr/bin/env bash
# The whole test suite: install everything from locks/test.txt (CPU torch, the offline MiniLM model, Phoenix for
# the end-to-end export test, ruff, mypy), then ruff, mypy --strict on src/, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
