"""The whole report does not depend on how the same spans reach the analyzer (property-based, hypothesis).

Over generated multi-trajectory dumps (:mod:`tests.analyzer._dumps`), the JSON report — every section, every list
in it — is identical when (a) the spans are shuffled within and across lines, (b) the lines are split over several
files or joined into one, (c) any subset of spans or of lines is duplicated, (d) the files are gzipped, (e) the hex
ids are upper-case. Only ``generated_at`` and ``inputs`` (file names, spans read per file) may differ.

The examples are small and the resampling options low (a few dynamics shuffles, a few hundred bootstrap draws), so
that each property runs its examples (200 under the default profile, see tests/conftest.py) in seconds.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analyzer._dumps import Dump, dumps, lines_of, shuffled, upper_case_ids, with_duplicates, write_lines
from trajdyn.analyzer.analyze import analyze
from trajdyn.analyzer.report import report_to_json

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

OPTIONS: dict[str, Any] = {
    "shuffles": 4,
    "playbook_n_boot": 50,
    "playbook_n_perm": 50,
    "trends.permutations": 50,
}
BATCH = 512
"""Spans per line in the reference layout (the SDK's batch size)."""


def report_of(paths: Sequence[str]) -> dict[str, Any]:
    """The report of ``paths`` without ``generated_at`` and ``inputs``, through its JSON text (float bits kept)."""
    report = analyze(list(paths), generated_at="2026-01-01T00:00:00Z", extra=OPTIONS, progress=False)
    doc: dict[str, Any] = json.loads(report_to_json(report))
    assert doc.pop("generated_at") == "2026-01-01T00:00:00Z"
    doc.pop("inputs")
    return doc


def reference(dump: Dump, directory: Path) -> dict[str, Any]:
    """The report of the dump as one loop writes it: one file, trajectory after trajectory, 512 spans a line."""
    return report_of(write_lines(directory / "reference", lines_of(dump.spans, [BATCH])))


def _check(dump: Dump, variant: Sequence[str], directory: Path) -> None:
    expected = reference(dump, directory)
    assert expected["errors"] == []
    assert len(expected["trajectories"]) == dump.trajectories
    assert report_of(variant) == expected


@given(dump=dumps(), seed=st.integers(0, 1 << 32), sizes=st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_shuffling_spans_within_and_across_lines_changes_nothing(dump: Dump, seed: int, sizes: list[int]) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        variant = write_lines(Path(tmp) / "v", lines_of(shuffled(dump.spans, rng), sizes))
        _check(dump, variant, Path(tmp))


@given(
    dump=dumps(),
    seed=st.integers(0, 1 << 32),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    files=st.integers(1, 4),
)
def test_splitting_lines_over_files_or_joining_them_changes_nothing(
    dump: Dump, seed: int, sizes: list[int], files: int
) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        # split: small lines spread over several files (in a random assignment, so each file's lines interleave
        # trajectories); joined: every span in one line of one file
        split = write_lines(Path(tmp) / "split", lines_of(dump.spans, sizes), files=files, rng=rng)
        joined = write_lines(Path(tmp) / "joined", lines_of(dump.spans, [len(dump.spans) or 1]))
        _check(dump, split, Path(tmp))
        assert report_of(joined) == report_of(split)


@given(
    dump=dumps(),
    seed=st.integers(0, 1 << 32),
    share=st.sampled_from([0.1, 0.5, 1.0]),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=3),
)
def test_duplicated_spans_or_lines_change_nothing(dump: Dump, seed: int, share: float, sizes: list[int]) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        # duplicated spans (an exporter retry), placed anywhere, then whole lines repeated (a file concatenated
        # with part of itself)
        lines = lines_of(with_duplicates(dump.spans, rng, share), sizes)
        lines += [line for line in lines if rng.random() < share]
        rng.shuffle(lines)
        _check(dump, write_lines(Path(tmp) / "v", lines), Path(tmp))


@given(dump=dumps(), seed=st.integers(0, 1 << 32), files=st.integers(1, 3))
def test_gzip_changes_nothing(dump: Dump, seed: int, files: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        variant = write_lines(Path(tmp) / "v", lines_of(dump.spans, [7]), files=files, gz=True, rng=rng)
        _check(dump, variant, Path(tmp))


@given(dump=dumps(), seed=st.integers(0, 1 << 32))
def test_upper_case_hex_ids_change_nothing(dump: Dump, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        # upper case, and (since a producer that writes upper case also batches differently) reordered
        variant = write_lines(Path(tmp) / "v", lines_of(shuffled(upper_case_ids(dump.spans), rng), [5]))
        _check(dump, variant, Path(tmp))


@settings(max_examples=min(50, settings().max_examples))  # on top of the five properties, each checked 200 times
@given(dump=dumps(), seed=st.integers(0, 1 << 32))
def test_all_rewritings_at_once_change_nothing(dump: Dump, seed: int) -> None:
    rng = random.Random(seed)
    spans = with_duplicates(shuffled(upper_case_ids(dump.spans), rng), rng, 0.3)
    with tempfile.TemporaryDirectory() as tmp:
        variant = write_lines(Path(tmp) / "v", lines_of(spans, [3, 1, 8]), files=3, gz=True, rng=rng)
        _check(dump, variant, Path(tmp))
