"""Hypothesis strategies for VALID networking.k8s.io/v1 NetworkPolicy dicts (as JSON decodes them).

Valid means the API server (pkg/apis/networking/validation) accepts them: DNS-1123 names,
qualified label keys and label values, selector operators with the values they require, peers
that are podSelector and/or namespaceSelector or a lone ipBlock whose except entries are strict
subsets of its cidr, ports with TCP/UDP/SCTP, numbers 1-65535 or IANA service names, endPort
only after a numeric port and not below it, and at most two policyTypes from Ingress/Egress.
The shapes vary the way real objects do: omitted vs empty lists and maps, ``{}`` rules,
explicit or omitted policyTypes and protocols, and metadata with labels, annotations,
resourceVersion and unknown keys.

Public: ``network_policies()``; also ``label_selectors()``, ``peers()``, ``ports()``,
``dns_labels``, ``dns_subdomains``, ``label_keys``, ``label_values``, ``port_names``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import strategies as st

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"

dns_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
dns_subdomains = st.lists(dns_labels, min_size=1, max_size=3).map(".".join)
_label_name = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,12}[A-Za-z0-9])?", fullmatch=True)
label_keys = st.one_of(
    _label_name,
    st.tuples(dns_subdomains, _label_name).map(lambda t: f"{t[0]}/{t[1]}"),
    st.sampled_from(["app", "run", "access", "kubernetes.io/metadata.name", "app.kubernetes.io/name"]),
)
label_values = st.one_of(st.just(""), _label_name, st.sampled_from(["nginx", "busybox", "true"]))
port_names = st.from_regex(r"[a-z]([a-z0-9]|-(?=[a-z0-9])){0,14}", fullmatch=True).filter(
    lambda s: len(s) <= 15 and not s.endswith("-")
)
label_maps = st.dictionaries(label_keys, label_values, max_size=3)


@st.composite
def _expressions(draw: st.DrawFn) -> dict[str, Any]:
    operator = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
    expr: dict[str, Any] = {"key": draw(label_keys), "operator": operator}
    if operator in ("In", "NotIn"):
        expr["values"] = draw(st.lists(label_values, min_size=1, max_size=3))
    elif draw(st.booleans()):
        expr["values"] = []
    return expr


@st.composite
def label_selectors(draw: st.DrawFn) -> dict[str, Any]:
    """A LabelSelector: ``{}``, matchLabels (maybe ``{}``), matchExpressions (maybe ``[]``), or both."""
    sel: dict[str, Any] = {}
    if draw(st.booleans()):
        sel["matchLabels"] = draw(label_maps)
    if draw(st.integers(0, 3)) == 0:
        sel["matchExpressions"] = draw(st.lists(_expressions(), max_size=2))
    return sel


@st.composite
def _ip_blocks(draw: st.DrawFn) -> dict[str, Any]:
    v6 = draw(st.integers(0, 4)) == 0
    network = ipaddress.IPv6Network if v6 else ipaddress.IPv4Network
    bits = 128 if v6 else 32
    prefix = draw(st.integers(0, bits - 1))

    def masked(addr: int, length: int) -> Any:
        return network((addr >> (bits - length) << (bits - length), length))

    net = masked(draw(st.integers(0, 2**bits - 1)), prefix)
    block: dict[str, Any] = {"cidr": str(net)}
    count = draw(st.integers(0, 3))
    if count or draw(st.integers(0, 3)) == 0:
        excepts = []
        for _ in range(count):
            sub_prefix = draw(st.integers(prefix + 1, bits))
            offset = draw(st.integers(0, 2 ** (bits - prefix) - 1))
            addr = int(net.network_address) + offset
            excepts.append(str(masked(addr, sub_prefix)))
        block["except"] = excepts
    return block


@st.composite
def peers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pod", "namespace", "both", "ipBlock"]))
    if kind == "ipBlock":
        return {"ipBlock": draw(_ip_blocks())}
    peer: dict[str, Any] = {}
    if kind in ("pod", "both"):
        peer["podSelector"] = draw(label_selectors())
    if kind in ("namespace", "both"):
        peer["namespaceSelector"] = draw(label_selectors())
    return peer


@st.composite
def ports(draw: st.DrawFn) -> dict[str, Any]:
    port: dict[str, Any] = {}
    if draw(st.booleans()):
        port["protocol"] = draw(st.sampled_from(["TCP", "UDP", "SCTP"]))
    shape = draw(st.sampled_from(["none", "number", "range", "name"]))
    if shape in ("number", "range"):
        port["port"] = draw(st.integers(1, 65535))
        if shape == "range":
            port["endPort"] = draw(st.integers(port["port"], 65535))
    elif shape == "name":
        port["port"] = draw(port_names)
    return port


@st.composite
def _rules(draw: st.DrawFn, peers_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.booleans()):
        rule["ports"] = draw(st.lists(ports(), max_size=3))
    if draw(st.integers(0, 3)) > 0:
        rule[peers_key] = draw(st.lists(peers(), max_size=3))
    return rule


_POLICY_TYPES = st.sampled_from(
    [[], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"], ["Egress", "Egress"]]
)


TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


@st.composite
def _metadata(draw: st.DrawFn) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if draw(st.integers(0, 9)) == 0:
        meta["generateName"] = draw(dns_labels) + "-"
    else:
        meta["name"] = draw(dns_subdomains)
    if draw(st.booleans()):
        meta["namespace"] = draw(dns_labels)
    if draw(st.booleans()):
        meta["labels"] = draw(label_maps)
    if draw(st.booleans()):
        # any text but NUL and lone surrogates, which the console refuses in every input
        # (test_form.py: a form post carrying them is refused at its field, not stored)
        meta["annotations"] = draw(st.dictionaries(label_keys, st.text(TEXT, max_size=20), max_size=2))
    if draw(st.booleans()):
        meta["resourceVersion"] = str(draw(st.integers(1, 10**9)))
        meta["uid"] = "0b5d3f4e-0000-4000-8000-000000000001"
        meta["generation"] = draw(st.integers(1, 20))
        meta["creationTimestamp"] = "2024-05-01T10:00:00Z"
    if draw(st.integers(0, 4)) == 0:
        meta["managedFields"] = [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {}}}]
        meta["finalizers"] = ["example.com/keep"]
    return meta


@st.composite
def network_policies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid NetworkPolicy as a JSON dict."""
    obj: dict[str, Any] = {}
    if draw(st.integers(0, 9)) > 0:
        obj["apiVersion"] = "networking.k8s.io/v1"
        obj["kind"] = "NetworkPolicy"
    obj["metadata"] = draw(_metadata())
    if draw(st.integers(0, 9)) == 0:
        obj["status"] = {}
    if draw(st.integers(0, 14)) == 0:
        return obj  # no spec at all: selects every pod, denies ingress
    spec: dict[str, Any] = {}
    if draw(st.integers(0, 5)) > 0:
        spec["podSelector"] = draw(label_selectors())
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        if draw(st.booleans()):
            spec[key] = draw(st.lists(_rules(peers_key), max_size=3))
    if draw(st.booleans()):
        spec["policyTypes"] = draw(_POLICY_TYPES)
    obj["spec"] = spec
    return obj
