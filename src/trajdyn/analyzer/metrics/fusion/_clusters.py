"""Task clusters for the fusion strata when tasks carry no category (docs/metrics/fusion.md#strata).

Each task is one text (its task text, else the task id and its action profile), embedded by the report's embedder
(hashing by default, MiniLM with ``--embeddings minilm``) and normalised to unit length; :func:`kmeans` groups the
rows (Lloyd's algorithm from k-means++ seeds, Arthur & Vassilvitskii 2007; the best of ``restarts`` runs by
within-cluster sum of squares). ``k`` is given, or :func:`choose_k` picks the k in 2..``max_k`` with the largest
mean silhouette (Rousseeuw 1987) — the first on a tie. Clusters are numbered ``cluster-1`` … in the order of their
first task (tasks sorted by id), so the names do not depend on the seed's labelling. Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_K", "RESTARTS", "Clustering", "choose_k", "kmeans", "nearest", "silhouette"]

Array = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]

MAX_K: Final = 8
"""The largest k :func:`choose_k` tries."""
RESTARTS: Final = 8
"""k-means runs from different k-means++ seeds; the one with the least within-cluster sum of squares is kept."""
_ITERATIONS: Final = 100


@dataclass(frozen=True, slots=True)
class Clustering:
    """Cluster labels 0..k−1 (numbered by first appearance), centroids (k, d), and the silhouette of each k tried."""

    labels: Labels
    centroids: Array
    k: int
    silhouettes: dict[int, float]


def _squared_distances(x: Array, centres: Array) -> Array:
    d = (x * x).sum(axis=1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(axis=1)[None, :]
    return np.asarray(np.maximum(d, 0.0), dtype=np.float64)


def _plus_plus(x: Array, k: int, rng: np.random.Generator) -> Array:
    n = x.shape[0]
    chosen = [int(rng.integers(n))]
    closest = _squared_distances(x, x[chosen]).min(axis=1)
    for _ in range(1, k):
        total = float(closest.sum())
        pick = int(rng.choice(n, p=closest / total)) if total > 0 else int(rng.integers(n))
        chosen.append(pick)
        closest = np.minimum(closest, _squared_distances(x, x[[pick]])[:, 0])
    return x[chosen].copy()


def _lloyd(x: Array, centres: Array) -> tuple[Labels, Array, float]:
    k = centres.shape[0]
    labels = np.full(x.shape[0], -1, dtype=np.int64)
    for _ in range(_ITERATIONS):
        new = _squared_distances(x, centres).argmin(axis=1).astype(np.int64)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = labels == j
            if np.any(members):
                centres[j] = x[members].mean(axis=0)
    inertia = float(_squared_distances(x, centres)[np.arange(x.shape[0]), labels].sum())
    return labels, centres, inertia


def _renumber(labels: Labels, centres: Array) -> tuple[Labels, Array]:
    """Labels numbered 0.. by first appearance (rows are in a fixed task order); empty clusters dropped."""
    order: dict[int, int] = {}
    for label in labels.tolist():
        order.setdefault(int(label), len(order))
    mapped = np.array([order[int(v)] for v in labels], dtype=np.int64)
    keep = sorted(order, key=order.__getitem__)
    return mapped, centres[keep]


def kmeans(x: npt.ArrayLike, k: int, *, seed: int = 0, restarts: int = RESTARTS) -> tuple[Labels, Array]:
    """k-means of the rows of ``x``: labels (0.. by first appearance) and centroids; deterministic for ``seed``."""
    rows = np.asarray(x, dtype=np.float64)
    n = rows.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"expected 1 <= k <= {n} (the number of tasks), got {k}")
    rng = np.random.default_rng(seed)
    best: tuple[Labels, Array, float] | None = None
    for _ in range(restarts):
        labels, centres, inertia = _lloyd(rows, _plus_plus(rows, k, rng))
        if best is None or inertia < best[2] - 1e-12:
            best = (labels, centres, inertia)
    assert best is not None
    return _renumber(best[0], best[1])


def silhouette(x: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean silhouette (b − a)/max(a, b) over the rows, Euclidean distance; 0 for a row alone in its cluster
    (Rousseeuw 1987); NaN with fewer than 2 clusters."""
    rows = np.asarray(x, dtype=np.float64)
    lab = np.asarray(labels, dtype=np.int64)
    clusters = np.unique(lab)
    if clusters.size < 2:
        return float("nan")
    dist = np.sqrt(_squared_distances(rows, rows))
    sizes = np.bincount(lab)
    sums = np.stack([dist[:, lab == c].sum(axis=1) for c in range(sizes.size)], axis=1)
    own = sizes[lab]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = sums[np.arange(rows.shape[0]), lab] / np.maximum(own - 1, 1)
        mean_to = sums / np.where(sizes > 0, sizes, 1)[None, :]
    mean_to[np.arange(rows.shape[0]), lab] = np.inf
    mean_to[:, sizes == 0] = np.inf
    b = mean_to.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())


def choose_k(x: npt.ArrayLike, *, k: int | None = None, max_k: int = MAX_K, seed: int = 0) -> Clustering:
    """Cluster the rows of ``x`` into ``k`` groups, or into the k in 2..min(``max_k``, n − 1) with the largest mean
    silhouette (the first on a tie; one cluster when there are fewer than 3 rows)."""
    rows = np.asarray(x, dtype=np.float64)
    n = rows.shape[0]
    if k is not None:
        labels, centres = kmeans(rows, min(k, n), seed=seed)
        score = silhouette(rows, labels)
        return Clustering(labels, centres, int(centres.shape[0]), {int(centres.shape[0]): score})
    if n < 3:
        labels, centres = kmeans(rows, 1, seed=seed)
        return Clustering(labels, centres, 1, {})
    scores: dict[int, float] = {}
    best: tuple[float, Labels, Array] | None = None
    for candidate in range(2, min(max_k, n - 1) + 1):
        labels, centres = kmeans(rows, candidate, seed=seed)
        score = silhouette(rows, labels)
        scores[candidate] = score
        if best is None or score > best[0] + 1e-12:
            best = (score, labels, centres)
    assert best is not None
    return Clustering(best[1], best[2], int(best[2].shape[0]), scores)


def nearest(x: npt.ArrayLike, centroids: npt.ArrayLike) -> Labels:
    """The index of each row's nearest centroid (the first on a tie)."""
    rows = np.asarray(x, dtype=np.float64)
    out: Labels = _squared_distances(rows, np.asarray(centroids, dtype=np.float64)).argmin(axis=1).astype(np.int64)
    return out
