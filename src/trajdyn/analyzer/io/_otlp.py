"""msgspec structs for OTLP/JSON traces (``TracesData``), as written by OpenTelemetry file exporters.

Field names follow the proto3 JSON mapping (lowerCamelCase, ``rename="camel"``). Every field has a default so that
producers that omit empty fields decode, unknown fields are ignored, and the 64-bit and enum fields accept both the
spec's spelling (strings, ints) and what real producers write instead (ints, enum names). Only ``resourceSpans`` is
required: a JSON object without it is not an OTLP traces document. Span links and dropped counts are not decoded.

References: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding and
``opentelemetry/proto/trace/v1/trace.proto``.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AnyValue",
    "ArrayValue",
    "Event",
    "KeyValue",
    "KeyValueList",
    "Resource",
    "ResourceSpans",
    "Scope",
    "ScopeSpans",
    "Span",
    "Status",
    "TracesData",
]


class ArrayValue(msgspec.Struct, rename="camel", gc=False):
    """``ArrayValue``: a list of AnyValues."""

    values: list[AnyValue] = []


class KeyValueList(msgspec.Struct, rename="camel", gc=False):
    """``KeyValueList``: a list of KeyValues (a map)."""

    values: list[KeyValue] = []


class AnyValue(msgspec.Struct, rename="camel", gc=False):
    """``AnyValue``: exactly one field is set by a conforming producer (none for an empty value)."""

    string_value: str | None = None
    bool_value: bool | None = None
    int_value: int | str | None = None
    double_value: float | str | None = None
    array_value: ArrayValue | None = None
    kvlist_value: KeyValueList | None = None
    bytes_value: str | None = None


class KeyValue(msgspec.Struct, rename="camel", gc=False):
    """One attribute."""

    key: str = ""
    value: AnyValue | None = None


class Status(msgspec.Struct, rename="camel", gc=False):
    """Span status: ``code`` 0 unset, 1 ok, 2 error (or the enum name ``STATUS_CODE_ERROR``)."""

    code: int | str = 0
    message: str = ""


class Event(msgspec.Struct, rename="camel", gc=False):
    """A span event."""

    time_unix_nano: int | str = 0
    name: str = ""
    attributes: list[KeyValue] = []


class Span(msgspec.Struct, rename="camel", gc=False):
    """A span; ids are hex (or base64) strings, times unix nanoseconds as a string or a number."""

    trace_id: str = ""
    span_id: str = ""
    parent_span_id: str = ""
    name: str = ""
    kind: int | str = 0
    start_time_unix_nano: int | str = 0
    end_time_unix_nano: int | str = 0
    attributes: list[KeyValue] = []
    events: list[Event] = []
    status: Status | None = None


class Scope(msgspec.Struct, rename="camel", gc=False):
    """Instrumentation scope."""

    name: str = ""
    version: str = ""


class ScopeSpans(msgspec.Struct, rename="camel", gc=False):
    """The spans of one instrumentation scope."""

    scope: Scope | None = None
    spans: list[Span] = []


class Resource(msgspec.Struct, rename="camel", gc=False):
    """The resource (process) that emitted the spans."""

    attributes: list[KeyValue] = []


class ResourceSpans(msgspec.Struct, rename="camel", gc=False):
    """The spans of one resource."""

    resource: Resource | None = None
    scope_spans: list[ScopeSpans] = []


class TracesData(msgspec.Struct, rename="camel", gc=False):
    """One OTLP/JSON traces document (one line of a JSON-lines file)."""

    resource_spans: list[ResourceSpans]
