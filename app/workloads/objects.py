"""Pure builders of the objects the console writes for namespaces and workloads: a Namespace with
labels; "Create from image" as ACK's Stateless page does it (a Deployment, optionally a Service);
the merge patches of label edits and scaling. Dicts as the API server takes them, no I/O.

The API server validates what these build (a dry run first); ``form_field`` maps the field paths
of its answer back to the fields of the form that produced them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Namespaces the console never deletes: Kubernetes' own and the one every cluster starts with.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class ContainerPort:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: int
    protocol: str = "TCP"
    node_port: int | None = None


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    type: str = "ClusterIP"
    ports: tuple[ServicePort, ...] = ()


@dataclass(frozen=True)
class ImageApp:
    """What "Create from image" asks: the Deployment's name, replicas, image, container ports and
    pod labels (``app=<name>`` when none are given), and optionally a Service in front of it."""

    namespace: str
    name: str
    image: str
    replicas: int = 1
    ports: tuple[ContainerPort, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    service: ServiceSpec | None = None

    @property
    def pod_labels(self) -> dict[str, str]:
        return dict(self.labels) if self.labels else {"app": self.name}


def namespace_object(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def deployment_object(app: ImageApp) -> dict[str, Any]:
    labels = app.pod_labels
    container: dict[str, Any] = {"name": app.name, "image": app.image}
    if app.ports:
        container["ports"] = [{"containerPort": p.port, "protocol": p.protocol} for p in app.ports]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels},
        "spec": {
            "replicas": app.replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def service_object(app: ImageApp) -> dict[str, Any] | None:
    """The Service in front of the app's pods (selector: their labels), or None. With several
    ports each gets a name, as the API server requires (``tcp-80``)."""
    if app.service is None:
        return None
    ports = []
    for p in app.service.ports:
        port: dict[str, Any] = {"port": p.port, "targetPort": p.target_port, "protocol": p.protocol}
        if len(app.service.ports) > 1:
            port["name"] = f"{p.protocol.lower()}-{p.port}"
        if p.node_port is not None:
            port["nodePort"] = p.node_port
        ports.append(port)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app.service.name, "namespace": app.namespace, "labels": app.pod_labels},
        "spec": {"type": app.service.type, "selector": app.pod_labels, "ports": ports},
    }


def labels_patch(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, Any]:
    """A JSON merge patch of ``metadata.labels`` from ``before`` to ``after`` (null removes)."""
    old = dict(before or {})
    changes: dict[str, str | None] = {k: v for k, v in after.items() if old.get(k) != v}
    changes.update({k: None for k in old if k not in after})
    return {"metadata": {"labels": changes}}


def template_labels_patch(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, Any]:
    """The same for a workload's pod template (what policies select): its pods are replaced."""
    return {"spec": {"template": labels_patch(before, after)}}


def replicas_patch(replicas: int) -> dict[str, Any]:
    return {"spec": {"replicas": replicas}}


# The object's field paths, as the API server names them, and the form fields they came from
# ("{i}" an index carried over).
_DEPLOYMENT_FIELDS = (
    ("metadata.name", "name"),
    ("metadata.namespace", "namespace"),
    ("spec.replicas", "replicas"),
    ("spec.template.spec.containers[0].image", "image"),
    ("spec.template.spec.containers[0].ports[{i}]", "ports[{i}]"),
    ("spec.template.spec.containers[0].name", "name"),
    ("spec.template.metadata.labels", "labels"),
    ("spec.selector", "labels"),
    ("metadata.labels", "labels"),
)
_SERVICE_FIELDS = (
    ("metadata.name", "service.name"),
    ("spec.type", "service.type"),
    ("spec.ports[{i}].nodePort", "service.ports[{i}].node_port"),
    ("spec.ports[{i}].targetPort", "service.ports[{i}].target_port"),
    ("spec.ports[{i}]", "service.ports[{i}].port"),
    ("spec.ports", "service.ports"),
    ("spec.selector", "labels"),
    ("metadata.labels", "labels"),
)
_NAMESPACE_FIELDS = (("metadata.name", "name"), ("metadata.labels", "labels"))
_FIELDS = {"Deployment": _DEPLOYMENT_FIELDS, "Service": _SERVICE_FIELDS, "Namespace": _NAMESPACE_FIELDS}


def _prefix(known: str) -> re.Pattern[str]:
    return re.compile(re.escape(known).replace(r"\{i\}", r"(\d+)") + r"(?=$|[.\[])")


_PATTERNS = {kind: [(_prefix(k), target) for k, target in fields] for kind, fields in _FIELDS.items()}


def form_field(kind: str, path: str) -> str | None:
    """The form field an API-server error at ``path`` of a ``kind`` object belongs to, or None
    (then it is shown above the form). The first known prefix in the table's order wins."""
    for pattern, target in _PATTERNS.get(kind, ()):
        match = pattern.match(path)
        if match:
            return target.replace("{i}", match.group(1)) if match.groups() else target
    return None
