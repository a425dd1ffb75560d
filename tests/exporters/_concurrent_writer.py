"""Subprocess of the concurrency tests: appends spans to one shared file through a JsonLinesSpanExporter.

Usage: python _concurrent_writer.py PATH WORKER SPANS PAYLOAD_BYTES ROTATE_BYTES|none GO_FILE
Each span is exported alone (SimpleSpanProcessor), so every span is one line; ``payload`` makes lines larger
than PIPE_BUF. Writing starts once GO_FILE exists, so that the workers overlap.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from trajdyn import conventions as C
from trajdyn.exporters import JsonLinesSpanExporter


def main() -> int:
    path, worker, n, payload, rotate, go = sys.argv[1:7]
    exporter = JsonLinesSpanExporter(path, rotate_bytes=None if rotate == "none" else int(rotate))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(C.INSTRUMENTATION_SCOPE)
    deadline = time.monotonic() + 30
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    text = worker * int(payload)
    for i in range(int(n)):
        with tracer.start_as_current_span(
            C.PHASE_PROPOSE, attributes={C.TASK_ID: f"w{worker}", C.ITERATION: i + 1, C.CONTENT: text}
        ):
            pass
    provider.shutdown()
    return 1 if exporter.failed_exports else 0


if __name__ == "__main__":
    sys.exit(main())
