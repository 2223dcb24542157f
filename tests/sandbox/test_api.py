"""The sandbox through kubernetes-asyncio over HTTPS: CRUD, errors, selectors, dry runs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.conftest import SandboxProcess


def _status(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


def test_requests_without_the_token_get_a_401_status(sandbox: SandboxProcess) -> None:
    with httpx.Client(base_url=sandbox.url, verify=sandbox.ssl_context()) as http:
        resp = http.get("/api/v1/namespaces")
        assert resp.status_code == 401
        assert resp.json()["kind"] == "Status" and resp.json()["reason"] == "Unauthorized"
        resp = http.get("/api/v1/namespaces", headers={"Authorization": "Bearer wrong"})
        assert resp.status_code == 401
        assert http.get("/readyz").status_code == 200


def test_discovery_lists_every_kind_with_short_names(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        assert http.get("/api").json()["versions"] == ["v1"]
        groups = {g["name"] for g in http.get("/apis").json()["groups"]}
        assert {"apps", "batch", "networking.k8s.io"} <= groups
        core = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
        assert core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"]
        assert core["nodes"]["namespaced"] is False and core["namespaces"]["shortNames"] == ["ns"]
        net = {r["name"]: r for r in http.get("/apis/networking.k8s.io/v1").json()["resources"]}
        assert net["networkpolicies"]["kind"] == "NetworkPolicy"
        assert net["networkpolicies"]["shortNames"] == ["netpol"]
        assert "watch" in net["networkpolicies"]["verbs"]
        assert http.get("/apis/nope/v1").status_code == 404


async def test_namespaces_carry_the_metadata_name_label(kube: Any, namespace: str) -> None:
    ns = await client.CoreV1Api(kube).read_namespace(namespace)
    assert ns.metadata.labels["kubernetes.io/metadata.name"] == namespace
    assert ns.status.phase == "Active"


@pytest.mark.parametrize(
    ("api", "create", "read", "body"),
    [
        (
            "CoreV1Api",
            "create_namespaced_config_map",
            "read_namespaced_config_map",
            {"metadata": {"name": "cm1"}, "data": {"a": "b"}},
        ),
        (
            "CoreV1Api",
            "create_namespaced_service",
            "read_namespaced_service",
            {"metadata": {"name": "svc1"}, "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}},
        ),
        (
            "CoreV1Api",
            "create_namespaced_pod",
            "read_namespaced_pod",
            {
                "metadata": {"name": "pod1", "labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        ),
        (
            "NetworkingV1Api",
            "create_namespaced_network_policy",
            "read_namespaced_network_policy",
            {"metadata": {"name": "np1"}, "spec": {"podSelector": {}}},
        ),
        (
            "AppsV1Api",
            "create_namespaced_deployment",
            "read_namespaced_deployment",
            {
                "metadata": {"name": "d1"},
                "spec": {
                    "selector": {"matchLabels": {"app": "d"}},
                    "template": {
                        "metadata": {"labels": {"app": "d"}},
                        "spec": {"containers": [{"name": "c", "image": "i"}]},
                    },
                },
            },
        ),
        (
            "AppsV1Api",
            "create_namespaced_stateful_set",
            "read_namespaced_stateful_set",
            {
                "metadata": {"name": "s1"},
                "spec": {
                    "serviceName": "s1",
                    "selector": {"matchLabels": {"app": "s"}},
                    "template": {
                        "metadata": {"labels": {"app": "s"}},
                        "spec": {"containers": [{"name": "c", "image": "i"}]},
                    },
                },
            },
        ),
        (
            "AppsV1Api",
            "create_namespaced_daemon_set",
            "read_namespaced_daemon_set",
            {
                "metadata": {"name": "ds1"},
                "spec": {
                    "selector": {"matchLabels": {"app": "ds"}},
                    "template": {
                        "metadata": {"labels": {"app": "ds"}},
                        "spec": {"containers": [{"name": "c", "image": "i"}]},
                    },
                },
            },
        ),
        (
            "BatchV1Api",
            "create_namespaced_job",
            "read_namespaced_job",
            {
                "metadata": {"name": "j1"},
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}
                    }
                },
            },
        ),
        (
            "BatchV1Api",
            "create_namespaced_cron_job",
            "read_namespaced_cron_job",
            {
                "metadata": {"name": "cj1"},
                "spec": {
                    "schedule": "*/5 * * * *",
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [{"name": "c", "image": "i"}],
                                }
                            }
                        }
                    },
                },
            },
        ),
    ],
)
async def test_crud_of_each_kind(
    kube: Any, namespace: str, api: str, create: str, read: str, body: dict[str, Any]
) -> None:
    client_api = getattr(client, api)(kube)
    created = await getattr(client_api, create)(namespace, body)
    name = created.metadata.name
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    got = await getattr(client_api, read)(name, namespace)
    assert got.metadata.uid == created.metadata.uid
    got.metadata.labels = {"edited": "yes"}
    replace = read.replace("read_", "replace_")
    updated = await getattr(client_api, replace)(name, namespace, got)
    assert updated.metadata.labels == {"edited": "yes"}
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    listed = await getattr(client_api, read.replace("read_", "list_"))(namespace)
    assert name in [i.metadata.name for i in listed.items]
    await getattr(client_api, read.replace("read_", "delete_"))(name, namespace)
    with pytest.raises(ApiException) as err:
        await getattr(client_api, read)(name, namespace)
    assert err.value.status == 404


async def test_nodes_are_cluster_scoped_crud(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    node = await core.create_node({"metadata": {"name": "node-crud-test", "labels": {"x": "y"}}})
    assert node.metadata.namespace is None
    await core.patch_node("node-crud-test", {"metadata": {"labels": {"x": "z"}}})
    assert (await core.read_node("node-crud-test")).metadata.labels == {"x": "z"}
    await core.delete_node("node-crud-test")


async def test_stale_resource_version_is_a_409_conflict(kube: Any, namespace: str) -> None:
    net = client.NetworkingV1Api(kube)
    first = await net.create_namespaced_network_policy(
        namespace, {"metadata": {"name": "web"}, "spec": {"podSelector": {}}}
    )
    first.metadata.labels = {"a": "1"}
    await net.replace_namespaced_network_policy("web", namespace, first)
    first.metadata.labels = {"a": "2"}
    with pytest.raises(ApiException) as err:
        await net.replace_namespaced_network_policy("web", namespace, first)
    assert err.value.status == 409
    body = _status(err.value)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on networkpolicies.networking.k8s.io "web": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )


async def test_duplicates_and_missing_namespaces(kube: Any, namespace: str) -> None:
    net = client.NetworkingV1Api(kube)
    body = {"metadata": {"name": "dup"}, "spec": {"podSelector": {}}}
    await net.create_namespaced_network_policy(namespace, body)
    with pytest.raises(ApiException) as err:
        await net.create_namespaced_network_policy(namespace, body)
    assert err.value.status == 409
    assert _status(err.value)["message"] == 'networkpolicies.networking.k8s.io "dup" already exists'
    with pytest.raises(ApiException) as err:
        await net.create_namespaced_network_policy("no-such-ns", body)
    assert err.value.status == 404
    assert _status(err.value)["message"] == 'namespaces "no-such-ns" not found'
    with pytest.raises(ApiException) as err:
        await net.read_namespaced_network_policy("ghost", namespace)
    assert _status(err.value)["details"] == {
        "name": "ghost",
        "group": "networking.k8s.io",
        "kind": "networkpolicies",
    }


async def test_network_policies_are_defaulted_and_printed_like_the_api_server(
    kube: Any, namespace: str
) -> None:
    with_egress = {
        "metadata": {"name": "p"},
        "spec": {
            "ingress": [{"ports": [{"port": 80}], "from": []}],
            "egress": [{"to": [{"namespaceSelector": {}}]}],
        },
    }
    net = client.NetworkingV1Api(kube)
    await net.create_namespaced_network_policy(namespace, with_egress)
    raw = await net.read_namespaced_network_policy("p", namespace, _preload_content=False)
    spec = json.loads(await raw.read())["spec"]
    assert spec == {
        "podSelector": {},
        "ingress": [{"ports": [{"protocol": "TCP", "port": 80}]}],
        "egress": [{"to": [{"namespaceSelector": {}}]}],
        "policyTypes": ["Ingress", "Egress"],
    }


async def test_generate_name(kube: Any, namespace: str) -> None:
    cm = await client.CoreV1Api(kube).create_namespaced_config_map(
        namespace, {"metadata": {"generateName": "x-"}}
    )
    assert cm.metadata.name.startswith("x-") and len(cm.metadata.name) == 7


async def test_label_and_field_selectors(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    for name, labels in [("a", {"tier": "web", "env": "prod"}), ("b", {"tier": "db"}), ("c", {})]:
        await core.create_namespaced_config_map(namespace, {"metadata": {"name": name, "labels": labels}})

    async def names(**kw: Any) -> list[str]:
        return [i.metadata.name for i in (await core.list_namespaced_config_map(namespace, **kw)).items]

    assert await names(label_selector="tier=web") == ["a"]
    assert await names(label_selector="tier==db") == ["b"]
    assert await names(label_selector="tier!=web") == ["b", "c"]
    assert await names(label_selector="tier in (web,db)") == ["a", "b"]
    assert await names(label_selector="tier notin (web)") == ["b", "c"]
    assert await names(label_selector="env") == ["a"]
    assert await names(label_selector="!env") == ["b", "c"]
    assert await names(field_selector="metadata.name=b") == ["b"]
    assert await names(field_selector="metadata.name!=b") == ["a", "c"]
    everywhere = await core.list_config_map_for_all_namespaces(
        field_selector=f"metadata.namespace=={namespace}"
    )
    assert sorted(i.metadata.name for i in everywhere.items) == ["a", "b", "c"]
    with pytest.raises(ApiException) as err:
        await names(field_selector="spec.foo=x")
    assert err.value.status == 400


async def test_list_paging_with_limit_and_continue(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    for i in range(5):
        await core.create_namespaced_config_map(namespace, {"metadata": {"name": f"cm{i}"}})
    page = await core.list_namespaced_config_map(namespace, limit=2)
    seen = [i.metadata.name for i in page.items]
    while page.metadata._continue:
        page = await core.list_namespaced_config_map(namespace, limit=2, _continue=page.metadata._continue)
        seen += [i.metadata.name for i in page.items]
    assert seen == [f"cm{i}" for i in range(5)]


async def test_dry_run_stores_nothing(kube: Any, namespace: str) -> None:
    net = client.NetworkingV1Api(kube)
    body = {"metadata": {"name": "dry"}, "spec": {"podSelector": {}}}
    out = await net.create_namespaced_network_policy(namespace, body, dry_run="All")
    assert out.spec.policy_types == ["Ingress"]
    assert (await net.list_namespaced_network_policy(namespace)).items == []
    real = await net.create_namespaced_network_policy(namespace, body)
    await net.patch_namespaced_network_policy(
        "dry", namespace, {"metadata": {"labels": {"x": "1"}}}, dry_run="All"
    )
    await net.delete_namespaced_network_policy("dry", namespace, dry_run="All")
    still = await net.read_namespaced_network_policy("dry", namespace)
    assert still.metadata.labels is None
    assert still.metadata.resource_version == real.metadata.resource_version


async def test_merge_and_json_patches(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "p"}, "data": {"a": "1", "b": "2"}}
    )
    out = await core.patch_namespaced_config_map("p", namespace, {"data": {"a": None, "c": "3"}})
    assert out.data == {"b": "2", "c": "3"}
    out = await core.patch_namespaced_config_map(
        "p", namespace, [{"op": "replace", "path": "/data/b", "value": "22"}]
    )
    assert out.data == {"b": "22", "c": "3"}


async def test_deleting_a_namespace_deletes_its_objects(kube: Any) -> None:
    core, net = client.CoreV1Api(kube), client.NetworkingV1Api(kube)
    await core.create_namespace({"metadata": {"name": "doomed"}})
    await net.create_namespaced_network_policy(
        "doomed", {"metadata": {"name": "np"}, "spec": {"podSelector": {}}}
    )
    await core.create_namespaced_config_map("doomed", {"metadata": {"name": "cm"}})
    await core.delete_namespace("doomed")
    everywhere = await net.list_network_policy_for_all_namespaces()
    assert all(i.metadata.namespace != "doomed" for i in everywhere.items)
    assert all(
        i.metadata.namespace != "doomed" for i in (await core.list_config_map_for_all_namespaces()).items
    )
    with pytest.raises(ApiException) as err:
        await core.read_namespace("doomed")
    assert err.value.status == 404


async def test_invalid_network_policy_is_a_422_with_field_paths(kube: Any, namespace: str) -> None:
    net = client.NetworkingV1Api(kube)
    body = {
        "metadata": {"name": "bad"},
        "spec": {
            "podSelector": {},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}],
            "egress": [{"ports": [{"protocol": "HTTP", "port": 80}]}],
        },
    }
    with pytest.raises(ApiException) as err:
        await net.create_namespaced_network_policy(namespace, body)
    assert err.value.status == 422
    status = _status(err.value)
    assert status["reason"] == "Invalid" and status["code"] == 422
    assert status["details"]["kind"] == "NetworkPolicy" and status["details"]["group"] == "networking.k8s.io"
    fields = [c["field"] for c in status["details"]["causes"]]
    assert "spec.ingress[0].from[0].ipBlock.cidr" in fields
    assert "spec.egress[0].ports[0].protocol" in fields
    assert status["message"].startswith('NetworkPolicy.networking.k8s.io "bad" is invalid: [')
    assert all(c["reason"].startswith("FieldValue") for c in status["details"]["causes"])
    assert (await net.list_namespaced_network_policy(namespace)).items == []


def test_lenient_cidrs_are_accepted_with_a_warning_header(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": "warn-ns"}})
        resp = http.post(
            "/apis/networking.k8s.io/v1/namespaces/warn-ns/networkpolicies",
            json={
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "w"},
                "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]},
            },
        )
        assert resp.status_code == 201, resp.text
        warning = resp.headers.get("warning", "")
        assert warning.startswith('299 - "') and "spec.ingress[0].from[0].ipBlock.cidr" in warning
        http.delete("/api/v1/namespaces/warn-ns")


def test_errors_are_status_objects(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        resp = http.get("/api/v1/nosuchthings")
        assert resp.status_code == 404 and resp.json()["kind"] == "Status"
        resp = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert resp.status_code == 400 and resp.json()["reason"] == "BadRequest"
        resp = http.put("/api/v1/namespaces/default/configmaps")
        assert resp.status_code == 405 and resp.json()["reason"] == "MethodNotAllowed"


async def test_container_ports_default_to_tcp_as_upstream(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    pod = {
        "metadata": {"name": "ports"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}]}]},
    }
    made = await core.create_namespaced_pod(namespace, pod)
    assert made.spec.containers[0].ports[0].protocol == "TCP"
