"""The watch-fed cache against the sandbox: events within a second, readiness, restarts."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.cluster import SCOPES, Cluster, ClusterCache, ClusterRegistry, Expired
from tests.cluster.conftest import eventually


def policy(name: str, namespace: str, app: str = "web") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace},
            "spec": {"podSelector": {"matchLabels": {"app": app}}}}


async def test_cache_syncs_the_demo_and_reports_ready(registry: ClusterRegistry, cluster: Cluster) -> None:
    assert registry.readiness()["sandbox"]["state"] == "stopped"
    await registry.start()
    assert registry.readiness()["sandbox"]["state"] in ("syncing", "ready")
    assert await registry.wait_ready(10)
    report = registry.readiness()["sandbox"]
    assert report["ready"] is True and report["state"] == "ready" and report["error"] is None
    assert set(report["kinds"]) == {s.key for s in SCOPES}
    assert all(k["state"] == "ready" for k in report["kinds"].values())
    assert report["forbidden"] == {}
    assert all(0 <= k["staleSeconds"] < 10 for k in report["kinds"].values())
    assert report["kinds"]["nodes"]["objects"] >= 3

    cache = cluster.cache
    assert {"default", "test-np", "kube-system"} <= set(cache.namespace_names())
    default = cache.namespace("default")
    assert default is not None and default.phase == "Active" and default.deletion is None and default.uid
    assert default.labels["kubernetes.io/metadata.name"] == "default"
    (nginx,) = [w for w in cache.workloads("Deployment", "default") if w.name == "nginx"]
    assert (nginx.kind, nginx.namespace) == ("Deployment", "default") and nginx.resource_version
    assert nginx.pod_labels["app"] == "nginx" and nginx.selector is not None
    assert nginx.selector.match_labels == {"app": "nginx"}
    nginx_pods = [p for p in cache.pods("default") if p.labels.get("app") == "nginx"]
    assert nginx_pods and all(p.pod_ip and p.node and p.phase == "Running" and p.ready for p in nginx_pods)
    assert all(p.created and p.object["metadata"]["uid"] == p.uid for p in nginx_pods)
    listed = {p["metadata"]["name"] for p in (await cluster.list_page("pods", "default"))["items"]}
    assert {p.name for p in cache.pods("default")} == listed
    assert {p.name for p in cache.pods()} >= listed
    assert cache.get("services", "default", "nginx") is not None
    assert "terway-eniip" in {d.name for d in cache.workloads("daemonsets", "kube-system")}
    assert cache.terway_config() is not None and "eni_conf" in cache.terway_config()
    assert [c.name for c in cache.list("configmaps")] == ["eni-config"]  # only eni-config is cached
    assert [c.name for c in cache.list("range-configmaps")] == ["ack-cluster-profile"]
    assert cache.enforcement().in_cluster_ranges == ("192.168.0.0/16",)  # eni-config and the profile agree


async def test_the_in_cluster_ranges_follow_the_configmaps_they_come_from(
    registry: ClusterRegistry, cluster: Cluster
) -> None:
    cache = cluster.cache
    await registry.start()
    assert await cache.wait_ready(10)
    assert "172.20.0.0/16" not in cache.in_cluster_ranges()
    config = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 172.20.0.0/16\n"
    proxy = {"metadata": {"name": "kube-proxy-worker"}, "data": {"config.conf": config}}
    await cluster.create("configmaps", proxy, namespace="kube-system")
    try:
        await eventually(lambda: "172.20.0.0/16" in cache.enforcement().in_cluster_ranges, within=2.0)
        assert cache.enforcement().in_cluster_ranges == ("172.20.0.0/16", "192.168.0.0/16")
        assert "172.20.0.0/16" in cache.in_cluster_ranges()
        # another ConfigMap in kube-system is not watched at all
        await cluster.create("configmaps", {"metadata": {"name": "np-other"}, "data": {"serviceCIDR": "1.2.3.0/24"}},
                             namespace="kube-system")  # fmt: skip
        await cluster.delete("configmaps", "kube-system", "np-other")
    finally:
        await cluster.delete("configmaps", "kube-system", "kube-proxy-worker")
    await eventually(lambda: "172.20.0.0/16" not in cache.enforcement().in_cluster_ranges, within=2.0)
    assert {c.name for c in cache.list("range-configmaps")} == {"ack-cluster-profile"}


async def test_watch_events_reach_the_cache_within_a_second(
    registry: ClusterRegistry, cluster: Cluster, scratch: str
) -> None:
    cache = cluster.cache
    await registry.start()
    assert await cache.wait_ready(10)
    version = cache.version

    await cluster.create_network_policy(policy("web", scratch))
    started = time.monotonic()
    await eventually(lambda: cache.network_policy(scratch, "web"), within=1.0)
    assert time.monotonic() - started < 1.0
    assert cache.version > version
    assert [p.name for p in cache.network_policies(scratch)] == ["web"]
    assert "web" in {p.name for p in cache.network_policies()}
    assert cache.get("networkpolicies", scratch, "web").object["spec"]["policyTypes"] == ["Ingress"]

    changed = await cluster.get_network_policy(scratch, "web")
    changed.spec.pod_selector.match_labels = {"app": "api"}
    await cluster.replace_network_policy(changed)
    await eventually(
        lambda: cache.network_policy(scratch, "web").spec.pod_selector.match_labels == {"app": "api"},
        within=1.0,
    )

    await cluster.delete_network_policy(scratch, "web")
    await eventually(lambda: cache.network_policy(scratch, "web") is None, within=1.0)
    assert cache.network_policies(scratch) == []
    assert cache.get("networkpolicies", scratch, "web") is None

    # A Deployment's pods (made by the sandbox's controller) arrive too.
    await cluster.create("deployments", {
        "metadata": {"name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
    }, namespace=scratch)
    await eventually(lambda: len(cache.pods(scratch)) == 2, within=2.0)
    assert [w.name for w in cache.workloads("deployments", scratch)] == ["api"]


async def test_wait_changed_wakes_on_a_change(
    registry: ClusterRegistry, cluster: Cluster, scratch: str
) -> None:
    cache = cluster.cache
    await registry.start()
    assert await cache.wait_ready(10)
    since = cache.version
    assert await cache.wait_changed(since, 0.05) == since  # nothing happened: times out
    assert await cache.wait_changed(since - 1, 5) == since  # already past: at once

    await cluster.create_network_policy(policy("notify", scratch))
    started = time.monotonic()
    after = await cache.wait_changed(since, 5)
    assert after > since and time.monotonic() - started < 1.0
    await eventually(lambda: cache.kind_version("networkpolicies") > since, within=1.0)


async def test_cache_recovers_after_the_sandbox_restarts(fresh_sandbox: Any) -> None:
    registry = await ClusterRegistry.from_kubeconfig(fresh_sandbox.kubeconfig_path)
    cluster = registry.get("sandbox")
    cache = cluster.cache
    try:
        await registry.start()
        assert await cache.wait_ready(10)
        await cluster.create_network_policy(policy("before", "default"))
        await eventually(lambda: cache.network_policy("default", "before"), within=1.0)

        fresh_sandbox.stop()
        report = await eventually(
            lambda: (r := registry.readiness()["sandbox"])["state"] == "error" and r, within=5.0
        )
        assert report["ready"] is False and report["error"]
        assert cache.network_policy("default", "before") is not None  # the last known state stays

        fresh_sandbox.start()
        # Made before the cache is back: the re-list must bring it.
        await cluster.create_network_policy(policy("during", "default"))
        # The backoff (0.8 s doubling to 30 s, with jitter) was growing while the server was down.
        await eventually(lambda: cache.ready, within=70.0)
        await eventually(lambda: cache.network_policy("default", "during"), within=2.0)
        # Made after: the new watch must bring it within a second.
        await cluster.create_network_policy(policy("after", "default"))
        await eventually(lambda: cache.network_policy("default", "after"), within=1.0)
        assert {p.name for p in cache.network_policies("default")} == {"before", "during", "after"}
        assert registry.readiness()["sandbox"]["error"] is None
    finally:
        await registry.close()


async def test_a_watch_from_a_version_too_old_is_expired(fresh_sandbox: Any) -> None:
    registry = await ClusterRegistry.from_kubeconfig(fresh_sandbox.kubeconfig_path)
    cluster = registry.get("sandbox")
    try:
        fresh_sandbox.restart()  # the restarted server keeps no event history before now
        try:
            async for _event in cluster.watch("pods", resource_version="1", timeout_seconds=5):
                raise AssertionError("no event expected")
        except Expired as exc:
            assert "too old resource version" in exc.message
        else:
            raise AssertionError("Expired expected")
    finally:
        await registry.close()


async def test_relist_follows_continue_tokens(cluster: Cluster, scratch: str) -> None:
    for i in range(5):
        await cluster.create_network_policy(policy(f"p{i}", scratch))
    small_pages = ClusterCache(cluster, page_size=1)
    try:
        await small_pages.start()
        assert await small_pages.wait_ready(10)
        assert sorted(p.name for p in small_pages.network_policies(scratch)) == [f"p{i}" for i in range(5)]
        listed = {p["metadata"]["name"] for p in (await cluster.list_page("pods", "default"))["items"]}
        assert len(listed) >= 2
        assert {p.name for p in small_pages.pods("default")} == listed
    finally:
        await small_pages.stop()
    assert small_pages.state == "stopped"



async def test_etcd_compaction_forces_410s_and_the_cache_lists_again(tmp_path: Any) -> None:
    """With the API server reading etcd directly (--watch-cache=false), a compaction makes a watch
    from an older version 410 Expired; the cache, resuming its watch from such a version, lists
    again (rate-limited) and goes on seeing changes."""
    import httpx

    from tests.conftest import SandboxProcess

    sb = SandboxProcess(tmp_path / "sb", seed=False, apiserver_args=("--watch-cache=false",))
    sb.start()
    registry = await ClusterRegistry.from_kubeconfig(sb.kubeconfig_path)
    cluster = registry.get("sandbox")
    cache = ClusterCache(cluster, watch_timeout=1)  # watches end every second and resume from rv
    try:
        await cache.start()
        assert await cache.wait_ready(30)
        lists = cache.readiness()["kinds"]["networkpolicies"]["lists"]
        old = (await cluster.list_page("networkpolicies"))["metadata"]["resourceVersion"]
        await cluster.create_network_policy(policy("before", "default"))
        await eventually(lambda: cache.network_policy("default", "before"), within=5.0)
        for name in ("bump-1", "bump-2"):  # writes the policies' watch does not see: its version falls behind
            await cluster.create("configmaps", {"metadata": {"name": name}, "data": {"a": "b"}}, namespace="default")
        revision = (await cluster.list_page("configmaps", "default"))["metadata"]["resourceVersion"]
        etcd = (sb.data_dir / "etcd-url").read_text().strip()
        async with httpx.AsyncClient() as http:
            done = await http.post(f"{etcd}/v3/kv/compaction", json={"revision": revision, "physical": True})
        assert done.status_code == 200, done.text

        with pytest.raises(Expired):
            async for _event in cluster.watch("networkpolicies", resource_version=old, timeout_seconds=5):
                pass
        await eventually(lambda: cache.readiness()["kinds"]["networkpolicies"]["lists"] > lists, within=30.0)
        assert cache.network_policy("default", "before") is not None
        await cluster.create_network_policy(policy("after", "default"))
        await eventually(lambda: cache.network_policy("default", "after"), within=10.0)
        assert cache.ready
    finally:
        await cache.stop()
        await registry.close()
        sb.stop()
