"""Every Cluster call, through kubernetes_asyncio over HTTPS against the sandbox."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from app.cluster import Cluster
from app.errors import AlreadyExists, Conflict, Invalid, NotFound
from app.policies.model import NetworkPolicy

CONTAINER = {"name": "main", "image": "busybox:1.36", "ports": [{"name": "http", "containerPort": 8080}]}


def template(app: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": [copy.deepcopy(CONTAINER)]}}


def workload_spec(kind: str, app: str) -> dict[str, Any]:
    selector = {"matchLabels": {"app": app}}
    if kind == "deployments":
        return {"replicas": 1, "selector": selector, "template": template(app)}
    if kind == "statefulsets":
        return {"replicas": 1, "serviceName": app, "selector": selector, "template": template(app)}
    if kind == "daemonsets":
        return {"selector": selector, "template": template(app)}
    job_template = template(app)
    job_template["spec"]["restartPolicy"] = "Never"
    if kind == "jobs":
        return {"template": job_template}
    return {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": job_template}}}


def manifest(kind: str, name: str) -> dict[str, Any]:
    """A small valid object of each kind."""
    obj: dict[str, Any] = {"metadata": {"name": name, "labels": {"app": name}}}
    if kind == "pods":
        obj["spec"] = {"containers": [copy.deepcopy(CONTAINER)]}
    elif kind == "services":
        obj["spec"] = {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
    elif kind == "configmaps":
        obj["data"] = {"key": "value"}
    elif kind == "networkpolicies":
        obj["spec"] = {"podSelector": {"matchLabels": {"app": name}}, "ingress": [{"ports": [{"port": 80}]}]}
    else:
        obj["spec"] = workload_spec(kind, name)
    return obj


NAMESPACED = [
    "pods", "services", "configmaps", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs",
    "networkpolicies",
]


async def relabel(cluster: Cluster, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
    """Get, label, replace; on a Conflict read again, as clients do: the scheduler, the
    controllers and KWOK write pods, workloads and nodes right after they are created."""
    for _ in range(20):
        obj = await cluster.get_object(kind, namespace, name)
        obj["metadata"].setdefault("labels", {})["changed"] = "yes"
        try:
            return (await cluster.replace(kind, obj)).object
        except Conflict:
            continue
    raise AssertionError(f"{kind}/{name} kept changing")


@pytest.mark.parametrize("kind", NAMESPACED)
async def test_crud_of_each_namespaced_kind(cluster: Cluster, scratch: str, kind: str) -> None:
    name = f"x-{kind[:6]}"
    created = (await cluster.create(kind, manifest(kind, name), namespace=scratch)).object
    meta = created["metadata"]
    assert meta["namespace"] == scratch and meta["uid"] and meta["resourceVersion"]

    fetched = await cluster.get_object(kind, scratch, name)
    assert fetched["metadata"]["uid"] == meta["uid"]
    listed = (await cluster.list_page(kind, scratch))["items"]
    assert name in {o["metadata"]["name"] for o in listed}
    assert all(o["kind"] and o["apiVersion"] for o in listed)  # filled in, as the API server leaves them out
    selected = (await cluster.list_page(kind, label_selector=f"app={name}"))["items"]
    assert {o["metadata"]["name"] for o in selected} == {name}

    replaced = await relabel(cluster, kind, scratch, name)
    assert replaced["metadata"]["labels"]["changed"] == "yes"
    assert int(replaced["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])

    with pytest.raises(AlreadyExists):
        await cluster.create(kind, manifest(kind, name), namespace=scratch)

    await cluster.delete(kind, scratch, name)
    await gone(cluster, kind, scratch, name)
    with pytest.raises(NotFound):
        await cluster.delete(kind, scratch, name)


async def gone(cluster: Cluster, kind: str, namespace: str, name: str, within: float = 30) -> None:
    """Wait until the object no longer exists: a pod ends gracefully (KWOK finishes it) and a Job
    waits for the garbage collector to clear its ``orphan`` finalizer."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        try:
            obj = await cluster.get_object(kind, namespace, name)
        except NotFound:
            return
        assert obj["metadata"].get("deletionTimestamp"), "a deleted object still there is Terminating"
        await asyncio.sleep(0.1)
    raise AssertionError(f"{kind}/{name} still exists {within} s after its deletion")


async def test_crud_of_cluster_scoped_kinds(cluster: Cluster, scratch: str) -> None:
    node = {"metadata": {"name": f"node-{scratch}", "labels": {"type": "virtual-kubelet"}}}
    created = (await cluster.create("nodes", node)).object
    assert created["metadata"]["uid"]
    assert (await relabel(cluster, "nodes", None, f"node-{scratch}"))["metadata"]["labels"]["changed"] == "yes"
    await cluster.delete("nodes", None, f"node-{scratch}")
    with pytest.raises(NotFound):
        await cluster.get_object("nodes", None, f"node-{scratch}")

    ns = await cluster.get_object("namespaces", None, scratch)
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == scratch


async def test_network_policy_round_trip_as_the_model(cluster: Cluster, scratch: str) -> None:
    policy = NetworkPolicy.from_dict(
        {"metadata": {"name": "web", "namespace": scratch, "annotations": {"note": "kept"}},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                  "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 80}]}]}}
    )
    result = await cluster.create_network_policy(policy)
    stored = result.policy
    assert isinstance(stored, NetworkPolicy)
    assert stored.metadata.annotations == {"note": "kept"}
    # The API server's defaulting: protocol TCP, policyTypes [Ingress].
    assert stored.spec.ingress and stored.spec.ingress[0].ports
    assert stored.spec.ingress[0].ports[0].protocol == "TCP"
    assert stored.spec.policy_types == ["Ingress"]
    assert result.warnings == []

    got = await cluster.get_network_policy(scratch, "web")
    assert got.metadata.resource_version == stored.metadata.resource_version
    listed = (await cluster.list_page("networkpolicies", scratch))["items"]
    assert [p["metadata"]["name"] for p in listed] == ["web"]

    got.spec.policy_types = ["Ingress", "Egress"]
    replaced = (await cluster.replace_network_policy(got)).policy
    assert replaced.spec.policy_types == ["Ingress", "Egress"]
    assert replaced.metadata.generation == 2

    rv = replaced.metadata.resource_version
    deleted = await cluster.delete_network_policy(scratch, "web", resource_version=rv)
    assert not deleted.dry_run
    with pytest.raises(NotFound, match="web"):
        await cluster.get_network_policy(scratch, "web")


async def test_stale_resource_version_is_a_conflict(cluster: Cluster, scratch: str) -> None:
    body = manifest("networkpolicies", "web") | {"metadata": {"name": "web", "namespace": scratch}}
    await cluster.create_network_policy(body)
    first = await cluster.get_network_policy(scratch, "web")
    second = first.model_copy(deep=True)
    first.metadata.labels = {"by": "first"}
    await cluster.replace_network_policy(first)

    second.metadata.labels = {"by": "second"}
    with pytest.raises(Conflict, match="the object has been modified"):
        await cluster.replace_network_policy(second)
    with pytest.raises(Conflict):
        await cluster.delete_network_policy(scratch, "web", resource_version=second.metadata.resource_version)
    assert (await cluster.get_network_policy(scratch, "web")).metadata.labels == {"by": "first"}


async def test_invalid_policy_reports_field_paths(cluster: Cluster, scratch: str) -> None:
    bad = {
        "metadata": {"name": "bad", "namespace": scratch},
        "spec": {
            "podSelector": {},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}],
            "egress": [{"ports": [{"protocol": "ICMP", "port": 80}]}],
        },
    }
    with pytest.raises(Invalid) as info:
        await cluster.create_network_policy(bad)
    fields = [c.field for c in info.value.causes]
    assert "spec.ingress[0].from[0].ipBlock.cidr" in fields
    assert "spec.egress[0].ports[0].protocol" in fields
    assert {c.type for c in info.value.causes} <= {"FieldValueInvalid", "FieldValueNotSupported"}
    assert 'NetworkPolicy.networking.k8s.io "bad" is invalid' in info.value.message
    assert "spec.ingress[0].from[0].ipBlock.cidr" in info.value.message
    cidr = next(c for c in info.value.causes if c.field.endswith("ipBlock.cidr"))
    assert cidr.message.startswith("Invalid value")
    with pytest.raises(NotFound):
        await cluster.get_network_policy(scratch, "bad")


async def test_invalid_on_replace_too(cluster: Cluster, scratch: str) -> None:
    created = (await cluster.create_network_policy({"metadata": {"name": "p", "namespace": scratch},
                                                    "spec": {"podSelector": {}}})).policy
    data = created.to_dict()
    data["spec"]["policyTypes"] = ["Sideways"]
    with pytest.raises(Invalid) as info:
        await cluster.replace_network_policy(data)
    assert [c.field for c in info.value.causes] == ["spec.policyTypes[0]"]


async def test_dry_run_stores_nothing(cluster: Cluster, scratch: str) -> None:
    body = {"metadata": {"name": "dry", "namespace": scratch}, "spec": {"podSelector": {}}}
    result = await cluster.create_network_policy(body, dry_run=True)
    assert result.dry_run and result.policy.name == "dry"
    with pytest.raises(NotFound):
        await cluster.get_network_policy(scratch, "dry")

    stored = (await cluster.create_network_policy(body)).policy
    changed = stored.model_copy(deep=True)
    changed.metadata.labels = {"dry": "run"}
    preview = await cluster.replace_network_policy(changed, dry_run=True)
    assert preview.policy.metadata.labels == {"dry": "run"}
    again = await cluster.get_network_policy(scratch, "dry")
    assert again.metadata.labels is None
    assert again.metadata.resource_version == stored.metadata.resource_version

    await cluster.delete_network_policy(scratch, "dry", dry_run=True)
    assert (await cluster.get_network_policy(scratch, "dry")).name == "dry"

    with pytest.raises(Invalid):  # a dry run validates like the real thing
        await cluster.create_network_policy(
            {"metadata": {"name": "dry2", "namespace": scratch},
             "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "nope"}}]}]}},
            dry_run=True,
        )


async def test_writes_return_the_api_servers_warnings(cluster: Cluster, scratch: str) -> None:
    """A non-canonical IPv6 CIDR is stored as written, with the API server's warning on create and on
    update. (A CIDR with bits set beyond the prefix length, ``10.0.0.1/8``, was the example once:
    since v1.36 StrictIPCIDRValidation makes it Invalid, and an invalid object gets no warnings.)"""
    body = {"metadata": {"name": "ipv6", "namespace": scratch},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:DB8::/32"}}]}]}}
    expected = ['spec.ingress[0].from[0].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in '
                'RFC 5952 canonical format ("2001:db8::/32")']
    preview = await cluster.create_network_policy(body, dry_run=True)
    assert preview.warnings == expected
    created = await cluster.create_network_policy(body)
    assert created.warnings == expected
    stored = created.policy
    assert stored.spec.ingress and stored.spec.ingress[0].from_
    assert stored.spec.ingress[0].from_[0].ip_block and stored.spec.ingress[0].from_[0].ip_block.cidr == "2001:DB8::/32"
    stored.metadata.labels = {"edited": "yes"}
    assert (await cluster.replace_network_policy(stored)).warnings == expected

    bits = copy.deepcopy(body)
    bits["metadata"]["name"] = "bits"
    bits["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] = "10.0.0.1/8"
    with pytest.raises(Invalid) as info:
        await cluster.create_network_policy(bits, dry_run=True)
    assert [(c.field, c.message) for c in info.value.causes] == [
        ("spec.ingress[0].from[0].ipBlock.cidr",
         'Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length')
    ]
