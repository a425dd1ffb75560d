"""The ``exception`` event and ERROR status of a span, with secrets scrubbed from the message and the stack trace.

The same attributes as OpenTelemetry's ``Span.record_exception`` (``exception.type``, ``exception.message``,
``exception.stacktrace``, ``exception.escaped``), but the message, the stack trace (its source lines included) and
the status description pass through :func:`trajdyn.redact.scrub_secrets` first, whatever the content-capture
setting: an exception's text is data the agent produced, and may hold a key or a password.
"""

from __future__ import annotations

import traceback

from opentelemetry.trace import Span, Status, StatusCode

from trajdyn import conventions as C
from trajdyn.redact import scrub_secrets

__all__ = ["record_error"]


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not break the user's loop
        return f"<unprintable {type(exc).__name__}>"


def _stacktrace(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(exc))
    except Exception:
        return ""


def record_error(span: Span, exc: BaseException) -> None:
    """Add the scrubbed ``exception`` event to ``span`` and set its status ERROR (``Type: message``)."""
    cls = type(exc)
    module, qualname = cls.__module__, cls.__qualname__
    message = scrub_secrets(_text(exc))
    span.add_event(
        C.EVENT_EXCEPTION,
        {
            C.EXCEPTION_TYPE: f"{module}.{qualname}" if module and module != "builtins" else qualname,
            C.EXCEPTION_MESSAGE: message,
            C.EXCEPTION_STACKTRACE: scrub_secrets(_stacktrace(exc)),
            C.EXCEPTION_ESCAPED: "False",
        },
    )
    span.set_status(Status(StatusCode.ERROR, f"{cls.__name__}: {message}"))
