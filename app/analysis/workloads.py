"""The Workloads page's rows and details: each workload with its pods and the policies selecting
them per direction; a workload's pods, whether each direction is isolated and the connections its
selecting policies allow (their rules resolved as the Connectivity page resolves them); and the
Services of a namespace with the pods behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.analysis.snapshot import DIRECTIONS, RulePeers, policies_selecting, resolved_peers, world
from app.cluster.client import Cluster
from app.cluster.records import ObjectRecord, PodRecord, WorkloadRecord
from app.policies.impact import Impact, workload_relabel_impact
from app.policies.model import LabelSelector
from app.policies.selectors import selector_matches
from app.policies.workloads import WORKLOAD_TYPES

# Kubernetes kind → cache kind ("Deployment" → "deployments")
PLURALS = {api_kind: plural for plural, api_kind, _ in WORKLOAD_TYPES}


@dataclass
class WorkloadRow:
    name: str
    namespace: str
    labels: Mapping[str, str]
    pod_labels: Mapping[str, str]
    pods: int
    ready: int
    policies: list[str] = field(default_factory=list)  # names of policies of the namespace
    # direction ("Ingress", "Egress") → the policies selecting the pods that restrict it
    by_direction: dict[str, list[str]] = field(default_factory=dict)
    desired: int | None = None  # spec.replicas (None: the kind has none)


@dataclass
class WorkloadSection:
    kind: str  # cache kind, e.g. "deployments"
    api_kind: str  # "Deployment"
    title: str  # the ACK console's name, e.g. "Stateless"
    rows: list[WorkloadRow]


@dataclass
class DirectionView:
    """One direction of a workload's pods: isolated when some policy selecting them restricts it;
    then only the rules of those policies allow connections."""

    direction: str
    policies: list[str]
    rules: list[tuple[str, RulePeers]]  # (policy name, rule)

    @property
    def isolated(self) -> bool:
        return bool(self.policies)


@dataclass
class WorkloadDetail:
    row: WorkloadRow
    kind: str  # "Deployment"
    pods: list[PodRecord]
    directions: list[DirectionView]


@dataclass
class ServiceRow:
    name: str
    type: str
    selector: dict[str, str]
    ports: list[str]  # "80→8080/TCP"
    pods: list[str]


def workload_pods(workload: WorkloadRecord, pods: list[PodRecord]) -> list[PodRecord]:
    """The workload's pods: matched by its selector, else (CronJob, Job without one) by its
    pod-template labels; a workload with neither claims no pods."""
    selector = workload.selector
    if selector is None:
        if not workload.pod_labels:
            return []
        selector = LabelSelector(match_labels=dict(workload.pod_labels))
    return [p for p in pods if selector_matches(selector, p.labels)]


def relabel_impact(cluster: Cluster, workload: WorkloadRecord, labels: Mapping[str, str]) -> Impact:
    """The connections that giving ``workload``'s pods the template labels ``labels`` would newly
    deny or allow (app.policies.impact), its pods as the cache holds them now."""
    pods = [p.ref for p in workload_pods(workload, cluster.cache.pods(workload.namespace))]
    return workload_relabel_impact(world(cluster), pods, workload.pod_labels, labels)


def desired_replicas(workload: WorkloadRecord) -> int | None:
    value = (workload.object.get("spec") or {}).get("replicas")
    return value if isinstance(value, int) else None


def workload_row(cluster: Cluster, workload: WorkloadRecord, pods: list[PodRecord]) -> WorkloadRow:
    mine = workload_pods(workload, pods)
    selecting = policies_selecting(cluster, workload.namespace, workload.pod_labels)
    return WorkloadRow(
        name=workload.name,
        namespace=workload.namespace,
        labels=workload.labels,
        pod_labels=workload.pod_labels,
        pods=len(mine),
        ready=sum(1 for p in mine if p.ready),
        policies=sorted(cp.name for cp in selecting),
        by_direction={d: sorted(cp.name for cp in selecting if cp.rules(d) is not None) for d in DIRECTIONS},
        desired=desired_replicas(workload),
    )


def workload_sections(cluster: Cluster, namespace: str) -> list[WorkloadSection]:
    cache = cluster.cache
    pods = cache.pods(namespace)
    return [
        WorkloadSection(
            kind, api_kind, title, [workload_row(cluster, w, pods) for w in cache.workloads(kind, namespace)]
        )
        for kind, api_kind, title in WORKLOAD_TYPES
    ]


def find_workload(cluster: Cluster, kind: str, namespace: str, name: str) -> WorkloadRecord | None:
    """The cached workload of Kubernetes kind ``kind`` ("Deployment"), or None."""
    plural = PLURALS.get(kind)
    if plural is None:
        return None
    return next((w for w in cluster.cache.workloads(plural, namespace) if w.name == name), None)


def workload_detail(cluster: Cluster, kind: str, workload: WorkloadRecord) -> WorkloadDetail:
    pods = workload_pods(workload, cluster.cache.pods(workload.namespace))
    row = workload_row(cluster, workload, pods)
    policies = {p.metadata.name: p for p in cluster.cache.network_policies(workload.namespace)}
    directions = []
    for direction in DIRECTIONS:
        rules: list[tuple[str, RulePeers]] = []
        for name in row.by_direction[direction]:
            if name in policies:
                rules += [(name, rule) for rule in resolved_peers(cluster, policies[name])[direction] or []]
        directions.append(DirectionView(direction, row.by_direction[direction], rules))
    return WorkloadDetail(row, kind, sorted(pods, key=lambda p: p.name), directions)


def _port_text(port: Mapping[str, Any]) -> str:
    target = port.get("targetPort", port.get("port"))
    return f"{port.get('port')}→{target}/{port.get('protocol') or 'TCP'}"


def service_row(service: ObjectRecord, pods: list[PodRecord]) -> ServiceRow:
    spec = service.object.get("spec") or {}
    selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    behind = [p.name for p in pods if selector and all(p.labels.get(k) == v for k, v in selector.items())]
    return ServiceRow(
        name=service.name,
        type=str(spec.get("type") or "ClusterIP"),
        selector=selector,
        ports=[_port_text(p) for p in spec.get("ports") or [] if isinstance(p, Mapping)],
        pods=sorted(behind),
    )


def service_rows(cluster: Cluster, namespace: str) -> list[ServiceRow]:
    """The Services of a namespace: type, selector, ports and the pods their selector picks."""
    pods = cluster.cache.pods(namespace)
    found = [r for r in cluster.cache.list("services", namespace) if isinstance(r, ObjectRecord)]
    return [service_row(s, pods) for s in sorted(found, key=lambda s: s.name)]
