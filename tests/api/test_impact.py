"""POST /api/v1/clusters/{cluster}/impact against the sandbox: the reference's access-nginx, before it
is applied (busybox → nginx:80 newly denied), then its access=true rule, then a delete."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api, wait_for
from tests.sandbox.kubectl import Kubectl

URL = "/api/v1/clusters/sandbox/impact"


def app(ns: str) -> str:
    items = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": image, "ports": ports}]},
                },
            },
        }  # fmt: skip
        for name, image, labels, ports in (
            ("nginx", "nginx", {"app": "nginx"}, [{"containerPort": 80}]),
            ("busybox", "busybox", {"app": "busybox"}, []),
            ("client", "busybox", {"app": "client", "access": "true"}, []),
        )
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def access_nginx(ns: str, allow_access: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": {"app": "nginx"}}, "policyTypes": ["Ingress"]}
    if allow_access:
        spec["ingress"] = [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "access-nginx", "namespace": ns},
        "spec": spec,
    }


@pytest.fixture
async def pods(api: Api, k: Kubectl, namespace: str) -> None:
    k("apply", "-f", "-", stdin=app(namespace))
    k.running("-n", namespace, count=3)
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: len([p for p in cluster.cache.pods(namespace) if p.pod_ip]) == 3, timeout=30)


def groups(answer: dict[str, Any], key: str, ns: str) -> list[tuple[str, str, int, int]]:
    """The groups whose source is in ``ns`` (pods of the sandbox's other namespaces change too)."""
    return [
        (g["from"].split("/")[1], g["to"].split("/")[1], g["port"], g["count"])
        for g in answer[key]
        if g["from"].startswith(f"{ns}/")
    ]


async def ask(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.send("POST", URL, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_reference_scenario_as_impact_answers(api: Api, k: Kubectl, namespace: str, pods: None) -> None:
    denying = await ask(api, {"policy": access_nginx(namespace, allow_access=False)})
    assert not denying["unchanged"]
    assert groups(denying, "newlyDenied", namespace) == [("busybox", "nginx", 80, 1), ("client", "nginx", 80, 1)]
    assert denying["newlyAllowed"] == []
    assert {g["to"] for g in denying["newlyDenied"]} == {f"{namespace}/nginx"}
    assert any(not g["from"].startswith(f"{namespace}/") for g in denying["newlyDenied"])  # other namespaces
    mine = next(g for g in denying["newlyDenied"] if g["from"] == f"{namespace}/busybox")
    assert mine["flows"][0]["from"].startswith(f"{namespace}/busybox-")
    assert any("Denied by ingress" in line for line in mine["explanation"])

    k("apply", "-f", "-", stdin=json.dumps(access_nginx(namespace, allow_access=False)))
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: cluster.cache.get("networkpolicies", namespace, "access-nginx") is not None)

    allowing = await ask(api, {"policy": access_nginx(namespace, allow_access=True)})  # replaces by name
    assert groups(allowing, "newlyAllowed", namespace) == [("client", "nginx", 80, 1)]
    assert allowing["newlyDenied"] == []

    same = await ask(api, {"policy": access_nginx(namespace, allow_access=False)})
    assert same["unchanged"] and same["affectedPods"] == []  # the same policy again

    deleting = await ask(api, {"delete": {"namespace": namespace, "name": "access-nginx"}})
    assert groups(deleting, "newlyAllowed", namespace) == [("busybox", "nginx", 80, 1), ("client", "nginx", 80, 1)]


async def test_a_body_with_neither_or_an_invalid_policy_is_refused(api: Api, namespace: str) -> None:
    assert (await api.send("POST", URL, json={})).status_code == 400  # neither policy nor delete
    bad = access_nginx(namespace, allow_access=False)
    bad["spec"]["podSelector"] = {"matchLabels": {"app": "-bad-"}}
    response = await api.send("POST", URL, json={"policy": bad})
    assert response.status_code == 422, response.text
    assert "spec.podSelector" in response.text
