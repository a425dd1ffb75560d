"""Build OTLP/JSON ``ExportTraceServiceRequest`` dicts by hand, with deterministic ids, and write them as JSON lines.

The dicts follow the protobuf JSON mapping that the OpenTelemetry file exporter and the Collector use:
camelCase field names, lower-case hex ids, 64-bit integers (times, ``intValue``) as decimal strings,
``kind`` and ``status.code`` as numbers. Importers build spans with :func:`span` and group them with
:func:`request`; :func:`write_jsonl` writes one request per line.

Pure Python (``hashlib`` + ``json``): importing this module never pulls polars or numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, TypeAlias

from trajdyn import conventions as C

AttrValue: TypeAlias = str | bool | int | float | Sequence[str]
"""An attribute value the writer can encode: scalars or a string array."""

SPAN_KIND_INTERNAL: Final = 1
STATUS_CODE_ERROR: Final = 2

# Keys (trajdyn's and the OpenTelemetry ones it uses) come from trajdyn.conventions.
SERVICE_NAME_KEY: Final = C.SERVICE_NAME
IMPORT_SERVICE_NAME: Final = C.IMPORT_SERVICE_NAME
IMPORT_SOURCE_KEY: Final = C.IMPORT_SOURCE
IMPORT_FORMAT_KEY: Final = C.IMPORT_FORMAT
VCS_REVISION_KEY: Final = C.VCS_REF_HEAD_REVISION
IMPORT_SCOPE_PREFIX: Final = C.IMPORT_SCOPE_PREFIX


def scope_name(format_name: str) -> str:
    """Instrumentation scope of an importer: ``trajdyn.import.<format>``."""
    return IMPORT_SCOPE_PREFIX + format_name


class IdSource:
    """Deterministic trace and span ids derived from a seed (the source path) and a per-item key.

    The same seed and key always give the same id, so re-importing a file gives the same spans and the
    analyzer de-duplicates a file imported twice. Ids are never all zeros (invalid in OTLP).
    """

    __slots__ = ("_seed",)

    def __init__(self, seed: str) -> None:
        self._seed = seed

    def _hex(self, key: str, n_hex: int) -> str:
        digest = hashlib.sha256(f"{self._seed}\x00{key}".encode()).hexdigest()[:n_hex]
        if set(digest) == {"0"}:
            digest = digest[:-1] + "1"
        return digest

    def trace_id(self, key: str) -> str:
        """32 lower-case hex digits."""
        return self._hex("trace\x00" + key, 32)

    def span_id(self, key: str) -> str:
        """16 lower-case hex digits."""
        return self._hex("span\x00" + key, 16)


def any_value(value: AttrValue) -> dict[str, Any]:
    """Encode one attribute value as an OTLP/JSON ``AnyValue``.

    Raises ``ValueError`` for a non-finite float (JSON has no NaN); callers drop those first.
    """
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot encode the non-finite attribute value {value!r}")
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"arrayValue": {"values": [{"stringValue": str(v)} for v in value]}}


def attributes(attrs: Mapping[str, AttrValue | None]) -> list[dict[str, Any]]:
    """OTLP/JSON ``KeyValue`` list of ``attrs``, leaving out ``None`` values."""
    return [{"key": key, "value": any_value(value)} for key, value in attrs.items() if value is not None]


def event(name: str, time_ns: int, attrs: Mapping[str, AttrValue | None]) -> dict[str, Any]:
    """One span event."""
    out: dict[str, Any] = {"timeUnixNano": str(time_ns), "name": name}
    encoded = attributes(attrs)
    if encoded:
        out["attributes"] = encoded
    return out


def span(
    *,
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    name: str,
    start_ns: int,
    end_ns: int,
    attrs: Mapping[str, AttrValue | None],
    events: Sequence[dict[str, Any]] = (),
    error: str | None = None,
) -> dict[str, Any]:
    """One OTLP/JSON span of kind INTERNAL; ``error`` sets status ERROR with that message."""
    out: dict[str, Any] = {"traceId": trace_id, "spanId": span_id}
    if parent_span_id is not None:
        out["parentSpanId"] = parent_span_id
    out.update(
        {
            "name": name,
            "kind": SPAN_KIND_INTERNAL,
            "startTimeUnixNano": str(start_ns),
            "endTimeUnixNano": str(max(start_ns, end_ns)),
            "attributes": attributes(attrs),
        }
    )
    if events:
        out["events"] = list(events)
    out["status"] = {"code": STATUS_CODE_ERROR, "message": error} if error is not None else {}
    return out


def request(
    *,
    resource: Mapping[str, AttrValue | None],
    scope: str,
    scope_version: str | None,
    spans: Sequence[dict[str, Any]],
    schema_url: str | None = None,
) -> dict[str, Any]:
    """One ``ExportTraceServiceRequest`` holding ``spans`` under one resource and one scope."""
    scope_obj: dict[str, Any] = {"name": scope}
    if scope_version:
        scope_obj["version"] = scope_version
    scope_spans: dict[str, Any] = {"scope": scope_obj, "spans": list(spans)}
    resource_spans: dict[str, Any] = {"resource": {"attributes": attributes(resource)}, "scopeSpans": [scope_spans]}
    if schema_url:
        scope_spans["schemaUrl"] = schema_url
        resource_spans["schemaUrl"] = schema_url
    return {"resourceSpans": [resource_spans]}


def count_spans(req: Mapping[str, Any]) -> int:
    """Number of spans in one request dict."""
    return sum(len(ss.get("spans", ())) for rs in req.get("resourceSpans", ()) for ss in rs.get("scopeSpans", ()))


def write_jsonl(requests: Iterable[Mapping[str, Any]], out: Path | IO[str]) -> int:
    """Write ``requests`` as OTLP/JSON lines (one request per line) to a path or text stream.

    Returns the number of spans written.
    """
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8") as fh:
            return write_jsonl(requests, fh)
    n = 0
    for req in requests:
        out.write(json.dumps(req, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        n += count_spans(req)
    out.flush()
    return n
