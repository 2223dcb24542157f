"""The console's logging: one JSON object per line, with the request id, and no secrets.

``configure(level)`` (``netpol-console serve``) sends every logger, uvicorn's included, to stderr
as JSON lines: ``time``, ``level``, ``logger``, ``message``, ``request_id`` (the request being
served, ``app.requestid``; null outside one), ``exception`` when there is one, and for the access
log (logger ``netpol.access``, written by ``app.web.observe`` instead of uvicorn's) ``method``,
``route`` (the route template), ``path`` (never the query string, which can carry an OIDC code),
``status`` and ``duration`` (seconds).

Secrets are kept out of log lines where they could arise (no query strings, no request bodies,
no headers); ``Redact``, on every handler, is the second line of defence: it masks what looks
like a credential (API tokens ``npc_…``, ``Bearer …``, JWTs, ``password=…``-like pairs, the
session cookie, an OIDC callback's ``code`` and ``state``, pydantic's ``input_value``) in the
message and the exception text before any handler writes the record. The database engine hides
the values bound to its statements (``app.db``), so its errors show none.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import IO, Any

from app import requestid

ACCESS_LOGGER = "netpol.access"
ACCESS_FIELDS = ("method", "route", "path", "status", "duration", "client")
MASK = "[redacted]"

_SECRETS = re.compile(
    r"""
    (?P<token>npc_[A-Za-z0-9_\-]{8,})                                   # console API tokens
    | (?P<jwt>eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)    # JWTs (ID and access tokens)
    | (?P<scheme>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=\-]+               # Authorization values
    | (?P<pair>\b(?:password|passwd|secret|client_secret|token|access_token|refresh_token|id_token
        |code_verifier|netpol_session|csrf_token|api_key|input_value)
        (?:["']?\s*[:=]\s*["']?))[^\s"'&,;}]+                            # key=value, "key": "value"
    | (?P<query>[?&](?:code|state|session_state)=)[^\s"'&#]+             # an OIDC callback's query
    """,
    re.IGNORECASE | re.VERBOSE,
)


def redact(text: str) -> str:
    """``text`` with whatever looks like a credential replaced by ``[redacted]``."""

    def mask(found: re.Match[str]) -> str:
        prefix = found.group("scheme") or found.group("pair") or found.group("query") or ""
        return prefix + MASK

    return _SECRETS.sub(mask, text)


class Redact(logging.Filter):
    """Mask credentials in the record's message and exception text (see ``redact``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestId(logging.Filter):
    """Put the id of the request being served on the record (``request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = requestid.current()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or requestid.current(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing JSON lines, request ids and redaction included, to ``stream`` (stderr)."""
    out = logging.StreamHandler(stream if stream is not None else sys.stderr)
    out.setFormatter(JsonFormatter())
    out.addFilter(RequestId())
    out.addFilter(Redact())
    return out


def config(level: str = "info") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of the console (also uvicorn's ``log_config``)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"()": handler}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers go to the root's handler; its access log is replaced by ours.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # The Kubernetes client logs response bodies and kubeconfig details at DEBUG.
            "kubernetes_asyncio": {"level": "INFO" if level == "DEBUG" else level},
        },
    }


def configure(level: str = "info") -> dict[str, Any]:
    """Apply ``config(level)``; returns it, for uvicorn's ``log_config``."""
    settings = config(level)
    logging.config.dictConfig(settings)
    return settings
