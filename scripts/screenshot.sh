#!/usr/bin/env bash
# Regenerates docs/img/report.png, the README's screenshot of the HTML report: runs the example agent loop (seeded),
# writes its report with `trajdyn-analyze --html`, and saves the top of the page as rendered by headless Chromium
# (tests/_browser.py, the browser tests' driver). Needs the test environment (bash scripts/bootstrap.sh test) and
# Chromium (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
.venv/bin/python examples/autoresearch_loop.py --out "$tmp" >/dev/null
.venv/bin/trajdyn-analyze "$tmp/spans.jsonl" --html "$tmp/report.html" --no-progress --quiet
mkdir -p docs/img
.venv/bin/python -m tests._browser "$tmp/report.html" --shot docs/img/report.png --width 1100 --clip-height 1400 \
  >/dev/null
echo "docs/img/report.png: $(wc -c <docs/img/report.png) bytes"
