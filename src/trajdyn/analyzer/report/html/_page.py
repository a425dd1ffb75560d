"""Assembling the HTML report: one self-contained page (or a notebook fragment) from a :class:`Report`.

Order: header with the section links, overview (inputs and their problems in numbers, the sections' headline numbers
with their intervals, the findings), the inputs and their problems, one section per report section (its charts and
tables, from :meth:`ReportSection.to_html`), then detail articles for the most interesting trajectories.

The page loads nothing: no script (none at all, so it reads the same with JavaScript off), no stylesheet, font or
image from anywhere; charts are inline SVG. Its Content-Security-Policy (a ``<meta>`` element right after the charset)
is ``default-src 'none'`` with the one stylesheet allowed by its SHA-256 hash — no ``'unsafe-inline'`` — so even a
mistake that let markup from the data through could neither run nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import traceback
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from trajdyn import __version__
from trajdyn.analyzer import _columns as K
from trajdyn.analyzer.report._escape import visible
from trajdyn.analyzer.report._model import JSONValue, Report
from trajdyn.analyzer.report.html._common import capped_table
from trajdyn.analyzer.report.html._markup import Markup, el, join
from trajdyn.analyzer.report.html._part import Finding, Headline, HtmlContext, HtmlOptions, HtmlPart, Interest
from trajdyn.exceptions import MissingExtraError

if TYPE_CHECKING:
    from trajdyn.analyzer.report._model import ReportSection

__all__ = ["CSP", "CSS", "html_available", "render_fragment", "render_html"]

MAX_PROBLEMS: Final = 50

CSS: Final = """\
.trajdyn{--fg:#1d1d1f;--muted:#5f6368;--line:#dcdcdc;--bad:#b42318;--good:#067647;--card:#f6f7f8;\
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",sans-serif;\
color:var(--fg);background:#fff;margin:0}
.trajdyn header,.trajdyn main,.trajdyn footer{max-width:1240px;margin:0 auto;padding:0 1.5rem}
.trajdyn h1{font-size:1.6rem;margin:1.2rem 0 .2rem}
.trajdyn h2{font-size:1.3rem;margin:.9rem 0 .6rem}
.trajdyn h3{font-size:1.05rem;margin:1.1rem 0 .4rem}
.trajdyn h4{font-size:.95rem;margin:.9rem 0 .3rem;color:var(--muted)}
.trajdyn nav ol{display:flex;flex-wrap:wrap;gap:.25rem 1.1rem;list-style:none;padding:0;margin:.5rem 0 1rem}
.trajdyn a{color:#1a56b0}
.trajdyn .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.75rem;list-style:none;\
padding:0;margin:.5rem 0 1rem}
.trajdyn .card{border:1px solid var(--line);border-radius:6px;padding:.55rem .8rem;background:var(--card)}
.trajdyn .card.bad{border-left:4px solid var(--bad)}
.trajdyn .card.good{border-left:4px solid var(--good)}
.trajdyn .card a{color:inherit;text-decoration:none;display:block}
.trajdyn .card .k{display:block;font-size:.85rem;color:var(--muted)}
.trajdyn .card .v{display:block;font-size:1.45rem;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.trajdyn .card .n{display:block;font-size:.82rem;color:var(--muted);overflow-wrap:anywhere}
.trajdyn .bad{color:var(--bad)}
.trajdyn .good{color:var(--good)}
.trajdyn .muted{color:var(--muted);font-size:.9rem}
.trajdyn .findings li{margin:.2rem 0}
.trajdyn .figures{display:flex;flex-wrap:wrap;gap:.5rem 1.8rem;align-items:flex-start}
.trajdyn figure{margin:.5rem 0;max-width:100%}
.trajdyn figure svg{max-width:100%;height:auto;display:block}
.trajdyn figcaption{font-size:.82rem;color:var(--muted);max-width:64ch}
.trajdyn .tablewrap{max-width:100%;overflow-x:auto}
.trajdyn table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.5rem 0;font-size:.87rem}
.trajdyn caption{text-align:left;font-weight:600;padding:.2rem 0}
.trajdyn th,.trajdyn td{border-bottom:1px solid var(--line);padding:.2rem .6rem;text-align:left;vertical-align:top;\
overflow-wrap:anywhere}
.trajdyn th{background:var(--card)}
.trajdyn .num{text-align:right;white-space:nowrap}
.trajdyn code{font-family:ui-monospace,"Liberation Mono","DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.trajdyn section{border-top:1px solid var(--line);margin-top:1.5rem}
.trajdyn .side-by-side{display:flex;flex-wrap:wrap;gap:0 2.5rem;align-items:flex-start}
.trajdyn article.traj{border-left:3px solid var(--line);padding-left:1rem;margin:1.2rem 0}
.trajdyn .chart-error,.trajdyn .render-error{color:var(--bad)}
.trajdyn :target{outline:2px solid #fdb022;outline-offset:4px}
@media print{.trajdyn nav{display:none}.trajdyn figure,.trajdyn article{break-inside:avoid}}
"""

_CSS_HASH: Final = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
CSP: Final = f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; form-action 'none'"
"""The page's Content-Security-Policy: nothing may load or run; the one stylesheet is allowed by its hash."""


def html_available() -> bool:
    """Whether the charts can be drawn here (``vl-convert-python``, the ``html`` extra, is installed)."""
    try:
        return importlib.util.find_spec("vl_convert") is not None
    except (ImportError, ValueError):  # an import hook that refuses it, or a broken installation
        return False


def _error_part(section: ReportSection, exc: BaseException) -> HtmlPart:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
    text = f"This section could not be drawn ({type(exc).__name__}: {exc}{at}); its data is in the JSON report."
    return HtmlPart(section.name, section.name.capitalize(), el("p", text, class_="render-error"))


def _parts(report: Report, ctx: HtmlContext) -> list[HtmlPart]:
    parts = []
    for section in report.sections:
        try:
            part = section.to_html(report, ctx)
        except MissingExtraError:
            raise
        except Exception as exc:  # a bug in one section's view must not cost the rest of the page
            part = _error_part(section, exc)
        if part is not None:
            parts.append(part)
    return parts


def _card(h: Headline) -> Markup:
    inner = [el("span", h.label, class_="k"), el("span", h.value, class_="v"), el("span", h.note, class_="n")]
    body = el("a", *inner, href=h.href) if h.href else join(inner)
    return el("li", body, class_="card" + ("" if h.tone == "neutral" else f" {h.tone}"))


def _int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _spans(report: Report) -> int:
    total = 0
    for item in report.inputs:
        count = item.get("spans")
        if isinstance(count, int) and not isinstance(count, bool):
            total += count
    return total


def _overview(report: Report, parts: Sequence[HtmlPart], anchors: Mapping[str, str]) -> Markup:
    n_errors = len(report.errors)
    cards = [
        Headline(
            "Trajectories",
            f"{len(report.trajectories):,}",
            f"from {_count(len(report.inputs), 'input', 'inputs')}, {_count(_spans(report), 'span', 'spans')}",
            href="#s-inputs",
        ),
        Headline(
            "Input problems",
            f"{n_errors:,}",
            "lines or records skipped, listed under Inputs" if n_errors else "every input line was read",
            tone="bad" if n_errors else "neutral",
            href="#s-inputs",
        ),
    ]
    cards += [h for part in parts for h in part.headlines]
    findings: list[Finding] = []
    if n_errors:
        findings.append(Finding(f"{n_errors:,} input problem(s): the rest was analysed.", tone="bad", href="#s-inputs"))
    findings += [f for part in parts for f in part.findings]
    items = []
    for f in findings:
        content: list[object] = [el("span", f.text, class_=f.tone if f.tone != "neutral" else None)]
        target = anchors.get(f.trajectory) if f.trajectory is not None else None
        if target is not None:
            content += [" ", el("a", "detail", href=f"#{target}")]
        elif f.href:
            content += [" ", el("a", "section", href=f.href)]
        items.append(el("li", *content))
    listing = el("ol", *items, class_="findings") if items else el("p", "Nothing flagged.", class_="muted")
    return el(
        "section",
        el("h2", "Overview"),
        el("ul", *(_card(c) for c in cards), class_="cards"),
        el("h3", "Findings"),
        listing,
        id="s-overview",
    )


def _inputs(report: Report, ctx: HtmlContext) -> Markup:
    rows = [(i.get("path"), _int(i.get("spans")), _int(i.get("errors"))) for i in report.inputs]
    parts: list[Markup] = [
        el("h2", "Inputs and their problems"),
        capped_table(("input", "spans", "problems"), rows, limit=ctx.options.table_rows, what="inputs", numeric=(1, 2)),
    ]
    if report.errors:
        problems = [(f"{e.get('path')}:{e.get('line')}", e.get("message")) for e in report.errors]
        parts += [
            el("h3", f"Problems ({len(problems):,})"),
            capped_table(("where", "problem"), problems, limit=MAX_PROBLEMS, what="problems"),
        ]
    else:
        parts.append(el("p", "No input problems.", class_="muted"))
    return el("section", *parts, id="s-inputs")


def _draws(part: HtmlPart, tid: str) -> bool:
    """Whether ``part`` draws something in the detail article of trajectory ``tid``."""
    return part.detail is not None and (part.detail_for is None or tid in part.detail_for)


def detail_candidates(report: Report, parts: Sequence[HtmlPart]) -> list[Mapping[str, JSONValue]]:
    """The trajectories a detail article would show something for, in report order: when a part says which
    trajectories its detail draws (:attr:`HtmlPart.detail_for`: exploration and dynamics leave out those with no
    iterations / no turns), those some part draws; otherwise every trajectory. None when nothing would be drawn for
    any: an article of dashes for each of 330 sweep runs scored on their root span says nothing the sections' lines
    do not."""
    if not any(p.detail_for is not None for p in parts):
        return list(report.trajectories)
    return [e for e in report.trajectories if any(_draws(p, str(e.get(K.TRAJECTORY_ID))) for p in parts)]


def select_detail(report: Report, parts: Sequence[HtmlPart], n: int) -> list[tuple[Mapping[str, JSONValue], list[str]]]:
    """The trajectories that get a detail article and why, among :func:`detail_candidates`: all of them when there
    are at most ``n``; else the most interesting ``n``, taking the kinds of interest (loop, trapped, repeats, plateau
    …) in turn so that no one kind fills every place, then the rest in report order."""
    candidates = detail_candidates(report, parts)
    entries = {str(e.get(K.TRAJECTORY_ID)): e for e in candidates}
    reasons: dict[str, list[Interest]] = {}
    for part in parts:
        for tid, items in part.interest.items():
            if tid in entries:
                reasons.setdefault(tid, []).extend(items)
    if len(entries) <= n:
        return [(e, [i.reason for i in reasons.get(str(e.get(K.TRAJECTORY_ID)), [])]) for e in candidates]
    by_kind: dict[str, list[tuple[float, str]]] = {}
    for tid, items in reasons.items():
        for item in items:
            by_kind.setdefault(item.kind, []).append((item.score, tid))
    queues = {kind: sorted(v, key=lambda st: (-st[0], st[1])) for kind, v in by_kind.items()}
    kinds = sorted(queues, key=lambda k: (-queues[k][0][0], k))
    chosen: list[str] = []
    while len(chosen) < n and any(queues[k] for k in kinds):
        for kind in kinds:
            while queues[kind] and queues[kind][0][1] in chosen:
                queues[kind].pop(0)
            if queues[kind] and len(chosen) < n:
                chosen.append(queues[kind].pop(0)[1])
    for e in candidates:
        if len(chosen) >= n:
            break
        tid = str(e.get(K.TRAJECTORY_ID))
        if tid not in chosen:
            chosen.append(tid)
    return [(entries[tid], [i.reason for i in reasons.get(tid, [])] or ["report order"]) for tid in chosen]


def _detail_piece(part: HtmlPart, entry: Mapping[str, JSONValue], ctx: HtmlContext) -> Markup:
    """``part``'s piece of one trajectory's detail (empty without one, or when the part has nothing to draw for that
    trajectory); a failure says so in its place."""
    if part.detail is None or not _draws(part, str(entry.get(K.TRAJECTORY_ID))):
        return Markup("")
    try:
        return part.detail(entry, ctx)
    except MissingExtraError:
        raise
    except Exception as exc:  # as in _parts: one bad view must not cost the page
        return el("p", f"{part.title}: could not be drawn ({type(exc).__name__}: {exc})", class_="render-error")


def _article(
    entry: Mapping[str, JSONValue], why: Sequence[str], anchor: str, parts: Sequence[HtmlPart], ctx: HtmlContext
) -> Markup:
    pieces: list[Markup] = []
    for part in parts:
        piece = _detail_piece(part, entry, ctx)
        if piece:
            pieces.append(join([el("h4", part.title), piece]))
    identity = [f"{k} {entry.get(k)}" for k in (K.TASK_ID, K.MODEL, K.RUN_ID) if entry.get(k) is not None]
    return el(
        "article",
        el("h3", str(entry.get(K.TRAJECTORY_ID))),
        el("p", "; ".join([*identity, f"{entry.get('iterations')} iterations"]), class_="muted"),
        el("p", "Why: " + "; ".join(why) + ".", class_="muted") if why else Markup(""),
        *pieces,
        class_="traj",
        id=anchor,
    )


def _detail_scope(shown: int, drawn: int, n_all: int) -> str:
    """What the detail articles are of: all trajectories, or the most interesting; and, when some have nothing to
    draw (no iterations, no turns), how many and that they are left out."""
    if drawn == n_all:
        return " (all)." if shown == n_all else ", the most interesting first (loops, trapped, repeats, plateaus)."
    those = "the one" if drawn == 1 else f"all {drawn:,}"
    scope = (
        f" ({those} with iterations or turns)."
        if shown == drawn
        else f", the most interesting of the {drawn:,} with iterations or turns first (loops, trapped, repeats, "
        "plateaus)."
    )
    rest = n_all - drawn
    return (
        scope + f" The other {rest:,} {'has' if rest == 1 else 'have'} no iterations and no turns: nothing to draw "
        "(named in the sections above; in the JSON report)."
    )


def _document(head_title: str, body: Markup) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="trajdyn {__version__}">\n'
        f"{el('title', head_title)}\n"
        f"<style>{CSS}</style>\n"
        f'</head>\n<body class="trajdyn">\n{body}\n</body></html>\n'
    )


def _build(report: Report, options: HtmlOptions, *, budget: int) -> Markup:
    ctx = HtmlContext(options)
    parts = _parts(report, ctx)
    single = len(report.trajectories) == 1
    index = {str(e.get(K.TRAJECTORY_ID)): i for i, e in enumerate(report.trajectories)}
    selected = [] if single else select_detail(report, parts, options.detail)
    anchors = {str(e.get(K.TRAJECTORY_ID)): f"t-{index[str(e.get(K.TRAJECTORY_ID))]}" for e, _ in selected}
    sections: list[Markup] = []
    for part in parts:
        body = part.body
        if single and part.detail is not None:
            body = join(
                [body, _detail_piece(part, report.trajectories[0], ctx)]
            )  # one trajectory: its detail is the body
        sections.append(el("section", el("h2", part.title), body, id=f"s-{part.name}"))
    nav = [("s-overview", "Overview"), ("s-inputs", "Inputs"), *((f"s-{p.name}", p.title) for p in parts)]
    has_detail = bool(selected) and any(p.detail is not None for p in parts)
    if has_detail:
        nav.append(("s-detail", "Trajectories in detail"))
    subtitle = (
        f"{_count(len(report.trajectories), 'trajectory', 'trajectories')} from "
        f"{_count(len(report.inputs), 'input', 'inputs')} · generated "
        f"{visible(report.generated_at)} · {report.schema} · trajdyn {__version__}"
    )
    header = el(
        "header",
        el("h1", "trajdyn report"),
        el("p", subtitle, class_="muted"),
        el("nav", el("ol", *(el("li", el("a", t, href=f"#{a}")) for a, t in nav)), aria_label="sections"),
    )
    footer = el(
        "footer",
        el(
            "p",
            "A static page: no script, nothing loaded from anywhere; charts are inline SVG (Vega-Lite, rendered by "
            "vl-convert). Every number comes from the JSON report (trajdyn.report/1); how each is computed is in the "
            "trajdyn documentation (docs/metrics/).",
            class_="muted",
        ),
    )
    inputs = _inputs(report, ctx)
    rest = join([header, inputs, *sections, footer])
    size = len(rest.encode("utf-8")) + len(_overview(report, parts, anchors).encode("utf-8")) + len(CSS) + 2_000
    detail = Markup("")
    shown: dict[str, str] = {}  # the anchors of the articles on the page: only these are linked
    if has_detail:
        articles: list[Markup] = []
        left_out = 0
        for entry, why in selected:
            tid = str(entry.get(K.TRAJECTORY_ID))
            if size > budget:
                left_out += 1
                continue
            article = _article(entry, why, anchors[tid], parts, ctx)
            grown = len(article.encode("utf-8"))
            if size + grown > budget:
                left_out += 1
                continue
            size += grown
            articles.append(article)
            shown[tid] = anchors[tid]
        n_all = len(report.trajectories)
        n_drawn = len(detail_candidates(report, parts))
        intro = f"{len(articles)} of {n_all:,} trajectories" + _detail_scope(len(articles), n_drawn, n_all)
        intro += f" --html-detail N changes how many (now {options.detail})."
        if left_out:
            intro += f" {left_out} more were left out to keep the page under {budget / 1e6:.1f} MB."
        detail = el(
            "section",
            el("h2", "Trajectories in detail"),
            el("p", intro, class_="muted"),
            *articles,
            id="s-detail",
        )
    overview = _overview(report, parts, shown)
    return join([header, Markup("<main>"), overview, inputs, *sections, detail, Markup("</main>"), footer])


def render_html(report: Report, options: HtmlOptions | None = None) -> str:
    """The report as one self-contained HTML page (see the module docstring).

    Raises :class:`~trajdyn.exceptions.MissingExtraError` without ``vl-convert-python`` (``pip install
    'trajdyn[html]'``).
    """
    if not html_available():
        raise MissingExtraError("vl-convert-python", "html")
    opts = options or HtmlOptions()
    body = _build(report, opts, budget=opts.max_bytes)
    title = f"trajdyn report — {_count(len(report.trajectories), 'trajectory', 'trajectories')}"
    return _document(title, body)


def render_fragment(report: Report, options: HtmlOptions | None = None) -> str:
    """The same report as an HTML fragment for a notebook (``Report._repr_html_``): the page's body inside
    ``<div class="trajdyn">`` with its stylesheet, every rule scoped to that class."""
    if not html_available():
        raise MissingExtraError("vl-convert-python", "html")
    opts = options or HtmlOptions()
    body = _build(report, opts, budget=opts.max_bytes)
    return f'<div class="trajdyn"><style>{CSS}</style>\n{body}\n</div>\n'
