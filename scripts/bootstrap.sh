#!/usr/bin/env bash
# Creates (or reuses) the project virtual environment in .venv and installs exactly the packages of one lock file,
# then trajdyn itself (editable, without dependencies: the lock has them all).
# Usage: scripts/bootstrap.sh LOCK     LOCK: analyze (what scripts/main.sh needs) | test (scripts/test.sh: every
#        extra, the dev tools and Phoenix) -> locks/LOCK.txt, written by scripts/relock.sh.
#
# The installer is uv at a pinned version, installed from PyPI with pip into .tools/ (not into .venv: `uv pip sync`
# makes .venv hold the lock and nothing else). torch is the 2.13.0 CPU wheel in /opt/wheels (the lock pins it with that
# file's hash); uv looks there only when told, so it is passed as --find-links. Without uv (or with
# TRAJDYN_INSTALLER=pip), pip installs the same lock (--require-hashes) as a fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bootstrap.sh analyze|test}"
lock="locks/${name}.txt"
if [ ! -f "$lock" ]; then
  echo "bootstrap: no lock file $lock (locks: $(ls locks | tr '\n' ' '))" >&2
  exit 2
fi
PY="${PYTHON:-python3}"
UV_VERSION=0.13.9
tools=".tools/uv-${UV_VERSION}"
uv="${tools}/bin/uv"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
find_links=()
if [ -d /opt/wheels ]; then
  find_links=(--find-links /opt/wheels)
fi
if [ "${TRAJDYN_INSTALLER:-uv}" = pip ]; then
  uv=/nonexistent
elif [ ! -x "$uv" ]; then
  "$PY" -m pip install --quiet --disable-pip-version-check --target "$tools" "uv==${UV_VERSION}" >/dev/null 2>&1 || true
fi
if [ -x "$uv" ]; then
  "$uv" pip sync --quiet --python .venv/bin/python "${find_links[@]}" "$lock"
  "$uv" pip install --quiet --python .venv/bin/python --no-deps -e .
else
  echo "bootstrap: installing ${lock} with pip (uv ${UV_VERSION} not used)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
fi
