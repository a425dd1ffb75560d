"""Playbook impact benchmark (issue 5): the cost of the within-task estimate against Atlas-style accumulation.

Synthetic sessions (tasks of varying difficulty, entries firing more often on hard tasks) as analyzer frames, timed
three ways in one run:

(a) reference: a pure-Python pass over sessions and events accumulating Atlas's per-entry with/without sums
    (``atlas/core`` impact accumulation): cue hits, adoptions, naive reward and token deltas;
(b) ``playbook_entries`` with resampling off (B = 1): the same numbers plus Δ̂ (bincounts per task, numpy);
(c) ``playbook_entries`` with the defaults (2000 bootstrap resamples and 2000 permutations per entry).

Prints the seconds of each, (b)/(a), (c)/(a) and the milliseconds per entry of (c).

    python benchmarks/playbook_impact.py [--sessions N] [--entries E] [--tasks T] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Any

import numpy as np
import polars as pl

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.metrics.playbook import PlaybookOptions, playbook_entries


def make_frames(sessions: int, entries: int, tasks: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    task = rng.integers(0, tasks, sessions)
    difficulty = rng.uniform(0, 1, tasks)[task]
    reward = 0.9 - 0.6 * difficulty + rng.normal(0, 0.1, sessions)
    traj = pl.DataFrame(
        {
            K.TRAJECTORY_ID: [f"s{i}" for i in range(sessions)],
            K.TASK_ID: [f"t{t}" for t in task],
            K.LEARNING_KEY: ["k"] * sessions,
            K.REWARD: reward,
            K.INPUT_TOKENS: rng.integers(100, 1000, sessions),
            K.OUTPUT_TOKENS: rng.integers(10, 100, sessions),
            K.START_NS: np.arange(sessions, dtype=np.int64),
        }
    )
    fire = rng.random((entries, sessions)) < (0.05 + 0.3 * difficulty)[None, :]
    fire[:, 0] = True  # every entry fires in the first session: every session is eligible, as in Atlas's sums
    e_idx, s_idx = np.nonzero(fire)
    n = e_idx.size
    names = np.where(rng.random(n) < 0.6, C.EVENT_CUE_HIT, C.EVENT_ADOPTION)
    events = pl.DataFrame(
        {
            K.TRAJECTORY_ID: [f"s{i}" for i in s_idx],
            K.EVENT_NAME: names,
            K.ENTRY_ID: [f"e{i}" for i in e_idx],
            K.SUCCESS: rng.random(n) < 0.7,
        }
    ).with_columns(pl.when(pl.col(K.EVENT_NAME) == C.EVENT_ADOPTION).then(pl.col(K.SUCCESS)).alias(K.SUCCESS))
    return traj, events


def reference(traj: pl.DataFrame, events: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Atlas-style: per session, per entry used in it, add reward/tokens to 'with'; every other entry to 'without'."""
    sessions = {r[K.TRAJECTORY_ID]: r for r in traj.iter_rows(named=True)}
    used: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for r in events.iter_rows(named=True):
        counts = used[r[K.TRAJECTORY_ID]][r[K.ENTRY_ID]]
        if r[K.EVENT_NAME] == C.EVENT_CUE_HIT:
            counts[0] += 1
        else:
            counts[1] += 1
            counts[2] += bool(r[K.SUCCESS])
    all_entries = {e for per in used.values() for e in per}
    acc: dict[str, dict[str, float]] = {e: defaultdict(float) for e in all_entries}
    for sid, s in sessions.items():
        tokens = s[K.INPUT_TOKENS] + s[K.OUTPUT_TOKENS]
        here = used.get(sid, {})
        for e in all_entries:
            a = acc[e]
            arm = "with" if e in here else "without"
            a[f"reward_{arm}"] += s[K.REWARD]
            a[f"tokens_{arm}"] += tokens
            a[f"n_{arm}"] += 1
            if e in here:
                a["cue_hits"] += here[e][0]
                a["adoptions"] += here[e][1]
                a["successes"] += here[e][2]
    out = {}
    for e, a in acc.items():
        out[e] = {
            "adoption_rate": a["successes"] / a["cue_hits"] if a["cue_hits"] else None,
            "reward_delta": a["reward_with"] / a["n_with"] - a["reward_without"] / a["n_without"],
            "token_delta": a["tokens_with"] / a["n_with"] - a["tokens_without"] / a["n_without"],
        }
    return out


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="2000 sessions, 10 entries")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.entries, args.tasks = 2000, 10, 50
    traj, events = make_frames(args.sessions, args.entries, args.tasks)
    print(f"{args.sessions} sessions, {args.entries} entries, {args.tasks} tasks, {events.height} events")
    ta, ref = timed(reference, traj, events)
    tb, fast = timed(playbook_entries, traj, events, PlaybookOptions(n_boot=1, n_perm=1))
    tc, full = timed(playbook_entries, traj, events, PlaybookOptions())
    for row in fast.iter_rows(named=True):  # the same Atlas-compatible numbers (all sessions are eligible here)
        want = ref[row[K.ENTRY_ID]]
        assert abs(row["reward_delta_naive"] - want["reward_delta"]) < 1e-9
    print(f"(a) reference, naive only          {ta:8.3f} s")
    print(f"(b) playbook_entries, B = 1         {tb:8.3f} s   (b)/(a) = {tb / ta:6.2f}")
    print(f"(c) playbook_entries, B = 2000      {tc:8.3f} s   (c)/(a) = {tc / ta:6.2f}")
    print(f"    {1000 * tc / max(full.height, 1):.1f} ms per entry with 2000 bootstrap resamples + 2000 permutations")


if __name__ == "__main__":
    main()
