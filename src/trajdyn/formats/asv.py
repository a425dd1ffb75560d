"""asv (airspeed velocity) result files: one benchmarked commit each, read into one record per measured series.

asv writes ``results/<machine>/<commit[:8]>-<env>.json`` per commit and environment (result format version 2)::

    {commit_hash, env_name, date (unix ms), params{machine, python, ...}, python, requirements, env_vars,
     result_columns: [result, params, version, started_at, duration, stats_ci_99_a, ...],
     results: {<benchmark>: [<value per result_columns>; trailing columns may be omitted]}, durations, version: 2}

and, next to the machine folders, ``benchmarks.json`` (``{<benchmark>: {type, unit, params, param_names, ...},
"version": 2}``) and ``<machine>/machine.json``. Rules:

* a run is a result file (a commit on a machine); its time is ``date`` (not the file name: names sort by commit
  hash within a day), its label the commit's first 8 hex digits;
* a *series* is a (benchmark, parameter combination): a parameterised benchmark's ``result`` holds one value per
  element of the cartesian product of its ``params`` (row-major, asv's order); the record's task id is the
  benchmark name, with the combination in parentheses (``suite.time_run('SequentialRunner')``); a ``null`` value
  (a failed or skipped combination) is no record;
* the value is the raw measurement (``score``), with its ``unit`` from ``benchmarks.json`` (found next to the
  file or one folder up) or from the benchmark's name prefix (``time_`` seconds, ``mem_``/``peakmem_`` bytes);
  lower is better (asv's default);
* ``model`` is the machine (``params.machine``), ``suite`` the environment (``env_name``).

``benchmarks.json`` and ``machine.json`` are recognised (:data:`METADATA_FORMAT`) and give no record, so a results
folder reads without input errors. A result file of an older layout (``results`` as ``{bench: value}``, no
``result_columns``) is read the same way. Problems are ``path:line: message``; a bad benchmark entry is skipped and
the rest of the run kept. See docs/importers.md.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path
from typing import Any, Final

from trajdyn._problems import InputProblem
from trajdyn.formats._kinds import ResultFormat
from trajdyn.formats._read import head_text

__all__ = ["FORMAT", "METADATA_FORMAT", "NAME", "parse_result", "series_name"]

NAME: Final = "asv"
METADATA: Final = "asv-metadata"

_HEAD_RESULT = re.compile(rb'^\{\s*"commit_hash"\s*:\s*"[0-9a-fA-F]+"')
_ENV = re.compile(rb'"env_name"\s*:')
_RESULTS = re.compile(rb'"(result_columns|results)"\s*:')
_BENCH_ENTRY = re.compile(rb'^\{\s*"[^"]+"\s*:\s*\{[^{}]*"code"\s*:')
_BENCH_KEYS = re.compile(rb'"(param_names|unit)"\s*:')
_MACHINE = re.compile(rb'^\{\s*"(machine|arch|cpu|os|ram|num_cpu)"\s*:')
_MACHINE_VERSION = re.compile(rb'"version"\s*:\s*1\b')
_UNITS: Final = (("time_", "seconds"), ("peakmem_", "bytes"), ("mem_", "bytes"))


def _is_result(head: bytes) -> bool:
    text = head_text(head)
    return bool(_HEAD_RESULT.match(text) and _ENV.search(text) and _RESULTS.search(text))


def _is_metadata(head: bytes) -> bool:
    """``benchmarks.json`` (benchmark objects with ``code`` and ``unit``/``param_names``) or ``machine.json``."""
    text = head_text(head)
    if _BENCH_ENTRY.match(text) and _BENCH_KEYS.search(text):
        return True
    return bool(_MACHINE.match(text) and _MACHINE_VERSION.search(text) and b'"machine"' in text)


def series_name(benchmark: str, combination: tuple[str, ...]) -> str:
    """The task id of one series: the benchmark, with its parameter combination (asv's reprs) in parentheses."""
    return f"{benchmark}({', '.join(combination)})" if combination else benchmark


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return 0 if at < 0 else text.count("\n", 0, at) + 1


def _benchmarks(path: str) -> dict[str, Any]:
    """``benchmarks.json`` next to the result file or one folder up (asv's layout), ``{}`` when absent or bad."""
    here = Path(path).parent
    for folder in (here, here.parent):
        candidate = folder / "benchmarks.json"
        try:
            doc = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            return doc
    return {}


def _unit(name: str, meta: object) -> str | None:
    if isinstance(meta, dict) and isinstance(meta.get("unit"), str) and meta["unit"]:
        return str(meta["unit"])
    leaf = name.rsplit(".", 1)[-1]
    for prefix, unit in _UNITS:
        if leaf.startswith(prefix):
            return unit
    return None


def _value(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    out = float(raw)
    return out if math.isfinite(out) else None


def _series(
    name: str, entry: object, columns: list[str] | None
) -> tuple[list[tuple[tuple[str, ...], float | None]], str | None]:
    """(combination, value) pairs of one benchmark entry, or a problem."""
    if columns is None:  # older layout: {bench: value}
        return [((), _value(entry))], None if entry is None or _value(entry) is not None else "value is not a number"
    if not isinstance(entry, list):
        return [], "expected a list of columns"
    row = dict(zip(columns, entry, strict=False))
    result, params = row.get("result"), row.get("params", [])
    if result is None:
        return [], None
    if not isinstance(result, list):
        result = [result]
    if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
        return [], "params is not a list of lists"
    combinations = [tuple(str(v) for v in c) for c in itertools.product(*params)] if params else [()]
    if len(combinations) != len(result):
        return [], f"{len(result)} values for {len(combinations)} parameter combinations"
    out: list[tuple[tuple[str, ...], float | None]] = []
    for combination, raw in zip(combinations, result, strict=True):
        if raw is not None and _value(raw) is None:
            return [], f"value {raw!r} is not a number"
        out.append((combination, _value(raw)))
    return out, None


def parse_result(path: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    """Records (one per measured series) and problems of one asv result file's ``text``; never raises."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [], [InputProblem(path, int(getattr(exc, "lineno", 0)), f"not JSON: {getattr(exc, 'msg', exc)}")]
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        return [], [InputProblem(path, 1, "not an asv result file: no results object")]
    errors: list[InputProblem] = []
    commit = doc.get("commit_hash")
    run_id = commit[:8] if isinstance(commit, str) and commit else Path(path).stem
    date = _value(doc.get("date"))
    if date is None:
        errors.append(InputProblem(path, _line_of(text, '"date"'), "date is not unix milliseconds: ordered last"))
    params = doc.get("params")
    machine = params.get("machine") if isinstance(params, dict) else None
    env = doc.get("env_name")
    columns_raw = doc.get("result_columns")
    columns = [str(c) for c in columns_raw] if isinstance(columns_raw, list) else None
    meta = _benchmarks(path)
    base: dict[str, Any] = {
        "path": path,
        "model": str(machine) if machine is not None else None,
        "run_id": run_id,
        "time": None if date is None else date / 1000.0,
        "benchmark_version": None,
        "suite": str(env) if env is not None else None,
        "in_progress": False,
        "cost": None,
        "tokens": None,
        "duplicates": 0,
        "higher_is_better": False,
    }
    records: list[dict[str, Any]] = []
    for name, entry in doc["results"].items():
        values, problem = _series(name, entry, columns)
        if problem is not None:
            errors.append(
                InputProblem(path, _line_of(text, json.dumps(name)), f"benchmark {name!r}: {problem}: skipped")
            )
            continue
        unit = _unit(name, meta.get(name))
        for combination, value in values:
            if value is not None:
                records.append(
                    {**base, "task_id": series_name(name, combination), "score": value, "unit": unit or "value"}
                )
    if not records:
        errors.append(InputProblem(path, _line_of(text, '"results"'), "no measured benchmark: run skipped"))
    return records, errors


def _no_records(path: str, text: str) -> tuple[list[dict[str, Any]], list[InputProblem]]:
    """asv's ``benchmarks.json`` / ``machine.json``: metadata read by :func:`parse_result`, no record of their own."""
    del path, text
    return [], []


FORMAT: Final = ResultFormat(
    name=NAME,
    description="asv result file (results/<machine>/<commit>-<env>.json: one run, a measured series per benchmark)",
    sniff=_is_result,
    parse=parse_result,
)
METADATA_FORMAT: Final = ResultFormat(
    name=METADATA,
    description="asv benchmarks.json / machine.json (units and parameters for the asv result files; no run)",
    sniff=_is_metadata,
    parse=_no_records,
)
