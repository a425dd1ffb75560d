"""popoto's constant-sweep summaries (``tests/benchmarks/results/sweep_*.json``), read into sweep records.

popoto's ``SweepRunner`` evaluates each behavioural constant at a grid of values over a bank of scenarios and writes::

    {run_id, timestamp, metadata{total_evaluations, total_ok, tiers_run, ...},
     constants{NAME: {best_value, best_ndcg_at_5, sensitivity_curve: [[value, ndcg@5], ...], cliff_effects: [],
                      n_points_ok, n_points_total, n_errors, n_degenerate, scenarios: [...], query_duration{...}}},
     pairwise{A_x_B: {n_points_ok, n_points_total, points: [{value_a, value_b, ndcg_at_5, ...}]}}}

Each curve point is already the mean over the ok scenarios (no replicates are kept), so the ``sweeps`` section
estimates the noise from the curve itself (docs/metrics/sweeps.md). ``cliff_effects`` (``[[from, to, |Δ|], ...]``,
popoto's ``|s1 − s2| ≥ 0.15`` rule, rises included) and ``best_value`` are kept as what the file claimed, never used
as results. Errors and degenerate points are counts per constant. A value may be a number or a JSON object
(``score_weights``); values become canonical strings. A bad constant or point is an ``InputProblem`` and skipped;
the rest of the file is kept.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._kinds import SweepFormat

__all__ = ["FORMAT", "NAME", "canonical_value", "parse_sweep", "sniff"]

NAME: Final = "popoto-sweep"
_CONSTANTS = re.compile(rb'"constants"\s*:\s*\{')
_CURVE_FIELDS = re.compile(rb'"(sensitivity_curve|best_ndcg_at_5|cliff_effects|n_points_ok)"\s*:')
_PAIR_SEP: Final = "_x_"


def sniff(head: bytes) -> bool:
    """A JSON object with ``constants`` holding popoto's curve fields."""
    stripped = head.lstrip()
    return stripped[:1] == b"{" and bool(_CONSTANTS.search(head)) and bool(_CURVE_FIELDS.search(head))


def canonical_value(value: object) -> str | None:
    """A constant's value as a canonical string: numbers by :func:`repr` (ints stay ints), objects as sorted JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return None


def _count(entry: dict[str, Any], key: str) -> int | None:
    value = entry.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _score(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _cliffs(raw: object) -> str | None:
    if not isinstance(raw, list):
        return None
    return json.dumps(raw, sort_keys=True, separators=(",", ":"))


def _constant(source: str, name: str, entry: object, problems: list[InputProblem]) -> list[dict[str, Any]]:
    if not isinstance(entry, dict):
        problems.append(InputProblem(source, 0, f"constant {name!r}: expected an object, got {type(entry).__name__}"))
        return []
    curve = entry.get("sensitivity_curve")
    if not isinstance(curve, list):
        problems.append(InputProblem(source, 0, f"constant {name!r}: no sensitivity_curve list; skipped"))
        return []
    out: list[dict[str, Any]] = [
        {
            "kind": "constant",
            "source": source,
            "constant": name,
            "default": None,
            "n_points_ok": _count(entry, "n_points_ok"),
            "n_points_total": _count(entry, "n_points_total"),
            "n_errors": _count(entry, "n_errors"),
            "n_degenerate": _count(entry, "n_degenerate"),
            "reported_best_value": canonical_value(entry.get("best_value")),
            "reported_best_score": _score(entry.get("best_ndcg_at_5")),
            "reported_cliffs": _cliffs(entry.get("cliff_effects")),
        }
    ]
    for order, point in enumerate(curve):
        value = canonical_value(point[0]) if isinstance(point, list) and len(point) == 2 else None
        score = _score(point[1]) if isinstance(point, list) and len(point) == 2 else None
        if value is None or score is None:
            problems.append(InputProblem(source, 0, f"constant {name!r}: curve point {order} is not [value, score]"))
            continue
        out.append(
            {
                "kind": "point",
                "source": source,
                "constant": name,
                "value": value,
                "order": order,
                "score": score,
                "replicate": None,
                "scenario": None,
                "split": None,
            }
        )
    return out


def _pair(source: str, name: str, entry: object, problems: list[InputProblem]) -> list[dict[str, Any]]:
    points = entry.get("points") if isinstance(entry, dict) else None
    if not isinstance(points, list):
        problems.append(InputProblem(source, 0, f"pairwise {name!r}: no points list; skipped"))
        return []
    a, _, b = name.partition(_PAIR_SEP)
    out: list[dict[str, Any]] = []
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            problems.append(InputProblem(source, 0, f"pairwise {name!r}: point {i} is not an object"))
            continue
        va, vb = canonical_value(point.get("value_a")), canonical_value(point.get("value_b"))
        score = _score(point.get("ndcg_at_5"))
        if va is None or vb is None or score is None:
            problems.append(
                InputProblem(source, 0, f"pairwise {name!r}: point {i} lacks value_a, value_b or ndcg_at_5")
            )
            continue
        out.append(
            {
                "kind": "pair_point",
                "source": source,
                "pair": name,
                "constant_a": a or None,
                "constant_b": b or None,
                "value_a": va,
                "value_b": vb,
                "score": score,
            }
        )
    return out


def parse_sweep(source: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    """The sweep records of one popoto summary (:data:`~trajdyn.formats.SWEEP_RECORD_KINDS`) and its problems."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [], [InputProblem(source, 0, f"not JSON: {exc}")]
    constants = doc.get("constants") if isinstance(doc, dict) else None
    if not isinstance(constants, dict):
        return [], [InputProblem(source, 0, "not a popoto sweep summary: no 'constants' object")]
    problems: list[InputProblem] = []
    records: list[dict[str, Any]] = []
    for name, entry in constants.items():
        records += _constant(source, str(name), entry, problems)
    pairwise = doc.get("pairwise")
    if isinstance(pairwise, dict):
        for name, entry in pairwise.items():
            records += _pair(source, str(name), entry, problems)
    if not records:
        problems.append(InputProblem(source, 0, "the sweep summary holds no usable constant"))
    return records, problems


FORMAT: Final = SweepFormat(
    name=NAME,
    description="popoto constant-sweep summary (constants{NAME: sensitivity_curve, cliff_effects, n_errors, ...})",
    sniff=sniff,
    parse=parse_sweep,
)
