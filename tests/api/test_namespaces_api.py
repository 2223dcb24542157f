"""/api/v1/clusters/{cluster}/namespaces on the sandbox: list and read from the cache with an ETag
that digests the labels, create with labels, PATCH the labels, DELETE; dryRun stores nothing;
a stale If-Match is 409 (as a stale resourceVersion is for policies); the operator role, a
write-scoped token and the system namespaces are held to; errors are problem+json."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from app.audit.service import query
from tests.api.conftest import Api, wait_for

BASE = "/api/v1/clusters/sandbox/namespaces"
PROBLEM = "application/problem+json"


@pytest.fixture
async def name(kube: Any) -> AsyncIterator[str]:
    """A fresh name; the namespace is deleted afterwards, whatever the test made of it."""
    made = f"api-ns-{uuid.uuid4().hex[:6]}"
    yield made
    try:
        await client.CoreV1Api(kube).delete_namespace(made)
    except ApiException as exc:
        if exc.status != 404:
            raise


def cached(api: Api, name: str) -> Any:
    return next(iter(api.app.state.clusters)).cache.namespace(name)


async def test_create_read_patch_and_delete_a_namespace(api: Api, kube: Any, name: str) -> None:
    core = client.CoreV1Api(kube)
    dry = await api.send("POST", BASE + "?dryRun=All", json={"name": name, "labels": {"env": "test"}})
    assert dry.status_code == 200 and dry.json()["dryRun"] is True and dry.json()["metadata"]["labels"]["env"] == "test"
    with pytest.raises(ApiException):  # a dry run stores nothing
        await core.read_namespace(name)

    made = await api.send("POST", BASE, json={"name": name, "labels": {"env": "test"}})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["metadata"]["name"] == name and body["status"]["phase"] == "Active" and body["dryRun"] is False
    assert body["metadata"]["labels"] == {"env": "test", "kubernetes.io/metadata.name": name}
    assert body["defaultDeny"] == {"Ingress": [], "Egress": []}

    await wait_for(lambda: cached(api, name) is not None)
    got = await api.get(f"{BASE}/{name}")
    assert got.status_code == 200 and got.json()["metadata"]["labels"]["env"] == "test"
    etag = got.headers["ETag"]
    assert etag == made.headers["ETag"], "the ETag digests the labels, what PATCH changes"
    listed = await api.get(BASE)
    assert name in [i["metadata"]["name"] for i in listed.json()["items"]]

    review = await api.send("PATCH", f"{BASE}/{name}?dryRun=All", json={"labels": {"env": "prod"}},
                            headers={"If-Match": etag})  # fmt: skip
    assert review.status_code == 200 and review.json()["dryRun"]
    assert review.json()["metadata"]["labels"]["env"] == "prod"
    assert (await core.read_namespace(name)).metadata.labels["env"] == "test"

    patched = await api.send("PATCH", f"{BASE}/{name}", json={"labels": {"env": "prod", "team": "a"}},
                             headers={"If-Match": etag})  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert patched.json()["metadata"]["labels"] == {"env": "prod", "team": "a", "kubernetes.io/metadata.name": name}
    assert patched.headers["ETag"] != etag
    assert (await core.read_namespace(name)).metadata.labels["team"] == "a"

    stale = await api.send("PATCH", f"{BASE}/{name}", json={"labels": {}}, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith(PROBLEM)
    gone_stale = await api.send("DELETE", f"{BASE}/{name}", headers={"If-Match": etag})
    assert gone_stale.status_code == 409
    assert (await core.read_namespace(name)).metadata.labels["team"] == "a", "nothing was overwritten"

    dry_delete = await api.send("DELETE", f"{BASE}/{name}?dryRun=All", headers={"If-Match": patched.headers["ETag"]})
    assert dry_delete.status_code == 204
    assert (await core.read_namespace(name)).status.phase == "Active"
    deleted = await api.send("DELETE", f"{BASE}/{name}", headers={"If-Match": patched.headers["ETag"]})
    assert deleted.status_code == 204
    assert (await core.read_namespace(name)).status.phase == "Terminating"


async def test_invalid_labels_answer_422_at_their_path(api: Api, name: str) -> None:
    bad = await api.send("POST", BASE, json={"name": name, "labels": {"bad key!": "x"}})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert any(e["field"].startswith("metadata.labels") for e in bad.json()["errors"])
    taken = await api.send("POST", BASE, json={"name": "default"})
    assert taken.status_code == 409


async def test_missing_namespaces_are_404(api: Api) -> None:
    assert (await api.get(f"{BASE}/no-such-ns")).status_code == 404
    patched = await api.send("PATCH", f"{BASE}/no-such-ns", json={"labels": {"a": "b"}})
    assert patched.status_code == 404 and patched.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("system", ["default", "kube-system", "kube-public", "kube-node-lease"])
async def test_system_namespaces_cannot_be_deleted(api: Api, system: str) -> None:
    refused = await api.send("DELETE", f"{BASE}/{system}")
    assert refused.status_code == 403 and "system namespace" in refused.json()["detail"]


async def test_viewers_and_read_tokens_may_read_but_not_write(api: Api, kube: Any, name: str) -> None:
    assert (await api.get(BASE, who="vic")).status_code == 200
    viewer = await api.send("POST", BASE, who="vic", json={"name": name})
    assert viewer.status_code == 403 and "operator" in viewer.json()["detail"]
    read_only = await api.send("POST", BASE, who="olga-read", json={"name": name})
    assert read_only.status_code == 403
    with pytest.raises(ApiException):
        await client.CoreV1Api(kube).read_namespace(name)
    operator = await api.send("POST", BASE, who="olga", json={"name": name})
    assert operator.status_code == 201
    async with api.app.state.sessions() as session:
        entries = (await query(session)).entries
    assert [(e.actor, e.via, e.kind, e.name, e.action, e.outcome) for e in entries if e.name == name] == [
        ("olga", "api", "Namespace", name, "create", "success")
    ], "audited like a policy change; the refused attempts changed nothing"
