"""The sandbox's /openapi/v3 documents, read over HTTPS and by the real kubectl with validation on
(no --validate=false): create -f, apply -f (created, unchanged, configured), Invalid Statuses."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SandboxProcess
from tests.sandbox.test_kubectl import kubectl as run_kubectl

GROUP_VERSIONS = {"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/networking.k8s.io/v1"}
# What kubectl logs at -v=5 when it cannot use the served OpenAPI and falls back.
FALLBACK_SIGNS = ("falling back", "error calculating patch", "OpenAPI V3 path", "failed to download openapi")


class Kubectl:
    """The real kubectl with its own cache dir, so no discovery or OpenAPI cache leaks between tests."""

    def __init__(self, sb: SandboxProcess, cache_dir: Path) -> None:
        self.sb, self.cache_dir = sb, cache_dir

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_kubectl(self.sb, "--cache-dir", str(self.cache_dir), *args, stdin=stdin, check=check)


@pytest.fixture
def kubectl(sandbox: SandboxProcess, tmp_path: Path) -> Kubectl:
    return Kubectl(sandbox, tmp_path / "kube-cache")


@pytest.fixture
def ns(kubectl: Kubectl) -> Iterator[str]:
    """A namespace of the test's own, made by ``kubectl apply`` with validation on."""
    name = f"oa-{uuid.uuid4().hex[:8]}"
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    assert f"namespace/{name} created" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    yield name
    kubectl("delete", "namespace", name)


def policy(ns: str, name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, **spec},
    }


def test_the_discovery_document_names_each_group_version_by_a_hashed_url(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        root = http.get("/openapi/v3")
        assert root.status_code == 200 and root.headers["content-type"] == "application/json"
        paths = root.json()["paths"]
        assert set(paths) == GROUP_VERSIONS
        url = paths["apis/networking.k8s.io/v1"]["serverRelativeURL"]
        assert url.startswith("/openapi/v3/apis/networking.k8s.io/v1?hash=")

        doc = http.get(url)
        assert doc.status_code == 200 and "immutable" in doc.headers["cache-control"]
        spec = doc.json()
        assert spec["openapi"].startswith("3.")
        schema = spec["components"]["schemas"]["io.k8s.api.networking.v1.NetworkPolicy"]
        assert schema["x-kubernetes-group-version-kind"] == [
            {"group": "networking.k8s.io", "kind": "NetworkPolicy", "version": "v1"}
        ]
        item = spec["paths"]["/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}"]
        assert "fieldValidation" in {p["name"] for p in item["patch"]["parameters"]}
        assert "application/strategic-merge-patch+json" in item["patch"]["requestBody"]["content"]

        # Without the hash, or with a stale one, the document is served but must be revalidated.
        stale = http.get("/openapi/v3/apis/networking.k8s.io/v1", params={"hash": "0"})
        assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache, private"
        assert stale.content == doc.content
        again = http.get(url, headers={"If-None-Match": doc.headers["etag"]})
        assert again.status_code == 304

        missing = http.get("/openapi/v3/apis/policy/v1")
        assert missing.status_code == 404 and missing.json()["reason"] == "NotFound"
        assert http.get("/openapi/v2").status_code == 404  # kubectl reads v3 first; v2 would be protobuf

    with sandbox.http() as anonymous:
        del anonymous.headers["Authorization"]
        assert anonymous.get("/openapi/v3").status_code == 401


def test_every_reference_in_every_document_resolves(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        for gv, entry in http.get("/openapi/v3").json()["paths"].items():
            spec = http.get(entry["serverRelativeURL"]).json()
            schemas = spec["components"]["schemas"]
            refs = {r.rsplit("/", 1)[1] for r in _refs(spec)}
            assert refs and refs <= set(schemas), f"{gv}: unresolved {refs - set(schemas)}"
            kinds = {g["kind"] for s in schemas.values() for g in s.get("x-kubernetes-group-version-kind", [])}
            patched = {
                op["x-kubernetes-group-version-kind"]["kind"]
                for item in spec["paths"].values()
                if isinstance(item, dict) and (op := item.get("patch"))
            }
            assert patched and patched <= kinds


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_kubectl_apply_creates_then_configures_a_policy_with_validation_on(kubectl: Kubectl, ns: str) -> None:
    first = policy(
        ns,
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "busybox"}}}]}],
        egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 53, "protocol": "UDP"}]}],
    )
    created = kubectl("apply", "-f", "-", "-v=6", stdin=yaml.safe_dump(first))
    assert "networkpolicy.networking.k8s.io/web created" in created.stdout
    # Validation was left to the server, as kubectl does when the OpenAPI says it may.
    assert "fieldValidation=Strict" in created.stderr
    assert "/openapi/v3/apis/networking.k8s.io/v1?hash=" in created.stderr

    same = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(first))
    assert "networkpolicy.networking.k8s.io/web unchanged" in same.stdout

    # The manifest drops egress and changes the ingress peer: apply's three-way strategic merge
    # patch, computed from the served schema, must remove egress and replace the atomic list.
    second = policy(ns, ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}])
    changed = kubectl("apply", "-f", "-", "-v=5", stdin=yaml.safe_dump(second))
    assert "networkpolicy.networking.k8s.io/web configured" in changed.stdout
    assert not [s for s in FALLBACK_SIGNS if s in changed.stderr], changed.stderr
    got = json.loads(kubectl("get", "netpol", "web", "-n", ns, "-o", "json").stdout)
    assert got["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]
    assert "egress" not in got["spec"]
    assert got["metadata"]["generation"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" in got["metadata"]["annotations"]


def test_kubectl_apply_updates_namespace_labels(kubectl: Kubectl, ns: str) -> None:
    labelled = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": "blue"}}}
    out = kubectl("apply", "-f", "-", "-v=5", stdin=json.dumps(labelled))
    assert f"namespace/{ns} configured" in out.stdout
    assert not [s for s in FALLBACK_SIGNS if s in out.stderr], out.stderr
    labelled["metadata"]["labels"] = {"team": "green"}
    kubectl("apply", "-f", "-", stdin=json.dumps(labelled))
    got = json.loads(kubectl("get", "namespace", ns, "-o", "json").stdout)
    assert got["metadata"]["labels"] == {"team": "green", "kubernetes.io/metadata.name": ns}


def test_kubectl_create_f_with_validation_on(kubectl: Kubectl, ns: str) -> None:
    out = kubectl("create", "-f", "-", stdin=yaml.safe_dump(policy(ns, "deny-all", policyTypes=["Ingress"])))
    assert "networkpolicy.networking.k8s.io/deny-all created" in out.stdout
    again = kubectl("create", "-f", "-", stdin=yaml.safe_dump(policy(ns, "deny-all")), check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
            },
        },
    }
    assert "deployment.apps/web created" in kubectl("create", "-f", "-", stdin=json.dumps(deployment)).stdout
    deployment["spec"]["replicas"] = 2
    assert "deployment.apps/web configured" in kubectl("apply", "-f", "-", stdin=json.dumps(deployment)).stdout


@pytest.mark.parametrize("verb", ["create", "apply"])
def test_an_invalid_value_shows_the_servers_invalid_status_with_its_field_path(
    kubectl: Kubectl, ns: str, verb: str
) -> None:
    bad = policy(ns, "bad", ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}])
    proc = kubectl(verb, "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert proc.returncode == 1
    assert 'The NetworkPolicy "bad" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33"' in (
        proc.stderr
    )
    assert "validate=false" not in proc.stderr


def test_apply_of_an_invalid_change_to_an_existing_policy_is_refused(kubectl: Kubectl, ns: str) -> None:
    good = policy(ns, egress=[{"ports": [{"port": 80}]}])
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(good))
    bad = policy(ns, egress=[{"ports": [{"port": 80, "endPort": 70}]}])
    proc = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert proc.returncode == 1
    assert 'The NetworkPolicy "web" is invalid' in proc.stderr
    assert "spec.egress[0].ports[0].endPort" in proc.stderr
    got = json.loads(kubectl("get", "netpol", "web", "-n", ns, "-o", "json").stdout)
    assert got["spec"]["egress"] == [{"ports": [{"port": 80, "protocol": "TCP"}]}]
