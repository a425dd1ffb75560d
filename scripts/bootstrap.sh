#!/usr/bin/env bash
# Creates (or reuses) the project virtual environment in .venv and installs trajdyn with the given extras.
# Usage: scripts/bootstrap.sh EXTRAS [PIP_ARGS...]     e.g. scripts/bootstrap.sh analyze
set -euo pipefail
cd "$(dirname "$0")/.."
extras="$1"; shift
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# torch is pinned to the CPU build (2.13.0); an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[${extras}]" "$@"
