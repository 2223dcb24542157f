"""The Workloads page's rows: each workload with its pods and the policies selecting them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.analysis.snapshot import policies_selecting
from app.policies.model import LabelSelector
from app.policies.selectors import selector_matches
from app.policies.workloads import WORKLOAD_TYPES, labels_of, name_of, template_labels


@dataclass
class WorkloadRow:
    name: str
    namespace: str
    labels: dict[str, str]
    pod_labels: dict[str, str]
    pods: int
    ready: int
    policies: list[str] = field(default_factory=list)  # names of policies of the namespace


@dataclass
class WorkloadSection:
    kind: str  # cache kind, e.g. "deployments"
    api_kind: str  # "Deployment"
    title: str  # the ACK console's name, e.g. "Stateless"
    rows: list[WorkloadRow]


def _selector(workload: Mapping[str, Any]) -> LabelSelector | None:
    raw = (workload.get("spec") or {}).get("selector")
    if isinstance(raw, dict) and (raw.get("matchLabels") or raw.get("matchExpressions")):
        try:
            return LabelSelector.model_validate(raw)
        except ValueError:
            return None
    return None


def _ready(pod: Mapping[str, Any]) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def workload_pods(workload: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The workload's pods: matched by its selector, else (CronJob, Job without one) by its
    pod-template labels; a workload with neither claims no pods."""
    selector = _selector(workload)
    if selector is None:
        labels = template_labels(workload)
        if not labels:
            return []
        selector = LabelSelector(match_labels=labels)
    return [p for p in pods if selector_matches(selector, labels_of(p))]


def workload_sections(cluster: Any, namespace: str) -> list[WorkloadSection]:
    cache = cluster.cache
    pods = cache.list("pods", namespace)
    sections = []
    for kind, api_kind, title in WORKLOAD_TYPES:
        rows = []
        for w in sorted(cache.list(kind, namespace), key=name_of):
            mine = workload_pods(w, pods)
            pod_labels = template_labels(w)
            rows.append(
                WorkloadRow(
                    name=name_of(w),
                    namespace=namespace,
                    labels=labels_of(w),
                    pod_labels=pod_labels,
                    pods=len(mine),
                    ready=sum(1 for p in mine if _ready(p)),
                    policies=sorted(cp.name for cp in policies_selecting(cluster, namespace, pod_labels)),
                )
            )
        sections.append(WorkloadSection(kind, api_kind, title, rows))
    return sections
