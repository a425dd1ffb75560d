"""Vega-Lite spec builders: one function per kind of chart the report draws, each returning a plain dict.

The builders take rows of plain values (data strings included: :func:`._svg.render_svg` cleans every string of the
finished spec) and never put data into a field name, an expression or a URL — data only ever sits in ``values``, so
a label such as ``knob.name[0]`` or ``datum.x`` is drawn as written. Duplicate category labels (two long ids that
clip to the same text) are made distinct with a ``(2)``, ``(3)`` suffix, so two rows never merge into one.

No chart draws one mark per trajectory of a large report: distributions are binned (:func:`histogram`), series are
summarised across trajectories (:func:`band`), forest plots take the top rows and leave the rest to a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from trajdyn.analyzer.report._escape import chart_text

__all__ = [
    "BAD",
    "BLUE",
    "GOOD",
    "GREY",
    "Spec",
    "band",
    "category_bars",
    "coverage_growth",
    "cumulative_best",
    "distinct_labels",
    "forest",
    "hconcat",
    "histogram",
    "multi_line",
    "series_with_segment",
    "trend",
    "window_bars",
]

Spec = dict[str, Any]

BLUE: Final = "#4c78a8"
BAD: Final = "#c0392b"
GOOD: Final = "#2e7d32"
GREY: Final = "#8c8c8c"
ORANGE: Final = "#f58518"
WIDTH: Final = 300
HEIGHT: Final = 140


def _q(field: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"field": field, "type": "quantitative", "title": title, **extra}


def _base(title: str | None, width: int = WIDTH, height: int | dict[str, int] = HEIGHT) -> Spec:
    spec: Spec = {"width": width, "height": height}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 12}
    return spec


def distinct_labels(labels: Sequence[object]) -> list[str]:
    """The labels as they will be drawn (chart-safe), with ``(2)``, ``(3)`` … appended to repeats."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        text = chart_text(label)
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return out


def hconcat(panels: Sequence[Spec], title: str | None = None) -> Spec:
    """Panels side by side (each a full spec without ``$schema``), sharing nothing."""
    spec: Spec = {
        "hconcat": list(panels),
        "spacing": 24,
        "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}},
    }
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 13}
    return spec


def cumulative_best(best: Sequence[float | None], keeps: Sequence[int], *, title: str, y_title: str) -> Spec:
    """The running best against the iteration (a step line), each keep marked on it.

    ``best[i]`` is the running best after iteration ``i + 1`` (null until defined); ``keeps`` are iteration numbers.
    """
    rows = [{"i": i + 1, "best": b} for i, b in enumerate(best) if b is not None]
    at = {r["i"]: r["best"] for r in rows}
    kept = [{"i": k, "best": at[k]} for k in keeps if k in at]
    x = _q("i", "iteration", scale={"domainMin": 1})
    y = _q("best", y_title, scale={"zero": False})
    spec = _base(title)
    spec["layer"] = [
        {
            "data": {"values": rows},
            "mark": {"type": "line", "interpolate": "step-after", "color": BLUE},
            "encoding": {"x": x, "y": y},
        },
        {
            "data": {"values": kept},
            "mark": {"type": "point", "shape": "triangle-up", "filled": True, "color": BAD, "size": 60},
            "encoding": {"x": x, "y": y},
        },
    ]
    return spec


def window_bars(windows: Sequence[Mapping[str, Any]], *, title: str, y_title: str) -> Spec:
    """One bar per window over its iterations (``first`` … ``last``), height ``rate`` in [0, 1]."""
    rows = [
        {"a": w["first"] - 0.5, "b": w["last"] + 0.5, "rate": w["rate"]} for w in windows if w.get("rate") is not None
    ]
    spec = _base(title)
    spec["data"] = {"values": rows}
    spec["mark"] = {"type": "rect", "color": BLUE, "stroke": "white", "strokeWidth": 1}
    spec["encoding"] = {
        "x": _q("a", "iteration", scale={"nice": False}),
        "x2": {"field": "b"},
        "y": _q("rate", y_title, scale={"domain": [0, 1]}),
    }
    return spec


def coverage_growth(points: Sequence[tuple[int, int]], *, title: str, y_title: str) -> Spec:
    """Distinct (knob, value) pairs against the iteration, with the all-new diagonal for reference."""
    rows = [{"i": i, "n": n} for i, n in points]
    last = points[-1][0] if points else 0
    spec = _base(title)
    spec["layer"] = [
        {
            "data": {"values": [{"i": 0, "n": 0}, {"i": last, "n": last}]},
            "mark": {"type": "line", "color": GREY, "strokeDash": [4, 3], "strokeWidth": 1},
            "encoding": {"x": _q("i", "iteration"), "y": _q("n", y_title)},
        },
        {
            "data": {"values": rows},
            "mark": {"type": "line", "point": True, "color": BLUE},
            "encoding": {"x": _q("i", "iteration"), "y": _q("n", y_title)},
        },
    ]
    return spec


def histogram(
    rows: Sequence[Mapping[str, Any]], *, title: str, x_title: str, y_title: str = "trajectories", color: str = BLUE
) -> Spec:
    """Pre-binned counts ``{lo, hi, n}`` (and optionally ``group`` for stacked bars, coloured by group)."""
    spec = _base(title)
    spec["data"] = {"values": list(rows)}
    spec["mark"] = {"type": "bar", "color": color} if not any("group" in r for r in rows) else {"type": "bar"}
    encoding: dict[str, Any] = {
        "x": _q("lo", x_title, bin={"binned": True}),
        "x2": {"field": "hi"},
        "y": _q("n", y_title, stack="zero"),
    }
    if any("group" in r for r in rows):
        encoding["color"] = {"field": "group", "type": "nominal", "title": None, "sort": None}
    spec["encoding"] = encoding
    return spec


def band(
    rows: Sequence[Mapping[str, Any]], *, title: str, x_title: str, y_title: str, domain: Sequence[float] | None = None
) -> Spec:
    """A median line ``mid`` with an interquartile band ``lo`` … ``hi`` against ``x`` (a summary of many series)."""
    y_scale: dict[str, Any] = {"zero": False}
    if domain is not None:
        y_scale = {"domain": list(domain)}
    spec = _base(title)
    spec["data"] = {"values": list(rows)}
    spec["layer"] = [
        {
            "mark": {"type": "area", "opacity": 0.25, "color": BLUE},
            "encoding": {"x": _q("x", x_title), "y": _q("lo", y_title, scale=y_scale), "y2": {"field": "hi"}},
        },
        {
            "mark": {"type": "line", "color": BLUE},
            "encoding": {"x": _q("x", x_title), "y": _q("mid", y_title, scale=y_scale)},
        },
    ]
    return spec


def lines_or_band(
    rows: Sequence[Mapping[str, Any]],
    *,
    few: bool,
    title: str,
    x_title: str,
    y_title: str,
    domain: Sequence[float] | None = None,
) -> Spec:
    """Series across trajectories: one line each when there are ``few`` (:func:`multi_line`, ``{x, y, series}``
    rows), else their median and interquartile band (:func:`band`, ``{x, lo, mid, hi}`` rows)."""
    draw = multi_line if few else band
    return draw(rows, title=title, x_title=x_title, y_title=y_title, domain=domain)


def multi_line(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    domain: Sequence[float] | None = None,
    interpolate: str = "linear",
    legend: bool = True,
    integer_x: bool = False,
) -> Spec:
    """One line per ``series`` of ``{x, y, series}`` rows (a handful of series: a legend names them unless
    ``legend`` is false); ``integer_x``: ticks at whole numbers only."""
    y_scale: dict[str, Any] = {"zero": False} if domain is None else {"domain": list(domain)}
    x_axis: dict[str, Any] = {"tickMinStep": 1, "format": "d"} if integer_x else {}
    spec = _base(title)
    spec["data"] = {"values": list(rows)}
    spec["mark"] = {"type": "line", "interpolate": interpolate, "point": {"size": 12}}
    color: dict[str, Any] = {"field": "series", "type": "nominal", "title": None, "sort": None}
    if not legend:
        color["legend"] = None
    spec["encoding"] = {"x": _q("x", x_title, axis=x_axis), "y": _q("y", y_title, scale=y_scale), "color": color}
    return spec


def series_with_segment(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    segment: tuple[float, float] | None,
    segment_label: str = "loop",
    domain: Sequence[float] | None = None,
    legend: bool = True,
) -> Spec:
    """Lines ``{x, y, series}`` with the stretch ``segment`` (x from, x to) shaded — a loop's turns, say; a legend
    names the series unless ``legend`` is false."""
    y_scale: dict[str, Any] = {"zero": False} if domain is None else {"domain": list(domain)}
    layers: list[Spec] = []
    if segment is not None:
        layers.append(
            {
                "data": {"values": [{"a": segment[0], "b": segment[1], "what": segment_label}]},
                "mark": {"type": "rect", "color": BAD, "opacity": 0.14},
                "encoding": {"x": _q("a", x_title), "x2": {"field": "b"}},
            }
        )
    layers.append(
        {
            "data": {"values": list(rows)},
            "mark": {"type": "line", "strokeWidth": 1.5},
            "encoding": {
                "x": _q("x", x_title),
                "y": _q("y", y_title, scale=y_scale),
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "sort": None,
                    "legend": {"orient": "bottom", "direction": "horizontal"} if legend else None,
                },
            },
        }
    )
    spec = _base(title)
    spec["layer"] = layers
    return spec


def forest(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    x_title: str,
    reference: float | None = 0.0,
    reference_band: tuple[float, float] | None = None,
    extra_ticks: bool = False,
    domain: Sequence[float] | None = None,
) -> Spec:
    """A forest plot: one row per ``label`` (in the given order) with the estimate ``est`` and its interval ``lo`` …
    ``hi``; ``tone`` (``good`` / ``bad`` / ``none``) colours the point. A dashed rule at ``reference``; an optional
    shaded ``reference_band`` (an overall estimate's interval); with ``extra_ticks`` a grey tick at ``other`` (the
    comparison value of each row)."""
    labels = distinct_labels([r["label"] for r in rows])
    data = [{**r, "label": label} for r, label in zip(rows, labels, strict=True)]
    y = {"field": "label", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 260}}
    x_scale: dict[str, Any] = {"zero": False} if domain is None else {"domain": list(domain)}
    layers: list[Spec] = []
    if reference_band is not None:
        layers.append(
            {
                "data": {"values": [{"a": reference_band[0], "b": reference_band[1]}]},
                "mark": {"type": "rect", "color": BLUE, "opacity": 0.12},
                "encoding": {"x": _q("a", x_title, scale=x_scale), "x2": {"field": "b"}},
            }
        )
    if reference is not None:
        layers.append(
            {
                "data": {"values": [{"r": reference}]},
                "mark": {"type": "rule", "color": GREY, "strokeDash": [4, 3]},
                "encoding": {"x": _q("r", x_title, scale=x_scale)},
            }
        )
    layers.append(
        {
            "data": {"values": data},
            "mark": {"type": "rule", "color": "#555"},
            "encoding": {"y": y, "x": _q("lo", x_title, scale=x_scale), "x2": {"field": "hi"}},
        }
    )
    if extra_ticks:
        layers.append(
            {
                "data": {"values": data},
                "mark": {"type": "tick", "color": GREY, "thickness": 2, "size": 10},
                "encoding": {"y": y, "x": _q("other", x_title, scale=x_scale)},
            }
        )
    layers.append(
        {
            "data": {"values": data},
            "mark": {"type": "point", "filled": True, "size": 45},
            "encoding": {
                "y": y,
                "x": _q("est", x_title, scale=x_scale),
                "color": {
                    "field": "tone",
                    "type": "nominal",
                    "scale": {"domain": ["good", "bad", "none"], "range": [GOOD, BAD, "#333"]},
                    "legend": None,
                },
            },
        }
    )
    spec = _base(title, height={"step": 16})
    spec["layer"] = layers
    return spec


def category_bars(rows: Sequence[Mapping[str, Any]], *, title: str, x_title: str) -> Spec:
    """Horizontal bars ``{label, n}`` in the given order."""
    labels = distinct_labels([r["label"] for r in rows])
    spec = _base(title, height={"step": 18})
    spec["data"] = {"values": [{**r, "label": label} for r, label in zip(rows, labels, strict=True)]}
    spec["mark"] = {"type": "bar", "color": BLUE}
    spec["encoding"] = {
        "y": {"field": "label", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 220}},
        "x": _q("n", x_title),
    }
    return spec


def trend(
    points: Sequence[Mapping[str, Any]],
    *,
    title: str,
    y_title: str,
    fan: Sequence[Mapping[str, Any]] = (),
    changes: Sequence[Mapping[str, Any]] = (),
    segments: Sequence[Mapping[str, Any]] = (),
    last_ci: Mapping[str, Any] | None = None,
) -> Spec:
    """One group's series ``{x, y, run}`` against the run index, with: the Theil–Sen trend and the band of its slope
    interval (``fan``: ``{x, mid, lo, hi}``), each change point as a dashed rule (``changes``: ``{x}``) with the segment
    medians around it (``segments``: ``{a, b, m}``), and the last run's change against the previous one with its
    interval as an error bar (``last_ci``: ``{x, lo, hi}``)."""
    x = _q("x", "run (in order)", axis={"tickMinStep": 1, "format": "d"})
    y_scale = {"zero": False}
    layers: list[Spec] = []
    if fan:
        layers += [
            {
                "data": {"values": list(fan)},
                "mark": {"type": "area", "color": ORANGE, "opacity": 0.18},
                "encoding": {"x": x, "y": _q("lo", y_title, scale=y_scale), "y2": {"field": "hi"}},
            },
            {
                "data": {"values": list(fan)},
                "mark": {"type": "line", "color": ORANGE, "strokeDash": [5, 3], "strokeWidth": 1},
                "encoding": {"x": x, "y": _q("mid", y_title, scale=y_scale)},
            },
        ]
    for change in changes:
        layers.append(
            {
                "data": {"values": [dict(change)]},
                "mark": {"type": "rule", "color": BAD, "strokeDash": [3, 3]},
                "encoding": {"x": _q("x", None)},
            }
        )
    if segments:
        layers.append(
            {
                "data": {"values": list(segments)},
                "mark": {"type": "rule", "color": BAD, "strokeWidth": 2, "opacity": 0.7},
                "encoding": {"x": _q("a", None), "x2": {"field": "b"}, "y": _q("m", y_title, scale=y_scale)},
            }
        )
    if last_ci is not None:
        layers.append(
            {
                "data": {"values": [dict(last_ci)]},
                "mark": {"type": "rule", "color": "#333", "strokeWidth": 2},
                "encoding": {"x": x, "y": _q("lo", y_title, scale=y_scale), "y2": {"field": "hi"}},
            }
        )
    layers.append(
        {
            "data": {"values": list(points)},
            "mark": {"type": "line", "point": True, "color": BLUE},
            "encoding": {"x": x, "y": _q("y", y_title, scale=y_scale)},
        }
    )
    spec = _base(title, width=360, height=150)
    spec["layer"] = layers
    return spec


def value_curve(points: Sequence[Mapping[str, Any]], *, title: str, y_title: str) -> Spec:
    """A score against the values of one swept constant, in the given order (``{x, y, cliff}`` rows: ``x`` the value
    as text, ``cliff`` true where the score falls off a cliff into that value: drawn red)."""
    labels = distinct_labels([p["x"] for p in points])
    data = [
        {"x": label, "y": p["y"], "mark": "cliff" if p.get("cliff") else "value"}
        for p, label in zip(points, labels, strict=True)
    ]
    x = {"field": "x", "type": "ordinal", "sort": None, "title": "value", "axis": {"labelAngle": 0}}
    y = _q("y", y_title, scale={"zero": False})
    spec = _base(title, width=220, height=120)
    spec["data"] = {"values": data}
    spec["layer"] = [
        {"mark": {"type": "line", "color": BLUE}, "encoding": {"x": x, "y": y}},
        {
            "mark": {"type": "point", "filled": True, "size": 40},
            "encoding": {
                "x": x,
                "y": y,
                "color": {
                    "field": "mark",
                    "type": "nominal",
                    "scale": {"domain": ["cliff", "value"], "range": [BAD, BLUE]},
                    "legend": None,
                },
            },
        },
    ]
    return spec
