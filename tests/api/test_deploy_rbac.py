"""deploy/kubernetes/rbac.yaml and rbac-readonly.yaml on the real control plane: the console,
signed in to the cluster with nothing but a TokenRequest token of the manifests' service account,
becomes ready, lists, shows and explains; under rbac.yaml an operator creates, replaces and deletes
a policy; under rbac-readonly.yaml every write is the API server's 403. A ClusterRole missing one
verb is caught by the same readiness check, so the check is not a formality."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cluster import ClusterRegistry
from tests.accounts.conftest import login
from tests.api.conftest import Api, ApiFactory, wait_for
from tests.api.test_policies import PROBLEM
from tests.conftest import ROOT, SandboxProcess
from tests.sandbox.kubectl import Kubectl

DEPLOY = ROOT / "deploy" / "kubernetes"
FULL, READONLY = DEPLOY / "rbac.yaml", DEPLOY / "rbac-readonly.yaml"
NAME = "netpol-console"  # the namespace, service account and role names of both manifests
STEADY_SECONDS = 1.5

# The ACK documentation's example: only pods labelled access=true may reach nginx.
ACCESS_NGINX = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      app: nginx
  ingress:
    - from:
        - podSelector:
            matchLabels:
              access: "true"
"""


@pytest.fixture
def own_ns(k: Kubectl) -> Iterator[str]:
    """A namespace of the test's own holding the demo's access-nginx policy, made as the admin."""
    ns = f"rbac-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    k("apply", "-n", ns, "-f", "-", stdin=ACCESS_NGINX)
    yield ns
    k("delete", "namespace", ns, "--wait=false")


class Installed:
    """One manifest applied under names of the test's own (``netpol-console`` → ``npc-xxxxxx``),
    so that tests sharing the sandbox do not share an account."""

    def __init__(self, k: Kubectl, text: str) -> None:
        self.k = k
        self.name = f"npc-{uuid.uuid4().hex[:6]}"
        self.text = text.replace(NAME, self.name)
        self.subject = f"system:serviceaccount:{self.name}:{self.name}"
        k("apply", "-f", "-", stdin=self.text)

    def kubeconfig(self, sb: SandboxProcess, target: Path) -> Path:
        """A kubeconfig with the cluster's CA and a TokenRequest token of the service account, and
        no client certificate (the sandbox's admin certificate would otherwise be used too)."""
        token = self.k("create", "token", self.name, "-n", self.name).stdout.strip()
        config = yaml.safe_load(sb.kubeconfig_path.read_text())
        config["users"] = [{"name": self.name, "user": {"token": token}}]
        for context in config["contexts"]:
            context["context"]["user"] = self.name
        target.write_text(yaml.safe_dump(config))
        return target

    def remove(self) -> None:
        self.k("delete", "--wait=false", "--ignore-not-found", "-f", "-", stdin=self.text)


def impersonation_objects() -> str:
    """The objects rbac.yaml keeps commented out for NETPOL_IMPERSONATE=true, uncommented."""
    commented = FULL.read_text().split("Uncomment to use:\n", 1)[1]
    return "\n".join(line.removeprefix("# ").removeprefix("#") for line in commented.splitlines()) + "\n"


def without_watch_on_pods(text: str) -> str:
    """rbac.yaml with pods listable but not watchable."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    core = next(r for r in role["rules"] if "pods" in r["resources"])
    core["resources"].remove("pods")
    role["rules"].append({"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]})
    return yaml.safe_dump_all(docs)


def kind_ready(entry: Any) -> bool:
    """One kind's entry of a cache readiness report, whichever of its shapes."""
    if isinstance(entry, dict):
        return bool(entry.get("ready", entry.get("state") == "ready"))
    return bool(entry)


async def kinds_not_steadily_ready(cache: Any, seconds: float = STEADY_SECONDS) -> dict[str, Any]:
    """Every kind seen not ready while sampling the cache's readiness for ``seconds``, with its
    entry. A kind whose list works but whose watch is forbidden may turn ready after each list and
    fail again right after (a cache that re-lists at once), so one look could miss it; a window
    cannot."""
    seen: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        for kind, entry in cache.readiness()["kinds"].items():
            if not kind_ready(entry):
                seen.setdefault(kind, entry)
        await asyncio.sleep(0.02)
    return seen


async def reads_work(api: Api, ns: str) -> None:
    """What a read-only console must do: ready, list, show, explain; no 503 anywhere."""
    cluster = next(iter(api.app.state.clusters))
    assert await kinds_not_steadily_ready(cluster.cache) == {}
    assert (await api.client.get("/readyz")).status_code == 200
    c = f"/api/v1/clusters/{cluster.name}"

    names = {
        n["metadata"]["name"]
        for n in (await api.get(c + "/namespaces", who="vic", params={"limit": 500})).json()["items"]
    }
    assert {"default", "kube-system", "test-np", ns} <= names
    listed = await api.get(f"{c}/namespaces/{ns}/networkpolicies", who="vic")
    assert listed.status_code == 200, listed.text
    assert [p["object"]["metadata"]["name"] for p in listed.json()["items"]] == ["access-nginx"]
    pods = (await api.get(c + "/namespaces/default/pods", who="vic")).json()["items"]
    by_app = {p["metadata"]["labels"].get("app"): p["metadata"]["name"] for p in pods}
    answer = await api.send(
        "POST",
        c + "/connectivity",
        who="vic",
        json={"from": f"default/{by_app['busybox']}", "to": f"default/{by_app['nginx']}", "port": 80},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["allowed"] is True and answer.json()["explanation"]
    assert cluster.cache.terway_config() is not None  # kube-system/eni-config, by its name only
    assert "range-configmaps" not in cluster.cache.unreadable()  # ack-cluster-profile, kube-proxy-worker
    assert [c.name for c in cluster.cache.list("range-configmaps")] == ["ack-cluster-profile"]

    # The details page reads the live policy (a GET of one object), not the cache's copy.
    assert (await login(api.client)).status_code in (200, 303)
    page = await api.client.get(f"/clusters/{cluster.name}/namespaces/{ns}/networkpolicies/access-nginx")
    assert page.status_code == 200 and "access-nginx" in page.text
    for path in (f"/clusters/{cluster.name}/networkpolicies?namespace={ns}", f"/clusters/{cluster.name}/connectivity"):
        assert (await api.client.get(path)).status_code == 200, path


async def test_the_console_reads_writes_and_explains_under_rbac_yaml(
    make_api: ApiFactory, sandbox: SandboxProcess, k: Kubectl, own_ns: str, tmp_path: Path
) -> None:
    installed = Installed(k, FULL.read_text())
    try:
        async with make_api(kubeconfig=installed.kubeconfig(sandbox, tmp_path / "kubeconfig")) as api:
            await reads_work(api, own_ns)
            cluster = next(iter(api.app.state.clusters))
            base = f"/api/v1/clusters/{cluster.name}/namespaces/{own_ns}/networkpolicies"
            form = {"name": "web", "podSelector": {"labels": [{"key": "app", "value": "web"}]}}
            dry = await api.send("POST", base + "?dryRun=true", who="olga", json={"form": form})
            assert dry.status_code == 200, dry.text
            made = await api.send("POST", base, who="olga", json={"form": form})
            assert made.status_code == 201, made.text
            version = made.json()["object"]["metadata"]["resourceVersion"]
            await wait_for(lambda: cluster.cache.network_policy(own_ns, "web") is not None)
            ingress = {"enabled": True, "rules": [{"ports": [{"protocol": "TCP", "port": "80"}]}]}
            replaced = await api.send(
                "PUT",
                f"{base}/web",
                who="olga",
                json={"form": {**form, "ingress": ingress}},
                headers={"If-Match": f'"{version}"'},
            )
            assert replaced.status_code == 200, replaced.text
            assert (await api.send("DELETE", f"{base}/web", who="olga")).status_code == 204
            await manages_namespaces_and_workloads(api, cluster.name, own_ns)
        stored = k.json("get", "networkpolicies", "-n", own_ns)["items"]
        assert [p["metadata"]["name"] for p in stored] == ["access-nginx"]
    finally:
        installed.remove()


async def manages_namespaces_and_workloads(api: Any, cluster: str, ns: str) -> None:
    """The namespace and workload writes of the console, each allowed by rbac.yaml's verbs."""
    spaces = f"/api/v1/clusters/{cluster}/namespaces"
    made = await api.send("POST", spaces, who="olga", json={"name": f"{ns}-x", "labels": {"env": "test"}})
    assert made.status_code == 201, made.text
    relabelled = await api.send("PATCH", f"{spaces}/{ns}-x", who="olga", json={"labels": {"env": "prod"}})
    assert relabelled.status_code == 200, relabelled.text
    assert (await api.send("DELETE", f"{spaces}/{ns}-x", who="olga")).status_code in (200, 202, 204)
    workloads = f"{spaces}/{ns}/workloads"
    app = {"name": "web", "image": "nginx", "ports": [{"port": 80}],
           "service": {"name": "web", "ports": [{"port": 80, "targetPort": 80}]}}  # fmt: skip
    created = await api.send("POST", workloads, who="olga", json=app)
    assert created.status_code == 201, created.text
    scaled = await api.send("PATCH", f"{workloads}/Deployment/web", who="olga", json={"replicas": 2})
    assert scaled.status_code == 200, scaled.text
    assert (await api.send("DELETE", f"{workloads}/Deployment/web", who="olga")).status_code in (200, 202, 204)


async def test_the_console_reads_and_explains_under_rbac_readonly_and_writes_are_403(
    make_api: ApiFactory, sandbox: SandboxProcess, k: Kubectl, own_ns: str, tmp_path: Path
) -> None:
    installed = Installed(k, READONLY.read_text())
    try:
        async with make_api(kubeconfig=installed.kubeconfig(sandbox, tmp_path / "kubeconfig")) as api:
            await reads_work(api, own_ns)
            cluster = next(iter(api.app.state.clusters))
            base = f"/api/v1/clusters/{cluster.name}/namespaces/{own_ns}/networkpolicies"
            version = cluster.cache.network_policy(own_ns, "access-nginx").metadata.resource_version
            form = {"name": "access-nginx", "podSelector": {}}
            for method, url, body, verb in (
                ("POST", base, {"form": {**form, "name": "web"}}, "create"),
                ("POST", base + "?dryRun=true", {"form": {**form, "name": "web"}}, "create"),
                ("PUT", f"{base}/access-nginx", {"form": form}, "update"),
                ("DELETE", f"{base}/access-nginx", None, "delete"),
            ):
                answer = await api.send(method, url, who="olga", json=body, headers={"If-Match": f'"{version}"'})
                assert answer.status_code == 403, (method, url, answer.text)
                assert answer.headers["content-type"] == PROBLEM
                detail = answer.json()["detail"]  # the API server's own words
                assert installed.subject in detail and f'cannot {verb} resource "networkpolicies"' in detail
        stored = k.json("get", "networkpolicies", "-n", own_ns)["items"]
        assert [p["metadata"]["name"] for p in stored] == ["access-nginx"]
    finally:
        installed.remove()


async def test_with_impersonation_rbac_readonly_and_the_impersonate_role_are_enough(
    make_api: ApiFactory, sandbox: SandboxProcess, k: Kubectl, own_ns: str, tmp_path: Path
) -> None:
    installed = Installed(k, READONLY.read_text() + "---\n" + impersonation_objects())
    # The cluster's RBAC lets olga's team (netpol:team:app-team) write policies in own_ns only.
    k("create", "role", "writers", "-n", own_ns, "--verb=create,update,delete", "--resource=networkpolicies")
    k("create", "rolebinding", "writers", "-n", own_ns, "--role=writers", "--group=netpol:team:app-team")
    # Live reads made for a person are the person's too: the admin's team may view (details page).
    viewers = f"{own_ns}-platform-view"
    k("create", "clusterrolebinding", viewers, "--clusterrole=view", "--group=netpol:team:platform")
    try:
        kubeconfig = installed.kubeconfig(sandbox, tmp_path / "kubeconfig")
        async with make_api(kubeconfig=kubeconfig, impersonate=True) as api:
            await reads_work(api, own_ns)
            cluster = next(iter(api.app.state.clusters))
            base = f"/api/v1/clusters/{cluster.name}/namespaces/{{}}/networkpolicies"
            form = {"form": {"name": "web", "podSelector": {"labels": [{"key": "app", "value": "web"}]}}}
            made = await api.send("POST", base.format(own_ns), who="olga", json=form)
            assert made.status_code == 201, made.text
            assert (await api.send("DELETE", base.format(own_ns) + "/web", who="olga")).status_code == 204
            elsewhere = await api.send("POST", base.format("test-np") + "?dryRun=true", who="olga", json=form)
            assert elsewhere.status_code == 403, elsewhere.text
            assert 'User "olga" cannot create resource "networkpolicies"' in elsewhere.json()["detail"]
    finally:
        k("delete", "clusterrolebinding", viewers, "--ignore-not-found")
        installed.remove()


async def test_a_role_missing_one_verb_leaves_that_kind_not_ready(
    sandbox: SandboxProcess, k: Kubectl, tmp_path: Path
) -> None:
    installed = Installed(k, without_watch_on_pods(FULL.read_text()))
    registry = await ClusterRegistry.from_kubeconfig(installed.kubeconfig(sandbox, tmp_path / "kubeconfig"))
    try:
        await registry.start()
        cache = next(iter(registry)).cache
        deadline = asyncio.get_running_loop().time() + 30
        while not all(kind_ready(e) for kind, e in cache.readiness()["kinds"].items() if kind != "pods"):
            assert asyncio.get_running_loop().time() < deadline, cache.readiness()
            await asyncio.sleep(0.05)
        missing = await kinds_not_steadily_ready(cache)
        assert list(missing) == ["pods"], missing
        assert "watch" in json.dumps(missing["pods"]), missing
    finally:
        await registry.close()
        installed.remove()


# What rbac.yaml lets the console do beyond listing and watching, per resource.
WRITES = {
    "networkpolicies.networking.k8s.io": {"get", "create", "update", "delete"},
    "namespaces": {"get", "create", "patch", "delete"},
    "services": {"create", "delete"},
    "deployments.apps": {"get", "create", "patch", "delete"},
    "statefulsets.apps": {"get", "patch", "delete"},
    "daemonsets.apps": {"get", "patch", "delete"},
    "jobs.batch": {"get", "patch", "delete"},
    "cronjobs.batch": {"get", "patch", "delete"},
    "pods": set(),
    "nodes": set(),
}


def test_the_manifests_apply_as_they_are_and_grant_exactly_their_verbs(k: Kubectl) -> None:
    sa = f"system:serviceaccount:{NAME}:{NAME}"

    def can(verb: str, what: str, *where: str) -> bool:
        return k("auth", "can-i", verb, what, *where, "--as", sa, check=False).stdout.strip() == "yes"

    try:
        k("apply", "-f", str(FULL))
        for what in (
            "namespaces",
            "nodes",
            "pods",
            "services",
            "deployments.apps",
            "statefulsets.apps",
            "daemonsets.apps",
            "jobs.batch",
            "cronjobs.batch",
            "networkpolicies.networking.k8s.io",
        ):
            assert can("list", what, "-A") and can("watch", what, "-A"), what
        for what, verbs in WRITES.items():
            for verb in ("get", "create", "update", "patch", "delete", "deletecollection"):
                assert can(verb, what, "-n", "default") == (verb in verbs), (verb, what)
        assert not can("get", "pods", "-n", "default") and not can("get", "secrets", "-A")
        assert can("watch", "configmaps/eni-config", "-n", "kube-system")
        assert can("patch", "configmaps/eni-config", "-n", "kube-system")  # the admins' NetworkPolicy switch
        assert not can("list", "configmaps", "-n", "kube-system")  # without the name: no
        for name in ("ack-cluster-profile", "kube-proxy-worker"):  # the in-cluster ranges, read only
            assert can("watch", f"configmaps/{name}", "-n", "kube-system")
            assert not can("patch", f"configmaps/{name}", "-n", "kube-system")
        assert not can("impersonate", "users") and not can("impersonate", "groups")

        k("apply", "-f", str(READONLY))  # over the full one: the write verbs are gone
        assert can("get", "networkpolicies.networking.k8s.io", "-n", "default")
        assert can("watch", "networkpolicies.networking.k8s.io", "-A")
        assert not can("patch", "configmaps/eni-config", "-n", "kube-system")
        assert can("list", "configmaps/kube-proxy-worker", "-n", "kube-system")
        for what in WRITES:
            for verb in ("create", "update", "patch", "delete"):
                assert not can(verb, what, "-n", "default"), (verb, what)

        # The commented impersonation objects are valid once uncommented.
        applied = k("apply", "--dry-run=server", "-f", "-", stdin=impersonation_objects()).stdout
        assert "clusterrole.rbac.authorization.k8s.io/netpol-console-impersonate created" in applied
    finally:
        k("delete", "--ignore-not-found", "-f", str(FULL))
