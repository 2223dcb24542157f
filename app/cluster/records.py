"""What the cache hands out: typed, frozen records of the objects it watches, built once when a
list or watch event brings the object in, so no caller above ``cluster/`` indexes raw JSON.

``NamespaceRecord`` and ``PodRecord`` extend the pure ``Namespace`` and ``Pod`` of
``app.policies.documents``, so the reachability engine takes them as they are. ``WorkloadRecord``
carries what the pages ask of a Deployment, StatefulSet, DaemonSet, Job or CronJob (its selector,
its pods' labels); ``NodeRecord`` a Node's labels and kernel; ``ObjectRecord`` serves every other
kind (Services, the Terway ConfigMap, NetworkPolicies, which the cache also keeps parsed as
``NetworkPolicy``). Each record
keeps ``object``, the API server's JSON, for the REST routes that hand it out as is: it is shared
with the cache and must not be mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from app.policies.documents import Namespace, Pod
from app.policies.lifecycle import Deletion, deletion
from app.policies.model import LabelSelector
from app.policies.workloads import WORKLOAD_KINDS, template_labels


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _common(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata every record carries."""
    meta = _meta(obj)
    return {
        "uid": str(meta.get("uid") or ""),
        "resource_version": str(meta.get("resourceVersion") or ""),
        "created": str(meta.get("creationTimestamp") or ""),
        "object": obj,
    }


@dataclass(frozen=True, kw_only=True)
class ObjectRecord:
    """Any cached object: its kind ("Service"), namespace ("" for a cluster-scoped one), name,
    labels and metadata."""

    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    uid: str = ""
    resource_version: str = ""
    created: str = ""  # RFC 3339, as the API server gives it
    object: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class NamespaceRecord(Namespace):
    """A Namespace: name and labels (as the engine sees them), its phase and its deletion."""

    kind: ClassVar[str] = "Namespace"
    namespace: ClassVar[str] = ""
    uid: str = ""
    resource_version: str = ""
    created: str = ""
    phase: str = ""  # "Active", "Terminating"
    deletion: Deletion | None = None
    object: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class PodRecord(Pod):
    """A Pod: what policies see of it (namespace, name, labels, IP, named ports) and its state."""

    kind: ClassVar[str] = "Pod"
    uid: str = ""
    resource_version: str = ""
    created: str = ""
    phase: str = ""  # "Pending", "Running", ...
    node: str = ""
    ready: bool = False  # its Ready condition is True
    object: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class WorkloadRecord(ObjectRecord):
    """A Deployment, StatefulSet, DaemonSet, Job or CronJob: which pods it claims (its selector,
    None when it has none) and the labels its pod template gives them."""

    selector: LabelSelector | None = None
    pod_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class NodeRecord(ObjectRecord):
    """A Node: its labels (ObjectRecord) and its kernel (``status.nodeInfo.kernelVersion``), what
    Terway's enforcement depends on."""

    kernel: str = ""


Record = ObjectRecord | NamespaceRecord | PodRecord


def namespace_record(obj: Mapping[str, Any]) -> NamespaceRecord:
    meta, status = _meta(obj), obj.get("status") or {}
    return NamespaceRecord(
        name=str(meta.get("name") or ""),
        labels=_labels(meta.get("labels")),
        phase=str(status.get("phase") or ""),
        deletion=deletion(obj),
        **_common(obj),
    )


def pod_record(obj: Mapping[str, Any]) -> PodRecord:
    pod = Pod.from_dict(obj)
    status = obj.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or ()
        if isinstance(c, Mapping)
    )
    return PodRecord(
        **{f.name: getattr(pod, f.name) for f in fields(Pod)},
        phase=str(status.get("phase") or ""),
        node=str((obj.get("spec") or {}).get("nodeName") or ""),
        ready=ready,
        **_common(obj),
    )


def _selector(obj: Mapping[str, Any]) -> LabelSelector | None:
    raw = (obj.get("spec") or {}).get("selector")
    if isinstance(raw, Mapping) and (raw.get("matchLabels") or raw.get("matchExpressions")):
        try:
            return LabelSelector.model_validate(raw)
        except ValueError:
            return None
    return None


def record(plural: str, kind: str, obj: Mapping[str, Any]) -> Record:
    """The record of a raw object of the resource ``plural`` (whose Kubernetes kind is ``kind``)."""
    if plural == "namespaces":
        return namespace_record(obj)
    if plural == "pods":
        return pod_record(obj)
    meta = _meta(obj)
    base = {
        "kind": str(obj.get("kind") or kind),
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name") or ""),
        "labels": _labels(meta.get("labels")),
        **_common(obj),
    }
    if plural == "nodes":
        info = (obj.get("status") or {}).get("nodeInfo") or {}
        return NodeRecord(**base, kernel=str(info.get("kernelVersion") or ""))
    if plural in WORKLOAD_KINDS:
        return WorkloadRecord(**base, selector=_selector(obj), pod_labels=template_labels(obj))
    return ObjectRecord(**base)
