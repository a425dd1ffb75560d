"""Random text through every chart of the HTML report, in this process: run by ``test_html_fuzz.py`` in a subprocess.

vl-convert aborts the whole process (SIGABRT, a Rust panic no ``try`` can catch) on one XML-invalid character in any
string of a chart; every string therefore passes :func:`~trajdyn.analyzer.report._escape.chart_text` first. This
script draws every chart builder with hypothesis text (any code point, lone surrogates, controls, bidi overrides,
U+FFFE/FFFF, long strings) in titles, labels, category and series names, and checks each SVG. Before each chart it
writes the example to ``--log`` (flushed), so that after an abort the last line names the text that killed it.

    python -m tests.analyzer.report._html_fuzz --examples N [--seed S] [--log FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from trajdyn.analyzer.report.html import charts, render_svg

HOSTILE = ["\x00", "\x1b[2J", "\x07", "\ud800", "\udfff", "\ufffe", "\uffff", "\u202e", "\u2028", "\x85", "\\", "\n"]
TEXT = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=12),
        st.sampled_from(HOSTILE),
        st.sampled_from(["<script>", "]]>", "</svg>", "&amp;", "{{datum.x}}", "${x}", "'\"", "x" * 400]),
    ),
    max_size=6,
).map("".join)


def _builders(a: str, b: str) -> list[Callable[[], dict[str, Any]]]:
    """Every chart builder with the two strings wherever the data can put a string."""
    return [
        lambda: charts.histogram([{"lo": 0.0, "hi": 1.0, "n": 3, "group": a}], title=a, x_title=b),
        lambda: charts.band([{"x": 1, "lo": 0.1, "mid": 0.2, "hi": 0.3}], title=a, x_title=b, y_title=a),
        lambda: charts.multi_line(
            [{"x": 1, "y": 1.0, "series": a}, {"x": 2, "y": 0.5, "series": b}], title=b, x_title=a, y_title=b
        ),
        lambda: charts.series_with_segment(
            [{"x": 0, "y": 1.0, "series": a}], title=a, x_title=b, y_title=a, segment=(0, 1), segment_label=b
        ),
        lambda: charts.forest(
            [
                {"label": a, "est": 0.1, "lo": 0.0, "hi": 0.2, "tone": "good", "other": 0.1},
                {"label": a, "est": -0.1, "lo": -0.2, "hi": 0.0, "tone": "bad", "other": 0.0},
                {"label": b, "est": 0.0, "lo": -0.1, "hi": 0.1, "tone": "none", "other": 0.0},
            ],
            title=b,
            x_title=a,
            extra_ticks=True,
        ),
        lambda: charts.category_bars([{"label": a, "n": 2}, {"label": b, "n": 1}], title=a, x_title=b),
        lambda: charts.trend(
            [{"x": 0, "y": 0.5, "run": a}, {"x": 1, "y": 0.6, "run": b}],
            title=a,
            y_title=b,
            fan=[{"x": 0, "mid": 0.5, "lo": 0.4, "hi": 0.6}],
            changes=[{"x": 0.5}],
            segments=[{"a": 0, "b": 1, "m": 0.55}],
            last_ci={"x": 1, "lo": 0.5, "hi": 0.7},
        ),
        lambda: charts.hconcat(
            [
                charts.cumulative_best([1.0, 0.9, None], [2], title=a, y_title=b),
                charts.window_bars([{"first": 1, "last": 3, "rate": 0.5}], title=b, y_title=a),
                charts.coverage_growth([(0, 0), (3, 2)], title=a, y_title=b),
            ],
            title=b,
        ),
    ]


def run(examples: int, seed_value: int, log: TextIO) -> int:
    drawn = 0

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(a=TEXT, b=TEXT, which=st.integers(min_value=0, max_value=7))
    def draw(a: str, b: str, which: int) -> None:
        nonlocal drawn
        log.write(f"{which} {a!r} {b!r}\n")
        log.flush()
        svg = render_svg(_builders(a, b)[which](), chart_id=f"f{drawn}")
        assert svg.startswith("<svg")
        drawn += 1

    draw()
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.analyzer.report._html_fuzz")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args()
    with args.log.open("w", encoding="utf-8", errors="backslashreplace") if args.log else sys.stderr as log:
        drawn = run(args.examples, args.seed, log)
    print(f"drew {drawn} charts from random text")


if __name__ == "__main__":
    main()
