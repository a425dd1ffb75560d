"""Importers: foreign loop logs become valid conventions-v1 OTLP/JSON (unit tests on real and planted logs)."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from trajdyn import conventions as C
from trajdyn._values import canonical_value
from trajdyn.exceptions import InputError
from trajdyn.formats import (
    FORMATS,
    ImportedStep,
    ImportedTrajectory,
    ImportResult,
    build_requests,
    convert,
    detect_format,
    load_menu,
    write_jsonl,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


# ---------------------------------------------------------------------------------------------------------
# helpers: read back what the importer produced
# ---------------------------------------------------------------------------------------------------------
def _value(any_value: dict[str, Any]) -> Any:
    ((kind, raw),) = any_value.items()
    if kind == "intValue":
        return int(raw)
    if kind == "arrayValue":
        return [_value(v) for v in raw.get("values", [])]
    return raw


def _spans(result: ImportResult) -> list[dict[str, Any]]:
    out = []
    for req in result.requests:
        for rs in req["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    flat = dict(span)
                    flat["attrs"] = {kv["key"]: _value(kv["value"]) for kv in span.get("attributes", [])}
                    flat["resource"] = {kv["key"]: _value(kv["value"]) for kv in rs["resource"]["attributes"]}
                    flat["scope"] = ss["scope"]["name"]
                    out.append(flat)
    return out


def _roots(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in spans if "parentSpanId" not in s]


def _phase(spans: list[dict[str, Any]], phase: str) -> list[dict[str, Any]]:
    return [s for s in spans if s["attrs"].get(C.PHASE) == phase]


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


HEADER = {"_meta": "trajectory log", "baseline_val_bpb": 10.0, "accept_delta_frac": 0.005}


def _row(i: int, knob: str, value: object, bpb: float, decision: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "iter": i,
        "stage": "evaluated",
        "proposal": {"knob": knob, "new_value": value, "reason": "r"},
        "eval_metrics": {"ok": True, "val_bpb": bpb, "params_m": 1.5, "train_steps": 60},
        "val_bpb": bpb,
        "decision": decision,
    }
    row.update(extra)
    return row


# ---------------------------------------------------------------------------------------------------------
# autoresearch JSONL on the real 50-iteration loop
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def real_log(external: Path) -> Path:
    return external / "autoresearch-trajectory.jsonl"


@pytest.fixture
def real_menu(external: Path) -> Path:
    return external / "autoresearch-perturbation_menu.json"


def test_real_log_round_trips_through_json_lines_with_hex_ids_and_parent_links(real_log: Path, real_menu: Path) -> None:
    result = convert(real_log, "autoresearch", menu=real_menu)
    assert result.errors == []
    buf = io.StringIO()
    n = write_jsonl(result.requests, buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1 and n == 151 == result.span_count  # 1 root + 50 x (propose, observe, decide)
    parsed = json.loads(lines[0])
    spans = [s for rs in parsed["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    (root,) = [s for s in spans if "parentSpanId" not in s]
    assert all(HEX32.match(s["traceId"]) and s["traceId"] == root["traceId"] for s in spans)
    assert all(HEX16.match(s["spanId"]) for s in spans)
    assert len({s["spanId"] for s in spans}) == len(spans)
    children = [s for s in spans if s is not root]
    assert all(s["parentSpanId"] == root["spanId"] for s in children)
    for s in spans:
        assert s["kind"] == 1
        start, end = int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])
        assert isinstance(s["startTimeUnixNano"], str) and start <= end
        assert int(root["startTimeUnixNano"]) <= start and end <= int(root["endTimeUnixNano"])


def test_real_log_root_span_carries_the_search_space(real_log: Path, real_menu: Path) -> None:
    spans = _spans(convert(real_log, "autoresearch", menu=real_menu))
    (root,) = _roots(spans)
    menu = list(json.loads(real_menu.read_text())["knobs"])
    assert root["name"] == C.trajectory_span_name("autoresearch")
    assert root["attrs"][C.GEN_AI_OPERATION_NAME] == C.OPERATION_INVOKE_AGENT
    assert root["attrs"][C.KNOB_MENU] == menu and len(menu) == 13
    assert root["attrs"][C.OBJECTIVE] == C.OBJECTIVE_MINIMIZE
    assert root["attrs"][C.METRIC_NAME] == "val_bpb"
    assert root["attrs"][C.BASELINE] == 10.9554
    assert root["attrs"][C.TASK_ID] == "autoresearch-trajectory"
    assert root["resource"]["service.name"] == "trajdyn-import"
    assert root["resource"]["trajdyn.import.source"] == str(real_log)
    assert root["scope"] == "trajdyn.import.autoresearch"
    assert all(s["attrs"][C.TRAJECTORY_ID] == root["attrs"][C.TRAJECTORY_ID] for s in spans)


def test_real_log_steps_match_the_published_counts(real_log: Path, external: Path) -> None:
    published = json.loads((external / "autoresearch-analysis.json").read_text())
    spans = _spans(convert(real_log, "autoresearch"))
    proposes = _phase(spans, C.PHASE_PROPOSE)
    assert [s["attrs"][C.ITERATION] for s in proposes] == list(range(1, published["trajectory_iters"] + 1))
    assert sum(s["attrs"][C.REPEAT] for s in proposes) == published["repeat_count"]
    assert len({(s["attrs"][C.KNOB], s["attrs"][C.VALUE]) for s in proposes}) == published["unique_pairs"]
    keeps = [s["attrs"][C.ITERATION] for s in _phase(spans, C.PHASE_DECIDE) if s["attrs"][C.DECISION] == "keep"]
    assert keeps == published["keep_iters"]
    observes = _phase(spans, C.PHASE_OBSERVE)
    best = min(observes, key=lambda s: s["attrs"][C.METRIC])
    assert (best["attrs"][C.ITERATION], best["attrs"][C.METRIC]) == (published["best_iter"], published["best_val_bpb"])


def test_values_are_canonical_strings_and_actions_signatures(real_log: Path) -> None:
    proposes = _phase(_spans(convert(real_log, "autoresearch")), C.PHASE_PROPOSE)
    by_knob = {s["attrs"][C.KNOB]: s["attrs"] for s in proposes}
    assert by_knob["lr"][C.VALUE] == "0.0002" and by_knob["lr"][C.ACTION] == "lr=0.0002"
    assert {s["attrs"][C.VALUE] for s in proposes if s["attrs"][C.KNOB] == "d_model"} >= {"1536", "768"}


def test_observe_spans_carry_primary_and_secondary_metrics(real_log: Path) -> None:
    first_row = json.loads(real_log.read_text().splitlines()[1])
    observe = _phase(_spans(convert(real_log, "autoresearch")), C.PHASE_OBSERVE)[0]
    assert observe["attrs"][C.METRIC] == first_row["val_bpb"]
    assert observe["attrs"][C.metrics_key("peak_gpu_mem_gib")] == first_row["eval_metrics"]["peak_gpu_mem_gib"]
    assert C.metrics_key("val_bpb") not in observe["attrs"]
    assert C.metrics_key("ok") not in observe["attrs"]  # booleans are not metrics


def test_timestamps_come_from_the_log(real_log: Path) -> None:
    rows = [json.loads(x) for x in real_log.read_text().splitlines()[1:51]]
    decides = _phase(_spans(convert(real_log, "autoresearch")), C.PHASE_DECIDE)
    for row, decide in zip(rows, decides, strict=True):
        ts = datetime.fromisoformat(row["ts"]).replace(tzinfo=UTC)
        assert int(decide["endTimeUnixNano"]) == int(ts.timestamp()) * 10**9


def test_smoke_log_imports(external: Path) -> None:
    result = convert(external / "autoresearch-smoke_trajectory.jsonl")
    assert result.format == "autoresearch" and result.errors == []
    spans = _spans(result)
    assert _roots(spans)[0]["attrs"][C.BASELINE] == 10.9558
    assert [s["attrs"][C.DECISION] for s in _phase(spans, C.PHASE_DECIDE)] == ["revert", "revert", "keep"]


def test_reimport_is_byte_identical_and_another_name_gets_other_ids(real_log: Path, tmp_path: Path) -> None:
    a, b = convert(real_log, "autoresearch"), convert(real_log, "autoresearch")
    assert json.dumps(a.requests) == json.dumps(b.requests)
    copy = Path(shutil.copy(real_log, tmp_path / "copy.jsonl"))
    c = convert(copy, "autoresearch")
    assert _roots(_spans(c))[0]["traceId"] != _roots(_spans(a))[0]["traceId"]


def test_ids_depend_on_name_and_content_never_on_the_directory(real_log: Path, tmp_path: Path) -> None:
    """The same log anywhere (another directory, another machine) gives the same ids; a changed log other ids."""

    def without_source(requests: list[dict[str, Any]]) -> str:
        for req in requests:
            for rs in req["resourceSpans"]:
                rs["resource"]["attributes"] = [
                    kv for kv in rs["resource"]["attributes"] if kv["key"] != C.IMPORT_SOURCE
                ]
        return json.dumps(requests)

    elsewhere = tmp_path / "deep" / "er"
    elsewhere.mkdir(parents=True)
    moved = Path(shutil.copy(real_log, elsewhere / real_log.name))
    original, copied = convert(real_log, "autoresearch"), convert(moved, "autoresearch")
    assert without_source(copied.requests) == without_source(original.requests)
    assert _roots(_spans(copied))[0]["traceId"] == _roots(_spans(original))[0]["traceId"]
    moved.write_bytes(real_log.read_bytes() + b"\n")  # same rows, other bytes: another log
    changed = convert(moved, "autoresearch")
    assert _roots(_spans(changed))[0]["traceId"] != _roots(_spans(original))[0]["traceId"]


# ---------------------------------------------------------------------------------------------------------
# autoresearch JSONL: planted logs
# ---------------------------------------------------------------------------------------------------------
def test_bad_rows_are_reported_as_path_line_and_the_rest_imported(tmp_path: Path) -> None:
    log = _write(
        tmp_path / "log.jsonl",
        [
            HEADER,
            _row(1, "lr", 0.001, 9.9, "keep"),
            "{not json",
            {"iter": 3, "stage": "evaluated", "proposal": {"knob": "lr", "new_value": 1}, "decision": "keep"},
            [1, 2],
            _row(5, "lr", 0.001, 9.8, "maybe"),
            _row(6, "n_head", 8, 9.7, "revert"),
        ],
    )
    result = convert(log, "autoresearch")
    assert [(e.path, e.line) for e in result.errors] == [(str(log), 3), (str(log), 4), (str(log), 5), (str(log), 6)]
    assert str(result.errors[0]).startswith(f"{log}:3: not valid JSON")
    assert "val_bpb" in result.errors[1].message and "decision" in result.errors[3].message
    proposes = _phase(_spans(result), C.PHASE_PROPOSE)
    assert [(s["attrs"][C.ITERATION], s["attrs"][C.KNOB]) for s in proposes] == [(1, "lr"), (2, "n_head")]


def test_a_lone_surrogate_escape_in_a_log_becomes_a_replacement_character_not_a_crash(tmp_path: Path) -> None:
    """``"lr\\ud800"`` decodes to a string no UTF-8 writer can carry: the spans keep it as ``lr\ufffd``; written out
    by ``trajdyn-import`` and read in process by the analyzer alike."""
    pytest.importorskip("polars", reason="the analyzer needs the analyze extra")
    from trajdyn.analyzer import analyze

    log = tmp_path / "log.jsonl"
    row = json.dumps(_row(1, "lr", 0.001, 9.9, "keep")).replace('"knob": "lr"', '"knob": "lr\\ud800"')
    log.write_text(json.dumps(HEADER) + "\n" + row + "\n", encoding="utf-8")
    result = convert(log, "autoresearch")
    (propose,) = _phase(_spans(result), C.PHASE_PROPOSE)
    assert propose["attrs"][C.KNOB] == "lr\ufffd" and result.errors == []
    assert write_jsonl(result.requests, tmp_path / "spans.jsonl") == 4
    (entry,) = analyze([str(log)]).trajectories
    assert entry["exploration"]["knob_counts"] == {"lr\ufffd": 1}  # type: ignore[index]


def test_non_evaluated_stages_become_blocked_proposals_not_iterations(tmp_path: Path) -> None:
    log = _write(
        tmp_path / "log.jsonl",
        [
            HEADER,
            _row(1, "lr", 0.001, 9.9, "revert"),
            {"iter": 2, "stage": "blocked", "rail": "schema", "reason": "knob not in menu", "proposal": None},
            {
                "iter": 3,
                "stage": "eval_failed",
                "proposal": {"knob": "d_model", "new_value": 4096},
                "eval_metrics": {"ok": False, "error": "CUDA OOM"},
                "decision": "revert (eval crash)",
            },
            {"iter": 4, "stage": "nim_error", "nim_error": "timeout"},
            {"iter": 5, "stage": "paused", "reason": "pause flag"},
            _row(5, "lr", 0.001, 9.8, "keep"),
            {"stage": "loop_complete", "accept_count": 1},
        ],
    )
    result = convert(log, "autoresearch")
    assert result.errors == []
    proposes = _phase(_spans(result), C.PHASE_PROPOSE)
    got = [
        (
            s["attrs"][C.ITERATION],
            s["attrs"].get(C.BLOCKED, False),
            s["status"].get("code", 0),
            s["attrs"].get(C.REASON),
        )
        for s in proposes
    ]
    assert got == [
        (1, False, 0, None),
        (2, True, 0, "schema: knob not in menu"),
        (2, True, 2, "eval_failed: CUDA OOM"),
        (2, True, 2, "nim_error: timeout"),
        (2, False, 0, None),
    ]
    failed = proposes[2]
    assert failed["attrs"][C.KNOB] == "d_model" and failed["attrs"][C.VALUE] == "4096"
    assert [e["name"] for e in failed["events"]] == [C.EVENT_FAILURE]
    assert proposes[4]["attrs"][C.REPEAT] is True  # lr=0.001 was proposed at iteration 1
    assert len(_phase(_spans(result), C.PHASE_OBSERVE)) == 2


def test_a_repeat_is_relative_to_iterations_only_and_values_are_canonical(tmp_path: Path) -> None:
    log = _write(
        tmp_path / "log.jsonl",
        [
            HEADER,
            {"iter": 1, "stage": "blocked", "rail": "r", "reason": "x", "proposal": {"knob": "d", "new_value": 768}},
            _row(1, "d", 768.0, 9.9, "revert"),
            _row(2, "d", "768", 9.9, "revert"),
        ],
    )
    proposes = _phase(_spans(convert(log, "autoresearch")), C.PHASE_PROPOSE)
    assert [(s["attrs"][C.VALUE], s["attrs"][C.REPEAT]) for s in proposes] == [
        ("768", False),
        ("768", False),
        ("768", True),
    ]


def test_logs_without_timestamps_get_synthetic_monotone_times(tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [HEADER, *[_row(i, "lr", i, 9.0 + i, "revert") for i in range(1, 5)]])
    steps = [s for s in _spans(convert(log, "autoresearch")) if "parentSpanId" in s]
    times = [(int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])) for s in steps]
    assert all(start < end for start, end in times)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(times))


def test_second_header_starts_a_second_trajectory(tmp_path: Path) -> None:
    log = _write(
        tmp_path / "log.jsonl",
        [HEADER, _row(1, "lr", 1, 9.0, "keep"), {**HEADER, "baseline_val_bpb": 5.0}, _row(1, "lr", 1, 4.0, "keep")],
    )
    result = convert(log, "autoresearch")
    roots = _roots(_spans(result))
    assert len(result.requests) == 2 and [r["attrs"][C.BASELINE] for r in roots] == [10.0, 5.0]
    assert roots[0]["traceId"] != roots[1]["traceId"]
    assert roots[0]["attrs"][C.TRAJECTORY_ID] != roots[1]["attrs"][C.TRAJECTORY_ID]


def test_menu_embedded_in_the_header_and_overridden_by_menu_file(tmp_path: Path) -> None:
    log = _write(tmp_path / "log.jsonl", [{**HEADER, "knob_menu": ["lr", "d_model"]}, _row(1, "lr", 1, 9.0, "keep")])
    assert _roots(_spans(convert(log, "autoresearch")))[0]["attrs"][C.KNOB_MENU] == ["lr", "d_model"]
    menu = tmp_path / "menu.json"
    menu.write_text(json.dumps({"knobs": {"z": {}, "a": {}, "m": {}}}))
    assert _roots(_spans(convert(log, "autoresearch", menu=menu)))[0]["attrs"][C.KNOB_MENU] == ["z", "a", "m"]
    log2 = _write(tmp_path / "log2.jsonl", [HEADER, _row(1, "lr", 1, 9.0, "keep")])
    assert C.KNOB_MENU not in _roots(_spans(convert(log2, "autoresearch")))[0]["attrs"]


def test_menu_file_keeps_key_order_and_bad_menus_raise(real_menu: Path, tmp_path: Path) -> None:
    assert load_menu(real_menu)[:3] == ["n_layer", "n_head", "d_model"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"nothing": 1}')
    with pytest.raises(InputError, match="no knob menu"):
        load_menu(bad)
    bad.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_menu(bad)
    with pytest.raises(InputError, match="no such menu file"):
        load_menu(tmp_path / "missing.json")


def test_gzip_input_converts_like_the_plain_file(real_log: Path, tmp_path: Path) -> None:
    gz = tmp_path / "trajectory.jsonl.gz"
    gz.write_bytes(gzip.compress(real_log.read_bytes()))
    assert detect_format(gz) == "autoresearch"
    assert convert(gz).span_count == convert(real_log).span_count


# ---------------------------------------------------------------------------------------------------------
# autoresearch results.tsv
# ---------------------------------------------------------------------------------------------------------
TSV_ROWS = [
    ("aaa1111", "1.300000", "10.0", "keep", "baseline"),
    ("bbb2222", "1.280000", "10.5", "keep", "wider MLP"),
    ("ccc3333", "0.000000", "0.0", "crash", "int4 quant (OOM)"),
    ("ddd4444", "1.290000", "10.1", "discard", "wider MLP"),
]
TSV_COLUMNS = ["commit", "val_bpb", "memory_gb", "status", "description"]


def _tsv(path: Path, columns: list[str], rows: list[tuple[str, ...]] = TSV_ROWS) -> Path:
    order = [TSV_COLUMNS.index(c) for c in columns]
    lines = ["\t".join(columns)] + ["\t".join(row[i] for i in order) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _step_attrs(result: ImportResult) -> list[tuple[str, dict[str, Any], int]]:
    return [
        (s["name"], {k: v for k, v in s["attrs"].items() if k != C.TRAJECTORY_ID}, s["status"].get("code", 0))
        for s in _spans(result)
        if "parentSpanId" in s
    ]


def test_tsv_columns_are_read_by_header_name_not_position(tmp_path: Path) -> None:
    a = convert(_tsv(tmp_path / "a.tsv", TSV_COLUMNS), "autoresearch-tsv")
    b = convert(
        _tsv(tmp_path / "b.tsv", ["description", "status", "memory_gb", "commit", "val_bpb"]), "autoresearch-tsv"
    )
    assert a.errors == b.errors == []
    assert _step_attrs(a) == _step_attrs(b)
    assert _roots(_spans(a))[0]["attrs"][C.BASELINE] == _roots(_spans(b))[0]["attrs"][C.BASELINE] == 1.3


def test_tsv_rows_are_knobless_actions_with_commit_and_metrics(tmp_path: Path) -> None:
    spans = _spans(convert(_tsv(tmp_path / "r.tsv", TSV_COLUMNS), "autoresearch-tsv"))
    proposes = _phase(spans, C.PHASE_PROPOSE)
    assert [s["attrs"][C.ACTION] for s in proposes] == ["baseline", "wider MLP", "int4 quant (OOM)", "wider MLP"]
    assert all(C.KNOB not in s["attrs"] and C.VALUE not in s["attrs"] for s in proposes)
    assert [s["attrs"][C.REPEAT] for s in proposes] == [False, False, False, True]
    assert [s["attrs"]["vcs.ref.head.revision"] for s in proposes] == [r[0] for r in TSV_ROWS]
    assert [s["attrs"][C.ITERATION] for s in proposes] == [1, 2, 3, 4]
    observe = _phase(spans, C.PHASE_OBSERVE)[1]
    assert observe["attrs"][C.METRIC] == 1.28 and observe["attrs"][C.metrics_key("memory_gb")] == 10.5


def test_tsv_crash_rows_are_failed_iterations(tmp_path: Path) -> None:
    spans = _spans(convert(_tsv(tmp_path / "r.tsv", TSV_COLUMNS), "autoresearch-tsv"))
    observe = next(s for s in _phase(spans, C.PHASE_OBSERVE) if s["attrs"][C.ITERATION] == 3)
    assert C.METRIC not in observe["attrs"] and C.metrics_key("memory_gb") not in observe["attrs"]
    assert observe["status"]["code"] == 2 and "int4 quant" in observe["status"]["message"]
    decides = _phase(spans, C.PHASE_DECIDE)
    assert [s["attrs"][C.DECISION] for s in decides] == ["keep", "keep", "revert", "revert"]


def test_tsv_odd_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "odd.tsv"
    path.write_bytes(
        b"commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
        b"a1\t1.3\t1.0\tkeep\tbaseline\n"
        b"a2\t1.2\n"
        b"a3\tabc\t1.0\tdiscard\tx\n"
        b"a4\t1.1\t1.0\tmaybe\ty\n"
        b"a5\t1.0\t1.0\tdiscard\tbad \xff byte\n"
        b"\n"
        b"a6\t0.9\t1.0\tdiscard\ttab\tinside\n"
    )
    result = convert(path, "autoresearch-tsv")
    assert [e.line for e in result.errors] == [3, 4, 5, 6]
    assert "columns" in result.errors[0].message and "UTF-8" in result.errors[3].message
    actions = [s["attrs"][C.ACTION] for s in _phase(_spans(result), C.PHASE_PROPOSE)]
    assert actions == ["baseline", "tab\tinside"]


def test_tsv_header_without_required_columns_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("commit\tscore\nabc\t1\n")
    result = convert(path, "autoresearch-tsv")
    assert result.requests == [] and [(e.line, "val_bpb" in e.message) for e in result.errors] == [(1, True)]


def test_real_tsv_files_import_with_extra_columns(external: Path) -> None:
    for name, rows, crashes in [("bervaso-results.tsv", 25, 1), ("blitzo125-results.tsv", 22, 0)]:
        result = convert(external / name)
        assert result.format == "autoresearch-tsv" and result.errors == []
        spans = _spans(result)
        assert len(_phase(spans, C.PHASE_PROPOSE)) == rows
        assert sum(s["status"].get("code") == 2 for s in _phase(spans, C.PHASE_OBSERVE)) == crashes
    blitzo = _phase(_spans(convert(external / "blitzo125-results.tsv")), C.PHASE_OBSERVE)
    assert blitzo[0]["attrs"][C.metrics_key("artifact_mb")] == 11.96
    bervaso = _phase(_spans(convert(external / "bervaso-results.tsv")), C.PHASE_PROPOSE)
    assert "²" in bervaso[1]["attrs"][C.ACTION]


# ---------------------------------------------------------------------------------------------------------
# detection, registry, writer
# ---------------------------------------------------------------------------------------------------------
def test_formats_are_registered() -> None:
    assert {"autoresearch", "autoresearch-tsv"} <= set(FORMATS)


def test_detection_is_by_content_not_extension(external: Path, tmp_path: Path) -> None:
    jsonl = Path(shutil.copy(external / "autoresearch-trajectory.jsonl", tmp_path / "a.txt"))
    tsv = Path(shutil.copy(external / "blitzo125-results.tsv", tmp_path / "b.jsonl"))
    assert detect_format(jsonl) == "autoresearch"
    assert detect_format(tsv) == "autoresearch-tsv"
    assert convert(jsonl).format == "autoresearch"
    assert detect_format(Path(shutil.copy(external / "tau-bench-gpt-4o-airline.json", tmp_path / "c.jsonl"))) == (
        "tau-bench"
    )
    for otlp in ["otlp-spec-file-exporter-example.jsonl", "otlp-proto-example-trace.json"]:
        assert detect_format(external / otlp) is None


def test_detection_never_raises(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "garbage").write_bytes(b"\x00\xff\xfe\x80" * 100)
    (tmp_path / "dir").mkdir()
    for name in ["empty", "garbage", "dir", "missing"]:
        assert detect_format(tmp_path / name) is None


def test_convert_raises_input_error_for_unknown_format_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        convert(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="no such file"):
        convert(tmp_path / "missing.jsonl", "autoresearch")
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(InputError, match="not a log format"):
        convert(tmp_path / "x.txt")
    with pytest.raises(InputError, match="unknown import format"):
        convert(tmp_path / "x.txt", "nope")


def test_write_jsonl_to_path_counts_spans(real_log: Path, tmp_path: Path) -> None:
    result = convert(real_log)
    out = tmp_path / "spans.jsonl"
    assert write_jsonl(result.requests, out) == result.span_count
    assert [json.loads(line) for line in out.read_text().splitlines()] == result.requests


def test_imported_spans_ingest_without_errors(real_log: Path, real_menu: Path, tmp_path: Path) -> None:
    """trajdyn-import output reads back through the analyzer's ingest and trajectory model, strictly."""
    analyzer = pytest.importorskip("trajdyn.analyzer", reason="trajdyn.analyzer ingest not built yet")
    from trajdyn.analyzer import _columns as K

    out = tmp_path / "spans.jsonl"
    write_jsonl(convert(real_log, menu=real_menu).requests, out)
    data = analyzer.read_spans(out, strict=True, progress=False)
    assert data.errors == []
    assert data.spans.height == 151
    (traj,) = analyzer.trajectories(data).to_dicts()
    assert traj[K.KNOB_MENU] == load_menu(real_menu)
    assert (traj[K.OBJECTIVE], traj[K.METRIC_NAME], traj[K.BASELINE]) == ("minimize", "val_bpb", 10.9554)
    steps = analyzer.steps(data)
    proposes = steps.filter(steps[K.PHASE] == C.PHASE_PROPOSE)
    assert proposes[K.ITERATION].to_list() == list(range(1, 51))
    assert proposes[K.REPEAT].sum() == 36


# ---------------------------------------------------------------------------------------------------------
# property: the builder numbers iterations and flags repeats like the shared definitions
# ---------------------------------------------------------------------------------------------------------
_step = st.tuples(
    st.sampled_from(["lr", "d_model", None]),
    st.sampled_from([1, 1.0, "1", 0.5, "x", None]),
    st.booleans(),
)


@given(st.lists(_step, max_size=30))
@example([("lr", 1, False), ("lr", 1.0, False), ("lr", "1", True), (None, None, False), (None, None, False)])
def test_builder_iterations_and_repeats_follow_the_definitions(steps: list[tuple[str | None, object, bool]]) -> None:
    imported = [
        ImportedStep(line=i + 2, knob=knob, value=value, action=None if knob else "tool", blocked=blocked, metric=1.0)
        for i, (knob, value, blocked) in enumerate(steps)
    ]
    traj = ImportedTrajectory(line=1, task_id="t", steps=imported)
    (req,) = build_requests([traj], source=Path("planted.jsonl"), format_name="planted")
    spans = _spans(ImportResult(requests=[req], errors=[]))
    proposes = _phase(spans, C.PHASE_PROPOSE)
    assert len(proposes) == len(steps)
    seen: set[tuple[str, str | None]] = set()
    n = 0
    for (knob, value, blocked), span in zip(steps, proposes, strict=True):
        pair = (knob, canonical_value(value)) if knob else ("tool", None)
        assert span["attrs"][C.REPEAT] == (pair in seen)
        assert span["attrs"].get(C.BLOCKED, False) == blocked
        assert span["attrs"][C.ITERATION] == n + 1
        if not blocked:
            n += 1
            seen.add(pair)
    assert len(_phase(spans, C.PHASE_OBSERVE)) == len(_phase(spans, C.PHASE_DECIDE)) == n
    starts = [int(s["startTimeUnixNano"]) for s in spans if "parentSpanId" in s]
    assert starts == sorted(starts)


# ---------------------------------------------------------------------------------------------------------
# turn-based logs: single-phase steps, content, events, extra root attributes
# ---------------------------------------------------------------------------------------------------------
def test_single_phase_steps_number_iterations_by_propose_and_carry_content_and_events() -> None:
    """A propose turn opens the next iteration, observes carry it; content is scrubbed; events land where given."""
    from trajdyn.formats import ImportedEvent

    steps = [
        ImportedStep(line=1, shape="observe", content="user asks"),  # before any propose: no iteration
        ImportedStep(
            line=2, shape="propose", action="search", content="call search with api_key=sk-abcdefghijklmnopqrstu"
        ),
        ImportedStep(
            line=2, shape="observe", content="3 results", events=[ImportedEvent(C.EVENT_RETRY, {C.REASON: "x"})]
        ),
        ImportedStep(line=3, shape="propose", action="respond"),
        ImportedStep(line=4, shape="propose", action="search"),
    ]
    traj = ImportedTrajectory(
        line=1,
        task_id="t",
        steps=steps,
        attrs={C.ATTEMPT: 2, C.LEARNING_KEY: "k", C.REWARD: float("nan")},
        events=[ImportedEvent(C.EVENT_CUE_HIT, {C.PLAYBOOK_ENTRY_ID: "e1"})],
        content="book a flight",
    )
    (req,) = build_requests([traj], source=Path("turns.json"), format_name="planted")
    spans = _spans(ImportResult(requests=[req], errors=[]))
    (root,) = _roots(spans)
    assert root["attrs"][C.ATTEMPT] == 2 and root["attrs"][C.LEARNING_KEY] == "k"
    assert C.REWARD not in root["attrs"]  # a non-finite value is left out, never NaN in JSON
    assert root["attrs"][C.TASK_TEXT] == "book a flight"
    assert [e["name"] for e in root["events"]] == [C.EVENT_CUE_HIT]
    children = [s for s in spans if "parentSpanId" in s]
    assert [s["name"] for s in children] == ["observe", "propose", "observe", "propose", "propose"]
    assert [s["attrs"].get(C.ITERATION) for s in children] == [None, 1, 1, 2, 3]
    assert [s["attrs"].get(C.REPEAT) for s in children] == [None, False, None, False, True]
    assert "sk-abcdefghijklmnopqrstu" not in children[1]["attrs"][C.CONTENT]
    assert children[2]["events"][0]["name"] == C.EVENT_RETRY
    assert len({s["spanId"] for s in spans}) == len(spans)  # two steps of line 2 still get distinct ids
