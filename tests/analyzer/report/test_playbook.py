"""The ``playbook`` report section: presence, agreement with the metrics, --compare-to deltas, files, rendering."""

from __future__ import annotations

import io
import json
from copy import deepcopy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("polars", reason="needs the analyze extra")

from rich.console import Console

from tests.analyzer._playbook_data import HAND, RETRY, Session, adopt, cue, frames, write_spans
from trajdyn.analyzer import PlaybookOptions, analyze
from trajdyn.analyzer.metrics.playbook import learning_key_slug, playbook_entries
from trajdyn.analyzer.report import render_markdown, render_terminal, report_to_json
from trajdyn.analyzer.report._playbook import numeric_delta
from trajdyn.cli.analyze import EXIT_OK, main

FAST = PlaybookOptions(n_boot=300, n_perm=300)


def _block(path: Path, **kwargs: Any) -> dict[str, Any]:
    doc = analyze([str(path)], options=[kwargs.pop("options", FAST)], **kwargs).to_dict()
    block = doc["playbook"]
    assert isinstance(block, dict)
    return block


def test_absent_without_playbook_events_or_learning_keys(tmp_path: Path) -> None:
    plain = [Session(f"s{i}", "t", None, 0.5, events=[RETRY]) for i in range(3)]
    report = analyze([str(write_spans(tmp_path / "plain.jsonl", plain))])
    assert "playbook" not in report.to_dict()
    assert "## Playbook" not in render_markdown(report)


def test_block_agrees_with_the_metric_functions(tmp_path: Path) -> None:
    block = _block(write_spans(tmp_path / "hand.jsonl", HAND))
    traj, events = frames(HAND)
    expected = playbook_entries(traj, events, PlaybookOptions(n_boot=300, n_perm=300)).to_dicts()
    # the span round trip gives other trajectory ids but the same numbers
    assert [e["entry_id"] for e in block["entries"]] == [e["entry_id"] for e in expected]
    for got, want in zip(block["entries"], expected, strict=True):
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value), key
            else:
                assert got[key] == value, key
    s = block["summary"]
    assert (s["sessions"], s["learning_keys"], s["entries"], s["cue_hits"], s["adoptions"]) == (9, 2, 2, 6, 2)
    assert (s["retries"], s["sessions_with_retries"], s["failures"]) == (3, 2, 1)
    assert s["adoption_rate_per_cue_hit"] == pytest.approx(1 / 6) and s["adoption_success_rate"] == 0.5
    assert [k["learning_key"] for k in block["learning_keys"]] == ["k", "j"]
    assert block["options"]["n_boot"] == 300 and block["compare"] is None


def test_options_reach_the_section(tmp_path: Path) -> None:
    block = _block(
        write_spans(tmp_path / "hand.jsonl", HAND),
        options=replace(FAST, recent_window=2, baseline_window=3, latest=1),
    )
    k = block["learning_keys"][0]
    assert (k["reward"]["recent_n"], k["reward"]["baseline_n"], k["reward"]["delta"]) == (2, 3, pytest.approx(-0.15))
    assert len(k["latest_sessions"]) == 1
    with pytest.raises(ValueError, match="recent_window"):
        analyze([str(tmp_path / "hand.jsonl")], options=[PlaybookOptions(recent_window=0)])


def _more_usage(sessions: list[Session]) -> list[Session]:
    out = deepcopy(sessions)
    out[1].events += [cue("E"), cue("E"), adopt("E", True)]
    out[4].events.append(cue("G"))
    return [s for s in out if s.key != "j"]


def test_compare_to_gives_deltas_for_every_number_including_cues_and_adoptions(tmp_path: Path) -> None:
    first = tmp_path / "old.json"
    first.write_text(report_to_json(analyze([str(write_spans(tmp_path / "a.jsonl", HAND))], options=[FAST])))
    new_spans = write_spans(tmp_path / "b.jsonl", _more_usage(HAND))
    block = _block(new_spans, compare_to=first)
    entries = {e["entry_id"]: e for e in block["entries"]}
    d = entries["E"]["delta"]
    assert (d["cue_hits"], d["adoptions"], d["successful_adoptions"], d["failed_adoptions"]) == (2, 1, 1, 0)
    assert d["adoption_rate_per_cue_hit"] == pytest.approx(2 / 7 - 1 / 5)
    assert d["adoption_success_rate"] == pytest.approx(2 / 3 - 1 / 2)
    assert "reward_delta_within" in d and "q_value" in d and "retries_fired" in d
    assert entries["E"]["new"] is False and entries["G"]["new"] is True and entries["G"]["delta"] is None
    compare = block["compare"]
    assert compare["previous_has_playbook"] is True
    assert (compare["entries_new"], compare["entries_gone"]) == (["G"], [])
    assert (compare["learning_keys_new"], compare["learning_keys_gone"]) == ([], ["j"])
    k = block["learning_keys"][0]
    assert k["delta"]["usage"]["cue_hits"] == 3 and k["delta"]["usage"]["adoptions"] == 1
    assert k["delta"]["sessions"] == 0 and k["delta"]["reward"]["recent_mean"] == 0.0
    assert k["delta"]["execution_modes"]["auto"]["sessions"] == 0
    assert block["summary"]["delta"]["cue_hits"] == 3 and block["summary"]["delta"]["learning_keys"] == -1
    md = render_markdown(analyze([str(new_spans)], options=[FAST], compare_to=first))
    assert "Compared with the report of" in md and "new entries: G" in md and "(+2)" in md


def test_compare_to_a_report_without_a_playbook_block(tmp_path: Path) -> None:
    plain = write_spans(tmp_path / "plain.jsonl", [Session("s", "t", None, 0.5)])
    old = tmp_path / "old.json"
    old.write_text(report_to_json(analyze([str(plain)])))
    block = _block(write_spans(tmp_path / "hand.jsonl", HAND), compare_to=old)
    assert block["compare"]["previous_has_playbook"] is False
    assert "delta" not in block["entries"][0]


def test_numeric_delta() -> None:
    cur = {"a": 3, "b": 1.5, "c": "x", "d": True, "e": {"f": 2}, "g": None, "h": [1], "i": 4}
    prev = {"a": 1, "b": None, "e": {"f": 5}, "g": 2.0, "i": "oops"}
    assert numeric_delta(cur, prev) == {"a": 2, "b": None, "e": {"f": -3}, "g": None, "i": None}


def test_out_dir_gets_one_file_pair_per_learning_key_without_collisions(tmp_path: Path) -> None:
    keys = ["persona:webops.marketing/alpha", "persona:webops.marketing/beta", "Persona:WebOps.Marketing/alpha"]
    sessions = [
        Session(f"s{i}", "t", key, 0.1 * i, events=[cue("E")] if i % 2 else []) for i, key in enumerate(keys * 2)
    ]
    spans = write_spans(tmp_path / "s.jsonl", sessions)
    out = tmp_path / "out"
    assert main([str(spans), "--out", str(out), "--bootstrap", "200", "--permutations", "200"]) == EXIT_OK
    files = sorted(p.name for p in (out / "playbook").iterdir())
    assert len(files) == 2 * len(keys) + 1 and "index.json" in files
    assert len({f.lower() for f in files}) == len(files)  # distinct on case-insensitive file systems too
    index = json.loads((out / "playbook" / "index.json").read_text())["learning_keys"]
    assert set(index) == set(keys)
    for key, entry in index.items():
        assert entry["json"] == f"{learning_key_slug(key)}.json"
        doc = json.loads((out / "playbook" / entry["json"]).read_text())
        assert doc["learning_key"]["learning_key"] == key
        assert all(key in e["learning_keys"] for e in doc["entries"])
        assert f"`{key}`" in (out / "playbook" / entry["markdown"]).read_text()
    assert json.loads((out / "report.json").read_text())["playbook"]["summary"]["learning_keys"] == 3


def test_cli_options_and_lint_join_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spans = write_spans(tmp_path / "hand.jsonl", HAND)
    playbook = tmp_path / "entries.jsonl"
    entry = {
        "id": "E",
        "cue": {"type": "regex", "pattern": "timeout"},
        "action": {"imperative": "Retry with backoff", "runtime_handle": "http.retry"},
        "expected_effect": "Fewer failures",
    }
    playbook.write_text(json.dumps(entry) + "\n" + json.dumps({**entry, "id": "F", "cue": "case 12"}) + "\n")
    argv = [str(spans), "--playbook", str(playbook), "--json", "-", "--recent-window", "2", "--baseline-window", "3"]
    assert main([*argv, "--bootstrap", "100", "--permutations", "100", "--seed", "7", "--min-support", "1"]) == EXIT_OK
    block = json.loads(capsys.readouterr().out)["playbook"]
    assert block["options"]["seed"] == 7 and block["options"]["min_support"] == 1
    assert block["learning_keys"][0]["reward"]["baseline_n"] == 3
    entries = {e["entry_id"]: e for e in block["entries"]}
    assert entries["E"]["lint"]["passed"] is True
    assert entries["F"]["lint"]["passed"] is False and "banned token 'case'" in entries["F"]["lint"]["reasons"][0]
    assert block["lint"]["summary"]["total"] == 2


def test_markdown_and_terminal_render(tmp_path: Path) -> None:
    report = analyze([str(write_spans(tmp_path / "hand.jsonl", HAND))], options=[FAST])
    md = render_markdown(report)
    assert "## Playbook" in md and "### Entries" in md and "### Learning keys" in md
    assert "### Learning key `k`" in md and "#### Latest sessions" in md
    for width in (80, 200):
        buf = io.StringIO()
        render_terminal(report, Console(file=buf, width=width, force_terminal=False))
        text = buf.getvalue()
        assert "Playbook entries" in text and "Learning key k" in text
