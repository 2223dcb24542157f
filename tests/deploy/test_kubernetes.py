"""deploy/kubernetes/ on the real control plane (the sandbox): every manifest passes the API
server's validation (a server-side dry run), and `kubectl apply -k` brings up the console's
Deployment with both replicas Ready, scheduled on nodes, behind a Service whose EndpointSlices list
two ready addresses, in a namespace that enforces Pod Security "restricted".

The sandbox's nodes are KWOK's: pods are admitted, scheduled, given an IP and marked Running and
Ready by KWOK without a container being run or a probe being made. So what this proves is what
the API server, the admission plugins, the scheduler and the controllers decide about the
manifests; the image itself is checked by tests/deploy/test_image.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.conftest import ROOT
from tests.sandbox.kubectl import KUBECTL, Kubectl

DEPLOY = ROOT / "deploy" / "kubernetes"
NAME = "netpol-console"


class Deployed:
    """deploy/kubernetes/ under names of the test's own (``netpol-console`` → ``npc-xxxxxx``), so
    that the tests sharing the sandbox do not share a namespace or a ClusterRole."""

    def __init__(self, k: Kubectl) -> None:
        self.k = k
        self.name = f"npc-{uuid.uuid4().hex[:6]}"
        built = k("kustomize", str(DEPLOY)).stdout
        self.text = self.renamed(built)
        self.docs = [d for d in yaml.safe_load_all(self.text) if d]

    def renamed(self, text: str) -> str:
        return text.replace(NAME, self.name)

    def doc(self, kind: str) -> dict[str, Any]:
        return next(d for d in self.docs if d["kind"] == kind)

    def remove(self) -> None:
        self.k("delete", "--wait=false", "--ignore-not-found", "-f", "-", stdin=self.text)


@pytest.fixture
def deployed(k: Kubectl) -> Iterator[Deployed]:
    assert KUBECTL.exists()
    d = Deployed(k)
    yield d
    d.remove()


def wait_until(check: Any, what: str, within: float = 90) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_every_manifest_passes_the_api_servers_validation(k: Kubectl, deployed: Deployed) -> None:
    # The namespace first: a dry run cannot place objects in a namespace that is not there.
    k("apply", "-f", "-", stdin=yaml.safe_dump(deployed.doc("Namespace")))
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        run = k("apply", "--dry-run=server", "-f", "-", stdin=deployed.renamed(path.read_text()))
        assert "(server dry run)" in run.stdout, path.name
    run = k("apply", "--dry-run=server", "-f", "-", stdin=deployed.text)
    kinds = {line.split("/")[0] for line in run.stdout.splitlines()}
    assert {"deployment.apps", "service", "configmap", "secret", "serviceaccount", "namespace",
            "clusterrole.rbac.authorization.k8s.io", "role.rbac.authorization.k8s.io"} <= kinds  # fmt: skip


def test_the_console_goes_ready_with_two_replicas_behind_its_service(k: Kubectl, deployed: Deployed) -> None:
    ns = name = deployed.name
    k("apply", "-f", "-", stdin=deployed.text)

    deployment = wait_until(
        lambda: (d := k.json("get", "deployment", name, "-n", ns)).get("status", {}).get("readyReplicas") == 2 and d,
        "two ready replicas",
    )
    assert deployment["spec"]["replicas"] == 2 and deployment["status"]["availableReplicas"] == 2

    nodes = {n["metadata"]["name"] for n in k.json("get", "nodes")["items"]}
    pods = [p for p in k.json("get", "pods", "-n", ns, "-l", f"app.kubernetes.io/name={name}")["items"]
            if not p["metadata"].get("deletionTimestamp")]  # fmt: skip
    assert len(pods) == 2
    for pod in pods:
        assert pod["spec"]["nodeName"] in nodes and pod["spec"]["serviceAccountName"] == name
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["PodScheduled"] == "True" and ready["Ready"] == "True" and pod["status"]["podIP"]
    ips = {p["status"]["podIP"] for p in pods}

    def ready_addresses() -> set[str]:
        slices = k.json("get", "endpointslices", "-n", ns, "-l", f"kubernetes.io/service-name={name}")["items"]
        return {a for s in slices for e in s.get("endpoints") or [] if (e.get("conditions") or {}).get("ready")
                for a in e["addresses"]}  # fmt: skip

    assert wait_until(lambda: ready_addresses() == ips and ips, "the Service's two ready endpoints") == ips


def test_the_pods_are_hardened_and_the_namespace_enforces_restricted(k: Kubectl, deployed: Deployed) -> None:
    ns = name = deployed.name
    k("apply", "-f", "-", stdin=deployed.text)
    labels = k.json("get", "namespace", ns)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # The enforcement is live: a pod without the hardening is refused there by the API server.
    refused = k("run", "plain", "-n", ns, "--image=busybox", "--dry-run=server", check=False)
    assert refused.returncode != 0 and 'violates PodSecurity "restricted' in refused.stderr

    spec = k.json("get", "deployment", name, "-n", ns)["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (container,) = spec["containers"]
    hardening = container["securityContext"]
    assert hardening["readOnlyRootFilesystem"] is True and hardening["allowPrivilegeEscalation"] is False
    assert hardening["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    empty = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
    assert {"/tmp", "/data"} <= set(mounts) and {mounts["/tmp"], mounts["/data"]} <= empty
    assert {s.get("configMapRef", s.get("secretRef", {})).get("name") for s in container["envFrom"]} == {name}


def test_the_configmap_and_secret_are_settings_the_console_reads() -> None:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "console.yaml").read_text()) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in docs if d["kind"] == "Secret")["stringData"]
    values = {key.removeprefix("NETPOL_").lower(): value for key, value in {**config, **secret}.items()}
    assert set(values) <= set(Settings.model_fields) and all(k.startswith("NETPOL_") for k in {**config, **secret})
    settings = Settings(**values)
    assert settings.in_cluster and settings.env == "production" and settings.host == "0.0.0.0"
    assert settings.data_dir.as_posix() == "/data" and settings.database_url.startswith("postgresql+asyncpg://")
    assert "REPLACE-ME" in settings.secret_key  # a placeholder, refused at start (tests/test_secret_key.py)
