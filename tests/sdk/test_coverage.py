"""Live coverage numbers: planted truth, a brute-force reference, and the real autoresearch loop replayed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trajdyn
from trajdyn.sdk import CoverageTracker


def _reference(
    events: list[tuple[str | None, str | None, float | None, str | None]],
    *,
    menu: list[str] | None,
    minimize: bool,
    baseline: float | None,
    window: int,
) -> dict[str, Any]:
    """The shared definitions written the slow, obvious way (one pass per key)."""
    n = len(events)
    pairs = [(k, v) for k, v, _, _ in events]
    seen: set[Any] = set()
    rep: list[bool] = []
    for p in pairs:
        rep.append(p in seen)
        seen.add(p)
    counts: dict[Any, int] = {}
    for p in pairs:
        counts[p] = counts.get(p, 0) + 1
    f1 = sum(1 for c in counts.values() if c == 1)
    f2 = sum(1 for c in counts.values() if c == 2)
    better = (lambda a, b: a < b) if minimize else (lambda a, b: a > b)
    best = None
    best_it = None
    for i, (_, _, m, _) in enumerate(events, 1):
        if m is not None and (best is None or better(m, best)):
            best, best_it = m, i
    rb = baseline
    improved = []
    running = []
    for _, _, m, _ in events:
        imp = m is not None and (rb is None or better(m, rb))
        if imp:
            rb = m
        improved.append(imp)
        running.append(rb)
    last = max([i for i, x in enumerate(improved, 1) if x], default=0)
    longest = run = 0
    for x in improved:
        run = 0 if x else run + 1
        longest = max(longest, run)
    windows = [
        {"first": s + 1, "last": min(s + window, n), "rate": sum(rep[s : s + window]) / len(rep[s : s + window])}
        for s in range(0, n, window)
    ]
    return {
        "iterations": n,
        "knobs_touched": len({k for k, _ in pairs}),
        "knob_coverage": len({k for k, _ in pairs}) / len(menu) if menu else None,
        "unique_pairs": len(counts),
        "repeat_count": sum(rep),
        "repeat_rate": sum(rep) / n if n else None,
        "windows_repeat_rate": windows,
        "keep_iterations": [i for i, e in enumerate(events, 1) if e[3] == "keep"],
        "best_value": best,
        "best_iteration": best_it,
        "since_improvement": n - last,
        "longest_plateau": longest,
        "novelty_good_turing": f1 / n if n else None,
        "chao1": len(counts) + (f1 * f1 / (2 * f2) if f2 else f1 * (f1 - 1) / 2) if n else None,
        "running_best": running,
    }


event = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["1", "2", "3"]),
    st.one_of(st.none(), st.integers(0, 20).map(float)),
    st.sampled_from([None, "keep", "revert"]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(event, max_size=40),
    st.booleans(),
    st.one_of(st.none(), st.just(10.0)),
    st.integers(1, 7),
)
def test_incremental_tracker_equals_reference(
    events: list[Any], minimize: bool, baseline: float | None, window: int
) -> None:
    """The O(1)-per-event tracker gives the brute-force numbers for any event sequence."""
    menu = ["a", "b", "c", "d", "e"]
    t = CoverageTracker(
        knob_menu=menu, objective="minimize" if minimize else "maximize", baseline=baseline, window=window
    )
    for knob, value, metric, decision in events:
        t.propose(knob, value)
        t.observe(metric)
        t.decide(decision)
    snap = t.snapshot()
    ref = _reference(events, menu=menu, minimize=minimize, baseline=baseline, window=window)
    for key, expected in ref.items():
        assert snap[key] == expected, key


def test_second_observe_replaces_the_first() -> None:
    """The metric of an iteration is its last observe; the earlier one leaves no trace."""
    t = CoverageTracker(objective="minimize", baseline=10.0)
    t.propose("lr", "1")
    t.observe(5.0)
    t.decide("keep")
    t.observe(11.0)
    snap = t.snapshot()
    assert snap["best_value"] == 11.0
    assert snap["since_improvement"] == 1
    assert snap["keep_iterations"] == [1]


def test_planted_period_three_loop() -> None:
    """A proposer cycling through 3 pairs for 12 iterations: 9 repeats, novelty 0, windows of 5."""
    t = CoverageTracker(knob_menu=["x", "y", "z", "w"], window=5)
    for i in range(12):
        t.propose("xyz"[i % 3], "v")
    snap = t.snapshot()
    assert snap["repeat_count"] == 9
    assert snap["repeat_rate"] == 0.75
    assert snap["unique_pairs"] == 3
    assert snap["knob_coverage"] == 0.75
    assert snap["knobs_untouched"] == ["w"]
    assert snap["novelty_good_turing"] == 0.0
    assert [w["rate"] for w in snap["windows_repeat_rate"]] == [0.4, 1.0, 1.0]
    assert snap["windows_repeat_rate"][-1] == {"first": 11, "last": 12, "rate": 1.0}


def test_noise_floor_and_keeps_within_noise() -> None:
    """Pooled within-pair SD over repeated pairs; a keep that beats the running best by less is counted."""
    t = CoverageTracker(objective="minimize", baseline=10.0)
    for pair, metric, decision in [
        ("a", 9.0, "keep"),  # gain 1.0 > noise
        ("a", 9.2, "revert"),
        ("b", 8.0, "keep"),  # gain 1.0 > noise
        ("b", 8.4, "revert"),
        ("c", 7.9, "keep"),  # gain 0.1 < noise
    ]:
        t.propose(pair, None)
        t.observe(metric)
        t.decide(decision)
    snap = t.snapshot()
    expected = math.sqrt(((9.0 - 9.1) ** 2 * 2 + (8.0 - 8.2) ** 2 * 2) / 2)
    assert snap["noise_floor"] == pytest.approx(expected)
    assert snap["keeps_within_noise"] == 1
    assert snap["improvement"] == pytest.approx((10.0 - 7.9) / 10.0)


def test_eta_threshold_defines_the_plateau() -> None:
    """With η = 1 %, improvements smaller than 1 % of the running best do not end the plateau (but move it)."""
    t = CoverageTracker(objective="maximize", baseline=100.0, eta=0.01)
    for metric in [100.5, 100.9, 102.0, 102.5, 102.9]:
        t.propose("k", str(metric))
        t.observe(metric)
    snap = t.snapshot()
    assert snap["since_improvement"] == 2
    assert snap["longest_plateau"] == 2
    assert snap["best_iteration"] == 5
    assert snap["running_best"] == [100.5, 100.9, 102.0, 102.5, 102.9]


def test_empty_tracker_has_nulls() -> None:
    """No iterations: rates and novelty are null, counts zero."""
    snap = CoverageTracker().snapshot()
    assert snap["iterations"] == 0
    assert snap["repeat_rate"] is None
    assert snap["novelty_good_turing"] is None
    assert snap["knob_coverage"] is None
    assert snap["best_value"] is None
    assert snap["noise_floor"] is None
    assert snap["chao1"] is None
    assert snap["running_best"] == []


def _load_autoresearch(external: Path) -> tuple[list[dict[str, Any]], float, list[str]]:
    lines = [json.loads(x) for x in (external / "autoresearch-trajectory.jsonl").read_text().splitlines() if x]
    menu = list(json.loads((external / "autoresearch-perturbation_menu.json").read_text())["knobs"])
    rows = [r for r in lines if r.get("stage") == "evaluated"]
    return rows, float(lines[0]["baseline_val_bpb"]), menu


def test_real_loop_replayed_through_decorators_matches_published_analysis(
    external: Path, spans: Any, tmp_path: Path
) -> None:
    """The real 50-iteration autoresearch loop, replayed through the decorators, gives the article's numbers."""
    rows, baseline, menu = _load_autoresearch(external)
    published = json.loads((external / "autoresearch-analysis.json").read_text())

    @trajdyn.propose
    def propose(row: dict[str, Any]) -> dict[str, Any]:
        return {"knob": row["proposal"]["knob"], "value": row["proposal"]["new_value"]}

    @trajdyn.observe
    def evaluate(row: dict[str, Any]) -> dict[str, Any]:
        return {"val_bpb": row["val_bpb"]}

    @trajdyn.decide
    def decide(row: dict[str, Any]) -> str:
        return str(row["decision"])

    sidecar = tmp_path / "s.coverage.json"
    with trajdyn.trajectory(
        task_id="autoresearch",
        knob_menu=menu,
        objective="minimize",
        metric_name="val_bpb",
        baseline=baseline,
        sidecar=sidecar,
    ) as traj:
        for row in rows:
            propose(row)
            evaluate(row)
            decide(row)
    snap = traj.coverage
    assert snap["iterations"] == published["trajectory_iters"] == 50
    assert snap["knobs_touched"] == published["knobs_touched"] == 6
    assert snap["knobs_untouched"] == published["knobs_untouched"]
    assert snap["knob_counts"] == published["knob_count"]
    assert snap["repeat_count"] == 36
    assert snap["repeat_rate"] == 0.72
    assert snap["unique_pairs"] == 14
    assert snap["keep_iterations"] == published["keep_iters"]
    assert snap["first_keep_iteration"] == 4
    assert snap["best_iteration"] == 45
    assert snap["best_value"] == 10.8534
    assert snap["best_pair"] == {"knob": "d_model", "value": "768"}
    assert round(snap["improvement"] * 100, 2) == published["improvement_pct"]
    assert snap["windows_repeat_rate"] == published["windows_repeat_rate"]
    expected_top = [
        {"knob": p["knob"], "value": trajdyn.canonical_value(p["value"]), "n": p["n"]} for p in published["top_pairs"]
    ]
    assert snap["top_pairs"][: len(expected_top)] == expected_top
    expected_keeps = [
        {"knob": p["knob"], "value": trajdyn.canonical_value(p["value"]), "n": p["n"]}
        for p in published["keep_pair_counts"]
    ]
    assert snap["keep_pair_counts"] == expected_keeps
    on_disk = json.loads(sidecar.read_text())["trajectories"][0]
    assert on_disk["state"] == "finished"
    assert {k: on_disk[k] for k in snap} == snap
