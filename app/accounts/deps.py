"""Typed dependencies: the database session, the signed-in user, and role requirements.

``CurrentUser`` is the user of the session cookie (pages never see a request without one: the
middleware redirected it). The REST API (issue 6) authenticates ``Authorization: Bearer``
itself and may define its own dependency on top of ``OptionalUser``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.middleware import AUTH_SCOPE_KEY
from app.accounts.models import User
from app.accounts.service import require_role
from app.accounts.sessions import Auth
from app.errors import Unauthorized


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request; the route commits what it wants kept."""
    async with request.app.state.sessions() as db:
        yield db


def get_auth(request: Request) -> Auth:
    auth = request.scope.get(AUTH_SCOPE_KEY)
    return auth if isinstance(auth, Auth) else Auth()


def optional_user(request: Request) -> User | None:
    return get_auth(request).user


def current_user(request: Request) -> User:
    user = get_auth(request).user
    if user is None:
        raise Unauthorized("sign in first")
    return user


DbSession = Annotated[AsyncSession, Depends(get_db)]
AuthDep = Annotated[Auth, Depends(get_auth)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def role_required(role: str) -> Callable[[User], User]:
    """A dependency: the current user, who must hold ``role`` (403 otherwise), e.g.
    ``admin: Annotated[User, Depends(role_required("admin"))]``."""

    def dependency(user: CurrentUser) -> User:
        require_role(user, role)
        return user

    return dependency
