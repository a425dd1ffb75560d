"""Secrets never leave the process, whatever the capture setting: every listed secret shape, put into every
free-text channel of the SDK and of an importer, is absent from the spans file, the sidecar, the JSON and Markdown
reports, the importer's output and every process's stderr; the redactions are counted in the summary line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._secrets import SECRETS
from tests.sdk.conftest import REPO_ROOT, run_python

AGENT = r"""
import json, sys
import trajdyn

secrets = json.load(open(sys.argv[1]))
out = sys.argv[2]
trajdyn.configure(file=out)  # content capture off: the default

@trajdyn.propose
def propose(proposal):
    return proposal

@trajdyn.observe
def evaluate(text):
    raise RuntimeError(f"request failed: {text}")

@trajdyn.decide(extract=lambda r: r["decision"])
def decide(text):
    return {}  # the extractor raises KeyError: an internal error, logged on stderr

@trajdyn.observe(name="tool_result")
def tool(text):
    return {"metric": 1.0}

for i, text in enumerate(secrets):
    try:
        with trajdyn.trajectory(task_id=f"task {text}", model=text, run_id=text, knob_menu=["k", text],
                                learning_key=text, attributes={"app.note": text}) as traj:
            propose({"knob": "k", "value": text})        # a knob value
            propose({"knob": text, "value": 1})          # a knob name
            propose(f"call_api(auth='{text}')")          # an action (tool arguments)
            try:
                evaluate(text)                           # exception message and stack trace, status message
            except RuntimeError:
                pass
            decide(text)
            trajdyn.retry(f"retrying after {text}")      # retry and failure reasons
            trajdyn.failure(f"gave up: {text}")
            trajdyn.cue_hit(text)                        # playbook entry ids
            trajdyn.adoption(text, success=False)
            trajdyn.set_outcome(text)
            trajdyn.set_execution_mode(text)
            raise ValueError(f"session aborted with {text}")  # the root span's exception and status
    except ValueError:
        pass
trajdyn.shutdown()
print(trajdyn.summary().secrets_redacted)
"""


def _autoresearch_log(path: Path, texts: list[str]) -> Path:
    rows: list[dict[str, object]] = [{"_meta": "trajectory log", "baseline_val_bpb": 10.0, "accept_delta_frac": 0.005}]
    for i, text in enumerate(texts):
        rows.append(
            {
                "iter": 3 * i + 1,
                "stage": "evaluated",
                "proposal": {"knob": "k", "new_value": text, "reason": text},
                "eval_metrics": {"ok": True, "val_bpb": 9.0},
                "val_bpb": 9.0,
                "decision": "keep",
            }
        )
        rows.append({"iter": 3 * i + 2, "stage": "blocked", "rail": "r", "reason": f"blocked: {text}"})
        rows.append(
            {"iter": 3 * i + 3, "stage": "eval_failed", "proposal": {"knob": text, "new_value": 2}, "error": text}
        )
    rows.append({"stage": "loop_complete"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAJDYN_", "OTEL_"))}
    env.pop("PYTEST_VERSION", None)
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every channel's text after a run that put every secret everywhere (one agent, one import, four reports)."""
    pytest.importorskip("polars", reason="the reports need the analyze extra")
    tmp = tmp_path_factory.mktemp("secrets")
    texts = [text for text, _ in SECRETS]
    secrets_file = tmp / "secrets.json"
    secrets_file.write_text(json.dumps(texts), encoding="utf-8")
    spans = tmp / "spans.jsonl"
    agent = run_python(AGENT.replace("sys.argv[1]", repr(str(secrets_file))).replace("sys.argv[2]", repr(str(spans))))
    assert agent.returncode == 0, agent.stderr
    out: dict[str, str] = {
        "spans file": spans.read_text(encoding="utf-8"),
        "sidecar": (tmp / "spans.coverage.json").read_text(encoding="utf-8"),
        "agent stderr": agent.stderr,
        "agent stdout": agent.stdout,
    }
    log = _autoresearch_log(tmp / "loop.jsonl", texts)
    imported = _run_cli(["-m", "trajdyn.cli.importer", "autoresearch", str(log), "-o", "imported.jsonl"], tmp)
    assert imported.returncode == 0, imported.stderr
    out["importer output"] = (tmp / "imported.jsonl").read_text(encoding="utf-8")
    out["importer stderr"] = imported.stderr
    for name, source in (("sdk", spans), ("imported", tmp / "imported.jsonl"), ("foreign log", log)):
        report = _run_cli(
            ["-m", "trajdyn.cli.analyze", str(source), "--json", f"{name}.json", "--markdown", f"{name}.md"], tmp
        )
        assert report.returncode == 0, report.stderr
        out[f"{name} JSON report"] = (tmp / f"{name}.json").read_text(encoding="utf-8")
        out[f"{name} Markdown report"] = (tmp / f"{name}.md").read_text(encoding="utf-8")
        out[f"{name} analyzer stderr"] = report.stderr
    return out


@pytest.mark.parametrize(("text", "secret"), SECRETS, ids=[s[:24] for _, s in SECRETS])
def test_secret_reaches_no_channel(channels: dict[str, str], text: str, secret: str) -> None:
    """The secret part appears in none of the outputs (JSON escapes a PEM's newlines: both forms are checked)."""
    escaped = json.dumps(secret)[1:-1]
    leaks = [name for name, content in channels.items() if secret in content or escaped in content]
    assert leaks == []


def test_redactions_are_counted_and_reported(channels: dict[str, str]) -> None:
    """The agent's summary line reports the number of secrets replaced, the same number summary() gives."""
    count = int(channels["agent stdout"].split()[-1])
    assert count >= len(SECRETS) * 10
    assert f"{count} secrets redacted" in channels["agent stderr"]
    assert "[REDACTED]" in channels["spans file"]
    assert "[REDACTED]" in channels["importer output"]


def test_ordinary_values_pass_through_every_channel_unchanged(tmp_path: Path) -> None:
    """Knob values, tool names and reasons without secrets reach the spans file exactly as given."""
    from tests._secrets import ORDINARY

    spans = tmp_path / "spans.jsonl"
    code = f"""
import trajdyn
trajdyn.configure(file={str(spans)!r}, announce=False)
@trajdyn.propose
def propose(p):
    return p
with trajdyn.trajectory(task_id="t"):
    for text in {ORDINARY!r}:
        propose({{"knob": "k", "value": text}})
        propose(text)
        trajdyn.retry(text)
trajdyn.shutdown()
print(trajdyn.summary().secrets_redacted)
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
    values: list[str] = []
    for line in spans.read_text(encoding="utf-8").splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for attr in span["attributes"]:
                        if attr["key"] in ("trajdyn.value", "trajdyn.action"):
                            values.append(attr["value"]["stringValue"])
                    for event in span.get("events", []):
                        values.extend(a["value"]["stringValue"] for a in event["attributes"])
    for text in ORDINARY:
        assert text in values
        assert f"k={text}" in values
