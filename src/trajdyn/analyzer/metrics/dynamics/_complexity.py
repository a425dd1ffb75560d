"""Lempel–Ziv (LZ76) complexity of the action sequence, and its z-score against shuffled copies.

Definitions below, mirrored in ``docs/metrics/dynamics.md``.

Definition: ``c(n)`` is the number of phrases of the LZ76 parsing (Lempel & Ziv 1976, *On the complexity of finite
sequences*; the parsing of Kaspar & Schuster 1987): each phrase is the shortest substring, starting where the
previous one ended, that does not occur starting at an earlier position (overlaps allowed); a last phrase that
reaches the end counts. The reported complexity is normalised, ``c(n) · log_k(n) / n`` with k the number of distinct
symbols of the sequence (2 when it has one), which tends to the entropy rate (in units of ``log k``) for ergodic
sources.

At 10–100 turns a random and a looping sequence overlap in raw value, so the number to read is the z-score against
``B`` shuffled copies of the same sequence (same symbols, order destroyed; see :mod:`._sequences`):
``z = (c − mean c_shuffled) / sd c_shuffled`` (null when the shuffles all have the same complexity, e.g. one symbol),
and the one-sided permutation p-value ``(1 + #{c_shuffled ≤ c}) / (B + 1)`` (small: more compressible, i.e. more
structured, than chance).

Implementation: many sequences are parsed at once, one phrase of every row per pass; the longest previous factor at
a phrase start is found with bit-parallel position sets (64 positions per machine word) extended one symbol per
level over a shrinking set of rows. Exact (checked against the Kaspar–Schuster loop in the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np

from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, shuffled_chunks
from trajdyn.analyzer.stats import null_z_score, permutation_p_value

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["batch_lz", "lz76_counts", "normalised_lz"]

_ONES: Final = np.uint64(0xFFFFFFFFFFFFFFFF)
_CHUNK_ELEMENTS: Final = 1 << 19


def _below(n: int, words: int) -> npt.NDArray[np.uint64]:
    """``(n, words)``: the bit set of positions j < i, for every i."""
    below = np.zeros((n, words), dtype=np.uint64)
    for i in range(n):
        full, part = divmod(i, 64)
        below[i, :full] = _ONES
        if part and full < words:
            below[i, full] = np.uint64((1 << part) - 1)
    return below


def _shift_right(words: npt.NDArray[np.uint64], s: int) -> npt.NDArray[np.uint64]:
    """Multi-word bit sets (…, W) shifted right by ``s`` bits (towards position 0)."""
    if s == 0:
        return words
    width = words.shape[-1]
    ws, bs = divmod(s, 64)
    out = np.zeros_like(words)
    if ws >= width:
        return out
    src = words[..., ws:]
    if bs == 0:
        out[..., : width - ws] = src
    else:
        out[..., : width - ws] = src >> np.uint64(bs)
        if width - ws > 1:
            out[..., : width - ws - 1] |= src[..., 1:] << np.uint64(64 - bs)
    return out


def _chunk_counts(
    xs: npt.NDArray[np.integer[Any]], k: int, tables: tuple[npt.NDArray[Any], ...]
) -> npt.NDArray[np.int64]:
    below, lo, hi, word = tables
    rc, n = xs.shape
    width = below.shape[1]
    stride = n + 1
    # table[r, a]: the positions of symbol a in row r as a bit set (distinct powers of two, so their sum is their
    # union; summed as two exact 32-bit halves in float64)
    flat = ((np.arange(rc, dtype=np.int64)[:, None] * k + xs) * width + word[None, :]).ravel()
    size = rc * k * width
    low = np.bincount(flat, weights=np.tile(lo, rc), minlength=size)
    high = np.bincount(flat, weights=np.tile(hi, rc), minlength=size)
    table = (low.astype(np.uint64) | (high.astype(np.uint64) << np.uint64(32))).reshape(rc, k, width)
    same = np.zeros((rc, stride, width), dtype=np.uint64)  # row-major, one empty position past the end of each row
    same[:, :n] = table[np.arange(rc)[:, None], xs]
    flat_same = same.reshape(rc * stride, width)
    single = flat_same[:, 0]
    pos = np.zeros(rc, dtype=np.int64)
    count = np.zeros(rc, dtype=np.int64)
    active = np.arange(rc)
    while active.size:  # one phrase of every unfinished row per pass
        count[active] += 1
        p = pos[active]
        f = active * stride + p
        length = np.zeros(active.size, dtype=np.int64)
        # the longest previous factor at p: extend the set of earlier starts j that match, one symbol per level
        if width == 1:
            cur = single[f] & below[p, 0]
            sel = np.flatnonzero(cur)
            cur = cur[sel]
            level = 1
            while sel.size:
                length[sel] += 1
                cur = cur & (single[f[sel] + level] >> np.uint64(level))
                keep = cur != 0
                sel, cur = sel[keep], cur[keep]
                level += 1
        else:
            curw = flat_same[f] & below[p]
            sel = np.flatnonzero(curw.any(axis=1))
            curw = curw[sel]
            level = 1
            while sel.size:
                length[sel] += 1
                curw = curw & _shift_right(flat_same[f[sel] + level], level)
                keep = curw.any(axis=1)
                sel, curw = sel[keep], curw[keep]
                level += 1
        pos[active] = p + length + 1
        active = active[pos[active] < n]
    return count


def lz76_counts(x: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """LZ76 phrase count c(n) of every row of ``x`` ``(R, n)``: non-negative integer symbols (small codes are best)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.int64)
    rows, n = x.shape
    if rows == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 0:
        return np.zeros(rows, dtype=np.int64)
    words = (n + 63) // 64
    k = int(x.max()) + 1
    t = np.arange(n)
    bit = t % 64
    tables = (
        _below(n, words),
        np.where(bit < 32, 2.0 ** np.minimum(bit, 31), 0.0),
        np.where(bit >= 32, 2.0 ** np.maximum(bit - 32, 0), 0.0),
        (t // 64).astype(np.int64),
    )
    out = np.empty(rows, dtype=np.int64)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, (n + k) * words))
    for s0 in range(0, rows, chunk):
        out[s0 : s0 + chunk] = _chunk_counts(x[s0 : s0 + chunk], k, tables)
    return out


def normalised_lz(counts: npt.NDArray[np.int64], n: int, distinct: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """``c(n) · log_k(n) / n`` with ``k = max(distinct, 2)``; NaN for n < 2."""
    if n < 2:
        return np.full(counts.shape, np.nan)
    k = np.maximum(distinct, 2).astype(np.float64)
    return np.asarray(counts * (np.log(n) / np.log(k)) / n, dtype=np.float64)


def batch_lz(
    batch: SequenceBatch, distinct: npt.NDArray[np.int64], shuffles: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per trajectory: normalised LZ76 complexity, its z-score and lower-tail p-value against ``shuffles`` copies."""
    t = len(batch.ids)
    value = np.full(t, np.nan)
    z = np.full(t, np.nan)
    p_low = np.full(t, np.nan)
    for group in batch.groups(min_length=2):
        observed = lz76_counts(group.local)
        value[group.rows] = normalised_lz(observed, group.n, distinct[group.rows])
        if shuffles < 2:
            continue
        for part, (shuffled,) in shuffled_chunks(group, shuffles, seed, group.local):
            null = lz76_counts(shuffled).reshape(-1, shuffles).astype(np.float64)
            obs = observed[part].astype(np.float64)
            rows = group.rows[part]
            z[rows] = null_z_score(obs, null)
            p_low[rows] = permutation_p_value((null <= obs[:, None]).sum(axis=1), shuffles)
    return value, z, p_low
