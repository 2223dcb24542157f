"""OpenID Connect access tokens on the REST API: real JWTs from the running provider (npm
oidc-provider, tests/oidc/provider.js) through the client_credentials grant with a resource
indicator, checked by the console against the provider's JWKS for issuer, audience and expiry."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.accounts.models import User
from tests.api.conftest import ApiFactory
from tests.api.test_policies import PROBLEM
from tests.conftest import free_port

OIDC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "oidc")
API_AUDIENCE = "https://console.test/api"
OTHER_AUDIENCE = "https://other-portal.test/api"
PORTAL_ID, PORTAL_SECRET = "netpol-portal", "portal-test-secret"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL: `node provider.js` on a free port, issuing JWT access tokens for
    two resource servers (the console's API and another) to the portal client."""
    node = shutil.which("node")
    assert node, "node is needed for the OIDC provider"
    if not os.path.exists(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True,
                       capture_output=True, timeout=300)
    port = free_port()
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": "netpol-console",
        "OIDC_CLIENT_SECRET": "console-test-secret",
        "OIDC_REDIRECT_URI": "http://console.test/auth/callback",
        "OIDC_SERVICE_CLIENT_ID": PORTAL_ID,
        "OIDC_SERVICE_CLIENT_SECRET": PORTAL_SECRET,
        "OIDC_SERVICE_GROUPS": json.dumps(["portals"]),
        "OIDC_API_RESOURCES": f"{API_AUDIENCE},{OTHER_AUDIENCE}",
        "OIDC_API_TOKEN_TTL": "120",
    }
    proc = subprocess.Popen([node, "provider.js"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the provider exited: {proc.stdout.read() if proc.stdout else ''}"
            assert time.monotonic() < deadline, "the OIDC provider did not start"
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield issuer
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def settings(issuer: str) -> dict[str, Any]:
    return {
        "oidc_discovery_url": f"{issuer}/.well-known/openid-configuration",
        "oidc_client_id": "netpol-console",
        "oidc_client_secret": "console-test-secret",
        "oidc_api_audience": API_AUDIENCE,
        "oidc_role_map": {"portals": ["viewer"]},
        "oidc_team_map": {"portals": "platform"},
    }


async def access_token(issuer: str, resource: str, *, clock_offset: int = 0) -> str:
    """A JWT access token from the provider's token endpoint (client_credentials, RFC 8707)."""
    headers = {"X-Test-Clock-Offset": str(clock_offset)} if clock_offset else {}
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{issuer}/token",
            auth=(PORTAL_ID, PORTAL_SECRET),
            data={"grant_type": "client_credentials", "scope": "api", "resource": resource},
            headers=headers,
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["access_token"].count(".") == 2
    return str(body["access_token"])


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_jwt_access_token_for_the_api_reads_clusters(make_api: ApiFactory, provider: str) -> None:
    token = await access_token(provider, API_AUDIENCE)
    got = claims(token)
    assert got["aud"] == API_AUDIENCE and got["iss"] == provider and got["sub"] == PORTAL_ID
    assert got["exp"] - got["iat"] == 120
    async with make_api(**settings(provider)) as api:
        r = await api.client.get("/api/v1/clusters", headers=bearer(token))
        assert r.status_code == 200, r.text
        assert [c["name"] for c in r.json()["items"]] == api.app.state.clusters.names()

        # The subject became a console user, its role and team from the token's groups claim.
        async with api.app.state.sessions() as db:
            user = (await db.execute(select(User).where(User.oidc_subject == PORTAL_ID))).scalar_one()
        assert user.username == PORTAL_ID and user.roles == frozenset({"viewer"}) and user.team == "platform"

        # A viewer reads but may not write, whatever the token.
        cluster = api.app.state.clusters.names()[0]
        write = await api.client.post(
            f"/api/v1/clusters/{cluster}/namespaces/default/networkpolicies",
            headers=bearer(token),
            json={"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": "x"}, "spec": {"podSelector": {}}},
        )
        assert write.status_code == 403, write.text


async def test_a_token_for_another_audience_is_refused(make_api: ApiFactory, provider: str) -> None:
    token = await access_token(provider, OTHER_AUDIENCE)
    assert claims(token)["aud"] == OTHER_AUDIENCE
    async with make_api(**settings(provider)) as api:
        r = await api.client.get("/api/v1/clusters", headers=bearer(token))
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
        assert "aud" in r.json()["detail"]


async def test_an_expired_token_is_refused(make_api: ApiFactory, provider: str) -> None:
    # Issued by a provider whose clock runs ten minutes behind: its two minutes ran out long ago.
    token = await access_token(provider, API_AUDIENCE, clock_offset=-600)
    assert claims(token)["exp"] < time.time() - 300
    async with make_api(**settings(provider)) as api:
        r = await api.client.get("/api/v1/clusters", headers=bearer(token))
        assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
        assert "exp" in r.json()["detail"]
        fresh = await access_token(provider, API_AUDIENCE)
        assert (await api.client.get("/api/v1/clusters", headers=bearer(fresh))).status_code == 200


async def test_a_tampered_token_is_refused(make_api: ApiFactory, provider: str) -> None:
    token = await access_token(provider, API_AUDIENCE)
    header, payload, signature = token.split(".")
    forged = {**claims(token), "sub": "admin", "groups": ["netpol-admins"]}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    flipped = signature[:-6] + ("A" if signature[-6] != "A" else "B") + signature[-5:]
    async with make_api(**settings(provider)) as api:
        for bad in (f"{header}.{forged_payload}.{signature}", f"{header}.{payload}.{flipped}",
                    f"{header}.{payload}."):
            r = await api.client.get("/api/v1/clusters", headers=bearer(bad))
            assert r.status_code == 401, bad
            assert r.headers["content-type"] == PROBLEM
        assert (await api.client.get("/api/v1/clusters", headers=bearer(token))).status_code == 200
