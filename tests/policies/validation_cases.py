"""The NetworkPolicy validation cases: one table, read by two tests.

``test_validation.py`` holds our validator to the expectations written here (upstream's facts);
``test_upstream_agreement.py`` sends every case to the real API server (the sandbox, upstream
Kubernetes v1.36.3 with its default feature gates, StrictIPCIDRValidation among them) and holds
our validator to the server's answer. A case the server cannot be sent names its reason in
``NOT_SENDABLE``.

The success and failure cases are those of kubernetes/kubernetes
pkg/apis/networking/validation/validation_test.go (TestValidateNetworkPolicy,
TestValidateNetworkPolicyUpdate), with the field path and type each failure must carry; the CIDR
cases are those of apimachinery's util/validation/ip_test.go (TestIsValidCIDR, TestGetWarningsForCIDR).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

REQ, INV, FORB, NSUP, TOOLONG = (
    "FieldValueRequired",
    "FieldValueInvalid",
    "FieldValueForbidden",
    "FieldValueNotSupported",
    "FieldValueTooLong",
)
BAD_SELECTOR = {"NoUppercaseOrSpecialCharsLike=Equals": "b"}
IPV4_BLOCK = {"cidr": "192.168.0.0/16", "except": ["192.168.3.0/24", "192.168.4.0/24"]}
IPV6_BLOCK = {"cidr": "fd00:192:168::/48", "except": ["fd00:192:168:3::/64", "fd00:192:168:4::/64"]}
NS_CD = {"namespaceSelector": {"matchLabels": {"c": "d"}}}
INGRESS_PORTS = [
    {"port": 80},
    {"protocol": "TCP"},
    {"protocol": "TCP", "port": 443},
    {"protocol": "UDP", "port": "dns"},
    {"protocol": "SCTP", "port": 7777},
]
Fields = list[tuple[str, str]]


def policy_dict(spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    """upstream makeValidNetworkPolicy: foo/bar selecting a=b, with the spec fields given.
    A metadata key given as ``None`` is left out."""
    metadata = {k: v for k, v in {"name": "foo", "namespace": "bar", **meta}.items() if v is not None}
    body = {"podSelector": {"matchLabels": {"a": "b"}}, **(spec or {})}
    return {"metadata": metadata, "spec": copy.deepcopy(body)}


def from_block(block: dict[str, Any]) -> dict[str, Any]:
    return {"ingress": [{"from": [{"ipBlock": block}]}]}


def egress_ns(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"egress": [{"to": [NS_CD], "ports": ports}]}


# --- create: valid -------------------------------------------------------------------------------

SUCCESS_SPECS: dict[str, dict[str, Any]] = {
    "empty ingress rule": {"ingress": [{}]},
    "empty from and ports": {"ingress": [{"from": [], "ports": []}]},
    "ingress ports": {"ingress": [{"ports": INGRESS_PORTS}]},
    "from podSelector": {"ingress": [{"from": [{"podSelector": {"matchLabels": {"c": "d"}}}]}]},
    "from namespaceSelector": {"ingress": [{"from": [NS_CD]}]},
    "from namespaceSelector and podSelector": {
        "ingress": [{"from": [{**NS_CD, "podSelector": {"matchLabels": {"e": "f"}}}]}]
    },
    "egress namespace, ingress ipBlock": {
        "egress": [{"to": [NS_CD]}],
        "ingress": [{"from": [{"ipBlock": IPV4_BLOCK}]}],
    },
    "from ipBlock": {"ingress": [{"from": [{"ipBlock": IPV4_BLOCK}]}]},
    "egress ipBlock, Egress": {"egress": [{"to": [{"ipBlock": IPV4_BLOCK}]}], "policyTypes": ["Egress"]},
    "egress ipBlock, both types": {
        "egress": [{"to": [{"ipBlock": IPV4_BLOCK}]}],
        "policyTypes": ["Ingress", "Egress"],
    },
    "egress ports": {"egress": [{"ports": INGRESS_PORTS}]},
    "egress namespace, ingress ipv6": {
        "egress": [{"to": [NS_CD]}],
        "ingress": [{"from": [{"ipBlock": IPV6_BLOCK}]}],
    },
    "from ipv6 ipBlock": {"ingress": [{"from": [{"ipBlock": IPV6_BLOCK}]}]},
    "egress ipv6, Egress": {"egress": [{"to": [{"ipBlock": IPV6_BLOCK}]}], "policyTypes": ["Egress"]},
    "egress ipv6, both types": {
        "egress": [{"to": [{"ipBlock": IPV6_BLOCK}]}],
        "policyTypes": ["Ingress", "Egress"],
    },
    "egress UDP and a high range": {
        "egress": [{"ports": [{"port": 32000, "endPort": 32768}, {"protocol": "UDP", "port": "dns"}]}]
    },
    "ranges both ways": {
        "egress": [{"to": [NS_CD], "ports": [{"port": 30000, "endPort": 32768}, {"port": 32000, "endPort": 32768}]}],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"e": "f"}}}],
                "ports": [{"protocol": "TCP", "port": 32768, "endPort": 32768}],
            }
        ],
    },
    "matchExpressions": {
        "podSelector": {
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": ["web", "api"]},
                {"key": "example.com/tier", "operator": "Exists"},
            ]
        }
    },
    "empty pod selector, no rules": {"podSelector": {}},
    # A port without protocol is TCP and empty policyTypes are defaulted: neither is an error.
    "defaults applied before validation": {"ingress": [{"ports": [{"port": 80}]}], "policyTypes": []},
}

# --- create: invalid, with the (path, type) of each error in upstream's order ---------------------

EP = "spec.egress[0].ports"
CIDR = "spec.ingress[0].from[0].ipBlock.cidr"
EXCEPT = "spec.ingress[0].from[0].ipBlock.except"
ERROR_CASES: dict[str, tuple[dict[str, Any], Fields]] = {
    "namespaceSelector and ipBlock": (
        {"ingress": [{"from": [{**NS_CD, "ipBlock": IPV4_BLOCK}]}]},
        [("spec.ingress[0].from[0]", FORB)],
    ),
    "podSelector and ipBlock": (
        {"egress": [{"to": [{"podSelector": {"matchLabels": {"c": "d"}}, "ipBlock": IPV4_BLOCK}]}]},
        [("spec.egress[0].to[0]", FORB)],
    ),
    "missing from and to type": (
        {"ingress": [{"from": [{}]}], "egress": [{"to": [{}]}]},
        [("spec.ingress[0].from[0]", REQ), ("spec.egress[0].to[0]", REQ)],
    ),
    "invalid spec.podSelector": (
        {"podSelector": {"matchLabels": BAD_SELECTOR}, "ingress": [{"from": [NS_CD]}]},
        [("spec.podSelector.matchLabels", INV)],
    ),
    "invalid ingress.ports.protocol": (
        {"ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
        [("spec.ingress[0].ports[0].protocol", NSUP)],
    ),
    "invalid ingress.ports.port (int)": (
        {"ingress": [{"ports": [{"protocol": "TCP", "port": 123456789}]}]},
        [("spec.ingress[0].ports[0].port", INV)],
    ),
    "invalid ingress.ports.port (str)": (
        {"ingress": [{"ports": [{"protocol": "TCP", "port": "!@#$"}]}]},
        [("spec.ingress[0].ports[0].port", INV)] * 2,
    ),
    "invalid ingress.from.podSelector": (
        {"ingress": [{"from": [{"podSelector": {"matchLabels": BAD_SELECTOR}}]}]},
        [("spec.ingress[0].from[0].podSelector.matchLabels", INV)],
    ),
    "invalid egress.to.podSelector": (
        {"egress": [{"to": [{"podSelector": {"matchLabels": BAD_SELECTOR}}]}]},
        [("spec.egress[0].to[0].podSelector.matchLabels", INV)],
    ),
    "invalid egress.ports.protocol": (
        {"egress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
        [(f"{EP}[0].protocol", NSUP)],
    ),
    "invalid egress.ports.port (int)": (
        {"egress": [{"ports": [{"protocol": "TCP", "port": 123456789}]}]},
        [(f"{EP}[0].port", INV)],
    ),
    "invalid egress.ports.port (str)": (
        {"egress": [{"ports": [{"protocol": "TCP", "port": "!@#$"}]}]},
        [(f"{EP}[0].port", INV)] * 2,
    ),
    "invalid ingress.from.namespaceSelector": (
        {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": BAD_SELECTOR}}]}]},
        [("spec.ingress[0].from[0].namespaceSelector.matchLabels", INV)],
    ),
    "missing cidr field": (from_block({**IPV4_BLOCK, "cidr": ""}), [(CIDR, REQ)]),
    "invalid cidr format": (from_block({**IPV4_BLOCK, "cidr": "192.168.5.6"}), [(CIDR, INV)]),
    "invalid ipv6 cidr format": (from_block({**IPV6_BLOCK, "cidr": "fd00:192:168::"}), [(CIDR, INV)]),
    "legacy cidr format with strict validation": (
        from_block({**IPV4_BLOCK, "cidr": "001.002.003.000/0"}),
        [(CIDR, INV)],
    ),
    "except field is an empty string": (
        from_block({**IPV4_BLOCK, "except": ["", " "]}),
        [(f"{EXCEPT}[0]", INV), (f"{EXCEPT}[1]", INV)],
    ),
    "except field is an invalid ip": (
        from_block({**IPV4_BLOCK, "except": ["300.300.300.300"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "except IP is outside of CIDR range": (
        from_block({"cidr": "192.168.8.0/24", "except": ["192.168.9.1/32"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "except IP is outside of CIDR range and has bits set": (
        from_block({"cidr": "192.168.8.0/24", "except": ["192.168.9.1/24"]}),
        [(f"{EXCEPT}[0]", INV), (f"{EXCEPT}[0]", INV)],
    ),
    "except IP is not strictly within CIDR range": (
        from_block({"cidr": "192.168.0.0/24", "except": ["192.168.0.0/24"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "except IPv6 is outside of CIDR range": (
        from_block({"cidr": "fd00:192:168:1::/64", "except": ["fd00:192:168:2::/64"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    # The except rule reads a cidr with bits set as its network: 10.1.0.0/16 lies inside 10.0.0.1/8.
    "cidr with bits set, except inside its network": (
        from_block({"cidr": "10.0.0.1/8", "except": ["10.1.0.0/16"]}),
        [(CIDR, INV)],
    ),
    "invalid policyTypes": (
        {"egress": [{"to": [{"ipBlock": IPV4_BLOCK}]}], "policyTypes": ["foo", "bar"]},
        [("spec.policyTypes[0]", NSUP), ("spec.policyTypes[1]", NSUP)],
    ),
    "too many policyTypes": (
        {"egress": [{"to": [{"ipBlock": IPV4_BLOCK}]}], "policyTypes": ["foo", "bar", "baz"]},
        [("spec.policyTypes", INV)],
    ),
    "multiple ports defined, one port range is invalid": (
        egress_ns([{"protocol": "UDP", "port": 35000, "endPort": 32768}, {"port": 32000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "endPort defined with named/string port": (
        egress_ns([{"protocol": "UDP", "port": "dns", "endPort": 32768}, {"port": 32000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "endPort defined without port defined": (
        egress_ns([{"protocol": "TCP", "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "port is greater than endPort": (
        egress_ns([{"protocol": "SCTP", "port": 33000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "multiple invalid port ranges defined": (
        egress_ns(
            [
                {"protocol": "UDP", "port": 35000, "endPort": 32768},
                {"protocol": "TCP", "endPort": 32768},
                {"protocol": "TCP", "port": "https", "endPort": 32768},
            ]
        ),
        [(f"{EP}[0].endPort", INV), (f"{EP}[1].endPort", INV), (f"{EP}[2].endPort", INV)],
    ),
    "invalid endport range defined": (
        egress_ns([{"protocol": "TCP", "port": 30000, "endPort": 65537}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    # beyond upstream's table: the selector requirement rules and port zero
    "matchExpressions rules": (
        {
            "podSelector": {
                "matchExpressions": [
                    {"key": "a", "operator": "In"},
                    {"key": "b", "operator": "Exists", "values": ["x"]},
                    {"key": "c", "operator": "Equals", "values": ["x"]},
                    {"key": "-bad", "operator": "NotIn", "values": ["ok", "not ok"]},
                ]
            }
        },
        [
            ("spec.podSelector.matchExpressions[0].values", REQ),
            ("spec.podSelector.matchExpressions[1].values", FORB),
            ("spec.podSelector.matchExpressions[2].operator", INV),
            ("spec.podSelector.matchExpressions[3].key", INV),
            ("spec.podSelector.matchExpressions[3].values[1]", INV),
        ],
    ),
    "port zero": ({"ingress": [{"ports": [{"port": 0}]}]}, [("spec.ingress[0].ports[0].port", INV)]),
    "empty protocol": (
        {"ingress": [{"ports": [{"protocol": ""}]}]},
        [("spec.ingress[0].ports[0].protocol", NSUP)],
    ),
}

# --- create: the API server's words for one error -----------------------------------------------

MESSAGE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unsupported protocol": (
        {"ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
        'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    ),
    "port out of range": (
        {"ingress": [{"ports": [{"port": 123456789}]}]},
        "Invalid value: 123456789: must be between 1 and 65535, inclusive",
    ),
    # upstream reports the port, not the endPort, as the value
    "endPort below port": (
        egress_ns([{"port": 33000, "endPort": 32768}]),
        "Invalid value: 33000: must be greater than or equal to `port`",
    ),
    "endPort with named port": (
        egress_ns([{"port": "dns", "endPort": 32768}]),
        "Invalid value: 32768: may not be specified when `port` is non-numeric",
    ),
    "endPort without port": (
        egress_ns([{"endPort": 32768}]),
        "Invalid value: 32768: may not be specified when `port` is not specified",
    ),
    "empty peer": ({"ingress": [{"from": [{}]}]}, "Required value: must specify a peer"),
    "ipBlock and another peer": (
        {"ingress": [{"from": [{**NS_CD, "ipBlock": IPV4_BLOCK}]}]},
        "Forbidden: may not specify both ipBlock and another peer",
    ),
    "empty cidr": (from_block({"cidr": ""}), "Required value"),
    "unparseable cidr": (
        from_block({"cidr": "10.0.0.0/33"}),
        'Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ),
    "cidr with bits set": (
        from_block({"cidr": "10.0.0.1/8"}),
        'Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length',
    ),
    "cidr with leading zeros": (
        from_block({"cidr": "010.0.0.0/8"}),
        'Invalid value: "010.0.0.0/8": must not have leading 0s in IP or prefix length',
    ),
    "cidr with a leading zero in the prefix length": (
        from_block({"cidr": "10.0.0.0/08"}),
        'Invalid value: "10.0.0.0/08": must not have leading 0s in IP or prefix length',
    ),
    "IPv4-mapped IPv6 cidr": (
        from_block({"cidr": "::ffff:10.0.0.0/104"}),
        'Invalid value: "::ffff:10.0.0.0/104": must not have an IPv4-mapped IPv6 address',
    ),
    "except not a strict subset": (
        from_block({"cidr": "192.168.0.0/24", "except": ["192.168.0.0/24"]}),
        'Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
    ),
    "too many policyTypes": (
        {"policyTypes": ["foo", "bar", "baz"]},
        'Invalid value: ["foo","bar","baz"]: may not specify more than two policyTypes',
    ),
    "unsupported policyType": (
        {"policyTypes": ["Ingress", "foo"]},
        'Unsupported value: "foo": supported values: "Ingress", "Egress"',
    ),
}

# --- create: ObjectMeta rules for a namespaced kind ----------------------------------------------

META_CASES: dict[str, tuple[dict[str, Any], Fields]] = {
    "no namespace": ({"namespace": None}, [("metadata.namespace", REQ)]),
    "empty namespace": ({"namespace": ""}, [("metadata.namespace", REQ)]),
    "uppercase namespace": ({"namespace": "Bar"}, [("metadata.namespace", INV)]),
    "dotted namespace": ({"namespace": "a.b"}, [("metadata.namespace", INV)]),
    "no name": ({"name": None}, [("metadata.name", REQ)]),
    "bad name": ({"name": "Foo_1"}, [("metadata.name", INV)]),
    "long name": ({"name": "a" * 254}, [("metadata.name", INV)]),
    "dotted name": ({"name": "web.example"}, []),
    "generateName": ({"name": None, "generateName": "web-"}, []),
    "bad generateName": (
        {"name": None, "generateName": "Web-"},
        [("metadata.generateName", INV), ("metadata.name", INV)],
    ),
    "bad labels": ({"labels": {"app": "web", "bad key": "x", "k": "bad value"}}, [("metadata.labels", INV)] * 2),
    "annotation key in any case": ({"annotations": {"Example.COM/Note": "any text at all"}}, []),
    "bad annotation key": ({"annotations": {"no spaces allowed": "x"}}, [("metadata.annotations", INV)]),
    "annotations too big": ({"annotations": {"big": "x" * (256 * 1024)}}, [("metadata.annotations", TOOLONG)]),
    # PrepareForCreate sets generation to 1 before validation: what a client sends does not count.
    "negative generation": ({"generation": -1}, []),
}

# metadata first, then podSelector, ingress (ports, then peers), egress, policyTypes
ORDER_CASE = policy_dict(
    {
        "podSelector": {"matchLabels": BAD_SELECTOR},
        "ingress": [{"from": [{}], "ports": [{"port": 0}]}],
        "egress": [{"to": [{}], "ports": [{"protocol": "ICMP"}]}],
        "policyTypes": ["Sideways"],
    },
    name="Foo_1",
)
ORDER_FIELDS = [
    "metadata.name",
    "spec.podSelector.matchLabels",
    "spec.ingress[0].ports[0].port",
    "spec.ingress[0].from[0]",
    "spec.egress[0].ports[0].protocol",
    "spec.egress[0].to[0]",
    "spec.policyTypes[0]",
]

# --- create: warnings (only an accepted object gets any) ------------------------------------------

WARNING_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "non-canonical IPv6 in cidr and except, ingress and egress": (
        {
            "ingress": [{"from": [NS_CD, {"ipBlock": {"cidr": "2001:DB8::/32", "except": ["2001:DB8:1::/48"]}}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "fd00:0:0:0::/64"}}]}],
        },
        [
            'spec.ingress[0].from[1].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 '
            'canonical format ("2001:db8::/32")',
            'spec.ingress[0].from[1].ipBlock.except[0]: IPv6 CIDR value "2001:DB8:1::/48" should be in '
            'RFC 5952 canonical format ("2001:db8:1::/48")',
            'spec.egress[0].to[0].ipBlock.cidr: IPv6 CIDR value "fd00:0:0:0::/64" should be in RFC 5952 '
            'canonical format ("fd00::/64")',
        ],
    ),
    # An invalid object is refused before the API server looks for warnings.
    "an invalid object gets no warnings": (
        {"ingress": [{"from": [{"ipBlock": {"cidr": "2001:DB8::/32"}}, {}]}]},
        [],
    ),
}

# --- CIDRs: each as one ipBlock cidr -------------------------------------------------------------

STRICT_OK = [
    "1.0.0.0/8", "0.0.0.0/0", "1.1.1.1/32", "2001:4860:4860::/48", "::/0", "::1/128",
    "2a00:79e0:2:0::/64", "2001:DB8::/64", "0001:db8::/32",  # non-canonical IPv6: valid, with a warning
]  # fmt: skip
# Parsed by the lenient (ParseCIDRSloppy) parser, refused by strict validation: each with its detail.
STRICT_BAD = {
    "1.1.01.0/24": "must not have leading 0s in IP or prefix length",
    "192.168.0.0/016": "must not have leading 0s in IP or prefix length",
    "::ffff:1.1.1.0/24": "must not have an IPv4-mapped IPv6 address",
    "::ffff:1.1.1.0/120": "must not have an IPv4-mapped IPv6 address",
    "1.2.3.4/24": "must not have bits set beyond the prefix length",
    "2001:db8::1/64": "must not have bits set beyond the prefix length",
    "00001:db8::/32": "must not have leading 0s in IP or prefix length",  # five hex digits
    "192.012.2.8/24": "must not have leading 0s in IP or prefix length",
}
UNPARSEABLE = [
    "", "aaaaaaa", "1.2.3.4", "192.168.0.1/healthz", "192.168.0.1/0/99", "192.168.0.0/-16",
    "192.168.0.0/+16", "10.0.0.0/33", "2001:db8::/129", "1.2.3.400/24", "fd00::1%eth0/64", " 10.0.0.0/8",
]  # fmt: skip

# GetWarningsForCIDR at upstream's example path; with strict validation only the last two can
# reach a client on create, the others only for a CIDR kept from the old object on update.
WP = "spec.loadBalancerSourceRanges[0]"
CIDR_WARNINGS: dict[str, list[str]] = {
    "192.12.2.0/24": [],
    "2001:db8::/64": [],
    "192.012.2.0/24": [f'{WP}: non-standard CIDR value "192.012.2.0/24" is invalid: use "192.12.2.0/24"'],
    "192.12.2.0/024": [f'{WP}: non-standard CIDR value "192.12.2.0/024" is invalid: use "192.12.2.0/24"'],
    "::ffff:192.12.2.0/120": [f'{WP}: non-standard CIDR value "::ffff:192.12.2.0/120" is invalid: use "192.12.2.0/24"'],
    "192.12.2.8/24": [
        f'{WP}: CIDR value "192.12.2.8/24" is ambiguous in this context (should be "192.12.2.0/24" or "192.12.2.8/32"?)'
    ],
    "192.012.2.8/24": [
        f'{WP}: CIDR value "192.012.2.8/24" is ambiguous in this context '
        '(should be "192.12.2.0/24" or "192.12.2.8/32"?)',
        f'{WP}: non-standard CIDR value "192.012.2.8/24" is invalid: use "192.12.2.0/24"',
    ],
    "2001:db8:0:0::/64": [
        f'{WP}: IPv6 CIDR value "2001:db8:0:0::/64" should be in RFC 5952 canonical format ("2001:db8::/64")'
    ],
    "2001:DB8::/64": [
        f'{WP}: IPv6 CIDR value "2001:DB8::/64" should be in RFC 5952 canonical format ("2001:db8::/64")'
    ],
}

# --- update ---------------------------------------------------------------------------------------

OLD_BAD_CIDR = from_block({"cidr": "192.168.0.0/16", "except": ["192.168.2.0/24", "192.168.3.1/24"]})
BAD_VALUES = {"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["not valid!"]}]}}
SERVER_META = {"uid": "u-1", "resourceVersion": "7", "creationTimestamp": "2024-01-01T00:00:00Z", "generation": 3}


@dataclass(frozen=True)
class UpdateCase:
    """An update from ``old`` (as stored) to ``new`` (as sent), the errors it must carry and the
    warnings it must give. ``uid``, ``resourceVersion`` and ``creationTimestamp`` in ``new``
    equal to ``old``'s stand for the stored object's own values."""

    old: dict[str, Any]
    new: dict[str, Any]
    expected: Fields = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


UPDATE_CASES: dict[str, UpdateCase] = {
    "unchanged": UpdateCase(
        policy_dict({"ingress": []}, resourceVersion="1"), policy_dict({"ingress": []}, resourceVersion="1")
    ),
    "pod selector from empty to a=b": UpdateCase(
        policy_dict({"podSelector": {}, "ingress": []}, resourceVersion="1"),
        policy_dict({"ingress": []}, resourceVersion="1"),
    ),
    "name and namespace are immutable": UpdateCase(
        policy_dict({"podSelector": {}}, resourceVersion="1"),
        policy_dict({"podSelector": {}}, name="baz", namespace="other", resourceVersion="1"),
        [("metadata.name", INV), ("metadata.namespace", INV)],
    ),
    # kubectl replace sends no uid; an update without resourceVersion is unconditional.
    "server-managed metadata filled from the old object": UpdateCase(policy_dict(**SERVER_META), policy_dict()),
    "uid is immutable": UpdateCase(policy_dict(**SERVER_META), policy_dict(uid="u-2"), [("metadata.uid", INV)]),
    "new spec and labels validated": UpdateCase(
        policy_dict(resourceVersion="1"),
        policy_dict({"ingress": [{"from": [{}]}]}, resourceVersion="1", labels={"a b": "c"}),
        [("metadata.labels", INV), ("spec.ingress[0].from[0]", REQ)],
    ),
    # ValidationOptionsForNetworking: an old pod selector that fails validation lets values pass.
    "invalid selector values already stored": UpdateCase(
        policy_dict(BAD_VALUES, resourceVersion="1"), policy_dict(BAD_VALUES, resourceVersion="1")
    ),
    "invalid selector values, none stored": UpdateCase(
        policy_dict(resourceVersion="1"),
        policy_dict(BAD_VALUES, resourceVersion="1"),
        [("spec.podSelector.matchExpressions[0].values[0]", INV)],
    ),
    # AllowCIDRsEvenIfInvalid: a CIDR of the old object passes, wherever it stands in the new one.
    "fix pre-existing invalid CIDR": UpdateCase(
        policy_dict(OLD_BAD_CIDR, resourceVersion="1"),
        policy_dict(
            from_block({"cidr": "192.168.0.0/16", "except": ["192.168.2.0/24", "192.168.3.0/24"]}),
            resourceVersion="1",
        ),
    ),
    "fail to fix pre-existing invalid CIDR": UpdateCase(
        policy_dict(OLD_BAD_CIDR, resourceVersion="1"),
        policy_dict(
            from_block({"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24", "192.168.2.0/24", "192.168.3.1/24"]}),
            resourceVersion="1",
        ),
        warnings=[
            'spec.ingress[0].from[0].ipBlock.except[2]: CIDR value "192.168.3.1/24" is ambiguous in this '
            'context (should be "192.168.3.0/24" or "192.168.3.1/32"?)'
        ],
    ),
    "pre-existing invalid CIDR moved to another peer": UpdateCase(
        policy_dict(OLD_BAD_CIDR, resourceVersion="1"),
        policy_dict({"egress": [{"to": [{"ipBlock": {"cidr": "192.168.3.1/24"}}]}]}, resourceVersion="1"),
        warnings=[
            'spec.egress[0].to[0].ipBlock.cidr: CIDR value "192.168.3.1/24" is ambiguous in this '
            'context (should be "192.168.3.0/24" or "192.168.3.1/32"?)'
        ],
    ),
    "add new invalid CIDR": UpdateCase(
        policy_dict(
            from_block({"cidr": "192.168.0.0/16", "except": ["192.168.2.0/24", "192.168.3.0/24"]}),
            resourceVersion="1",
        ),
        policy_dict(
            from_block({"cidr": "192.168.0.0/16", "except": ["192.168.1.1/24", "192.168.2.0/24", "192.168.3.0/24"]}),
            resourceVersion="1",
        ),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "non-canonical IPv6 kept: still a warning": UpdateCase(
        policy_dict(from_block({"cidr": "2001:DB8::/32"}), resourceVersion="1"),
        policy_dict(from_block({"cidr": "2001:DB8::/32"}), resourceVersion="1", labels={"changed": "yes"}),
        warnings=[f'{CIDR}: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 canonical format ("2001:db8::/32")'],
    ),
}

# --- what the API server cannot be sent ------------------------------------------------------------

_URL_NAMESPACE = (
    "the API server takes the namespace from the request URL: an object without one gets the URL's, "
    "one that differs is a BadRequest before validation"
)
_OLD_INVALID = (
    "the old object is itself invalid on create, so the API server never stores it (only an object "
    "stored before StrictIPCIDRValidation, or before a selector rule, can be one); upstream's own "
    "unit test holds this case"
)
NOT_SENDABLE: dict[str, str] = {
    "meta: no namespace": _URL_NAMESPACE,
    "meta: empty namespace": _URL_NAMESPACE,
    "meta: uppercase namespace": _URL_NAMESPACE,
    "meta: dotted namespace": _URL_NAMESPACE,
    "update: uid is immutable": (
        "a uid in the body is a precondition of the write: the API server answers Conflict (409) "
        "for a different one before it validates"
    ),
    "update: name and namespace are immutable": (
        "a PUT goes to the name and namespace in the URL, i.e. the new ones: the API server answers "
        "NotFound (or BadRequest) before validation"
    ),
    "update: invalid selector values already stored": _OLD_INVALID,
    "update: fix pre-existing invalid CIDR": _OLD_INVALID,
    "update: fail to fix pre-existing invalid CIDR": _OLD_INVALID,
    "update: pre-existing invalid CIDR moved to another peer": _OLD_INVALID,
}


@dataclass(frozen=True)
class PolicyCase:
    """One NetworkPolicy as a client sends it: a create, or an update of ``old``."""

    id: str
    new: dict[str, Any]
    old: dict[str, Any] | None = None


def policy_cases() -> list[PolicyCase]:
    """Every NetworkPolicy case of the tables above, each once, with a unique id."""
    cases = [PolicyCase(f"valid: {k}", policy_dict(spec)) for k, spec in SUCCESS_SPECS.items()]
    cases += [PolicyCase(f"error: {k}", policy_dict(spec)) for k, (spec, _) in ERROR_CASES.items()]
    cases += [PolicyCase(f"message: {k}", policy_dict(spec)) for k, (spec, _) in MESSAGE_CASES.items()]
    cases += [PolicyCase(f"meta: {k}", policy_dict(**meta)) for k, (meta, _) in META_CASES.items()]
    cases.append(PolicyCase("error order", ORDER_CASE))
    cases += [PolicyCase(f"warning: {k}", policy_dict(spec)) for k, (spec, _) in WARNING_CASES.items()]
    cidrs = [*STRICT_OK, *STRICT_BAD, *UNPARSEABLE, *CIDR_WARNINGS]
    cases += [PolicyCase(f"cidr: {c!r}", policy_dict(from_block({"cidr": c}))) for c in dict.fromkeys(cidrs)]
    cases += [PolicyCase(f"update: {k}", u.new, u.old) for k, u in UPDATE_CASES.items()]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert set(NOT_SENDABLE) <= set(ids), set(NOT_SENDABLE) - set(ids)
    return cases
