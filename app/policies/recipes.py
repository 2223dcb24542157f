"""The recipe gallery: common NetworkPolicies as filled forms, to review and edit before applying.

``RECIPES`` maps a recipe's name to a ``Recipe``; ``RECIPES[name].build(namespace)`` returns a
``PolicyForm`` for the Create panel (never applied as is). The first four are the scenarios of
ACK's network-policy page (reference/ack-network-policies-page.txt), in the console's flavour
(workloads labelled ``app=...``, as the seeded demo is); the rest are the usual building blocks.
Addresses the user must replace are documentation ranges (RFC 5737), never someone's network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.policies.form import PolicyForm, policy_to_form
from app.policies.model import API_VERSION, KIND
from app.policies.words import Each, Words

# Load-balancer health checks come from here (FACTS.md); a policy in front of an SLB must allow it.
HEALTH_CHECK_CIDR = "100.64.0.0/10"
PRIVATE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
# Placeholders to edit: documentation addresses (RFC 5737 TEST-NET-1 and TEST-NET-3).
CLIENT_CIDR_PLACEHOLDER = "192.0.2.0/24"
EGRESS_IP_PLACEHOLDER = "203.0.113.10/32"


@dataclass(frozen=True)
class Recipe:
    """A named policy template: ``build(namespace)`` gives the form to review. The title and
    the description are ``Words`` the pages translate."""

    name: str
    title: Words
    description: Words
    spec: Callable[[], dict[str, Any]]
    policy_name: str

    def policy(self, namespace: str) -> dict[str, Any]:
        """The NetworkPolicy object (a JSON dict) this recipe fills in, for ``namespace``."""
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": self.policy_name, "namespace": namespace},
            "spec": self.spec(),
        }

    def build(self, namespace: str) -> PolicyForm:
        return policy_to_form(self.policy(namespace))


def _labels(**labels: str) -> dict[str, Any]:
    return {"matchLabels": dict(labels)}


def _cidr(cidr: str) -> dict[str, Any]:
    return {"ipBlock": {"cidr": cidr}}


def _tcp80() -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": 80}]


def _allow_by_label() -> dict[str, Any]:
    return {
        "podSelector": _labels(app="nginx"),
        "ingress": [{"from": [{"podSelector": _labels(app="busybox")}], "ports": _tcp80()}],
    }


def _allow_cidrs() -> dict[str, Any]:
    return {
        "podSelector": _labels(app="nginx"),
        "ingress": [
            {
                "from": [
                    {"podSelector": _labels(app="busybox")},
                    _cidr(HEALTH_CHECK_CIDR),
                    _cidr(CLIENT_CIDR_PLACEHOLDER),
                ],
                "ports": _tcp80(),
            }
        ],
    }


def _egress_to_ips() -> dict[str, Any]:
    return {
        "podSelector": _labels(app="busybox"),
        "egress": [
            {"to": [_cidr(EGRESS_IP_PLACEHOLDER)]},
            {
                "to": [_cidr("0.0.0.0/0"), {"namespaceSelector": {}}],
                "ports": [{"protocol": "UDP", "port": 53}],
            },
        ],
    }


def _deny_public_net() -> dict[str, Any]:
    return {
        "podSelector": {},
        "ingress": [{"from": [{"namespaceSelector": {}}, _cidr("0.0.0.0/0")]}],
        "egress": [{"to": [{"namespaceSelector": {}}, *(_cidr(c) for c in PRIVATE_CIDRS)]}],
    }


def _default_deny_ingress() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


def _default_deny_egress() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Egress"]}


def _allow_dns() -> dict[str, Any]:
    return {
        "podSelector": {},
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": _labels(**{"kubernetes.io/metadata.name": "kube-system"}),
                        "podSelector": _labels(**{"k8s-app": "kube-dns"}),
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
        "policyTypes": ["Egress"],
    }


def _allow_same_namespace() -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}


_ALL = (
    Recipe(
        "allow-by-label",
        Words("Allow access by label"),
        Words("Only pods labelled app=busybox may reach the nginx pods (app=nginx), on TCP 80."),
        _allow_by_label,
        "access-nginx",
    ),
    Recipe(
        "allow-cidrs",
        Words("Allow CIDR blocks to an Internet-facing service"),
        Words(
            "Pods labelled app=busybox, the load-balancer health checks ({health_checks}) and a client "
            "range (replace {client} with your own) may reach nginx on TCP 80.",
            health_checks=HEALTH_CHECK_CIDR,
            client=CLIENT_CIDR_PLACEHOLDER,
        ),
        _allow_cidrs,
        "access-nginx",
    ),
    Recipe(
        "egress-to-ips",
        Words("Allow egress only to given addresses"),
        Words(
            "busybox may connect only to the listed addresses (replace {address}), plus DNS on UDP 53 anywhere.",
            address=EGRESS_IP_PLACEHOLDER,
        ),
        _egress_to_ips,
        "busybox-policy",
    ),
    Recipe(
        "deny-public-net",
        Words("Deny the public network for a namespace"),
        Words(
            "Every pod of the namespace may reach only the cluster's pods and the private ranges "
            "{private}; ingress stays open to all namespaces and 0.0.0.0/0.",
            private=Each(PRIVATE_CIDRS),
        ),
        _deny_public_net,
        "deny-public-net",
    ),
    Recipe(
        "default-deny-ingress",
        Words("Default deny ingress"),
        Words("No pod of the namespace accepts connections unless another policy allows them."),
        _default_deny_ingress,
        "default-deny-ingress",
    ),
    Recipe(
        "default-deny-egress",
        Words("Default deny egress"),
        Words(
            "No pod of the namespace opens connections unless another policy allows them "
            "(add the DNS recipe too, or names stop resolving)."
        ),
        _default_deny_egress,
        "default-deny-egress",
    ),
    Recipe(
        "allow-dns",
        Words("Allow DNS"),
        Words("Every pod of the namespace may query CoreDNS (kube-system, k8s-app=kube-dns) on UDP and TCP 53."),
        _allow_dns,
        "allow-dns",
    ),
    Recipe(
        "allow-same-namespace",
        Words("Allow traffic within the namespace"),
        Words("Pods of the namespace accept connections from every pod of the same namespace."),
        _allow_same_namespace,
        "allow-same-namespace",
    ),
)

RECIPES: dict[str, Recipe] = {r.name: r for r in _ALL}
"""Recipe name → Recipe, in gallery order (the reference's four scenarios first)."""
