"""The controller and the demo seed, seen through kubernetes-asyncio."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from kubernetes_asyncio import client

from tests.conftest import SandboxProcess, kube_client


def _deployment(name: str, replicas: int, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}
                    ]
                },
            },
        },
    }


async def _pods(core: Any, namespace: str, selector: str) -> list[Any]:
    return (await core.list_namespaced_pod(namespace, label_selector=selector)).items


async def test_deployment_pods_follow_scaling_and_deletion(kube: Any, namespace: str) -> None:
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    dep = await apps.create_namespaced_deployment(namespace, _deployment("web", 3, {"app": "web"}))
    pods = await _pods(core, namespace, "app=web")
    assert len(pods) == 3
    for pod in pods:
        assert re.fullmatch(r"web-[a-z0-9]{6,10}-[a-z0-9]{5}", pod.metadata.name)
        assert pod.metadata.owner_references[0].uid == dep.metadata.uid
        assert pod.status.phase == "Running" and pod.spec.node_name
        assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network("10.244.0.0/16")
        assert pod.spec.containers[0].ports[0].container_port == 8080
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
    assert len({p.status.pod_ip for p in pods}) == 3
    status = (await apps.read_namespaced_deployment("web", namespace)).status
    assert (status.replicas, status.ready_replicas, status.available_replicas) == (3, 3, 3)

    await apps.patch_namespaced_deployment("web", namespace, {"spec": {"replicas": 1}})
    assert len(await _pods(core, namespace, "app=web")) == 1
    assert (await apps.read_namespaced_deployment("web", namespace)).status.ready_replicas == 1

    await apps.delete_namespaced_deployment("web", namespace)
    assert await _pods(core, namespace, "app=web") == []


async def test_a_deleted_pod_is_replaced(kube: Any, namespace: str) -> None:
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    await apps.create_namespaced_deployment(namespace, _deployment("again", 1, {"app": "again"}))
    [first] = await _pods(core, namespace, "app=again")
    await core.delete_namespaced_pod(first.metadata.name, namespace)
    [second] = await _pods(core, namespace, "app=again")
    assert second.metadata.name != first.metadata.name


async def test_statefulset_jobs_and_cronjobs_own_pods(kube: Any, namespace: str) -> None:
    apps, batch, core = client.AppsV1Api(kube), client.BatchV1Api(kube), client.CoreV1Api(kube)
    template = {
        "metadata": {"labels": {"app": "db"}},
        "spec": {"containers": [{"name": "db", "image": "pg"}]},
    }
    await apps.create_namespaced_stateful_set(
        namespace,
        {
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": template,
            },
        },
    )
    assert sorted(p.metadata.name for p in await _pods(core, namespace, "app=db")) == ["db-0", "db-1"]
    await apps.patch_namespaced_stateful_set("db", namespace, {"spec": {"replicas": 3}})
    assert sorted(p.metadata.name for p in await _pods(core, namespace, "app=db")) == ["db-0", "db-1", "db-2"]

    job_tmpl = {
        "metadata": {"labels": {"app": "batch"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox"}]},
    }
    job = await batch.create_namespaced_job(
        namespace, {"metadata": {"name": "once"}, "spec": {"template": job_tmpl}}
    )
    [pod] = await _pods(core, namespace, "job-name=once")
    assert pod.metadata.owner_references[0].uid == job.metadata.uid and pod.status.pod_ip
    await batch.create_namespaced_cron_job(
        namespace,
        {
            "metadata": {"name": "tick"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": job_tmpl}}},
        },
    )
    jobs = [
        j for j in (await batch.list_namespaced_job(namespace)).items if j.metadata.name.startswith("tick-")
    ]
    assert len(jobs) == 1 and jobs[0].metadata.owner_references[0].kind == "CronJob"
    await batch.delete_namespaced_cron_job("tick", namespace)
    assert [j.metadata.name for j in (await batch.list_namespaced_job(namespace)).items] == ["once"]


async def test_direct_pods_get_an_ip_and_run(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    pod = await core.create_namespaced_pod(
        namespace, {"metadata": {"name": "solo"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    )
    assert pod.status.phase == "Running" and pod.status.pod_ip and pod.status.host_ip


async def test_seeded_demo_tells_the_reference_story(kube: Any) -> None:
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    names = {n.metadata.name for n in (await core.list_namespace()).items}
    assert {"default", "test-np", "kube-system"} <= names
    nginx = await apps.read_namespaced_deployment("nginx", "default")
    container = nginx.spec.template.spec.containers[0]
    assert container.image == "nginx:latest" and container.ports[0].name == "http"
    assert container.ports[0].container_port == 80
    assert await _pods(core, "default", "app=busybox")
    svc = await core.read_namespaced_service("nginx", "default")
    assert svc.spec.selector == {"app": "nginx"} and svc.spec.ports[0].port == 80
    dns = await core.read_namespaced_service("kube-dns", "kube-system")
    assert {p.name for p in dns.spec.ports} == {"dns", "dns-tcp"}

    cm = await core.read_namespaced_config_map("eni-config", "kube-system")
    assert cm.data["disable_network_policy"] == "false"
    conf = json.loads(cm.data["10-terway.conf"])
    assert conf["network_policy_provider"] == "ebpf" and conf["eniip_virtual_type"] == "veth"
    assert "vswitches" in json.loads(cm.data["eni_conf"])
    terway = await apps.read_namespaced_daemon_set("terway-eniip", "kube-system")
    images = {c.name: c.image for c in terway.spec.template.spec.containers}
    assert set(images) == {"terway", "policy"} and re.search(r":v\d+\.\d+\.\d+$", images["terway"])

    nodes = (await core.list_node()).items
    assert len(nodes) >= 3
    kernels = [n.status.node_info.kernel_version for n in nodes]
    assert any(k.startswith("4.18") for k in kernels)
    exclusive = [
        n for n in nodes if n.metadata.labels.get("k8s.aliyun.com/exclusive-mode-eni-type") == "eniOnly"
    ]
    assert len(exclusive) == 1
    terway_pods = await _pods(core, "kube-system", "app=terway-eniip")
    assert {p.spec.node_name for p in terway_pods} == {n.metadata.name for n in nodes} - {
        exclusive[0].metadata.name
    }
    assert terway.status.number_ready == len(terway_pods)


async def test_restart_keeps_state_ca_and_resource_versions(fresh_sandbox: SandboxProcess) -> None:
    api = await kube_client(fresh_sandbox)
    try:
        core = client.CoreV1Api(api)
        await core.create_namespace({"metadata": {"name": "kept"}})
        cm = await core.create_namespaced_config_map("kept", {"metadata": {"name": "cm"}, "data": {"k": "v"}})
        pods_before = {
            p.metadata.name: p.status.pod_ip for p in (await core.list_pod_for_all_namespaces()).items
        }
    finally:
        await api.close()
    ca_before = (fresh_sandbox.data_dir / "ca.crt").read_bytes()
    fresh_sandbox.restart()
    assert (fresh_sandbox.data_dir / "ca.crt").read_bytes() == ca_before
    api = await kube_client(fresh_sandbox)  # the same kubeconfig is still trusted
    try:
        core = client.CoreV1Api(api)
        again = await core.read_namespaced_config_map("cm", "kept")
        assert again.data == {"k": "v"} and again.metadata.uid == cm.metadata.uid
        pods_after = {
            p.metadata.name: p.status.pod_ip for p in (await core.list_pod_for_all_namespaces()).items
        }
        assert pods_after == pods_before
        newer = await core.create_namespaced_config_map("kept", {"metadata": {"name": "cm2"}})
        assert int(newer.metadata.resource_version) > int(cm.metadata.resource_version)
    finally:
        await api.close()
