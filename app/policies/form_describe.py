"""A NetworkPolicy in the page's words: one-line direction summaries and plain sentences.

``summarize_direction(policy, "Ingress")`` gives the list's Source/Destination column: "Not
restricted" (the direction is not in the effective policyTypes), "Deny all" (restricted, no
rules), "1 rule", "N rules". ``describe(policy)`` gives sentences for the review step and the
details page, as ``Words``: English that keeps its templates, so the pages can translate it.
Both read the policy as the API server would store it (defaults applied).
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
from app.policies.words import N_, Each, Either, Words


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
    return Words("1 rule") if count == 1 else Words("{count} rules", count=str(count))


# Whole sentences per direction, so that each can be translated as a whole.
_SENTENCES = {
    "Ingress": {
        "open": N_("Does not restrict ingress."),
        "ignored": N_("Its ingress rules are ignored: policyTypes does not include Ingress."),
        "deny": N_("Denies all ingress."),
        "peers ports": N_("Allows ingress from {peers} on {ports}."),
        "peers": N_("Allows ingress from {peers} on all ports."),
        "ports": N_("Allows ingress from anywhere on {ports}."),
        "all": N_("Allows ingress from anywhere on all ports."),
    },
    "Egress": {
        "open": N_("Does not restrict egress."),
        "ignored": N_("Its egress rules are ignored: policyTypes does not include Egress."),
        "deny": N_("Denies all egress."),
        "peers ports": N_("Allows egress to {peers} on {ports}."),
        "peers": N_("Allows egress to {peers} on all ports."),
        "ports": N_("Allows egress to anywhere on {ports}."),
        "all": N_("Allows egress to anywhere on all ports."),
    },
}


def _selector(selector: LabelSelector | None) -> tuple[str, str] | None:
    """("labels", "a=b, c=d") for plain labels, ("selector", "a in (x, y)") with expressions;
    None when the selector is empty (it selects everything)."""
    if selector is None or selector.is_empty():
        return None
    text = format_selector(selector).replace(",", ", ")
    return ("selector", text) if selector.match_expressions else ("labels", text)


def _peer_words(peer: NetworkPolicyPeer) -> Words:
    if peer.ip_block is not None:
        if peer.ip_block.except_:
            return Words(
                "IP addresses in {cidr} except {excepts}",
                cidr=peer.ip_block.cidr,
                excepts=Each(peer.ip_block.except_),
            )
        return Words("IP addresses in {cidr}", cidr=peer.ip_block.cidr)
    pods = _selector(peer.pod_selector)
    if peer.namespace_selector is None:
        if pods is None:
            return Words("all pods in the same namespace")
        if pods[0] == "labels":
            return Words("pods with labels {labels} in the same namespace", labels=pods[1])
        return Words("pods matching {selector} in the same namespace", selector=pods[1])
    chosen = _selector(peer.namespace_selector)
    if chosen is None:
        namespaces = Words("all namespaces")
    elif chosen[0] == "labels":
        namespaces = Words("namespaces with labels {labels}", labels=chosen[1])
    else:
        namespaces = Words("namespaces matching {selector}", selector=chosen[1])
    if pods is None:
        return Words("all pods in {namespaces}", namespaces=namespaces)
    if pods[0] == "labels":
        return Words("pods with labels {labels} in {namespaces}", labels=pods[1], namespaces=namespaces)
    return Words("pods matching {selector} in {namespaces}", selector=pods[1], namespaces=namespaces)


def _port_words(port: NetworkPolicyPort) -> str:
    protocol = port.protocol or "TCP"
    if port.port is None:
        return Words("all {protocol} ports", protocol=protocol)
    if isinstance(port.port, str):
        return Words("{protocol} port named {name}", protocol=protocol, name=port.port)
    if port.end_port is not None and port.end_port != port.port:
        return f"{protocol} {port.port}-{port.end_port}"
    return f"{protocol} {port.port}"


def describe(policy: NetworkPolicy) -> list[Words]:
    """The policy in plain sentences, e.g.
    ``["Applies to pods in namespace default with labels app=nginx.",
    "Allows ingress from pods with labels app=busybox in the same namespace on TCP 80.",
    "Denies all egress."]``: English strings that keep their templates (``app.policies.words``),
    so the pages can say them in their own language."""
    where = (
        Words("in namespace {namespace}", namespace=policy.namespace)
        if policy.namespace
        else Words("in the policy's namespace")
    )
    pods = _selector(policy.spec.pod_selector)
    if pods is None:
        sentences = [Words("Applies to all pods {where}.", where=where)]
    elif pods[0] == "labels":
        sentences = [Words("Applies to pods {where} with labels {labels}.", where=where, labels=pods[1])]
    else:
        sentences = [Words("Applies to pods {where} matching {selector}.", where=where, selector=pods[1])]
    types = effective_policy_types(policy.spec)
    for direction, said in _SENTENCES.items():
        rules = _rules(policy, direction)
        if direction not in types:
            sentences.append(Words(said["open"]))
            if rules:
                sentences.append(Words(said["ignored"]))
            continue
        if not rules:
            sentences.append(Words(said["deny"]))
            continue
        for rule in rules:
            peers = (rule.from_ if direction == "Ingress" else rule.to) or []
            ports = rule.ports or []
            params = {}
            if peers:
                params["peers"] = Either(_peer_words(p) for p in peers)
            if ports:
                params["ports"] = Either(_port_words(p) for p in ports)
            sentences.append(Words(said[" ".join(params) or "all"], **params))
    return sentences
