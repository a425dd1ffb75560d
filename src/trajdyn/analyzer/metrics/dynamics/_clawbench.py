"""ClawBench's constraint indices, kept as named variants so that users of that tool can compare numbers.

Source: openclaw/clawbench ``clawbench/dynamics.py`` (per trajectory) and
``scripts/posterior/2_compute_constraint_index.py`` (per task); ``docs/metrics/dynamics.md`` (ClawBench variants).
ClawBench's documents and code
define "constraint index" in two different ways; both are here, each under its own name.

``clawbench_constraint_index`` (per trajectory, ``dynamics.py``)
    Per turn a D = 10 feature vector: the shares of six tool families (browser, edit, execute, memory, read, search;
    one turn = one action here, so a one-hot; the family of a tool name is the first family name it contains, else
    ClawBench's keyword aliases, else ``execute``), an error flag, tokens / the trajectory's maximum, text length /
    the trajectory's maximum, and progress t/(n−1). With Σ the covariance of these vectors over the turns and
    p_i = λ_i / Σλ its normalised eigenvalues, PR = 1/Σ p_i² = (tr Σ)² / tr(Σ²) and the index is
    ``1 − (PR − 1)/(D − 1)`` (1: one direction of variation; 0: all ten equally). ClawBench returns 0.5 for fewer
    than three turns or no variance; here that is null (undefined), and the regime says why.

``clawbench_cq`` (per task, ``2_compute_constraint_index.py``)
    Over the runs of one task, with x_r a unit vector per run: PR(q) = (tr Σ)² / tr(Σ²) of the runs' covariance;
    H(q) = von Neumann entropy (bits) of the trace-normalised RBF kernel matrix ``exp(−d²/(2·median d²)) + 10⁻⁶ I``
    (median over the whole squared-distance matrix, diagonal included, as ClawBench does; 0 when that median is 0);
    BOPS(q) = mean over models of the mean pairwise cosine between that model's runs (0 when no model has two).
    Then ``C(q) = −z(PR) − z(H) + z(BOPS)``, z-scores across tasks with the population standard deviation (0 when it
    is 0, as ClawBench). Differences from ClawBench: the run vector is the normalised mean of the run's unit turn
    vectors (ClawBench embeds the first 4000 characters of the run's text in one go), and tasks with fewer than two
    runs get null instead of ClawBench's defaults (PR 1, H 0), which would distort the z-scores of the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["TOOL_FAMILIES", "constraint_index", "cq_scores", "tool_family"]

TOOL_FAMILIES: Final = ("browser", "edit", "execute", "memory", "read", "search")
FEATURES: Final = len(TOOL_FAMILIES) + 4
_ALIASES: Final = (
    ("edit", ("write_file", "create_file", "str_replace", "patch")),
    ("execute", ("bash", "terminal", "shell", "run", "exec")),
    ("browser", ("browse", "click", "navigate", "screenshot")),
    ("search", ("grep", "find", "glob", "semantic")),
    ("read", ("cat", "head", "tail", "view", "list_dir")),
)


def tool_family(name: str) -> str:
    """ClawBench's tool family of a tool name (``execute`` when nothing matches)."""
    low = name.lower()
    for family in TOOL_FAMILIES:
        if family in low:
            return family
    for family, keywords in _ALIASES:
        if any(k in low for k in keywords):
            return family
    return "execute"


def constraint_index(features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``1 − (PR − 1)/(D − 1)`` of each trajectory's turn features ``(T, n, D)``; NaN when n < 3 or no variance."""
    t, n, d = features.shape
    if n < 3:
        return np.full(t, np.nan)
    centred = features - features.mean(axis=1, keepdims=True)
    cov = np.einsum("tnd,tne->tde", centred, centred) / (n - 1)
    trace = np.einsum("tdd->t", cov)
    frob = np.einsum("tde,tde->t", cov, cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = np.where((trace > 1e-10) & (frob > 0), trace**2 / frob, np.nan)
    return np.asarray(1.0 - (pr - 1.0) / (d - 1.0), dtype=np.float64)


def turn_features(
    families: npt.NDArray[np.int64],
    errors: npt.NDArray[np.bool_],
    tokens: npt.NDArray[np.float64],
    lengths: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """``(T, n, 10)`` ClawBench turn features from ``(T, n)`` family codes, error flags, tokens and text lengths."""
    t, n = families.shape
    out = np.zeros((t, n, FEATURES))
    np.put_along_axis(out[..., : len(TOOL_FAMILIES)], families[..., None], 1.0, axis=2)
    out[..., len(TOOL_FAMILIES)] = errors
    for column, raw in ((len(TOOL_FAMILIES) + 1, tokens), (len(TOOL_FAMILIES) + 2, lengths)):
        top = raw.max(axis=1, keepdims=True)
        out[..., column] = raw / np.where(top > 0, top, 1.0)
    out[..., len(TOOL_FAMILIES) + 3] = np.arange(n) / max(n - 1, 1)
    return out


def _participation_ratio(x: npt.NDArray[np.float64]) -> float:
    centred = x - x.mean(axis=0, keepdims=True)
    gram = centred @ centred.T
    trace = float(np.trace(gram))
    frob = float((gram * gram).sum())
    if frob < 1e-12 * max(1.0, (x.shape[0] - 1) ** 2):
        return 1.0
    return trace**2 / frob


def _kernel_entropy(x: npt.NDArray[np.float64]) -> float:
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1)
    median = float(np.median(sq))
    if median < 1e-12:
        return 0.0
    kernel = np.exp(-sq / (2.0 * median)) + np.eye(x.shape[0]) * 1e-6
    eig = np.clip(np.linalg.eigvalsh(kernel / np.trace(kernel)), 1e-12, None)
    return float(-(eig * np.log2(eig)).sum())


def _bops(x: npt.NDArray[np.float64], models: Sequence[str | None]) -> float:
    means = []
    for model in dict.fromkeys(models):
        rows = [i for i, m in enumerate(models) if m == model]
        if len(rows) < 2:
            continue
        sub = x[rows]
        norms = np.linalg.norm(sub, axis=1)
        sub = sub[norms > 0] / norms[norms > 0, None]
        if sub.shape[0] < 2:
            continue
        cosines = (sub @ sub.T)[np.triu_indices(sub.shape[0], k=1)]
        means.append(float(cosines.mean()))
    return float(np.mean(means)) if means else 0.0


def _z(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sd = values.std()
    return (values - values.mean()) / sd if sd > 1e-12 else np.zeros_like(values)


def _batch_scores(x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], ...]:
    """PR, kernel entropy and all-runs BOPS of G tasks with m runs each, ``x`` ``(G, m, d)`` (one model per task)."""
    g, m, _ = x.shape
    centred = x - x.mean(axis=1, keepdims=True)
    gram_c = np.einsum("gid,gjd->gij", centred, centred)
    trace = np.einsum("gii->g", gram_c)
    frob = (gram_c * gram_c).sum(axis=(1, 2))
    pr = np.where(frob < 1e-12 * max(1.0, (m - 1) ** 2), 1.0, trace**2 / np.where(frob > 0, frob, 1.0))
    gram = np.einsum("gid,gjd->gij", x, x)
    sq_norm = np.einsum("gii->gi", gram)
    sq = np.maximum(sq_norm[:, :, None] + sq_norm[:, None, :] - 2.0 * gram, 0.0)
    diagonal = np.arange(m)
    sq[:, diagonal, diagonal] = 0.0
    median = np.median(sq.reshape(g, -1), axis=1)
    safe = np.where(median < 1e-12, 1.0, median)
    kernel = np.exp(-sq / (2.0 * safe[:, None, None])) + np.eye(m)[None] * 1e-6
    kernel /= np.einsum("gii->g", kernel)[:, None, None]
    eig = np.clip(np.linalg.eigvalsh(kernel), 1e-12, None)
    entropy = np.where(median < 1e-12, 0.0, -(eig * np.log2(eig)).sum(axis=1))
    norms = np.sqrt(np.maximum(sq_norm, 0.0))
    ok = norms > 0
    cos = gram / np.where(ok[:, :, None] & ok[:, None, :], norms[:, :, None] * norms[:, None, :], np.inf)
    iu, ju = np.triu_indices(m, k=1)
    pair_ok = ok[:, iu] & ok[:, ju]
    counts = pair_ok.sum(axis=1)
    bops = np.where(counts > 0, (cos[:, iu, ju] * pair_ok).sum(axis=1) / np.maximum(counts, 1), 0.0)
    return pr, entropy, bops


def cq_scores(
    tasks: Sequence[str], run_vectors: Sequence[npt.NDArray[np.float64]], models: Sequence[Sequence[str | None]]
) -> dict[str, dict[str, Any]]:
    """``{task: {runs, PR, entropy, BOPS, z_PR, z_entropy, z_BOPS, C_q}}`` (module docstring); ``C_q`` null below 2 runs.

    Tasks with the same number of runs, all of one model, are scored together (stacked numpy); the others one by one.
    """
    out: dict[str, dict[str, Any]] = {}
    scored: list[str] = []
    batches: dict[tuple[int, int], list[int]] = {}
    for i, (task, x, m) in enumerate(zip(tasks, run_vectors, models, strict=True)):
        entry: dict[str, Any] = {"runs": int(x.shape[0])}
        out[task] = entry
        if x.shape[0] < 2:
            entry.update(PR=None, entropy=None, BOPS=None, z_PR=None, z_entropy=None, z_BOPS=None, C_q=None)
            continue
        scored.append(task)
        if len(set(m)) == 1:
            batches.setdefault((int(x.shape[0]), int(x.shape[1])), []).append(i)
        else:
            entry.update(PR=_participation_ratio(x), entropy=_kernel_entropy(x), BOPS=_bops(x, m))
    for members in batches.values():
        pr, entropy, bops = _batch_scores(np.stack([run_vectors[i] for i in members]).astype(np.float64))
        for k, i in enumerate(members):
            out[tasks[i]].update(PR=float(pr[k]), entropy=float(entropy[k]), BOPS=float(bops[k]))
    if scored:
        z_pr = _z(np.array([out[t]["PR"] for t in scored]))
        z_h = _z(np.array([out[t]["entropy"] for t in scored]))
        z_b = _z(np.array([out[t]["BOPS"] for t in scored]))
        for i, task in enumerate(scored):
            out[task].update(
                z_PR=float(z_pr[i]),
                z_entropy=float(z_h[i]),
                z_BOPS=float(z_b[i]),
                C_q=float(-z_pr[i] - z_h[i] + z_b[i]),
            )
    return out
