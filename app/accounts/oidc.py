"""OpenID Connect login: the authorization code flow with PKCE (S256), built on Authlib.

``begin()`` makes the authorization URL and the flow state (state, nonce, PKCE verifier, where
to go next), which travels in a short-lived signed cookie, so any console process can finish the
flow. ``finish()`` checks the state, redeems the code at the token endpoint, verifies the ID
token (signature against the provider's JWKS, issuer, audience, expiry, nonce) and reads the
claims — from the ID token, else from the userinfo endpoint. ``map_groups()`` turns the groups
claim into roles and a team by the settings.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app import metrics
from app.config import Settings
from app.errors import Forbidden, Unauthorized, Unavailable

FLOW_COOKIE = "netpol_oidc"
FLOW_MAX_AGE = 600
METADATA_TTL = 3600
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                       "ES256", "ES384", "ES512", "EdDSA"]
EXPIRED_FLOW = "The sign-in took too long or was started elsewhere. Please sign in again."


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    username: str
    display_name: str
    email: str | None
    groups: list[str] = field(default_factory=list)


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_discovery_url and settings.oidc_client_id)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="netpol-console.oidc-flow")


def dump_flow(settings: Settings, flow: dict[str, str]) -> str:
    return _serializer(settings).dumps(flow)


def load_flow(settings: Settings, value: str | None) -> dict[str, str]:
    if not value:
        raise Unauthorized(EXPIRED_FLOW)
    try:
        flow = _serializer(settings).loads(value, max_age=FLOW_MAX_AGE)
    except BadSignature as exc:
        raise Unauthorized(EXPIRED_FLOW) from exc
    return dict(flow)


def map_groups(settings: Settings, groups: list[str]) -> tuple[frozenset[str], str]:
    """Roles (the union over mapped groups, else the default roles) and the team (the first
    mapped group's team in claim order, else the default team; Forbidden when there is none)."""
    roles: set[str] = set()
    for group in groups:
        roles.update(settings.oidc_role_map.get(group, []))
    team = next((settings.oidc_team_map[g] for g in groups if g in settings.oidc_team_map), "")
    team = team or settings.oidc_default_team
    if not team:
        raise Forbidden("Your single sign-on account is in no team known to this console. "
                        "Ask an administrator to map one of your groups to a team.")
    return frozenset(roles or settings.oidc_default_roles), team


class OidcClient:
    """One configured provider; caches its discovery document and keys for ``METADATA_TTL``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=10, transport=self._transport)

    async def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the sign-on provider cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise Unavailable(f"the sign-on provider answered {response.status_code} for {url}")
        return dict(response.json())

    async def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        if refresh or self._metadata is None or time.monotonic() - self._fetched_at > METADATA_TTL:
            self._metadata = await self._get_json(self.settings.oidc_discovery_url)
            self._keys = None
            self._fetched_at = time.monotonic()
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if refresh or self._keys is None:
            meta = await self.metadata()
            self._keys = KeySet.import_key_set(await self._get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

    async def begin(self, redirect_uri: str, next_path: str) -> tuple[str, dict[str, str]]:
        """The provider's authorization URL and the flow state to keep in the flow cookie."""
        meta = await self.metadata()
        flow = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64),
                "next": next_path}
        url = add_params_to_uri(meta["authorization_endpoint"], [
            ("response_type", "code"),
            ("client_id", self.settings.oidc_client_id),
            ("redirect_uri", redirect_uri),
            ("scope", self.settings.oidc_scopes),
            ("state", flow["state"]),
            ("nonce", flow["nonce"]),
            ("code_challenge", create_s256_code_challenge(flow["verifier"])),
            ("code_challenge_method", "S256"),
        ])
        return url, flow

    @metrics.login("oidc")
    async def finish(self, redirect_uri: str, params: dict[str, str], flow: dict[str, str]) -> Identity:
        """Check the callback, redeem the code, verify the ID token; the signed-in identity."""
        if params.get("state") != flow.get("state"):
            raise Unauthorized("The sign-in answer does not match the sign-in that was started. "
                               "Please try again.")
        if "error" in params:
            detail = params.get("error_description") or params["error"]
            raise Unauthorized(f"The sign-on provider refused the sign-in: {detail}")
        meta = await self.metadata()
        if "iss" in params and params["iss"] != meta["issuer"]:
            raise Unauthorized("The sign-in answer came from another issuer.")
        if not params.get("code"):
            raise Unauthorized("The sign-on provider sent no authorization code.")
        tokens = await self._redeem(meta, redirect_uri, params["code"], flow["verifier"])
        claims = await self._verify_id_token(meta, tokens.get("id_token", ""), flow["nonce"])
        groups_claim = self.settings.oidc_groups_claim
        if groups_claim not in claims and meta.get("userinfo_endpoint") and tokens.get("access_token"):
            userinfo = await self._get_json(
                meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"})
            if userinfo.get("sub") != claims["sub"]:
                raise Unauthorized("The sign-on provider's userinfo names another subject.")
            claims = {**userinfo, **claims}
        groups = claims.get(groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        sub = str(claims["sub"])
        username = str(claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or sub)
        return Identity(subject=sub, username=username, display_name=str(claims.get("name") or ""),
                        email=claims.get("email"), groups=[str(g) for g in groups])

    async def _redeem(
        self, meta: dict[str, Any], redirect_uri: str, code: str, verifier: str
    ) -> dict[str, Any]:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        headers = {"Accept": "application/json"}
        client_id, secret = self.settings.oidc_client_id, self.settings.oidc_client_secret
        if "client_secret_basic" in methods:
            # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
            pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            data |= {"client_id": client_id, "client_secret": secret}
        try:
            async with self._http() as http:
                response = await http.post(meta["token_endpoint"], data=data, headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the sign-on provider cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise Unauthorized(f"The sign-on provider refused the code ({response.status_code}): "
                               f"{response.text[:200]}")
        return dict(response.json())

    async def _verify_id_token(self, meta: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
        if not id_token:
            raise Unauthorized("The sign-on provider sent no ID token.")
        try:
            algorithms = ID_TOKEN_ALGORITHMS
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=algorithms)
            except JoseError:  # perhaps the provider rotated its keys: fetch them once more
                token = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=algorithms)
            registry = jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": meta["issuer"]},
                aud={"essential": True, "value": self.settings.oidc_client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"The ID token could not be verified: {exc}") from exc
        return dict(token.claims)
