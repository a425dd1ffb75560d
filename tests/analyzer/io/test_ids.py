"""Id normalisation: hex (any case) and base64 (standard / URL-safe, padded or not) round-trip to lower hex."""

from __future__ import annotations

import base64

from hypothesis import example, given
from hypothesis import strategies as st

from trajdyn.analyzer.io import normalize_id

ids = st.sampled_from([16, 8]).flatmap(lambda n: st.binary(min_size=n, max_size=n).map(lambda b: (n, b)))


@given(ids)
@example((16, bytes(15) + b"\x01"))
@example((8, b"\xff" * 8))
def test_hex_and_base64_roundtrip(case: tuple[int, bytes]) -> None:
    n, raw = case
    want = raw.hex() if any(raw) else None
    assert normalize_id(raw.hex(), n) == want
    assert normalize_id(raw.hex().upper(), n) == want
    assert normalize_id(base64.b64encode(raw).decode(), n) == want
    assert normalize_id(base64.urlsafe_b64encode(raw).decode().rstrip("="), n) == want


@given(st.text(max_size=40))
@example("")
@example("xyz")
@example("0" * 32)
def test_garbage_is_none_or_valid_hex(text: str) -> None:
    for n in (16, 8):
        out = normalize_id(text, n)
        assert out is None or (len(out) == 2 * n and int(out, 16) > 0 and out == out.lower())


def test_wrong_length_is_rejected() -> None:
    assert normalize_id("abcd", 8) is None
    assert normalize_id("a" * 32, 8) is None
    assert normalize_id(base64.b64encode(bytes(range(1, 9))).decode(), 16) is None
