"""Every HTTP request observed: its id, its access-log line and its latency metric.

``Observe`` is a pure ASGI middleware that ``install`` puts around the app's whole stack (outside
Starlette's error middleware, so a 500 is seen too; it reads no body, so the body limits still
come before any work on the body):

- **The request id**: a well-formed ``X-Request-ID`` header (1 to ``MAX_LENGTH`` characters of
  letters, digits and ``._:-``) is kept, anything else is replaced by a fresh one; it is set in
  ``app.requestid.REQUEST_ID`` while the request is served (log records and audit entries read
  it) and echoed in the response's ``X-Request-ID``.
- **The access log**: one record on ``netpol.access`` per request, with ``method``, ``route``
  (the route template), ``path`` (without the query string), ``status`` and ``duration``.
- **The metric**: ``netpol_http_request_duration_seconds`` by route template and status class.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app import metrics, requestid
from app.asgi import HttpMiddleware, wrap_outermost
from app.logs import ACCESS_LOGGER

HEADER = "X-Request-ID"
MAX_LENGTH = 128
_WELL_FORMED = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_LENGTH}}}")

access_log = logging.getLogger(ACCESS_LOGGER)


def request_id(supplied: str | None) -> str:
    """The supplied id when it is well formed, else a fresh one."""
    if supplied is not None and _WELL_FORMED.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


def route_template(scope: Scope, root_path: str = "") -> str:
    """The path template of the route that served the request (``<unmatched>`` when none did).

    FastAPI's included routers keep the route as declared (without the router's prefix) in
    ``scope["route"]`` and the full template in their effective route context; the app's own
    routes (``/openapi.json``) leave only their endpoint; a mounted app (``/static``) is named by
    its mount path."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    endpoint = scope.get("endpoint")
    routes = getattr(scope.get("app"), "routes", ()) if endpoint is not None else ()
    served = next((r for r in routes if getattr(r, "endpoint", None) is endpoint), None)
    for route in (getattr(context, "starlette_route", None), context, scope.get("route"), served):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str) and path:
            return path
    mounted = str(scope.get("root_path") or "")
    if len(mounted) > len(root_path) and mounted.startswith(root_path):
        return mounted[len(root_path):] + "/{path}"
    return metrics.UNMATCHED


class Observe(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        rid = request_id(Headers(scope=scope).get(HEADER))
        root_path = str(scope.get("root_path") or "")
        token = requestid.REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(raw=list(message.get("headers") or []))
                headers[HEADER] = rid
                message["headers"] = headers.raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = route_template(scope, root_path)
            metrics.observe_request(scope["method"], route, status, duration)
            access_log.info(
                "%s %s %d %.3fs", scope["method"], route, status, duration,
                extra={"method": scope["method"], "route": route, "path": scope["path"], "status": status,
                       "duration": round(duration, 6)},
            )
            requestid.REQUEST_ID.reset(token)


def install(app: FastAPI) -> None:
    """Put ``Observe`` outside the app's whole middleware stack."""
    wrap_outermost(app, Observe)
