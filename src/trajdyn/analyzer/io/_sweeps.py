"""Parameter-sweep summaries (popoto's ``sweep_*.json`` …): sweep records collected into three frames for the
``sweeps`` report section (docs/metrics/sweeps.md). Like result files, they never become spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from trajdyn._problems import InputProblem
from trajdyn.analyzer.io._sources import NamedFile, file_name, file_path
from trajdyn.formats import read_sweep

__all__ = ["SWEEP_CONSTANT_SCHEMA", "SWEEP_PAIR_SCHEMA", "SWEEP_POINT_SCHEMA", "SweepData", "read_sweeps"]

SWEEP_POINT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source": pl.Utf8(),
    "constant": pl.Utf8(),
    "value": pl.Utf8(),
    "order": pl.Int64(),
    "score": pl.Float64(),
    "replicate": pl.Int64(),
    "scenario": pl.Utf8(),
    "split": pl.Utf8(),
}
"""One score of one constant at one value (a replicate, a scenario, or the file's mean when it keeps no replicates);
``order`` is the value's position in the sweep as written."""
SWEEP_CONSTANT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source": pl.Utf8(),
    "constant": pl.Utf8(),
    "default": pl.Utf8(),
    "n_points_ok": pl.Int64(),
    "n_points_total": pl.Int64(),
    "n_errors": pl.Int64(),
    "n_degenerate": pl.Int64(),
    "n_unscored": pl.Int64(),
    "n_nonfinite": pl.Int64(),
    "reported_best_value": pl.Utf8(),
    "reported_best_score": pl.Float64(),
    "reported_cliffs": pl.Utf8(),
    "objective": pl.Utf8(),
    "mixed_objectives": pl.Utf8(),
}
"""One row per swept constant: its counts (``n_unscored``: runs neither errors nor degenerate without a finite
score, ``n_nonfinite`` of them with a NaN or ±inf one; null for a file that does not say), what the file claimed (best value, cliffs as JSON), and the objective its
runs declared (spans of sweep runs; null for a file that does not say: the section's option applies;
``mixed_objectives`` lists them, comma-separated, when the runs disagree)."""
SWEEP_PAIR_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source": pl.Utf8(),
    "pair": pl.Utf8(),
    "constant_a": pl.Utf8(),
    "constant_b": pl.Utf8(),
    "value_a": pl.Utf8(),
    "value_b": pl.Utf8(),
    "score": pl.Float64(),
}
"""One score of a two-constant interaction grid."""


@dataclass(frozen=True, slots=True)
class SweepData:
    """The sweep frames of some inputs (:data:`SWEEP_POINT_SCHEMA`, …) and their problems."""

    points: pl.DataFrame
    constants: pl.DataFrame
    pairs: pl.DataFrame
    errors: list[InputProblem]

    @classmethod
    def empty(cls) -> SweepData:
        return cls(
            pl.DataFrame(schema=SWEEP_POINT_SCHEMA),
            pl.DataFrame(schema=SWEEP_CONSTANT_SCHEMA),
            pl.DataFrame(schema=SWEEP_PAIR_SCHEMA),
            [],
        )

    @classmethod
    def concat(cls, parts: Sequence[SweepData]) -> SweepData:
        """The frames and problems of ``parts`` together, in order."""
        if not parts:
            return cls.empty()
        return cls(
            pl.concat([p.points for p in parts], how="vertical_relaxed"),
            pl.concat([p.constants for p in parts], how="vertical_relaxed"),
            pl.concat([p.pairs for p in parts], how="vertical_relaxed"),
            [e for p in parts for e in p.errors],
        )


def _frame(rows: list[dict[str, object]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


def read_sweeps(paths: Sequence[str | NamedFile], fmt: str | None = None) -> tuple[SweepData, list[tuple[int, int]]]:
    """Read sweep summaries into :class:`SweepData` and, per path, its (record, problem) counts; never raises on bad
    input. A :class:`NamedFile` (stdin spooled to a file) is reported under its name."""
    by_kind: dict[str, list[dict[str, object]]] = {"point": [], "constant": [], "pair_point": []}
    errors: list[InputProblem] = []
    counts: list[tuple[int, int]] = []
    for path in paths:
        _, records, problems = read_sweep(file_path(path), fmt, name=file_name(path))
        for record in records:
            by_kind.setdefault(str(record.get("kind")), []).append(record)
        errors.extend(problems)
        counts.append((len(records), len(problems)))
    data = SweepData(
        _frame(by_kind["point"], SWEEP_POINT_SCHEMA),
        _frame(by_kind["constant"], SWEEP_CONSTANT_SCHEMA),
        _frame(by_kind["pair_point"], SWEEP_PAIR_SCHEMA),
        errors,
    )
    return data, counts
