"""Workloads and pods as the policy editor sees them: which labels a workload gives its pods
(read from its raw object), which pods a selector selects and which named ports they offer
(over the pure ``Pod``). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from app.policies.documents import Pod
from app.policies.model import LabelSelector
from app.policies.selectors import requirements, requirements_match

P = TypeVar("P", bound=Pod)

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


def pods_selected(selector: LabelSelector | None, pods: Iterable[P]) -> list[P]:
    """The pods a label selector selects; the selector is compiled once."""
    reqs = requirements(selector)
    if reqs is None:
        return []
    return [p for p in pods if requirements_match(reqs, p.labels)]


def named_ports(pods: Iterable[Pod]) -> list[tuple[str, int, str]]:
    """The named container ports of pods: (name, number, protocol), sorted, without repeats."""
    return sorted({(name, number, protocol) for p in pods for name, (number, protocol) in p.named_ports.items()})
