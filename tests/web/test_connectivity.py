"""The Connectivity page and app.analysis through the running console against the sandbox:
verdicts with their explanation, an external address, errors, the matrix, with and without htmx."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from app import analysis
from tests.conftest import SandboxProcess
from tests.web.test_policy_views import HX, Console, _console


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


@pytest.fixture
async def ns(kube: Any) -> AsyncIterator[str]:
    """Pods web (app=web, port http=8080), client (app=client) and other (app=other); web accepts
    only client on 8080."""
    name = f"cx-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    for pod, ports in (("web", [{"name": "http", "containerPort": 8080}]), ("client", []), ("other", [])):
        await core.create_namespaced_pod(
            name,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": pod, "namespace": name, "labels": {"app": pod}},
                "spec": {"containers": [{"name": pod, "image": "nginx", "ports": ports}]},
            },
        )
    await client.NetworkingV1Api(kube).create_namespaced_network_policy(
        name,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "web-ingress", "namespace": name},
            "spec": {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                        "ports": [{"protocol": "TCP", "port": 8080}],
                    }
                ],
            },
        },
    )
    yield name
    await core.delete_namespace(name)


def page(**params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/clusters/sandbox/connectivity?{query}"


async def test_verdicts_name_the_policy_and_rule_that_decide(console: Console, ns: str) -> None:
    allowed = await console.until(
        page(**{"from": f"{ns}/client", "to": f"{ns}/web", "port": "8080"}), "ALLOWED"
    )
    assert allowed.status_code == 200
    assert f"{ns}/client → {ns}/web on TCP/8080" in allowed.text
    assert f"{ns}/web-ingress ingress rule 1 (spec.ingress[0]) allows {ns}/client on TCP/8080" in allowed.text
    assert f"Egress: no NetworkPolicy selects {ns}/client for egress" in allowed.text
    assert 'class="verdict allowed"' in allowed.text and "<html" in allowed.text

    denied = await console.http.get(
        page(**{"from": f"{ns}/other", "to": f"{ns}/web", "port": "http"}), headers=HX
    )
    assert denied.status_code == 200
    assert "<html" not in denied.text and 'id="cx-main"' in denied.text
    assert "<strong>DENIED</strong>" in denied.text and "TCP/8080 (port http)" in denied.text
    assert f"No ingress rule of {ns}/web-ingress allows {ns}/other" in denied.text

    external = await console.http.get(page(from_ip="203.0.113.7", to=f"{ns}/web", port="8080"))
    assert "<strong>DENIED</strong>" in external.text
    assert "203.0.113.7 is outside the cluster; no NetworkPolicy applies to it." in external.text
    # the typed address wins over the picked pod; the select still offers every pod
    assert f'<option value="{ns}/client"' in external.text

    wrong_port = await console.http.get(page(**{"from": f"{ns}/client", "to": f"{ns}/web", "port": "9090"}))
    assert "<strong>DENIED</strong>" in wrong_port.text


async def test_bad_input_is_explained_not_a_crash(console: Console, ns: str) -> None:
    missing = await console.http.get(page(**{"from": f"{ns}/nope", "to": f"{ns}/web", "port": "80"}))
    assert missing.status_code == 404 and f"pod &#34;{ns}/nope&#34; not found" in missing.text
    incomplete = await console.http.get(page(**{"from": f"{ns}/client", "port": "80"}), headers=HX)
    assert incomplete.status_code == 400 and "Choose a source, a destination and a port." in incomplete.text
    two_ips = await console.http.get(page(from_ip="10.0.0.1", to_ip="10.0.0.2", port="80"))
    assert two_ips.status_code == 400 and "at least one side of the connection must be a pod" in two_ips.text
    blank = await console.http.get("/clusters/sandbox/connectivity")
    assert blank.status_code == 200 and 'role="alert"' not in blank.text


async def test_matrix_marks_each_pair_in_text(console: Console, ns: str) -> None:
    response = await console.until(
        page(mnamespace=ns, mport="8080", mprotocol="TCP"), '<th scope="row">web</th>'
    )
    html = response.text
    row = {
        name: re.search(rf'<th scope="row">{name}</th>(.*?)</tr>', html, re.S) for name in ("client", "other", "web")
    }
    assert row["client"] and row["other"] and row["web"]
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", html, re.S)
    assert head is not None
    columns = re.findall(r'<th scope="col">([^<]+)</th>', head.group(1))[1:]
    assert columns == ["client", "other", "web"]
    cells = {
        # a cell may also be marked as not holding (a pod scheduled on a node without enforcement)
        name: re.findall(r'<td class="(allowed|denied)[^"]*"[^>]*><a [^>]*>(✓ allowed|✗ denied)', m.group(1))
        for name, m in row.items()
        if m
    }
    assert [c[1] for c in cells["client"]] == ["✓ allowed", "✓ allowed", "✓ allowed"]
    assert [c[1] for c in cells["other"]] == ["✓ allowed", "✓ allowed", "✗ denied"]
    # web is isolated for ingress, yet a pod cannot block access to itself
    assert [c[1] for c in cells["web"]] == ["✓ allowed", "✓ allowed", "✓ allowed"]


async def test_the_world_is_rebuilt_only_when_pods_namespaces_or_policies_change(
    console: Console, kube: Any, ns: str
) -> None:
    await console.until(page(**{"from": f"{ns}/client", "to": f"{ns}/web", "port": "8080"}), "ALLOWED")
    cluster = console.app.state.clusters.get("sandbox")
    first = analysis.world(cluster)
    assert analysis.world(cluster) is first
    assert [
        p.name for p in analysis.selected_pods(cluster, cluster.cache.network_policy(ns, "web-ingress"))
    ] == ["web"]
    await client.NetworkingV1Api(kube).delete_namespaced_network_policy("web-ingress", ns)
    await console.until(page(**{"from": f"{ns}/web", "to": f"{ns}/web", "port": "8080"}), "ALLOWED")
    assert analysis.world(cluster) is not first
    assert analysis.explain(cluster, f"{ns}/web", f"{ns}/web", 8080).allowed
