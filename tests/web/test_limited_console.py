"""Pages of a console that may not read some kinds: they say what they cannot show and why, and
show the rest; the Clusters page names the forbidden kinds."""

from __future__ import annotations

from pathlib import Path

from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures
from tests.cluster.rbac import CACHED, grant_cluster_wide, token_kubeconfig
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


async def test_pages_name_what_the_console_may_not_read(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], tmp_path: Path,
    make_console: ConsoleFactory,  # noqa: F811
) -> None:
    grant_cluster_wide(k, account, CACHED)  # not nodes, not the Terway ConfigMap
    path = token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig")
    async with make_console(kubeconfig=path) as (app, client):
        assert await app.state.clusters.wait_ready(30)
        assert (await login(client)).status_code in (200, 303)
        clusters = await client.get("/")
        assert clusters.status_code == 200
        assert "The console may not read:" in clusters.text and "nodes" in clusters.text
        page = await client.get("/clusters/limited/networkpolicies?namespace=default")
        assert page.status_code == 200
        assert "The console may not read these kinds in this cluster" in page.text
        assert "cannot list resource &#34;nodes&#34;" in page.text  # the API server's words
        assert "network policies in this namespace." in page.text  # and the list itself is served
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["clusters"]["limited"]["forbidden"]
