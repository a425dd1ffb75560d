"""github-action-benchmark data (``data.js``): a benchmark history of many commits, read into one record per
(commit, bench) for the trends family.

The action keeps its history on the pages branch as ``dev/bench/data.js``::

    window.BENCHMARK_DATA = {lastUpdate (unix ms), repoUrl,
      entries: {<suite>: [{commit{id, message, timestamp (ISO), author, ...}, date (unix ms), tool,
                           benches: [{name, value, unit, range?, extra?}]}, ...]}}

(the bare JSON object is accepted too). Rules:

* a run is a commit of a suite (one file holds them all): its key is ``<file>#<suite>#<commit id>``, its label the
  commit's first 8 hex digits, its time the earliest ``date`` of its entries (entries of one commit written by
  parallel jobs are not always adjacent and their dates are not monotone);
* a *series* is a bench ``name`` within a suite (the record's task id); the suite is the ``model`` and ``suite``
  group key, so ``--group-by task`` gives one group per bench;
* ``value`` is the raw measurement (``score``, with its ``unit``), a number or a string holding one; an empty
  string is a missing value (a job that produced nothing: no record, never 0); a commit with no value at all is kept
  as one record without task or score (the run exists, it has nothing to show); a (commit, bench) listed twice is
  averaged (``duplicates``);
* direction from ``tool``: ``customBiggerIsBetter``, ``benchmarkjs`` (ops/sec) and ``pytest`` (iter/sec) are
  bigger-is-better, every other tool smaller-is-better (the action's own rule).

Problems are ``path:line: message``; a bad entry or bench is skipped and the rest kept. See docs/importers.md.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._kinds import ResultFormat
from trajdyn.formats._read import head_text

__all__ = ["BIGGER_IS_BETTER", "FORMAT", "NAME", "parse_result"]

NAME: Final = "github-action-benchmark"
BIGGER_IS_BETTER: Final = frozenset({"customBiggerIsBetter", "benchmarkjs", "pytest"})
"""Tools whose values grow with performance (github-action-benchmark's ``biggerIsBetter``)."""

_PREFIX = re.compile(r"^\s*window\.BENCHMARK_DATA\s*=\s*")
_HEAD_JS = re.compile(rb"^window\.BENCHMARK_DATA\s*=")
_HEAD_JSON = re.compile(rb'^\{\s*"lastUpdate"\s*:')
_ENTRIES = re.compile(rb'"entries"\s*:\s*\{')


def _is_data(head: bytes) -> bool:
    text = head_text(head)
    return bool(_HEAD_JS.match(text) or (_HEAD_JSON.match(text) and _ENTRIES.search(text)))


def _number(raw: object) -> float | None:
    """A bench value: a number, or a string holding one; None for anything else (``""`` included)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return None
    if not isinstance(raw, int | float):
        return None
    out = float(raw)
    return out if math.isfinite(out) else None


def _timestamp(commit: dict[str, Any]) -> float | None:
    stamp = commit.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


class _Lines:
    """1-based line numbers of commit ids in the text, in order of appearance (one per entry)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0

    def of(self, commit_id: str) -> int:
        at = self.text.find(json.dumps(commit_id), self.cursor)
        if at < 0:
            return 0
        self.cursor = at + 1
        return self.text.count("\n", 0, at) + 1


def parse_result(path: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    """Records (one per commit and bench with a value) and problems of one ``data.js``; never raises."""
    body = _PREFIX.sub("", text, count=1).rstrip().rstrip(";")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        return [], [InputProblem(path, int(getattr(exc, "lineno", 0)), f"not JSON: {getattr(exc, 'msg', exc)}")]
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        return [], [InputProblem(path, 1, "not github-action-benchmark data: no entries object")]
    errors: list[InputProblem] = []
    lines = _Lines(text)
    # (suite, commit) → run facts; (suite, commit, bench) → values
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    values: dict[tuple[str, str, str], list[float]] = {}
    units: dict[tuple[str, str, str], str] = {}
    direction: dict[str, bool] = {}
    for suite, items in entries.items():
        if not isinstance(items, list):
            errors.append(InputProblem(path, 0, f"suite {suite!r}: expected a list of entries: skipped"))
            continue
        for k, item in enumerate(items):
            commit = item.get("commit") if isinstance(item, dict) else None
            cid = commit.get("id") if isinstance(commit, dict) else None
            if not isinstance(item, dict) or not isinstance(commit, dict) or not isinstance(cid, str) or not cid:
                errors.append(InputProblem(path, 0, f"suite {suite!r} entry {k}: no commit id: skipped"))
                continue
            line = lines.of(cid)
            benches = item.get("benches")
            if not isinstance(benches, list):
                errors.append(InputProblem(path, line, f"commit {cid[:8]}: benches is not a list: skipped"))
                continue
            tool = item.get("tool")
            higher = tool in BIGGER_IS_BETTER
            if direction.setdefault(suite, higher) != higher:
                errors.append(
                    InputProblem(path, line, f"commit {cid[:8]}: tool {tool!r} changes the suite's direction: skipped")
                )
                continue
            date = _number(item.get("date"))
            time = date / 1000.0 if date is not None else _timestamp(commit)
            run = runs.setdefault((suite, cid), {"time": time})
            if time is not None and (run["time"] is None or time < run["time"]):
                run["time"] = time
            for bench in benches:
                name = bench.get("name") if isinstance(bench, dict) else None
                if not isinstance(bench, dict) or not isinstance(name, str) or not name:
                    errors.append(InputProblem(path, line, f"commit {cid[:8]}: a bench without a name: skipped"))
                    continue
                raw = bench.get("value")
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue  # no value recorded for this commit: a gap, not a zero
                value = _number(raw)
                if value is None:
                    errors.append(
                        InputProblem(path, line, f"commit {cid[:8]} bench {name!r}: value {raw!r} is not a number")
                    )
                    continue
                values.setdefault((suite, cid, name), []).append(value)
                unit = bench.get("unit")
                units.setdefault((suite, cid, name), unit if isinstance(unit, str) and unit else "value")
    records = [
        {
            "path": path,
            "run": f"{path}#{suite}#{cid}",
            "model": suite,
            "run_id": cid[:8],
            "time": runs[(suite, cid)]["time"],
            "benchmark_version": None,
            "suite": suite,
            "in_progress": False,
            "task_id": name,
            "score": sum(vs) / len(vs),
            "cost": None,
            "tokens": None,
            "duplicates": len(vs) - 1,
            "unit": units[(suite, cid, name)],
            "higher_is_better": direction[suite],
        }
        for (suite, cid, name), vs in values.items()
    ]
    valued = {(suite, cid) for suite, cid, _ in values}
    records += [  # a commit whose benches are all empty is still a run of the history: kept, with no score
        {
            "path": path,
            "run": f"{path}#{suite}#{cid}",
            "model": suite,
            "run_id": cid[:8],
            "time": run["time"],
            "benchmark_version": None,
            "suite": suite,
            "in_progress": False,
            "task_id": None,
            "score": None,
            "cost": None,
            "tokens": None,
            "duplicates": 0,
            "unit": None,
            "higher_is_better": direction[suite],
        }
        for (suite, cid), run in runs.items()
        if (suite, cid) not in valued
    ]
    if not values:
        errors.append(InputProblem(path, 1, "no bench with a value: nothing to analyse"))
    return records, errors


FORMAT: Final = ResultFormat(
    name=NAME,
    description="github-action-benchmark history (data.js: window.BENCHMARK_DATA, a run per commit, a series per bench)",
    sniff=_is_data,
    parse=parse_result,
)
