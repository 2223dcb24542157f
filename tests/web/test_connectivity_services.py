"""The Connectivity page with a Service and external addresses as ends, against the sandbox: the
reference's nginx (a Deployment behind a Service whose targetPort is the container port's name),
busybox, and access-nginx allowing access=true and the load balancer's health checks
(100.64.0.0/10), all made with kubectl."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl
from tests.web.test_policy_views import HX, Console, _console


def reference_app(ns: str) -> str:
    """nginx (2 replicas, port 80 named http) behind the Service nginx (80 → http), busybox, and
    access-nginx: ingress to run=nginx from access=true pods and from 100.64.0.0/10."""
    items: list[dict[str, Any]] = []
    for name, labels, ports, replicas in (
        ("nginx", {"run": "nginx"}, [{"name": "http", "containerPort": 80}], 2),
        ("busybox", {"run": "busybox"}, [], 1),
    ):
        items.append({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": name, "ports": ports}]}}},
        })  # fmt: skip
    items.append({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx", "namespace": ns},
        "spec": {"type": "LoadBalancer", "selector": {"run": "nginx"},
                 "ports": [{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    })  # fmt: skip
    items.append({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "access-nginx", "namespace": ns},
        "spec": {"podSelector": {"matchLabels": {"run": "nginx"}}, "ingress": [{"from": [
            {"podSelector": {"matchLabels": {"access": "true"}}}, {"ipBlock": {"cidr": "100.64.0.0/10"}}]}]},
    })  # fmt: skip
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


@pytest.fixture
def reference(k: Kubectl) -> Iterator[tuple[str, dict[str, str]]]:
    """The namespace and its pods' IPs by name (nginx-…, busybox-…), once Running."""
    ns = f"cxs-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    k("apply", "-f", "-", stdin=reference_app(ns))
    pods = k.running("-n", ns, count=3)
    yield ns, {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}
    k("delete", "namespace", ns, "--wait=false")


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


def page(**params: str) -> str:
    return "/clusters/sandbox/connectivity?" + "&".join(f"{k}={v}" for k, v in params.items())


def backends(html: str) -> dict[str, str]:
    """The table of pods behind the Service: pod → allowed/denied."""
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>.*?<td class="(allowed|denied)">', html, re.S)
    return dict(rows)


async def test_a_service_is_checked_pod_by_pod_on_its_target_port(
    console: Console, reference: tuple[str, dict[str, str]]
) -> None:
    ns, ips = reference
    busybox = next(name for name in ips if name.startswith("busybox"))
    nginx = sorted(name for name in ips if name.startswith("nginx"))
    query = {"from": f"{ns}/{busybox}", "to_kind": "service", "to_service": f"{ns}/nginx", "port": "80"}
    denied = await console.until(page(**query), "allowed to 0 of 2 pods")
    assert denied.status_code == 200 and "<strong>DENIED</strong>" in denied.text
    assert f"{ns}/{busybox} → Service {ns}/nginx on TCP/80: allowed to 0 of 2 pods" in denied.text
    assert backends(denied.text) == {f"{ns}/{n}": "denied" for n in nginx}
    assert "Service port 80/TCP (web) → http forwards to the container port named http of each pod" in denied.text
    assert "NetworkPolicies never see a Service&#39;s ClusterIP or port" in denied.text
    assert f"No ingress rule of {ns}/access-nginx allows {ns}/{busybox} on TCP/80, so it is denied." in denied.text
    # the Service port by its name, picked without the Type (the only destination field filled in)
    by_name = await console.http.get(page(**{"from": f"{ns}/{busybox}", "to_service": f"{ns}/nginx", "port": "web"}))
    assert "allowed to 0 of 2 pods" in by_name.text
    # the target port is not a port of the Service
    wrong = await console.http.get(page(**{**query, "port": "http"}), headers=HX)
    assert wrong.status_code == 400 and "<html" not in wrong.text
    assert f"Service {ns}/nginx has no TCP port &#39;http&#39;" in wrong.text
    missing = await console.http.get(page(**{**query, "to_service": f"{ns}/nope"}))
    assert missing.status_code == 404 and 'role="alert"' in missing.text
    # the Service is offered for the destination only
    assert f'<option value="{ns}/nginx"' in denied.text and 'name="from_service"' not in denied.text


async def test_health_checks_from_100_64_reach_nginx_and_an_outside_address_does_not(
    console: Console, reference: tuple[str, dict[str, str]]
) -> None:
    ns, ips = reference
    nginx = sorted(name for name in ips if name.startswith("nginx"))
    health = {"from_kind": "ip", "from_ip": "100.64.0.5", "to_kind": "service", "to_service": f"{ns}/nginx",
              "port": "80"}  # fmt: skip
    allowed = await console.until(page(**health), "allowed to 2 of 2 pods")
    assert "<strong>ALLOWED</strong>" in allowed.text and 'class="verdict allowed"' in allowed.text
    assert backends(allowed.text) == {f"{ns}/{n}": "allowed" for n in nginx}
    assert "100.64.0.5 is not the IP address of a pod" in allowed.text
    assert "peer [1] ipBlock 100.64.0.0/10" in allowed.text

    outside = await console.http.get(
        page(from_kind="ip", from_ip="203.0.113.10", to=f"{ns}/{nginx[0]}", to_kind="pod", port="80"), headers=HX
    )
    assert outside.status_code == 200 and "<strong>DENIED</strong>" in outside.text
    assert f"203.0.113.10 → {ns}/{nginx[0]} on TCP/80" in outside.text
    assert f"No ingress rule of {ns}/access-nginx allows 203.0.113.10 on TCP/80" in outside.text

    # an address that is a pod's IP is that pod
    busybox = next(name for name in ips if name.startswith("busybox"))
    as_pod = await console.http.get(page(from_kind="ip", from_ip=ips[busybox], to=f"{ns}/{nginx[0]}", port="http"))
    assert f"{ips[busybox]} is the IP address of pod {ns}/{busybox}: it is checked as that pod." in as_pod.text
    assert f"{ns}/{busybox} → {ns}/{nginx[0]} on TCP/80 (port http)" in as_pod.text


async def test_the_page_says_it_in_chinese(console: Console, reference: tuple[str, dict[str, str]]) -> None:
    ns, _ips = reference
    console.http.cookies.set("lang", "zh-CN")
    query = {"from_ip": "203.0.113.10", "to_kind": "service", "to_service": f"{ns}/nginx", "port": "80"}
    answer = await console.until(page(**query), "允许访问 2 个 Pod 中的 0 个")
    html = answer.text
    assert "服务后端的 Pod" in html and "网络策略看不到服务的 ClusterIP 和服务端口" in html
    assert "203.0.113.10 不是任何 Pod 的 IP 地址" in html
    for label in ("类型", "IP 地址"):
        assert re.search(rf'<label for="cx-(from|to)-[a-z]+">{label}</label>', html), label
