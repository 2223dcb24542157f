"""kubectl's typed commands against the sandbox: the protobuf bodies they send, and the reference
page's command-line story (run, expose, create ns, apply a policy, create/scale/delete a deployment).

``kubectl create namespace|deployment|configmap|service`` POST ``application/vnd.kubernetes.protobuf``
(seen with ``-v=8``); ``run``, ``expose``, ``label`` send JSON; ``scale`` PATCHes the ``scale``
subresource. The hex bodies below were captured from kubectl v1.37 with ``-v=10``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app.sandbox.protobuf import CONTENT_TYPE, MAGIC, ProtobufError, UnknownKind, decode
from tests.conftest import SandboxProcess
from tests.sandbox.test_kubectl import kubectl as run_kubectl

# kubectl create ns test-np
NAMESPACE = (
    "6b3873000a0f0a02763112094e616d657370616365121f0a170a07746573742d6e7012001a0022002a00320038004200"
    "12001a020a001a002200"
)
# kubectl create configmap cfg --from-literal=a=b --from-literal=c=d
CONFIGMAP = (
    "6b3873000a0f0a0276311209436f6e6669674d617012250a130a0363666712001a0022002a0032003800420012060a01"
    "6112016212060a01631201641a002200"
)
# kubectl create service nodeport web2 --tcp=80:http
SERVICE = (
    "6b3873000a0d0a027631120753657276696365126e0a210a047765623212001a0022002a003200380042005a0b0a0361"
    "707012047765623212450a1e0a0738302d6874747012035443501850220a080110001a04687474702800120b0a036170"
    "701204776562321a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200"
)
# kubectl create deployment web --image=nginx --replicas=2 --port=80
DEPLOYMENT = (
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0377656212001a0022002a00320038"
    "0042005a0a0a0361707012037765621286010802120c0a0a0a0361707012037765621a6c0a1c0a0012001a0022002a00"
    "3200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e67696e782a00320a0a00100018502200"
    "2a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c20100"
    "22020a00280038001a0c0800100018002000280038001a002200"
)

# The reference page's policy.yaml (scenario 1).
POLICY_YAML = """\
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      run: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          access: "true"
"""
# The page's default-deny.yaml (scenario 4), in the namespace made by `kubectl create ns test-np`.
DENY_PUBLIC_NET_YAML = """\
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  namespace: test-np
  name: deny-public-net
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 0.0.0.0/0
  egress:
  - to:
    - ipBlock:
        cidr: 192.168.0.0/16
    - ipBlock:
        cidr: 172.16.0.0/12
    - ipBlock:
        cidr: 10.0.0.0/8
"""


# -- the decoder on kubectl's own bytes ------------------------------------------------------------
def test_decodes_the_namespace_kubectl_create_ns_sends() -> None:
    assert decode(bytes.fromhex(NAMESPACE)) == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "test-np"},
        "spec": {},
        "status": {},
    }


def test_decodes_a_configmap_with_its_data_map() -> None:
    assert decode(bytes.fromhex(CONFIGMAP)) == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cfg"},
        "data": {"a": "b", "c": "d"},
    }


def test_decodes_a_service_with_a_named_target_port() -> None:
    assert decode(bytes.fromhex(SERVICE)) == {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "web2", "labels": {"app": "web2"}},
        "spec": {
            "ports": [{"name": "80-http", "protocol": "TCP", "port": 80, "targetPort": "http"}],
            "selector": {"app": "web2"},
            "type": "NodePort",
        },
        "status": {"loadBalancer": {}},
    }


def test_decodes_a_deployment_as_kubectl_would_send_it_in_json() -> None:
    # The same as `kubectl create deployment ... --dry-run=client -o json`.
    assert decode(bytes.fromhex(DEPLOYMENT)) == {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}], "resources": {}}
                    ]
                },
            },
            "strategy": {},
        },
        "status": {},
    }


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _bytes(1, api_version.encode()) + _bytes(2, kind.encode())
    return MAGIC + _bytes(1, type_meta) + _bytes(2, raw)


def test_pointer_fields_keep_zero_while_plain_zero_fields_are_dropped() -> None:
    spec = _key(1, 0) + _varint(0) + _key(5, 0) + _varint(0)  # replicas (a pointer), minReadySeconds
    obj = decode(_envelope("apps/v1", "Deployment", _bytes(2, spec)))
    assert obj["spec"] == {"replicas": 0}


def test_negative_ints_times_and_int_or_string_numbers() -> None:
    port = _bytes(4, _key(1, 0) + _varint(0) + _key(2, 0) + _varint(8080))  # targetPort 8080
    spec = _bytes(1, _key(3, 0) + _varint(80) + port)
    meta = _bytes(1, b"x") + _bytes(8, _key(1, 0) + _varint(1_700_000_000)) + _key(10, 0) + _varint(-1)
    obj = decode(_envelope("v1", "Service", _bytes(1, meta) + _bytes(2, spec)))
    assert obj["metadata"] == {
        "name": "x",
        "creationTimestamp": "2023-11-14T22:13:20Z",
        "deletionGracePeriodSeconds": -1,
    }
    assert obj["spec"]["ports"] == [{"port": 80, "targetPort": 8080}]


def test_unknown_fields_are_skipped() -> None:
    meta = _bytes(1, b"cfg") + _bytes(99, b"future") + _key(98, 0) + _varint(7)
    assert decode(_envelope("v1", "ConfigMap", _bytes(1, meta)))["metadata"] == {"name": "cfg"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"kind":"Namespace"}', ProtobufError),
        (bytes.fromhex(NAMESPACE)[:-3], ProtobufError),
        (_envelope("v1", "Secret", b""), UnknownKind),
        (_envelope("batch/v1", "Job", b""), UnknownKind),
    ],
)
def test_refuses_what_it_cannot_read(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(body)


# -- over HTTP -------------------------------------------------------------------------------------
def test_the_sandbox_answers_protobuf_posts_in_json(sandbox: SandboxProcess) -> None:
    name = "pb-raw"
    raw = _bytes(1, _bytes(1, name.encode()))
    with sandbox.http() as http:
        created = http.post(
            "/api/v1/namespaces",
            content=_envelope("v1", "Namespace", raw),
            headers={"Content-Type": CONTENT_TYPE, "Accept": f"{CONTENT_TYPE},application/json"},
        )
        assert created.status_code == 201 and created.headers["content-type"] == "application/json"
        assert created.json()["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}

        garbled = http.post("/api/v1/namespaces", content=MAGIC + b"\x0a\xff", headers={"Content-Type": CONTENT_TYPE})
        assert garbled.status_code == 400 and garbled.json()["reason"] == "BadRequest"
        unknown = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=_envelope("v1", "Secret", b""),
            headers={"Content-Type": CONTENT_TYPE},
        )
        assert unknown.status_code == 415 and "Kind=Secret" in unknown.json()["message"]
        assert http.delete(f"/api/v1/namespaces/{name}").status_code == 200


# -- the reference page's command line, with the real kubectl ---------------------------------------
class Kubectl:
    def __init__(self, sb: SandboxProcess, cache_dir: Path) -> None:
        self.sb, self.cache_dir = sb, cache_dir

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_kubectl(self.sb, "--cache-dir", str(self.cache_dir), *args, stdin=stdin, check=check)

    def rows(self, *args: str) -> list[list[str]]:
        return [line.split() for line in self(*args).stdout.splitlines()[1:]]

    def pod_names(self, *args: str) -> list[str]:
        return self("get", "pods", "-o", "name", *args).stdout.split()


def test_the_reference_pages_command_line_story(fresh_sandbox: SandboxProcess, tmp_path: Path) -> None:
    k = Kubectl(fresh_sandbox, tmp_path / "kube-cache")
    # The demo seed already tells this story with a Deployment, a Service named nginx and test-np;
    # take them away so the page's commands meet the cluster they expect.
    k("delete", "deployment", "nginx")
    k("delete", "service", "nginx")
    k("delete", "namespace", "test-np")

    assert k("run", "nginx", "--image=nginx").stdout.strip() == "pod/nginx created"
    pod = json.loads(k("get", "pod", "nginx", "-o", "json").stdout)
    assert pod["status"]["phase"] == "Running" and pod["status"]["podIP"]
    assert pod["metadata"]["labels"] == {"run": "nginx"}
    row = next(r for r in k.rows("get", "pod") if r[0] == "nginx")
    assert row[1:3] == ["1/1", "Running"]

    assert k("expose", "pod", "nginx", "--port=80").stdout.strip() == "service/nginx exposed"
    services = {r[0]: r for r in k.rows("get", "service")}
    assert services["kubernetes"][1] == "ClusterIP"
    assert services["nginx"][1] == "ClusterIP" and services["nginx"][4] == "80/TCP"
    assert services["nginx"][2].startswith("192.168.")
    svc = json.loads(k("get", "service", "nginx", "-o", "json").stdout)
    assert svc["spec"]["selector"] == {"run": "nginx"}

    out = k("run", "busybox", "--labels=access=true", "--image=busybox", "--", "sleep", "3600").stdout
    assert out.strip() == "pod/busybox created"
    assert k.pod_names("-l", "access=true") == ["pod/busybox"]

    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_YAML)
    assert k("apply", "-f", str(policy)).stdout.strip() == "networkpolicy.networking.k8s.io/access-nginx created"
    assert k("apply", "-f", str(policy)).stdout.strip() == "networkpolicy.networking.k8s.io/access-nginx unchanged"
    rows = k.rows("get", "networkpolicy")
    assert [r[:2] for r in rows] == [["access-nginx", "run=nginx"]]

    # Scenario 4: a namespace of its own (a protobuf body), a default policy, a labelled pod.
    assert k("create", "ns", "test-np").stdout.strip() == "namespace/test-np created"
    deny = tmp_path / "default-deny.yaml"
    deny.write_text(DENY_PUBLIC_NET_YAML)
    k("apply", "-f", str(deny))
    assert [r[:2] for r in k.rows("get", "networkpolicy", "-n", "test-np")] == [["deny-public-net", "<none>"]]
    k("run", "busybox-internet", "-n", "test-np", "--labels=public-network=true", "--image=busybox")
    assert k.pod_names("-n", "test-np", "-l", "public-network=true") == ["pod/busybox-internet"]

    # Typed generators beyond the page: create deployment / configmap / service, scale, delete.
    assert k(
        "create", "deployment", "web", "-n", "test-np", "--image=nginx", "--replicas=2", "--port=80"
    ).stdout.strip() == ("deployment.apps/web created")
    assert len(k.pod_names("-n", "test-np", "-l", "app=web")) == 2
    assert (
        k("scale", "deployment", "web", "-n", "test-np", "--replicas=3").stdout.strip() == "deployment.apps/web scaled"
    )
    assert len(k.pod_names("-n", "test-np", "-l", "app=web")) == 3
    # With a precondition kubectl reads the Scale (found through discovery) and PUTs it back.
    k("scale", "deployment", "web", "-n", "test-np", "--current-replicas=3", "--replicas=2")
    assert len(k.pod_names("-n", "test-np", "-l", "app=web")) == 2
    stale = k("scale", "deployment", "web", "-n", "test-np", "--current-replicas=5", "--replicas=1", check=False)
    assert stale.returncode != 0 and "Expected replicas to be 5, was 2" in stale.stderr
    negative = k(
        "patch",
        "deployment",
        "web",
        "-n",
        "test-np",
        "--subresource=scale",
        "--type=merge",
        "-p",
        '{"spec":{"replicas":-1}}',
        check=False,
    )
    assert negative.returncode != 0 and 'The Scale "web" is invalid: spec.replicas' in negative.stderr
    k("scale", "deployment", "web", "-n", "test-np", "--replicas=0")
    assert k.pod_names("-n", "test-np", "-l", "app=web") == []
    k("scale", "deployment", "web", "-n", "test-np", "--replicas=1")
    deploy = json.loads(k("get", "deployment", "web", "-n", "test-np", "-o", "json").stdout)
    assert deploy["spec"]["replicas"] == 1
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 80

    k("create", "deployment", "idle", "-n", "test-np", "--image=nginx", "--replicas=0")
    idle = json.loads(k("get", "deployment", "idle", "-n", "test-np", "-o", "json").stdout)
    assert idle["spec"]["replicas"] == 0

    k("create", "configmap", "cfg", "-n", "test-np", "--from-literal=a=b")
    cm = json.loads(k("get", "configmap", "cfg", "-n", "test-np", "-o", "json").stdout)
    assert cm["data"] == {"a": "b"}
    k("create", "service", "clusterip", "web", "-n", "test-np", "--tcp=80:8080")
    web = json.loads(k("get", "service", "web", "-n", "test-np", "-o", "json").stdout)
    assert web["spec"]["clusterIP"].startswith("192.168.") and web["spec"]["ports"][0]["targetPort"] == 8080

    k("label", "pod", "nginx", "team=blue")
    assert k.pod_names("-l", "team=blue") == ["pod/nginx"]

    assert 'deployment.apps "web" deleted' in k("delete", "deployment", "web", "-n", "test-np").stdout
    assert k.pod_names("-n", "test-np", "-l", "app=web") == []
    k("delete", "ns", "test-np")
    gone = k("get", "ns", "test-np", check=False)
    assert gone.returncode != 0 and "not found" in gone.stderr
