"""The public redactor (trajdyn.redact): every listed secret shape is caught, ordinary values pass unchanged."""

from __future__ import annotations

import base64

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from trajdyn.redact import (
    REDACTED,
    content_attributes,
    redaction_count,
    scrub_attributes,
    scrub_secrets,
    scrub_value,
)

_BASIC = base64.b64encode(b"alice:Tr0ub4dor&3").decode()

# (text, the secret part that must not survive). Shared with the SDK's every-channel test.
SECRETS: list[tuple[str, str]] = [
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    ("DB_PASSWORD=hunter2-prod", "hunter2-prod"),
    (f"Authorization: Basic {_BASIC}", _BASIC),
    (f"curl -u via header basic {_BASIC} failed", _BASIC),
    ("https://deploy:S3cretPassw0rd@db.internal.example.com:5432/prod", "S3cretPassw0rd"),
    ("token: 7f3c9a1be04d4c2e", "7f3c9a1be04d4c2e"),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "hf_AbCdEfGhIjKlMnOpQrSt"),
    ("sk_live_51HxYzAbCdEfGhIjKlMnOp", "sk_live_51HxYzAbCd"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9xS\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA7bq9xS",
    ),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (truncated", "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWx", "sk-proj-Ab3dEf6hIj9k"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("Authorization: Bearer abcdefghijklmnop123", "abcdefghijklmnop123"),
    ('{"api_key": "abc123xyz789", "client_secret": "s"}', "abc123xyz789"),
    ("xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
    ("glpat-AbCdEfGhIjKlMnOpQrSt", "glpat-AbCdEfGhIjKl"),
]

# Ordinary knob values, actions, tool names and messages: must come back unchanged (no false positives).
ORDINARY = [
    "lr=0.0002",
    "learning_rate=3e-4",
    "max_tokens=4096",
    "max_token=512",
    "token_budget=8000",
    "tokenizer=bpe",
    "sort_key=name",
    "use_token=true",
    "is_secret=false",
    "auth=none",
    "author=Shakespeare",
    "monkey=bananas123",
    "optimizer=adamw",
    "model=gpt-4.1-mini",
    "claude-3-5-sonnet-20241022",
    "search_flights(origin='SFO', destination='JFK')",
    "book_hotel",
    "/home/user/.cache/trajdyn/embeddings.sqlite",
    "https://example.com/api/v1/items?page=2&sort=asc",
    "ssh://git@github.com/org/repo.git",
    "3f786850e387550fdab836ed7e6dc881de23001b",
    "550e8400-e29b-41d4-a716-446655440000",
    "basic functionality of the scheduler",
    "the password is wrong",
    "keep",
    "revert",
    "batch_size=64",
    "warmup_ratio=0.1",
    "ValueError: expected a positive learning rate, got -0.1",
]


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
    assert scrub_secrets(f"Basic {_BASIC}") == f"Basic {REDACTED}"


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
