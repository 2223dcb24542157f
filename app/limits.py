"""Limits before work: what a request may carry, refused before any route (or sign-in) reads it.

``BodyLimits`` is a pure ASGI middleware, the outermost one:

- **Size**, by the body's kind (its ``Content-Type``): forms (``application/x-www-form-urlencoded``,
  ``multipart/form-data``), YAML, and JSON (with any other type): ``Settings.max_form_bytes``,
  ``max_yaml_bytes``, ``max_json_bytes``. A ``Content-Length`` over the limit is refused before
  a byte is read; a body without one (chunked) is counted as it streams and refused at the first
  chunk past the limit. The answer is 413 with ``Connection: close``: the server reads no more of
  it. A body within the limit is small, so it is held and replayed to the app.
- **Text** no column can store (``app.policies.text.bad_text``): a NUL in the path (404), in a
  query parameter (400) or a form field (422), a NUL or a lone surrogate in a JSON string (422),
  each named by its field. JSON nested deeper than ``MAX_DEPTH`` is refused (400) before FastAPI's own parser
  recurses on it; malformed JSON is left to the route, which says where it breaks. YAML bodies are
  read by ``parse_policy_text``, which refuses the same things.

Under ``/api/`` the answers are problem details; elsewhere a short page in the visitor's language.

``RowId`` (and ``MAX_ROW_ID``) bound a database row id in a URL to PostgreSQL's ``integer``, so
that a 64-bit id is a 422, not a database error.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Path
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.accounts.middleware import FORM_TYPES, replaying
from app.api.bodies import YAML_TYPES
from app.api.problems import API_PREFIX, problem
from app.asgi import HttpMiddleware
from app.config import Settings
from app.policies.text import TextError, bad_text, parse_json, size_text
from app.policies.words import N_
from app.web.errors import NO_PAGE
from app.web.i18n import language, translate

MAX_ROW_ID = 2**31 - 1  # the row ids are PostgreSQL `integer` columns
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

TOO_LARGE = N_("Request too large")
TOO_LARGE_TEXT = N_("The request is too large: at most {limit} may be sent here. Nothing was saved.")
INVALID = N_("Invalid")
NUL_TEXT = N_("The field {field} holds a NUL character, which text may not hold. Nothing was saved.")


def body_kind(content_type: str) -> str:
    """``form``, ``yaml`` or ``json`` (any other type is read as JSON, as the API reads it)."""
    media = content_type.split(";")[0].strip().lower()
    if media in FORM_TYPES:
        return "form"
    return "yaml" if media in YAML_TYPES else "json"


def body_limit(settings: Settings, kind: str) -> int:
    return {"form": settings.max_form_bytes, "yaml": settings.max_yaml_bytes}.get(kind, settings.max_json_bytes)


class BodyLimits(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        refused = _url_refusal(scope, headers)
        if refused is not None:
            await refused(scope, receive, send)
            return
        if "content-length" not in headers and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        kind = body_kind(headers.get("content-type", ""))
        limit = body_limit(scope["app"].state.settings, kind)
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            await _too_large(scope, headers, limit)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, headers, limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replay = replaying(body, receive)
        refused = await _body_refusal(scope, headers, kind, body)
        if refused is not None:
            await refused(scope, replay, send)
            return
        await self.app(scope, replay, send)


# ----- what is refused -----


def _url_refusal(scope: Scope, headers: Headers) -> Response | None:
    if "\x00" in scope["path"]:  # no object, user or page is named so
        page = translate(language(Request(scope)), NO_PAGE)
        return _refusal(scope, headers, 404, "NotFound", "The path holds a NUL character.", page)
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        found = bad_text({name: value})
        if found is not None:
            return _invalid(scope, headers, 400, "BadRequest", found)
    return None


async def _body_refusal(scope: Scope, headers: Headers, kind: str, body: bytes) -> Response | None:
    if kind == "form":
        found = await _form_problem(scope, body)
        return None if found is None else _invalid(scope, headers, 422, "Invalid", found)
    if kind == "json" and body.strip():
        try:
            parse_json(body.decode("utf-8"))
        except UnicodeDecodeError:
            return None  # the route says it is no UTF-8
        except TextError as exc:
            if exc.reason == "depth":
                return _refusal(scope, headers, 400, "BadRequest", f"The body {exc}.", f"The body {exc}.")
            if exc.reason == "text":
                return _invalid(scope, headers, 422, "Invalid", exc)
    return None


async def _form_problem(scope: Scope, body: bytes) -> TextError | None:
    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, once).form()
    except Exception:  # a malformed form: the route reports it
        return None
    try:
        for name, value in form.multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            found = bad_text({name: text})
            if found is not None:
                return found
        return None
    finally:
        await form.close()


# ----- the answers -----


def _too_large(scope: Scope, headers: Headers, limit: int) -> Response:
    size = size_text(limit)
    lang = language(Request(scope))
    page = translate(lang, TOO_LARGE_TEXT).format(limit=size)
    response = _refusal(
        scope, headers, 413, "ContentTooLarge", f"The request body is too large (at most {size} here).", page,
        title=translate(lang, TOO_LARGE),
    )
    response.headers["Connection"] = "close"  # read no more of it
    return response


def _invalid(scope: Scope, headers: Headers, status: int, reason: str, found: TextError) -> Response:
    field = found.field
    lang = language(Request(scope))
    page = translate(lang, NUL_TEXT).format(field=f"“{field}”")
    errors = [{"field": field, "type": "FieldValueInvalid", "message": f"Invalid value: {found.problem}"}]
    return _refusal(
        scope, headers, status, reason, f"The request is invalid: {field} {found.problem}.", page,
        errors=errors, title=translate(lang, INVALID),
    )


def _refusal(
    scope: Scope, headers: Headers, status: int, reason: str, detail: str, page: str, *,
    errors: list[dict[str, str]] | None = None, title: str = "",
) -> Response:
    """Problem details under /api/; elsewhere ``page`` (HTML for a browser's own request)."""
    path: str = scope["path"]
    if path.startswith(API_PREFIX):
        return problem(status, detail, reason=reason, errors=errors, instance=path)
    if "text/html" in headers.get("accept", "") and not headers.get("hx-request"):
        title = escape(title or str(status))
        return HTMLResponse(
            f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(page)}</p>", status_code=status
        )
    return PlainTextResponse(page, status_code=status)
