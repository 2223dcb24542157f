"""What the bench seeds (pure): namespaces, Deployments and NetworkPolicies as the API server
takes them, deterministic for a scale.

The first namespace, ``BIG``, is the largest (the page and the one-namespace matrix are measured
there); the other Deployments and policies are spread over the other namespaces in turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LABEL = "netpol-bench"  # on every seeded object, so that a count or a clean-up finds them
PODS_PER_NODE = 300  # the demo's nodes hold 64 pods each: the seeded pods get KWOK nodes of their own
BIG = "bench-000"
TEAMS = ("red", "blue", "green", "gold")
TIERS = ("web", "api", "db")


@dataclass(frozen=True)
class Scale:
    name: str
    namespaces: int
    deployments: int
    replicas: int
    policies: int
    big_deployments: int  # of ``deployments``, in BIG
    big_policies: int  # of ``policies``, in BIG

    @property
    def pods(self) -> int:
        return self.deployments * self.replicas

    @property
    def big_pods(self) -> int:
        return self.big_deployments * self.replicas

    @property
    def objects(self) -> int:
        """Everything seeded that the console caches: namespaces, Deployments, pods, policies."""
        return self.namespaces + self.deployments + self.pods + self.policies

    def times(self, k: int) -> Scale:
        """``k`` times the objects, the largest namespace included (a step of ``--steps``)."""
        if k == 1:
            return self
        step = Scale(f"{self.name}x{k}", self.namespaces * k, self.deployments * k, self.replicas,
                     self.policies * k, self.big_deployments * k, self.big_policies * k)  # fmt: skip
        # A step that reaches a named scale's totals is that scale (quarter x4 is large, 50 in BIG).
        return next((s for s in SCALES.values() if s.totals == step.totals), step)

    @property
    def totals(self) -> tuple[int, ...]:
        return (self.namespaces, self.deployments, self.replicas, self.policies, self.big_deployments)


SCALES = {
    "tiny": Scale("tiny", 3, 6, 2, 6, 2, 2),  # the CI smoke test's --steps
    "small": Scale("small", 10, 50, 4, 50, 10, 10),
    # A quarter of large: --scale quarter --steps 1,2,4 ends at large itself.
    "quarter": Scale("quarter", 50, 250, 10, 250, 5, 12),
    "large": Scale("large", 200, 1000, 10, 1000, 20, 50),
}


def namespace_name(i: int) -> str:
    return f"bench-{i:03d}"


def _spread(total: int, big: int, namespaces: int) -> Iterator[tuple[str, int]]:
    """(namespace, index within it) for ``total`` objects: ``big`` in BIG, the rest in turn."""
    for i in range(big):
        yield BIG, i
    for j in range(total - big):
        ns = namespace_name(1 + j % max(1, namespaces - 1)) if namespaces > 1 else BIG
        yield ns, big + j


def nodes(scale: Scale) -> list[dict[str, Any]]:
    """KWOK nodes (the sandbox's KWOK manages nodes annotated ``kwok.x-k8s.io/node: fake``) with
    room for every seeded pod, ECS-like, each with a /22 of pod addresses."""
    count = -(-scale.pods // PODS_PER_NODE) + 1
    out = []
    for i in range(count):
        name = f"bench-node-{i:03d}"
        zone = f"cn-hangzhou-{'hijk'[i % 4]}"
        out.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", LABEL: "yes",
                                    "topology.kubernetes.io/region": "cn-hangzhou",
                                    "topology.kubernetes.io/zone": zone}},
            "spec": {"podCIDR": f"10.{128 + i // 64}.{(i % 64) * 4}.0/22"},
            "status": {"nodeInfo": {"kernelVersion": "5.10.134-16.3.al8.x86_64", "architecture": "amd64",
                                    "operatingSystem": "linux", "kubeletVersion": "v1.36.3-aliyun.1"},
                       "capacity": {"cpu": "64", "memory": "256Gi", "pods": str(PODS_PER_NODE)},
                       "allocatable": {"cpu": "64", "memory": "256Gi", "pods": str(PODS_PER_NODE)}},
        })  # fmt: skip
    return out


def namespaces(scale: Scale) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": namespace_name(i), "labels": {LABEL: "yes", "team": TEAMS[i % len(TEAMS)]}}}
        for i in range(scale.namespaces)
    ]  # fmt: skip


def deployments(scale: Scale) -> list[dict[str, Any]]:
    out = []
    for ns, i in _spread(scale.deployments, scale.big_deployments, scale.namespaces):
        name = f"app-{i:04d}"
        labels = {"app": name, "tier": TIERS[i % len(TIERS)], LABEL: "yes"}
        ports = [{"name": "http", "containerPort": 80}, {"name": "metrics", "containerPort": 9090}]
        out.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": {LABEL: "yes"}},
            "spec": {
                "replicas": scale.replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": labels},
                             "spec": {"containers": [{"name": "app", "image": "nginx", "ports": ports}]}},
            },
        })  # fmt: skip
    return out


def policies(scale: Scale) -> list[dict[str, Any]]:
    """A mix of what clusters hold: default-deny, same-namespace and cross-namespace allows by
    label, named and numbered ports, DNS egress and ipBlock egress with exceptions."""
    out = []
    for ns, i in _spread(scale.policies, scale.big_policies, scale.namespaces):
        kind = i % 5
        spec: dict[str, Any]
        if kind == 0:
            spec = {"podSelector": {}, "policyTypes": ["Ingress"]}
        elif kind == 1:
            spec = {"podSelector": {"matchLabels": {"tier": "api"}},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": "web"}}}],
                                 "ports": [{"port": "http"}]}]}  # fmt: skip
        elif kind == 2:
            spec = {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": TEAMS[i % len(TEAMS)]}},
                                           "podSelector": {"matchLabels": {"tier": "api"}}}],
                                 "ports": [{"protocol": "TCP", "port": 80}]}]}  # fmt: skip
        elif kind == 3:
            spec = {"podSelector": {"matchLabels": {"tier": "web"}}, "policyTypes": ["Egress"],
                    "egress": [{"to": [{"namespaceSelector": {}}],
                                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                               {"to": [{"podSelector": {"matchLabels": {"tier": "api"}}}]}]}  # fmt: skip
        else:
            spec = {"podSelector": {"matchLabels": {"tier": TIERS[i % len(TIERS)]}},
                    "ingress": [{"from": [{"ipBlock": {"cidr": "100.64.0.0/10"}}]}],
                    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
                                "ports": [{"port": 443}]}]}  # fmt: skip
        out.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"policy-{i:04d}", "namespace": ns, "labels": {LABEL: "yes"}},
            "spec": spec,
        })  # fmt: skip
    return out
