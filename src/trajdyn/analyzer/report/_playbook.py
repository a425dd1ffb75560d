"""The ``playbook`` report section: per-entry impact and per-learning-key reports (docs/metrics/playbook.md).

A report-scope section: one top-level ``"playbook"`` block, absent (no key) when the inputs carry no playbook event
(cue hit or adoption), no learning key and no playbook lint (a :class:`~trajdyn.analyzer.metrics.playbook.LintResult`
among the report's options). The block::

    {"options": {...}, "summary": {...}, "entries": [...], "learning_keys": [...], "lint": {...} | null,
     "compare": {...} | null}

``entries`` are the rows of :func:`trajdyn.analyzer.metrics.playbook.playbook_entries` in rank order (negative
within-task estimates first, for audit), each with the entry's lint result when a playbook file was linted;
``learning_keys`` the rows of :func:`~trajdyn.analyzer.metrics.playbook.learning_key_report` with times as ISO-8601
strings and the mode / model breakdowns as objects keyed by name. With ``--compare-to``, every entry, learning key
and the summary gain ``delta``: the same structure holding current − previous for every number (cue and adoption
counts included; null when the previous report lacks the number), ``new: true`` for entries / keys the previous
report did not have, and ``compare`` lists what appeared and disappeared. Options:
:class:`~trajdyn.analyzer.metrics.playbook.PlaybookOptions` (docs/metrics/playbook.md, docs/report.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from trajdyn import conventions as C
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._escape import markdown_cell, markdown_code, markdown_text, terminal_markup, terminal_text
from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.analyzer.report._json import to_json_value
from trajdyn.analyzer.report._model import JSONValue, Report, ReportContext, ReportSection, SectionResult
from trajdyn.analyzer.report._sparkline import sparkline

if TYPE_CHECKING:
    import polars as pl
    from rich.console import RenderableType

__all__ = ["PlaybookSection", "numeric_delta"]

ARTIFACT_DIR: Final = "playbook"
_PLAYBOOK_EVENTS: Final = (C.EVENT_CUE_HIT, C.EVENT_ADOPTION)
_SESSION_EVENTS: Final = (C.EVENT_CUE_HIT, C.EVENT_ADOPTION, C.EVENT_RETRY, C.EVENT_FAILURE)


def _iso(ns: object) -> str | None:
    if not isinstance(ns, int) or isinstance(ns, bool):
        return None
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def numeric_delta(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, JSONValue]:
    """current − previous for every number of ``current`` (nested objects recursively; lists, strings, booleans
    skipped); null where the previous value is missing or not a number."""
    prev = previous if isinstance(previous, Mapping) else {}
    out: dict[str, JSONValue] = {}
    for key, value in current.items():
        if key in ("delta", "new") or isinstance(value, bool):
            continue
        before = prev.get(key)
        before_is_number = isinstance(before, int | float) and not isinstance(before, bool)
        if isinstance(value, int | float):
            out[key] = to_json_value(value - before) if before_is_number else None  # type: ignore[operator]
        elif isinstance(value, Mapping):
            out[key] = numeric_delta(value, before if isinstance(before, Mapping) else None)
        elif value is None and before_is_number:
            out[key] = None
    return out


def _has_playbook_data(ctx: ReportContext) -> bool:
    import polars as pl

    events = ctx.events
    if events is not None and events.height and events.filter(pl.col(K.EVENT_NAME).is_in(_PLAYBOOK_EVENTS)).height:
        return True
    traj = ctx.trajectories
    return K.LEARNING_KEY in traj.columns and traj[K.LEARNING_KEY].drop_nulls().len() > 0


def _summary(sessions: pl.DataFrame, events: pl.DataFrame | None, entries: list[dict[str, Any]]) -> dict[str, Any]:
    import polars as pl

    from trajdyn.analyzer.metrics import playbook as P

    def total(column: str) -> int:
        return int(sessions[column].sum()) if sessions.height else 0

    def with_any(column: str) -> int:
        return int((sessions[column] > 0).sum()) if sessions.height else 0

    hits, adoptions, ok = total(P.CUE_HITS), total(P.ADOPTIONS), total(P.SUCCESSFUL)
    unattributed = 0
    if events is not None and events.height:
        known = sessions[K.TRAJECTORY_ID].implode()
        unattributed = events.filter(
            pl.col(K.EVENT_NAME).is_in(_SESSION_EVENTS) & ~pl.col(K.TRAJECTORY_ID).is_in(known)
        ).height
    keyed = int(sessions[K.LEARNING_KEY].is_not_null().sum()) if sessions.height else 0
    return {
        "sessions": sessions.height,
        "sessions_with_learning_key": keyed,
        "learning_keys": int(sessions[K.LEARNING_KEY].drop_nulls().n_unique()) if sessions.height else 0,
        "sessions_with_reward": int(sessions[K.REWARD].is_not_null().sum()) if sessions.height else 0,
        "entries": len(entries),
        "entries_significant": sum(1 for e in entries if e["significant"]),
        "entries_negative": sum(1 for e in entries if e["audit"]),
        "entries_low_support": sum(1 for e in entries if e["low_support"]),
        "cue_hits": hits,
        "sessions_with_cue_hits": with_any(P.CUE_HITS),
        "adoptions": adoptions,
        "successful_adoptions": ok,
        "failed_adoptions": total(P.FAILED),
        "adoption_rate_per_cue_hit": ok / hits if hits else None,
        "adoption_success_rate": ok / adoptions if adoptions else None,
        "retries": total(P.RETRIES),
        "sessions_with_retries": with_any(P.RETRIES),
        "failures": total(P.FAILURES),
        "sessions_with_failures": with_any(P.FAILURES),
        "unattributed_events": unattributed,
    }


def _breakdown(items: Sequence[Mapping[str, Any]] | None, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        name = str(item[label])
        out[name] = {k: (_iso(v) if k == "last_start_ns" else v) for k, v in item.items() if k != label}
        out[name]["last_start"] = out[name].pop("last_start_ns")
    return out


def _key_json(row: Mapping[str, Any]) -> dict[str, Any]:
    latest = []
    for s in row["latest_sessions"] or []:
        item = dict(s)
        item["start"] = _iso(item.pop(K.START_NS))
        latest.append(item)
    return {
        K.LEARNING_KEY: row[K.LEARNING_KEY],
        "slug": row["slug"],
        "sessions": row["sessions"],
        "tasks": row["tasks"],
        "first_start": _iso(row["first_start_ns"]),
        "last_start": _iso(row["last_start_ns"]),
        "reward": dict(row["reward"]) if row["reward"] is not None else None,
        "execution_modes": _breakdown(row["execution_modes"], "mode"),
        "execution_mode_missing": row["execution_mode_missing"],
        "models": _breakdown(row["models"], "model"),
        "retries": dict(row["retries"]),
        "failures": dict(row["failures"]),
        "usage": dict(row["usage"]),
        "latest_sessions": latest,
    }


def _compare(block: dict[str, Any], previous: Mapping[str, Any]) -> None:
    """Add deltas against the previous report's playbook block (in place)."""
    prev_block = previous.get("playbook")
    info: dict[str, Any] = {"previous_generated_at": previous.get("generated_at"), "previous_has_playbook": False}
    block["compare"] = info
    if not isinstance(prev_block, Mapping):
        return
    info["previous_has_playbook"] = True
    prev_entries = {str(e.get(K.ENTRY_ID)): e for e in prev_block.get("entries") or [] if isinstance(e, Mapping)}
    prev_keys = {str(k.get(K.LEARNING_KEY)): k for k in prev_block.get("learning_keys") or [] if isinstance(k, Mapping)}
    for entry in block["entries"]:
        before = prev_entries.get(entry[K.ENTRY_ID])
        entry["new"] = before is None
        entry["delta"] = numeric_delta(entry, before) if before is not None else None
    for key in block["learning_keys"]:
        before = prev_keys.get(key[K.LEARNING_KEY])
        key["new"] = before is None
        key["delta"] = numeric_delta(key, before) if before is not None else None
    summary = prev_block.get("summary")
    block["summary"]["delta"] = numeric_delta(block["summary"], summary if isinstance(summary, Mapping) else None)
    now_entries = {e[K.ENTRY_ID] for e in block["entries"]}
    now_keys = {k[K.LEARNING_KEY] for k in block["learning_keys"]}
    info["entries_new"] = sorted(now_entries - set(prev_entries))
    info["entries_gone"] = sorted(set(prev_entries) - now_entries)
    info["learning_keys_new"] = sorted(now_keys - set(prev_keys))
    info["learning_keys_gone"] = sorted(set(prev_keys) - now_keys)


# ------------------------------------------------------------------------------------------------------------------
# rendering helpers
# ------------------------------------------------------------------------------------------------------------------
def _d(value: object, delta: object, digits: int = 3, *, pct: bool = False) -> str:
    """A number with its delta in parentheses when there is one."""
    text = fmt_pct(value, 1) if pct else fmt_num(value, digits)
    if isinstance(delta, int | float) and not isinstance(delta, bool):
        if pct:
            text += f" ({delta * 100:+.1f} pp)"
        elif isinstance(delta, int):
            text += f" ({delta:+d})"
        else:
            text += f" ({delta:+.{digits}g})"
    return text


def _delta(item: Mapping[str, Any], *path: str) -> object:
    node: Any = item.get("delta")
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _ci(entry: Mapping[str, Any]) -> str:
    if entry["ci_low"] is None:
        return ""
    return f" [{fmt_num(entry['ci_low'], 2)}, {fmt_num(entry['ci_high'], 2)}]"


def _flags(entry: Mapping[str, Any]) -> str:
    flags = []
    if entry["audit"]:
        flags.append("AUDIT")
    if entry["significant"]:
        flags.append("significant")
    if entry["low_support"]:
        flags.append("low support")
    if entry.get("new"):
        flags.append("new")
    lint = entry.get("lint")
    if isinstance(lint, Mapping) and not lint.get("passed"):
        flags.append("lint failed")
    return ", ".join(flags) or "–"


ENTRY_HEADERS: Final = (
    "#",
    "entry",
    "cue hits",
    "adoptions ok/failed",
    "ok/hit",
    "ok/adoption",
    "sessions fired/not",
    "Δ reward naive",
    "Δ reward within [CI]",
    "q",
    "tasks (transfer)",
    "retries fired/not",
    "failures fired/not",
    "impact",
    "flags",
)


def _entry_cells(e: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        str(e["rank"]),
        str(e[K.ENTRY_ID]),
        _d(e["cue_hits"], _delta(e, "cue_hits")),
        f"{_d(e['adoptions'], _delta(e, 'adoptions'))}: {e['successful_adoptions']}/{e['failed_adoptions']}",
        _d(e["adoption_rate_per_cue_hit"], _delta(e, "adoption_rate_per_cue_hit"), pct=True),
        _d(e["adoption_success_rate"], _delta(e, "adoption_success_rate"), pct=True),
        f"{e['sessions_fired']}/{e['sessions_not_fired']}",
        _d(e["reward_delta_naive"], _delta(e, "reward_delta_naive")),
        _d(e["reward_delta_within"], _delta(e, "reward_delta_within")) + _ci(e),
        fmt_num(e["q_value"], 2),
        f"{e['distinct_tasks']} ({e['transfer_level']})",
        f"{fmt_num(e['retries_fired'], 2)}/{fmt_num(e['retries_not'], 2)}",
        f"{fmt_num(e['failures_fired'], 2)}/{fmt_num(e['failures_not'], 2)}",
        _d(e["impact_score"], _delta(e, "impact_score")),
        _flags(e),
    )


def _summary_line(s: Mapping[str, Any]) -> str:
    return (
        f"{_d(s['sessions'], _delta(s, 'sessions'))} sessions ({s['sessions_with_learning_key']} with a learning key, "
        f"{s['learning_keys']} keys); entries fired: {_d(s['entries'], _delta(s, 'entries'))}, "
        f"{s['entries_negative']} with a negative within-task estimate, {s['entries_significant']} significant after "
        f"Benjamini–Hochberg; cue hits {_d(s['cue_hits'], _delta(s, 'cue_hits'))}, adoptions "
        f"{_d(s['adoptions'], _delta(s, 'adoptions'))} ({s['successful_adoptions']} ok, {s['failed_adoptions']} failed; "
        f"ok/hit {fmt_pct(s['adoption_rate_per_cue_hit'], 1)}, ok/adoption {fmt_pct(s['adoption_success_rate'], 1)}); "
        f"retries {_d(s['retries'], _delta(s, 'retries'))} in {s['sessions_with_retries']} sessions, failures "
        f"{_d(s['failures'], _delta(s, 'failures'))} in {s['sessions_with_failures']} sessions"
    )


def _momentum(key: Mapping[str, Any]) -> str:
    r = key["reward"]
    if r is None:
        return "no session has a reward"
    ci = f" [{fmt_num(r['ci_low'], 3)}, {fmt_num(r['ci_high'], 3)}]" if r["ci_low"] is not None else ""
    note = " (too little data)" if r["too_little_data"] else ""
    return (
        f"recent {_d(r['recent_mean'], _delta(key, 'reward', 'recent_mean'))} (last {r['recent_n']} of window "
        f"{r['recent_window']}) vs baseline {_d(r['baseline_mean'], _delta(key, 'reward', 'baseline_mean'))} "
        f"({r['baseline_n']} sessions before them, window {r['baseline_window']}): Δ "
        f"{_d(r['delta'], _delta(key, 'reward', 'delta'))}{ci}{note}; latest {fmt_num(r['latest'], 3)}, mean "
        f"{fmt_num(r['mean'], 3)} over {r['sessions_with_reward']}"
    )


def _key_rows(key: Mapping[str, Any]) -> list[tuple[str, str]]:
    modes = ", ".join(
        f"{m} {v['sessions']} ({fmt_pct(v['share'], 0)}, reward {fmt_num(v['reward_mean'], 3)})"
        for m, v in key["execution_modes"].items()
    )
    if key["execution_mode_missing"]:
        modes += (", " if modes else "") + f"unknown {key['execution_mode_missing']}"
    models = ", ".join(
        f"{m} {v['sessions']} (reward {fmt_num(v['reward_mean'], 3)}, latest {fmt_num(v['latest_reward'], 3)})"
        for m, v in key["models"].items()
    )
    u, rt, fl = key["usage"], key["retries"], key["failures"]
    rewards = [s["reward"] for s in reversed(key["latest_sessions"])]
    return [
        ("sessions", f"{_d(key['sessions'], _delta(key, 'sessions'))}, {key['tasks']} tasks"),
        ("span", f"{key['first_start'] or '–'} … {key['last_start'] or '–'}"),
        ("reward momentum", _momentum(key)),
        ("latest rewards", sparkline(rewards, lo=0.0, hi=1.0) if any(r is not None for r in rewards) else "–"),
        ("execution modes", modes or "–"),
        ("models", models or "–"),
        (
            "retries",
            f"{_d(rt['total'], _delta(key, 'retries', 'total'))} in {rt['sessions_with']} sessions "
            f"({fmt_num(rt['per_session'], 3)} per session)",
        ),
        (
            "failures",
            f"{_d(fl['total'], _delta(key, 'failures', 'total'))} in {fl['sessions_with']} sessions "
            f"({fmt_num(fl['per_session'], 3)} per session)",
        ),
        (
            "playbook usage",
            f"cue hits {_d(u['cue_hits'], _delta(key, 'usage', 'cue_hits'))} in {u['sessions_with_cue_hits']} "
            f"sessions ({fmt_pct(u['cue_trigger_rate'], 1)}), adoptions "
            f"{_d(u['adoptions'], _delta(key, 'usage', 'adoptions'))} ({u['successful_adoptions']} ok; ok/adoption "
            f"{fmt_pct(u['adoption_success_rate'], 1)}, ok/hit {fmt_pct(u['adoption_rate_per_cue_hit'], 1)})",
        ),
    ]


KEY_HEADERS: Final = (
    "learning key",
    "sessions",
    "tasks",
    "reward recent",
    "baseline",
    "Δ [CI]",
    "modes",
    "retries",
    "failures",
    "cue hits",
    "adoptions",
)


def _key_cells(key: Mapping[str, Any]) -> tuple[str, ...]:
    r = key["reward"] or {}
    ci = f" [{fmt_num(r['ci_low'], 2)}, {fmt_num(r['ci_high'], 2)}]" if r.get("ci_low") is not None else ""
    modes = ", ".join(f"{m} {v['sessions']}" for m, v in key["execution_modes"].items()) or "–"
    return (
        str(key[K.LEARNING_KEY]) + (" (new)" if key.get("new") else ""),
        _d(key["sessions"], _delta(key, "sessions")),
        str(key["tasks"]),
        f"{fmt_num(r.get('recent_mean'), 3)} (n={r.get('recent_n', 0)})",
        f"{fmt_num(r.get('baseline_mean'), 3)} (n={r.get('baseline_n', 0)})",
        _d(r.get("delta"), _delta(key, "reward", "delta")) + ci,
        modes,
        _d(key["retries"]["total"], _delta(key, "retries", "total")),
        _d(key["failures"]["total"], _delta(key, "failures", "total")),
        _d(key["usage"]["cue_hits"], _delta(key, "usage", "cue_hits")),
        _d(key["usage"]["adoptions"], _delta(key, "usage", "adoptions")),
    )


LATEST_HEADERS: Final = (
    "start",
    "trajectory",
    "task",
    "mode",
    "model",
    "reward",
    "tokens",
    "retries",
    "failures",
    "cues",
)


def _latest_cells(s: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        s["start"] or "–",
        str(s[K.TRAJECTORY_ID]),
        str(s[K.TASK_ID]),
        str(s[K.EXECUTION_MODE] or "–"),
        str(s[K.MODEL] or "–"),
        fmt_num(s[K.REWARD], 3),
        fmt_num(s["tokens"], 6),
        str(s["retries"]),
        str(s["failures"]),
        f"{s['cue_hits']}/{s['adoptions']}",
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _key_markdown(key: Mapping[str, Any], entries: Sequence[Mapping[str, Any]], *, level: int) -> list[str]:
    h = "#" * level
    lines = [f"{h} Learning key {markdown_code(key[K.LEARNING_KEY])}" + (" (new)" if key.get("new") else ""), ""]
    lines += _table(("metric", "value"), _key_rows(key))
    mine = [e for e in entries if key[K.LEARNING_KEY] in (e.get("learning_keys") or [])]
    if mine:
        lines += [f"{h}# Entries that fired under this key", ""]
        lines += _table(ENTRY_HEADERS, [_entry_cells(e) for e in mine])
    if key["latest_sessions"]:
        lines += [f"{h}# Latest sessions", ""]
        lines += _table(LATEST_HEADERS, [_latest_cells(s) for s in key["latest_sessions"]])
    return lines


def _lint_markdown(lint: Mapping[str, Any]) -> list[str]:
    from trajdyn.analyzer.report._playbook_lint import render_lint_markdown

    lines = render_lint_markdown(lint)
    return ["###" + lines[0][2:], *lines[1:]]


def _block(report: Report) -> dict[str, Any] | None:
    block = report.blocks.get(PlaybookSection.name)
    return block if isinstance(block, dict) else None


class PlaybookSection(ReportSection):
    """Playbook entry impact and learning-key reports (docs/metrics/playbook.md); options
    :class:`~trajdyn.analyzer.metrics.playbook.PlaybookOptions` and a
    :class:`~trajdyn.analyzer.metrics.playbook.LintResult` (the linted entries, joined to the impact rows)."""

    name: ClassVar[str] = "playbook"
    scope = "report"

    def options_types(self) -> tuple[type[Any], ...]:
        from trajdyn.analyzer.metrics.playbook import LintResult, PlaybookOptions

        return (PlaybookOptions, LintResult)

    def compute(self, ctx: ReportContext) -> SectionResult:
        from trajdyn.analyzer.metrics import playbook as P

        linted = ctx.options.find(P.LintResult)
        lint = linted.to_dict() if linted is not None else None
        if not _has_playbook_data(ctx) and not lint:
            return SectionResult(block=None)
        opts = ctx.options.get(P.PlaybookOptions)
        sessions = P.playbook_sessions(ctx.trajectories, ctx.events)
        entries = [
            {k: to_json_value(v) for k, v in row.items()}
            for row in P.playbook_entries(ctx.trajectories, ctx.events, opts).iter_rows(named=True)
        ]
        if isinstance(lint, Mapping):
            by_id = {str(e.get("entry_id")): e for e in lint.get("entries") or [] if isinstance(e, Mapping)}
            for entry in entries:
                found = by_id.get(str(entry[K.ENTRY_ID]))
                entry["lint"] = (
                    None
                    if found is None
                    else {
                        "passed": found.get("passed"),
                        "weighted_score": found.get("weighted_score"),
                        "reasons": found.get("reasons"),
                    }
                )
        keys = [
            _key_json(row) for row in P.learning_key_report(ctx.trajectories, ctx.events, opts).iter_rows(named=True)
        ]
        block: dict[str, Any] = {
            "options": {name: getattr(opts, name) for name in opts.__dataclass_fields__},
            "summary": _summary(sessions, ctx.events, entries),
            "entries": entries,
            "learning_keys": keys,
            "lint": dict(lint) if isinstance(lint, Mapping) else None,
            "compare": None,
        }
        if ctx.previous is not None:
            _compare(block, ctx.previous)
        return SectionResult(block=to_json_value(block))

    def to_markdown(self, report: Report, *, max_detail: int) -> list[str]:
        block = _block(report)
        if block is None:
            return []
        lines = ["## Playbook", "", markdown_text(_summary_line(block["summary"]) + ".", block_start=True), ""]
        compare = block.get("compare")
        if isinstance(compare, Mapping):
            lines += [markdown_text(_compare_line(compare), block_start=True), ""]
        entries = block["entries"]
        if entries:
            lines += [
                "### Entries",
                "",
                "Ranked by the within-task reward delta (task-stratified, harmonic-mean weights; "
                f"{fmt_pct(block['options']['ci_level'], 0)} task-cluster bootstrap interval; q = Benjamini–Hochberg "
                "adjusted permutation p-value). Entries with a negative estimate come first, for audit. The naive "
                "delta compares the sessions with and without the entry (Atlas's number) and is confounded by task "
                "type.",
                "",
            ]
            lines += _table(ENTRY_HEADERS, [_entry_cells(e) for e in entries])
        keys = block["learning_keys"]
        if keys:
            lines += [
                "### Learning keys",
                "",
                "Reward momentum: the recent window against the sessions just before it (never overlapping); "
                f"Welch {fmt_pct(block['options']['ci_level'], 0)} interval.",
                "",
            ]
            lines += _table(KEY_HEADERS, [_key_cells(k) for k in keys])
        for key in keys[:max_detail]:
            lines += _key_markdown(key, entries, level=3)
        if len(keys) > max_detail:
            lines += [
                f"_{len(keys) - max_detail} more learning keys omitted from the detail (see the JSON report)._",
                "",
            ]
        if block.get("lint"):
            lines += _lint_markdown(block["lint"])
        return lines

    def to_terminal(self, report: Report, *, max_detail: int, width: int) -> list[RenderableType]:
        from rich.table import Table

        block = _block(report)
        if block is None:
            return []
        out: list[RenderableType] = [f"[bold]Playbook[/bold] — {terminal_markup(_summary_line(block['summary']))}"]
        compare = block.get("compare")
        if isinstance(compare, Mapping):
            out.append(terminal_text(_compare_line(compare)))
        entries = block["entries"]
        if entries:
            keep = [0, 1, 2, 3, 4, 7, 8, 9, 10, 14] if width < 140 else list(range(len(ENTRY_HEADERS)))
            table = Table(title="Playbook entries — negative within-task estimates first (audit)", expand=False)
            for i in keep:
                table.add_column(ENTRY_HEADERS[i], justify="left" if i in (1, 14) else "right", overflow="fold")
            for e in entries[: max(max_detail, 20)]:
                cells = _entry_cells(e)
                table.add_row(*(terminal_text(cells[i]) for i in keep))
            out.append(table)
            if len(entries) > max(max_detail, 20):
                out.append(f"{len(entries) - max(max_detail, 20)} more entries (use --json for all).")
        keys = block["learning_keys"]
        if keys:
            narrow = width < 120
            keep = [0, 1, 3, 4, 5, 7, 9] if narrow else list(range(len(KEY_HEADERS)))
            summary = Table(title=f"Learning keys — {len(keys)}", expand=False)
            for i in keep:
                summary.add_column(KEY_HEADERS[i], justify="left" if i in (0, 6) else "right", overflow="fold")
            for key in keys:
                cells = _key_cells(key)
                summary.add_row(*(terminal_text(cells[i]) for i in keep))
            out.append(summary)
        for key in keys[:max_detail]:
            detail = Table(title=terminal_text(f"Learning key {key[K.LEARNING_KEY]}"), show_header=False, expand=False)
            detail.add_column("metric", style="bold", no_wrap=True)
            detail.add_column("value", overflow="fold")
            for label, text in _key_rows(key):
                detail.add_row(terminal_text(label), terminal_text(text))
            out.append(detail)
            if key["latest_sessions"] and width >= 100:
                latest = Table(title=terminal_text(f"Latest sessions — {key[K.LEARNING_KEY]}"), expand=False)
                for h in LATEST_HEADERS:
                    latest.add_column(h, overflow="fold")
                for s in key["latest_sessions"]:
                    latest.add_row(*(terminal_text(c) for c in _latest_cells(s)))
                out.append(latest)
        if len(keys) > max_detail:
            out.append(f"{len(keys) - max_detail} more learning keys omitted from the detail (use --json for all).")
        if block.get("lint"):
            from trajdyn.analyzer.report._playbook_lint import render_lint_terminal

            out += render_lint_terminal(block["lint"], width=width)
        return out

    def artifacts(self, report: Report) -> dict[str, str]:
        """``playbook/<slug>.json`` and ``.md`` per learning key, and ``playbook/index.json`` mapping keys to them.

        The slug is a readable part plus a hash of the whole key, so two keys never share a file (Atlas named files by
        the key's first 16 characters).
        """
        block = _block(report)
        if block is None or not block["learning_keys"]:
            return {}
        files: dict[str, str] = {}
        index: dict[str, Any] = {}
        for key in block["learning_keys"]:
            slug = key["slug"]
            mine = [e for e in block["entries"] if key[K.LEARNING_KEY] in (e.get("learning_keys") or [])]
            doc = {
                "schema": C.REPORT_SCHEMA,
                "generated_at": report.generated_at,
                "learning_key": key,
                "entries": mine,
            }
            files[f"{ARTIFACT_DIR}/{slug}.json"] = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
            md = [
                f"# trajdyn playbook report — {markdown_code(key[K.LEARNING_KEY])}",
                "",
                f"Generated {markdown_text(report.generated_at)}.",
                "",
            ]
            files[f"{ARTIFACT_DIR}/{slug}.md"] = "\n".join([*md, *_key_markdown(key, mine, level=2)]).rstrip() + "\n"
            index[key[K.LEARNING_KEY]] = {"json": f"{slug}.json", "markdown": f"{slug}.md", "sessions": key["sessions"]}
        files[f"{ARTIFACT_DIR}/index.json"] = (
            json.dumps({"generated_at": report.generated_at, "learning_keys": index}, indent=2, ensure_ascii=False)
            + "\n"
        )
        return files


def _compare_line(compare: Mapping[str, Any]) -> str:
    when = compare.get("previous_generated_at") or "?"
    if not compare.get("previous_has_playbook"):
        return f"Compared with the report of {when}: it has no playbook block; no deltas."
    parts = [f"Compared with the report of {when} (deltas in parentheses)"]
    for label, key in (
        ("new entries", "entries_new"),
        ("entries gone", "entries_gone"),
        ("new learning keys", "learning_keys_new"),
        ("learning keys gone", "learning_keys_gone"),
    ):
        items = compare.get(key) or []
        if items:
            shown = ", ".join(str(i) for i in items[:10]) + (" …" if len(items) > 10 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts) + "."
