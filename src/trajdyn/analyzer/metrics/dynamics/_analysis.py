"""The dynamics analysis end to end: turns → sequence metrics, embeddings → drift and divergence → regimes.

:func:`analyze_dynamics` computes everything once and returns a :class:`DynamicsResult`: frames per turn, per
trajectory and per task (schemas in :mod:`._schema`), the regimes against reward and the summary across tasks.
Definitions: the modules that compute each number, mirrored in ``docs/metrics/dynamics.md``. The report renders the
result (``report/_dynamics.py``); nothing here rounds or writes sentences beyond a regime's documented reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.dynamics._clawbench import TOOL_FAMILIES, constraint_index, tool_family
from trajdyn.analyzer.metrics.dynamics._clawbench import turn_features as _turn_features
from trajdyn.analyzer.metrics.dynamics._complexity import batch_lz
from trajdyn.analyzer.metrics.dynamics._divergence import (
    RESOLUTION,
    GroupDivergence,
    divergence_from_curves,
    group_hash,
    pairs_of_group,
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
)
from trajdyn.analyzer.metrics.dynamics._entropy import batch_entropy, windowed_series
from trajdyn.analyzer.metrics.dynamics._loops import (
    DEFAULT_ALPHA,
    DEFAULT_MAX_PERIOD,
    batch_laminarity,
    batch_loops,
    ngram_frame,
)
from trajdyn.analyzer.metrics.dynamics._regime import (
    MIN_TURNS,
    Z_CRIT,
    RegimeOutcomes,
    classify_regime,
    regime_outcomes,
)
from trajdyn.analyzer.metrics.dynamics._repetition import repetition
from trajdyn.analyzer.metrics.dynamics._schema import (
    DRIFT_TYPE,
    REPETITION_TYPE,
    TRAJECTORY_SCHEMA,
    TURN_SCHEMA,
    list_column,
)
from trajdyn.analyzer.metrics.dynamics._sequences import SequenceBatch, encode
from trajdyn.analyzer.metrics.dynamics._tasks import GROUP, SensitivitySummary, TaskGroup, TaskInput, sensitivity
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
from trajdyn.analyzer.stats import mann_kendall_z
from trajdyn.exceptions import ConfigurationError

if TYPE_CHECKING:
    import numpy.typing as npt

    from trajdyn.analyzer.embeddings import CacheStats, Embedder

__all__ = ["DynamicsOptions", "DynamicsResult", "EmbeddingsUsed", "analyze_dynamics"]

_GID: Final = "_gid"
BASIS_CONTENT: Final = "content"
BASIS_ACTION: Final = "action"


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


@dataclass(frozen=True, slots=True)
class EmbeddingsUsed:
    """The embedder the angles were computed with, and what its cache did (``None`` without a cache)."""

    backend: str
    model: str
    dim: int
    cache: CacheStats | None


@dataclass(frozen=True, slots=True)
class DynamicsResult:
    """What :func:`analyze_dynamics` computed (frames with the schemas of :mod:`._schema`)."""

    turns: pl.DataFrame
    """One row per turn (:data:`TURN_SCHEMA`): the angle and window-entropy series."""
    trajectories: pl.DataFrame
    """One row per trajectory (:data:`TRAJECTORY_SCHEMA`), sorted by trajectory id."""
    tasks: pl.DataFrame
    """One row per group = task × model × agent (:data:`TASK_SCHEMA`)."""
    outcomes: RegimeOutcomes
    """Regimes and loops against reward."""
    summary: SensitivitySummary
    """The per-task numbers summarised across tasks."""
    embeddings: EmbeddingsUsed
    options: DynamicsOptions


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


def _nullable(values: npt.NDArray[np.float64], name: str) -> pl.Series:
    """A Float64 series with null where ``values`` is not finite (undefined)."""
    return pl.Series(name, np.where(np.isfinite(values), values, np.nan), dtype=pl.Float64).fill_nan(None)


def analyze_dynamics(
    steps: pl.DataFrame,
    trajectories: pl.DataFrame,
    *,
    embedder: Embedder | None = None,
    options: DynamicsOptions | None = None,
) -> DynamicsResult:
    """Every dynamics number of every turn, trajectory and task, computed once (definitions: the package docstring
    and ``docs/metrics/dynamics.md``).

    ``steps`` / ``trajectories``: the frames of :mod:`trajdyn.analyzer.model`. ``embedder`` defaults to the hashing
    backend. Sequence kernels are numpy over all trajectories of one length at a time; the shuffle nulls run in a
    thread while this one embeds turns and measures drift and divergence.
    """
    from trajdyn.analyzer.embeddings import HashingEmbedder

    opts = options or DynamicsOptions()
    emb = embedder if embedder is not None else HashingEmbedder()
    tid = K.TRAJECTORY_ID
    meta = _meta(trajectories, steps)
    table = (
        turns(steps)
        .join(meta.select(tid, _GID), on=tid, how="left", maintain_order="left")
        .sort([_GID, tid, TURN], maintain_order=True)
    )

    # ---- sequences ---------------------------------------------------------------------------------------
    batch = encode(table, tid, K.ACTION)
    h_mm, h_pi, distinct, window_entropy = batch_entropy(batch, opts.window, len(batch.alphabet))
    pairs = encode(table.with_columns(pair_symbol()), tid, PAIR)

    def shuffled_nulls() -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]]:
        return batch_lz(batch, distinct, opts.shuffles, opts.seed), batch_laminarity(pairs, opts.shuffles, opts.seed)

    # the shuffle z-scores (numpy, mostly without the GIL) run in a thread while this one embeds and measures drift
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trajdyn-dynamics")
    nulls = pool.submit(shuffled_nulls)
    pool.shutdown(wait=False)  # the thread ends after this one task; nulls.result() below waits for it
    loops = batch_loops(pairs, max_period=opts.max_period, alpha=opts.alpha)
    ngrams = ngram_frame(table)
    repeats = repetition(table, dict(zip(batch.ids, loops.to_list(), strict=True)), min_turns=opts.min_turns)
    state_content = table.group_by(tid, maintain_order=True).agg(pl.col(STATE_CONTENT).any())
    claw = _constraint_indices(table, batch)

    # ---- embeddings, drift and divergence ------------------------------------------------------------------
    semantic = _semantic(table, batch, meta, emb, opts)

    (lz, lz_z, lz_p), (lam, lam_z, lam_p) = nulls.result()

    # ---- per trajectory -------------------------------------------------------------------------------------
    anchor_z, step_z = _trend_z(semantic.anchor, semantic.step, batch)
    drift = _drift_column(semantic, batch, anchor_z, step_z)
    window_lists = windowed_series(batch, window_entropy, opts.window)
    group_of = dict(zip(meta[tid].to_list(), meta[GROUP].to_list(), strict=True))
    with_turns = pl.DataFrame(
        {
            tid: batch.ids,
            "turns": batch.lengths,
            "group": [group_of[k] for k in batch.ids],
            "distinct_actions": distinct,
            "action_entropy": _nullable(h_mm, "action_entropy"),
            "action_entropy_plugin": _nullable(h_pi, "action_entropy_plugin"),
            "entropy_window": np.full(len(batch.ids), opts.window, dtype=np.int64),
            "windowed_entropy": window_lists,
            "lz_complexity": _nullable(lz, "lz_complexity"),
            "lz_z": _nullable(lz_z, "lz_z"),
            "lz_p": _nullable(lz_p, "lz_p"),
            "laminarity": _nullable(lam, "laminarity"),
            "laminarity_z": _nullable(lam_z, "laminarity_z"),
            "laminarity_p": _nullable(lam_p, "laminarity_p"),
            "shuffles": np.full(len(batch.ids), opts.shuffles, dtype=np.int64),
            "loop": loops,
            "repetition": pl.Series("repetition", [repeats.get(k) for k in batch.ids], dtype=REPETITION_TYPE),
            "drift": drift,
            "clawbench_constraint_index": _nullable(claw, "clawbench_constraint_index"),
        },
        schema_overrides={tid: pl.Utf8, "turns": pl.Int64, "group": pl.Utf8, "distinct_actions": pl.Int64},
    )
    with_turns = (
        with_turns.join(ngrams, on=tid, how="left", maintain_order="left")
        .join(state_content, on=tid, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col(STATE_CONTENT)).then(pl.lit("content")).otherwise(pl.lit("status")).alias("state_basis")
        )
    )
    regimes = _regimes(with_turns, opts)
    without = meta.filter(~pl.col(tid).is_in(batch.ids))
    empty = _empty_rows(without[tid].to_list(), without[GROUP].to_list(), opts)
    per = pl.concat(
        [
            with_turns.with_columns(
                pl.Series("regime", [r for r, _ in regimes], dtype=pl.Utf8),
                pl.Series("regime_reason", [why for _, why in regimes], dtype=pl.Utf8),
            )
            .select(*TRAJECTORY_SCHEMA)
            .cast(TRAJECTORY_SCHEMA),  # type: ignore[arg-type]
            empty,
        ]
    )

    # ---- regimes against reward, per task, across tasks -------------------------------------------------------
    reward_of = dict(zip(meta[tid].to_list(), meta[K.REWARD].to_list(), strict=True))
    outcome_of = dict(zip(meta[tid].to_list(), meta[K.OUTCOME].to_list(), strict=True))
    ordered = per[tid].to_list()  # trajectories with turns first (in group order), then the others
    outcomes = regime_outcomes(
        list(per.select("regime", "turns", "loop", "state_action_repeats").iter_rows(named=True)),
        [reward_of[k] for k in ordered],
        [outcome_of[k] for k in ordered],
    )
    tasks, summary = sensitivity(
        TaskInput(
            meta=meta,
            gid=_GID,
            groups=semantic.groups,
            regimes=dict(zip(ordered, per["regime"].to_list(), strict=True)),
            trajectory_ids=batch.ids,
            run_vectors=semantic.run_vectors,
        ),
        seed=opts.seed,
    )
    stats = getattr(emb, "stats", None)
    return DynamicsResult(
        turns=_turn_frame(table, batch, semantic, window_entropy),
        trajectories=per.sort(tid),
        tasks=tasks,
        outcomes=outcomes,
        summary=summary,
        embeddings=EmbeddingsUsed(emb.name, emb.model_id, emb.dim, dataclasses.replace(stats) if stats else None),
        options=opts,
    )


def _constraint_indices(table: pl.DataFrame, batch: SequenceBatch) -> npt.NDArray[np.float64]:
    """ClawBench's per-trajectory constraint index (:mod:`._clawbench`) of every trajectory of ``batch``."""
    family_of = {a: TOOL_FAMILIES.index(tool_family(a)) for a in batch.alphabet}
    families = np.array([family_of[a] for a in batch.alphabet], dtype=np.int64)[batch.flat]
    err = table[ERROR].to_numpy().astype(bool)
    tok = table[TOKENS].to_numpy().astype(np.float64)
    txt = table[TEXT_LENGTH].to_numpy().astype(np.float64)
    claw = np.full(len(batch.ids), np.nan)
    for group in batch.groups(min_length=3):
        index = batch.offsets[group.rows][:, None] + np.arange(group.n)[None, :]
        claw[group.rows] = constraint_index(_turn_features(families[index], err[index], tok[index], txt[index]))
    return claw


# ---------------------------------------------------------------------------------------------------------------------
# embeddings → angles → drift and divergence
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Semantic:
    """Angles per turn (in table order) and the per-group results of :func:`_semantic`."""

    anchor: npt.NDArray[np.float64]
    """θ(e_t, e_0) of every turn."""
    step: npt.NDArray[np.float64]
    """θ(e_t, e_{t−1}) of every turn, NaN at a trajectory's first turn."""
    basis: npt.NDArray[np.bool_]
    """Per trajectory of the batch: whether its group is compared on content."""
    centred: npt.NDArray[np.bool_]
    """Per trajectory of the batch: whether its group was mean-centred."""
    groups: list[TaskGroup]
    run_vectors: npt.NDArray[np.float64]
    """Per trajectory of the batch: the normalised sum of its turn vectors (ClawBench's C(q))."""


def _semantic(
    table: pl.DataFrame, batch: SequenceBatch, meta: pl.DataFrame, emb: Embedder, opts: DynamicsOptions
) -> _Semantic:
    """Embed every turn, centre each group on the others, then angles, drift series and divergence, chunk by chunk."""
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
    vectors = _embed_turns(emb, table, np.repeat(group_content, sizes))
    traj_of_group: npt.NDArray[np.int64] = (
        np.repeat(np.arange(len(group_starts), dtype=np.int64), sizes)[batch.offsets]
        if len(batch.ids)
        else np.zeros(0, dtype=np.int64)
    )
    run_raw = group_sums(vectors, batch.offsets, len(gid)) if len(batch.ids) else np.zeros((0, emb.dim))
    run_norm = np.linalg.norm(run_raw, axis=1, keepdims=True)
    run_vectors = np.divide(run_raw, run_norm, out=np.zeros_like(run_raw), where=run_norm > 0)
    variant_of = dict(zip(meta[K.TRAJECTORY_ID].to_list(), meta[K.VARIANT].to_list(), strict=True))
    variants = [str(variant_of[k]) for k in batch.ids]
    chunks, centred = centred_chunks(
        vectors, group_starts, (~group_content).astype(np.int64), min_centre_turns=opts.min_centre_turns
    )
    anchors: list[npt.NDArray[np.float64]] = []
    steps_: list[npt.NDArray[np.float64]] = []
    groups: list[TaskGroup] = []
    for chunk in chunks:
        anchor, step, found = _chunk(chunk, batch, traj_of_group, group_ids, variants, opts)
        anchors.append(anchor)
        steps_.append(step)
        groups.extend(
            TaskGroup(members, group_variants, divergence, _basis(group_content[g]), bool(centred[g]))
            for g, members, group_variants, divergence in found
        )
    step_all = np.concatenate(steps_) if steps_ else np.zeros(0)
    step_all[batch.offsets] = np.nan  # a trajectory's first turn has no step
    return _Semantic(
        anchor=np.concatenate(anchors) if anchors else np.zeros(0),
        step=step_all,
        basis=group_content[traj_of_group],
        centred=centred[traj_of_group],
        groups=groups,
        run_vectors=run_vectors,
    )


def _basis(content: bool) -> str:
    return BASIS_CONTENT if content else BASIS_ACTION


def _members(traj_of_group: npt.NDArray[np.int64], g: int) -> npt.NDArray[np.int64]:
    lo = int(np.searchsorted(traj_of_group, g, side="left"))
    hi = int(np.searchsorted(traj_of_group, g, side="right"))
    return np.arange(lo, hi)


def _chunk(
    chunk: Chunk,
    batch: SequenceBatch,
    traj_of_group: npt.NDArray[np.int64],
    group_ids: Sequence[str],
    variants: Sequence[str],
    opts: DynamicsOptions,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[tuple[int, Any, list[str], GroupDivergence]]]:
    """One chunk of whole groups: the anchor and step angle of each of its turns (the step of a trajectory's first
    turn is meaningless and replaced by the caller) and each group's divergence, from one angle computation."""
    v = chunk.vectors
    zero = np.einsum("ij,ij->i", v, v) < 0.5
    t_lo = int(np.searchsorted(traj_of_group, chunk.groups[0], side="left"))
    t_hi = int(np.searchsorted(traj_of_group, chunk.groups[-1], side="right"))
    offsets = batch.offsets[t_lo:t_hi] - chunk.start
    lengths = batch.lengths[t_lo:t_hi]
    anchor = angles_at(v, np.arange(v.shape[0]), np.repeat(offsets, lengths), zero)
    step = np.concatenate([[np.nan], consecutive_angles(v, zero)]) if v.shape[0] else np.zeros(0)
    # every group's pair curves and saturation samples, gathered into one angle call
    plans = []
    curve_i: list[npt.NDArray[np.int64]] = []
    curve_j: list[npt.NDArray[np.int64]] = []
    for g in chunk.groups:
        members = _members(traj_of_group, int(g))
        starts = [int(batch.offsets[m]) - chunk.start for m in members]
        lens = [int(batch.lengths[m]) for m in members]
        group_variants = [variants[int(m)] for m in members]
        stream = group_hash(group_ids[int(g)], opts.seed)
        replicate, perturbed = pairs_of_group(lens, group_variants, stream=stream)
        spans = []
        for a, b in (*replicate, *perturbed):
            n = min(lens[a], lens[b])
            curve_i.append(np.arange(starts[a], starts[a] + n))
            curve_j.append(np.arange(starts[b], starts[b] + n))
            spans.append(n)
        si, sj = saturation_pairs(starts, lens, stream=stream)
        curve_i.append(si)
        curve_j.append(sj)
        plans.append((int(g), members, lens, group_variants, replicate, perturbed, spans, si.shape[0]))
    values = (
        angles_at(v, np.concatenate(curve_i), np.concatenate(curve_j), zero)
        if curve_i
        else np.zeros(0, dtype=np.float64)
    )
    found = []
    cursor = 0
    for g, members, lens, group_variants, replicate, perturbed, spans, n_sat in plans:
        curves = []
        for n in spans:
            curves.append(values[cursor : cursor + n])
            cursor += n
        sat = values[cursor : cursor + n_sat]
        cursor += n_sat
        divergence = divergence_from_curves(
            lens,
            group_variants,
            replicate,
            perturbed,
            curves[: len(replicate)],
            curves[len(replicate) :],
            sat,
            resolution=opts.resolution,
        )
        found.append((g, members, group_variants, divergence))
    return anchor, step, found


def _trend_z(
    anchor: npt.NDArray[np.float64], step: npt.NDArray[np.float64], batch: SequenceBatch
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mann–Kendall z (:func:`trajdyn.analyzer.stats.mann_kendall_z`) of every trajectory's anchor series over
    t ≥ 1 and of its step series, the series of one length stacked into one call; NaN below 4 points."""
    out = []
    for per_turn in (anchor, step):
        z = np.full(len(batch.ids), np.nan)
        m = batch.lengths - 1  # both series start at turn 1
        for length in np.unique(m[m >= 4]):
            rows = np.flatnonzero(m == length)
            index = batch.offsets[rows][:, None] + 1 + np.arange(int(length))[None, :]
            z[rows] = mann_kendall_z(per_turn[index])
        out.append(z)
    return out[0], out[1]


def _drift_column(
    semantic: _Semantic,
    batch: SequenceBatch,
    anchor_z: npt.NDArray[np.float64],
    step_z: npt.NDArray[np.float64],
) -> pl.Series:
    """The ``drift`` struct of every trajectory of the batch (:mod:`._drift`)."""
    summaries = [
        drift_summary(semantic.anchor[lo : lo + n], semantic.step[lo + 1 : lo + n])
        for lo, n in zip(batch.offsets.tolist(), batch.lengths.tolist(), strict=True)
    ]
    lengths = batch.lengths.astype(np.int64)
    step_lengths = np.maximum(lengths - 1, 0)
    first = np.zeros(batch.flat.shape[0], dtype=bool)
    first[batch.offsets] = True
    fields = pl.DataFrame(
        {
            "basis": pl.Series("basis", [_basis(b) for b in semantic.basis.tolist()], dtype=pl.Utf8),
            "centred": semantic.centred,
            "anchor": list_column("anchor", semantic.anchor, lengths),
            "step": list_column("step", semantic.step[~first], step_lengths),
            **{
                key: pl.Series(key, [s[key] for s in summaries], dtype=pl.Float64)
                for key in ("final", "max", "mean", "path_length", "tortuosity")
            },
            "anchor_trend_z": _nullable(anchor_z, "anchor_trend_z"),
            "step_trend_z": _nullable(step_z, "step_trend_z"),
        }
    )
    return fields.select(pl.struct(pl.all()).alias("drift"))["drift"].cast(DRIFT_TYPE)


def _regimes(with_turns: pl.DataFrame, opts: DynamicsOptions) -> list[tuple[str, str]]:
    """``(regime, reason)`` of every trajectory with turns (:func:`classify_regime`)."""
    columns = ("turns", "loop", "state_action_repeats", "action_entropy", "laminarity", "laminarity_p", "laminarity_z")
    trends = with_turns.select(
        pl.col("drift").struct.field("anchor_trend_z"), pl.col("drift").struct.field("step_trend_z")
    )
    rows = zip(
        with_turns.select(columns).iter_rows(named=True),
        trends.iter_rows(named=True),
        strict=True,
    )
    return [
        classify_regime({**row, "drift": drift}, alpha=opts.alpha, z_crit=opts.z_crit, min_turns=opts.min_turns)
        for row, drift in rows
    ]


def _empty_rows(ids: list[str], groups: list[str | None], opts: DynamicsOptions) -> pl.DataFrame:
    """The rows of trajectories without turns: degenerate, nothing to measure."""
    regime, reason = classify_regime({"turns": 0}, min_turns=opts.min_turns)
    n = len(ids)
    empty_loop = {"detected": False, "period": None, "onset_turn": None, "repeats": None, "p_value": None}
    values: dict[str, Any] = {
        **dict.fromkeys(TRAJECTORY_SCHEMA, [None] * n),
        K.TRAJECTORY_ID: ids,
        "turns": [0] * n,
        "group": groups,
        "distinct_actions": [0] * n,
        "entropy_window": [opts.window] * n,
        "windowed_entropy": [[]] * n,
        "shuffles": [opts.shuffles] * n,
        "loop": [{**empty_loop, "final_run": 0}] * n,
        "state_action_repeats": [[]] * n,
        "state_basis": ["status"] * n,
        "regime": [regime] * n,
        "regime_reason": [reason] * n,
    }
    return pl.DataFrame(values, schema=TRAJECTORY_SCHEMA)


def _turn_frame(
    table: pl.DataFrame, batch: SequenceBatch, semantic: _Semantic, window_entropy: npt.NDArray[np.float64]
) -> pl.DataFrame:
    """One row per turn (:data:`TURN_SCHEMA`), sorted by trajectory id and turn (``table`` holds each trajectory's
    turns in order, trajectories in group order: the rows are reordered trajectory by trajectory)."""
    by_id = np.argsort(np.array(batch.ids, dtype=object), kind="stable") if batch.ids else np.zeros(0, dtype=np.int64)
    lengths = batch.lengths[by_id]
    shift = batch.offsets[by_id] - np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(by_id) else by_id
    rows = np.arange(int(lengths.sum())) + np.repeat(shift, lengths)
    frame = table.select(K.TRAJECTORY_ID, TURN, K.ACTION).with_columns(
        _nullable(semantic.anchor, "anchor"),
        _nullable(semantic.step, "step"),
        _nullable(window_entropy, "window_entropy"),
    )
    ordered: pl.DataFrame = frame[rows]
    return ordered.cast(TURN_SCHEMA)  # type: ignore[arg-type]
