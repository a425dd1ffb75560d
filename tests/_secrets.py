"""Secrets of every listed shape, and ordinary values that must not be mistaken for secrets (shared by the
redactor's tests and the every-channel test of the SDK)."""

from __future__ import annotations

import base64

BASIC_CREDENTIALS = base64.b64encode(b"alice:Tr0ub4dor&3").decode()

# (text, the secret part that must not survive). Shared with the SDK's every-channel test.
SECRETS: list[tuple[str, str]] = [
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    ("DB_PASSWORD=hunter2-prod", "hunter2-prod"),
    (f"Authorization: Basic {BASIC_CREDENTIALS}", BASIC_CREDENTIALS),
    (f"curl -u via header basic {BASIC_CREDENTIALS} failed", BASIC_CREDENTIALS),
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
    ("password=$ecretPass1", "$ecretPass1"),
    ("token='f(api_key=Zq8xW2pL9vN4)'", "Zq8xW2pL9vN4"),  # a kept value (code) is scrubbed inside
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
    # names of secrets, not secrets (stack-trace source lines, prompts): seen in real traces
    "auth=new_request.auth,",
    "new_auth = get_netrc_auth(url) if self.trust_env else None",
    "password = generate_secure_password(20)",
    'api_key = os.environ["OPENAI_API_KEY"]',
    "API_KEY = 'YOUR_API_KEY'",
    '-H "Authorization: Bearer $GITHUB_TOKEN"',
    "git remote set-url origin https://oauth2:${GITLAB_TOKEN}@gitlab.com/org/repo.git",
    "headers = {'Authorization': f'Bearer {token}'}",
]
