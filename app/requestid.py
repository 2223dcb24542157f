"""The id of the request being served, for logs and audit entries.

The HTTP layer sets it for each request (taken from a well-formed ``X-Request-ID`` header or made
fresh) and echoes it in the response; anything below reads it with ``current()``.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    """The id of the request this code runs for; None outside a request (the CLI, start-up)."""
    return REQUEST_ID.get()
