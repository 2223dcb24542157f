"""The cache under RBAC that does not grant everything: a forbidden kind is reported (which
verb, the API server's words) and everything else keeps working; a console allowed only some
namespaces watches each kind in each of them. Real RBAC objects on the real control plane."""

from __future__ import annotations

from pathlib import Path

from app.cluster import ClusterRegistry
from app.cluster.cache import Backoff
from tests.cluster.conftest import eventually
from tests.cluster.rbac import CACHED, grant_cluster_wide, token_kubeconfig
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


def test_backoff_doubles_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(0.8, 30.0, jitter=1.0)
    waits = [backoff.step() for _ in range(8)]
    bases = [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    assert all(base <= wait <= 2 * base for wait, base in zip(waits, bases, strict=True))
    backoff.reset()
    assert 0.8 <= backoff.step() <= 1.6


async def test_a_forbidden_kind_is_reported_and_the_rest_is_read(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], tmp_path: Path
) -> None:
    grant_cluster_wide(k, account, CACHED)  # everything but nodes and the ConfigMaps of kube-system
    path = token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig")
    registry = await ClusterRegistry.from_kubeconfig(path)
    try:
        await registry.start()
        assert await registry.wait_ready(30)
        report = registry.readiness()["limited"]
        assert report["ready"] is True and report["error"] is None
        nodes = report["kinds"]["nodes"]
        assert nodes["state"] == "forbidden" and nodes["verb"] == "list"
        ns, name = account
        assert f'"system:serviceaccount:{ns}:{name}" cannot list resource "nodes"' in nodes["error"]
        assert set(report["forbidden"]) == {"nodes", "configmaps", "range-configmaps"}
        cache = registry.get("limited").cache
        assert cache.readable("pods") and not cache.readable("nodes")
        assert {"default", "kube-system"} <= set(cache.namespace_names())
        assert cache.get("deployments", "default", "nginx") is not None
        assert cache.list("nodes") == []
    finally:
        await registry.close()


async def test_granting_a_forbidden_kind_later_makes_it_ready(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], tmp_path: Path
) -> None:
    grant_cluster_wide(k, account, CACHED)
    path = token_kubeconfig(sandbox, k, account, tmp_path / "kubeconfig")
    registry = await ClusterRegistry.from_kubeconfig(path)
    cache = registry.get("limited").cache
    try:
        await registry.start()
        assert await registry.wait_ready(30) and not cache.readable("nodes")
        ns, name = account
        role = f"{ns}-nodes"
        k("create", "clusterrole", role, "--verb=list,watch", "--resource=nodes")
        k("create", "clusterrolebinding", role, f"--clusterrole={role}", f"--serviceaccount={ns}:{name}")
        k("label", "clusterrole,clusterrolebinding", role, f"test={ns}")
        # The forbidden backoff starts at 5 s (doubling, with jitter): the grant is seen within it.
        await eventually(lambda: cache.readable("nodes"), within=25.0, step=0.2)
        assert len(cache.list("nodes")) >= 4
        assert "nodes" not in registry.readiness()["limited"]["forbidden"]
    finally:
        await registry.close()


