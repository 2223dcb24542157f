"""The impact of a change, on the reference page's scenarios (access-nginx, then access=true)."""

from __future__ import annotations

import time
from typing import Any

from app.policies.documents import Namespace, Pod
from app.policies.impact import affected_pods, impact, with_policy, without_policy, workload_of
from app.policies.model import NetworkPolicy
from app.policies.reachability import World


def pod(name: str, labels: dict[str, str], ports: tuple[tuple[int, str], ...] = (), ns: str = "default") -> Pod:
    return Pod(ns, name, labels, f"172.20.0.{abs(hash(name)) % 200 + 2}", {}, ports)


NGINX = pod("nginx-7d9c8b5f4-abcde", {"app": "nginx", "pod-template-hash": "7d9c8b5f4"}, ((80, "TCP"),))
BUSYBOX = pod("busybox-6b8f9c7d5-xyz12", {"app": "busybox", "pod-template-hash": "6b8f9c7d5"})
WITH_ACCESS = pod("busybox-access", {"app": "busybox", "access": "true"})


def policy(name: str, spec: dict[str, Any], ns: str = "default") -> NetworkPolicy:
    return NetworkPolicy.from_dict({"metadata": {"name": name, "namespace": ns}, "spec": spec})


# Scenario 1 of the reference: only pods labelled access=true may reach nginx (none at first).
DENY_NGINX = policy("access-nginx", {"podSelector": {"matchLabels": {"app": "nginx"}}, "policyTypes": ["Ingress"]})
ALLOW_ACCESS = policy(
    "access-nginx",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
    },
)


def world(*pods: Pod, policies: tuple[NetworkPolicy, ...] = ()) -> World:
    return World([Namespace("default")], pods, policies)


def test_adding_access_nginx_newly_denies_busybox_to_nginx_80() -> None:
    before = world(NGINX, BUSYBOX)
    result = impact(before, with_policy(before, DENY_NGINX))
    assert not result.allowed
    assert [(g.src, g.dst, g.port, g.protocol, g.count) for g in result.denied] == [
        ("default/busybox", "default/nginx", 80, "TCP", 1)
    ]
    flow = result.denied[0].flows[0]
    assert (flow.src, flow.dst) == (BUSYBOX.ref, NGINX.ref)
    assert any("default/access-nginx" in line for line in result.denied[0].explanation)
    assert "Newly denied:" in result.lines()
    assert result.as_dict()["newlyDenied"][0]["to"] == "default/nginx"


def test_allowing_access_true_newly_allows_the_labelled_pod_only() -> None:
    before = world(NGINX, BUSYBOX, WITH_ACCESS, policies=(DENY_NGINX,))
    result = impact(before, with_policy(before, ALLOW_ACCESS))  # replaces access-nginx by name
    assert not result.denied
    assert [(g.src, g.dst, g.port, g.count) for g in result.allowed] == [
        ("default/busybox-access", "default/nginx", 80, 1)
    ]


def test_deleting_the_policy_reverses_it() -> None:
    before = world(NGINX, BUSYBOX, WITH_ACCESS, policies=(ALLOW_ACCESS,))
    result = impact(before, without_policy(before, "default", "access-nginx"))
    assert not result.denied
    assert [(g.src, g.dst, g.port) for g in result.allowed] == [("default/busybox", "default/nginx", 80)]


def test_a_change_that_alters_nothing_says_so() -> None:
    before = world(NGINX, BUSYBOX, policies=(DENY_NGINX,))
    # The same policy under another name: nginx is already isolated for ingress.
    result = impact(before, with_policy(before, policy("second", DENY_NGINX.to_dict()["spec"])))
    assert result.unchanged
    assert result.affected_pods == [NGINX.ref]
    assert result.lines()[0].startswith("No connection changes")
    # Deleting a policy that does not exist changes nothing either.
    assert impact(before, without_policy(before, "default", "missing")).unchanged


def test_a_pod_label_change_counts_as_a_change() -> None:
    before = world(NGINX, BUSYBOX, policies=(ALLOW_ACCESS,))
    relabelled = Pod(BUSYBOX.namespace, BUSYBOX.name, {**BUSYBOX.labels, "access": "true"}, BUSYBOX.pod_ip)
    after = World([Namespace("default")], [NGINX, relabelled], [ALLOW_ACCESS])
    assert affected_pods(before, after) == [BUSYBOX.ref]
    assert [(g.change, g.src, g.dst) for g in impact(before, after).allowed] == [
        ("allowed", "default/busybox", "default/nginx")
    ]


def test_ports_named_by_the_policy_are_checked_even_when_no_pod_declares_them() -> None:
    bare = pod("db", {"app": "db"})  # declares no container port
    before = world(bare, BUSYBOX)
    only_5432 = policy(
        "db",
        {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}],
        },
    )
    result = impact(before, with_policy(before, only_5432))
    assert [(g.src, g.dst, g.port) for g in result.denied] == [("default/busybox", "default/db", 5432)]


def test_workloads_are_read_from_controller_labels() -> None:
    assert workload_of(NGINX) == "default/nginx"
    stateful = {"controller-revision-hash": "x", "statefulset.kubernetes.io/pod-name": "web-0"}
    assert workload_of(pod("web-0", stateful)) == "default/web"
    assert workload_of(pod("agent-k2x9p", {"controller-revision-hash": "x"})) == "default/agent"
    assert workload_of(WITH_ACCESS) == "default/busybox-access"


def test_hundreds_of_pods_stay_fast_and_flows_are_grouped_by_workload() -> None:
    pods = [
        pod(f"client-5f6d7c8b9-{i:05d}", {"app": "client", "pod-template-hash": "5f6d7c8b9"}, ns=f"ns{i % 10}")
        for i in range(400)
    ]
    before = World([Namespace(f"ns{i}") for i in range(10)] + [Namespace("default")], [NGINX, *pods], [])
    started = time.perf_counter()
    result = impact(before, with_policy(before, DENY_NGINX))
    assert time.perf_counter() - started < 5
    assert len(result.denied) == 10  # one group per client namespace
    assert {g.count for g in result.denied} == {40}
    assert all(len(g.flows) == 5 for g in result.denied)
