"""Test helper (no tests here): turn-based ``steps`` / ``trajectories`` frames and a planted-vector embedder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from tests.analyzer.metrics.test_exploration_frames import STEP_SCHEMA, TRAJECTORY_SCHEMA
from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K


@dataclass
class Run:
    """One trajectory: its actions, and optionally the text of each turn and what was observed after it."""

    trajectory_id: str
    actions: Sequence[str]
    texts: Sequence[str | None] | None = None
    observations: Sequence[str | None] | None = None
    task_id: str | None = "task"
    variant: str | None = None
    group: str | None = None
    reward: float | None = None
    outcome: str | None = None
    model: str | None = None
    attempt: int | None = None
    errors: Sequence[bool] = field(default_factory=tuple)


def frames(runs: Sequence[Run]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(steps, trajectories)``: per turn a propose step (action, text) and an observe step (observation)."""
    steps: list[dict[str, object]] = []
    trajs: list[dict[str, object]] = []
    span = 0
    for r_index, run in enumerate(runs):
        clock = r_index * 1_000_000
        for t, action in enumerate(run.actions):
            for phase in (C.PHASE_PROPOSE, C.PHASE_OBSERVE):
                span += 1
                clock += 10
                content = None
                if phase == C.PHASE_PROPOSE and run.texts is not None:
                    content = run.texts[t]
                if phase == C.PHASE_OBSERVE and run.observations is not None:
                    content = run.observations[t]
                failed = phase == C.PHASE_OBSERVE and t < len(run.errors) and run.errors[t]
                steps.append(
                    {
                        K.TRAJECTORY_ID: run.trajectory_id,
                        K.TRACE_ID: f"{r_index + 1:032x}",
                        K.SPAN_ID: f"{span:016x}",
                        K.START_NS: clock,
                        K.END_NS: clock + 5,
                        K.STATUS_CODE: 2 if failed else 0,
                        K.PHASE: phase,
                        K.ITERATION: t + 1,
                        K.ACTION: action if phase == C.PHASE_PROPOSE else None,
                        K.BLOCKED: False,
                        K.CONTENT: content,
                    }
                )
        trajs.append(
            {
                K.TRAJECTORY_ID: run.trajectory_id,
                K.TRACE_ID: f"{r_index + 1:032x}",
                K.HAS_ROOT: True,
                K.TASK_ID: run.task_id,
                K.PERTURBATION_GROUP: run.group,
                K.VARIANT: run.variant,
                K.REWARD: run.reward,
                K.OUTCOME: run.outcome,
                K.MODEL: run.model,
                K.ATTEMPT: run.attempt,
                K.OBJECTIVE: C.DEFAULT_OBJECTIVE,
                K.START_NS: r_index * 1_000_000,
                K.END_NS: clock + 10,
                K.N_STEPS: 2 * len(run.actions),
                "n_iterations": len(run.actions),
            }
        )
    return pl.DataFrame(steps, schema=STEP_SCHEMA), pl.DataFrame(trajs, schema=TRAJECTORY_SCHEMA)


class PlantedEmbedder:
    """An :class:`~trajdyn.analyzer.embeddings.Embedder` that returns a fixed unit vector per text (tests only)."""

    def __init__(self, vectors: Mapping[str, npt.NDArray[np.float64]], dim: int) -> None:
        self._vectors = dict(vectors)
        self._dim = dim
        self.calls = 0

    @property
    def name(self) -> str:
        return "planted"

    @property
    def model_id(self) -> str:
        return "planted"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str] | pl.Series) -> npt.NDArray[np.float32]:
        self.calls += 1
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            vector = self._vectors.get(str(text))
            if vector is not None:
                out[i] = vector / np.linalg.norm(vector)
        return out


def markov_chain(transition: npt.NDArray[np.float64], n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """A path of ``n`` states of the chain ``transition`` (rows sum to 1), started from its stationary law."""
    k = transition.shape[0]
    values, vectors = np.linalg.eig(transition.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    pi = pi / pi.sum()
    out = np.empty(n, dtype=np.int64)
    out[0] = rng.choice(k, p=pi)
    for t in range(1, n):
        out[t] = rng.choice(k, p=transition[out[t - 1]])
    return out


def stationary(transition: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The stationary distribution of ``transition``."""
    values, vectors = np.linalg.eig(transition.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return np.asarray(pi / pi.sum(), dtype=np.float64)


def entropy_rate(transition: npt.NDArray[np.float64]) -> float:
    """``−Σ_i π_i Σ_j P_ij ln P_ij`` (nats)."""
    pi = stationary(transition)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(transition > 0, np.log(transition), 0.0)
    return float(-(pi[:, None] * transition * logs).sum())
