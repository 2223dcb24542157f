"""/metrics after real traffic on the sandbox: each family with its labels (route templates, not
raw paths; Kubernetes verbs and kinds; cache staleness per kind; policies per cluster; sign-ins
and lockouts), and who may read it (loopback, or the metrics token)."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import verb_and_kind
from tests.api.conftest import ADMIN_PASSWORD, BASE, ApiFactory, wait_for
from tests.api.test_policies import base, form

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in samples if n == name]


async def test_metrics_count_pages_api_calls_logins_lockouts_and_kubernetes_calls(
    make_api: ApiFactory, namespace: str
) -> None:
    ns = namespace
    async with make_api(login_max_failures=2) as api:
        client, cluster = api.client, api.app.state.clusters.names()[0]
        kube_cluster = next(iter(api.app.state.clusters))
        await wait_for(lambda: kube_cluster.cache.namespace(ns) is not None)
        before = await scrape(client)

        assert (await client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})).status_code == 303
        assert (await client.get(f"/clusters/{cluster}/networkpolicies")).status_code == 200
        assert (await api.get(f"/api/v1/clusters/{cluster}/namespaces")).status_code == 200
        for _ in range(2):
            failed = await client.post("/login", data={"username": "vic", "password": "not-the-password"})
            assert failed.status_code == 401
        locked = await client.post("/login", data={"username": "vic", "password": "not-the-password"})
        assert locked.status_code == 429
        created = await api.send("POST", base(api, ns), json=form("web"))
        assert created.status_code == 201, created.text
        again = await api.send("POST", base(api, ns), json=form("web"))
        assert again.status_code == 409
        await wait_for(lambda: kube_cluster.cache.network_policy(ns, "web") is not None)

        after = await scrape(client)

    page = {"method": "GET", "route": "/clusters/{cluster}/networkpolicies", "status": "2xx"}
    assert value(after, "netpol_http_request_duration_seconds_count", **page) == value(
        before, "netpol_http_request_duration_seconds_count", **page) + 1
    api_route = {"method": "GET", "route": "/api/v1/clusters/{cluster}/namespaces", "status": "2xx"}
    assert value(after, "netpol_http_request_duration_seconds_count", **api_route) >= 1
    assert value(after, "netpol_http_request_duration_seconds_count",
                 method="POST", route="/login", status="4xx") >= 3  # two 401s and the 429
    routes = {labels["route"] for labels in labelled(after, "netpol_http_request_duration_seconds_count")}
    assert not any(cluster in route or ns in route for route in routes), routes  # templates only

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("netpol_logins_total", method="password", result="success") == 1
    assert delta("netpol_logins_total", method="password", result="failure") == 2
    assert delta("netpol_login_lockouts_total") == 1

    create = {"cluster": cluster, "verb": "create", "kind": "networkpolicies"}
    assert delta("netpol_kubernetes_request_duration_seconds_count", **create) == 2
    assert delta("netpol_kubernetes_errors_total", **create, error="AlreadyExists") == 1
    assert value(after, "netpol_kubernetes_request_duration_seconds_count",
                 cluster=cluster, verb="list", kind="pods") >= 1
    assert value(after, "netpol_kubernetes_watch_starts_total", cluster=cluster, kind="networkpolicies") >= 1
    assert delta("netpol_kubernetes_watch_events_total", cluster=cluster, kind="networkpolicies", type="ADDED") >= 1

    stale = {labels["kind"]: value(after, "netpol_cache_stale_seconds", **labels)
             for labels in labelled(after, "netpol_cache_stale_seconds") if labels["cluster"] == cluster}
    assert {"pods", "networkpolicies", "namespaces"} <= set(stale)
    assert all(0 <= age < 600 for age in stale.values()), stale
    assert value(after, "netpol_cache_synced", cluster=cluster, kind="networkpolicies") == 1
    assert value(after, "netpol_networkpolicies", cluster=cluster) >= 1


async def test_metrics_need_the_token_when_one_is_set_and_loopback_otherwise(
    make_api: ApiFactory, tmp_path: Path
) -> None:
    async with make_api(metrics_token="scrape-me-please") as api:
        anonymous = await api.client.get("/metrics")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        assert (await api.client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert "netpol_cache_synced" in (await api.client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-please"})).text
    async with make_api(data_dir=tmp_path / "second") as api:
        assert (await api.client.get("/metrics")).status_code == 200  # the test client is 127.0.0.1
        remote = httpx.ASGITransport(app=api.app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=remote, base_url=BASE) as outside:
            refused = await outside.get("/metrics")
        assert refused.status_code == 403 and "netpol_" not in refused.text


def test_kubernetes_verbs_and_kinds_are_read_from_the_rest_path() -> None:
    assert verb_and_kind("GET", "/api/v1/namespaces") == ("list", "namespaces")
    assert verb_and_kind("GET", "/api/v1/namespaces/team-a") == ("get", "namespaces")
    assert verb_and_kind("GET", "/apis/apps/v1/namespaces/a/deployments") == ("list", "deployments")
    assert verb_and_kind("PUT", "/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/web") == (
        "update", "networkpolicies")
    assert verb_and_kind("DELETE", "/api/v1/namespaces/a/pods/p") == ("delete", "pods")
    assert verb_and_kind("PATCH", "/api/v1/nodes/n1") == ("patch", "nodes")
