"""Hostile strings in every data field reach no renderer raw: the terminal and stderr show control characters as
escapes and never interpret rich markup, Markdown escapes HTML and Markdown syntax (checked by parsing it with
markdown-it), and the JSON report keeps the exact data. Every section, the input table, the input errors and the
playbook lint are covered; the data comes from the real SDK."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.analyzer._sdk_dumps import Dump, write_knob_loops
from trajdyn.analyzer import DynamicsOptions
from trajdyn.analyzer.report._escape import visible
from trajdyn.cli.analyze import EXIT_OK, main

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (a dependency of rich) parses the Markdown")

KNOB = "knob\x1b[2J\x1b[H<script>alert(1)</script>|x"
KNOB2 = "k2\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\[bold red]rich[/bold red]"
VALUE = "v`code`*em* <img src=x onerror=alert(1)>"
TASK1 = "task\x1b]0;pwned\x07[click](javascript:alert(1))"
TASK2 = "task2\u202egnp.exe\r\nnext"
MODEL = "model|<b>bold</b>\x9b31m"
RUN = "run\x1b[31m-"
KEY = "key<script>x</script>\x1b[2J"
MODE = "mode\x07"
ENTRY = "entry\x1b[2J<img src=x onerror=alert(1)>|[x](javascript:alert(1))"
HANDLE = "shell\x1b[2J<script>rm()</script>"
FILE = "spans\x1b[31m|`<b>.jsonl"
PAYLOADS = (KNOB, KNOB2, VALUE, TASK1, TASK2, MODEL, RUN, KEY, MODE, ENTRY)

# what no rendered text may hold: C0 controls but newline, DEL, C1, separators and bidirectional controls
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Dump]:
    """Three runs of two tasks through the real SDK with hostile names everywhere, under a hostile file name, plus
    an input error and a playbook file whose entry id and runtime handle are hostile."""
    root = tmp_path_factory.mktemp("hostile")
    dump = write_knob_loops(
        root / "sdk.jsonl",
        runs=3,
        tasks=(TASK1, TASK2),
        iterations=8,
        menu=(KNOB, KNOB2, "lr"),
        values=(VALUE, "2"),
        model=MODEL,
        run_prefix=RUN,
        learning_key=KEY,
        mode=MODE,
        entry=ENTRY,
    )
    spans = root / FILE
    odd = {  # a span of its own (not a step: the trajectories' numbers are untouched) with a value of the wrong type
        "traceId": "f" * 32,
        "spanId": "e" * 16,
        "name": "odd",
        "attributes": [{"key": "trajdyn.iteration", "value": {"stringValue": f"x{KNOB}"}}],
    }
    bad = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [odd]}]}]}).encode()
    spans.write_bytes(dump.data + bad + b"\n")
    from tests.analyzer._playbook_data import write_playbook_entry

    playbook = write_playbook_entry(root / "playbook.jsonl", ENTRY, HANDLE)
    return spans, playbook, dump


@pytest.fixture(scope="module")
def rendered(hostile: tuple[Path, Path, Dump], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CLI's terminal report (stdout, stderr) and its --out files (report.json, report.md, playbook/*)."""
    spans, playbook, _ = hostile
    out = tmp_path_factory.mktemp("out")
    common = [str(spans), "--playbook", str(playbook), "--allowed-handles", "logs.search", "--no-progress"]
    common += ["--shuffles", "0", "--group-by", "model"]
    capture = pytest.MonkeyPatch()
    capture.setenv("COLUMNS", "400")
    import contextlib
    import io

    terminal_out, terminal_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(terminal_out), contextlib.redirect_stderr(terminal_err):
        rc_terminal = main(common)
        rc_files = main([*common, "--out", str(out)])
    capture.undo()
    return {
        "rc": (rc_terminal, rc_files),
        "stdout": terminal_out.getvalue(),
        "stderr": terminal_err.getvalue(),
        "json": json.loads((out / "report.json").read_text(encoding="utf-8")),
        "markdown": {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*.md")},
    }


def test_the_cli_succeeds_with_every_section(rendered: dict[str, Any]) -> None:
    assert rendered["rc"] == (EXIT_OK, EXIT_OK)
    report = rendered["json"]
    assert {"playbook", "sensitivity", "trends"} <= set(report)
    assert all({"exploration", "dynamics"} <= set(t) for t in report["trajectories"])
    assert report["playbook"]["lint"] is not None


def test_the_json_report_keeps_the_exact_data(rendered: dict[str, Any], hostile: tuple[Path, Path, Dump]) -> None:
    report = rendered["json"]
    spans = hostile[0]
    assert [i["path"] for i in report["inputs"]] == [str(spans)]
    assert {t["task_id"] for t in report["trajectories"]} == {TASK1, TASK2}
    assert {t["model"] for t in report["trajectories"]} == {MODEL}
    assert {t["run_id"] for t in report["trajectories"]} == {f"{RUN}{r}" for r in range(3)}
    knobs = set().union(*(t["exploration"]["knob_counts"] for t in report["trajectories"]))
    assert {KNOB, KNOB2} <= knobs
    assert {p["value"] for t in report["trajectories"] for p in t["exploration"]["top_pairs"]} >= {VALUE}
    assert [e["entry_id"] for e in report["playbook"]["entries"]] == [ENTRY]
    assert [k["learning_key"] for k in report["playbook"]["learning_keys"]] == [KEY]
    assert [g["group"] for g in report["trends"]] == [MODEL]
    assert {g["group"] for g in report["sensitivity"]["groups"]} == {TASK1, TASK2}
    (error,) = report["errors"]  # the message quotes the bad value as JSON
    assert error["path"] == str(spans) and json.dumps(f"x{KNOB}") in error["message"]


def test_the_terminal_report_and_stderr_hold_no_raw_control_characters(rendered: dict[str, Any]) -> None:
    for stream in ("stdout", "stderr"):
        text = rendered[stream]
        assert text, stream
        assert not RAW_CONTROL.findall(text), (stream, sorted(set(RAW_CONTROL.findall(text))))


def test_the_terminal_report_shows_the_data_inert(rendered: dict[str, Any], hostile: tuple[Path, Path, Dump]) -> None:
    out = rendered["stdout"]
    assert "[bold red]rich[/bold red]" in out  # rich markup in a knob name is shown, not applied
    for payload in (TASK1, MODEL, ENTRY, KEY):  # the task, trends, playbook entry and learning-key tables
        assert visible(payload) in out, payload
    assert visible(KNOB) in out  # the exploration detail
    assert visible(HANDLE) in out  # the lint reasons
    err = rendered["stderr"]
    assert f"{visible(str(hostile[0]))}:{len(hostile[2].lines) + 1}: expected trajdyn.iteration" in err


def _tokens(text: str) -> list[Any]:
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return list(md.parse(text))


def _walk(tokens: list[Any]) -> list[Any]:
    out: list[Any] = []
    for token in tokens:
        out.append(token)
        out.extend(_walk(token.children or []))
    return out


def test_every_markdown_file_is_inert(rendered: dict[str, Any]) -> None:
    docs = rendered["markdown"]
    assert {"report.md"} <= set(docs) and any(name.startswith("playbook/") for name in docs)
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for name, text in docs.items():
        assert not RAW_CONTROL.findall(text), name
        tokens = _walk(_tokens(text))
        kinds = {t.type for t in tokens}
        assert not kinds & {"html_block", "html_inline", "link_open", "image", "s_open"}, (name, kinds)
        rows: list[int] = []
        for token in tokens:  # every table row has as many cells as its header: no | from the data split one
            if token.type == "tr_open":
                rows.append(0)
            elif token.type in ("th_open", "td_open"):
                rows[-1] += 1
            elif token.type == "table_close":
                assert len(set(rows)) == 1, (name, rows)
                rows = []
        rendered_html = md.render(text)
        assert "<script" not in rendered_html and "<img" not in rendered_html and "<b>" not in rendered_html, name


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


def test_every_markdown_section_shows_the_data_as_text(
    rendered: dict[str, Any], hostile: tuple[Path, Path, Dump]
) -> None:
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    sections = _sections(rendered["markdown"]["report.md"])
    expected = {
        "Inputs": [str(hostile[0])],
        "Input errors (1)": [str(hostile[0])],
        "Exploration": [KNOB, KNOB2, VALUE, TASK1, MODEL],
        "Dynamics": [TASK2, MODEL],
        "Sensitivity and regimes": [TASK1, TASK2, MODEL],
        "Playbook": [ENTRY, KEY, MODE, MODEL, TASK1, HANDLE],  # entries, learning keys, sessions, lint
        "Trends": [MODEL],
    }
    assert set(expected) <= set(sections), sorted(sections)
    for title, payloads in expected.items():
        shown = md.render(sections[title])
        for payload in payloads:
            assert html.escape(visible(payload), quote=False) in shown, (title, payload)


def test_a_hostile_file_name_in_a_markdown_code_span(tmp_path: Path, hostile: tuple[Path, Path, Dump]) -> None:
    """Backticks in the data cannot close the code span that shows it (the fence is longer than any run)."""
    from trajdyn.analyzer.report._escape import markdown_code

    for text in ("a`b", "``x``", "`", "a|b", "<b>x</b>"):
        span = markdown_code(text, table=False)
        (paragraph,) = [t for t in _tokens(span) if t.type == "inline"]
        (code,) = paragraph.children
        assert code.type == "code_inline" and code.content == text
    assert shutil.which  # keep the import list honest when markdown-it is missing


def test_the_escape_functions() -> None:
    from trajdyn.analyzer.report._escape import clip, html_text, markdown_text, plain_text, terminal_text

    assert visible("a\x1b[2Jb\n\t\x9b\u202e\x7f") == "a\\x1b[2Jb\\n\\t\\x9b\\u202e\\x7f"
    assert visible("plain ünïcødé ✓") == "plain ünïcødé ✓"
    assert clip("x" * 10, 4) == "xxxx… [6 more characters]"
    assert plain_text("p\x1b]0;t\x07") == "p\\x1b]0;t\\x07"
    assert html_text('<img src="x" onerror=alert(1)>') == "&lt;img src=&quot;x&quot; onerror=alert(1)&gt;"
    assert markdown_text("learning_rate") == "learning_rate"  # ordinary names are unchanged
    assert markdown_text("_a_ *b* `c` ~d~ a|b") == "\\_a\\_ \\*b\\* \\`c\\` \\~d\\~ a\\|b"
    assert markdown_text("[x](javascript:alert(1)) & <b>") == "[x\\](javascript:alert(1)) &amp; &lt;b&gt;"
    assert markdown_text("- item", block_start=True) == "\\- item"
    assert markdown_text("12. item", block_start=True) == "12\\. item"
    assert terminal_text("[bold]x[/bold]").plain == "[bold]x[/bold]"  # a Text is never parsed as markup


def test_a_long_name_is_clipped_for_display_and_kept_whole_in_the_json(tmp_path: Path) -> None:
    """A 300,000-character knob name: each terminal cell and Markdown cell shows the first characters and how
    many more there are; the JSON report has the whole name."""
    import io

    from rich.console import Console

    from trajdyn.analyzer import analyze
    from trajdyn.analyzer.report import render_markdown, render_terminal, report_to_json

    long = "k" * 300_000
    dump = write_knob_loops(tmp_path / "long.jsonl", tasks=("t",), iterations=4, menu=(long, "b"))
    report = analyze([str(dump.path)], options=[DynamicsOptions(shuffles=0)])
    buf = io.StringIO()
    render_terminal(report, Console(file=buf, width=160))
    terminal = buf.getvalue()
    markdown = render_markdown(report)
    assert "more characters]" in terminal and "more characters]" in markdown
    assert len(terminal) < 100_000 and len(markdown) < 100_000
    assert long in json.loads(report_to_json(report))["trajectories"][0]["exploration"]["knob_counts"]
