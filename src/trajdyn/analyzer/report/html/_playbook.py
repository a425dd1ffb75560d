"""The HTML part of the ``playbook`` section (``docs/metrics/playbook.md``), from the report's JSON block.

A forest plot of every entry's within-task reward effect with its task-cluster bootstrap interval (rank order:
negative estimates first, for audit), the entries that help or hurt as findings (significant after
Benjamini–Hochberg), the entry table and the learning keys' reward momentum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._format import fmt_num, fmt_pct
from trajdyn.analyzer.report._model import Report
from trajdyn.analyzer.report.html import _charts as charts
from trajdyn.analyzer.report.html._common import capped_table, ci_text, finite, obj, objects
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlPart, Tone

__all__ = ["playbook_part"]

MAX_FINDINGS = 6


def _tone(entry: Mapping[str, Any]) -> Tone:
    est = finite(entry.get("reward_delta_within"))
    if not entry.get("significant") or est is None:
        return "neutral"
    return "good" if est > 0 else "bad"


def _effect(entry: Mapping[str, Any]) -> str:
    est = fmt_num(entry.get("reward_delta_within"), 3)
    ci = ci_text(entry.get("ci_low"), entry.get("ci_high"))
    return f"{est} ({ci})" if ci else est


def playbook_part(report: Report, ctx: HtmlContext) -> HtmlPart | None:
    """The playbook section's part of the page (``None`` without a playbook block)."""
    block = report.blocks.get("playbook")
    if not isinstance(block, dict):
        return None
    summary = obj(block.get("summary"))
    entries = objects(block.get("entries"))
    keys = objects(block.get("learning_keys"))
    helps = [e for e in entries if _tone(e) == "good"]
    hurts = [e for e in entries if _tone(e) == "bad"]
    headlines = [
        Headline(
            "Playbook entries that help",
            f"{len(helps)} of {len(entries)}",
            "within-task reward effect > 0, significant after Benjamini–Hochberg",
            tone="good" if helps else "neutral",
            href="#s-playbook",
        ),
        Headline(
            "Playbook entries that hurt",
            f"{len(hurts)} of {len(entries)}",
            f"significant negative effect; {summary.get('entries_negative', 0)} with a negative estimate (audit)",
            tone="bad" if hurts else "neutral",
            href="#s-playbook",
        ),
    ]
    findings: list[Finding] = []
    for e in (hurts + helps)[:MAX_FINDINGS]:
        verb = "helps" if _tone(e) == "good" else "hurts"
        findings.append(
            Finding(
                f"Playbook entry {e.get(K.ENTRY_ID)} {verb}: within-task reward effect {_effect(e)}, "
                f"q = {fmt_num(e.get('q_value'), 2)}.",
                tone=_tone(e),
                href="#s-playbook",
            )
        )
    if len(hurts) + len(helps) > MAX_FINDINGS:
        findings.append(Finding(f"… {len(hurts) + len(helps) - MAX_FINDINGS} more significant entries in the table."))
    figures: list[Markup] = []
    drawable = [e for e in entries if finite(e.get("reward_delta_within")) is not None]
    if drawable:
        shown = drawable[: ctx.options.forest_rows]
        rows = [
            {
                "label": str(e.get(K.ENTRY_ID)),
                "est": e.get("reward_delta_within"),
                "lo": e.get("ci_low") if finite(e.get("ci_low")) is not None else e.get("reward_delta_within"),
                "hi": e.get("ci_high") if finite(e.get("ci_high")) is not None else e.get("reward_delta_within"),
                "tone": {"good": "good", "bad": "bad"}.get(_tone(e), "none"),
            }
            for e in shown
        ]
        level = fmt_pct(obj(block.get("options")).get("ci_level"), 0)
        figures.append(
            ctx.figure(
                charts.forest(rows, title="Within-task reward effect per entry", x_title="Δ reward (fired − not)"),
                f"{len(shown)} of {len(drawable)} entries in rank order (negative estimates first): point the "
                f"task-stratified estimate, bar its {level} task-cluster bootstrap interval; green / red: significant "
                "after Benjamini–Hochberg.",
            )
        )
    entry_rows = [
        (
            str(e.get("rank")),
            str(e.get(K.ENTRY_ID)),
            str(e.get("cue_hits")),
            f"{e.get('successful_adoptions')}/{e.get('failed_adoptions')}",
            f"{e.get('sessions_fired')}/{e.get('sessions_not_fired')}",
            fmt_num(e.get("reward_delta_naive"), 3),
            _effect(e),
            fmt_num(e.get("q_value"), 2),
            f"{e.get('distinct_tasks')} ({e.get('transfer_level')})",
            ", ".join(
                flag
                for flag, on in (
                    ("audit", e.get("audit")),
                    ("significant", e.get("significant")),
                    ("low support", e.get("low_support")),
                )
                if on
            )
            or "–",
        )
        for e in entries
    ]
    key_rows = []
    for k in keys:
        r = obj(k.get("reward"))
        delta = fmt_num(r.get("delta"), 3)
        ci = ci_text(r.get("ci_low"), r.get("ci_high"))
        key_rows.append(
            (
                str(k.get(K.LEARNING_KEY)),
                str(k.get("sessions")),
                str(k.get("tasks")),
                f"{fmt_num(r.get('recent_mean'), 3)} (n = {r.get('recent_n', 0)})",
                f"{fmt_num(r.get('baseline_mean'), 3)} (n = {r.get('baseline_n', 0)})",
                f"{delta} ({ci})" if ci else delta,
            )
        )
    parts: list[Markup] = [
        el(
            "p",
            f"{summary.get('sessions', 0)} sessions, {summary.get('entries', 0)} entries fired, "
            f"{summary.get('cue_hits', 0)} cue hits, {summary.get('adoptions', 0)} adoptions "
            f"({summary.get('successful_adoptions', 0)} successful).",
        )
    ]
    if figures:
        parts.append(el("div", *figures, class_="figures"))
    if entry_rows:
        parts += [
            el("h3", "Entries"),
            capped_table(
                (
                    "#",
                    "entry",
                    "cue hits",
                    "adoptions ok/failed",
                    "sessions fired/not",
                    "Δ reward naive",
                    "Δ reward within (CI)",
                    "q",
                    "tasks",
                    "flags",
                ),
                entry_rows,
                limit=ctx.options.table_rows,
                what="entries (rank order)",
                numeric=(0, 2, 5, 7),
            ),
        ]
    if key_rows:
        parts += [
            el("h3", "Learning keys"),
            capped_table(
                ("learning key", "sessions", "tasks", "reward recent", "baseline", "Δ (CI)"),
                key_rows,
                limit=ctx.options.table_rows,
                what="learning keys",
                numeric=(1, 2),
            ),
        ]
    lint = block.get("lint")
    if isinstance(lint, dict):
        linted = objects(lint.get("entries"))
        failed = [e for e in linted if not e.get("passed")]
        parts.append(el("h3", "Lint"))
        parts.append(el("p", f"{len(linted)} entries linted, {len(failed)} failed a gate."))
        if failed:
            parts.append(
                capped_table(
                    ("entry", "reasons"),
                    [
                        (str(e.get("entry_id")), "; ".join(str(r) for r in e.get("reasons") or []) or "–")
                        for e in failed
                    ],
                    limit=ctx.options.table_rows,
                    what="failed entries",
                )
            )
    return HtmlPart("playbook", "Playbook", join(parts), headlines, findings)
