"""Semantic drift of a trajectory in embedding space: angles, not cosine distances.

Definitions below, mirrored in ``docs/metrics/dynamics.md`` (Semantic drift).

Each turn has a unit vector e_t (:mod:`trajdyn.analyzer.embeddings`: of the turn's text, or of its action string
when the trajectory's group lacks captured content — the ``basis``). Angles are geodesic distances on the unit
sphere, ``θ(u, v) = arccos(u·v)``, computed as ``2·atan2(|u − v|, |u + v|)`` (exact, and well conditioned near 0
and π, unlike arccos); ``1 − cos`` is not used because it is quadratic for small offsets. A zero vector (a text
without a token) is at π/2 from everything and at 0 from another zero vector.

**Mean-centring** (embedding anisotropy: all sentences of a model share a common direction, Ethayarajh 2019; Mu &
Viswanath 2018): the vectors of a group of trajectories (one task / perturbation group) are centred on the mean
unit vector of all *other* groups' turns of the same basis and re-normalised, so that a trajectory's own turns never
define its centre. A group is centred only when at least ``min_centre_turns`` (default 100) such other turns exist;
the report says whether it was (``centred``).

Per trajectory (n turns, t = 0..n−1):

=================  ================================================================================================
key                definition
=================  ================================================================================================
anchor             ``θ(e_t, e_0)`` for every turn (the first is 0)
step               ``θ(e_t, e_{t−1})`` for t ≥ 1
final              anchor at the last turn (the displacement)
max, mean          of the anchor drift over t ≥ 1
path_length        Σ step
tortuosity         path_length / final (≥ 1: the sphere's triangle inequality); null when final < 1e-6 (the trajectory
                   came back to where it started, or never moved)
anchor_trend_z     Mann–Kendall z of the anchor series over t ≥ 1 (Mann 1945; Kendall 1975; tie-corrected variance,
                   continuity correction, lag-1 autocorrelation correction of Hamed & Rao 1998 — see
                   :func:`trajdyn.analyzer.stats.mann_kendall_z`): positive = keeps drifting away; null with fewer
                   than 4 points
step_trend_z       Mann–Kendall z of the step series: negative = steps shrink (settling)
=================  ================================================================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "MIN_CENTRE_TURNS",
    "Chunk",
    "angles",
    "angles_at",
    "centred_chunks",
    "consecutive_angles",
    "drift_summary",
    "group_sums",
]

MIN_CENTRE_TURNS: Final = 100
HALF_PI: Final = math.pi / 2
_ZERO: Final = 0.5
_CHUNK_ROWS: Final = 16384
_ANGLE_BLOCK: Final = 4096


def _theta(x: npt.NDArray[np.floating[Any]], y: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """``2·atan2(|x − y|, |x + y|)``: the angle between unit rows, well conditioned near 0 and near π (Kahan)."""
    diff, total = x - y, x + y
    d = np.sqrt(np.einsum("ij,ij->i", diff, diff).astype(np.float64))
    s = np.sqrt(np.einsum("ij,ij->i", total, total).astype(np.float64))
    return np.asarray(2.0 * np.arctan2(d, s), dtype=np.float64)


def _conventions(
    theta: npt.NDArray[np.float64], zx: npt.NDArray[np.bool_], zy: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    return np.where(zx & zy, 0.0, np.where(zx | zy, HALF_PI, theta))


def angles(a: npt.NDArray[np.floating[Any]], b: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """Row-wise angle (radians) between unit-or-zero rows of ``a`` and ``b`` (module docstring)."""
    out = np.empty(a.shape[0], dtype=np.float64)
    for s0 in range(0, a.shape[0], _ANGLE_BLOCK):
        x, y = a[s0 : s0 + _ANGLE_BLOCK], b[s0 : s0 + _ANGLE_BLOCK]
        zx = np.einsum("ij,ij->i", x, x) < _ZERO
        zy = np.einsum("ij,ij->i", y, y) < _ZERO
        out[s0 : s0 + _ANGLE_BLOCK] = _conventions(_theta(x, y), zx, zy)
    return out


def angles_at(
    vectors: npt.NDArray[np.floating[Any]],
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    zero: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.float64]:
    """``angles(vectors[i], vectors[j])`` block by block (no full-size copies); ``zero`` flags the zero rows."""
    if zero is None:
        zero = np.einsum("ij,ij->i", vectors, vectors) < _ZERO
    out = np.empty(i.shape[0], dtype=np.float64)
    for s0 in range(0, i.shape[0], _ANGLE_BLOCK):
        bi, bj = i[s0 : s0 + _ANGLE_BLOCK], j[s0 : s0 + _ANGLE_BLOCK]
        out[s0 : s0 + _ANGLE_BLOCK] = _conventions(_theta(vectors[bi], vectors[bj]), zero[bi], zero[bj])
    return out


def consecutive_angles(
    vectors: npt.NDArray[np.floating[Any]], zero: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.float64]:
    """Angle between every row and the next one (``n − 1`` values)."""
    if zero is None:
        zero = np.einsum("ij,ij->i", vectors, vectors) < _ZERO
    n = vectors.shape[0]
    out = np.empty(max(n - 1, 0), dtype=np.float64)
    for s0 in range(0, n - 1, _ANGLE_BLOCK):
        s1 = min(s0 + _ANGLE_BLOCK, n - 1)
        out[s0:s1] = _conventions(_theta(vectors[s0 + 1 : s1 + 1], vectors[s0:s1]), zero[s0 + 1 : s1 + 1], zero[s0:s1])
    return out


def _dense(vectors: Any, rows: npt.NDArray[np.int64] | slice) -> npt.NDArray[np.float32]:
    part = vectors[rows]
    if hasattr(part, "toarray"):
        part = part.toarray()
    return np.asarray(part, dtype=np.float32)


def group_sums(vectors: Any, starts: npt.NDArray[np.int64], total: int) -> npt.NDArray[np.float64]:
    """``(G, dim)`` sums of the row blocks ``[starts[g], starts[g+1])`` of ``vectors`` (numpy or scipy sparse)."""
    if len(starts) == 0:
        return np.zeros((0, vectors.shape[1]))
    if hasattr(vectors, "tocsr"):
        import scipy.sparse as sp

        sizes = np.diff(np.append(starts, total))
        owner = np.repeat(np.arange(len(starts)), sizes)
        indicator = sp.csr_matrix((np.ones(total), (owner, np.arange(total))), shape=(len(starts), total))
        return np.asarray((indicator @ vectors).toarray(), dtype=np.float64)
    return np.add.reduceat(np.asarray(vectors, dtype=np.float64), starts, axis=0)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive groups' turns as dense, centred, unit vectors."""

    groups: npt.NDArray[np.int64]
    """Group indices in this chunk."""
    start: int
    """Row of the first turn of the chunk (in the turn order the vectors follow)."""
    vectors: npt.NDArray[np.float32]


def centred_chunks(
    vectors: Any,
    group_starts: npt.NDArray[np.int64],
    group_basis: npt.NDArray[np.int64],
    *,
    min_centre_turns: int = MIN_CENTRE_TURNS,
    chunk_rows: int = _CHUNK_ROWS,
) -> tuple[Iterator[Chunk], npt.NDArray[np.bool_]]:
    """Iterate over consecutive groups' rows, centred on the other groups' mean (module docstring).

    ``group_starts``: first row of each group (rows sorted by group); ``group_basis``: an integer per group, groups
    of different bases never centre each other. Returns ``(chunks, centred)`` with ``centred[g]`` telling whether
    group g was centred.
    """
    total = int(vectors.shape[0])
    sums = group_sums(vectors, group_starts, total)
    if hasattr(vectors, "getnnz"):
        nonzero_rows = (vectors.getnnz(axis=1) > 0).astype(np.int64)
    else:
        nonzero_rows = (np.einsum("ij,ij->i", vectors, vectors) > _ZERO).astype(np.int64)
    counts = np.add.reduceat(nonzero_rows, group_starts) if len(group_starts) else np.zeros(0, dtype=np.int64)
    centred = np.zeros(len(group_starts), dtype=bool)
    means = np.zeros_like(sums)
    for basis in np.unique(group_basis):
        members = group_basis == basis
        others = counts[members].sum() - counts[members]
        outside = sums[members].sum(axis=0)[None, :] - sums[members]
        ok = others >= min_centre_turns
        with np.errstate(invalid="ignore", divide="ignore"):
            means[np.flatnonzero(members)[ok]] = outside[ok] / others[ok, None]
        centred[np.flatnonzero(members)[ok]] = True
    ends = np.append(group_starts[1:], total)

    def generate() -> Iterator[Chunk]:
        g = 0
        while g < len(group_starts):
            first = g
            while g < len(group_starts) and (g == first or ends[g] - group_starts[first] <= chunk_rows):
                g += 1
            lo, hi = int(group_starts[first]), int(ends[g - 1])
            dense = _dense(vectors, slice(lo, hi))
            keep = np.einsum("ij,ij->i", dense, dense) > _ZERO
            for k in range(first, g):
                if centred[k]:
                    a, b = int(group_starts[k]) - lo, int(ends[k]) - lo
                    dense[a:b] -= means[k].astype(np.float32)
            dense[~keep] = 0.0
            norms = np.sqrt(np.einsum("ij,ij->i", dense, dense))
            np.divide(dense, norms[:, None], out=dense, where=norms[:, None] > 1e-6)
            dense[norms <= 1e-6] = 0.0
            yield Chunk(np.arange(first, g), lo, dense)

    return generate(), centred


def drift_summary(anchor: npt.NDArray[np.float64], step: npt.NDArray[np.float64]) -> dict[str, float | None]:
    """final, max, mean, path_length, tortuosity of one trajectory's anchor (n) and step (n − 1) series."""
    n = anchor.shape[0]
    if n < 2:
        return {"final": None, "max": None, "mean": None, "path_length": None, "tortuosity": None}
    final = float(anchor[-1])
    path = float(step.sum())
    return {
        "final": final,
        "max": float(anchor[1:].max()),
        "mean": float(anchor[1:].mean()),
        "path_length": path,
        "tortuosity": path / final if final >= 1e-6 else None,
    }
