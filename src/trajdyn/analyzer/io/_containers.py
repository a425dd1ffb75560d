"""Span containers other than OTLP/JSON, read into OTLP ``TracesData`` so that they become the same span frames.

Tracing backends and SDKs write the same spans in other JSON shapes. Each shape below is recognised by content
(:func:`sniff_container`, on the first 64 KiB) and read by :func:`read_container` into OTLP/JSON documents, which the
decoder then turns into rows exactly as it does native OTLP (``docs/importers.md``, "Span containers"):

=================  =================================================================================================
container          shape
=================  =================================================================================================
``otlp-array``     a JSON array of OTLP/JSON ``TracesData`` documents (one trace may be spread over several)
``tempo``          Grafana Tempo's older JSON: ``{"batches": [{resource, instrumentationLibrarySpans|scopeSpans}]}``
``any-agent``      mozilla-ai any-agent's trace: ``{"spans": [OpenTelemetry SDK span dicts], "final_output"}``, with
                   decimal integer ids
``otel-console``   the OpenTelemetry Python ``ConsoleSpanExporter`` (``ReadableSpan.to_json()``): pretty-printed
                   objects one after another (or a JSON array of them), ``0x`` hex ids, ISO times; a span printed
                   once open and once ended is one span (the ended copy is kept, as for any duplicate)
``jaeger-model``   Jaeger's model JSON (api_v2): ``{"spans": [{traceId, spanId, operationName, references, tags}]}``
``jaeger-api``     Jaeger's query API response: ``{"data": [{traceID, spans, processes}]}``, times in microseconds
``phoenix``        Arize Phoenix's REST span JSON: an array of ``{context, span_kind, parent_id, attributes}``
``langfuse``       a Langfuse trace export ``{"trace": {…, scores}, "observations": [...]}``: observations become
                   spans under one root span for the trace (GenAI keys from the observation fields)
=================  =================================================================================================

Ids become lower-case hex (decimal and ``0x`` ids converted, base64 left to the decoder); ids that are neither (a
sanitized fixture's ``"s01"``) are hashed to stable hex ids, so parent links still hold. Bad records are skipped and
reported (``(line, message)``), never raised; pure Python with msgspec, no polars.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from trajdyn import conventions as C
from trajdyn.analyzer.io._diagnose import BOM
from trajdyn.analyzer.io._otlp import TracesData

__all__ = ["CONTAINERS", "Converted", "read_container", "sniff_container"]

HEAD_BYTES: Final = 65536
"""Bytes of an input a container is recognised from."""
MAX_DEPTH: Final = 64
"""Nesting levels of an attribute value kept as structure; deeper values are kept as their JSON text."""

_I64: Final = (-(2**63), 2**63 - 1)
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_DURATION: Final = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$")
_DURATION_NS: Final = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_KINDS: Final = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5, "UNSPECIFIED": 0}
_STATUS: Final = {"UNSET": 0, "OK": 1, "ERROR": 2}
_ENCODER: Final = msgspec.json.Encoder()
_OBJECT_START: Final = re.compile(r"^\{", re.MULTILINE)
"""Where a console span object opens: a line that starts with ``{`` (``to_json`` indents everything inside)."""


@dataclass(slots=True)
class Converted:
    """What :func:`read_container` gives: OTLP documents with the line each starts at, and problems found."""

    documents: list[tuple[int, TracesData]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# detection
# ---------------------------------------------------------------------------------------------------------------
def _text(head: bytes) -> str:
    body = head[len(BOM) :] if head.startswith(BOM) else head
    return body[:HEAD_BYTES].decode("utf-8", errors="replace").lstrip()


_RULES: Final[dict[str, Callable[[str], bool]]] = {
    "otlp-array": lambda t: re.match(r'\[\s*\{\s*"resource_?[sS]pans"\s*:', t) is not None,
    "tempo": lambda t: (
        re.match(r'\{\s*"batches"\s*:\s*\[', t) is not None
        and ('"instrumentationLibrarySpans"' in t or '"scopeSpans"' in t or '"scope_spans"' in t)
    ),
    "any-agent": lambda t: (
        re.match(r'\{\s*"spans"\s*:\s*\[\s*\{', t) is not None and re.search(r'"trace_id"\s*:\s*\d', t) is not None
    ),
    "jaeger-model": lambda t: (
        re.match(r'\{\s*"spans"\s*:\s*\[\s*\{', t) is not None and '"traceId"' in t and '"operationName"' in t
    ),
    "jaeger-api": lambda t: (
        re.match(r'\{\s*"data"\s*:\s*\[\s*\{', t) is not None and '"traceID"' in t and '"spans"' in t
    ),
    "otel-console": lambda t: (
        t[:1] in ("{", "[")
        and re.search(r'"trace_id"\s*:\s*"0x', t) is not None
        and re.search(r'"kind"\s*:\s*"SpanKind\.', t) is not None
    ),
    "phoenix": lambda t: (
        re.match(r"\[\s*\{", t) is not None
        and '"context"' in t[:4000]
        and '"span_kind"' in t[:4000]
        and '"parent_id"' in t[:4000]
    ),
    "langfuse": lambda t: re.match(r'\{\s*"trace"\s*:\s*\{', t) is not None and '"projectId"' in t,
}


def sniff_container(head: bytes) -> str | None:
    """The span container an input starting with ``head`` is written in, or ``None`` (OTLP/JSON, or not spans).

    Every rule needs a key that native OTLP lacks at that position, so OTLP is never taken for a container.
    """
    text = _text(head)
    if not text:
        return None
    for name, rule in _RULES.items():
        if rule(text):
            return name
    return None


# ---------------------------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------------------------
def any_value(value: object, depth: int = 0) -> dict[str, Any]:
    """A plain JSON value as an OTLP ``AnyValue`` dict (an integer beyond 64 bits is kept as its digits)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": value} if _I64[0] <= value <= _I64[1] else {"stringValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if value is None:
        return {}
    if depth >= MAX_DEPTH:
        return {"stringValue": _ENCODER.encode(value).decode()}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v, depth + 1) for v in value]}}
    if isinstance(value, Mapping):
        return {
            "kvlistValue": {"values": [{"key": str(k), "value": any_value(v, depth + 1)} for k, v in value.items()]}
        }
    return {"stringValue": str(value)}


def key_values(attrs: object) -> list[dict[str, Any]]:
    """A flat attribute dict as OTLP ``KeyValue`` dicts (null values left out)."""
    if not isinstance(attrs, Mapping):
        return []
    return [{"key": str(k), "value": any_value(v)} for k, v in attrs.items() if v is not None]


def _hashed(raw: str, nbytes: int) -> str:
    return hashlib.blake2b(raw.encode(), digest_size=nbytes).hexdigest()


def hex_id(raw: object, nbytes: int) -> str:
    """An id as lower-case hex of ``nbytes`` bytes: hex (with or without ``0x``), a decimal integer, or any other
    string hashed to a stable id. ``""`` for none (null, empty, zero)."""
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, int):
        return format(raw, f"0{2 * nbytes}x")[-2 * nbytes :] if raw > 0 else ""
    if not isinstance(raw, str):
        return ""
    text = raw.strip()
    if text.lower().startswith("0x"):
        text = text[2:]
    if not text or text.strip("0") == "":
        return ""
    if len(text) <= 2 * nbytes and _HEX.fullmatch(text):
        return text.lower().rjust(2 * nbytes, "0")
    return _hashed(raw, nbytes)


def _iso_ns(value: object) -> int | None:
    """Unix nanoseconds of an ISO-8601 time (naive = UTC; ``Z`` accepted), or ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    fraction = re.search(r"\.(\d+)", text)
    nanos = 0
    if fraction is not None and len(fraction.group(1)) > 6:  # datetime keeps microseconds only
        digits = fraction.group(1)
        nanos = int(digits[6:9].ljust(3, "0"))
        text = text[: fraction.start(1) + 6] + text[fraction.end(1) :]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000 + nanos


def _time_ns(value: object) -> int:
    """Nanoseconds from an int (ns), a numeric string (ns) or an ISO string; 0 when unreadable."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        return _iso_ns(text) or 0
    return 0


def _checked_time(record: Mapping[str, Any], key: str, report: Callable[[str], None]) -> int:
    """``record[key]`` in nanoseconds (:func:`_time_ns`); a value present but unreadable is reported (read as 0, as
    the OTLP decoder reads a span without a time)."""
    value = record.get(key)
    found = _time_ns(value)
    if found == 0 and value not in (None, "", 0, "0"):
        name = str(record.get("name", ""))[:80]
        report(f"span {name!r}: {key} {str(value)[:40]!r} is not a time; read as 0")
    return found


def _duration_ns(value: object) -> int | None:
    """A protobuf-JSON duration (``"0.0001s"``, ``"100000ns"``) in nanoseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    found = _DURATION.match(value)
    if found is None:
        return None
    return int(float(found.group(1)) * _DURATION_NS[found.group(2)])


def _kind(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 5 else 0
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1].upper().removeprefix("SPAN_KIND_")
        return _KINDS.get(name, 0)
    return 0


def _status(code: object, message: object = None) -> dict[str, Any]:
    if isinstance(code, str):
        number = _STATUS.get(code.upper().removeprefix("STATUS_CODE_"), 0)
    elif isinstance(code, int) and not isinstance(code, bool):
        number = code if code in (0, 1, 2) else 0
    else:
        number = 0
    out: dict[str, Any] = {"code": number}
    if isinstance(message, str) and message:
        out["message"] = message
    return out


def _document(resource: Mapping[str, Any] | None, scope: str | None, spans: list[dict[str, Any]]) -> dict[str, Any]:
    scope_spans: dict[str, Any] = {"spans": spans}
    if scope:
        scope_spans["scope"] = {"name": scope}
    return {"resourceSpans": [{"resource": {"attributes": key_values(resource or {})}, "scopeSpans": [scope_spans]}]}


def _grouped(rows: list[tuple[Mapping[str, Any] | None, str | None, dict[str, Any]]]) -> dict[str, Any]:
    """One OTLP document of spans, grouped by (resource, scope) in order of first appearance."""
    groups: dict[tuple[str, str], tuple[Mapping[str, Any] | None, str | None, list[dict[str, Any]]]] = {}
    for resource, scope, span in rows:
        key = (_ENCODER.encode(resource or {}).decode(), scope or "")
        if key not in groups:
            groups[key] = (resource, scope, [])
        groups[key][2].append(span)
    resource_spans = []
    for resource, scope, spans in groups.values():
        resource_spans.extend(_document(resource, scope, spans)["resourceSpans"])
    return {"resourceSpans": resource_spans}


def _dict(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


_ARRAY_OF: Final[dict[str, re.Pattern[str]]] = {
    "any-agent": re.compile(r'"spans"\s*:\s*\['),
    "otlp-array": re.compile(r"\["),
    "phoenix": re.compile(r"\["),
}
"""Containers whose spans are the elements of one JSON array: where that array opens."""


def array_elements(text: str, name: str) -> tuple[list[tuple[int, object]], tuple[int, str] | None]:
    """The elements of container ``name``'s span array read one by one, each with the line it starts at, and where
    reading stopped early (``(line, why)``: an element cut short or malformed), else ``None``.

    Used to name the line of a bad record and to keep the spans before the point where a file is cut short; a
    complete, valid file is decoded in one go by msgspec instead."""
    opening = _ARRAY_OF[name].search(text)
    if opening is None:
        return [], (1, "no span array found")
    decoder = json.JSONDecoder()
    found: list[tuple[int, object]] = []
    position = opening.end()
    line, counted = 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        line += text.count("\n", counted, position)
        counted = position
        if position >= len(text):
            return found, (line, "the file ends inside the span array")
        if text[position] == "]":
            return found, None
        try:
            element, end = decoder.raw_decode(text, position)
        except ValueError:
            return found, (line, "a span record cut short or malformed")
        found.append((line, element))
        position = end


# ---------------------------------------------------------------------------------------------------------------
# readers: raw bytes -> OTLP dicts (one or more documents, with the line each starts at)
# ---------------------------------------------------------------------------------------------------------------
Documents = list[tuple[int, dict[str, Any]]]
Problems = list[tuple[int, str]]
Lines = Callable[[int], int]
"""The line element ``k`` of a container's span array starts at (computed only when a problem needs it)."""


def _first_line(_: int) -> int:
    return 1


def _otlp_array(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    out: Documents = []
    for k, doc in enumerate(obj if isinstance(obj, list) else []):
        if isinstance(doc, dict) and ("resourceSpans" in doc or "resource_spans" in doc):
            out.append((where(k), doc))
        else:
            problems.append((where(k), f"element {k} of the array is not an OTLP document; skipped"))
    return out


def _tempo(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    if not isinstance(obj, dict) or not isinstance(obj.get("batches"), list):
        problems.append((1, 'expected {"batches": [...]}; nothing read'))
        return []
    batches = []
    for batch in obj["batches"]:
        if not isinstance(batch, dict):
            continue
        scopes = batch.get("scopeSpans", batch.get("scope_spans", batch.get("instrumentationLibrarySpans", [])))
        fixed = []
        for scope_spans in scopes if isinstance(scopes, list) else []:
            if not isinstance(scope_spans, dict):
                continue
            scope = scope_spans.get("scope", scope_spans.get("instrumentationLibrary"))
            fixed.append({"scope": scope if isinstance(scope, dict) else None, "spans": scope_spans.get("spans", [])})
        batches.append({"resource": batch.get("resource"), "scopeSpans": fixed})
    return [(1, {"resourceSpans": batches})]


def _sdk_span(
    sp: Mapping[str, Any], report: Callable[[str], None]
) -> tuple[Mapping[str, Any] | None, str | None, dict[str, Any]]:
    """An OpenTelemetry SDK span dict (``ReadableSpan.to_json()``, any-agent) as (resource, scope, OTLP span);
    ``report`` is told about a time it cannot read."""
    context = _dict(sp.get("context"))
    parent = sp.get("parent_id")
    parent_ctx = sp.get("parent")
    if parent is None and isinstance(parent_ctx, dict):
        parent = parent_ctx.get("span_id")
    status = _dict(sp.get("status"))
    events = []
    for ev in sp.get("events") or []:
        if isinstance(ev, dict):
            events.append(
                {
                    "name": str(ev.get("name", "")),
                    "timeUnixNano": _time_ns(ev.get("timestamp")),
                    "attributes": key_values(ev.get("attributes")),
                }
            )
    span = {
        "traceId": hex_id(context.get("trace_id"), 16),
        "spanId": hex_id(context.get("span_id"), 8),
        "parentSpanId": hex_id(parent, 8),
        "name": str(sp.get("name", "")),
        "kind": _kind(sp.get("kind")),
        "startTimeUnixNano": _checked_time(sp, "start_time", report),
        "endTimeUnixNano": _checked_time(sp, "end_time", report),
        "attributes": key_values(sp.get("attributes")),
        "events": events,
        "status": _status(status.get("status_code"), status.get("description")),
    }
    resource = sp.get("resource")
    resource_attrs = resource.get("attributes") if isinstance(resource, dict) else None
    scope = sp.get("instrumentation_scope") or sp.get("instrumentation_info")
    scope_name = scope.get("name") if isinstance(scope, dict) else None
    return (resource_attrs if isinstance(resource_attrs, dict) else None), scope_name, span


def _sdk_spans(records: list[tuple[int, object]], problems: Problems, where: Lines | None = None) -> Documents:
    """``records``: (line, span dict), or (element index, span dict) with ``where`` giving its line."""
    rows = []

    def at(key: int) -> int:
        return key if where is None else where(key)

    first = at(records[0][0]) if records else 1
    for key, sp in records:
        if not isinstance(sp, dict) or not isinstance(sp.get("context"), dict):
            problems.append((at(key), "not an OpenTelemetry span object (no context); skipped"))
            continue

        def report(why: str, key: int = key) -> None:
            problems.append((at(key), why))

        rows.append(_sdk_span(sp, report))
    return [(first, _grouped(rows))] if rows else []


def _any_agent(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    spans = obj.get("spans") if isinstance(obj, dict) else None
    if not isinstance(spans, list):
        problems.append((1, 'expected {"spans": [...]}; nothing read'))
        return []
    return _sdk_spans([(k, sp) for k, sp in enumerate(spans)], problems, where)


def _console(raw: bytes, problems: Problems) -> Documents:
    """Objects one after another (no commas), or one JSON array of them.

    Text between objects (a program's own prints) and an object cut short (a killed process) are reported at their
    line and skipped; reading resumes at the next line that opens an object.
    """
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            array = json.loads(stripped)
        except ValueError:
            array = None
        if isinstance(array, list):
            return _sdk_spans([(1, sp) for sp in array], problems)
    decoder = json.JSONDecoder()
    records: list[tuple[int, object]] = []
    counted = [0, 1]  # lines are counted once, front to back: [offset, line number at that offset]

    def line_at(offset: int) -> int:
        counted[1] += text.count("\n", counted[0], offset)
        counted[0] = offset
        return counted[1]

    position = 0
    while position < len(text):
        found = _OBJECT_START.search(text, position)
        start = len(text) if found is None else found.start()
        junk = text[position:start]
        if junk.strip():
            problems.append(
                (line_at(position + len(junk) - len(junk.lstrip())), "text that is not a span object; skipped")
            )
        if found is None:
            break
        line = line_at(start)
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            problems.append((line, "a span object that is cut short or malformed; skipped"))
            following = _OBJECT_START.search(text, start + 1)
            position = len(text) if following is None else following.start()
            continue
        records.append((line, obj))
        position = end
    return _sdk_spans(records, problems)


def _b64_or_hex(raw: object, nbytes: int) -> str:
    """A Jaeger id: base64 (model JSON) or hex (query API); left for the decoder to normalise."""
    return raw if isinstance(raw, str) else ""


def _jaeger_tags(tags: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, dict) or "key" not in tag:
            continue
        if "value" in tag:
            out[str(tag["key"])] = tag["value"]
            continue
        for name in ("vStr", "vInt64", "vBool", "vFloat64", "vBinary"):
            if name in tag:
                value = tag[name]
                if name == "vInt64" and isinstance(value, str) and value.lstrip("-").isdigit():
                    value = int(value)
                out[str(tag["key"])] = value
                break
    return out


def _jaeger_span(
    sp: Mapping[str, Any], trace_key: str, span_key: str, process: Mapping[str, Any] | None, micros: bool
) -> tuple[Mapping[str, Any] | None, str | None, dict[str, Any]]:
    trace = _b64_or_hex(sp.get(trace_key), 16)
    parent = ""
    for ref in sp.get("references") or []:
        if not isinstance(ref, dict):
            continue
        if ref.get("refType", "CHILD_OF") == "CHILD_OF" and ref.get(trace_key) == trace:
            parent = _b64_or_hex(ref.get(span_key), 8)
            break
    if not parent and isinstance(sp.get("parentSpanID"), str):
        parent = sp["parentSpanID"]
    tags = _jaeger_tags(sp.get("tags"))
    kind = _kind(tags.pop("span.kind", 0))
    code: object = tags.pop("otel.status_code", None)
    message = tags.pop("otel.status_description", None)
    if tags.get("error") is True or tags.get("error") == "true":
        code = "ERROR"
    scope = tags.pop("otel.library.name", None) or tags.pop("otel.scope.name", None)
    if micros:
        start = sp.get("startTime")
        start_ns = start * 1000 if isinstance(start, int) and not isinstance(start, bool) else 0
        duration = sp.get("duration")
        end_ns = start_ns + int(duration) * 1000 if isinstance(duration, int) and not isinstance(duration, bool) else 0
    else:
        start_ns = _time_ns(sp.get("startTime"))
        duration_ns = _duration_ns(sp.get("duration"))
        end_ns = start_ns + duration_ns if start_ns and duration_ns is not None else 0
    events = []
    for log in sp.get("logs") or []:
        if not isinstance(log, dict):
            continue
        fields = _jaeger_tags(log.get("fields"))
        name = fields.pop("event", None)
        ts = log.get("timestamp")
        events.append(
            {
                "name": str(name) if name is not None else "log",
                "timeUnixNano": int(ts) * 1000 if micros and isinstance(ts, int) else _time_ns(ts),
                "attributes": key_values(fields),
            }
        )
    resource: dict[str, object] = {}
    if process is not None:
        resource.update(_jaeger_tags(process.get("tags")))
        if process.get("serviceName"):
            resource[C.SERVICE_NAME] = process["serviceName"]
    span = {
        "traceId": trace,
        "spanId": _b64_or_hex(sp.get(span_key), 8),
        "parentSpanId": parent,
        "name": str(sp.get("operationName", "")),
        "kind": kind,
        "startTimeUnixNano": start_ns,
        "endTimeUnixNano": end_ns,
        "attributes": key_values(tags),
        "events": events,
        "status": _status(code, message),
    }
    return resource, (str(scope) if scope else None), span


def _jaeger_model(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    spans = obj.get("spans") if isinstance(obj, dict) else None
    rows = []
    for sp in spans if isinstance(spans, list) else []:
        if isinstance(sp, dict):
            process = sp.get("process") if isinstance(sp.get("process"), dict) else None
            rows.append(_jaeger_span(sp, "traceId", "spanId", process, micros=False))
    return [(1, _grouped(rows))] if rows else []


def _jaeger_api(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    data = obj.get("data") if isinstance(obj, dict) else None
    rows = []
    for trace in data if isinstance(data, list) else []:
        if not isinstance(trace, dict):
            continue
        processes = _dict(trace.get("processes"))
        for sp in trace.get("spans") or []:
            if isinstance(sp, dict):
                process = processes.get(str(sp.get("processID")))
                rows.append(
                    _jaeger_span(sp, "traceID", "spanID", process if isinstance(process, dict) else None, micros=True)
                )
    return [(1, _grouped(rows))] if rows else []


def _phoenix(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    rows: list[tuple[Mapping[str, Any] | None, str | None, dict[str, Any]]] = []
    for k, sp in enumerate(_list(obj)):
        context = sp.get("context") if isinstance(sp, dict) else None
        if not isinstance(context, dict):
            problems.append((where(k), f"element {k} is not a Phoenix span (no context); skipped"))
            continue

        def report(why: str, k: int = k) -> None:
            problems.append((where(k), why))

        attrs = dict(sp.get("attributes") or {}) if isinstance(sp.get("attributes"), dict) else {}
        if sp.get("span_kind") and C.FOREIGN_OPENINFERENCE_SPAN_KIND not in attrs:
            attrs[C.FOREIGN_OPENINFERENCE_SPAN_KIND] = sp["span_kind"]
        events = [
            {
                "name": str(ev.get("name", "")),
                "timeUnixNano": _time_ns(ev.get("timestamp")),
                "attributes": key_values(ev.get("attributes")),
            }
            for ev in sp.get("events") or []
            if isinstance(ev, dict)
        ]
        span = {
            "traceId": hex_id(context.get("trace_id"), 16),
            "spanId": hex_id(context.get("span_id"), 8),
            "parentSpanId": hex_id(sp.get("parent_id"), 8),
            "name": str(sp.get("name", "")),
            "kind": 1,
            "startTimeUnixNano": _checked_time(sp, "start_time", report),
            "endTimeUnixNano": _checked_time(sp, "end_time", report),
            "attributes": key_values(attrs),
            "events": events,
            "status": _status(sp.get("status_code"), sp.get("status_message")),
        }
        rows.append((None, None, span))
    return [(1, _grouped(rows))] if rows else []


def _json_object(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _langfuse(obj: object, problems: Problems, where: Lines = _first_line) -> Documents:
    """A Langfuse trace export: the trace becomes a root ``invoke_agent`` span, each observation a span under it.

    Observation fields map to GenAI keys: TOOL → ``execute_tool`` (the tool's name from the Vercel AI SDK's
    ``ai.toolCall.name`` in the metadata, else the observation name), a GENERATION with a model → ``chat`` with
    ``gen_ai.request.model``, ``gen_ai.usage.*`` from ``usageDetails`` and ``trajdyn.cost`` from ``totalCost``;
    level ERROR → status ERROR. Trace scores become ``trajdyn.metrics.<name>`` on the root (evaluations, not a
    reward). The observations' own OpenTelemetry attributes (``metadata.attributes``) are kept.
    """
    trace = obj.get("trace") if isinstance(obj, dict) else None
    if not isinstance(trace, dict):
        problems.append((1, 'expected {"trace": {...}}; nothing read'))
        return []
    observations = _list(_dict(obj).get("observations")) or _list(trace.get("observations"))
    trace_id = hex_id(trace.get("id"), 16)
    root_id = _hashed(f"langfuse-trace:{trace.get('id')}", 8)
    seen: set[str] = set()
    rows: list[tuple[Mapping[str, Any] | None, str | None, dict[str, Any]]] = []
    ends = [0]
    for k, ob in enumerate(observations):
        if not isinstance(ob, dict) or not ob.get("id"):
            problems.append((1, f"observation {k} has no id; skipped"))
            continue
        if str(ob["id"]) in seen:
            continue
        seen.add(str(ob["id"]))
        metadata = _json_object(ob.get("metadata"))
        attrs: dict[str, object] = dict(_json_object(metadata.get("attributes")))
        kind = str(ob.get("type") or "")
        attrs[C.FOREIGN_LANGFUSE_OBSERVATION_TYPE] = kind
        if kind == "TOOL":
            attrs[C.GEN_AI_OPERATION_NAME] = C.OPERATION_EXECUTE_TOOL
            attrs[C.FOREIGN_GEN_AI_TOOL_NAME] = attrs.get(C.FOREIGN_VERCEL_TOOL_CALL_NAME) or ob.get("name")
            if attrs.get(C.FOREIGN_VERCEL_TOOL_CALL_ARGS) is not None:
                attrs[C.FOREIGN_GEN_AI_TOOL_CALL_ARGUMENTS] = attrs[C.FOREIGN_VERCEL_TOOL_CALL_ARGS]
            if attrs.get(C.FOREIGN_VERCEL_TOOL_CALL_RESULT) is not None:
                attrs[C.FOREIGN_GEN_AI_TOOL_CALL_RESULT] = attrs[C.FOREIGN_VERCEL_TOOL_CALL_RESULT]
        elif kind == "GENERATION" and ob.get("model"):
            attrs[C.GEN_AI_OPERATION_NAME] = C.OPERATION_CHAT
            attrs[C.GEN_AI_REQUEST_MODEL] = ob["model"]
            usage = _dict(ob.get("usageDetails"))
            for source, key in (("input", C.GEN_AI_USAGE_INPUT_TOKENS), ("output", C.GEN_AI_USAGE_OUTPUT_TOKENS)):
                value = _number(usage.get(source))
                attrs[key] = None if value is None else int(value)
            cost = _number(ob.get("totalCost"))
            attrs[C.COST] = cost
        else:
            attrs.pop(C.GEN_AI_OPERATION_NAME, None)
        start = _time_ns(ob.get("startTime"))
        end = _time_ns(ob.get("endTime"))
        ends.append(end)
        level = str(ob.get("level") or "").upper()
        span = {
            "traceId": trace_id,
            "spanId": hex_id(ob["id"], 8),
            "parentSpanId": hex_id(ob.get("parentObservationId"), 8) or root_id,
            "name": str(ob.get("name") or kind.lower()),
            "kind": 1,
            "startTimeUnixNano": start,
            "endTimeUnixNano": end,
            "attributes": key_values(attrs),
            "events": [],
            "status": _status("ERROR" if level == "ERROR" else "UNSET", ob.get("statusMessage")),
        }
        resource = _json_object(metadata.get("resourceAttributes"))
        scope = _json_object(metadata.get("scope")).get("name")
        rows.append((resource or None, str(scope) if scope else None, span))
    root_attrs: dict[str, object] = {
        C.GEN_AI_OPERATION_NAME: C.OPERATION_INVOKE_AGENT,
        C.GEN_AI_AGENT_NAME: trace.get("name"),
        C.FOREIGN_GEN_AI_CONVERSATION_ID: trace.get("sessionId"),
        C.FOREIGN_OPENINFERENCE_INPUT_VALUE: trace.get("input") if isinstance(trace.get("input"), str) else None,
    }
    for score in trace.get("scores") or []:
        if isinstance(score, dict) and score.get("name"):
            value = _number(score.get("value"))
            if value is not None:
                root_attrs[C.metrics_key(str(score["name"]))] = value
    start = _time_ns(trace.get("timestamp"))
    root = {
        "traceId": trace_id,
        "spanId": root_id,
        "parentSpanId": "",
        "name": f"{C.OPERATION_INVOKE_AGENT} {trace.get('name')}" if trace.get("name") else C.OPERATION_INVOKE_AGENT,
        "kind": 1,
        "startTimeUnixNano": start,
        "endTimeUnixNano": max(ends),
        "attributes": key_values(root_attrs),
        "events": [],
        "status": {"code": 0},
    }
    return [(1, _grouped([(None, None, root), *rows]))]


_JSON_READERS: Final[dict[str, Callable[[object, Problems, Lines], Documents]]] = {
    "otlp-array": _otlp_array,
    "tempo": _tempo,
    "any-agent": _any_agent,
    "jaeger-model": _jaeger_model,
    "jaeger-api": _jaeger_api,
    "phoenix": _phoenix,
    "langfuse": _langfuse,
}
CONTAINERS: Final = (*_JSON_READERS, "otel-console")
"""The container names, as :func:`sniff_container` returns them."""


def _converted(docs: Documents, problems: Problems) -> Iterator[tuple[int, TracesData]]:
    for line, doc in docs:
        if isinstance(doc, dict) and "resource_spans" in doc and "resourceSpans" not in doc:
            doc = {"resourceSpans": doc["resource_spans"]}
        try:
            yield line, msgspec.convert(doc, TracesData)
        except msgspec.ValidationError as exc:
            problems.append((line, f"malformed span record: {exc}; skipped"))


def read_container(name: str, raw: bytes) -> Converted:
    """Read a whole input written in container ``name`` (see :data:`CONTAINERS`); never raises on bad input."""
    out = Converted()
    if name == "otel-console":
        docs = _console(raw, out.problems)
    else:
        body = raw[len(BOM) :] if raw.startswith(BOM) else raw
        lines: list[int] | None = None

        def where(k: int) -> int:
            nonlocal lines
            if lines is None:
                text = body.decode("utf-8", errors="replace")
                lines = [line for line, _ in array_elements(text, name)[0]] if name in _ARRAY_OF else []
            return lines[k] if k < len(lines) else 1

        try:
            obj: object = msgspec.json.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError):
            if name not in _ARRAY_OF:
                out.problems.append((1, f"not valid JSON, though it starts like a {name} span file; nothing read"))
                return out
            # cut short (a killed writer) or broken in the middle: keep the records before the break
            elements, stop = array_elements(body.decode("utf-8", errors="replace"), name)
            line, why = stop or (1, "not valid JSON")
            out.problems.append((line, f"{why}; the {len(elements)} record(s) before it are read, the rest is lost"))
            lines = [at for at, _ in elements]
            records = [element for _, element in elements]
            obj = {"spans": records} if name == "any-agent" else records
        except RecursionError:
            out.problems.append((1, "JSON nested too deeply to decode"))
            return out
        docs = _JSON_READERS[name](obj, out.problems, where)
    out.documents.extend(_converted(docs, out.problems))
    if not out.documents and not out.problems:
        out.problems.append((1, f"a {name} span file without any span"))
    return out
