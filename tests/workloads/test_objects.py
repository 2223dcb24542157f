"""The builders of namespaces, "Create from image" Deployments and Services and label patches:
their objects as dict literals, accepted by the real API server (dry run), and the API server's
error paths mapped back to the form's fields."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from app.workloads.objects import (
    ContainerPort,
    ImageApp,
    ServicePort,
    ServiceSpec,
    deployment_object,
    form_field,
    labels_patch,
    namespace_object,
    replicas_patch,
    service_object,
    template_labels_patch,
)
from tests.sandbox.kubectl import Kubectl

NGINX = ImageApp(
    namespace="default",
    name="nginx",
    image="nginx:1.27",
    replicas=2,
    ports=(ContainerPort(80),),
    service=ServiceSpec("nginx", "ClusterIP", (ServicePort(80, 80),)),
)


def test_create_from_image_as_the_stateless_page_makes_it() -> None:
    assert deployment_object(NGINX) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                         "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
            },
        },
    }  # fmt: skip
    assert service_object(NGINX) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {"type": "ClusterIP", "selector": {"app": "nginx"},
                 "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}]},
    }  # fmt: skip


def test_given_labels_replace_the_default_and_several_ports_are_named() -> None:
    app = ImageApp("shop", "web", "nginx", labels={"run": "nginx"}, service=ServiceSpec(
        "web-slb", "LoadBalancer", (ServicePort(80, 8080), ServicePort(53, 53, "UDP", node_port=30053))))  # fmt: skip
    assert deployment_object(app)["spec"]["selector"] == {"matchLabels": {"run": "nginx"}}
    assert "ports" not in deployment_object(app)["spec"]["template"]["spec"]["containers"][0]
    assert service_object(app)["spec"]["ports"] == [  # type: ignore[index]
        {"name": "tcp-80", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "udp-53", "port": 53, "targetPort": 53, "protocol": "UDP", "nodePort": 30053},
    ]
    assert service_object(ImageApp("shop", "web", "nginx")) is None


def test_patches() -> None:
    assert namespace_object("test-np") == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-np"}}
    assert namespace_object("a", {"env": "prod"})["metadata"]["labels"] == {"env": "prod"}
    assert labels_patch({"app": "busybox", "old": "x"}, {"app": "busybox", "access": "true"}) == {
        "metadata": {"labels": {"access": "true", "old": None}}
    }
    assert labels_patch(None, {}) == {"metadata": {"labels": {}}}
    assert template_labels_patch({"a": "1"}, {"a": "2"}) == {"spec": {"template": {"metadata": {"labels": {"a": "2"}}}}}
    assert replicas_patch(3) == {"spec": {"replicas": 3}}


@pytest.mark.parametrize(
    ("kind", "path", "field"),
    [
        ("Deployment", "metadata.name", "name"),
        ("Deployment", "spec.template.spec.containers[0].image", "image"),
        ("Deployment", "spec.template.spec.containers[0].ports[1].containerPort", "ports[1]"),
        ("Deployment", "spec.template.metadata.labels", "labels"),
        ("Deployment", "spec.replicas", "replicas"),
        ("Deployment", "spec.replicasX", None),
        ("Service", "spec.ports[2].nodePort", "service.ports[2].node_port"),
        ("Service", "spec.ports[0].targetPort", "service.ports[0].target_port"),
        ("Service", "spec.ports[0].port", "service.ports[0].port"),
        ("Service", "metadata.name", "service.name"),
        ("Namespace", "metadata.labels", "labels"),
        ("Pod", "metadata.name", None),
    ],
)
def test_error_paths_map_to_form_fields(kind: str, path: str, field: str | None) -> None:
    assert form_field(kind, path) == field


def dry_run(k: Kubectl, obj: dict[str, object]) -> tuple[int, str]:
    proc = k("create", "--dry-run=server", "-f", "-", "-o", "name", stdin=json.dumps(obj), check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_api_server_accepts_what_the_builders_make(k: Kubectl) -> None:
    ns = f"build-{uuid.uuid4().hex[:6]}"
    assert dry_run(k, namespace_object(ns, {"ns": "test"}))[0] == 0
    k("create", "namespace", ns)
    try:
        ports = (ServicePort(80, 80), ServicePort(53, 53, "UDP"))
        app = ImageApp(ns, "nginx", "nginx:1.27", 2, (ContainerPort(80), ContainerPort(53, "UDP")),
                       service=ServiceSpec("nginx", "NodePort", ports))  # fmt: skip
        for obj in (deployment_object(app), service_object(app)):
            code, out = dry_run(k, obj)  # type: ignore[arg-type]
            assert code == 0, out
    finally:
        k("delete", "namespace", ns, "--wait=false")


def test_the_api_servers_error_paths_land_on_the_form(k: Kubectl) -> None:
    """Bad input reaches the API server as the form gave it; each error path it names maps to the
    form field the person typed it in."""
    bad = ImageApp("default", "Bad_Name", "", -1, (ContainerPort(70000),),
                   service=ServiceSpec("s", "ClusterIP", (ServicePort(80, 70000),)))  # fmt: skip
    code, out = dry_run(k, deployment_object(bad))
    assert code != 0
    paths = set(re.findall(r"(spec\.[\w.\[\]]+|metadata\.[\w.]+):", out))
    assert paths, out
    fields = {form_field("Deployment", p) for p in paths}
    assert {"name", "image", "replicas", "ports[0]"} <= fields, (paths, out)
    code, out = dry_run(k, service_object(bad))  # type: ignore[arg-type]
    assert code != 0
    paths = set(re.findall(r"(spec\.[\w.\[\]]+):", out))
    assert "service.ports[0].target_port" in {form_field("Service", p) for p in paths}, out
