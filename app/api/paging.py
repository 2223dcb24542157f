"""Paging with ``limit`` and an opaque ``continue`` token.

A token carries the key of the last item returned (and what was listed), so a page after a change
starts where the previous one ended instead of repeating or skipping items.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

from app.errors import BadRequest

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def encode(what: str, after: Any) -> str:
    raw = json.dumps({"w": what, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(what: str, token: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("invalid continue token") from None
    if not isinstance(data, dict) or data.get("w") != what or "a" not in data:
        raise BadRequest("the continue token belongs to another list")
    return data["a"]


def page(
    items: Sequence[T], key: Callable[[T], Any], what: str, limit: int | None, token: str | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` ordered by ``key`` (a str or a list of str): those after the token's
    key, at most ``limit``; and the next token (None at the end)."""
    ordered = sorted(items, key=key)
    if token:
        after = decode(what, token)
        if isinstance(after, list):
            after = tuple(after)
        try:
            ordered = [i for i in ordered if _cmp_key(key(i)) > _cmp_key(after)]
        except TypeError:
            raise BadRequest("invalid continue token") from None
    size = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    chunk = ordered[:size]
    more = len(ordered) > size
    last = key(chunk[-1]) if chunk else None
    return chunk, (encode(what, list(last) if isinstance(last, tuple) else last) if more else None)


def json_answer(request: Request, body: bytes) -> Response:
    """A list page already serialised: 200 with ``body`` and an ETag that digests it, or 304 when
    the request's ``If-None-Match`` names that ETag (or is ``*``)."""
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    wanted = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if tag in wanted or "*" in wanted:
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag})


def _cmp_key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


LimitQuery = Annotated[
    int | None, Query(ge=1, le=MAX_LIMIT, description="At most this many items (default 100).")
]
ContinueQuery = Annotated[
    str | None, Query(alias="continue", description="The previous page's `metadata.continue`.")
]
