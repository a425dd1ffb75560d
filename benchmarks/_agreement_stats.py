"""Statistics of the expert-agreement benchmark (numpy/scipy; METHODS §8): AUROC with a stratified bootstrap CI,
length-matched AUROC, ridge logistic regression and its likelihood-ratio test, repeated stratified k-fold
cross-validation with max-F1 thresholds chosen on the training folds, and the Poisson-binomial hit test.

- AUROC = Mann–Whitney U / (n₁·n₀) with mid-ranks (ties count ½); CI: percentile bootstrap with positives and
  negatives resampled separately (every replicate has both classes);
- length-matched AUROC = P(score_pos > score_neg) + ½ P(tie) over positive–negative pairs whose turn counts differ by
  at most max(1, 20 %);
- logistic regression by Newton–Raphson (ridge on the slopes, intercept free; a 1e-6 ridge keeps quasi-separated fits
  finite, ``converged`` is False when a standardised slope exceeds 50); LRT: χ² with df = added columns;
- "hit rate vs baseline": hits are independent Bernoulli(pᵢ) under the null, so the count is Poisson-binomial; the
  two-sided p doubles the smaller exact tail.

The percentile step is :func:`trajdyn.analyzer.stats.percentile_interval`; the rest has no counterpart in
``trajdyn.analyzer.stats`` (its bootstrap draws are not stratified by class, and it has no AUROC or logistic model),
so it stays here, used by this benchmark only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from scipy.stats import chi2, rankdata

from trajdyn.analyzer.stats import percentile_interval

Array = npt.NDArray[Any]


def auroc(y: Array, s: Array) -> float:
    y, s = np.asarray(y, bool), np.asarray(s, float)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _stratified(y: Array, rng: np.random.Generator) -> Array:
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    return np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])


def bootstrap_ci(y: Array, stat: Callable[[Array], float], *, b: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile CI of ``stat(indices)`` over stratified bootstrap replicates of the runs."""
    y = np.asarray(y, bool)
    rng = np.random.default_rng(seed)
    values = np.array([stat(_stratified(y, rng)) for _ in range(b)])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    return percentile_interval(values, (0.025, 0.975))


def auroc_ci(y: Array, s: Array, *, b: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    y, s = np.asarray(y, bool), np.asarray(s, float)
    lo, hi = bootstrap_ci(y, lambda i: auroc(y[i], s[i]), b=b, seed=seed)
    return auroc(y, s), lo, hi


def matched_auroc(s: Array, length: Array, y: Array, caliper: float = 0.2) -> tuple[float, int]:
    """(length-matched AUROC, number of matched pairs); NaN without a pair."""
    y, s, n = np.asarray(y, bool), np.asarray(s, float), np.asarray(length, float)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    a, b = np.meshgrid(pos, neg, indexing="ij")
    a, b = a.ravel(), b.ravel()
    keep = np.abs(n[a] - n[b]) <= np.maximum(1.0, caliper * np.maximum(n[a], n[b]))
    if not keep.any():
        return float("nan"), 0
    sa, sb = s[a[keep]], s[b[keep]]
    return float(np.mean((sa > sb) + 0.5 * (sa == sb))), int(keep.sum())


def logistic_fit(x: Array, y: Array, *, ridge: float = 0.0, iters: int = 100) -> tuple[Array, float, bool]:
    """(coefficients, intercept first; log-likelihood; converged) of P(y = 1) = expit(b₀ + x·b)."""
    design = np.column_stack([np.ones(len(y)), np.asarray(x, float).reshape(len(y), -1)])
    target = np.asarray(y, float)
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], max(ridge, 1e-6))
    penalty[0] = 0.0
    for _ in range(iters):
        p = expit(design @ beta)
        gradient = design.T @ (target - p) - penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    p = np.clip(expit(design @ beta), 1e-12, 1 - 1e-12)
    ll = float(np.sum(target * np.log(p) + (1 - target) * np.log(1 - p)))
    return beta, ll, bool(np.max(np.abs(beta[1:])) < 50)


def _standardise(x: Array) -> Array:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1)


def lrt(x0: Array, x1: Array, y: Array) -> dict[str, Any]:
    """Likelihood-ratio test of the model with columns ``x1`` over the nested model ``x0``."""
    z0, z1 = (
        _standardise(np.asarray(x0, float).reshape(len(y), -1)),
        _standardise(np.asarray(x1, float).reshape(len(y), -1)),
    )
    _, ll0, c0 = logistic_fit(z0, y)
    _, ll1, c1 = logistic_fit(z1, y)
    stat = max(0.0, 2 * (ll1 - ll0))
    df = z1.shape[1] - z0.shape[1]
    return {"lr": stat, "df": df, "p": float(chi2.sf(stat, df)), "converged": c0 and c1}


def _folds(y: Array, k: int, rng: np.random.Generator) -> list[Array]:
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for cls in (True, False):
        idx = rng.permutation(np.flatnonzero(y == cls))
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(int(i))
        offset += idx.size
    return [np.array(sorted(f), dtype=int) for f in folds]


def best_f1_threshold(y: Array, s: Array) -> float:
    """The threshold t (flag s ≥ t) with the highest F1 on (y, s); ties go to the highest t."""
    best, best_t = -1.0, float("inf")
    for t in np.unique(s)[::-1]:
        flag = s >= t
        tp = int((flag & y).sum())
        if tp and (f1 := 2 * tp / (flag.sum() + y.sum())) > best + 1e-12:
            best, best_t = f1, float(t)
    return best_t


def precision_recall(y: Array, flag: Array) -> tuple[float, float]:
    y, flag = np.asarray(y, bool), np.asarray(flag, bool)
    tp, fp, fn = int((flag & y).sum()), int((flag & ~y).sum()), int((~flag & y).sum())
    return (tp / (tp + fp) if tp + fp else float("nan")), (tp / (tp + fn) if tp + fn else float("nan"))


def cross_validate(
    x: Array, y: Array, *, logistic: bool, k: int = 5, repeats: int = 50, seed: int = 0, ridge: float = 1.0
) -> dict[str, Any]:
    """Repeated stratified k-fold CV: the score itself (``logistic=False``, one column) or a ridge logistic model on
    standardised columns fitted on the training folds; the flag threshold is the training folds' max-F1 threshold.
    Returns the mean out-of-fold AUROC (and per repeat), pooled precision/recall (mean over repeats) and every
    fold's threshold."""
    x = np.asarray(x, float).reshape(len(y), -1)
    y = np.asarray(y, bool)
    rng = np.random.default_rng(seed)
    k = min(k, int(y.sum()), int((~y).sum()))
    aucs, precisions, recalls, thresholds = [], [], [], []
    for _ in range(repeats):
        oof, flag = np.zeros(len(y)), np.zeros(len(y), bool)
        for test in _folds(y, k, rng):
            train = np.setdiff1d(np.arange(len(y)), test)
            if logistic:
                mu, sd = x[train].mean(axis=0), x[train].std(axis=0)
                sd = np.where(sd > 0, sd, 1)
                beta, _, _ = logistic_fit((x[train] - mu) / sd, y[train], ridge=ridge)
                s_train = np.column_stack([np.ones(len(train)), (x[train] - mu) / sd]) @ beta
                s_test = np.column_stack([np.ones(len(test)), (x[test] - mu) / sd]) @ beta
            else:
                s_train, s_test = x[train, 0], x[test, 0]
            t = best_f1_threshold(y[train], s_train)
            thresholds.append(t)
            oof[test], flag[test] = s_test, s_test >= t
        aucs.append(auroc(y, oof))
        p, r = precision_recall(y, flag)
        precisions.append(p)
        recalls.append(r)
    return {
        "auroc": float(np.nanmean(aucs)),
        "auroc_repeats": aucs,
        "precision": float(np.nanmean(precisions)),
        "recall": float(np.nanmean(recalls)),
        "thresholds": thresholds,
    }


def hit_test(hits: Array, p: Array) -> dict[str, float]:
    """Observed hits against independent per-item baseline probabilities ``p`` (exact Poisson-binomial)."""
    pmf = np.array([1.0])
    for q in np.asarray(p, float):
        pmf = np.convolve(pmf, [1 - q, q])
    h = int(np.sum(hits))
    upper, lower = float(pmf[h:].sum()), float(pmf[: h + 1].sum())
    n = len(hits)
    return {
        "hits": h,
        "n": n,
        "rate": h / n if n else float("nan"),
        "baseline_rate": float(np.mean(p)) if n else float("nan"),
        "p_two_sided": min(1.0, 2 * min(upper, lower)),
    }
