"""Fuzzing the reader with mutated real dumps: no traceback, problems as ``path:line``, intact lines always read.

The seeds are a dump written by the real SDK (always) and the public OTLP files of ``../shared/external`` (when
present). 2,000 examples here; ``benchmarks/fuzz_ingest.py`` runs the same properties for longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analyzer._fuzz import Case, cases, check, seed_index
from tests.analyzer._sdk_dumps import write_knob_loops
from tests.conftest import EXTERNAL_DIR

EXTERNAL_SEEDS = ("otlp-spec-file-exporter-example.jsonl", "jaeger-otlp_fields_trace.json")


@dataclass(frozen=True)
class Fuzz:
    seeds: list[bytes]
    index: dict[bytes, set[tuple[str, str]]]
    work: Path


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Fuzz:
    work = tmp_path_factory.mktemp("fuzz")
    seeds = [write_knob_loops(work / "sdk.jsonl", iterations=3).data]
    if EXTERNAL_DIR is not None:
        seeds += [(EXTERNAL_DIR / name).read_bytes() for name in EXTERNAL_SEEDS if (EXTERNAL_DIR / name).is_file()]
    return Fuzz(seeds, seed_index(seeds), work)


def test_the_seeds_read_cleanly(fuzz: Fuzz) -> None:
    for k, seed in enumerate(fuzz.seeds):
        assert check(Case(seed, seed, False), fuzz.work / f"seed{k}.jsonl", fuzz.index) > 0


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(data=st.data())
def test_mutated_dumps_never_break_the_reader(fuzz: Fuzz, data: st.DataObject) -> None:
    case = data.draw(cases(fuzz.seeds), label="case")
    check(case, fuzz.work / "case.jsonl", fuzz.index)
