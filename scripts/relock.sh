#!/usr/bin/env bash
# Upgrades the lock files to the newest releases that pyproject.toml's ranges allow, then runs the whole test suite
# installing from the new locks (scripts/test.sh). Review `git diff locks/` and the test results before committing.
# Usage: scripts/relock.sh [PACKAGE ...]    with packages: upgrade only those (uv's --upgrade-package), else all.
#
# locks/test.txt: every extra (analyze, embeddings, html), the dev and e2e dependency groups; torch from /opt/wheels.
# locks/analyze.txt: the analyze and html extras (what scripts/main.sh needs: it writes the HTML report too),
# constrained to the versions of locks/test.txt (the two never disagree).
# Both are for CPython 3.11 on this project's machines (x86_64 Linux), with the hashes of every file.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=".tools/uv-${UV_VERSION}"
uv="${tools}/bin/uv"
if [ ! -x "$uv" ]; then
  "${PYTHON:-python3}" -m pip install --quiet --disable-pip-version-check --target "$tools" "uv==${UV_VERSION}"
fi
if [ ! -d /opt/wheels ]; then
  echo "relock: /opt/wheels (the CPU torch wheel) is missing: a PyPI torch would be the multi-GB CUDA build" >&2
  exit 2
fi
upgrade=(--upgrade)
if [ "$#" -gt 0 ]; then
  upgrade=()
  for pkg in "$@"; do upgrade+=(--upgrade-package "$pkg"); done
fi
common=(--python-version 3.11 --generate-hashes --quiet)
"$uv" pip compile pyproject.toml --extra all --group dev --group e2e --find-links /opt/wheels \
  "${common[@]}" "${upgrade[@]}" -o locks/test.txt
"$uv" pip compile pyproject.toml --extra analyze --extra html -c locks/test.txt "${common[@]}" "${upgrade[@]}" -o locks/analyze.txt
if grep -qE '^nvidia-|^torch==[0-9.]+ ' locks/test.txt; then
  echo "relock: locks/test.txt took a CUDA torch; keep torch at the CPU wheel in /opt/wheels" >&2
  exit 1
fi
git --no-pager diff --stat -- locks/ || true
bash scripts/test.sh
