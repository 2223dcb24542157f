"""What every template knows about the signed-in user: ``current_user`` and ``csrf_token``
(forms post it as the hidden field ``csrf_token``; base.html hands it to htmx as a header)."""

from __future__ import annotations

from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.accounts.middleware import AUTH_SCOPE_KEY
from app.accounts.sessions import Auth


def auth_context(request: Request) -> dict[str, Any]:
    auth = request.scope.get(AUTH_SCOPE_KEY)
    if not isinstance(auth, Auth):
        return {"current_user": None, "csrf_token": ""}
    return {"current_user": auth.user, "csrf_token": auth.csrf_token}


def install(templates: Jinja2Templates) -> None:
    """Add ``auth_context`` to the templates' context processors (once)."""
    if auth_context not in templates.context_processors:
        templates.context_processors.append(auth_context)
