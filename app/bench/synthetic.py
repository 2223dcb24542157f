"""The reachability matrix alone (app/policies/matrix.py) timed on a seeded, synthetic world, on
one core, against the goal of ``BENCH_GOAL_SECONDS`` (``netpol-console bench --offline``); the
world is also what the matrix tests use."""


from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.policies.documents import Namespace, Pod
from app.policies.matrix import matrix
from app.policies.model import NetworkPolicy
from app.policies.reachability import World

BENCH_GOAL_SECONDS = 2.0


def synthetic_world(
    pods: int = 2000, namespaces: int = 40, policies: int = 500, seed: int = 1
) -> tuple[list[Namespace], list[Pod], list[NetworkPolicy]]:
    """A seeded, plausible cluster: team/env namespaces, app/tier pods with IPs and named ports,
    and a mix of ingress/egress policies using every kind of peer and port."""
    rnd = random.Random(seed)
    teams, envs = ["red", "blue", "green", "gold", "gray"], ["prod", "dev", "test"]
    apps = [f"app{i}" for i in range(12)]
    tiers = ["web", "api", "db"]
    ns_list = [
        Namespace(f"ns-{i:02d}", {"team": rnd.choice(teams), "env": rnd.choice(envs)})
        for i in range(namespaces)
    ]
    pod_list = []
    for i in range(pods):
        ns = ns_list[i % namespaces].name
        labels = {"app": rnd.choice(apps), "tier": rnd.choice(tiers)}
        if rnd.random() < 0.2:
            labels["canary"] = "true"
        http = 80 if rnd.random() < 0.7 else 8080
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        pod_list.append(
            Pod(ns, f"pod-{i:04d}", labels, ip, {"http": (http, "TCP"), "metrics": (9090, "TCP")})
        )

    def selector() -> dict[str, Any]:
        r = rnd.random()
        if r < 0.15:
            return {}
        if r < 0.6:
            return {"matchLabels": {"app": rnd.choice(apps)}}
        if r < 0.85:
            return {"matchExpressions": [{"key": "tier", "operator": "In", "values": rnd.sample(tiers, 2)}]}
        return {
            "matchLabels": {"tier": rnd.choice(tiers)},
            "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}],
        }

    def peer() -> dict[str, Any]:
        r = rnd.random()
        if r < 0.35:
            return {"podSelector": selector()}
        if r < 0.55:
            return {"namespaceSelector": {"matchLabels": {"team": rnd.choice(teams)}}}
        if r < 0.8:
            return {
                "namespaceSelector": {"matchLabels": {"env": rnd.choice(envs)}},
                "podSelector": selector(),
            }
        if r < 0.9:
            return {"ipBlock": {"cidr": f"{rnd.choice([47, 100, 172, 192])}.{rnd.randrange(256)}.0.0/16"}}
        return {"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"10.0.{rnd.randrange(8)}.0/24"]}}

    def ports() -> list[dict[str, Any]]:
        r = rnd.random()
        if r < 0.3:
            return []
        if r < 0.55:
            return [{"port": 80}]
        if r < 0.7:
            return [{"port": "http"}]
        if r < 0.85:
            return [{"port": 8000, "endPort": 9100}]
        return [{"protocol": "UDP", "port": 53}, {"port": 443}]

    def rules() -> list[dict[str, Any]]:
        return [
            {"peers": [peer() for _ in range(rnd.randrange(0, 3))], "ports": ports()}
            for _ in range(rnd.randrange(0, 3))
        ]

    pol_list = []
    for i in range(policies):
        spec: dict[str, Any] = {"podSelector": selector()}
        types = rnd.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        spec["policyTypes"] = types
        if "Ingress" in types:
            spec["ingress"] = [_rule("from", r) for r in rules()]
        if "Egress" in types:
            spec["egress"] = [_rule("to", r) for r in rules()]
        ns = rnd.choice(ns_list).name
        pol_list.append(
            NetworkPolicy.from_dict(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": f"policy-{i:03d}", "namespace": ns},
                    "spec": spec,
                }
            )
        )
    return ns_list, pod_list, pol_list


def _rule(key: str, r: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r["peers"]:
        out[key] = r["peers"]
    if r["ports"]:
        out["ports"] = r["ports"]
    return out


@dataclass
class BenchResult:
    pods: int
    namespaces: int
    policies: int
    groups: int
    build_seconds: float
    matrix_seconds: float
    goal_seconds: float = BENCH_GOAL_SECONDS

    @property
    def within_goal(self) -> bool:
        return self.matrix_seconds <= self.goal_seconds


def bench(
    pods: int = 2000,
    namespaces: int = 40,
    policies: int = 500,
    seed: int = 1,
    port: int | str = 80,
    protocol: str = "TCP",
) -> BenchResult:
    """Build a synthetic world and time ``matrix`` over it (wall clock, one thread)."""
    ns_list, pod_list, pol_list = synthetic_world(pods, namespaces, policies, seed)
    t0 = time.perf_counter()
    world = World(ns_list, pod_list, pol_list)
    t1 = time.perf_counter()
    m = matrix(world, port, protocol)
    t2 = time.perf_counter()
    return BenchResult(pods, namespaces, policies, m.group_count, t1 - t0, t2 - t1)
