"""RFC 9457 problem details for everything under ``/api/``.

Every error an API route can meet leaves as ``application/problem+json``: the domain errors
(app.errors, with ``errors: [{field, type, message}]`` for Invalid), FastAPI's request validation
(400, not its undocumented 422: a malformed JSON body, a query parameter of the wrong type) and
Starlette's HTTP errors (an unknown path, a wrong method). Pages keep their own handlers: the ones
installed here hand any other path to the handler that was there before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from app.errors import DomainError, FieldError, Invalid

API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:netpol-console:problem:"


class TooManyRequests(DomainError):
    """The caller spent its request budget; ``retry_after`` seconds until the next request."""

    status_code = 429
    reason = "TooManyRequests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def _kebab(reason: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in reason).lstrip("-")


def problem(
    status: int,
    detail: str,
    *,
    reason: str = "",
    errors: list[dict[str, str]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    """A problem details response; ``reason`` (e.g. ``Conflict``) makes its ``type``."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + _kebab(reason or title.replace(" ", "")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


def domain_problem(request: Request, exc: DomainError) -> ProblemResponse:
    headers: dict[str, str] = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="netpol-console"'
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    errors = [c.as_dict() for c in exc.causes] if isinstance(exc, Invalid) else None
    return problem(
        exc.status_code,
        exc.message,
        reason=exc.reason,
        errors=errors,
        instance=request.url.path,
        headers=headers or None,
    )


def _loc_field(loc: tuple[Any, ...] | list[Any]) -> str:
    """FastAPI's error location as a field path: ("query", "limit") → ``limit``."""
    parts = list(loc)
    if parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def validation_problem(request: Request, exc: RequestValidationError) -> ProblemResponse:
    errors = []
    for err in exc.errors():
        kind = "FieldValueRequired" if err.get("type") == "missing" else "FieldValueInvalid"
        errors.append(FieldError(_loc_field(err.get("loc", ())), kind, str(err.get("msg", ""))).as_dict())
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "the request is malformed"
    return problem(
        400,
        f"The request is malformed: {summary}",
        reason="BadRequest",
        errors=errors,
        instance=request.url.path,
    )


Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def _scoped(mine: Callable[[Request, Any], Response], previous: Handler | None) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX) or previous is None:
            return mine(request, exc)
        result = previous(request, exc)
        return await result if isinstance(result, Awaitable) else result

    return handler


def _http_problem(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no API route {request.url.path}"
    response = problem(
        exc.status_code, detail, instance=request.url.path, headers=dict(exc.headers) if exc.headers else None
    )
    return response


def install(app: FastAPI) -> None:
    """Problem details for /api paths; other paths keep the handlers installed before."""
    for exc_class, mine in (
        (DomainError, domain_problem),
        (RequestValidationError, validation_problem),
        (StarletteHTTPException, _http_problem),
    ):
        previous = app.exception_handlers.get(exc_class)
        app.add_exception_handler(exc_class, _scoped(mine, previous))  # type: ignore[arg-type]


# -- OpenAPI --------------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Validation errors, at Kubernetes field paths.",
            "items": {
                "type": "object",
                "required": ["field", "type", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_DESCRIPTIONS = {
    400: "Malformed request: JSON or YAML that does not parse, a parameter of the wrong type.",
    401: "No credentials, or an unknown, expired or revoked token.",
    403: "The caller's role or token scope does not allow this, or the whitelist gates it.",
    404: "No such cluster, namespace, object or route.",
    405: "The path does not take this method.",
    409: "Conflict: a stale resourceVersion, an object that already exists, a decided application.",
    413: "The request body is larger than the console takes (per kind: form, YAML, JSON).",
    422: "The object is invalid; `errors` name each field by its Kubernetes path.",
    429: "Too many requests for this caller; retry after `Retry-After` seconds.",
    503: "The cluster's API server (or the sign-on provider) cannot be reached.",
}


def _response(status: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
    }
    if status == 429:
        doc["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    if status == 401:
        doc["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return doc


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {s: _response(s) for s in _DESCRIPTIONS}
