"""What relabelling a namespace or deleting a workload does to the cluster's policies."""

from __future__ import annotations

from typing import Any

from app.policies.model import NetworkPolicy
from app.workloads.consequences import default_deny, left_selecting_nothing, namespace_relabel


def policy(namespace: str, name: str, spec: dict[str, Any]) -> NetworkPolicy:
    return NetworkPolicy.from_dict({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                    "metadata": {"name": name, "namespace": namespace}, "spec": spec})  # fmt: skip


def ingress_from(peer: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"from": [peer]}]}


NOT_TEST = {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["test"]}]}
FROM_PROD = policy("shop", "from-prod", ingress_from({"namespaceSelector": {"matchLabels": {"env": "prod"}}}))
TO_NOT_TEST = policy("shop", "to-not-test", {"podSelector": {}, "egress": [{"to": [{"namespaceSelector": NOT_TEST}]}]})
BY_NAME = policy("web", "from-kube-system", ingress_from(
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}))
PODS_ONLY = policy("shop", "pods-only", ingress_from({"podSelector": {}}))
ALL = [FROM_PROD, TO_NOT_TEST, BY_NAME, PODS_ONLY]


def test_a_label_change_names_the_policies_that_start_and_stop_selecting() -> None:
    change = namespace_relabel("shop", {"env": "test"}, {"env": "prod"}, ALL)
    assert change.starts == ("shop/from-prod", "shop/to-not-test")
    assert change.stops == ()
    back = namespace_relabel("shop", {"env": "prod"}, {"env": "test"}, ALL)
    assert back.stops == ("shop/from-prod", "shop/to-not-test") and not back.starts


def test_no_change_says_nothing_and_the_name_label_always_counts() -> None:
    assert not namespace_relabel("shop", {"env": "prod"}, {"env": "prod", "team": "a"}, ALL)
    # kubernetes.io/metadata.name is the API server's, whatever the form holds
    assert not namespace_relabel("kube-system", {}, {"kubernetes.io/metadata.name": "other"}, ALL)


def test_a_deletion_names_the_policies_left_selecting_nothing() -> None:
    nginx = policy("shop", "nginx", {"podSelector": {"matchLabels": {"app": "nginx"}}})
    web = policy("shop", "web", {"podSelector": {"matchLabels": {"tier": "web"}}})
    elsewhere = policy("other", "nginx", {"podSelector": {"matchLabels": {"app": "nginx"}}})
    going = [{"app": "nginx", "tier": "web"}]
    staying = [{"app": "shop", "tier": "web"}]
    assert left_selecting_nothing("shop", going, staying, [nginx, web, elsewhere, FROM_PROD]) == ["nginx"]
    assert left_selecting_nothing("shop", [], staying, [nginx]) == []


def test_default_deny_per_direction() -> None:
    deny_in = policy("shop", "deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]})
    deny_both = policy("shop", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    allow_dns = policy("shop", "dns", {"podSelector": {}, "policyTypes": ["Egress"],
                                       "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})  # fmt: skip
    some_pods = policy("shop", "nginx", {"podSelector": {"matchLabels": {"app": "nginx"}}, "policyTypes": ["Egress"]})
    implicit = policy("shop", "implicit", {"podSelector": {}})  # policyTypes defaults to Ingress
    assert default_deny([deny_in, deny_both, allow_dns, some_pods, implicit]) == {
        "Ingress": ["deny-all", "deny-in", "implicit"], "Egress": ["deny-all"]}
    assert default_deny([allow_dns, FROM_PROD]) == {"Ingress": [], "Egress": []}
