"""The one cluster dependency of pages and API (app/cluster/deps.py): an unknown cluster, a cluster
that cannot be read and a kind the console may not read answer 404, 503 and 403, as problem+json
on the API and as a page with an alert banner on the web; kinds a route does not need never stand
in its way."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.accounts import tokens
from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures
from tests.cluster.rbac import CACHED, grant_cluster_wide, token_kubeconfig
from tests.cluster.test_registry import closed_port
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


def add_unreachable_context(path: Path) -> Path:
    """The kubeconfig with one more context, ``down``, whose server listens nowhere."""
    config = yaml.safe_load(path.read_text())
    config["clusters"].append({"name": "down", "cluster": {
        "server": f"https://127.0.0.1:{closed_port()}", "insecure-skip-tls-verify": True}})  # fmt: skip
    config["contexts"].append({"name": "down", "context": {"cluster": "down", "user": "limited"}})
    path.write_text(yaml.safe_dump(config))
    return path


def alert(html: str) -> str:
    found = re.search(r'<p role="alert">(.*?)</p>', html, re.S)
    assert found, "the page has no alert banner"
    return found.group(1)


async def test_not_found_unavailable_and_forbidden_on_api_and_pages(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], tmp_path: Path,
    make_console: ConsoleFactory,  # noqa: F811
) -> None:
    grant_cluster_wide(k, account, [r for r in CACHED if r != "networkpolicies"])
    path = add_unreachable_context(token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig"))
    async with make_console(kubeconfig=path) as (app, client):
        limited = app.state.clusters.get("limited").cache
        assert await limited.wait_ready(30)
        assert "networkpolicies" in limited.unreadable()
        async with app.state.sessions() as db:
            _, token = await tokens.create_token(db, "admin", "deps", scope="read")
            await db.commit()
        bearer = {"Authorization": f"Bearer {token}"}

        async def problem(url: str, status: int) -> str:
            answer = await client.get(url, headers=bearer)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            body = answer.json()
            assert body["status"] == status and body["title"]
            return str(body["detail"])

        assert "nowhere" in await problem("/api/v1/clusters/nowhere/namespaces", 404)
        assert "cannot be read right now" in await problem("/api/v1/clusters/down/namespaces", 503)
        forbidden = await problem("/api/v1/clusters/limited/namespaces/default/networkpolicies", 403)
        assert 'cannot list resource "networkpolicies"' in forbidden  # the API server's words
        # The same cluster answers a route that needs no NetworkPolicies.
        pods = await client.get("/api/v1/clusters/limited/namespaces/default/pods", headers=bearer)
        assert pods.status_code == 200 and pods.json()["items"]
        assert (await client.get("/api/v1/clusters/down", headers=bearer)).json()["state"] == "error"

        assert (await login(client)).status_code in (200, 303)
        for url, status, words in (
            ("/clusters/nowhere/networkpolicies", 404, "nowhere"),
            ("/clusters/down/networkpolicies?namespace=default", 503, "down"),
            ("/clusters/limited/networkpolicies?namespace=default", 403, "cannot list resource &#34;network"),
            ("/clusters/limited/connectivity", 403, "networkpolicies"),
        ):
            page = await client.get(url)
            assert page.status_code == status, (url, page.status_code)
            assert page.headers["content-type"].startswith("text/html")
            assert words in alert(page.text), (url, alert(page.text))
            assert 'href="/"' in page.text or "Clusters</a>" in page.text  # a way back
