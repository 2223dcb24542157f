"""What a change to a namespace or a workload means for the cluster's NetworkPolicies, said before
it is made: the policies whose namespaceSelector starts or stops selecting a namespace when its
labels change, and the policies that select no pod any more once a workload's pods are gone.
Pure: over policy models and (namespace, labels) of pods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.policies.model import NetworkPolicy, NetworkPolicyPeer, effective_policy_types
from app.policies.selectors import namespace_labels, selector_matches


@dataclass(frozen=True)
class SelectionChange:
    """Policies (``namespace/name``) whose namespaceSelector peers select the namespace only after
    the change (``starts``) or only before it (``stops``)."""

    starts: tuple[str, ...]
    stops: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.starts or self.stops)


def _namespace_peers(policy: NetworkPolicy) -> list[NetworkPolicyPeer]:
    spec = policy.spec
    peers = [p for rule in spec.ingress or [] for p in rule.from_ or []]
    peers += [p for rule in spec.egress or [] for p in rule.to or []]
    return [p for p in peers if p.namespace_selector is not None]


def _key(policy: NetworkPolicy) -> str:
    return f"{policy.metadata.namespace}/{policy.metadata.name}"


def namespace_relabel(
    name: str,
    before: Mapping[str, str] | None,
    after: Mapping[str, str] | None,
    policies: Iterable[NetworkPolicy],
) -> SelectionChange:
    """Which policies' namespaceSelectors start or stop selecting namespace ``name`` when its labels
    go from ``before`` to ``after`` (the API server's kubernetes.io/metadata.name label included)."""
    old, new = namespace_labels(name, before), namespace_labels(name, after)
    starts, stops = [], []
    for policy in policies:
        peers = _namespace_peers(policy)
        was = any(selector_matches(p.namespace_selector, old) for p in peers)
        now = any(selector_matches(p.namespace_selector, new) for p in peers)
        if now and not was:
            starts.append(_key(policy))
        elif was and not now:
            stops.append(_key(policy))
    return SelectionChange(tuple(sorted(starts)), tuple(sorted(stops)))


def left_selecting_nothing(
    namespace: str,
    going: Iterable[Mapping[str, str]],
    staying: Iterable[Mapping[str, str]],
    policies: Iterable[NetworkPolicy],
) -> list[str]:
    """The names of ``namespace``'s policies that select some of the pods ``going`` (their labels)
    and none of the pods ``staying`` in the namespace: after the deletion they select nothing."""
    going, staying = list(going), list(staying)
    orphaned = []
    for policy in policies:
        if policy.metadata.namespace != namespace:
            continue
        selector = policy.spec.pod_selector
        if any(selector_matches(selector, labels) for labels in going) and not any(
            selector_matches(selector, labels) for labels in staying
        ):
            orphaned.append(policy.metadata.name or "")
    return sorted(orphaned)


def default_deny(policies: Iterable[NetworkPolicy]) -> dict[str, list[str]]:
    """Per direction (``Ingress``, ``Egress``), the names of the given policies that deny it to
    every pod of their namespace: an empty podSelector, the direction in the effective policyTypes
    and no rule for it. (Other policies may still allow traffic: isolation is what this says.)"""
    found: dict[str, list[str]] = {"Ingress": [], "Egress": []}
    for policy in policies:
        spec = policy.spec
        if not spec.pod_selector.is_empty():
            continue
        for direction in effective_policy_types(spec):
            rules = spec.ingress if direction == "Ingress" else spec.egress
            if not rules and direction in found:
                found[direction].append(policy.metadata.name or "")
    return {direction: sorted(names) for direction, names in found.items()}
