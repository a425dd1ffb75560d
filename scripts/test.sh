#!/usr/bin/env bash
# The whole test suite: install everything from locks/test.txt (CPU torch, the offline MiniLM model, Phoenix for
# the end-to-end export test, ruff, mypy), headless Chromium for the HTML report's browser tests, then ruff, mypy
# --strict on src/, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
# Chromium from Debian's packages (tests/analyzer/report/test_html_browser.py), when absent and installable here (root and
# apt-get); otherwise those tests skip and say why. --no-install-recommends: 26 packages instead of ~130 (no systemd,
# avahi, cups). TRAJDYN_CHROMIUM names another binary.
if [ -z "${TRAJDYN_CHROMIUM:-}" ] && [ ! -x /usr/lib/chromium/chromium ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing headless Chromium for the browser tests (apt-get install chromium fonts-liberation)" >&2
    # Short network timeouts and a cap on the whole: a machine without a route to the mirror skips, never hangs.
    apt_opts=(-q -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 -o Acquire::Retries=1)
    install_chromium() {
      DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y "${apt_opts[@]}" --no-install-recommends \
        chromium fonts-liberation >/dev/null
    }
    install_chromium || { timeout 300 apt-get update "${apt_opts[@]}" >/dev/null && install_chromium; } ||
      echo "test: Chromium could not be installed; the browser tests will skip" >&2
  else
    echo "test: Chromium is absent and cannot be installed here (needs root and apt-get); the browser tests will skip" >&2
  fi
fi
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
