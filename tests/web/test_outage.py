"""The API server stops while the console runs: pages say so and keep what they last knew, a
change is a visible error that applies nothing, and everything recovers when it is back."""

from __future__ import annotations

import re
from typing import Any

from kubernetes_asyncio import client as k8s

from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures
from tests.cluster.conftest import eventually
from tests.conftest import SandboxProcess, kube_client
from tests.web.conftest import approve_team
from tests.web.test_networkpolicies_page import post_panel


async def test_pages_tell_of_an_outage_apply_nothing_and_recover(
    fresh_sandbox: SandboxProcess, make_console: ConsoleFactory  # noqa: F811
) -> None:
    async with make_console(kubeconfig=fresh_sandbox.kubeconfig_path) as (app, client):
        assert await app.state.clusters.wait_ready(30)
        await approve_team(app)
        assert (await login(client)).status_code in (200, 303)
        cache = app.state.clusters.get("sandbox").cache
        page = await client.get("/clusters/sandbox/networkpolicies/new?namespace=default")
        html = (await post_panel(client, page.text, "add:ingress.rules", name="during-outage")).text
        review = await post_panel(client, html, "next")
        assert review.status_code == 200

        fresh_sandbox.stop()
        await eventually(lambda: cache.state == "error", within=10.0)
        listed = await client.get("/clusters/sandbox/networkpolicies?namespace=default")
        assert listed.status_code == 200
        assert "The console cannot read this cluster right now" in listed.text
        # how old the data is, in words and as a time
        assert re.search(r"What is shown is the cluster as it was \d+s ago, at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.",
                         listed.text), listed.text  # fmt: skip
        for path in ("/clusters/sandbox/overview", "/clusters/sandbox/namespaces", "/clusters/sandbox/workloads",
                     "/clusters/sandbox/connectivity"):  # fmt: skip
            shown = await client.get(path)
            assert shown.status_code == 200 and "What is shown is the cluster as it was" in shown.text, path
        client.cookies.set("lang", "zh-CN")
        assert "所显示的是集群在" in (await client.get("/clusters/sandbox/namespaces")).text
        client.cookies.delete("lang")
        applied = await post_panel(client, review.text, "apply")
        assert applied.status_code in (409, 422, 503) and "unreachable" in applied.text.lower()
        assert 'name="name" value="during-outage"' in applied.text  # the input is kept

        fresh_sandbox.start()
        await eventually(lambda: cache.ready, within=70.0, step=0.2)
        recovered = await client.get("/clusters/sandbox/networkpolicies?namespace=default")
        assert "The console cannot read this cluster right now" not in recovered.text
        api: Any = await kube_client(fresh_sandbox)
        async with api:
            stored = await k8s.NetworkingV1Api(api).list_namespaced_network_policy("default")
        names = [p.metadata.name for p in stored.items]
        assert "during-outage" not in names  # nothing was half-applied
