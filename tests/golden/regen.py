"""Regenerate the golden reports: ``python -m tests.golden.regen [NAME ...]`` (from the repository root).

Writes ``tests/golden/reports/NAME.json`` and ``NAME.md`` and the outline of the HTML page,
``tests/golden/html/NAME.txt`` (not without ``vl-convert-python``), for every case (or the named ones) and prints which
changed. Real-data cases need ``../shared/external`` (or ``TRAJDYN_SHARED_DIR``); without it they are left as they are.
A commit that changes a golden shows the diff and says why the old numbers were wrong.
"""

from __future__ import annotations

import sys

from tests.conftest import EXTERNAL_DIR
from tests.golden._cases import CASES, GOLDEN_DIR, HTML_GOLDEN_DIR, golden_paths, html_golden_path, render_all


def main(argv: list[str]) -> int:
    wanted = set(argv)
    unknown = wanted - {c.name for c in CASES}
    if unknown:
        print(f"unknown golden case(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    HTML_GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        if case.real and EXTERNAL_DIR is None:
            print(f"skipped   {case.name} (../shared/external is absent)")
            continue
        json_text, md_text, html_outline = render_all(case)
        changed = False
        targets = [*zip(golden_paths(case), (json_text, md_text), strict=True)]
        if html_outline:
            targets.append((html_golden_path(case), html_outline))
        for path, text in targets:
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old != text:
                path.write_text(text, encoding="utf-8")
                changed = True
        print(f"{'changed' if changed else 'unchanged':9} {case.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
