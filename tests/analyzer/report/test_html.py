"""The HTML report without a browser: every page is self-contained and inert (checked element by element), shows the
report's numbers (the article's published ones for its loop), renders the same bytes twice, respects the detail and
size options, and degrades per section; the CLI writes it with --html and --out and says when the extra is missing.

The same pages are loaded in a real Chromium in ``test_html_browser.py``.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.analyzer.report._html import ENTRY, KNOB, LONG, MODEL, PAYLOADS, check_page, hostile_inputs, parse
from tests.conftest import EXTERNAL_DIR, REPO_ROOT

pytest.importorskip("vl_convert", reason="vl-convert-python (the html extra) draws the charts")

from trajdyn.analyzer import DynamicsOptions, analyze
from trajdyn.analyzer.report import Report, ReportSection, SectionResult
from trajdyn.analyzer.report._escape import visible
from trajdyn.analyzer.report.html import (
    CSP,
    ChartError,
    HtmlContext,
    HtmlOptions,
    HtmlPart,
    Interest,
    check_svg,
    clean_spec,
    el,
    render_fragment,
    render_html,
    select_detail,
)
from trajdyn.analyzer.report.html._exploration import coverage_points, numbered_from_one
from trajdyn.analyzer.report.html._trends import trend_layers
from trajdyn.cli.analyze import EXIT_OK, EXIT_USAGE, main

GOLDEN = REPO_ROOT / "tests" / "golden" / "reports"


@pytest.fixture(scope="module")
def article() -> tuple[Report, str]:
    """The autoresearch article's loop (``autoresearch-trajectory.jsonl``) and its page."""
    if EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data tests")
    report = analyze(
        [str(EXTERNAL_DIR / "autoresearch-trajectory.jsonl")], progress=False, options=[DynamicsOptions(shuffles=20)]
    )
    return report, render_html(report)


def test_the_article_loop_page_is_inert_and_shows_the_published_numbers(article: tuple[Report, str]) -> None:
    _, page = article
    parsed = check_page(page)
    text = parsed.plain
    # the article: 36 repeats of 50 (0.72), 14 unique pairs, keeps at 4 6 23 31 33 43 45 46, best 10.8534 at 45,
    # improvement 0.93 %, window repeat rates 0.5 0.5 0.8 0.9 0.9
    for shown in (
        "0.72",
        "36 of 50 iterations repeated a pair",
        "0.93 %",
        "10.8534 at iteration 45",
        "[4, 6, 23, 31, 33, 43, 45, 46]",
        "14 (Chao1",
    ):
        assert shown in text, shown
    assert page.count("<svg") == 2  # the exploration panels and the dynamics panels of the one trajectory
    assert "Trajectories in detail" not in text  # one trajectory: its detail is the sections' body
    assert [i for i in parsed.ids() if i.startswith("s-")] == [
        "s-overview",
        "s-inputs",
        "s-exploration",
        "s-dynamics",
        "s-sensitivity",
    ]


def test_the_page_is_the_same_bytes_every_time(article: tuple[Report, str]) -> None:
    report, page = article
    assert render_html(report) == page


def test_the_coverage_growth_of_every_golden_report_ends_at_its_distinct_pairs() -> None:
    """Coverage growth is read off the windows' repeat rates; on every trajectory of every golden report (real and
    synthetic) numbered 1 … N it ends exactly at ``unique_pairs``, never falls, and never rises by more than the
    window's iterations; a trajectory with gaps in its numbering (the synthetic mixed loops have some) gets none."""
    seen = gaps = 0
    for path in sorted(GOLDEN.glob("*.json")):
        for t in json.loads(path.read_text(encoding="utf-8"))["trajectories"]:
            block = t.get("exploration")
            if not block or not block["windows_repeat_rate"]:
                continue
            points = coverage_points(block)
            if points is None:
                assert not numbered_from_one(block)
                gaps += 1
                continue
            assert points[-1] == (block["iterations"], block["unique_pairs"]), (path.name, t["trajectory_id"])
            assert all(0 <= b[1] - a[1] <= b[0] - a[0] for a, b in itertools.pairwise(points))
            seen += 1
    assert seen > 200 and gaps > 0


def test_the_trend_chart_layers_of_a_pinchbench_group() -> None:
    doc = json.loads((GOLDEN / "pinchbench-all-runs.json").read_text(encoding="utf-8"))
    (group,) = doc["trends"]
    layers = trend_layers(group)
    n = len(group["series"])
    assert [p["y"] for p in layers["points"]] == group["series"]
    assert [p["run"] for p in layers["points"]] == [r["run_id"] for r in group["runs"]]
    centre = layers["fan"][(n - 1) // 2 : n // 2 + 1]
    # the Theil-Sen line passes through the series median at the median index (scipy's intercept)
    assert sum(p["mid"] for p in centre) / len(centre) == pytest.approx(group["median"])
    lo, hi = group["sen_slope_ci"]
    first, last = layers["fan"][0], layers["fan"][-1]
    assert last["hi"] - last["mid"] == pytest.approx((hi - group["sen_slope"]) * (n - 1) / 2)
    assert first["hi"] - first["mid"] == pytest.approx((group["sen_slope"] - lo) * (n - 1) / 2)
    ci = group["last_vs_previous"]["delta_ci"]
    assert layers["last_ci"] == {
        "x": n - 1,
        "lo": pytest.approx(group["series"][-2] + ci[0]),
        "hi": pytest.approx(group["series"][-2] + ci[1]),
    }
    assert layers["changes"] == [] and layers["segments"] == []


def test_change_points_become_rules_and_segment_medians() -> None:
    group = {
        "series": [0.9, 0.9, 0.91, 0.7, 0.69, 0.71, 0.5, 0.5],
        "runs": [{"run_id": f"r{i}"} for i in range(8)],
        "change_points": [
            {"index": 3, "before_median": 0.9, "after_median": 0.7},
            {"index": 6, "before_median": 0.7, "after_median": 0.5},
        ],
    }
    layers = trend_layers(group)
    assert layers["changes"] == [{"x": 2.5}, {"x": 5.5}]
    assert layers["segments"] == [
        {"a": 0, "b": 2, "m": 0.9},
        {"a": 3, "b": 5, "m": 0.7},
        {"a": 3, "b": 5, "m": 0.7},
        {"a": 6, "b": 7, "m": 0.5},
    ]
    assert layers["fan"] == [] and layers["last_ci"] is None


def test_clean_spec_leaves_no_unsafe_string_or_number() -> None:
    spec = {
        "title": "a\x1b[2J\u202eb" + "x" * 500,
        "data": {"values": [{"k": "\ufffe\x00", "v": float("nan")}, {"k": "ok", "v": float("inf")}, ("t", 1)]},
        "bad\x07key": True,
    }
    cleaned = clean_spec(spec)
    assert cleaned["title"].startswith("a\\x1b[2J\\u202eb") and "more characters]" in cleaned["title"]
    assert cleaned["data"]["values"] == [{"k": "\\ufffe\\x00", "v": None}, {"k": "ok", "v": None}, ["t", 1]]
    assert cleaned["bad\\x07key"] is True
    with pytest.raises(ChartError):
        clean_spec({"x": object()})


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<image xlink:href="http://x.example/a.png"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:red"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(http://x.example/#g)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(#missing)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><style>*{}</style></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><rect id="x"/></a></svg>',
        "<svg><unclosed></svg>",
    ],
)
def test_check_svg_refuses_anything_but_plain_drawing(svg: str) -> None:
    with pytest.raises(ChartError):
        check_svg(svg)


def test_check_svg_accepts_references_to_its_own_ids() -> None:
    check_svg(
        '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"><stop offset="0"/></linearGradient>'
        '</defs><rect fill="url(#g)"/></svg>'
    )


def test_the_markup_builder_refuses_live_html() -> None:
    with pytest.raises(ValueError):
        el("script", "x")
    with pytest.raises(ValueError):
        el("a", "x", onclick="y")
    with pytest.raises(ValueError):
        el("p", "x", style="color:red")
    assert el("p", "<b>x</b>", title='"q"') == '<p title="&quot;q&quot;">&lt;b&gt;x&lt;/b&gt;</p>'


def test_the_page_orders_the_regimes_the_metric_knows() -> None:
    from trajdyn.analyzer.metrics.dynamics import REGIMES
    from trajdyn.analyzer.report.html._dynamics import REGIMES as SHOWN

    assert SHOWN == REGIMES


def test_html_options_are_checked() -> None:
    from trajdyn.cli.analyze import HTML_DETAIL_DEFAULT, build_parser, html_options

    assert HtmlOptions().detail == HTML_DETAIL_DEFAULT  # the number --help names
    assert html_options(build_parser().parse_args(["x"])) == HtmlOptions()
    assert html_options(build_parser().parse_args(["x", "--html-detail", "0"])) == HtmlOptions(detail=0)
    with pytest.raises(ValueError):
        HtmlOptions(detail=-1)
    with pytest.raises(ValueError):
        HtmlOptions(max_bytes=True)


def _report(trajectories: int) -> Report:
    return Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "x", "spans": 1, "errors": 0}],
        errors=[],
        trajectories=[{"trajectory_id": f"t{i}", "iterations": 1} for i in range(trajectories)],
        blocks={},
    )


def test_detail_goes_to_the_most_interesting_kinds_in_turn() -> None:
    report = _report(10)
    loops = HtmlPart(
        "a", "A", el("p", ""), interest={f"t{i}": [Interest("loop", 1 + i / 10, "loop")] for i in (1, 2, 3)}
    )
    plateaus = HtmlPart(
        "b", "B", el("p", ""), interest={"t2": [Interest("plateau", 0.9, "p")], "t7": [Interest("plateau", 0.5, "p")]}
    )
    chosen = [str(e["trajectory_id"]) for e, _ in select_detail(report, [loops, plateaus], 4)]
    assert chosen == ["t3", "t2", "t1", "t7"]  # loop, plateau (t2), loop (t2 taken: t1), plateau (t7)
    six = select_detail(report, [loops, plateaus], 6)
    assert [str(e["trajectory_id"]) for e, _ in six] == ["t3", "t2", "t1", "t7", "t0", "t4"]
    assert six[-1][1] == ["report order"] and six[1][1] == ["loop", "p"]
    everything = select_detail(report, [loops], 10)
    assert [str(e["trajectory_id"]) for e, _ in everything] == [f"t{i}" for i in range(10)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """16 seeded trajectories with planted loops (the synthetic-mixed-loops golden case)."""
    from tests.analyzer._dumps import lines_of, seeded_spans, write_lines

    root = tmp_path_factory.mktemp("mixed")
    paths = write_lines(root / "mixed", lines_of(seeded_spans(2026, 16), [512]))
    return analyze(paths, progress=False, options=[DynamicsOptions(shuffles=20)])


def test_html_detail_and_the_size_budget(mixed: Report) -> None:
    assert len(mixed.trajectories) == 16
    three = render_html(mixed, HtmlOptions(detail=3))
    check_page(three)
    assert three.count('<article class="traj"') == 3
    assert "3 of 16 trajectories, the most interesting first" in html.unescape(three)
    none = render_html(mixed, HtmlOptions(detail=0))
    assert "<article" not in none and 'id="s-detail"' not in none
    budget = len(none.encode("utf-8")) + 60_000  # room for one article or two, not for ten
    tight = render_html(mixed, HtmlOptions(detail=10, max_bytes=budget))
    kept = tight.count('<article class="traj"')
    assert 0 < kept < 10 and len(tight.encode("utf-8")) <= budget
    assert f"{10 - kept} more were left out to keep the page under" in tight


def _dynamics_report(n: int, loops: dict[int, int]) -> Report:
    """``n`` trajectories of 40 turns with a dynamics block each; ``loops`` maps an index to its loop's onset turn."""
    from trajdyn.analyzer.report import DynamicsSection

    entries: list[dict[str, Any]] = []
    for i in range(n):
        onset = loops.get(i)
        loop = {"detected": onset is not None, "period": 2 if onset is not None else None, "onset_turn": onset}
        loop.update({"repeats": None if onset is None else (40 - onset) // 2, "p_value": 1e-6 if onset else None})
        entries.append(
            {
                "trajectory_id": f"t{i:02d}",
                "task_id": f"task-{i // 4}",
                "iterations": 40,
                "dynamics": {
                    "turns": 40,
                    "regime": "looping" if onset is not None else "unknown",
                    "regime_reason": "a reason",
                    "action_entropy": 0.5,
                    "entropy_window": 10,
                    "windowed_entropy": [0.9] * 31,
                    "loop": loop,
                    "drift": {"basis": "action", "anchor": [0.0, 1.0, 1.2], "step": [1.0, 0.5]},
                },
            }
        )
    return Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "in.jsonl", "spans": 40 * n, "errors": 0}],
        errors=[],
        trajectories=entries,  # type: ignore[arg-type]
        blocks={},
        sections=(DynamicsSection(),),
    )


def test_loops_get_detail_first_and_the_finding_links_to_the_longest() -> None:
    report = _dynamics_report(30, {7: 30, 12: 10, 20: 24})
    page = render_html(report, HtmlOptions(detail=2))
    parsed = check_page(page)
    articles = [a["id"] for tag, a in parsed.tags if tag == "article"]
    assert articles == ["t-12", "t-20"]  # the loops over most of their turns first
    text = parsed.plain
    assert "Loops in 3 of 30 trajectories; the longest: t12 (task task-3)" in text
    links = [a["href"] for tag, a in parsed.tags if tag == "a" and str(a.get("href", "")).startswith("#t-")]
    assert links == ["#t-12"]
    assert "Loops detected 3 of 30" in text
    # the loop's turns are shaded in its detail charts: from the onset to the last turn
    start = page.index('id="t-12"')
    article = page[start : page.index("</article>", start)]
    assert article.count('opacity="0.14"') == 2
    # an article left out by the size budget is not linked to
    budget = len(render_html(report, HtmlOptions(detail=0)).encode("utf-8")) + 5_000
    tight = render_html(report, HtmlOptions(detail=2, max_bytes=budget))
    parsed = check_page(tight)  # every href's target exists
    assert not [a for tag, a in parsed.tags if tag == "article"]
    assert "2 more were left out to keep the page under" in tight and 'href="#t-12"' not in tight


def _findings(report: Report) -> str:
    text = check_page(render_html(report)).plain
    return text.split("Findings", 1)[1].split("Inputs and their problems", 1)[0]


def test_one_trajectory_s_loop_and_stuck_regime_are_findings() -> None:
    findings = _findings(_dynamics_report(1, {0: 30}))
    assert "Loop: period 2 from turn 30, 5 repeats (p = 1e-06)." in findings
    assert "Regime looping: a reason." in findings
    assert _findings(_dynamics_report(1, {})).strip() == "Nothing flagged."


@pytest.mark.parametrize("name", ["pinchbench-all-runs-fusion", "popoto-sweep_20260325_151421"])
def test_fusion_and_sweeps_draw_their_estimates_and_cliffs(name: str) -> None:
    from tests.golden._cases import CASES, PROFILES_DIR, inputs
    from trajdyn.analyzer import FusionOptions

    if EXTERNAL_DIR is None:
        pytest.skip("../shared/external is absent (clone outside CI); set TRAJDYN_SHARED_DIR to run real-data tests")
    (case,) = [c for c in CASES if c.name == name]
    with inputs(case) as (paths, _):
        profile = case.options.get("profile")
        options = [FusionOptions(profile=PROFILES_DIR / profile)] if profile else []
        report = analyze(paths, progress=False, options=options)
    page = render_html(report)
    parsed = check_page(page)
    text = parsed.plain
    if "fusion" in name:
        block = report.blocks["fusion"]
        assert isinstance(block, dict)
        heads = [m["headline"] for g in block["groups"] for m in g["metrics"] if m["metric"] == "score"]
        assert len(heads) == 6 and all(visible(h) in text for h in heads)  # every group's score sentence
        assert "Target mass without benchmark tasks 16 of 16" in text
        assert page.count("<svg") == 4  # score, then tokens and cost over the groups (no proportion here)
    else:
        block = report.blocks["sweeps"]
        assert isinstance(block, dict)
        cliffs = [(c["name"], x) for c in block["constants"] for x in c["cliffs"]]
        assert cliffs and all(f"{n}: cliff {x['from']} → {x['to']}" in text for n, x in cliffs)
        assert "Sensitive constants 2 of 24" in text and "12 of 24 constants drawn" in text
        assert page.count('fill="#c0392b"') >= len(cliffs)  # the values a cliff falls into, in red


def test_the_notebook_fragment_is_the_same_report(mixed: Report) -> None:
    fragment = mixed._repr_html_()
    assert fragment.startswith('<div class="trajdyn"><style>')
    check_page(fragment, document=False)
    page = render_html(mixed)
    body = page[page.index("<header>") : page.index("</footer>")]
    assert body in fragment
    assert render_fragment(mixed) == fragment
    assert CSP in page and CSP not in fragment  # a fragment cannot carry a policy; the notebook's applies


class _Plugin(ReportSection):
    """A report-scope section without an HTML view of its own (as fusion and sweeps are until they draw one)."""

    name: ClassVar[str] = "fusion_demo"
    scope = "report"

    def compute(self, ctx: Any) -> SectionResult:  # pragma: no cover - the report is built by hand
        return SectionResult(block=None)

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        return []

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[Any]:
        return []


class _Broken(_Plugin):
    name: ClassVar[str] = "broken"

    def to_html(self, report: Report, ctx: HtmlContext) -> HtmlPart | None:
        raise KeyError("missing")


class _Drawn(_Plugin):
    """A section that draws its own part: a headline, a finding and a chart."""

    name: ClassVar[str] = "drawn"

    def to_html(self, report: Report, ctx: HtmlContext) -> HtmlPart | None:
        from trajdyn.analyzer.report.html import Finding, Headline, charts

        block = report.blocks[self.name]
        assert isinstance(block, Mapping)
        spec = charts.category_bars([{"label": "<b>x</b>", "n": block["n"]}], title="Drawn", x_title="n")
        return HtmlPart(
            self.name,
            "Drawn section",
            ctx.figure(spec, "a chart of the plug-in"),
            headlines=[Headline("Fused estimate", "0.42", "95 % CI 0.40 – 0.44")],
            findings=[Finding("the plug-in found something", tone="bad")],
        )


def test_sections_plug_in_their_own_part_or_get_a_plain_view() -> None:
    report = Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "in.jsonl", "spans": 3, "errors": 0}],
        errors=[],
        trajectories=[],
        blocks={"fusion_demo": {"estimate": 0.5, "label": "<script>x</script>", "cells": [1, 2]}, "drawn": {"n": 3}},
        sections=(_Plugin(), _Drawn(), _Broken()),
    )
    page = render_html(report)
    text = parse(page).plain
    assert "Fusion demo" in text and "estimate 0.5" in text and "<script>x</script>" in text and "2 items" in text
    assert "Fused estimate 0.42 95 % CI 0.40 – 0.44" in text and "the plug-in found something" in text
    assert page.count("<svg") == 1 and "&lt;b&gt;x&lt;/b&gt;" in page
    # the broken section says so; the rest of the page is there
    assert 'class="render-error"' in page and "KeyError" in text and "its data is in the JSON report" in text


# ----------------------------------------------------------------------------------------------------------------------
# hostile strings through every section
# ----------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("hostile-html")
    spans, playbook = hostile_inputs(root)
    out = root / "out"
    args = [str(spans), "--playbook", str(playbook), "--allowed-handles", "logs.search", "--no-progress", "--quiet"]
    rc = main([*args, "--shuffles", "0", "--out", str(out), "--html-detail", "50"])
    assert rc == EXIT_OK
    return (out / "report.html").read_text(encoding="utf-8"), json.loads((out / "report.json").read_text())


def test_hostile_strings_reach_every_section_and_stay_text(hostile_page: tuple[str, dict[str, Any]]) -> None:
    page, report = hostile_page
    assert {"playbook", "sensitivity", "trends"} <= set(report)
    parsed = check_page(page)
    sections = {i for i in parsed.ids() if i.startswith("s-")}
    assert {"s-exploration", "s-dynamics", "s-sensitivity", "s-playbook", "s-trends", "s-detail"} <= sections
    text = parsed.plain
    for payload in PAYLOADS:
        shown = " ".join(visible(payload).split())
        assert shown in text, payload  # the data is on the page, as text, escapes visible
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "onerror=" not in re.sub(r"&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;", "", page).replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert LONG not in page and "more characters]" in text  # clipped for display, whole in the JSON
    assert LONG in json.dumps(report)


def test_hostile_strings_in_charts_are_text_too(hostile_page: tuple[str, dict[str, Any]]) -> None:
    """The chart SVGs hold the data (trend titles, forest labels, knob bars) as escaped text only."""
    page, _ = hostile_page
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert svgs
    drawn = " ".join(html.unescape(t) for svg in svgs for t in re.findall(r">([^<]+)</text>", svg))
    assert visible(MODEL)[:40] in drawn  # the trends chart of the model's group
    assert visible(KNOB)[:40] in drawn  # the most proposed knobs
    for svg in svgs:
        assert "<script" not in svg and "<img" not in svg and "<iframe" not in svg


# ----------------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------------
def test_cli_writes_the_page_with_html_and_out(
    external: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(external / "autoresearch-trajectory.jsonl")
    page = tmp_path / "page.html"
    assert main([source, "--html", str(page), "--shuffles", "0", "--no-progress"]) == EXIT_OK
    assert capsys.readouterr().out == ""  # an output option: no terminal report
    check_page(page.read_text(encoding="utf-8"))
    out = tmp_path / "out"
    assert main([source, "--out", str(out), "--shuffles", "0", "--no-progress"]) == EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]
    assert main(["--html", str(page), "--playbook", str(tmp_path / "none.yaml")]) == EXIT_USAGE
    assert "--html needs a PATH" in capsys.readouterr().err
    assert main([source, "--html-detail", "-1"]) == EXIT_USAGE
    capsys.readouterr()
    # - is stdout for --html as for the other outputs: the page alone, the same bytes as the file
    assert main([source, "--html", "-", "--shuffles", "0", "--no-progress"]) == EXIT_OK
    stamp = re.compile(r"generated \S+")  # the run's time
    assert stamp.sub("", capsys.readouterr().out) == stamp.sub("", page.read_text(encoding="utf-8"))
    assert main([source, "--html", "-", "--json", "-", "--shuffles", "0", "--no-progress"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and "--html - and another output both ask for stdout" in captured.err


_BLOCK_VL = textwrap.dedent(
    """
    import sys
    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "vl_convert":
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None
    sys.meta_path.insert(0, _Refuse())
    from trajdyn.cli.analyze import main
    raise SystemExit(main(sys.argv[1:]))
    """
)


def test_without_the_html_extra(external: Path, tmp_path: Path) -> None:
    """--html names the extra before any analysis; --out writes the JSON and Markdown and says why there is no page."""
    source = str(external / "autoresearch-trajectory.jsonl")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _BLOCK_VL, source, "--shuffles", "0", "--no-progress", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    proc = run("--html", str(tmp_path / "x.html"))
    assert proc.returncode == EXIT_USAGE and "pip install 'trajdyn[html]'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x.html").exists()
    proc = run("--out", str(tmp_path / "out"))
    assert proc.returncode == EXIT_OK, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json", "report.md"]
    assert "report.html not written" in proc.stderr and "pip install 'trajdyn[html]'" in proc.stderr


def test_the_playbook_forest_draws_every_entry_with_its_interval() -> None:
    """Entries (hostile ids, two of which clip to the same label) in rank order; significant ones coloured; the
    overview says which help and which hurt."""
    from trajdyn.analyzer.report import PlaybookSection
    from trajdyn.analyzer.report.html._charts import BAD, GOOD

    long_a, long_b = "E" * 200 + "a", "E" * 200 + "b"  # the same first 120 characters: drawn as two rows
    entries = [
        {
            "rank": 1,
            "entry_id": ENTRY,
            "reward_delta_within": -0.2,
            "ci_low": -0.3,
            "ci_high": -0.1,
            "significant": True,
        },
        {"rank": 2, "entry_id": long_a, "reward_delta_within": -0.01, "ci_low": -0.1, "ci_high": 0.08},
        {"rank": 3, "entry_id": long_b, "reward_delta_within": 0.02, "ci_low": -0.05, "ci_high": 0.09},
        {
            "rank": 4,
            "entry_id": "helps",
            "reward_delta_within": 0.15,
            "ci_low": 0.05,
            "ci_high": 0.25,
            "significant": True,
        },
        {"rank": 5, "entry_id": "no estimate", "reward_delta_within": None, "ci_low": None, "ci_high": None},
    ]
    report = Report(
        generated_at="2000-01-01T00:00:00Z",
        inputs=[{"path": "in.jsonl", "spans": 10, "errors": 0}],
        errors=[],
        trajectories=[],
        blocks={
            "playbook": {"summary": {"entries": 5, "entries_negative": 2}, "entries": entries, "learning_keys": []}
        },
        sections=(PlaybookSection(),),
    )
    page = render_html(report)
    parsed = check_page(page)
    (svg,) = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    labels = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", svg)]
    assert visible(ENTRY) in labels and "helps" in labels and "no estimate" not in labels
    assert sum(1 for t in labels if t.startswith("EEEE")) == 2  # not merged into one row
    assert svg.count(f'fill="{GOOD}"') >= 1 and svg.count(f'fill="{BAD}"') >= 1
    text = parsed.plain
    assert "Playbook entries that help 1 of 5" in text and "Playbook entries that hurt 1 of 5" in text
    assert f"Playbook entry {visible(ENTRY)} hurts: within-task reward effect -0.2 (95 % CI -0.3 – -0.1)" in text
    assert "4 of 4 entries in rank order" in text
