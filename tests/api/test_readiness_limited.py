"""A console limited by NETPOL_NAMESPACES and RBAC still answers ``networkPolicy``: what it may not
read (the nodes, eni-config) makes that part unknown, never an error; granted eni-config and
Terway's DaemonSet by name in kube-system, it knows the state and the version while per node
enforcement stays unknown without the nodes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.rbac import grant_namespaces, token_kubeconfig
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


@pytest.fixture
def team_ns(k: Kubectl) -> Iterator[str]:
    name = f"team-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", name)
    yield name
    k("delete", "namespace", name, "--wait=false")


async def enforcement(api: Any) -> dict[str, Any]:
    response = await api.get("/api/v1/clusters/limited")
    assert response.status_code == 200, response.text
    return dict(response.json()["networkPolicy"])


async def test_a_limited_console_says_unknown_for_what_it_may_not_read(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], team_ns: str, tmp_path: Path, make_api: Any
) -> None:
    grant_namespaces(k, account, [team_ns])
    path = token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig")
    async with make_api(kubeconfig=path, namespaces=team_ns) as api:
        detail = (await api.get("/api/v1/clusters/limited")).json()
        assert {"nodes", "configmaps", "range-configmaps", "terway-daemonsets"} <= set(detail["forbidden"])
        assert detail["networkPolicy"]["inClusterRanges"] == []
        found = await enforcement(api)
        assert found["state"] == "unknown" and found["enabled"] is None
        assert "may not read the ConfigMap kube-system/eni-config" in found["why"]
        assert found["unenforcedNodes"] is None and found["terwayVersion"] is None

    ns, name = account
    k("create", "role", f"{ns}-terway", "-n", "kube-system", "--verb=list,watch", "--resource=configmaps",
      "--resource-name=eni-config")  # fmt: skip
    k("create", "role", f"{ns}-terway-ds", "-n", "kube-system", "--verb=list,watch", "--resource=daemonsets.apps")
    try:
        for role in (f"{ns}-terway", f"{ns}-terway-ds"):
            k("create", "rolebinding", role, "-n", "kube-system", f"--role={role}", f"--serviceaccount={ns}:{name}")
        async with make_api(kubeconfig=path, namespaces=team_ns, data_dir=tmp_path / "again") as api:
            found = await enforcement(api)
            assert (found["state"], found["implementation"], found["terwayVersion"]) == ("enabled", "eBPF", "v1.9.3")
            assert found["unenforcedNodes"] is None  # the nodes stay unreadable: unknown, not "none"
            # eni-config's service_cidr; ack-cluster-profile stays unreadable, which changes nothing else
            assert found["inClusterRanges"] == ["192.168.0.0/16"]
            cluster = api.app.state.clusters.get("limited")
            # Terway's DaemonSet is read for Terway only, not shown among the team's workloads.
            assert [d.name for d in cluster.cache.list("terway-daemonsets")] == ["terway-eniip"]
            assert all(d.namespace == team_ns for d in cluster.cache.workloads("daemonsets"))
    finally:
        k("delete", "role,rolebinding", f"{ns}-terway", f"{ns}-terway-ds", "-n", "kube-system", "--ignore-not-found")
