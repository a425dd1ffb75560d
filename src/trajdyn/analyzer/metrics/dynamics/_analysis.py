"""The dynamics analysis end to end: turns → sequence metrics, embeddings → drift and divergence → regimes.

:func:`analyze_dynamics` computes everything once and returns a :class:`DynamicsResult` holding the per-trajectory
rows (the report's ``dynamics`` section), the per-group sensitivity entries and the summary (the report's
``sensitivity`` block); the frame functions of the package are thin views of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._clawbench import TOOL_FAMILIES, constraint_index, cq_scores, tool_family
from trajdyn.analyzer.metrics.dynamics._clawbench import turn_features as _turn_features
from trajdyn.analyzer.metrics.dynamics._complexity import batch_lz
from trajdyn.analyzer.metrics.dynamics._divergence import (
    RESOLUTION,
    bootstrap_mean,
    divergence_from_curves,
    group_hash,
    is_success,
    pairs_of_group,
    pass_hat_k,
    saturation_pairs,
)
from trajdyn.analyzer.metrics.dynamics._drift import (
    MIN_CENTRE_TURNS,
    Chunk,
    angles_at,
    centred_chunks,
    consecutive_angles,
    drift_summary,
    group_sums,
    mann_kendall_z,
)
from trajdyn.analyzer.metrics.dynamics._entropy import batch_entropy
from trajdyn.analyzer.metrics.dynamics._loops import (
    DEFAULT_ALPHA,
    DEFAULT_MAX_PERIOD,
    batch_laminarity,
    batch_loops,
    ngram_items,
)
from trajdyn.analyzer.metrics.dynamics._regime import MIN_TURNS, REGIMES, Z_CRIT, classify_regime, regime_outcomes
from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, encode
from trajdyn.analyzer.metrics.dynamics._turns import (
    ERROR,
    PAIR,
    STATE_CONTENT,
    TEXT,
    TEXT_LENGTH,
    TOKENS,
    TURN,
    pair_symbol,
    turns,
)
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    import numpy.typing as npt

    from trajdyn.analyzer.embeddings import Embedder

__all__ = ["DYNAMICS_KEYS", "DynamicsOptions", "DynamicsResult", "analyze_dynamics"]

GROUP: Final = "group"
_GID: Final = "_gid"
BASIS_CONTENT: Final = "content"
BASIS_ACTION: Final = "action"

SERIES_DECIMALS: Final = 6
"""Series (anchor, step, windowed entropy, replicate band) are rounded to this many decimals in the results: far
below the angle resolution (1e-3 rad), and it keeps the JSON of a large report small."""

DYNAMICS_KEYS: Final = (
    "turns",
    "group",
    "distinct_actions",
    "action_entropy",
    "action_entropy_plugin",
    "entropy_window",
    "windowed_entropy",
    "lz_complexity",
    "lz_z",
    "lz_p",
    "laminarity",
    "laminarity_z",
    "laminarity_p",
    "shuffles",
    "loop",
    "state_action_repeats",
    "state_basis",
    "drift",
    "regime",
    "regime_reason",
    "clawbench_constraint_index",
)
"""Keys of a trajectory's ``dynamics`` object, in report order."""


@dataclass(frozen=True, slots=True)
class DynamicsOptions:
    """Options of the dynamics analysis (defaults in parentheses).

    ``window`` turns per windowed-entropy window (10); ``shuffles`` shuffled copies for the LZ76 and laminarity
    z-scores (100; 0 disables them); ``seed`` of every random draw (0); ``alpha`` significance level of the loop
    detector and the laminarity rule (0.01); ``max_period`` longest loop period examined (10); ``min_turns`` below
    which a trajectory is degenerate (3); ``z_crit`` of the drift trends (1.96); ``resolution`` angle below which two
    turns are the same (1e-3 rad); ``min_centre_turns`` other turns needed to mean-centre a group (100).
    """

    window: int = 10
    shuffles: int = 100
    seed: int = 0
    alpha: float = DEFAULT_ALPHA
    max_period: int = DEFAULT_MAX_PERIOD
    min_turns: int = MIN_TURNS
    z_crit: float = Z_CRIT
    resolution: float = RESOLUTION
    min_centre_turns: int = MIN_CENTRE_TURNS

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ConfigurationError(f"the entropy window must be >= 2 turns, got {self.window}")
        if self.shuffles < 0 or self.shuffles == 1:
            raise ConfigurationError(f"shuffles must be 0 (off) or >= 2, got {self.shuffles}")
        if self.seed < 0:
            raise ConfigurationError(f"seed must be >= 0, got {self.seed}")
        if not 0 < self.alpha < 1:
            raise ConfigurationError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.max_period < 1:
            raise ConfigurationError(f"max_period must be >= 1, got {self.max_period}")
        if self.min_turns < 2:
            raise ConfigurationError(f"min_turns must be >= 2, got {self.min_turns}")


@dataclass
class DynamicsResult:
    """What :func:`analyze_dynamics` computed."""

    per_trajectory: dict[str, dict[str, Any]]
    """``{trajectory_id: dynamics object}`` with the keys of :data:`DYNAMICS_KEYS`."""
    groups: list[dict[str, Any]]
    """One sensitivity entry per group (task × model × agent)."""
    summary: dict[str, Any]
    outcomes: dict[str, Any]
    embeddings: dict[str, Any]
    options: DynamicsOptions = field(default_factory=DynamicsOptions)

    def sensitivity_block(self) -> dict[str, Any]:
        """The report's ``sensitivity`` block."""
        o = self.options
        return {
            "embeddings": self.embeddings,
            "options": {
                "window": o.window,
                "shuffles": o.shuffles,
                "seed": o.seed,
                "alpha": o.alpha,
                "resolution": o.resolution,
            },
            "summary": self.summary,
            "outcomes": self.outcomes,
            "groups": self.groups,
        }


def _meta(trajectories: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """One row per trajectory id of either frame: group key, variant, model, agent, task, reward, outcome."""
    tid = K.TRAJECTORY_ID
    wanted = {
        K.TASK_ID: pl.Utf8(),
        K.PERTURBATION_GROUP: pl.Utf8(),
        K.VARIANT: pl.Utf8(),
        K.MODEL: pl.Utf8(),
        K.AGENT: pl.Utf8(),
        K.REWARD: pl.Float64(),
        K.OUTCOME: pl.Utf8(),
    }
    cols = [
        (pl.col(c).cast(t) if c in trajectories.columns else pl.lit(None, dtype=t)).alias(c) for c, t in wanted.items()
    ]
    meta = trajectories.select(pl.col(tid).cast(pl.Utf8), *cols).unique(tid, keep="first", maintain_order=True)
    known = steps.select(pl.col(tid).cast(pl.Utf8).unique(maintain_order=True)) if tid in steps.columns else meta[:0]
    extra = known.filter(pl.col(tid).is_not_null()).join(meta.select(tid), on=tid, how="anti")
    meta = pl.concat([meta, extra.with_columns(*(pl.lit(None, dtype=t).alias(c) for c, t in wanted.items()))])
    group = pl.coalesce(K.PERTURBATION_GROUP, K.TASK_ID, tid)
    return meta.filter(pl.col(tid).is_not_null()).with_columns(
        group.alias(GROUP),
        pl.col(K.VARIANT).fill_null(C.VARIANT_ORIGINAL),
        pl.concat_str([group, pl.col(K.MODEL).fill_null(""), pl.col(K.AGENT).fill_null("")], separator="\x1f").alias(
            _GID
        ),
    )


def _embed_turns(embedder: Embedder, table: pl.DataFrame, content_basis: npt.NDArray[np.bool_]) -> Any:
    """Vectors of every turn of ``table`` (in its row order): on the content basis its text (its action when it has
    none), else its action."""
    n = table.height
    rows_c = np.flatnonzero(content_basis)
    rows_a = np.flatnonzero(~content_basis)
    parts: list[Any] = []
    order: list[npt.NDArray[np.int64]] = []
    if rows_c.size:
        texts = table.select(pl.coalesce(TEXT, K.ACTION))[:, 0]
        parts.append(embedder.embed(texts.gather(rows_c)))
        order.append(rows_c)
    if rows_a.size:
        actions = table[K.ACTION].gather(rows_a)
        unique = actions.unique(maintain_order=True)
        vectors = embedder.embed(unique.to_list())
        position = pl.DataFrame({"a": unique, "i": np.arange(len(unique))})
        inverse = pl.DataFrame({"a": actions}).join(position, on="a", how="left", maintain_order="left")["i"]
        parts.append(vectors[inverse.to_numpy()])
        order.append(rows_a)
    if not parts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    positions = np.concatenate(order)
    back = np.empty(n, dtype=np.int64)
    back[positions] = np.arange(n)
    if any(hasattr(p, "tocsr") for p in parts):
        import scipy.sparse as sp

        stacked = sp.vstack([sp.csr_matrix(p) for p in parts], format="csr")
    else:
        stacked = np.vstack([np.asarray(p, dtype=np.float32) for p in parts])
    return stacked[back]


def _nan_to_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def analyze_dynamics(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    embedder: Embedder | None = None,
    options: DynamicsOptions | None = None,
) -> DynamicsResult:
    """Everything the ``dynamics`` section and the ``sensitivity`` block report (definitions: the package docstring)."""
    from trajdyn.analyzer.embeddings import HashingEmbedder

    opts = options or DynamicsOptions()
    emb = embedder if embedder is not None else HashingEmbedder()
    tid = K.TRAJECTORY_ID
    table = turns(steps)
    meta = _meta(trajectories, steps)
    table = table.join(meta.select(tid, _GID), on=tid, how="left", maintain_order="left").sort(
        [_GID, tid, TURN], maintain_order=True
    )

    # ---- sequences ---------------------------------------------------------------------------------------
    batch = encode(table, tid, K.ACTION)
    alphabet = len(batch.alphabet)
    h_mm, h_pi, distinct, windows = batch_entropy(batch, opts.window, alphabet)
    pairs = encode(table.with_columns(pair_symbol()), tid, PAIR)

    def shuffled_nulls() -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]]:
        return batch_lz(batch, distinct, opts.shuffles, opts.seed), batch_laminarity(pairs, opts.shuffles, opts.seed)

    # the shuffle z-scores (numpy, mostly without the GIL) run in a thread while this one embeds and measures drift
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trajdyn-dynamics")
    nulls = pool.submit(shuffled_nulls)
    pool.shutdown(wait=False)  # the thread ends after this one task; nulls.result() below waits for it
    loops = batch_loops(pairs, max_period=opts.max_period, alpha=opts.alpha)
    ngrams = ngram_items(table)
    state_content = table.group_by(tid).agg(pl.col(STATE_CONTENT).any())
    state_basis = dict(zip(state_content[tid].to_list(), state_content[STATE_CONTENT].to_list(), strict=True))

    # ---- ClawBench per-trajectory constraint index -------------------------------------------------------
    family_of = {a: TOOL_FAMILIES.index(tool_family(a)) for a in batch.alphabet}
    families = np.array([family_of[a] for a in batch.alphabet], dtype=np.int64)[batch.flat]
    err = table[ERROR].to_numpy().astype(bool)
    tok = table[TOKENS].to_numpy().astype(np.float64)
    txt = table[TEXT_LENGTH].to_numpy().astype(np.float64)
    claw = np.full(len(batch.ids), np.nan)
    for group in batch.groups(min_length=3):
        index = batch.offsets[group.rows][:, None] + np.arange(group.n)[None, :]
        claw[group.rows] = constraint_index(_turn_features(families[index], err[index], tok[index], txt[index]))

    # ---- embeddings, drift and divergence ------------------------------------------------------------------
    gid = table[_GID].to_numpy()
    group_change = np.ones(len(gid), dtype=bool)
    if len(gid) > 1:
        group_change[1:] = gid[1:] != gid[:-1]
    group_starts = np.flatnonzero(group_change).astype(np.int64)
    group_ids = [str(g) for g in gid[group_starts]]
    has_text = table[TEXT].is_not_null().to_numpy()
    sizes = np.diff(np.append(group_starts, len(gid)))
    # a group is compared on its content when at least half of its turns have some; its other turns use their action
    group_content = (
        np.add.reduceat(has_text.astype(np.int64), group_starts) * 2 >= sizes
        if len(group_starts)
        else np.zeros(0, dtype=bool)
    )
    turn_content = np.repeat(group_content, sizes)
    vectors = _embed_turns(emb, table, turn_content)
    traj_of_group: npt.NDArray[np.int64] = (
        np.repeat(np.arange(len(group_starts), dtype=np.int64), sizes)[batch.offsets]
        if len(batch.ids)
        else np.zeros(0, dtype=np.int64)
    )
    meta_rows = {str(r[tid]): r for r in meta.iter_rows(named=True)}
    run_raw = group_sums(vectors, batch.offsets, len(gid)) if len(batch.ids) else np.zeros((0, emb.dim))
    run_norm = np.linalg.norm(run_raw, axis=1, keepdims=True)
    run_vectors = np.divide(run_raw, run_norm, out=np.zeros_like(run_raw), where=run_norm > 0)

    drift: dict[str, dict[str, Any]] = {}
    anchor_series: dict[str, npt.NDArray[np.float64]] = {}
    step_series: dict[str, npt.NDArray[np.float64]] = {}
    group_entries: list[dict[str, Any]] = []
    chunks, centred = centred_chunks(
        vectors, group_starts, (~group_content).astype(np.int64), min_centre_turns=opts.min_centre_turns
    )
    for chunk in chunks:
        _process_chunk(
            chunk,
            batch,
            traj_of_group,
            group_ids,
            group_content,
            centred,
            meta_rows,
            opts,
            drift,
            anchor_series,
            step_series,
            group_entries,
        )
    _trend_z(anchor_series, step_series, drift)

    (lz, lz_z, lz_p), (lam, lam_z, lam_p) = nulls.result()

    # ---- per-trajectory rows ------------------------------------------------------------------------------
    per: dict[str, dict[str, Any]] = {}
    for i, key in enumerate(batch.ids):
        row: dict[str, Any] = {
            "turns": int(batch.lengths[i]),
            "group": meta_rows[key][GROUP],
            "distinct_actions": int(distinct[i]),
            "action_entropy": _nan_to_none(h_mm[i]),
            "action_entropy_plugin": _nan_to_none(h_pi[i]),
            "entropy_window": opts.window,
            "windowed_entropy": windows[i],
            "lz_complexity": _nan_to_none(lz[i]),
            "lz_z": _nan_to_none(lz_z[i]),
            "lz_p": _nan_to_none(lz_p[i]),
            "laminarity": _nan_to_none(lam[i]),
            "laminarity_z": _nan_to_none(lam_z[i]),
            "laminarity_p": _nan_to_none(lam_p[i]),
            "shuffles": opts.shuffles,
            "loop": loops[i],
            "state_action_repeats": ngrams.get(key, []),
            "state_basis": "content" if state_basis.get(key) else "status",
            "drift": drift.get(key),
            "regime": None,
            "regime_reason": None,
            "clawbench_constraint_index": _nan_to_none(claw[i]),
        }
        row["regime"], row["regime_reason"] = classify_regime(
            row, alpha=opts.alpha, z_crit=opts.z_crit, min_turns=opts.min_turns
        )
        per[key] = row
    for key in meta_rows:
        if key not in per:
            row = _empty_row(meta_rows[key][GROUP], opts)
            row["regime"], row["regime_reason"] = classify_regime(row, min_turns=opts.min_turns)
            per[key] = row

    groups, summary = _sensitivity(group_entries, meta_rows, per, batch.ids, run_vectors, opts)
    ordered_ids = list(per)
    outcomes = regime_outcomes(
        [per[k] for k in ordered_ids],
        [meta_rows[k][K.REWARD] for k in ordered_ids],
        [meta_rows[k][K.OUTCOME] for k in ordered_ids],
    )
    stats = getattr(emb, "stats", None)
    embeddings = {
        "backend": emb.name,
        "model": emb.model_id,
        "dim": emb.dim,
        "cache": (
            {"enabled": stats.enabled, "hits": stats.hits, "misses": stats.misses, "path": stats.path}
            if stats is not None
            else None
        ),
    }
    return DynamicsResult(per, groups, summary, outcomes, embeddings, opts)


def _process_chunk(
    chunk: Chunk,
    batch: SequenceBatch,
    traj_of_group: npt.NDArray[np.int64],
    group_ids: Sequence[str],
    group_content: npt.NDArray[np.bool_],
    centred: npt.NDArray[np.bool_],
    meta_rows: dict[str, dict[str, Any]],
    opts: DynamicsOptions,
    drift: dict[str, dict[str, Any]],
    anchor_series: dict[str, npt.NDArray[np.float64]],
    step_series: dict[str, npt.NDArray[np.float64]],
    group_entries: list[dict[str, Any]],
) -> None:
    """Drift of every trajectory and divergence of every group of one chunk: one angle computation for the chunk."""
    v = chunk.vectors
    zero = np.einsum("ij,ij->i", v, v) < 0.5
    t_lo = int(np.searchsorted(traj_of_group, chunk.groups[0], side="left"))
    t_hi = int(np.searchsorted(traj_of_group, chunk.groups[-1], side="right"))
    offsets = batch.offsets[t_lo:t_hi] - chunk.start
    lengths = batch.lengths[t_lo:t_hi]
    rows = np.arange(v.shape[0])
    anchor_all = angles_at(v, rows, np.repeat(offsets, lengths), zero)
    step_all = consecutive_angles(v, zero)  # across trajectory boundaries too; those are never read
    # every group's pair curves and saturation samples, gathered into one angle call
    plans = []
    curve_i: list[npt.NDArray[np.int64]] = []
    curve_j: list[npt.NDArray[np.int64]] = []
    for g in chunk.groups:
        members = _members(traj_of_group, int(g))
        starts = [int(batch.offsets[m]) - chunk.start for m in members]
        lens = [int(batch.lengths[m]) for m in members]
        variants = [str(meta_rows[batch.ids[int(m)]][K.VARIANT]) for m in members]
        stream = group_hash(group_ids[int(g)], opts.seed)
        replicate, perturbed = pairs_of_group(lens, variants, stream=stream)
        spans = []
        for a, b in (*replicate, *perturbed):
            n = min(lens[a], lens[b])
            curve_i.append(np.arange(starts[a], starts[a] + n))
            curve_j.append(np.arange(starts[b], starts[b] + n))
            spans.append(n)
        si, sj = saturation_pairs(starts, lens, stream=stream)
        curve_i.append(si)
        curve_j.append(sj)
        plans.append((g, members, lens, variants, replicate, perturbed, spans, si.shape[0]))
    values = (
        angles_at(v, np.concatenate(curve_i), np.concatenate(curve_j), zero)
        if curve_i
        else np.zeros(0, dtype=np.float64)
    )
    cursor = 0
    for g, members, lens, variants, replicate, perturbed, spans, n_sat in plans:
        curves = []
        for n in spans:
            curves.append(values[cursor : cursor + n])
            cursor += n
        sat = values[cursor : cursor + n_sat]
        cursor += n_sat
        result = divergence_from_curves(
            lens,
            variants,
            replicate,
            perturbed,
            curves[: len(replicate)],
            curves[len(replicate) :],
            sat,
            resolution=opts.resolution,
        )
        basis = BASIS_CONTENT if group_content[g] else BASIS_ACTION
        for m in members:
            local = int(m) - t_lo
            lo, n = int(offsets[local]), int(lengths[local])
            anchor = anchor_all[lo : lo + n]
            step = step_all[lo : lo + max(n - 1, 0)]
            key = batch.ids[int(m)]
            anchor_series[key], step_series[key] = anchor, step
            drift[key] = {
                "basis": basis,
                "centred": bool(centred[g]),
                "anchor": np.round(anchor, SERIES_DECIMALS).tolist(),
                "step": np.round(step, SERIES_DECIMALS).tolist(),
                **drift_summary(anchor, step),
            }
        head = meta_rows[batch.ids[int(members[0])]]
        group_entries.append(
            {
                "group": head[GROUP],
                "task_id": head[K.TASK_ID],
                "model": head[K.MODEL],
                "agent": head[K.AGENT],
                "trajectories": len(members),
                "variants": {x: variants.count(x) for x in sorted(set(variants))},
                "basis": basis,
                "centred": bool(centred[g]),
                **result.to_dict(),
                "_gid": group_ids[int(g)],
                "_delta": result.delta_lambda,
                "_rep_lambda": result.replicate_lambda,
            }
        )


def _members(traj_of_group: npt.NDArray[np.int64], g: int) -> npt.NDArray[np.int64]:
    lo = int(np.searchsorted(traj_of_group, g, side="left"))
    hi = int(np.searchsorted(traj_of_group, g, side="right"))
    return np.arange(lo, hi)


def _empty_row(group: str | None, opts: DynamicsOptions) -> dict[str, Any]:
    return {
        "turns": 0,
        "group": group,
        "distinct_actions": 0,
        "action_entropy": None,
        "action_entropy_plugin": None,
        "entropy_window": opts.window,
        "windowed_entropy": [],
        "lz_complexity": None,
        "lz_z": None,
        "lz_p": None,
        "laminarity": None,
        "laminarity_z": None,
        "laminarity_p": None,
        "shuffles": opts.shuffles,
        "loop": {
            "detected": False,
            "period": None,
            "onset_turn": None,
            "repeats": None,
            "p_value": None,
            "final_run": 0,
        },
        "state_action_repeats": [],
        "state_basis": "status",
        "drift": None,
        "regime": None,
        "regime_reason": None,
        "clawbench_constraint_index": None,
    }


def _trend_z(
    anchors: dict[str, npt.NDArray[np.float64]],
    steps_: dict[str, npt.NDArray[np.float64]],
    drift: dict[str, dict[str, Any]],
) -> None:
    """Mann–Kendall z of every anchor (t ≥ 1) and step series, vectorised by series length."""
    for name, source, cut in (("anchor_trend_z", anchors, 1), ("step_trend_z", steps_, 0)):
        by_length: dict[int, list[str]] = {}
        for key, values in source.items():
            by_length.setdefault(values.shape[0] - cut, []).append(key)
        for m, keys in by_length.items():
            if m < 4:
                for key in keys:
                    drift[key][name] = None
                continue
            z = mann_kendall_z(np.stack([source[k][cut:] for k in keys]))
            for key, value in zip(keys, z.tolist(), strict=True):
                drift[key][name] = value if math.isfinite(value) else None


def _sensitivity(
    entries: list[dict[str, Any]],
    meta_rows: dict[str, dict[str, Any]],
    per: dict[str, dict[str, Any]],
    ids: Sequence[str],
    run_vectors: npt.NDArray[np.float64],
    opts: DynamicsOptions,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Group entries with outcomes and ClawBench C(q) added, and the summary across groups."""
    position = {key: i for i, key in enumerate(ids)}
    # pass^k per (group, variant): every trajectory of the group counts, turns or not
    by_gid: dict[str, list[str]] = {}
    for key, row in meta_rows.items():
        by_gid.setdefault(_gid_of(row), []).append(key)
    rewards = [row[K.REWARD] for row in meta_rows.values()]
    finite = [r for r in rewards if r is not None and math.isfinite(r)]
    binary = not finite or all(r in (0.0, 1.0) for r in finite)
    tasks: list[str] = []
    task_vectors: list[npt.NDArray[np.float64]] = []
    task_models: list[list[str | None]] = []
    task_members: dict[str, list[str]] = {}
    for entry in entries:
        members = [k for k in by_gid.get(entry["_gid"], []) if k in position]
        task_members.setdefault(str(entry["group"]), []).extend(members)
    for task, members in task_members.items():
        tasks.append(task)
        task_vectors.append(run_vectors[[position[k] for k in members]] if members else np.zeros((0, 1)))
        task_models.append([meta_rows[k][K.MODEL] for k in members])
    cq = cq_scores(tasks, task_vectors, task_models)
    pass_cells: list[list[float]] = []
    out: list[dict[str, Any]] = []
    for entry in entries:
        everyone = by_gid.get(entry["_gid"], [])
        cells = []
        if binary:
            by_variant: dict[str, list[bool]] = {}
            for key in everyone:
                ok = is_success(meta_rows[key][K.REWARD], meta_rows[key][K.OUTCOME])
                if ok is not None:
                    by_variant.setdefault(str(meta_rows[key][K.VARIANT]), []).append(ok)
            for variant, results in sorted(by_variant.items()):
                values = pass_hat_k(sum(results), len(results))
                cells.append({"variant": variant, "runs": len(results), "successes": sum(results), "pass_k": values})
                pass_cells.append(values)
        entry = {k: v for k, v in entry.items() if not k.startswith("_")} | {
            "outcomes": cells or None,
            "regimes": _regime_counts([per[k]["regime"] for k in everyone if k in per]),
            "clawbench": cq.get(str(entry["group"])),
        }
        out.append(entry)
    deltas = [e["_delta"] for e in entries]
    rep = [e["_rep_lambda"] for e in entries]
    top_k = max((len(c) for c in pass_cells), default=0)
    summary = {
        "groups": len(entries),
        "with_replicates": sum(1 for e in out if (e["replicates"] or {}).get("pairs")),
        "with_perturbation": sum(1 for e in out if e["perturbation"] is not None),
        "replicate_lambda": bootstrap_mean(rep, seed=opts.seed),
        "delta_lambda": bootstrap_mean(deltas, seed=opts.seed),
        "pass_k": [
            {
                "k": k,
                "value": float(np.mean([c[k - 1] for c in pass_cells if len(c) >= k])),
                "cells": sum(1 for c in pass_cells if len(c) >= k),
            }
            for k in range(1, top_k + 1)
        ],
        "regimes": _regime_counts([row["regime"] for row in per.values()]),
    }
    return out, summary


def _gid_of(row: dict[str, Any]) -> str:
    return "\x1f".join(str(v) if v is not None else "" for v in (row[GROUP], row[K.MODEL], row[K.AGENT]))


def _regime_counts(regimes: Sequence[str | None]) -> dict[str, int]:
    return {r: n for r in REGIMES if (n := sum(1 for x in regimes if x == r))}
