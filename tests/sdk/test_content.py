"""Content capture: off by default; redaction callback, secret scrubbing and truncation when on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trajdyn
from trajdyn import conventions as C
from trajdyn.sdk import REDACTED, scrub_secrets
from trajdyn.sdk.testing import capture_spans


@trajdyn.propose
def propose(text: str) -> str:
    return text


def _attrs(exporter: InMemorySpanExporter, name: str) -> dict[str, Any]:
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith(name)]
    return dict(span.attributes or {})


def test_content_is_off_by_default(spans: InMemorySpanExporter) -> None:
    """Without capture, neither step content nor task text is recorded."""
    with trajdyn.trajectory(task_id="t", task_text="secret task"):
        propose("do something")
    assert C.CONTENT not in _attrs(spans, "propose")
    assert C.TASK_TEXT not in _attrs(spans, C.OPERATION_INVOKE_AGENT)


@pytest.mark.parametrize(
    "env", [{C.ENV_CAPTURE_CONTENT: "1"}, {C.ENV_OTEL_CAPTURE_CONTENT: "true"}], ids=["trajdyn", "otel"]
)
def test_env_switches_capture_on(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """TRAJDYN_CAPTURE_CONTENT and the OTel GenAI switch both turn capture on."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    exporter, _ = capture_spans()
    with trajdyn.trajectory(task_id="t", task_text="the task"):
        propose("hello")
    assert _attrs(exporter, "propose")[C.CONTENT] == "hello"
    assert _attrs(exporter, C.OPERATION_INVOKE_AGENT)[C.TASK_TEXT] == "the task"


SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwx1234",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-1234567890-abcdefghij",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_scrubbing_never_echoes_a_secret(secret: str) -> None:
    """API keys and tokens are replaced by the marker; no part of them survives."""
    out = scrub_secrets(f"use {secret} now")
    assert out == f"use {REDACTED} now"


def test_scrubbing_assignments_bearer_and_private_keys() -> None:
    """password=…, api_key: …, Bearer tokens and PEM private keys lose their secret part."""
    text = (
        'password=hunter2 api_key: "abc123xyz" Authorization: Bearer abcdefghijklmnop '
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done"
    )
    out = scrub_secrets(text)
    for leaked in ("hunter2", "abc123xyz", "abcdefghijklmnop", "MIIEow"):
        assert leaked not in out
    assert out.startswith(f"password={REDACTED} api_key: {REDACTED}")
    assert out.endswith(f"{REDACTED} done")


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=60))
def test_scrubbing_keeps_plain_text(text: str) -> None:
    """Text without secret-looking substrings is unchanged (short alphanumerics are not keys)."""
    if any(w in text.lower() for w in ("password", "passwd", "pwd", "secret", "key", "token", "bearer", "sk")):
        return
    assert scrub_secrets(text) == text


def test_redact_callback_then_truncation() -> None:
    """The user's redact runs first, then scrubbing; long values are truncated with the original length."""
    exporter, _ = capture_spans(
        capture_content=True, max_content_length=10, redact=lambda key, text: text.replace("Alice", "<name>")
    )
    with trajdyn.trajectory(task_id="t"):
        propose("Alice says sk-abcdefghijklmnopqrstuvwxyz")
    attrs = _attrs(exporter, "propose")
    full = f"<name> says {REDACTED}"
    assert attrs[C.CONTENT] == full[:10]
    assert attrs[C.CONTENT + C.CONTENT_LENGTH_SUFFIX] == len(full)


def test_redact_callback_can_drop_a_value() -> None:
    """A redact callback returning None records nothing for that key."""
    exporter, _ = capture_spans(capture_content=True, redact=lambda key, text: None)
    with trajdyn.trajectory(task_id="t"):
        propose("private")
    assert C.CONTENT not in _attrs(exporter, "propose")
