"""The whole report does not depend on how the same spans reach the analyzer (property-based, hypothesis).

Over generated multi-trajectory dumps (:mod:`tests.analyzer._dumps`), the JSON report — every section, every list
in it — is identical when (a) the spans are shuffled within and across lines, (b) the lines are split over several
files or joined into one, (c) any subset of spans or of lines is duplicated, (d) the files are gzipped, (e) the hex
ids are upper-case. Only ``generated_at`` and ``inputs`` (file names, spans read per file) may differ.

Each example is checked under all five rewritings against one reference report, so every property sees every
example (200 under the default profile, see tests/conftest.py). The examples are small and the resampling options
low (a few dynamics shuffles, 50 bootstrap and permutation draws) to keep an example to a few analyses of a fraction
of a second each.
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
from trajdyn.analyzer import DynamicsOptions, PlaybookOptions, TrendsOptions, analyze
from trajdyn.analyzer.report import report_to_json

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

OPTIONS = (DynamicsOptions(shuffles=4), PlaybookOptions(n_boot=50, n_perm=50), TrendsOptions(permutations=50))
BATCH = 512
"""Spans per line in the reference layout (the SDK's batch size)."""


def report_of(paths: Sequence[str]) -> dict[str, Any]:
    """The report of ``paths`` without ``generated_at`` and ``inputs``, through its JSON text (float bits kept)."""
    report = analyze(list(paths), generated_at="2026-01-01T00:00:00Z", options=OPTIONS, progress=False)
    doc: dict[str, Any] = json.loads(report_to_json(report))
    assert doc.pop("generated_at") == "2026-01-01T00:00:00Z"
    doc.pop("inputs")
    return doc


def reference(dump: Dump, directory: Path) -> dict[str, Any]:
    """The report of the dump as one loop writes it: one file, trajectory after trajectory, 512 spans a line (the
    generated dumps are smaller, so this is every span joined into one line)."""
    assert len(dump.spans) <= BATCH
    return report_of(write_lines(directory / "reference", lines_of(dump.spans, [BATCH])))


REWRITINGS = ("shuffled", "split", "duplicated", "gzipped", "upper-case")


def _rewrite(
    name: str, dump: Dump, rng: random.Random, sizes: list[int], files: int, share: float, root: Path
) -> list[str]:
    """The dump's spans as rewriting ``name`` lays them out (files under ``root / name``)."""
    spans = list(dump.spans)
    where = root / name
    if name == "shuffled":  # (a) within and across lines: a batch processor's end order, regrouped
        return write_lines(where, lines_of(shuffled(spans, rng), sizes))
    if name == "split":  # (b) small lines spread at random over several files (the reference is one joined line)
        return write_lines(where, lines_of(spans, sizes), files=files, rng=rng)
    if name == "duplicated":  # (c) spans repeated anywhere (exporter retries), then whole lines (concatenated files)
        lines = lines_of(with_duplicates(spans, rng, share), sizes)
        lines += [line for line in lines if rng.random() < share]
        rng.shuffle(lines)
        return write_lines(where, lines)
    if name == "gzipped":  # (d)
        return write_lines(where, lines_of(spans, sizes), files=files, gz=True, rng=rng)
    assert name == "upper-case"  # (e)
    return write_lines(where, lines_of(upper_case_ids(spans), sizes))


@given(
    dump=dumps(),
    seed=st.integers(0, 1 << 32),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    files=st.integers(1, 4),
    share=st.sampled_from([0.1, 0.5, 1.0]),
)
def test_each_rewriting_leaves_the_report_unchanged(
    dump: Dump, seed: int, sizes: list[int], files: int, share: float
) -> None:
    """(a)–(e), each checked on every example against the reference layout: each property gets every example."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected = reference(dump, root)
        assert expected["errors"] == []
        assert len(expected["trajectories"]) == dump.trajectories
        for name in REWRITINGS:
            variant = _rewrite(name, dump, random.Random(f"{seed}-{name}"), sizes, files, share, root)
            assert report_of(variant) == expected, f"the report changed when the spans were {name}"


@settings(max_examples=min(50, settings().max_examples))  # on top of the five properties, each checked 200 times
@given(dump=dumps(), seed=st.integers(0, 1 << 32))
def test_all_rewritings_at_once_leave_the_report_unchanged(dump: Dump, seed: int) -> None:
    rng = random.Random(seed)
    spans = with_duplicates(shuffled(upper_case_ids(dump.spans), rng), rng, 0.3)
    with tempfile.TemporaryDirectory() as tmp:
        variant = write_lines(Path(tmp) / "v", lines_of(spans, [3, 1, 8]), files=3, gz=True, rng=rng)
        assert report_of(variant) == reference(dump, Path(tmp))
