"""A NetworkPolicy in the page's words: one-line direction summaries and plain English sentences.

``summarize_direction(policy, "Ingress")`` gives the list's Source/Destination column: "Not
restricted" (the direction is not in the effective policyTypes), "Deny all" (restricted, no
rules), "1 rule", "N rules". ``describe(policy)`` gives sentences for the review step and the
details page. Both read the policy as the API server would store it (defaults applied).
"""

from __future__ import annotations

from app.policies.model import (
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    effective_policy_types,
)
from app.policies.selectors import format_selector


def _rules(policy: NetworkPolicy, direction: str) -> list:
    spec = policy.spec
    return list((spec.ingress if direction == "Ingress" else spec.egress) or [])


def summarize_direction(policy: NetworkPolicy, direction: str) -> str:
    """ "Not restricted", "Deny all", "1 rule" or "N rules" for ``direction`` Ingress or Egress."""
    if direction not in ("Ingress", "Egress"):
        raise ValueError(f"direction must be Ingress or Egress, not {direction!r}")
    if direction not in effective_policy_types(policy.spec):
        return "Not restricted"
    count = len(_rules(policy, direction))
    if count == 0:
        return "Deny all"
    return "1 rule" if count == 1 else f"{count} rules"


def _selector_words(selector: LabelSelector | None) -> str:
    """ "with labels a=b" for plain labels, "matching a in (x,y)" with expressions; "" when empty."""
    if selector is None or selector.is_empty():
        return ""
    text = format_selector(selector).replace(",", ", ")
    return f"matching {text}" if selector.match_expressions else f"with labels {text}"


def _peer_words(peer: NetworkPolicyPeer) -> str:
    if peer.ip_block is not None:
        text = f"IP addresses in {peer.ip_block.cidr}"
        if peer.ip_block.except_:
            text += " except " + ", ".join(peer.ip_block.except_)
        return text
    pods = _selector_words(peer.pod_selector)
    pod_part = f"pods {pods}" if pods else "all pods"
    if peer.namespace_selector is None:
        return f"{pod_part} in the same namespace"
    namespaces = _selector_words(peer.namespace_selector)
    ns_part = f"namespaces {namespaces}" if namespaces else "all namespaces"
    return f"{pod_part} in {ns_part}"


def _port_words(port: NetworkPolicyPort) -> str:
    protocol = port.protocol or "TCP"
    if port.port is None:
        return f"all {protocol} ports"
    if isinstance(port.port, str):
        return f"{protocol} port named {port.port}"
    if port.end_port is not None and port.end_port != port.port:
        return f"{protocol} {port.port}-{port.end_port}"
    return f"{protocol} {port.port}"


def _or(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def describe(policy: NetworkPolicy) -> list[str]:
    """The policy in plain English sentences, e.g.
    ``["Applies to pods in namespace default with labels app=nginx.",
    "Allows ingress from pods with labels app=busybox in the same namespace on TCP 80.",
    "Denies all egress."]``."""
    namespace = f"namespace {policy.namespace}" if policy.namespace else "the policy's namespace"
    pods = _selector_words(policy.spec.pod_selector)
    if pods:
        sentences = [f"Applies to pods in {namespace} {pods}."]
    else:
        sentences = [f"Applies to all pods in {namespace}."]
    types = effective_policy_types(policy.spec)
    for direction, word, preposition in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        rules = _rules(policy, direction)
        if direction not in types:
            sentences.append(f"Does not restrict {word}.")
            if rules:
                sentences.append(f"Its {word} rules are ignored: policyTypes does not include {direction}.")
            continue
        if not rules:
            sentences.append(f"Denies all {word}.")
            continue
        for rule in rules:
            peers = rule.from_ if direction == "Ingress" else rule.to
            where = (
                f"{preposition} " + _or([_peer_words(p) for p in peers])
                if peers
                else f"{preposition} anywhere"
            )
            ports = rule.ports or []
            how = "on " + _or([_port_words(p) for p in ports]) if ports else "on all ports"
            sentences.append(f"Allows {word} {where} {how}.")
    return sentences
