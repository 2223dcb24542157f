"""A console allowed only some namespaces (NETPOL_NAMESPACES and RBAC in just those) lists,
creates and explains policies there, and answers 403 (not 503) for what it may not read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import eventually
from tests.cluster.rbac import grant_namespaces, token_kubeconfig
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


@pytest.fixture
def two_namespaces(k: Kubectl) -> Iterator[list[str]]:
    names = [f"team-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for ns in names:
        k("create", "namespace", ns)
        k("create", "deployment", "web", "-n", ns, "--image=nginx", "--replicas=1")
        k("create", "deployment", "client", "-n", ns, "--image=busybox", "--replicas=1")
    for ns in names:
        k.running("-n", ns, count=2)
    yield names
    for ns in names:
        k("delete", "namespace", ns, "--wait=false")


async def test_a_console_allowed_two_namespaces_lists_creates_and_explains_there(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], two_namespaces: list[str], tmp_path: Path,
    make_api: Any,
) -> None:
    grant_namespaces(k, account, two_namespaces)
    path = token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig")
    first, second = two_namespaces
    async with make_api(kubeconfig=path, namespaces=",".join(two_namespaces)) as api:
        ready = await api.client.get("/readyz")
        assert ready.status_code == 200
        detail = (await api.get("/api/v1/clusters/limited")).json()
        assert detail["ready"] is True
        assert {"nodes", "services", "deployments", "configmaps"} <= set(detail["forbidden"])
        names = [n["metadata"]["name"] for n in (await api.get("/api/v1/clusters/limited/namespaces")).json()["items"]]
        assert sorted(names) == sorted(two_namespaces)
        pods = (await api.get(f"/api/v1/clusters/limited/namespaces/{first}/pods")).json()["items"]
        assert len(pods) == 2

        body = {"metadata": {"name": "web-from-client"},
                "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                         "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]}}  # fmt: skip
        made = await api.send("POST", f"/api/v1/clusters/limited/namespaces/{first}/networkpolicies", json=body)
        assert made.status_code == 201, made.text
        listed = (await api.get(f"/api/v1/clusters/limited/namespaces/{first}/networkpolicies")).json()
        assert [p["object"]["metadata"]["name"] for p in listed["items"]] == ["web-from-client"]

        client_pod = next(p for p in pods if p["metadata"]["labels"]["app"] == "client")["metadata"]["name"]
        web_pod = next(p for p in pods if p["metadata"]["labels"]["app"] == "web")["metadata"]["name"]
        other = (await api.get(f"/api/v1/clusters/limited/namespaces/{second}/pods")).json()["items"]
        other_client = next(p for p in other if p["metadata"]["labels"]["app"] == "client")["metadata"]["name"]
        cluster = api.app.state.clusters.get("limited")
        await eventually(lambda: cluster.cache.network_policy(first, "web-from-client"), within=5.0)
        allowed = await api.send("POST", "/api/v1/clusters/limited/connectivity", json={
            "from": f"{first}/{client_pod}", "to": f"{first}/{web_pod}", "port": 80})  # fmt: skip
        assert allowed.status_code == 200 and allowed.json()["allowed"] is True
        denied = await api.send("POST", "/api/v1/clusters/limited/connectivity", json={
            "from": f"{second}/{other_client}", "to": f"{first}/{web_pod}", "port": 80})  # fmt: skip
        assert denied.status_code == 200 and denied.json()["allowed"] is False

        # A kind a route needs and may not read is the API server's 403, not a 503 for the cluster.
        workloads = await api.get(f"/api/v1/clusters/limited/namespaces/{first}/workloads")
        assert workloads.status_code == 403
        assert 'cannot list resource "deployments"' in workloads.json()["detail"]
        # Outside the two namespaces there is nothing to see.
        assert (await api.get("/api/v1/clusters/limited/namespaces/default/networkpolicies")).status_code == 404
