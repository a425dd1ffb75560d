"""Symbol sequences batched by length, and the shuffled copies the permutation tests compare against.

The shuffled copies are documented in ``docs/metrics/dynamics.md`` (Shuffled copies).

Every sequence kernel of the dynamics family works on a ``(T, n)`` integer matrix: the T trajectories that have
exactly n turns, one row each, so that numpy vectorises across trajectories without padding. Within a row the
symbols are re-coded densely (``local``: 0..k−1, k the row's number of distinct symbols) so that kernels can index
small per-row tables.

Shuffled copies (the null of the LZ76 and laminarity z-scores): for each length n, ``B`` permutations of
``range(n)`` are drawn once from a generator seeded with ``(seed, n)`` and applied to every trajectory of that
length. A trajectory's z-scores therefore depend only on its own sequence, ``seed`` and ``B`` — never on which
other trajectories were analysed with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["LengthGroup", "SequenceBatch", "encode", "local_codes", "permutations", "shuffled_chunks", "symbol_counts"]


@dataclass(frozen=True, slots=True)
class LengthGroup:
    """The trajectories with exactly ``n`` turns: their positions in the batch and their symbols."""

    n: int
    rows: npt.NDArray[np.int64]
    """Indices into :attr:`SequenceBatch.ids`."""
    codes: npt.NDArray[np.int64]
    """``(len(rows), n)`` corpus-wide symbol codes."""
    local: npt.NDArray[np.signedinteger[Any]]
    """``(len(rows), n)`` per-row dense codes 0..k−1, in order of the corpus codes (int16 below 32767 turns)."""


@dataclass(frozen=True, slots=True)
class SequenceBatch:
    """All trajectories' symbol sequences, by trajectory and by length."""

    ids: list[str]
    lengths: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    """Start of each trajectory's turns in :attr:`flat`."""
    flat: npt.NDArray[np.int64]
    """Every turn's corpus code, trajectories one after the other."""
    alphabet: list[str]
    """The symbol of each corpus code."""

    def groups(self, min_length: int = 1) -> Iterator[LengthGroup]:
        """One :class:`LengthGroup` per distinct length ``>= min_length``, shortest first."""
        for n in np.unique(self.lengths):
            if n < min_length:
                continue
            rows = np.flatnonzero(self.lengths == n).astype(np.int64)
            index = self.offsets[rows][:, None] + np.arange(int(n))[None, :]
            codes = self.flat[index]
            yield LengthGroup(int(n), rows, codes, local_codes(codes))


def encode(turns: pl.DataFrame, id_column: str, symbol_column: str) -> SequenceBatch:
    """Code the ``symbol_column`` of a turn table (rows grouped by ``id_column``, in turn order) as integers."""
    alphabet = turns.select(pl.col(symbol_column).unique(maintain_order=True))
    coded = turns.select(id_column, symbol_column).join(
        alphabet.with_row_index("_code"), on=symbol_column, how="left", maintain_order="left", nulls_equal=True
    )
    ids_frame = coded.group_by(id_column, maintain_order=True).len()
    lengths = ids_frame["len"].to_numpy().astype(np.int64)
    offsets = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        offsets[1:] = np.cumsum(lengths)[:-1]
    return SequenceBatch(
        ids=[str(x) for x in ids_frame[id_column].to_list()],
        lengths=lengths,
        offsets=offsets,
        flat=coded["_code"].to_numpy().astype(np.int64),
        alphabet=[str(x) for x in alphabet[symbol_column].to_list()],
    )


def local_codes(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.signedinteger[Any]]:
    """Re-code each row of ``codes`` densely: the row's distinct symbols become 0..k−1 in increasing order."""
    t, n = codes.shape
    if codes.size == 0:
        return codes.copy()
    span = int(codes.max()) + 1
    keys = (np.arange(t, dtype=np.int64)[:, None] * span + codes).ravel()
    _, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(t, n)
    local = inverse - inverse.min(axis=1, keepdims=True)
    # small codes sort and gather faster; every kernel widens them where it computes indices
    out: npt.NDArray[np.signedinteger[Any]] = local.astype(np.int16 if n < 32767 else np.int64)
    return out


def symbol_counts(local: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``(T, k_max)`` occurrences of each local symbol per row (zeros past a row's k)."""
    t, _ = local.shape
    k = int(local.max()) + 1 if local.size else 1
    flat = (np.arange(t, dtype=np.int64)[:, None] * k + local).ravel()
    return np.bincount(flat, minlength=t * k).reshape(t, k).astype(np.int64)


def permutations(n: int, count: int, seed: int) -> npt.NDArray[np.int64]:
    """``(count, n)``: ``count`` uniform random permutations of ``range(n)`` from a generator seeded with (seed, n)."""
    rng = np.random.default_rng([seed, n])
    base = np.tile(np.arange(n, dtype=np.int64), (count, 1))
    return rng.permuted(base, axis=1)


def shuffled_chunks(
    group: LengthGroup, shuffles: int, seed: int, *tables: npt.NDArray[Any]
) -> Iterator[tuple[slice, list[npt.NDArray[Any]]]]:
    """The shuffled copies of a length group, a chunk of its rows at a time.

    ``tables`` are ``(len(group.rows), n)`` arrays aligned with the group's rows (its ``local`` codes, and anything
    that moves with them); each chunk yields the slice of rows and every table with each row repeated under every
    one of the ``shuffles`` permutations (:func:`permutations`), ``(rows · shuffles, n)``, compact integers. Chunks
    hold at most 2²¹ cells.
    """
    perms = permutations(group.n, shuffles, seed)
    per_chunk = max(1, (1 << 21) // (shuffles * group.n))
    dtype = np.int16 if group.n < 32768 else np.int64
    compact = [table.astype(dtype) for table in tables]
    for s0 in range(0, len(group.rows), per_chunk):
        part = slice(s0, s0 + per_chunk)
        yield part, [table[part][:, perms].reshape(-1, group.n) for table in compact]
