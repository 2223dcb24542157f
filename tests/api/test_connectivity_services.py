"""POST /api/v1/clusters/{cluster}/connectivity with ends beyond pods, against the sandbox: a
Service as the destination (resolved to its pods and target port), external addresses on either
side, and the short request form (strings) still answered as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, wait_for
from tests.sandbox.kubectl import Kubectl
from tests.web.test_connectivity_services import reference_app

URL = "/api/v1/clusters/sandbox/connectivity"


@pytest.fixture
def made(k: Kubectl, namespace: str) -> Iterator[dict[str, str]]:
    """The reference's nginx, its Service and busybox in the test's namespace: pod IPs by name."""
    k("apply", "-f", "-", stdin=reference_app(namespace))
    yield {p["metadata"]["name"]: p["status"]["podIP"] for p in k.running("-n", namespace, count=3)}


async def ask(api: Api, **body: Any) -> Any:
    response = await api.send("POST", URL, json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def seen(api: Api, namespace: str, made: dict[str, str]) -> dict[str, str]:
    """Once the console's cache holds the pods with their IPs and the Service."""
    cluster = next(iter(api.app.state.clusters))

    def ready() -> bool:
        pods = {p.name: p.pod_ip for p in cluster.cache.pods(namespace)}
        return pods == made and cluster.cache.get("services", namespace, "nginx") is not None

    await wait_for(ready, timeout=20)
    return made


async def test_a_service_destination_answers_per_pod(api: Api, namespace: str, seen: dict[str, str]) -> None:
    busybox = next(n for n in seen if n.startswith("busybox"))
    nginx = sorted(n for n in seen if n.startswith("nginx"))
    answer = await ask(api, **{"from": {"pod": f"{namespace}/{busybox}"}, "to": {"service": f"{namespace}/nginx"},
                               "port": 80, "protocol": "TCP"})  # fmt: skip
    assert answer["allowed"] is False and answer["summary"] == "allowed to 0 of 2 pods"
    details = answer["details"]
    assert details["to"] == {"service": f"{namespace}/nginx"}
    assert details["servicePort"] == {"name": "web", "port": 80, "targetPort": "http"}
    assert [(p["pod"], p["targetPort"], p["allowed"]) for p in details["pods"]] == [
        (f"{namespace}/{n}", 80, False) for n in nginx
    ]
    assert any("NetworkPolicies never see a Service's ClusterIP or port" in n for n in answer["notes"])
    assert answer["explanation"][0] == (
        f"{namespace}/{busybox} -> Service {namespace}/nginx on TCP/80: allowed to 0 of 2 pods"
    )
    by_name = await ask(api, **{"from": {"pod": f"{namespace}/{busybox}"}, "to": {"service": f"{namespace}/nginx"},
                                "port": "web"})  # fmt: skip
    assert by_name["details"]["pods"] == details["pods"]


async def test_the_reference_health_check_range_is_allowed_and_an_outside_address_is_not(
    api: Api, namespace: str, seen: dict[str, str]
) -> None:
    health = await ask(api, **{"from": {"ip": "100.64.0.5"}, "to": {"service": f"{namespace}/nginx"}, "port": 80})
    assert health["allowed"] is True and health["summary"] == "allowed to 2 of 2 pods"
    assert all(p["details"]["ingress"]["allowedBy"][0]["peer"] == "[1] ipBlock 100.64.0.0/10"
               for p in health["details"]["pods"])  # fmt: skip
    nginx = sorted(n for n in seen if n.startswith("nginx"))
    outside = await ask(api, **{"from": {"ip": "203.0.113.10"}, "to": {"pod": f"{namespace}/{nginx[0]}"}, "port": 80})
    assert outside["allowed"] is False and outside["summary"] is None
    assert outside["details"]["ingress"]["selectedBy"] == [f"{namespace}/access-nginx"]
    assert outside["notes"][0].startswith("203.0.113.10 is not the IP address of a pod")
    # an address as the destination, from a pod: no policy restricts busybox's egress
    busybox = next(n for n in seen if n.startswith("busybox"))
    egress = await ask(api, **{"from": {"pod": f"{namespace}/{busybox}"}, "to": {"ip": "203.0.113.10"}, "port": 443})
    assert egress["allowed"] is True
    # a pod's IP is that pod
    as_pod = await ask(api, **{"from": {"ip": seen[busybox]}, "to": {"pod": f"{namespace}/{nginx[0]}"}, "port": 80})
    assert as_pod["details"]["from"] == f"{namespace}/{busybox}" and as_pod["allowed"] is False
    assert as_pod["notes"] == [
        f"{seen[busybox]} is the IP address of pod {namespace}/{busybox}: it is checked as that pod."
    ]
    # the short form of before: strings
    short = await ask(api, **{"from": "203.0.113.10", "to": f"{namespace}/{nginx[0]}", "port": 80})
    assert short["allowed"] is False and short["details"]["from"] == "203.0.113.10"


async def test_ends_that_are_not_what_they_say_are_refused(api: Api, namespace: str, seen: dict[str, str]) -> None:
    nginx = sorted(n for n in seen if n.startswith("nginx"))
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"from": {"ip": "not-an-ip"}, "to": {"pod": f"{namespace}/{nginx[0]}"}, "port": 80}, 400, "not an IP address"),
        ({"from": {"ip": "100.64.0.5"}, "to": {"service": f"{namespace}/nginx"}, "port": 8080}, 400,
         "has no TCP port 8080"),
        ({"from": {"ip": "100.64.0.5"}, "to": {"service": f"{namespace}/nope"}, "port": 80}, 404, "nope"),
        ({"from": {"service": f"{namespace}/nginx"}, "to": {"pod": f"{namespace}/{nginx[0]}"}, "port": 80}, 400,
         "body.from"),
        ({"from": {"ip": "100.64.0.5"}, "to": {"ip": "203.0.113.10"}, "port": 80}, 400, "at least one side"),
    ]  # fmt: skip
    for body, status, words in cases:
        response = await api.send("POST", URL, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.text, (body, response.text)
