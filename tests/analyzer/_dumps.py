"""Generated multi-trajectory span dumps and the rewritings that must not change a report.

:func:`dumps` is a hypothesis strategy of :class:`Dump`: several trajectories of OTLP/JSON spans (built with the
importers' OTLP writer, so they look like what the file exporters write) mixing knob loops (menu, baseline,
objective, metrics, keep/revert, repeated pairs, blocked proposals), tool-call loops (actions, captured content,
error statuses), replicates and reworded variants of one task, playbook events (cue hits, adoptions, retries,
failures, learning keys), rewards and outcomes, benchmark runs (``trajdyn.run.id``), crashed runs without a root,
steps that carry no trajectory id (found through their parent), and start-time ties everywhere (steps of one
iteration, trajectories, events).

The layouts (:func:`write_lines`) and rewritings (:func:`shuffled`, :func:`with_duplicates`, :func:`upper_case_ids`)
are what real inputs do to the same spans: batch processors reorder and regroup them, exporters retry, files get
split, concatenated and gzipped, and some producers write upper-case hex.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from trajdyn import conventions as C
from trajdyn.formats import _otlp_writer as W

T0 = 1_700_000_000_000_000_000
RESOURCE = {C.SERVICE_NAME: "gen-agent"}
SCOPE = "trajdyn"

KNOBS = ("lr", "depth", "width", "dropout")
TOOLS = ("search", "read_file", "edit_file", "run_tests", "bash")
ENTRIES = ("entry-a", "entry-b", "entry-c")


@dataclass(frozen=True)
class Dump:
    """The spans of a dump, in the order one trajectory after another (how a single loop writes them)."""

    spans: tuple[dict[str, Any], ...]
    trajectories: int

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep it readable
        return f"Dump({len(self.spans)} spans, {self.trajectories} trajectories)"


@st.composite
def _iteration(draw: st.DrawFn, tool: bool) -> dict[str, Any]:
    return {
        "symbol": draw(st.sampled_from(TOOLS if tool else KNOBS)),
        "value": draw(st.integers(0, 2)),
        "metric": draw(st.one_of(st.none(), st.sampled_from((1.0, 1.5, 2.0, 2.25, 3.0)))),
        "decision": draw(st.sampled_from(("keep", "revert", None))),
        "blocked": draw(st.integers(0, 9)) == 0,
        "error": draw(st.integers(0, 5)) == 0,
        "second_observe": draw(st.integers(0, 4)) == 0,
        "tie": draw(st.booleans()),  # propose, observe and decide start at the same nanosecond
        "content": draw(st.sampled_from(("look at the logs", "try a smaller step", "tests pass", None))),
    }


@st.composite
def _trajectory(draw: st.DrawFn, index: int) -> dict[str, Any]:
    tool = draw(st.booleans())
    task = draw(st.sampled_from(("task-1", "task-2", "task-3")))
    return {
        "index": index,
        "tool": tool,
        "task": task,
        "model": draw(st.sampled_from(("model-a", "model-b"))),
        "run": draw(st.one_of(st.none(), st.sampled_from(("run-1", "run-2", "run-3")))),
        "variant": draw(st.sampled_from((None, C.VARIANT_ORIGINAL, "reworded"))),
        "reward": draw(st.one_of(st.none(), st.sampled_from((0.0, 1.0)), st.floats(0, 1, width=32))),
        "outcome": draw(st.sampled_from((None, C.OUTCOME_SUCCESS, C.OUTCOME_FAILURE))),
        "learning_key": draw(st.sampled_from((None, "key-x", "key-y"))),
        "objective": draw(st.sampled_from(C.OBJECTIVES)),
        "baseline": draw(st.one_of(st.none(), st.just(2.0))),
        "menu": None if tool else list(KNOBS[: draw(st.integers(2, 4))]),
        "start": T0 + draw(st.integers(0, 3)) * 1_000_000,  # few distinct starts: trajectories tie
        "root": draw(st.integers(0, 7)) != 0,  # else a crashed run: steps only
        "tid_on_steps": draw(st.integers(0, 4)) != 0,  # else the steps find their trajectory through the parent
        "iterations": draw(st.lists(_iteration(tool), min_size=0, max_size=8)),
        "events": draw(
            st.lists(
                st.tuples(
                    st.sampled_from((C.EVENT_CUE_HIT, C.EVENT_ADOPTION, C.EVENT_RETRY, C.EVENT_FAILURE)),
                    st.sampled_from(ENTRIES),
                    st.booleans(),
                    st.integers(0, 3),  # event time offset: ties between events
                ),
                max_size=4,
            )
        ),
    }


def trajectory_spans(spec: dict[str, Any], ids: W.IdSource) -> list[dict[str, Any]]:
    key = f"t{spec['index']}"
    trace = ids.trace_id(key)
    root_id = ids.span_id(key + "/root")
    tid = f"traj-{spec['index']:02d}"
    start = spec["start"]
    out: list[dict[str, Any]] = []
    t = start + 10
    for i, it in enumerate(spec["iterations"], start=1):
        times = (t, t, t) if it["tie"] else (t, t + 3, t + 6)
        common: dict[str, W.AttrValue | None] = {
            C.ITERATION: i,
            C.TRAJECTORY_ID: tid if spec["tid_on_steps"] else None,
            C.TASK_ID: spec["task"] if not spec["root"] else None,
            C.GEN_AI_REQUEST_MODEL: spec["model"] if not spec["root"] else None,
        }
        propose: dict[str, W.AttrValue | None] = {**common, C.PHASE: C.PHASE_PROPOSE}
        if spec["tool"]:
            propose[C.ACTION] = it["symbol"]
            propose[C.CONTENT] = it["content"]
        else:
            propose[C.KNOB] = it["symbol"]
            propose[C.VALUE] = str(it["value"])
        if it["blocked"]:
            propose[C.BLOCKED] = True
        phases: list[tuple[str, int, dict[str, W.AttrValue | None], str | None]] = [
            ("propose", times[0], propose, None),
            (
                "observe",
                times[1],
                {**common, C.PHASE: C.PHASE_OBSERVE, C.METRIC: it["metric"], C.CONTENT: it["content"]},
                "tool failed" if it["error"] else None,
            ),
        ]
        if it["second_observe"]:
            metric = None if it["metric"] is None else it["metric"] + 0.5
            phases.append(("observe2", times[1], {**common, C.PHASE: C.PHASE_OBSERVE, C.METRIC: metric}, None))
        phases.append(("decide", times[2], {**common, C.PHASE: C.PHASE_DECIDE, C.DECISION: it["decision"]}, None))
        for name, begin, attrs, error in phases:  # span names: the phase (two observes differ by span id)
            out.append(
                W.span(
                    trace_id=trace,
                    span_id=ids.span_id(f"{key}/{i}/{name}"),
                    parent_span_id=root_id,
                    name=str(attrs[C.PHASE]),
                    start_ns=begin,
                    end_ns=begin + 2,
                    attrs=attrs,
                    error=error,
                )
            )
        t += 10
    if spec["root"]:
        events = []
        for name, entry, success, offset in spec["events"]:
            attrs: dict[str, W.AttrValue | None] = {}
            if name in (C.EVENT_CUE_HIT, C.EVENT_ADOPTION):
                attrs[C.PLAYBOOK_ENTRY_ID] = entry
            if name == C.EVENT_ADOPTION:
                attrs[C.PLAYBOOK_SUCCESS] = success
            if name in (C.EVENT_RETRY, C.EVENT_FAILURE):
                attrs[C.REASON] = f"reason {offset}"
            events.append(W.event(name, start + 5 + offset, attrs))
        group = spec["task"] if spec["variant"] is not None else None
        out.append(
            W.span(
                trace_id=trace,
                span_id=root_id,
                parent_span_id=None,
                name=C.OPERATION_INVOKE_AGENT,
                start_ns=start,
                end_ns=t + 100,
                attrs={
                    C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
                    C.TRAJECTORY_ID: tid,
                    C.TASK_ID: spec["task"],
                    C.GEN_AI_REQUEST_MODEL: spec["model"],
                    C.GEN_AI_AGENT_NAME: "gen-agent",
                    C.RUN_ID: spec["run"],
                    C.PERTURBATION_GROUP: group,
                    C.PERTURBATION_VARIANT: spec["variant"],
                    C.REWARD: spec["reward"],
                    C.OUTCOME: spec["outcome"],
                    C.LEARNING_KEY: spec["learning_key"],
                    C.OBJECTIVE: spec["objective"],
                    C.BASELINE: spec["baseline"],
                    C.KNOB_MENU: spec["menu"],
                    C.GEN_AI_USAGE_INPUT_TOKENS: 100 + len(spec["iterations"]),
                },
                events=events,
            )
        )
    return out


@st.composite
def dumps(draw: st.DrawFn, *, max_trajectories: int = 4) -> Dump:
    """A generated dump of 1..``max_trajectories`` trajectories (see the module docstring)."""
    n = draw(st.integers(1, max_trajectories))
    ids = W.IdSource(f"dump-{draw(st.integers(0, 1 << 30))}")
    spans: list[dict[str, Any]] = []
    for index in range(n):
        spec = draw(_trajectory(index))
        if not spec["iterations"]:
            spec["root"] = True  # a crashed run without a step left no span at all
        spans.extend(trajectory_spans(spec, ids))
    return Dump(tuple(spans), n)


# ---------------------------------------------------------------------------------------------------------------
# fixed dumps: three trajectories with known numbers, and seeded random ones
# ---------------------------------------------------------------------------------------------------------------
def iteration(
    symbol: str, value: int, metric: float | None, decision: str | None, *, tie: bool = False
) -> dict[str, Any]:
    """One iteration of a trajectory spec."""
    return {
        "symbol": symbol,
        "value": value,
        "metric": metric,
        "decision": decision,
        "blocked": False,
        "error": False,
        "second_observe": False,
        "tie": tie,
        "content": None,
    }


def contract_spec(index: int, **overrides: Any) -> dict[str, Any]:
    """A knob-loop trajectory spec of task-1 / model-a / run-1 (what ``overrides`` does not change)."""
    spec: dict[str, Any] = {
        "index": index,
        "tool": False,
        "task": "task-1",
        "model": "model-a",
        "run": "run-1",
        "variant": None,
        "reward": 1.0,
        "outcome": None,
        "learning_key": "key-x",
        "objective": C.OBJECTIVE_MINIMIZE,
        "baseline": None,
        "menu": ["lr", "depth", "width"],
        "start": T0,
        "root": True,
        "tid_on_steps": True,
        "iterations": [],
        "events": [],
    }
    spec.update(overrides)
    return spec


CONTRACT_SPECS = [
    contract_spec(
        0,
        iterations=[
            iteration("lr", 0, 3.0, "keep"),
            iteration("lr", 1, 2.0, "keep"),
            iteration("lr", 0, 2.5, "revert"),
            iteration("depth", 1, 1.5, "keep"),
        ],
        events=[(C.EVENT_CUE_HIT, "entry-a", True, 0), (C.EVENT_ADOPTION, "entry-a", True, 1)],
    ),
    contract_spec(
        1,
        tool=True,
        menu=None,
        run="run-2",
        reward=0.0,
        start=T0 + 1_000,
        iterations=[iteration(a, 0, None, None) for a in ("search", "read_file", "search", "read_file", "search")],
        events=[(C.EVENT_CUE_HIT, "entry-a", True, 0), (C.EVENT_RETRY, "entry-a", True, 2)],
    ),
    contract_spec(
        2,
        task="task-2",
        model="model-b",
        start=T0,  # starts with trajectory 0: a tie broken by id
        iterations=[
            iteration("width", 2, 1.0, "keep", tie=True) for _ in range(3)
        ],  # propose/observe/decide start together
    ),
]
N_ITERATIONS = {"traj-00": 4, "traj-01": 5, "traj-02": 3}


def contract_spans() -> list[dict[str, Any]]:
    """The three trajectories of :data:`CONTRACT_SPECS`, one after another."""
    ids = W.IdSource("order-contract")
    return [span for spec in CONTRACT_SPECS for span in trajectory_spans(spec, ids)]


def seeded_specs(seed: int, n: int) -> list[dict[str, Any]]:
    """``n`` trajectory specs drawn from ``random.Random(seed)`` like :func:`dumps` draws them (for golden reports)."""
    rng = random.Random(seed)
    specs = []
    for index in range(n):
        tool = rng.random() < 0.5
        iterations = [
            {
                "symbol": rng.choice(TOOLS if tool else KNOBS),
                "value": rng.randrange(3),
                "metric": rng.choice((None, 1.0, 1.5, 2.0, 2.25, 3.0)),
                "decision": rng.choice(("keep", "revert", None)),
                "blocked": rng.random() < 0.1,
                "error": rng.random() < 0.15,
                "second_observe": rng.random() < 0.2,
                "tie": rng.random() < 0.5,
                "content": rng.choice(("look at the logs", "try a smaller step", "tests pass", None)),
            }
            for _ in range(rng.randrange(1, 25))
        ]
        events = [
            (
                rng.choice((C.EVENT_CUE_HIT, C.EVENT_ADOPTION, C.EVENT_RETRY, C.EVENT_FAILURE)),
                rng.choice(ENTRIES),
                rng.random() < 0.5,
                rng.randrange(4),
            )
            for _ in range(rng.randrange(5))
        ]
        specs.append(
            {
                "index": index,
                "tool": tool,
                "task": rng.choice(("task-1", "task-2", "task-3")),
                "model": rng.choice(("model-a", "model-b")),
                "run": rng.choice((None, "run-1", "run-2", "run-3")),
                "variant": rng.choice((None, C.VARIANT_ORIGINAL, "reworded")),
                "reward": rng.choice((None, 0.0, 1.0, round(rng.random(), 3))),
                "outcome": rng.choice((None, C.OUTCOME_SUCCESS, C.OUTCOME_FAILURE)),
                "learning_key": rng.choice((None, "key-x", "key-y")),
                "objective": rng.choice(C.OBJECTIVES),
                "baseline": rng.choice((None, 2.0)),
                "menu": None if tool else list(KNOBS[: rng.randrange(2, 5)]),
                "start": T0 + rng.randrange(4) * 1_000_000,
                "root": rng.random() > 0.1,
                "tid_on_steps": rng.random() > 0.2,
                "iterations": iterations,
                "events": events,
            }
        )
    return specs


def seeded_spans(seed: int, n: int) -> list[dict[str, Any]]:
    """The spans of :func:`seeded_specs`, one trajectory after another."""
    ids = W.IdSource(f"seeded-{seed}")
    return [span for spec in seeded_specs(seed, n) for span in trajectory_spans(spec, ids)]


# ---------------------------------------------------------------------------------------------------------------
# layouts and rewritings
# ---------------------------------------------------------------------------------------------------------------
def request(spans: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One OTLP/JSON ``TracesData`` line holding ``spans``."""
    return W.request(resource=RESOURCE, scope=SCOPE, scope_version=None, spans=list(spans))


def lines_of(spans: Sequence[dict[str, Any]], sizes: Sequence[int]) -> list[str]:
    """``spans`` cut into consecutive lines of the given sizes (cycled; the last line takes the rest)."""
    out: list[str] = []
    i = 0
    k = 0
    while i < len(spans):
        size = max(1, sizes[k % len(sizes)]) if sizes else len(spans)
        out.append(json.dumps(request(spans[i : i + size]), separators=(",", ":")))
        i += size
        k += 1
    return out


def write_lines(
    directory: Path, lines: Sequence[str], *, files: int = 1, gz: bool = False, rng: random.Random | None = None
) -> list[str]:
    """Write ``lines`` into ``files`` files (each line to a random file when ``rng`` is given, else round robin)."""
    directory.mkdir(parents=True, exist_ok=True)
    buckets: list[list[str]] = [[] for _ in range(files)]
    for k, line in enumerate(lines):
        buckets[rng.randrange(files) if rng is not None else k % files].append(line)
    paths: list[str] = []
    for f, bucket in enumerate(buckets):
        if not bucket and (f > 0 or any(buckets)):
            continue  # no empty file (that is an input error of its own)
        text = "".join(line + "\n" for line in bucket).encode()
        path = directory / (f"part-{f}.jsonl.gz" if gz else f"part-{f}.jsonl")
        path.write_bytes(gzip.compress(text, mtime=0) if gz else text)
        paths.append(str(path))
    return paths


def shuffled(spans: Sequence[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The spans in a random order (across trajectories, lines and files once cut)."""
    out = list(spans)
    rng.shuffle(out)
    return out


def with_duplicates(spans: Sequence[dict[str, Any]], rng: random.Random, share: float) -> list[dict[str, Any]]:
    """``spans`` with a random subset (about ``share`` of them) repeated, the copies at random positions."""
    out = list(spans)
    for span in spans:
        if rng.random() < share:
            out.insert(rng.randrange(len(out) + 1), copy.deepcopy(span))
    return out


def upper_case_ids(spans: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spans with their trace, span and parent ids in upper-case hex."""
    out = []
    for span in spans:
        s = dict(span)
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in s:
                s[key] = str(s[key]).upper()
        out.append(s)
    return out
