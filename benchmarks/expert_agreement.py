"""Do the detectors agree with experts? (issue 18; the tables of docs/validation.md.)

Reads the expert-labelled traces of ``$TRAJDYN_SHARED_DIR/external/labeled`` (development part only) with trajdyn's own
readers (:mod:`trajdyn.formats.trail`, :mod:`~trajdyn.formats.mast`, :mod:`~trajdyn.formats.whowhen`,
:mod:`~trajdyn.formats.expert_labels`), analyses them with :func:`trajdyn.analyzer.analyze` (default options), and
compares ``dynamics.repetition`` (the repetition score and its flag) with the labels:

* per label (TRAIL Resource Abuse: all 62 traces, the 55 traces ≤ 1 MB, the 51 GAIA traces ≤ 1 MB; MAST step
  repetition, trajectory restart, redundant conversation turns: the 38 runs with a trace, the 30 HyperAgent runs):
  AUROC with a stratified bootstrap CI of the score, of the length-only baseline (turns) and, for MAST, of the number
  of restarts; precision/recall of the documented flag (score ≥ 0.125) with bootstrap CIs; cross-validated
  precision/recall of the score and of length with thresholds chosen on the training folds (5-fold, 50 repeats);
  what the score adds beyond length: AUROC within length-matched pairs and the likelihood-ratio test of
  ``y ~ log(1 + turns) + score`` over ``y ~ log(1 + turns)``, and the cross-validated AUROC of both logistic models;
* TRAIL, turn level: are the turns the experts marked Resource Abuse near-repeat turns more often than the other
  turns of the same runs?
* Who&When: does the first near-repeat, the loop onset or the first failed execution land on or before the labelled
  mistake step, against a uniformly random step of the same run?
* τ-bench (unlabelled, with outcomes): the regimes, and whether failure follows repeated (state, action) pairs beyond
  length.

A HyperAgent log is one trajectory per (re)start; a run's score is the turn-weighted mean of its sessions' scores
and its restarts are its sessions with turns − 1. Fixed seeds throughout; the numbers are reproducible.

    TRAJDYN_SHARED_DIR=/work/shared python benchmarks/expert_agreement.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _agreement_stats as S

from trajdyn.analyzer import analyze
from trajdyn.analyzer.metrics.dynamics._repetition import THRESHOLD
from trajdyn.formats import detect_format
from trajdyn.formats.expert_labels import (
    RESOURCE_ABUSE,
    read_mast_annotations,
    read_trail_annotation,
    whowhen_label,
)
from trajdyn.formats.trail import trail_turns
from trajdyn.formats.whowhen import TERMINAL, whowhen_turns

MB = 1_000_000
MAST_LABELS = (
    ("step_repetition", "Step repetition"),
    ("trajectory_restart", "Trajectory restart"),
    ("redundant_turns", "Redundant conversation turns"),
)


@dataclass
class Run:
    """One labelled run and what trajdyn measured on it."""

    system: str
    key: str
    turns: int
    score: float
    repeat_turns: list[int]
    loop_onset: int | None
    restarts: int = 0
    size: int = 0
    labels: dict[str, Any] = field(default_factory=dict)


def _by_file(files: list[Path]) -> dict[Path, list[dict[str, Any]]]:
    """Each file's trajectory rows of one report (a row belongs to the file its trajectory id starts with)."""
    report = analyze([str(f) for f in files])
    if report.errors:
        raise SystemExit("input problems:\n" + "\n".join(str(e) for e in report.errors[:20]))
    stems = {f.stem: f for f in files}
    out: dict[Path, list[dict[str, Any]]] = {f: [] for f in files}
    for row in report.trajectories:
        stem = str(row["trajectory_id"]).rsplit("-", 1)[0]
        out[stems[stem]].append(row)
    return out


def _run(system: str, key: str, rows: list[dict[str, Any]], **extra: Any) -> Run:
    blocks = [r["dynamics"] for r in rows if r.get("dynamics") and r["dynamics"]["turns"]]
    turns = sum(b["turns"] for b in blocks)
    score = sum(b["repetition"]["score"] * b["turns"] for b in blocks) / turns if turns else 0.0
    first = blocks[0] if len(blocks) == 1 else None
    loop = (first or {}).get("loop") or {}
    return Run(
        system,
        key,
        turns,
        score,
        list(first["repetition"]["repeat_turns"]) if first else [],
        loop.get("onset_turn") if loop.get("detected") else None,
        restarts=max(len(blocks) - 1, 0),
        **extra,
    )


def collect(root: Path) -> tuple[list[Run], dict[str, Any]]:
    runs: list[Run] = []
    facts: dict[str, Any] = {}
    # ---- TRAIL
    annotations = {}
    for path in sorted((root / "trail").glob("annotations_*/*.json")):
        annotation, _ = read_trail_annotation(path)
        if annotation is not None:
            annotations[annotation.trace_id] = annotation
    traces = sorted((root / "trail").glob("traces_*/*.json"))
    facts["trail_annotations"] = len(annotations)
    facts["trail_annotations_ra"] = sum(a.resource_abuse for a in annotations.values())
    for path, rows in _by_file(traces).items():
        doc = json.loads(path.read_text(encoding="utf-8"))
        annotation = annotations[str(doc.get("trace_id") or path.stem)]
        turn_of = {sid: k for k, t in enumerate(trail_turns(doc)) for sid in t.span_ids}
        located = [turn_of.get(str(e.location)) for e in annotation.errors if e.category == RESOURCE_ABUSE]
        roots = [s.get("span_name") for s in doc["spans"]]
        system = "trail-swe" if "process_item" in roots else "trail-gaia"
        labels = {"resource_abuse": annotation.resource_abuse, "ra_turns": located}
        runs.append(_run(system, path.stem, rows, size=path.stat().st_size, labels=labels))
    # ---- MAST
    mast = root / "mast_masft"
    rows_of, _ = read_mast_annotations(mast / "annotations.csv")
    logs = [p for p in sorted(mast.rglob("*.json")) if (detect_format(p) or "").startswith("mast-")]
    for path, rows in _by_file(logs).items():
        key = path.relative_to(mast).as_posix()
        labels = rows_of.get(key, [{}])[0]
        system = {"mast-hyperagent": "HyperAgent", "mast-ag2": "AG2", "mast-metagpt": "MetaGPT"}[
            str(detect_format(path))
        ]
        runs.append(_run(system, key, rows, labels=dict(labels)))
    # ---- Who&When
    files = sorted((root / "whowhen").rglob("*.json"))
    for path, rows in _by_file(files).items():
        doc = json.loads(path.read_text(encoding="utf-8"))
        label = whowhen_label(doc)
        turns = whowhen_turns(doc["history"])
        failed = next((k for k, t in enumerate(turns) if t.agent == TERMINAL and t.tool == "fail"), None)
        labels = {"mistake_step": label.step, "first_failed_execution": failed}
        runs.append(_run("whowhen", path.stem, rows, labels=labels))
    return runs, facts


# ------------------------------------------------------------------------------------------------ evaluation


def _fixed_flag(y: np.ndarray, score: np.ndarray, b: int) -> dict[str, Any]:
    flag = score >= THRESHOLD
    p, r = S.precision_recall(y, flag)
    p_lo, p_hi = S.bootstrap_ci(y, lambda i: S.precision_recall(y[i], flag[i])[0], b=b, seed=2)
    r_lo, r_hi = S.bootstrap_ci(y, lambda i: S.precision_recall(y[i], flag[i])[1], b=b, seed=3)
    return {"flagged": int(flag.sum()), "precision": [p, p_lo, p_hi], "recall": [r, r_lo, r_hi]}


def evaluate(name: str, subset: str, runs: list[Run], y: np.ndarray, b: int, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {"label": name, "subset": subset, "n": len(runs), "positives": int(y.sum())}
    if y.sum() < 2 or (~y).sum() < 2:
        out["skipped"] = f"{int(y.sum())} positives of {len(runs)}: not evaluable"
        return out
    turns = np.array([r.turns for r in runs], float)
    score = np.array([r.score for r in runs], float)
    log_turns = np.log1p(turns)
    out["length_auroc"] = S.auroc_ci(y, turns, b=b, seed=0)
    out["score_auroc"] = S.auroc_ci(y, score, b=b, seed=0)
    if any(r.restarts for r in runs):
        out["restarts_auroc"] = S.auroc_ci(y, np.array([r.restarts for r in runs], float), b=b, seed=0)
    matched, pairs = S.matched_auroc(score, turns, y)
    out["matched_auroc"] = [
        matched,
        *S.bootstrap_ci(y, lambda i: S.matched_auroc(score[i], turns[i], y[i])[0], b=max(b // 4, 100), seed=1),
        pairs,
    ]
    out["lrt"] = S.lrt(log_turns[:, None], np.column_stack([log_turns, score]), y)
    out["fixed_flag"] = _fixed_flag(y, score, b)
    for key, x in (("cv_score", score), ("cv_length", turns)):
        cv = S.cross_validate(x, y, logistic=False, repeats=repeats)
        out[key] = {
            "precision": cv["precision"],
            "recall": cv["recall"],
            "threshold": float(np.median(cv["thresholds"])),
        }
    base = S.cross_validate(log_turns, y, logistic=True, repeats=repeats)
    both = S.cross_validate(np.column_stack([log_turns, score]), y, logistic=True, repeats=repeats)
    delta = np.array(both["auroc_repeats"]) - np.array(base["auroc_repeats"])
    out["cv_logistic"] = {
        "length": base["auroc"],
        "length_score": both["auroc"],
        "delta": float(np.mean(delta)),
        "delta_range": [float(np.quantile(delta, 0.025)), float(np.quantile(delta, 0.975))],
    }
    return out


def label_sets(runs: list[Run]) -> list[tuple[str, str, list[Run], np.ndarray]]:
    trail = [r for r in runs if r.system.startswith("trail")]
    small = [r for r in trail if r.size <= MB]
    gaia = [r for r in small if r.system == "trail-gaia"]
    out = []
    for subset, group in (
        (f"all traces ({len(trail)})", trail),
        (f"traces ≤ 1 MB ({len(small)})", small),
        (f"GAIA traces ≤ 1 MB ({len(gaia)})", gaia),
    ):
        out.append(("TRAIL Resource Abuse", subset, group, np.array([r.labels["resource_abuse"] for r in group])))
    mast = [r for r in runs if r.system in ("HyperAgent", "AG2", "MetaGPT") and r.labels]
    hyper = [r for r in mast if r.system == "HyperAgent"]
    for key, title in MAST_LABELS:
        for subset, group in ((f"runs with a trace ({len(mast)})", mast), (f"HyperAgent ({len(hyper)})", hyper)):
            usable = [r for r in group if r.labels.get(key) is not None]
            out.append((f"MAST {title}", subset, usable, np.array([bool(r.labels[key]) for r in usable])))
    return out


def trail_locations(runs: list[Run]) -> dict[str, Any]:
    hits: dict[str, list[bool]] = {"near-repeat turn": [], "within ±1 turn of one": []}
    base: dict[str, list[float]] = {k: [] for k in hits}
    unlocated = 0
    for r in runs:
        if not r.system.startswith("trail") or not r.labels["resource_abuse"]:
            continue
        flags = np.zeros(r.turns, bool)
        flags[[t for t in r.repeat_turns if t < r.turns]] = True
        near = np.array([flags[max(0, i - 1) : i + 2].any() for i in range(r.turns)])
        for turn in r.labels["ra_turns"]:
            if turn is None:
                unlocated += 1
                continue
            for key, f in (("near-repeat turn", flags), ("within ±1 turn of one", near)):
                hits[key].append(bool(f[turn]))
                base[key].append(float(f.mean()))
    tests = {k: S.hit_test(np.array(hits[k]), np.array(base[k])) for k in hits}
    return {"unlocated": unlocated, "tests": tests}


def whowhen(runs: list[Run]) -> dict[str, Any]:
    w = [r for r in runs if r.system == "whowhen" and r.labels["mistake_step"] is not None]
    detectors = {
        "suffix-loop onset": lambda r: r.loop_onset,
        "first near-repeat": lambda r: r.repeat_turns[0] if r.repeat_turns else None,
        "first failed execution": lambda r: r.labels["first_failed_execution"],
    }
    out: dict[str, Any] = {"runs": len(w), "detectors": []}
    for name, onset_of in detectors.items():
        fired = [(onset_of(r), r.labels["mistake_step"], r.turns) for r in w if onset_of(r) is not None]
        entry: dict[str, Any] = {"detector": name, "fired": len(fired)}
        if fired:
            o, s, n = (np.array(v, float) for v in zip(*fired, strict=True))
            entry["on_or_before"] = S.hit_test(o <= s, (s + 1) / n)
            entry["exact"] = S.hit_test(o == s, 1 / n)
            entry["median_offset"] = float(np.median(o - s))
        out["detectors"].append(entry)
    return out


def tau_regimes(shared: Path, b: int) -> dict[str, Any] | None:
    """τ-bench (200 GPT-4o airline runs): the regimes, and whether failure follows a repeated (state, action) pair
    or only length (LRT of the repeat indicator over log-turns)."""
    path = shared / "external" / "tau-bench-gpt-4o-airline.json"
    if not path.is_file():
        return None
    from trajdyn.analyzer import SpanDocuments, read_spans, steps, trajectories
    from trajdyn.analyzer.metrics.dynamics import analyze_dynamics
    from trajdyn.formats import convert

    data = read_spans([SpanDocuments(path.name, convert(path).requests)])
    traj = trajectories(data)
    per = analyze_dynamics(steps(data), traj).per_trajectory
    outcome = dict(zip(traj["trajectory_id"].to_list(), traj["outcome"].to_list(), strict=True))
    rows = [
        {"dynamics": row, "outcome": outcome.get(key)}
        for key, row in per.items()
        if row["turns"] and outcome.get(key) in ("success", "failure")
    ]
    regimes: dict[str, int] = {}
    for r in rows:
        regimes[r["dynamics"]["regime"]] = regimes.get(r["dynamics"]["regime"], 0) + 1
    turns = np.array([r["dynamics"]["turns"] for r in rows], float)
    failed = np.array([r["outcome"] == "failure" for r in rows])
    repeats = np.array(
        [next((x["repeated"] for x in r["dynamics"]["state_action_repeats"] if x["n"] == 1), 0) > 0 for r in rows]
    )
    log_turns = np.log1p(turns)
    return {
        "runs": len(rows),
        "regimes": regimes,
        "shorter_than_19": int((turns < 19).sum()),
        "median_turns": float(np.median(turns)),
        "fail_with_repeat": [int((failed & repeats).sum()), int(repeats.sum())],
        "fail_without_repeat": [int((failed & ~repeats).sum()), int((~repeats).sum())],
        "lrt_repeat_over_length": S.lrt(log_turns[:, None], np.column_stack([log_turns, repeats]), failed)["p"],
        "turns_auroc_failure": S.auroc_ci(failed, turns, b=b, seed=0),
    }


# ------------------------------------------------------------------------------------------------ printing


def _f(x: Any, d: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{d}f}"


def _ci(v: Any) -> str:
    return f"{_f(v[0])} [{_f(v[1])}, {_f(v[2])}]"


def render(results: dict[str, Any]) -> str:
    lines = [
        f"TRAIL annotation files: {results['facts']['trail_annotations']} "
        f"({results['facts']['trail_annotations_ra']} with Resource Abuse)",
        "",
    ]
    lines += [
        "| label | subset | n (pos.) | turns AUROC | score AUROC | length-matched AUROC (pairs) | LRT p | "
        f"flag ≥ {THRESHOLD}: precision / recall | CV P / R of score @ thr | CV P / R of turns @ thr | "
        "CV AUROC log-turns → + score (Δ) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in results["labels"]:
        head = f"| {e['label']} | {e['subset']} | {e['n']} ({e['positives']})"
        if "skipped" in e:
            lines.append(head + f" | {e['skipped']} | | | | | | | |")
            continue
        m, fl, cs, cl, lg = e["matched_auroc"], e["fixed_flag"], e["cv_score"], e["cv_length"], e["cv_logistic"]
        restarts = f"; restarts {_ci(e['restarts_auroc'])}" if "restarts_auroc" in e else ""
        lines.append(
            head + f" | {_ci(e['length_auroc'])} | {_ci(e['score_auroc'])}{restarts} | {_ci(m[:3])} ({m[3]}) | "
            f"{_f(e['lrt']['p'], 3)}{'' if e['lrt']['converged'] else ' (sep.)'} | "
            f"{_ci(fl['precision'])} / {_ci(fl['recall'])} ({fl['flagged']} flagged) | "
            f"{_f(cs['precision'])} / {_f(cs['recall'])} @ {_f(cs['threshold'], 3)} | "
            f"{_f(cl['precision'])} / {_f(cl['recall'])} @ {_f(cl['threshold'], 0)} | "
            f"{_f(lg['length'])} → {_f(lg['length_score'])} ({lg['delta']:+.3f}) |"
        )
    loc = results["trail_locations"]
    lines += [
        "",
        f"TRAIL Resource Abuse locations on turns (unlocated: {loc['unlocated']}):",
        "",
        "| turn is … | RA locations | rate | baseline (same runs) | p |",
        "|---|---|---|---|---|",
    ]
    for k, t in loc["tests"].items():
        lines.append(f"| {k} | {t['n']} | {_f(t['rate'])} | {_f(t['baseline_rate'])} | {_f(t['p_two_sided'], 3)} |")
    w = results["whowhen"]
    lines += [
        "",
        f"Who&When ({w['runs']} runs): onset against the mistake step (baseline: a uniformly random step)",
        "",
        "| onset | runs where it exists | on or before the mistake | exactly at it | median onset − mistake |",
        "|---|---|---|---|---|",
    ]
    for d in w["detectors"]:
        if not d["fired"]:
            lines.append(f"| {d['detector']} | 0 | – | – | – |")
            continue
        b, x = d["on_or_before"], d["exact"]
        lines.append(
            f"| {d['detector']} | {d['fired']} | {_f(b['rate'])} vs {_f(b['baseline_rate'])} "
            f"(p = {_f(b['p_two_sided'], 3)}) | {_f(x['rate'])} vs {_f(x['baseline_rate'])} "
            f"(p = {_f(x['p_two_sided'], 3)}) | {d['median_offset']:+.0f} |"
        )
    t = results.get("tau_regimes")
    if t:
        (fw, nw), (fo, no) = t["fail_with_repeat"], t["fail_without_repeat"]
        lines += [
            "",
            f"τ-bench ({t['runs']} runs, median {t['median_turns']:.0f} turns, {t['shorter_than_19']} shorter "
            f"than 19): regimes {json.dumps(t['regimes'])}; failure with a repeated (state, action) pair "
            f"{fw}/{nw}, without {fo}/{no}; LRT of the repeat over log-turns p = {_f(t['lrt_repeat_over_length'], 3)}; "
            f"turns predict failure with AUROC {_ci(t['turns_auroc_failure'])}",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 bootstrap replicates and 10 CV repeats")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args()
    shared = Path(os.environ.get("TRAJDYN_SHARED_DIR", Path(__file__).resolve().parents[1] / ".." / "shared"))
    root = shared / "external" / "labeled"
    if not root.is_dir():
        raise SystemExit(f"{root} is absent: set TRAJDYN_SHARED_DIR")
    b, repeats = (200, 10) if args.quick else (2000, 50)
    runs, facts = collect(root)
    results = {
        "facts": facts,
        "labels": [evaluate(name, subset, group, y, b, repeats) for name, subset, group, y in label_sets(runs)],
        "trail_locations": trail_locations(runs),
        "whowhen": whowhen(runs),
        "tau_regimes": tau_regimes(shared, b),
    }
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
