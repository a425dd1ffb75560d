"""A hostile-input corpus, generated at test time from a real SDK dump: each case asserts the exit code, the exact
``file:line: problem`` lines on stderr, and the exact number of spans kept (docs/reliability.md, "Analyzer input")."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.analyzer._fuzz import nested_value
from tests.analyzer._sdk_dumps import REPO_ROOT, Dump, write_knob_loops
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer import read_spans
from trajdyn.cli.analyze import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, main

TRUNCATED = "truncated JSON (the writer was probably killed mid-line)"
GZIP_ENDS = "gzip data ends early (a truncated file): the lines before this point were read, like zcat"
NOTHING = "trajdyn-analyze: error: nothing readable: no spans, benchmark results or sweep summaries in the inputs"


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """3 knob loops of 6 iterations through the real SDK, 4 spans a line (15 lines, 57 spans)."""
    return write_knob_loops(tmp_path_factory.mktemp("sdk") / "spans.jsonl")


@dataclass
class Run:
    rc: int
    stderr: list[str]
    spans: dict[str, int]
    report: dict[str, Any] | None


def analyze(capsys: pytest.CaptureFixture[str], tmp_path: Path, *inputs: str | Path, strict: bool = False) -> Run:
    """``trajdyn-analyze INPUTS --json OUT`` in this process: exit code, stderr lines, spans per input."""
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    argv = [*map(str, inputs), "--json", str(out), "--no-progress", "--sections", "exploration"]
    rc = main([*argv, "--strict"] if strict else argv)
    stderr = capsys.readouterr().err.splitlines()
    report = json.loads(out.read_text()) if out.exists() else None
    spans = {i["path"]: i["spans"] for i in report["inputs"]} if report else {}
    return Run(rc, stderr, spans, report)


def write(path: Path, lines: Sequence[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


# ---------------------------------------------------------------------------------------------------------------
# lines: resynchronise after a torn or garbage first line, never abort on one bad line
# ---------------------------------------------------------------------------------------------------------------
def test_a_torn_first_line_loses_only_that_line(dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "torn.jsonl", [dump.lines[0][:200], *dump.lines[1:]])
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert run.stderr == [f"{path}:1: {TRUNCATED}"]
    assert run.spans == {str(path): dump.total - dump.spans_per_line[0]}


@pytest.mark.parametrize(
    ("first", "message"),
    [
        (b"garbage that is not JSON", "malformed JSON at column 1 (at 'garbage that is not ')"),
        (b'{"resourceSpans": [', TRUNCATED),  # opens an object like a pretty-printed document would
        (b"\x00\x01\x02{", "malformed JSON at column 1 (at '\\x00\\x01\\x02{')"),
    ],
)
def test_a_garbage_first_line_is_reported_and_the_lines_after_it_are_read(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str], first: bytes, message: str
) -> None:
    path = write(tmp_path / "garbage.jsonl", [first, *dump.lines])
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert run.stderr == [f"{path}:1: {message}"]
    assert run.spans == {str(path): dump.total}


def test_one_bad_line_never_aborts(dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_of_range = b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","attributes":[{"key":"a","value":{"doubleValue":1e999}}]}]}]}]}'
    bad = [b"1 2", b"1e999", b'"\\ud800"', out_of_range, b"[1, 2]", b'{"spans": []}', b"\xff\xfe{}"]
    lines = [dump.lines[0], *[x for pair in zip(bad, dump.lines[1:], strict=False) for x in pair], *dump.lines[8:]]
    path = write(tmp_path / "bad.jsonl", lines)
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert run.stderr == [
        f"{path}:2: malformed JSON: more data after a complete JSON value, at column 3",
        f"{path}:4: JSON that cannot be decoded: a number out of range (beyond a 64-bit float, e.g. 1e999)",
        f"{path}:6: JSON that cannot be decoded: a lone UTF-16 surrogate escape (\\ud800) in a string",
        f"{path}:8: JSON that cannot be decoded: a number out of range (beyond a 64-bit float, e.g. 1e999)",
        f'{path}:10: not an OTLP document: expected an object with "resourceSpans", got a JSON array',
        f"{path}:12: not an OTLP document: expected an object with \"resourceSpans\", got a JSON object with keys 'spans'",
        f"{path}:14: invalid UTF-8 (byte 0xff at byte 0: invalid start byte)",
    ]
    assert run.spans == {str(path): dump.total}


def test_a_utf8_byte_order_mark_before_the_file_or_a_line_is_ignored(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bom = b"\xef\xbb\xbf"
    lines = [bom + dump.lines[0], *dump.lines[1:5], bom + dump.lines[5], *dump.lines[6:]]  # cat a.jsonl b.jsonl
    path = write(tmp_path / "bom.jsonl", lines)
    run = analyze(capsys, tmp_path, path)
    assert (run.rc, run.stderr, run.spans) == (EXIT_OK, [], {str(path): dump.total})


def test_a_pretty_printed_document_with_a_bom_is_one_document(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(json.loads(dump.lines[3]), indent=2).encode())
    run = analyze(capsys, tmp_path, path)
    assert (run.rc, run.stderr, run.spans) == (EXIT_OK, [], {str(path): dump.spans_per_line[3]})


def test_a_fragment_glued_to_the_next_batch_keeps_the_complete_document(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk: the writer left 100 bytes of line 5, then wrote line 6 after them on the same line."""
    path = write(tmp_path / "glued.jsonl", [*dump.lines[:4], dump.lines[4][:100] + dump.lines[5], *dump.lines[6:]])
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert run.stderr == [
        f"{path}:5: torn line: skipped an unfinished fragment of 100 bytes and read the 1 complete OTLP document(s) "
        "on the same line (a writer interrupted mid-line, e.g. by a full disk, then wrote again)"
    ]
    assert run.spans == {str(path): dump.total - dump.spans_per_line[4]}


# ---------------------------------------------------------------------------------------------------------------
# values: out of range, nested too deeply, too many metric keys
# ---------------------------------------------------------------------------------------------------------------
def test_integers_beyond_64_bits_are_reported_and_the_spans_kept(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = dump.lines[2]
    line = re.sub(rb'"startTimeUnixNano":"\d+"', f'"startTimeUnixNano":{2**63}'.encode(), line, count=1)
    line = re.sub(rb'"endTimeUnixNano":"\d+"', f'"endTimeUnixNano":{2**64 + 5}'.encode(), line, count=1)
    line, n = re.subn(
        rb'\{"key":"trajdyn.iteration","value":\{"intValue":"\d+"\}\}',
        b'{"key":"trajdyn.iteration","value":{"intValue":' + str(2**70).encode() + b"}}",
        line,
        count=1,
    )
    assert n == 1
    path = write(tmp_path / "ints.jsonl", [*dump.lines[:2], line, *dump.lines[3:]])
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert sorted(run.stderr) == sorted(
        [
            f"{path}:3: expected startTimeUnixNano to be a 64-bit integer, got {2**63}; set to null",
            f"{path}:3: expected endTimeUnixNano to be a 64-bit integer, got {2**64 + 5}; set to null",
            f"{path}:3: expected trajdyn.iteration to be a 64-bit integer, got {2**70}; kept the span, value set to null",
        ]
    )
    assert run.spans == {str(path): dump.total}


@pytest.mark.parametrize(
    ("levels", "kind", "lost", "message"),
    [
        (100, "kvlist", False, "attribute 'deep' is nested deeper than 64 levels; kept the span, value set to null"),
        (100, "array", False, "attribute 'deep' is nested deeper than 64 levels; kept the span, value set to null"),
        (300, "kvlist", True, "JSON nested too deeply to decode (about a thousand levels or more)"),
        (1000, "array", True, "JSON nested too deeply to decode (about a thousand levels or more)"),
    ],
)
def test_deeply_nested_values_never_raise_recursion_error(
    dump: Dump,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    levels: int,
    kind: str,
    lost: bool,
    message: str,
) -> None:
    deep = b'{"key":"deep","value":' + nested_value(levels, kind) + b"},"
    spans_at = dump.lines[1].index(b'"spans":[')  # into the first span's attributes, then the resource's
    on_span = dump.lines[1][:spans_at] + dump.lines[1][spans_at:].replace(
        b'"attributes":[', b'"attributes":[' + deep, 1
    )
    on_resource = dump.lines[2].replace(b'"attributes":[', b'"attributes":[' + deep, 1)
    path = write(tmp_path / "deep.jsonl", [dump.lines[0], on_span, on_resource, *dump.lines[3:]])
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    if lost:
        assert run.stderr == [f"{path}:2: {message}", f"{path}:3: {message}"]
        assert run.spans == {str(path): dump.total - dump.spans_per_line[1] - dump.spans_per_line[2]}
    else:
        resource = "resource attribute 'deep' is nested deeper than 64 levels; set to null"
        assert run.stderr == [f"{path}:2: {message}", f"{path}:3: {resource}"]
        assert run.spans == {str(path): dump.total}


def test_more_than_256_metric_keys_stay_in_the_attributes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spans = [
        {
            "traceId": "0af7651916cd43dd8448eb211c80319c",
            "spanId": f"{i + 1:016x}",
            "name": "observe",
            "attributes": [{"key": f"trajdyn.metrics.k{i:03d}", "value": {"doubleValue": i / 2}}],
        }
        for i in range(300)
    ]
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}) + "\n")
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    assert run.stderr == [
        f"{path}:1: more than 256 distinct trajdyn.metrics.* keys: 'trajdyn.metrics.k256' and later new keys "
        "are kept in the attributes JSON, not as columns"
    ]
    assert run.spans == {str(path): 300}
    frame = read_spans(path).span_frame
    metric_columns = [c for c in frame.columns if c.startswith("trajdyn.metrics.")]
    assert metric_columns == [f"trajdyn.metrics.k{i:03d}" for i in range(256)]
    assert frame["trajdyn.metrics.k255"].drop_nulls().to_list() == [127.5]
    assert json.loads(frame[K.ATTRIBUTES][299]) == {"trajdyn.metrics.k299": 149.5}  # nothing lost


# ---------------------------------------------------------------------------------------------------------------
# gzip, pipes, links, directories
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_a_truncated_gzip_yields_its_readable_prefix_like_zcat(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str], fraction: float
) -> None:
    packed = gzip.compress(dump.data)
    cut = packed[: int(len(packed) * fraction)]
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(cut)
    prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    if shutil.which("gzip"):  # the reference: what zcat prints before it complains (it may stop a few bytes earlier)
        zcat = subprocess.run(["gzip", "-dc", str(path)], capture_output=True, check=False)
        assert zcat.returncode != 0 and prefix.startswith(zcat.stdout)
    complete = prefix.count(b"\n")
    partial = not prefix.endswith(b"\n")
    run = analyze(capsys, tmp_path, path)
    assert run.rc == EXIT_OK
    if partial:
        assert run.stderr == [f"{path}:{complete + 1}: {TRUNCATED}", f"{path}:{complete + 1}: {GZIP_ENDS}"]
    else:
        assert run.stderr == [f"{path}:{complete}: {GZIP_ENDS}"]
    assert run.spans == {str(path): sum(dump.spans_per_line[:complete])}


def test_a_fifo_is_read_as_a_stream(dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "spans.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as fh:
            fh.write(gzip.compress(dump.data))  # gzip is sniffed on streams too

    writer = threading.Thread(target=feed)
    writer.start()
    run = analyze(capsys, tmp_path, fifo)
    writer.join(timeout=30)
    assert (run.rc, run.stderr, run.spans) == (EXIT_OK, [], {str(fifo): dump.total})


def _cli(*args: str, stdin: bytes | None = None, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    command = [*prefix, sys.executable, "-m", "trajdyn.cli.analyze", *args, "--no-progress"]
    return subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=120, check=False)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(…) process substitution")
def test_process_substitution_is_read(dump: Dump, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    script = 'exec "$0" -m trajdyn.cli.analyze <(cat "$1") --json "$2" --no-progress --sections exploration'
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    proc = subprocess.run(
        ["bash", "-c", script, sys.executable, str(dump.path), str(out)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr == b""
    (only,) = json.loads(out.read_text())["inputs"]
    assert only["path"].startswith("/dev/fd/") and only["spans"] == dump.total


def test_gzip_on_stdin(dump: Dump, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = _cli("-", "--json", str(out), "--sections", "exploration", stdin=gzip.compress(dump.data))
    assert proc.returncode == EXIT_OK, proc.stderr
    assert json.loads(out.read_text())["inputs"] == [{"path": "<stdin>", "spans": dump.total, "errors": 0}]


def test_links_that_lead_nowhere_are_reported_as_such(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop_a, loop_b, dangling = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "gone.jsonl"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    dangling.symlink_to(tmp_path / "missing-target.jsonl")
    run = analyze(capsys, tmp_path, loop_a)
    assert (run.rc, run.stderr) == (
        EXIT_USAGE,
        [f"{loop_a}:0: symbolic link loop (too many levels of symbolic links)", NOTHING],
    )
    run = analyze(capsys, tmp_path, loop_a, dangling, dump.path)
    assert run.rc == EXIT_OK
    assert run.stderr == [
        f"{loop_a}:0: symbolic link loop (too many levels of symbolic links)",
        f"{dangling}:0: broken symbolic link (its target does not exist)",
    ]
    assert run.spans[str(dump.path)] == dump.total


def test_an_unreadable_subdirectory_is_reported(dump: Dump, tmp_path: Path) -> None:
    """Permissions are real: as root (which ignores them) the analyzer runs without capabilities (setpriv)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv is missing: cannot drop the capability to read anything")
        prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"]
    root = tmp_path / "runs"
    (root / "locked").mkdir(parents=True)
    (root / "open").mkdir()
    shutil.copy(dump.path, root / "open" / "spans.jsonl")
    shutil.copy(dump.path, root / "locked" / "spans.jsonl")
    (root / "locked").chmod(0)
    out = tmp_path / "report.json"
    try:
        proc = _cli(str(root), "--json", str(out), "--sections", "exploration", prefix=prefix)
    finally:
        (root / "locked").chmod(0o755)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr.decode().splitlines() == [f"{root / 'locked'}:0: cannot read directory: Permission denied"]
    spans = {i["path"]: i["spans"] for i in json.loads(out.read_text())["inputs"]}
    assert spans == {str(root / "open" / "spans.jsonl"): dump.total, str(root / "locked"): 0}


def test_many_small_files_are_batched_with_their_own_names_and_lines(
    dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line a file (batched into one decoding job), one file with a bad second line among them."""
    root = tmp_path / "small"
    root.mkdir()
    for k, line in enumerate(dump.lines):
        write(root / f"{k:03d}.jsonl", [line] if k != 7 else [line, b"{oops", line])
    run = analyze(capsys, tmp_path, root)
    assert run.rc == EXIT_OK
    assert run.stderr == [f"{root / '007.jsonl'}:2: malformed JSON at column 2 (at 'oops')"]
    expected = {str(root / f"{k:03d}.jsonl"): n for k, n in enumerate(dump.spans_per_line)}
    expected[str(root / "007.jsonl")] *= 2  # the same line twice: both read (duplicates are dropped later)
    assert run.spans == expected
    frame = read_spans(root).span_frame
    assert frame.height == dump.total
    kept = frame.filter(frame[K.SOURCE] == str(root / "007.jsonl"))
    # one copy of each duplicated span; which line it came from is not part of the contract (issue 10: chosen by
    # content, never by position), but it is one of the two good lines, not the bad one between them
    assert kept.height == dump.spans_per_line[7]
    assert kept[K.LINE].unique().to_list() in ([1], [3])


def test_empty_and_blank_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty, blank = tmp_path / "empty.jsonl", tmp_path / "blank.jsonl"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n \n\t\n")
    run = analyze(capsys, tmp_path, empty, blank)
    assert run.rc == EXIT_USAGE
    assert run.stderr == [
        f"{empty}:0: empty input: no OTLP data",
        f"{blank}:0: empty input: no OTLP data",
        NOTHING,
    ]


def test_strict_stops_at_the_first_problem(dump: Dump, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "bad.jsonl", [dump.lines[0], b"1 2", *dump.lines[1:]])
    run = analyze(capsys, tmp_path, path, strict=True)
    assert run.rc == EXIT_INPUT_ERROR
    assert run.stderr == [
        f"trajdyn-analyze: error: {path}:2: malformed JSON: more data after a complete JSON value, at column 3 "
        "(--strict)"
    ]
