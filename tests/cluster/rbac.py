"""A pytest plugin (see pyproject's addopts) for RBAC in tests: a service account of a test's
own, a kubeconfig holding only its token, and grants made with kubectl, as a cluster admin
makes them."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl

# What the console caches, as kubectl names the resources (nodes and the Terway ConfigMap aside).
CACHED = ["namespaces", "pods", "services", "networkpolicies", "deployments.apps", "statefulsets.apps",
          "daemonsets.apps", "jobs.batch", "cronjobs.batch"]  # fmt: skip

@pytest.fixture
def k(sandbox: SandboxProcess, tmp_path: Path) -> Kubectl:
    """kubectl as the cluster's admin, against the shared sandbox."""
    return Kubectl(sandbox, tmp_path / "kube-cache")


@pytest.fixture
def account(k: Kubectl) -> Iterator[tuple[str, str]]:
    """A service account of its own (namespace, name); its RBAC objects go with the namespace
    and the cluster-wide ones are deleted after the test."""
    ns = f"rbac-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    k("create", "serviceaccount", "console", "-n", ns)
    yield ns, "console"
    k("delete", "clusterrole,clusterrolebinding", "-l", f"test={ns}", "--ignore-not-found")
    k("delete", "namespace", ns, "--wait=false")


def token_kubeconfig(sb: SandboxProcess, k: Kubectl, account: tuple[str, str], path: Path) -> Path:
    """A kubeconfig that holds only the service account's token (and the cluster's CA)."""
    ns, name = account
    token = k("create", "token", name, "-n", ns).stdout.strip()
    ca = base64.b64encode((sb.pki / "ca.crt").read_bytes()).decode()
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "limited",
        "clusters": [{"name": "limited", "cluster": {"server": sb.url, "certificate-authority-data": ca}}],
        "users": [{"name": "limited", "user": {"token": token}}],
        "contexts": [{"name": "limited", "context": {"cluster": "limited", "user": "limited"}}],
    }))  # fmt: skip
    return path


def grant_cluster_wide(
    k: Kubectl, account: tuple[str, str], resources: list[str], verbs: str = "get,list,watch"
) -> None:
    ns, name = account
    role = f"{ns}-reader"
    k("create", "clusterrole", role, f"--verb={verbs}", f"--resource={','.join(resources)}")
    k("create", "clusterrolebinding", role, f"--clusterrole={role}", f"--serviceaccount={ns}:{name}")
    k("label", "clusterrole,clusterrolebinding", role, f"test={ns}")


def grant_namespaces(k: Kubectl, account: tuple[str, str], namespaces: list[str]) -> None:
    """Roles in each namespace (policies: all verbs; pods: read) and the Namespace objects by name."""
    ns, name = account
    for target in namespaces:
        k("create", "role", "console", "-n", target, "--verb=get,list,watch,create,update,delete",
          "--resource=networkpolicies")  # fmt: skip
        k("create", "role", "pods", "-n", target, "--verb=get,list,watch", "--resource=pods")
        for role in ("console", "pods"):
            k("create", "rolebinding", f"{ns}-{role}", "-n", target, f"--role={role}", f"--serviceaccount={ns}:{name}")
    role = f"{ns}-namespaces"
    k("create", "clusterrole", role, "--verb=get,list,watch", "--resource=namespaces",
      *[f"--resource-name={n}" for n in namespaces])  # fmt: skip
    k("create", "clusterrolebinding", role, f"--clusterrole={role}", f"--serviceaccount={ns}:{name}")
    k("label", "clusterrole,clusterrolebinding", role, f"test={ns}")


