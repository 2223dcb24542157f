"""Who calls the API and what they may do.

A caller authenticates with ``Authorization: Bearer``: an API token (``npc_...``, see
app.accounts.tokens) or an OpenID Connect access token (a JWT signed by the provider's keys,
checked for issuer, audience and expiry). Without a bearer token the console's own session cookie
is accepted too (the middleware then demands the CSRF header on writes).

A caller may do what its user's roles allow, narrowed by the token's scope: a ``read`` token may
only read (GET, and the POSTs that change nothing: validate and connectivity). Each caller spends
from its own rate-limit bucket (app.api.ratelimit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import oidc
from app.accounts import tokens as api_tokens
from app.accounts.deps import get_auth, get_db
from app.accounts.models import User
from app.accounts.service import require_role, upsert_oidc_user
from app.api.ratelimit import RateLimiter
from app.config import Settings
from app.errors import Forbidden, Unauthorized

READ, WRITE = api_tokens.READ, api_tokens.WRITE


@dataclass
class Caller:
    user: User
    scope: str  # "read" or "write"
    method: str  # "token", "oidc" or "session"
    key: str  # the rate-limit bucket

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def team(self) -> str:
        return self.user.team

    def has_role(self, role: str) -> bool:
        return self.user.has_role(role)

    def require_write(self) -> None:
        if self.scope != WRITE:
            raise Forbidden("this API token has the read scope: it may not change anything")

    def require_role(self, role: str) -> None:
        require_role(self.user, role)


class AccessTokens(oidc.OidcClient):
    """Verifies OIDC access tokens (JWTs) against the provider's JWKS from its discovery URL."""

    async def verify(self, token: str) -> dict[str, object]:
        meta = await self.metadata()
        audience = self.settings.oidc_api_audience or self.settings.oidc_client_id
        try:
            try:
                decoded = jwt.decode(token, await self._key_set(), algorithms=oidc.ID_TOKEN_ALGORITHMS)
            except JoseError:  # perhaps the provider rotated its keys
                decoded = jwt.decode(token, await self._key_set(refresh=True), algorithms=oidc.ID_TOKEN_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=30,
                iss={"essential": True, "value": meta["issuer"]},
                aud={"essential": True, "value": audience},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"the access token could not be verified: {exc}") from exc
        return dict(decoded.claims)


async def _oidc_user(request: Request, db: AsyncSession, token: str) -> User:
    settings: Settings = request.app.state.settings
    state = request.app.state
    verifier = getattr(state, "api_access_tokens", None)
    if verifier is None:
        verifier = state.api_access_tokens = AccessTokens(settings)
    claims = await verifier.verify(token)
    subject = str(claims["sub"])
    user = (await db.execute(select(User).where(User.oidc_subject == subject))).scalar_one_or_none()
    groups = claims.get(settings.oidc_groups_claim)
    if user is None or isinstance(groups, list | str):
        # First use, or the token says which groups: roles and team follow them, as at login.
        group_list = (
            [groups] if isinstance(groups, str) else [str(g) for g in groups] if isinstance(groups, list) else []
        )
        if user is None and not group_list and not settings.oidc_default_team:
            raise Unauthorized("no console user for this subject: sign in to the console once first")
        roles, team = oidc.map_groups(settings, group_list)
        username = str(claims.get("preferred_username") or claims.get("email") or subject).split("@")[0]
        user = await upsert_oidc_user(
            db,
            subject=subject,
            username=username,
            display_name=str(claims.get("name") or ""),
            email=_str_or_none(claims.get("email")),
            team=team,
            roles=roles,
        )
        await db.commit()
    if user.disabled:
        raise Unauthorized("the user is disabled")
    return user


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    limiter = getattr(state, "api_rate_limiter", None)
    if limiter is None:
        settings: Settings = state.settings
        limiter = state.api_rate_limiter = RateLimiter(settings.api_rate_per_second, settings.api_rate_burst)
    return limiter


async def get_caller(request: Request, db: Annotated[AsyncSession, Depends(get_db)]) -> Caller:
    """The authenticated caller (401 otherwise), charged one request of its rate limit."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer":
        if not credential:
            raise Unauthorized("the Authorization header carries no token")
        if credential.startswith(api_tokens.TOKEN_PREFIX):
            token, user = await api_tokens.authenticate(db, credential)
            # Always end the transaction, changed or not: it hands the request's connection back
            # to the pool while the route runs (a write waits on the API server); held, 20
            # concurrent writers took every pooled connection and waited 30 s for their next one.
            await db.commit()
            caller = Caller(user, token.scope, "token", f"token:{token.id}")
        elif credential.count(".") == 2 and oidc.enabled(request.app.state.settings):
            user = await _oidc_user(request, db, credential)
            caller = Caller(user, WRITE, "oidc", f"user:{user.id}")
        else:
            raise Unauthorized("unknown API token")
    else:
        session_user = get_auth(request).user
        if session_user is None:
            raise Unauthorized(
                "authenticate with 'Authorization: Bearer <token>' (an API token or an OpenID Connect access token)"
            )
        caller = Caller(session_user, WRITE, "session", f"user:{session_user.id}")
    _limiter(request).take(caller.key)
    return caller


async def get_writer(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """A caller whose token may write (403 for a read-scoped token)."""
    caller.require_write()
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
WriterDep = Annotated[Caller, Depends(get_writer)]


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
