"""Workloads and pods as the policy editor sees them: which labels a workload gives its pods,
which named ports pods offer. Pure, over the raw objects of the cache."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.policies.model import LabelSelector
from app.policies.selectors import requirements, requirements_match

# (cache kind, Kubernetes kind, the ACK console's name for it)
WORKLOAD_TYPES: tuple[tuple[str, str, str], ...] = (
    ("deployments", "Deployment", "Stateless"),
    ("statefulsets", "StatefulSet", "Stateful"),
    ("daemonsets", "DaemonSet", "DaemonSet"),
    ("jobs", "Job", "Job"),
    ("cronjobs", "CronJob", "CronJob"),
)
WORKLOAD_KINDS = {cache_kind for cache_kind, _, _ in WORKLOAD_TYPES}


def pod_template(workload: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = workload.get("spec") or {}
    if workload.get("kind") == "CronJob" or "jobTemplate" in spec:
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def template_labels(workload: Mapping[str, Any]) -> dict[str, str]:
    """The labels a workload's pods carry (its pod template's labels)."""
    return dict(((pod_template(workload).get("metadata") or {}).get("labels")) or {})


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def pods_selected(selector: LabelSelector | None, pods: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The pods (raw objects) a label selector selects; the selector is compiled once."""
    reqs = requirements(selector)
    if reqs is None:
        return []
    return [p for p in pods if requirements_match(reqs, labels_of(p))]


def named_ports(pods: Iterable[Mapping[str, Any]]) -> list[tuple[str, int, str]]:
    """The named container ports of pods: (name, number, protocol), sorted, without repeats."""
    seen: set[tuple[str, int, str]] = set()
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or []:
            for port in container.get("ports") or []:
                if port.get("name"):
                    seen.add((port["name"], int(port.get("containerPort", 0)), port.get("protocol", "TCP")))
    return sorted(seen)
