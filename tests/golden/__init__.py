"""Golden reports: the full JSON and Markdown report of every real input the analyzer reads and of synthetic cases.

Regenerate with ``python -m tests.golden.regen`` (see docs/report.md, "Golden reports").
"""
