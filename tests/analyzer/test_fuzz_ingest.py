"""Fuzzing the reader with mutated real dumps: no traceback, problems as ``path:line``, intact lines always read.

The seeds are a dump written by the real SDK (always) and the public OTLP files of ``../shared/external`` (when
present). 2,000 examples here; ``benchmarks/fuzz_ingest.py`` runs the same properties for longer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.analyzer._fuzz import Case, cases, check, seed_index
from tests.analyzer._sdk_dumps import write_knob_loops
from tests.conftest import EXTERNAL_DIR

EXTERNAL_SEEDS = ("otlp-spec-file-exporter-example.jsonl", "jaeger-otlp_fields_trace.json")


def _seeds() -> list[bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        dump = write_knob_loops(Path(tmp) / "spans.jsonl", iterations=3)
    seeds = [dump.data]
    if EXTERNAL_DIR is not None:
        seeds += [(EXTERNAL_DIR / name).read_bytes() for name in EXTERNAL_SEEDS if (EXTERNAL_DIR / name).is_file()]
    return seeds


SEEDS = _seeds()
INDEX = seed_index(SEEDS)
_WORK = Path(tempfile.mkdtemp(prefix="trajdyn-fuzz-"))


def test_the_seeds_read_cleanly() -> None:
    for k, seed in enumerate(SEEDS):
        assert check(Case(seed, seed, False), _WORK / f"seed{k}.jsonl", INDEX) > 0


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(case=cases(SEEDS))
def test_mutated_dumps_never_break_the_reader(case: Case) -> None:
    check(case, _WORK / "case.jsonl", INDEX)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> object:
    yield None
    for path in _WORK.iterdir():
        path.unlink()
    _WORK.rmdir()
