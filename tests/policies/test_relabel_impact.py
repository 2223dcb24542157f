"""The impact of relabelling a namespace or a workload's pods: no policy changes, yet flows do."""

from __future__ import annotations

from app.policies.documents import Namespace, Pod
from app.policies.impact import (
    namespace_relabel_impact,
    with_namespace_labels,
    with_pod_labels,
    workload_relabel_impact,
)
from app.policies.model import NetworkPolicy
from app.policies.reachability import World
from tests.policies.test_impact import ALLOW_ACCESS, BUSYBOX, NGINX, policy, world

CLIENT = Pod("shop", "client-5f6d7c8b9-aaaaa", {"app": "client", "pod-template-hash": "5f6d7c8b9"}, "172.20.1.2")
DB = Pod("data", "db-0", {"app": "db"}, "172.20.1.3")  # declares no container port
FROM_SHOP = policy(
    "db-from-shop",
    {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}], "ports": [{"port": 5432}]}],
    },
    ns="data",
)


def shop_and_data(*policies: NetworkPolicy) -> World:
    return World([Namespace("shop", {"team": "shop"}), Namespace("data")], [CLIENT, DB], [FROM_SHOP, *policies])


def test_a_namespace_losing_the_label_a_namespace_selector_needs_newly_denies_its_flows() -> None:
    before = shop_and_data()
    result = namespace_relabel_impact(before, "shop", {"owner": "me"})
    assert not result.allowed
    # 5432 is checked although db declares no port: the policy that stops matching shop names it.
    assert [(g.src, g.dst, g.port, g.protocol, g.count) for g in result.denied] == [
        ("shop/client", "data/db-0", 5432, "TCP", 1)
    ]
    assert (result.denied[0].flows[0].src, result.denied[0].flows[0].dst) == (CLIENT.ref, DB.ref)
    assert result.affected_pods == [CLIENT.ref]
    # Giving the label back is the reverse.
    after = with_namespace_labels(before, "shop", {"owner": "me"})
    back = namespace_relabel_impact(after, "shop", {"team": "shop"})
    assert [(g.change, g.src, g.dst, g.port) for g in back.allowed] == [("allowed", "shop/client", "data/db-0", 5432)]
    assert not back.denied


def test_the_namespace_keeps_its_name_label() -> None:
    after = with_namespace_labels(shop_and_data(), "shop", {})
    assert after.namespace_labels("shop") == {"kubernetes.io/metadata.name": "shop"}
    by_name = policy(
        "by-name",
        {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}]}],
        },
        ns="data",
    )
    # Still allowed by the name label when team=shop goes: nothing changes.
    assert namespace_relabel_impact(shop_and_data(by_name), "shop", {}).unchanged


def test_busybox_gaining_access_true_newly_allows_busybox_to_nginx_80() -> None:
    before = world(NGINX, BUSYBOX, policies=(ALLOW_ACCESS,))
    result = workload_relabel_impact(before, [BUSYBOX.ref], {"app": "busybox"}, {"app": "busybox", "access": "true"})
    assert not result.denied
    assert [(g.src, g.dst, g.port, g.protocol, g.count) for g in result.allowed] == [
        ("default/busybox", "default/nginx", 80, "TCP", 1)
    ]
    assert any("default/access-nginx" in line for line in result.allowed[0].explanation)
    assert "Newly allowed:" in result.lines()


def test_a_pod_keeps_the_labels_its_controller_added() -> None:
    after = with_pod_labels(world(BUSYBOX), [BUSYBOX.ref], {"app": "busybox"}, {"app": "box"})
    assert after.pods[BUSYBOX.ref].labels == {"app": "box", "pod-template-hash": "6b8f9c7d5"}
    assert after.pods[BUSYBOX.ref].pod_ip == BUSYBOX.pod_ip


def test_losing_access_true_newly_denies_and_a_neutral_label_changes_nothing() -> None:
    granted = {"app": "busybox", "access": "true"}
    before = with_pod_labels(
        world(NGINX, BUSYBOX, policies=(ALLOW_ACCESS,)), [BUSYBOX.ref], {"app": "busybox"}, granted
    )
    lost = workload_relabel_impact(before, [BUSYBOX.ref], granted, {"app": "busybox"})
    assert [(g.src, g.dst, g.port) for g in lost.denied] == [("default/busybox", "default/nginx", 80)]
    neutral = workload_relabel_impact(before, [BUSYBOX.ref], granted, {**granted, "tier": "tools"})
    assert neutral.unchanged and neutral.affected_pods == [BUSYBOX.ref]
    assert neutral.lines()[0].startswith("No connection changes")
    # A namespace label no selector reads changes nothing either, nor does a workload with no pods.
    assert namespace_relabel_impact(shop_and_data(), "shop", {"team": "shop", "owner": "me"}).unchanged
    assert workload_relabel_impact(before, [], granted, {"app": "busybox"}).unchanged
