"""The public redactor (trajdyn.redact): every listed secret shape is caught, ordinary values pass unchanged."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests._secrets import BASIC_CREDENTIALS, ORDINARY, SECRETS
from trajdyn.redact import (
    REDACTED,
    content_attributes,
    redaction_count,
    scrub_attributes,
    scrub_secrets,
    scrub_value,
)


@pytest.mark.parametrize(("text", "secret"), SECRETS, ids=[s[:24] for _, s in SECRETS])
def test_each_listed_secret_is_replaced_and_never_echoed(text: str, secret: str) -> None:
    """The secret part is gone, the marker is there, and the text around it is kept (a PEM block without its end
    marker runs to the end of the text)."""
    before = redaction_count()
    out = scrub_secrets(f"error while calling the API: {text} - retrying")
    assert secret not in out
    assert REDACTED in out
    assert out.startswith("error while calling the API: ")
    assert out.endswith(" - retrying") or "(truncated" in text
    assert redaction_count() > before


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_values_pass_unchanged(text: str) -> None:
    """Knob values, tool names, paths, hashes and prose without credentials are not touched, nor counted."""
    before = redaction_count()
    assert scrub_secrets(text) == text
    assert scrub_value(text) == text
    assert redaction_count() == before


def test_url_keeps_host_and_path() -> None:
    """URL credentials go, the host and the path stay (the user name too: it may be a token)."""
    assert scrub_secrets("postgres://app:pw@db:5432/main") == f"postgres://{REDACTED}@db:5432/main"


def test_basic_token_that_is_not_user_password_is_kept() -> None:
    """'basic <word>' is redacted only when the word decodes to printable user:password."""
    assert scrub_secrets("basic configuration") == "basic configuration"
    assert scrub_secrets(f"Basic {BASIC_CREDENTIALS}") == f"Basic {REDACTED}"


def test_scrub_value_counts_every_use() -> None:
    """A cached secret value still counts once per use, and gives the same output."""
    value = "DB_PASSWORD=hunter2-prod"
    before = redaction_count()
    outs = {scrub_value(value) for _ in range(3)}
    assert outs == {f"DB_PASSWORD={REDACTED}"}
    assert redaction_count() == before + 3


def test_scrub_attributes_scrubs_strings_and_string_lists() -> None:
    """Strings and strings in lists are scrubbed; numbers, booleans and keys are kept."""
    attrs = {"a": "token: 7f3c9a1be04d4c2e", "b": 3, "c": ["x", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"], "d": True}
    out = scrub_attributes(attrs)
    assert out == {"a": f"token: {REDACTED}", "b": 3, "c": ["x", REDACTED], "d": True}


def test_content_attributes_order_redact_scrub_truncate() -> None:
    """The user's callback runs first, then scrubbing, then truncation with the original length."""
    out = content_attributes(
        "k",
        "Alice: ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        redact=lambda k, t: t.replace("Alice", "X"),
        max_length=8,
    )
    assert out == {"k": f"X: {REDACTED}"[:8], "k.original_length": len(f"X: {REDACTED}")}


@given(st.text(max_size=80))
@example("sk-")
@example("-----BEGIN PRIVATE KEY-----")
@example("Authorization:")
@example("https://:@")
def test_scrubbing_is_idempotent_and_total(text: str) -> None:
    """Any text scrubs without error, and scrubbing twice changes nothing more."""
    once = scrub_secrets(text)
    assert scrub_secrets(once) == once
