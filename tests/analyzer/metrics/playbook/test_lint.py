"""The playbook entry linter: Atlas's gates and weighted scores (known answers), files, settings and the CLI."""

from __future__ import annotations

import builtins
import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

from trajdyn import conventions as C
from trajdyn.analyzer.metrics.playbook import (
    LintConfig,
    lint_entry,
    lint_playbook,
    load_playbook_entries,
    stable_entry_id,
)
from trajdyn.analyzer.report import render_lint_markdown
from trajdyn.exceptions import InputError, MissingExtraError

GOOD: dict[str, Any] = {
    "id": "good",
    "cue": {"type": "regex", "pattern": r"(?i)latency|timeout"},
    "action": {"imperative": "Compare the latency dashboard with the last deploy", "runtime_handle": "logs.search"},
    "expected_effect": "Finds regressions before paging anyone",
    "scope": {"category": "reinforcement", "constraints": "Only for service alerts"},
    "provenance": {"session_id": 12},
}


def _with(**changes: Any) -> dict[str, Any]:
    entry = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        node = entry
        *path, last = dotted.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return entry


# ---------------------------------------------------------------------------------------------------------
# known answers
# ---------------------------------------------------------------------------------------------------------
def test_a_good_entry_passes_with_full_score() -> None:
    r = lint_entry(GOOD)
    assert r.passed and r.reasons == []
    assert r.scores == {"actionability": 1.0, "generality": 1.0, "hookability": 1.0, "concision": 1.0}
    assert r.weighted_score == 1.0


@pytest.mark.parametrize(("kind", "hook", "weighted"), [("predicate", 0.6, 0.92), ("keyword", 0.4, 0.88)])
def test_hookability_by_cue_type(kind: str, hook: float, weighted: float) -> None:
    r = lint_entry(_with(cue__type=kind))
    assert r.scores["hookability"] == hook
    assert r.weighted_score == pytest.approx(weighted)  # 0.4 + 0.3 + 0.2·hook + 0.1


def test_concision_penalises_overflow_linearly() -> None:
    entry = _with(expected_effect="x" * 600)
    text = " ".join(
        [
            entry["action"]["imperative"],
            entry["expected_effect"],
            entry["scope"]["constraints"],
            entry["cue"]["pattern"],
        ]
    )
    r = lint_entry(entry)
    assert r.scores["concision"] == pytest.approx(1 - (len(text) - 420) / 420)
    assert r.passed  # concision is a score, not a gate
    assert lint_entry(_with(expected_effect="x" * 2000)).scores["concision"] == 0.0


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("expected_effect", "Prevents a repeat of the postmortem findings", "banned token 'postmortem'"),
        ("scope__constraints", "Applies to Incidents in billing", "banned token 'incident'"),
        ("expected_effect", "Learned on 2024-05-17", "contains a date"),
        ("action__imperative", "Re-run the job from ticket#A12", "banned token 'ticket'"),
        ("expected_effect", "Avoids a repeat of INC-42 and ticket-42", "banned token 'ticket'"),
        ("expected_effect", "Read ./deploy/run.sh first", "contains a file path"),
        ("cue__pattern", "reading /etc/app.yaml fails", "contains a file path"),
    ],
)
def test_generality_gate_failures(field: str, value: str, reason: str) -> None:
    r = lint_entry(_with(**{field: value}))
    assert r.gates["generality"] is False and not r.passed
    assert r.scores["generality"] == 0.0
    assert any(reason in x for x in r.reasons), r.reasons
    assert r.weighted_score == pytest.approx(0.7)


def test_incident_reference_without_banned_tokens() -> None:
    cfg = LintConfig(banned_tokens=())
    r = lint_entry(_with(expected_effect="Mirrors case 7781 resolution"), cfg)
    assert any("incident reference" in x for x in r.reasons)


def test_banned_tokens_match_word_starts_only() -> None:
    """Atlas matched substrings, so 'lowercase' failed on 'case'; a word start is required here."""
    assert lint_entry(_with(expected_effect="Normalise names to lowercase; showcase the diff")).passed
    assert not lint_entry(_with(expected_effect="Check cases where the cache is cold")).passed


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"action__imperative": ""}, "imperative is empty"),
        ({"action__runtime_handle": ""}, "runtime handle missing"),
        ({"action__runtime_handle": "shell.exec"}, "not an allowed handle"),
    ],
)
def test_actionability_gate(changes: dict[str, Any], reason: str) -> None:
    cfg = LintConfig(allowed_handles=("logs.search", "data.query*"))
    r = lint_entry(_with(**changes), cfg)
    assert r.gates["actionability"] is False and r.scores["actionability"] == 0.0
    assert any(reason in x for x in r.reasons)
    assert r.weighted_score == pytest.approx(0.6)


def test_allowed_handles_exact_prefix_and_case() -> None:
    cfg = LintConfig(allowed_handles=("logs.search", "data.query*"), handle_prefixes=("crm.",))
    for handle in ("LOGS.SEARCH", "data.query.sql", "crm.create_contact"):
        assert lint_entry(_with(action__runtime_handle=handle), cfg).gates["actionability"], handle
    assert LintConfig().allowed_handles == ()  # no list: any named handle passes
    assert lint_entry(_with(action__runtime_handle="anything")).gates["actionability"]
    assert lint_entry(_with(action__runtime_handle=""), LintConfig(allow_missing_handle=True)).gates["actionability"]


@pytest.mark.parametrize(
    ("cue", "reason"),
    [
        ({"type": "regex", "pattern": "(unclosed"}, "does not compile"),
        ({"type": "regex", "pattern": "  "}, "pattern is empty"),
        ({"type": "embedding", "pattern": "x"}, "cue type 'embedding'"),
    ],
)
def test_cue_gate(cue: dict[str, str], reason: str) -> None:
    r = lint_entry(_with(cue=cue))
    assert r.gates["cue"] is False and r.scores["hookability"] == 0.0
    assert any(reason in x for x in r.reasons)


def test_unenforced_gates_pass_but_keep_their_reason() -> None:
    cfg = LintConfig(enforce_generality=False)
    r = lint_entry(_with(expected_effect="From the 2023 outage"), cfg)
    assert r.passed and r.scores["generality"] == 1.0
    assert r.reasons == ["generality: contains a date ('2023') (gate not enforced)"]


def test_weights_are_normalised() -> None:
    cfg = LintConfig(weights={"actionability": 2, "generality": 1, "hookability": 1, "concision": 0})
    r = lint_entry(_with(cue__type="keyword"), cfg)
    assert r.weighted_score == pytest.approx((2 + 1 + 0.4) / 4)
    with pytest.raises(ValueError, match="unknown rubric weight"):
        LintConfig(weights={"speed": 1.0})


def test_string_cue_and_action_are_coerced_like_atlas() -> None:
    r = lint_entry({"cue": "deploy", "action": "Check the deploy log", "expected_effect": "x"})
    assert r.scores["hookability"] == 0.4
    assert r.gates["actionability"] is False  # a string action has no runtime handle


def test_stable_id_is_atlas_digest() -> None:
    entry = {k: v for k, v in GOOD.items() if k != "id"}
    parts = [
        "",
        "regex",
        GOOD["cue"]["pattern"],
        GOOD["action"]["imperative"],
        "logs.search",
        "Only for service alerts",
    ]
    expected = "playbook-entry-" + sha256("||".join(parts).encode()).hexdigest()[:12]
    assert stable_entry_id(entry) == expected
    assert lint_entry(entry).entry_id == expected


# ---------------------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------------------
def test_json_object_with_entries_gives_lines_and_reports_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "playbook.json"
    doc = {"version": 1, "entries": [GOOD, 5, {"cue": 3, "action": "x"}, _with(id="late", cue__type="keyword")]}
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = lint_playbook(path)
    lines = path.read_text().splitlines()
    assert [e.entry_id for e in result.entries] == ["good", "late"]
    assert all(lines[e.line - 1].strip() == "{" for e in result.entries)
    assert [str(p) for p in result.problems] == [
        f"{path}:{lines.index('    5,') + 1}: expected a playbook entry object, got int",
        f"{path}:{lines.index('    {', lines.index('    5,')) + 1}: cue must be an object or a string, got int",
    ]


def test_jsonl_with_comments_and_a_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "entries.jsonl"
    path.write_text(f"# exported\n{json.dumps(GOOD)}\n\n{{not json\n{json.dumps(_with(id='two'))}\n", encoding="utf-8")
    result = lint_playbook(path)
    assert [(e.entry_id, e.line) for e in result.entries] == [("good", 2), ("two", 5)]
    assert len(result.problems) == 1 and result.problems[0].line == 4
    dup = tmp_path / "dup.jsonl"
    dup.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    assert "duplicate entry id 'good' (first at line 1)" in str(lint_playbook(dup).problems[0])


def test_yaml_entries_and_lines(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "playbook.yaml"
    path.write_text(
        "playbook_entries:\n"
        "  - id: a\n"
        "    cue: {type: regex, pattern: 'timeout'}\n"
        "    action: {imperative: Retry with backoff, runtime_handle: http.request}\n"
        "    expected_effect: Fewer failed calls\n"
        "  - id: b\n"
        "    cue: {type: keyword, pattern: refund}\n"
        "    action: {imperative: Open ticket 7, runtime_handle: crm.case}\n",
        encoding="utf-8",
    )
    result = lint_playbook(path)
    assert [(e.entry_id, e.line, e.passed) for e in result.entries] == [("a", 2, True), ("b", 6, False)]
    bad = tmp_path / "bad.yml"
    bad.write_text("entries: [\n  {a: 1\n", encoding="utf-8")
    (problem,) = lint_playbook(bad).problems
    assert problem.line > 0 and "not valid YAML" in problem.message


def test_yaml_without_pyyaml_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- id: a\n", encoding="utf-8")
    real_import = builtins.__import__

    def no_yaml(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "yaml":
            raise ImportError("No module named 'yaml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_yaml)
    with pytest.raises(MissingExtraError, match=r"trajdyn\[analyze\]"):
        load_playbook_entries(path)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        lint_playbook(tmp_path / "missing.json")
    with pytest.raises(InputError, match="is a directory"):
        lint_playbook(tmp_path)


def test_atlas_learning_block_as_settings(tmp_path: Path) -> None:
    """The seed's own config: handles with a * prefix, regex/keyword cues only, custom weights."""
    pytest.importorskip("yaml")
    cfg_path = tmp_path / "atlas.yaml"
    cfg_path.write_text(
        "learning:\n"
        "  schema:\n"
        "    allowed_runtime_handles: [logs.search, data.query*]\n"
        "    cue_types: [regex, keyword]\n"
        "  gates:\n"
        "    enforce_actionability: true\n"
        "    max_text_length: 200\n"
        "  rubric_weights: {actionability: 0.4, generality: 0.3, hookability: 0.2, concision: 0.1}\n",
        encoding="utf-8",
    )
    cfg = LintConfig.from_file(cfg_path)
    assert cfg.allowed_handles == ("logs.search", "data.query*") and cfg.cue_types == ("regex", "keyword")
    assert cfg.max_text_length == 200
    assert not lint_entry(_with(cue__type="predicate"), cfg).gates["cue"]
    assert lint_entry(_with(action__runtime_handle="data.query.pg"), cfg).passed
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gates": {"enforce_cue": "yes"}}), encoding="utf-8")
    with pytest.raises(InputError, match="enforce_cue"):
        LintConfig.from_file(bad)


def test_result_document_and_markdown(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps([GOOD, _with(id="dated", expected_effect="since 2021")]), encoding="utf-8")
    doc = lint_playbook(path).to_dict()
    assert doc["schema"] == C.PLAYBOOK_LINT_SCHEMA
    assert doc["summary"] == {
        "total": 2,
        "passed": 1,
        "failed": 1,
        "pass_rate": 0.5,
        "gate_failures": {"actionability": 0, "cue": 0, "generality": 1},
        "average_weighted_score": pytest.approx(0.85),
        "problems": 0,
    }
    md = "\n".join(render_lint_markdown(doc))
    assert "`dated`" in md and "contains a date" in md


# ---------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------
def test_cli_lint_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trajdyn.cli.analyze import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, main

    path = tmp_path / "p.json"
    path.write_text(json.dumps([GOOD, _with(id="bad", action__runtime_handle="shell.rm")]), encoding="utf-8")
    assert main(["--playbook", str(path), "--json", "-"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["failed"] == 0  # no allowed list: any handle passes
    assert main(["--playbook", str(path), "--allowed-handles", "logs.*", "--json", "-"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert [e["passed"] for e in doc["entries"]] == [True, False]
    assert main(["--playbook", str(path), "--allowed-handles", "logs.*", "--strict", "--json", "-"]) == EXIT_INPUT_ERROR
    capsys.readouterr()
    assert main(["--playbook", str(path), "--out", str(tmp_path / "out")]) == EXIT_OK
    assert json.loads((tmp_path / "out" / "playbook-lint.json").read_text())["schema"] == C.PLAYBOOK_LINT_SCHEMA
    assert main([]) == EXIT_USAGE
    assert "PATH" in capsys.readouterr().err
    assert main(["--allowed-handles", "x", str(path)]) == EXIT_USAGE
    assert main(["--playbook", str(tmp_path / "nope.json")]) == EXIT_USAGE
    assert "no such file" in capsys.readouterr().err


def test_cli_lint_terminal_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trajdyn.cli.analyze import EXIT_OK, main

    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(GOOD) + "\n[1]\n", encoding="utf-8")
    assert main(["--playbook", str(path)]) == EXIT_OK
    captured = capsys.readouterr()
    assert "Playbook lint" in captured.out and "good" in captured.out
    assert f"{path}:2: expected a playbook entry object, got list" in captured.err


def test_cli_lint_shows_twenty_problems_then_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lint mode lists problems like the report mode (one writer, one list): 20 lines, then how many more."""
    from trajdyn.cli.analyze import EXIT_OK, main

    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + "[1]\n" * 25, encoding="utf-8")
    assert main(["--playbook", str(path), "--json", str(tmp_path / "lint.json")]) == EXIT_OK
    lines = capsys.readouterr().err.splitlines()
    assert lines[:20] == [f"{path}:{n}: expected a playbook entry object, got list" for n in range(2, 22)]
    assert lines[20:] == ["... and 5 more malformed playbook entries"]
    assert len(json.loads((tmp_path / "lint.json").read_text())["problems"]) == 25
