#!/usr/bin/env bash
# The main job: install, run the example agent loop, analyse its spans, print the report, and write the report files
# (JSON, Markdown and the HTML page with charts) into $out/report/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh analyze
out="${TRAJDYN_DEMO_DIR:-trajdyn-out/demo}"
mkdir -p "$out"
rm -f "$out/spans.jsonl" "$out/spans.coverage.json"
.venv/bin/python examples/autoresearch_loop.py --out "$out"
.venv/bin/trajdyn-analyze "$out/spans.jsonl"
.venv/bin/trajdyn-analyze "$out/spans.jsonl" --out "$out/report" --quiet --no-progress
echo "HTML report: $(cd "$out/report" && pwd)/report.html"
