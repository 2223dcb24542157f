"""The cache's typed records, built from the API server's JSON once, as a watch event brings it."""

from __future__ import annotations

from typing import Any

from app.cluster.records import NamespaceRecord, ObjectRecord, PodRecord, WorkloadRecord, record
from app.policies.documents import Pod
from app.policies.lifecycle import Deletion
from app.policies.reachability import World, explain, parse_ref

POD: dict[str, Any] = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1", "resourceVersion": "42",
                 "creationTimestamp": "2026-01-02T03:04:05Z", "labels": {"app": "web"}},
    "spec": {"nodeName": "node-a", "containers": [
        {"name": "c", "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 9}]}]},
    "status": {"phase": "Running", "podIP": "10.0.0.7",
               "conditions": [{"type": "Ready", "status": "True"}]},
}  # fmt: skip


def test_a_pod_record_is_the_engines_pod_with_its_state() -> None:
    pod = record("pods", "Pod", POD)
    assert isinstance(pod, PodRecord) and isinstance(pod, Pod)
    assert (pod.kind, pod.namespace, pod.name, pod.ref) == ("Pod", "shop", "web-1", "shop/web-1")
    assert (pod.uid, pod.resource_version, pod.created) == ("u1", "42", "2026-01-02T03:04:05Z")
    assert (pod.phase, pod.node, pod.ready, pod.pod_ip) == ("Running", "node-a", True, "10.0.0.7")
    assert dict(pod.named_ports) == {"http": (8080, "TCP")}
    assert pod.object is POD  # kept as given, for the API's raw lists
    pending = record("pods", "Pod", {**POD, "status": {"phase": "Pending"}})
    assert isinstance(pending, PodRecord) and not pending.ready and pending.pod_ip is None


def test_the_engine_answers_over_records_as_over_its_own_types() -> None:
    ns = record("namespaces", "Namespace", {"metadata": {"name": "shop"}})
    pod = record("pods", "Pod", POD)
    assert isinstance(ns, NamespaceRecord) and isinstance(pod, PodRecord)
    world = World([ns], [pod], [])
    verdict = explain(world, parse_ref(world, "10.1.1.1"), parse_ref(world, "shop/web-1"), "http")
    assert verdict.allowed


def test_a_terminating_namespace_record_says_what_holds_it() -> None:
    ns = record("namespaces", "Namespace", {
        "metadata": {"name": "old", "deletionTimestamp": "2026-01-02T03:04:05Z", "labels": {"team": "a"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Terminating", "conditions": [
            {"type": "NamespaceContentRemaining", "status": "True", "message": "pods remain"}]},
    })  # fmt: skip
    assert isinstance(ns, NamespaceRecord)
    assert (ns.kind, ns.namespace, ns.name, ns.phase) == ("Namespace", "", "old", "Terminating")
    assert ns.labels == {"team": "a", "kubernetes.io/metadata.name": "old"}
    assert ns.deletion == Deletion("2026-01-02T03:04:05Z", ("kubernetes",), ("pods remain",))
    live = record("namespaces", "Namespace", {"metadata": {"name": "new"}, "status": {"phase": "Active"}})
    assert isinstance(live, NamespaceRecord) and live.deletion is None


def test_workload_records_carry_their_selector_and_pod_labels() -> None:
    deployment = record("deployments", "Deployment", {
        "metadata": {"name": "web", "namespace": "shop", "labels": {"tier": "front"}},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web", "v": "2"}}}},
    })  # fmt: skip
    assert isinstance(deployment, WorkloadRecord)
    assert (deployment.kind, deployment.labels) == ("Deployment", {"tier": "front"})
    assert deployment.selector is not None and deployment.selector.match_labels == {"app": "web"}
    assert deployment.pod_labels == {"app": "web", "v": "2"}
    cronjob = record("cronjobs", "CronJob", {
        "metadata": {"name": "nightly", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"job": "nightly"}}}}}},
    })  # fmt: skip
    assert isinstance(cronjob, WorkloadRecord)
    assert cronjob.selector is None and cronjob.pod_labels == {"job": "nightly"}


def test_other_kinds_are_object_records() -> None:
    service = record("services", "Service", {"metadata": {"name": "web", "namespace": "shop", "uid": "s"}})
    assert type(service) is ObjectRecord
    assert (service.kind, service.namespace, service.name, service.uid) == ("Service", "shop", "web", "s")
