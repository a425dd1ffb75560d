"""Playbook test data: a hand-made example with known answers, a simulator with planted effects, span files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.formats import ImportedEvent, ImportedStep, ImportedTrajectory, build_requests, write_jsonl

EVENT_SCHEMA = {K.TRAJECTORY_ID: pl.Utf8, K.EVENT_NAME: pl.Utf8, K.ENTRY_ID: pl.Utf8, K.SUCCESS: pl.Boolean}


@dataclass
class Session:
    """One session of a test data set: root facts and (event name, entry id, success) events."""

    sid: str
    task: str
    key: str | None
    reward: float | None
    tokens: int | None = None
    mode: str | None = None
    model: str | None = None
    events: list[tuple[str, str | None, bool | None]] = field(default_factory=list)


def cue(entry: str) -> tuple[str, str | None, bool | None]:
    return (C.EVENT_CUE_HIT, entry, None)


def adopt(entry: str, ok: bool) -> tuple[str, str | None, bool | None]:
    return (C.EVENT_ADOPTION, entry, ok)


RETRY = (C.EVENT_RETRY, None, None)
FAILURE = (C.EVENT_FAILURE, None, None)

HAND: list[Session] = [
    Session("s1", "A", "k", 0.2, 100, "auto", "m1"),
    Session("s2", "A", "k", 0.6, 80, "auto", "m1", [cue("E"), cue("E"), adopt("E", True), RETRY]),
    Session("s3", "A", "k", 0.4, 120, "auto", "m1", [FAILURE, cue("F")]),
    Session("s4", "B", "k", 0.9, 60, "auto", "m1", [adopt("E", False)]),
    Session("s5", "B", "k", 0.8, 90, "paired", "m1", [RETRY, RETRY]),
    Session("s6", "C", "k", 0.5, None, "paired", "m1", [cue("E")]),
    Session("s7", "A", "k", None, 100, "paired", "m2", [cue("E")]),
    Session("s8", "B", "k", 0.6, 70, None, "m2", [cue("E")]),
    Session("s9", "A", "j", 0.0, 10, "auto", "m1"),
]
"""The hand-made example: entry E fires first in s2 (so s1 is not eligible), s9 is another learning key."""


def frames(sessions: Sequence[Session]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(trajectories, events) frames with the analyzer's column names, start times in list order."""
    traj = pl.DataFrame(
        {
            K.TRAJECTORY_ID: [s.sid for s in sessions],
            K.TASK_ID: [s.task for s in sessions],
            K.LEARNING_KEY: [s.key for s in sessions],
            K.EXECUTION_MODE: [s.mode for s in sessions],
            K.MODEL: [s.model for s in sessions],
            K.REWARD: [s.reward for s in sessions],
            K.INPUT_TOKENS: [s.tokens for s in sessions],
            K.OUTPUT_TOKENS: [None if s.tokens is None else 0 for s in sessions],
            K.START_NS: [1_000_000_000 * (i + 1) for i in range(len(sessions))],
        },
        schema_overrides={K.INPUT_TOKENS: pl.Int64, K.OUTPUT_TOKENS: pl.Int64, K.REWARD: pl.Float64},
    )
    rows = [
        {K.TRAJECTORY_ID: s.sid, K.EVENT_NAME: name, K.ENTRY_ID: entry, K.SUCCESS: ok}
        for s in sessions
        for name, entry, ok in s.events
    ]
    return traj, pl.DataFrame(rows, schema=EVENT_SCHEMA)


def simulate(
    seed: int,
    *,
    n_tasks: int = 40,
    per_task: int = 12,
    effect: float = 0.1,
    n_null: int = 0,
    noise: float = 0.1,
) -> list[Session]:
    """Sessions where harder tasks have lower reward AND fire the entries more often (confounding by task).

    Entry ``E`` adds ``effect`` to the reward of the sessions it fires in; entries ``N0`` … ``N{n_null-1}`` fire with
    the same difficulty-dependent probability and add nothing.
    """
    rng = np.random.default_rng(seed)
    out: list[Session] = []
    for t in range(n_tasks):
        difficulty = rng.uniform(0.0, 1.0)
        p_fire = 0.15 + 0.7 * difficulty
        for _ in range(per_task):
            fired = bool(rng.random() < p_fire)
            reward = 0.9 - 0.6 * difficulty + (effect if fired else 0.0) + rng.normal(0.0, noise)
            events: list[tuple[str, str | None, bool | None]] = []
            if fired:
                events += [cue("E"), adopt("E", bool(rng.random() < 0.7))]
            events += [cue(f"N{k}") for k in range(n_null) if rng.random() < p_fire]
            out.append(Session(f"s{len(out) + 1}", f"t{t}", "k", float(reward), 100, "auto", "m", events))
    return out


def write_spans(path: Path, sessions: Sequence[Session], *, steps: int = 1, source: Path | None = None) -> Path:
    """The sessions as conventions-v1 OTLP/JSON spans (through the importers' span builder).

    Ids derive from ``source`` (default ``path``): a fixed ``source`` gives the same ids wherever the file is written.
    """
    trajectories = []
    for i, s in enumerate(sessions):
        attrs: dict[str, Any] = {}
        if s.key is not None:
            attrs[C.LEARNING_KEY] = s.key
        if s.mode is not None:
            attrs[C.EXECUTION_MODE] = s.mode
        if s.tokens is not None:
            attrs[C.GEN_AI_USAGE_INPUT_TOKENS] = s.tokens
        events = []
        for name, entry, ok in s.events:
            ev: dict[str, Any] = {}
            if entry is not None:
                ev[C.PLAYBOOK_ENTRY_ID] = entry
            if ok is not None:
                ev[C.PLAYBOOK_SUCCESS] = ok
            if name in (C.EVENT_RETRY, C.EVENT_FAILURE):
                ev[C.REASON] = "because"
            events.append(ImportedEvent(name, ev))
        end = 1_700_000_000_000_000_000 + (i + 1) * 60_000_000_000
        trajectories.append(
            ImportedTrajectory(
                line=i + 1,
                task_id=s.task,
                model=s.model,
                reward=s.reward,
                steps=[ImportedStep(line=i + 1, action="step", end_ns=end - k) for k in range(steps, 0, -1)],
                attrs=attrs,
                events=events,
            )
        )
    write_jsonl(build_requests(trajectories, source=source or path, format_name="test"), path)
    return path


def write_playbook_entry(path: Path, entry_id: str, handle: str) -> Path:
    """A playbook file of one well-formed entry with the given id and runtime handle (for the linter, in reports)."""
    import json

    entry = {
        "id": entry_id,
        "cue": {"type": "keyword", "pattern": "latency"},
        "action": {"imperative": "Compare the latency dashboard with the last deploy", "runtime_handle": handle},
        "expected_effect": "Finds regressions before paging anyone",
        "scope": {"category": "reinforcement", "constraints": "Only for service alerts"},
        "provenance": {"session_id": 12},
    }
    path.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    return path
