"""GET /api/v1/clusters/{cluster}/matrix over several namespaces, by workload or pod, as JSON or
downloaded (CSV, Markdown, SVG), and the namespace reachability's ``format``, against the sandbox;
the JSON answer of the namespace reachability is unchanged by default."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from app.api.schemas import GridAnswer
from tests.api.conftest import Api, wait_for
from tests.sandbox.kubectl import Kubectl
from tests.web.test_connectivity_services import reference_app

URL = "/api/v1/clusters/sandbox"


@pytest.fixture
def made(k: Kubectl, namespace: str) -> Iterator[list[str]]:
    """The reference's nginx (2 replicas), busybox and access-nginx in the test's namespace."""
    k("apply", "-f", "-", stdin=reference_app(namespace))
    yield sorted(p["metadata"]["name"] for p in k.running("-n", namespace, count=3))


@pytest.fixture
async def seen(api: Api, namespace: str, made: list[str]) -> list[str]:
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: sorted(p.name for p in cluster.cache.pods(namespace)) == made, timeout=20)
    return made


async def get(api: Api, url: str, **params: Any) -> Any:
    response = await api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response


async def test_the_matrix_by_workload_over_two_namespaces(api: Api, namespace: str, seen: list[str]) -> None:
    answer = (await get(api, URL + "/matrix", namespace=[namespace, "kube-system"], port="80")).json()
    assert answer["by"] == "workload" and answer["port"] == 80
    keys = [g["key"] for g in answer["groups"]]
    nginx, busybox = f"{namespace}/Deployment/nginx", f"{namespace}/Deployment/busybox"
    assert nginx in keys and busybox in keys and "kube-system/Deployment/coredns" in keys
    groups = {g["key"]: g for g in answer["groups"]}
    assert groups[nginx]["pods"] == [f"{namespace}/{n}" for n in seen if n.startswith("nginx")]
    assert answer["cells"][busybox][nginx] == {"state": "denied", "allowed": 0, "total": 2}
    assert answer["cells"][nginx][nginx] == {"state": "mixed", "allowed": 2, "total": 4}
    assert answer["cells"][nginx][busybox] == {"state": "allowed", "allowed": 2, "total": 2}

    by_pod = (await get(api, URL + "/matrix", namespace=namespace, port="80", by="pod")).json()
    assert [g["key"] for g in by_pod["groups"]] == [f"{namespace}/{n}" for n in seen]


async def test_downloads_read_back_as_the_json(api: Api, namespace: str, seen: list[str]) -> None:
    params = {"namespace": namespace, "port": "80"}
    answer = (await get(api, URL + "/matrix", **params)).json()
    labels = {g["key"]: f"{g['namespace']}/{g['name']} ({g['kind']})" for g in answer["groups"]}

    def text(cell: dict[str, Any]) -> str:
        return f"{cell['state']} {cell['allowed']}/{cell['total']}" if cell["total"] > 1 else cell["state"]

    response = await get(api, URL + "/matrix", format="csv", **params)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="matrix-{namespace}-tcp-80-by-workload.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["TCP/80 From ↓ To →", *labels.values()]
    assert rows[1:] == [
        [labels[src], *(text(answer["cells"][src][dst]) for dst in labels)] for src in labels
    ]

    md = await get(api, URL + "/matrix", format="md", **params)
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert f"| {labels[f'{namespace}/Deployment/busybox']} | " in md.text

    svg = await get(api, URL + "/matrix", format="svg", **params)
    assert svg.headers["content-type"] == "image/svg+xml"
    cells = ET.fromstring(svg.text).findall("{http://www.w3.org/2000/svg}g[@class='cell']")
    assert {(g.get("data-from"), g.get("data-to")): g.get("data-state") for g in cells} == {
        (src, dst): cell["state"] for src, row in answer["cells"].items() for dst, cell in row.items()
    }

    # the namespace's reachability: JSON as before, a download on asking
    plain = (await get(api, f"{URL}/namespaces/{namespace}/reachability", port="80")).json()
    assert set(plain) == {"namespace", "port", "protocol", "pods", "allowed"}
    reach = await get(api, f"{URL}/namespaces/{namespace}/reachability", port="80", format="csv")
    read = list(csv.reader(io.StringIO(reach.text)))
    assert read[0][1:] == plain["pods"]
    assert {r[0]: r[1:] for r in read[1:]} == {
        src: ["allowed" if plain["allowed"][src][dst] else "denied" for dst in plain["pods"]] for src in plain["pods"]
    }


async def test_bad_matrix_requests_are_refused(api: Api, namespace: str) -> None:
    missing = await api.get(URL + "/matrix", params={"namespace": "no-such-namespace", "port": "80"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    none = await api.get(URL + "/matrix", params={"port": "80"})
    assert none.status_code == 400 and none.json()["errors"][0]["field"] == "namespace"
    png = await api.get(URL + "/matrix", params={"namespace": namespace, "port": "80", "format": "png"})
    assert png.status_code == 400 and png.json()["errors"][0]["field"] == "format"


async def test_a_star_is_every_namespace(api: Api, namespace: str, seen: list[str]) -> None:
    answer = (await get(api, URL + "/matrix", namespace="*", port="80")).json()
    cluster = next(iter(api.app.state.clusters))
    pods = {p for g in answer["groups"] for p in g["pods"]}
    assert pods == {f"{p.namespace}/{p.name}" for p in cluster.cache.pods()}
    assert {f"{namespace}/{n}" for n in seen} <= pods


async def test_the_answer_is_kept_until_the_cluster_changes(
    api: Api, k: Kubectl, namespace: str, seen: list[str]
) -> None:
    params = {"namespace": namespace, "port": "80"}
    first = await get(api, URL + "/matrix", **params)
    GridAnswer.model_validate_json(first.content)  # the answer written from the counts holds to its model
    nginx, busybox = f"{namespace}/Deployment/nginx", f"{namespace}/Deployment/busybox"
    assert first.json()["cells"][nginx][busybox]["state"] == "allowed"
    assert (await get(api, URL + "/matrix", **params)).content == first.content
    csv_before = (await get(api, URL + "/matrix", format="csv", **params)).text

    # nginx may send nowhere: the kept matrix must not be what answers next
    k("apply", "-f", "-", stdin=json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-egress", "namespace": namespace},
        "spec": {"podSelector": {"matchLabels": {"run": "nginx"}}, "policyTypes": ["Egress"]},
    }))  # fmt: skip
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: any(p.name == "deny-egress" for p in cluster.cache.network_policies(namespace)), timeout=20)
    after = (await get(api, URL + "/matrix", **params)).json()
    assert after["cells"][nginx][busybox] == {"state": "denied", "allowed": 0, "total": 2}
    assert after["cells"][busybox][nginx] == first.json()["cells"][busybox][nginx]
    rows = list(csv.reader(io.StringIO((await get(api, URL + "/matrix", format="csv", **params)).text)))
    assert rows != list(csv.reader(io.StringIO(csv_before)))
    assert rows[2] == [f"{namespace}/nginx (Deployment)", "denied 0/2", "mixed 2/4"]
