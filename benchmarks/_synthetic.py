"""What the benchmark scripts share: OTLP/JSON attributes and the batched writing of synthetic span dumps.

Values are encoded by the importers' OTLP writer (:mod:`trajdyn.formats._otlp_writer`), so the dumps look
exactly like what the SDK's file exporter writes: one ``TracesData`` per batch of 512 spans.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from trajdyn.formats._otlp_writer import AttrValue, any_value

BATCH = 512


def attr(key: str, value: AttrValue) -> dict[str, Any]:
    """One OTLP/JSON ``KeyValue``."""
    return {"key": key, "value": any_value(value)}


def write_batches(
    path: Path, spans: Iterable[dict[str, Any]], resource: list[dict[str, Any]], *, batch_size: int = BATCH
) -> int:
    """Write ``spans`` to ``path`` as OTLP/JSON lines of at most ``batch_size`` spans; returns the number written."""
    encoder = msgspec.json.Encoder()
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        doc = {
            "resourceSpans": [
                {"resource": {"attributes": resource}, "scopeSpans": [{"scope": {"name": "trajdyn"}, "spans": batch}]}
            ]
        }
        fh.write(encoder.encode(doc) + b"\n")

    with path.open("wb") as fh:
        for span in spans:
            batch.append(span)
            if len(batch) == batch_size:
                flush()
                written += len(batch)
                batch = []
        if batch:
            flush()
            written += len(batch)
    return written
