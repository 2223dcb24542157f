"""The sandbox is the upstream control plane: what a cluster admin sees of it, with kubectl and
over HTTPS, and the demo it starts with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from app.sandbox.cluster import die_with_parent
from tests.conftest import ROOT, SandboxProcess, free_port
from tests.sandbox.kubectl import Kubectl


def test_the_demo_runs_on_kwok_nodes(k: Kubectl) -> None:
    nodes = {n["metadata"]["name"]: n for n in k.json("get", "nodes")["items"]}
    assert len(nodes) >= 4
    assert all(n["status"]["nodeInfo"]["kernelVersion"] for n in nodes.values())
    assert all(n["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake" for n in nodes.values())
    labels = [n["metadata"]["labels"] for n in nodes.values()]
    assert sum(lb.get("k8s.aliyun.com/exclusive-mode-eni-type") == "eniOnly" for lb in labels) == 1
    assert sum(lb.get("type") == "virtual-kubelet" for lb in labels) == 1
    kernels = {n["status"]["nodeInfo"]["kernelVersion"] for n in nodes.values()}
    assert any(kernel.startswith("4.18") for kernel in kernels)  # below eBPF's 4.19
    assert all(
        next(c for c in n["status"]["conditions"] if c["type"] == "Ready")["status"] == "True" for n in nodes.values()
    )

    pods = k.json("get", "pods", "-A")["items"]
    by_app = {p["metadata"]["labels"].get("app") or p["metadata"]["labels"].get("k8s-app") for p in pods}
    assert {"nginx", "busybox", "kube-dns", "terway-eniip"} <= by_app
    for pod in pods:
        assert pod["status"]["phase"] == "Running", pod["metadata"]["name"]
        assert pod["status"]["podIP"] and pod["spec"]["nodeName"] in nodes
    terway_nodes = {p["spec"]["nodeName"] for p in pods if p["metadata"]["labels"].get("app") == "terway-eniip"}
    assert terway_nodes and all(
        "type" not in nodes[n]["metadata"]["labels"]
        and "k8s.aliyun.com/exclusive-mode-eni-type" not in nodes[n]["metadata"]["labels"]
        for n in terway_nodes
    )
    # The Deployment made a ReplicaSet, which made the pod: the controllers are upstream's.
    nginx = next(p for p in pods if p["metadata"]["labels"].get("app") == "nginx")
    owner = nginx["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "ReplicaSet"
    rs = k.json("get", "replicaset", owner["name"])
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"

    ds = k.json("get", "daemonset", "terway-eniip", "-n", "kube-system")
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1].startswith("v")
    eni = k.json("get", "configmap", "eni-config", "-n", "kube-system")
    assert json.loads(eni["data"]["10-terway.conf"])["network_policy_provider"] == "ebpf"
    svc = k.json("get", "service", "nginx")
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["clusterIP"].startswith("192.168.")
    assert k.json("get", "service", "kube-dns", "-n", "kube-system")["spec"]["clusterIP"] == "192.168.0.10"
    assert {"default", "test-np", "kube-system"} <= {n["metadata"]["name"] for n in k.json("get", "ns")["items"]}

    wide = k("get", "pods", "-A", "-o", "wide").stdout
    assert "Running" in wide and "cn-hangzhou.10.0.1.11" in wide


def test_the_api_server_is_upstreams(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        version = http.get("/version").json()
        assert version["gitVersion"].startswith("v1.") and version["gitVersion"] != "v0.0.0-master"
        assert http.get("/readyz").text == "ok"
        # Unknown fields are dropped with a warning (fieldValidation=Warn, the default), never stored.
        name = f"typo-{uuid.uuid4().hex[:6]}"
        body = {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name},
            "spec": {"podSelector": {}, "ingres": [{}]},
        }  # fmt: skip
        made = http.post("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", json=body)
        assert made.status_code == 201
        assert made.headers["warning"] == '299 - "unknown field \\"spec.ingres\\""'
        assert "ingres" not in made.json()["spec"] and made.json()["spec"]["policyTypes"] == ["Ingress"]
        strict = http.post(
            "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
            params={"fieldValidation": "Strict"}, json={**body, "metadata": {"name": name + "-2"}},
        )  # fmt: skip
        assert strict.status_code == 400 and 'unknown field "spec.ingres"' in strict.json()["message"]
        http.delete(f"/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/{name}")
    # Without credentials: 401, as a Status.
    with httpx.Client(base_url=sandbox.url, verify=sandbox.ssl_context()) as anonymous:
        denied = anonymous.get("/api/v1/namespaces")
        assert denied.status_code in (401, 403) and denied.json()["kind"] == "Status"


def test_rbac_forbids_what_a_service_account_was_not_granted(sandbox: SandboxProcess, k: Kubectl) -> None:
    ns = f"rbac-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    try:
        k("create", "serviceaccount", "reader", "-n", ns)
        k("create", "role", "policy-reader", "-n", ns, "--verb=get,list,watch", "--resource=networkpolicies")
        k("create", "rolebinding", "reader", "-n", ns, "--role=policy-reader", f"--serviceaccount={ns}:reader")
        who = f"system:serviceaccount:{ns}:reader"
        assert k("auth", "can-i", "list", "networkpolicies", "-n", ns, "--as", who).stdout.strip() == "yes"
        no = k("auth", "can-i", "create", "networkpolicies", "-n", ns, "--as", who, check=False)
        assert no.returncode == 1 and no.stdout.strip() == "no"
        assert k("auth", "can-i", "create", "networkpolicies", "-A").stdout.strip() == "yes"

        # A real token from the TokenRequest API; the API server answers 403 with a Status.
        token = k("create", "token", "reader", "-n", ns).stdout.strip()
        with httpx.Client(
            base_url=sandbox.url, verify=sandbox.ssl_context(), headers={"Authorization": f"Bearer {token}"}
        ) as http:
            assert http.get(f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies").status_code == 200
            forbidden = http.get("/api/v1/namespaces")
            assert forbidden.status_code == 403
            status = forbidden.json()
            assert status["reason"] == "Forbidden" and who in status["message"]
    finally:
        k("delete", "namespace", ns, "--wait=false")


def test_a_deleted_namespace_is_terminating_then_gone(k: Kubectl) -> None:
    ns = f"gone-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    k("create", "deployment", "web", "-n", ns, "--image=nginx", "--replicas=2")
    k.running("-n", ns, count=2)
    k("delete", "namespace", ns, "--wait=false")
    phase = k.json("get", "namespace", ns)["status"]["phase"]
    assert phase == "Terminating"
    made = k("create", "configmap", "late", "-n", ns, "--from-literal=a=b", check=False)
    assert made.returncode != 0 and "being terminated" in made.stderr
    deadline = time.monotonic() + 90
    while k("get", "namespace", ns, check=False).returncode == 0:
        assert time.monotonic() < deadline, "the namespace controller did not finish"
        time.sleep(0.5)


def test_the_reference_pages_command_line_story(k: Kubectl, tmp_path: Path) -> None:
    ns = f"story-{uuid.uuid4().hex[:6]}"
    k("create", "namespace", ns)
    try:
        assert k("run", "nginx", "-n", ns, "--image=nginx").stdout.strip() == "pod/nginx created"
        (pod,) = k.running("-n", ns, "-l", "run=nginx", count=1)
        # The API server copies the node's topology labels onto the pod when it binds it.
        node = k.json("get", "node", pod["spec"]["nodeName"])["metadata"]["labels"]
        zone = "topology.kubernetes.io/zone"
        region = "topology.kubernetes.io/region"
        assert pod["metadata"]["labels"] == {"run": "nginx", zone: node[zone], region: node[region]}
        assert k("expose", "pod", "nginx", "-n", ns, "--port=80").stdout.strip() == "service/nginx exposed"
        svc = k.json("get", "service", "nginx", "-n", ns)
        # kubectl expose selects on every label of the pod, the copied topology labels too.
        assert svc["spec"]["selector"]["run"] == "nginx" and svc["spec"]["clusterIP"].startswith("192.168.")
        k("run", "busybox", "-n", ns, "--labels=access=true", "--image=busybox", "--", "sleep", "3600")
        k.running("-n", ns, "-l", "access=true", count=1)

        policy = tmp_path / "policy.yaml"
        policy.write_text(
            "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: access-nginx\n"
            "spec:\n  podSelector:\n    matchLabels:\n      run: nginx\n  ingress:\n  - from:\n"
            "    - podSelector:\n        matchLabels:\n          access: \"true\"\n"
        )
        applied = k("apply", "-n", ns, "-f", str(policy)).stdout.strip()
        assert applied == "networkpolicy.networking.k8s.io/access-nginx created"
        again = k("apply", "-n", ns, "-f", str(policy)).stdout.strip()
        assert again == "networkpolicy.networking.k8s.io/access-nginx unchanged"
        assert [r[:2] for r in k.rows("get", "networkpolicy", "-n", ns)] == [["access-nginx", "run=nginx"]]

        k("create", "deployment", "web", "-n", ns, "--image=nginx", "--replicas=2", "--port=80")
        k.running("-n", ns, "-l", "app=web", count=2)
        k("scale", "deployment", "web", "-n", ns, "--replicas=3")
        k.running("-n", ns, "-l", "app=web", count=3)
        k("scale", "deployment", "web", "-n", ns, "--replicas=0")
        k.running("-n", ns, "-l", "app=web", count=0)
        k("delete", "deployment", "web", "-n", ns)
        assert k("get", "replicasets", "-n", ns, "-l", "app=web", "-o", "name").stdout.strip() == ""
    finally:
        k("delete", "namespace", ns, "--wait=false")


def test_state_and_trust_survive_a_restart(fresh_sandbox: SandboxProcess, tmp_path: Path) -> None:
    k = Kubectl(fresh_sandbox, tmp_path / "kube-cache")
    k("create", "namespace", "kept")
    k("create", "configmap", "note", "-n", "kept", "--from-literal=a=b")
    ca = (fresh_sandbox.pki / "ca.crt").read_bytes()
    fresh_sandbox.restart()
    assert (fresh_sandbox.pki / "ca.crt").read_bytes() == ca
    assert k.json("get", "configmap", "note", "-n", "kept")["data"] == {"a": "b"}
    k.running("-n", "default", "-l", "app=nginx", count=1)  # the demo is not applied twice
    assert len(k.json("get", "deployments", "-n", "default")["items"]) == 3  # nginx, busybox, eni-client


def test_sandbox_command_contract(tmp_path: Path) -> None:
    """``netpol-console sandbox --port 0`` picks a port, writes the kubeconfig (context, cluster and
    user ``sandbox``) and ends every component on SIGTERM."""
    data = tmp_path / "sb"
    log = tmp_path / "sb.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "sandbox", "--port", "0", "--data-dir", str(data), "--no-seed"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=die_with_parent,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while b"sandbox serving at" not in log.read_bytes():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        config = (data / "kubeconfig").read_text()
        for name in ("name: sandbox", "current-context: sandbox", "cluster: sandbox", "user: sandbox"):
            assert name in config
        port = int(log.read_text().split("sandbox serving at https://127.0.0.1:")[1].split(";")[0])
        assert port != free_port() and f"127.0.0.1:{port}" in config
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 1  # localcluster up, which runs the components
        components = subprocess.run(["pgrep", "-P", children[0]], capture_output=True, text=True).stdout.split()
        assert len(components) == 5  # etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok
    finally:
        proc.terminate()
        assert proc.wait(60) == 0
    for pid in children + components:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
