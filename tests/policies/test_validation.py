"""NetworkPolicy validation against upstream's facts.

The success and failure cases are those of kubernetes/kubernetes
pkg/apis/networking/validation/validation_test.go (TestValidateNetworkPolicy,
TestValidateNetworkPolicyUpdate), with the field path and type each failure must carry; the CIDR
cases are those of apimachinery's util/validation/ip_test.go (TestIsValidCIDR, TestGetWarningsForCIDR).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.errors import Invalid
from app.policies.model import NetworkPolicy
from app.policies.validation import (
    ValidationResult,
    cidr_contains_strictly,
    validate_cidr,
    validate_network_policy,
    validate_network_policy_update,
)

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


def policy(spec: dict[str, Any] | None = None, **meta: Any) -> NetworkPolicy:
    """upstream makeValidNetworkPolicy: foo/bar selecting a=b, with the spec fields given."""
    metadata = {"name": "foo", "namespace": "bar", **meta}
    body = {"podSelector": {"matchLabels": {"a": "b"}}, **(spec or {})}
    return NetworkPolicy.from_dict({"metadata": metadata, "spec": copy.deepcopy(body)})


def fields(result: ValidationResult) -> list[tuple[str, str]]:
    return [(e.field, e.type) for e in result.errors]


SUCCESS_SPECS = {
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
        "egress": [
            {"to": [NS_CD], "ports": [{"port": 30000, "endPort": 32768}, {"port": 32000, "endPort": 32768}]}
        ],
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
}


@pytest.mark.parametrize("spec", SUCCESS_SPECS.values(), ids=list(SUCCESS_SPECS))
def test_upstream_success_cases_are_valid(spec: dict[str, Any]) -> None:
    result = validate_network_policy(policy(spec))
    assert result.errors == []
    assert result.valid


def _egress_ns(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"egress": [{"to": [NS_CD], "ports": ports}]}


def _from_block(block: dict[str, Any]) -> dict[str, Any]:
    return {"ingress": [{"from": [{"ipBlock": block}]}]}


EP = "spec.egress[0].ports"
CIDR = "spec.ingress[0].from[0].ipBlock.cidr"
EXCEPT = "spec.ingress[0].from[0].ipBlock.except"
ERROR_CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
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
    "missing cidr field": (_from_block({**IPV4_BLOCK, "cidr": ""}), [(CIDR, REQ)]),
    "invalid cidr format": (_from_block({**IPV4_BLOCK, "cidr": "192.168.5.6"}), [(CIDR, INV)]),
    "invalid ipv6 cidr format": (_from_block({**IPV6_BLOCK, "cidr": "fd00:192:168::"}), [(CIDR, INV)]),
    "except field is an empty string": (
        _from_block({**IPV4_BLOCK, "except": ["", " "]}),
        [(f"{EXCEPT}[0]", INV), (f"{EXCEPT}[1]", INV)],
    ),
    "except IP is outside of CIDR range": (
        _from_block({"cidr": "192.168.8.0/24", "except": ["192.168.9.1/24"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "except IP is not strictly within CIDR range": (
        _from_block({"cidr": "192.168.0.0/24", "except": ["192.168.0.0/24"]}),
        [(f"{EXCEPT}[0]", INV)],
    ),
    "except IPv6 is outside of CIDR range": (
        _from_block({"cidr": "fd00:192:168:1::/64", "except": ["fd00:192:168:2::/64"]}),
        [(f"{EXCEPT}[0]", INV)],
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
        _egress_ns([{"protocol": "UDP", "port": 35000, "endPort": 32768}, {"port": 32000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "endPort defined with named/string port": (
        _egress_ns([{"protocol": "UDP", "port": "dns", "endPort": 32768}, {"port": 32000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "endPort defined without port defined": (
        _egress_ns([{"protocol": "TCP", "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "port is greater than endPort": (
        _egress_ns([{"protocol": "SCTP", "port": 33000, "endPort": 32768}]),
        [(f"{EP}[0].endPort", INV)],
    ),
    "multiple invalid port ranges defined": (
        _egress_ns(
            [
                {"protocol": "UDP", "port": 35000, "endPort": 32768},
                {"protocol": "TCP", "endPort": 32768},
                {"protocol": "TCP", "port": "https", "endPort": 32768},
            ]
        ),
        [(f"{EP}[0].endPort", INV), (f"{EP}[1].endPort", INV), (f"{EP}[2].endPort", INV)],
    ),
    "invalid endport range defined": (
        _egress_ns([{"protocol": "TCP", "port": 30000, "endPort": 65537}]),
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


@pytest.mark.parametrize(("spec", "expected"), ERROR_CASES.values(), ids=list(ERROR_CASES))
def test_upstream_error_cases_carry_path_and_type(
    spec: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = validate_network_policy(policy(spec))
    assert fields(result) == expected
    assert not result.valid


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
            'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
        ),
        (
            {"ingress": [{"ports": [{"port": 123456789}]}]},
            "Invalid value: 123456789: must be between 1 and 65535, inclusive",
        ),
        (
            _egress_ns([{"port": 33000, "endPort": 32768}]),
            "Invalid value: 32768: must be greater than or equal to `port`",
        ),
        (
            _egress_ns([{"port": "dns", "endPort": 32768}]),
            "Invalid value: 32768: may not be specified when `port` is non-numeric",
        ),
        (
            _egress_ns([{"endPort": 32768}]),
            "Invalid value: 32768: may not be specified when `port` is not specified",
        ),
        ({"ingress": [{"from": [{}]}]}, "Required value: must specify a peer"),
        (
            {"ingress": [{"from": [{**NS_CD, "ipBlock": IPV4_BLOCK}]}]},
            "Forbidden: may not specify both ipBlock and another peer",
        ),
        (_from_block({"cidr": ""}), "Required value"),
        (
            _from_block({"cidr": "10.0.0.0/33"}),
            'Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
        (
            _from_block({"cidr": "192.168.0.0/24", "except": ["192.168.0.0/24"]}),
            'Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
        ),
        (
            {"policyTypes": ["foo", "bar", "baz"]},
            'Invalid value: []networking.PolicyType{"foo", "bar", "baz"}: '
            "may not specify more than two policyTypes",
        ),
        (
            {"policyTypes": ["Ingress", "foo"]},
            'Unsupported value: "foo": supported values: "Ingress", "Egress"',
        ),
    ],
)
def test_messages_read_like_the_api_server(spec: dict[str, Any], message: str) -> None:
    result = validate_network_policy(policy(spec))
    assert [e.message for e in result.errors] == [message]


def test_defaults_are_applied_before_validation() -> None:
    """A port without protocol is TCP and empty policyTypes are defaulted: neither is an error."""
    result = validate_network_policy(policy({"ingress": [{"ports": [{"port": 80}]}], "policyTypes": []}))
    assert result.valid


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"namespace": None}, [("metadata.namespace", REQ)]),
        ({"namespace": ""}, [("metadata.namespace", REQ)]),
        ({"namespace": "Bar"}, [("metadata.namespace", INV)]),
        ({"namespace": "a.b"}, [("metadata.namespace", INV)]),
        ({"name": None}, [("metadata.name", REQ)]),
        ({"name": "Foo_1"}, [("metadata.name", INV)]),
        ({"name": "a" * 254}, [("metadata.name", INV)]),
        ({"name": "web.example"}, []),
        ({"name": None, "generateName": "web-"}, []),
        ({"name": None, "generateName": "Web-"}, [("metadata.generateName", INV), ("metadata.name", INV)]),
        ({"labels": {"app": "web", "bad key": "x", "k": "bad value"}}, [("metadata.labels", INV)] * 2),
        ({"annotations": {"Example.COM/Note": "any text at all"}}, []),
        ({"annotations": {"no spaces allowed": "x"}}, [("metadata.annotations", INV)]),
        ({"annotations": {"big": "x" * (256 * 1024)}}, [("metadata.annotations", TOOLONG)]),
        ({"generation": -1}, [("metadata.generation", INV)]),
    ],
)
def test_object_meta_rules_for_a_namespaced_kind(
    meta: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert fields(validate_network_policy(policy(**meta))) == expected


def test_name_errors_quote_upstream_detail() -> None:
    [error] = validate_network_policy(policy(name="Foo")).errors
    assert error.message == (
        'Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )
    [missing] = validate_network_policy(policy(name=None)).errors
    assert missing.message == "Required value: name or generateName is required"


def test_errors_come_in_upstream_order() -> None:
    """metadata first, then podSelector, ingress (ports, then peers), egress, policyTypes."""
    spec = {
        "podSelector": {"matchLabels": BAD_SELECTOR},
        "ingress": [{"from": [{}], "ports": [{"port": 0}]}],
        "egress": [{"to": [{}], "ports": [{"protocol": "ICMP"}]}],
        "policyTypes": ["Sideways"],
    }
    result = validate_network_policy(policy(spec, namespace=None))
    assert [e.field for e in result.errors] == [
        "metadata.namespace",
        "spec.podSelector.matchLabels",
        "spec.ingress[0].ports[0].port",
        "spec.ingress[0].from[0]",
        "spec.egress[0].ports[0].protocol",
        "spec.egress[0].to[0]",
        "spec.policyTypes[0]",
    ]


def test_invalid_for_object_gives_the_api_server_message() -> None:
    one = validate_network_policy(policy(_from_block({"cidr": "10.0.0.0/33"}), name="web"))
    exc = one.as_invalid("web")
    assert isinstance(exc, Invalid)
    assert exc.message == (
        'NetworkPolicy.networking.k8s.io "web" is invalid: spec.ingress[0].from[0].ipBlock.cidr: '
        'Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'
    )
    assert [c.as_dict()["field"] for c in exc.causes] == ["spec.ingress[0].from[0].ipBlock.cidr"]
    two = validate_network_policy(policy({"ingress": [{"from": [{}]}], "policyTypes": ["foo"]}, name="web"))
    many = Invalid.for_object("NetworkPolicy.networking.k8s.io", "web", two.errors)
    assert many.message == (
        'NetworkPolicy.networking.k8s.io "web" is invalid: [spec.ingress[0].from[0]: Required value: '
        'must specify a peer, spec.policyTypes[0]: Unsupported value: "foo": '
        'supported values: "Ingress", "Egress"]'
    )
    assert [c.type for c in many.causes] == [REQ, NSUP]


# --- lenient CIDRs ----------------------------------------------------------------------------

LENIENT_OK = [
    "1.0.0.0/8", "0.0.0.0/0", "1.1.1.1/32", "2001:4860:4860::/48", "::/0", "::1/128",
    "2a00:79e0:2:0::/64", "2001:DB8::/64",  # non-canonical IPv6
    "1.1.01.0/24", "::ffff:1.1.1.0/24", "::ffff:1.1.1.0/120", "1.2.3.4/24", "2001:db8::1/64",
    "192.168.0.0/016",  # accepted by the default (non-strict) API server
]  # fmt: skip
LENIENT_BAD = [
    "", "aaaaaaa", "1.2.3.4", "192.168.0.1/healthz", "192.168.0.1/0/99", "192.168.0.0/-16",
    "192.168.0.0/+16", "10.0.0.0/33", "2001:db8::/129", "1.2.3.400/24", "fd00::1%eth0/64", " 10.0.0.0/8",
]  # fmt: skip


@pytest.mark.parametrize("value", LENIENT_OK)
def test_lenient_cidrs_are_accepted(value: str) -> None:
    errors, _ = validate_cidr(value, "cidr")
    assert errors == []


@pytest.mark.parametrize("value", LENIENT_BAD)
def test_unparseable_cidrs_are_invalid(value: str) -> None:
    errors, warnings = validate_cidr(value, "cidr")
    assert [(e.field, e.type, e.detail) for e in errors] == [
        ("cidr", INV, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
    ]
    assert warnings == []


P = "spec.loadBalancerSourceRanges[0]"
NONSTD = "will be considered invalid in a future Kubernetes release: use"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.12.2.0/24", []),
        ("2001:db8::/64", []),
        ("192.012.2.0/24", [f'{P}: non-standard CIDR value "192.012.2.0/24" {NONSTD} "192.12.2.0/24"']),
        ("192.12.2.0/024", [f'{P}: non-standard CIDR value "192.12.2.0/024" {NONSTD} "192.12.2.0/24"']),
        (
            "::ffff:192.12.2.0/120",
            [f'{P}: non-standard CIDR value "::ffff:192.12.2.0/120" {NONSTD} "192.12.2.0/24"'],
        ),
        (
            "192.12.2.8/24",
            [
                f'{P}: CIDR value "192.12.2.8/24" is ambiguous in this context '
                '(should be "192.12.2.0/24" or "192.12.2.8/32"?)'
            ],
        ),
        (
            "192.012.2.8/24",
            [
                f'{P}: CIDR value "192.012.2.8/24" is ambiguous in this context '
                '(should be "192.12.2.0/24" or "192.12.2.8/32"?)',
                f'{P}: non-standard CIDR value "192.012.2.8/24" {NONSTD} "192.12.2.0/24"',
            ],
        ),
        (
            "2001:db8:0:0::/64",
            [
                f'{P}: IPv6 CIDR value "2001:db8:0:0::/64" should be in RFC 5952 canonical format '
                '("2001:db8::/64")'
            ],
        ),
    ],
)
def test_cidr_warnings_match_upstream(value: str, expected: list[str]) -> None:
    errors, warnings = validate_cidr(value, P)
    assert errors == []
    assert warnings == expected


def test_policy_warnings_name_the_ipblock_fields() -> None:
    spec = {
        "ingress": [{"from": [NS_CD, {"ipBlock": {"cidr": "10.0.0.1/8", "except": ["010.1.0.0/16"]}}]}],
        "egress": [{"to": [{"ipBlock": {"cidr": "2001:DB8::/32"}}]}],
    }
    result = validate_network_policy(policy(spec))
    assert result.valid
    assert result.warnings == [
        'spec.ingress[0].from[1].ipBlock.cidr: CIDR value "10.0.0.1/8" is ambiguous in this context '
        '(should be "10.0.0.0/8" or "10.0.0.1/32"?)',
        'spec.ingress[0].from[1].ipBlock.except[0]: non-standard CIDR value "010.1.0.0/16" '
        f'{NONSTD} "10.1.0.0/16"',
        'spec.egress[0].to[0].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 canonical '
        'format ("2001:db8::/32")',
    ]


def test_except_subset_uses_the_network_of_a_sloppy_cidr() -> None:
    """cidr 10.0.0.1/8 means 10.0.0.0/8: 10.1.0.0/16 lies inside it."""
    assert validate_network_policy(
        policy(_from_block({"cidr": "10.0.0.1/8", "except": ["10.1.0.0/16"]}))
    ).valid
    assert cidr_contains_strictly("10.0.0.0/8", "10.1.2.3/16") is True
    assert cidr_contains_strictly("10.0.0.0/8", "10.0.0.0/8") is False
    assert cidr_contains_strictly("10.0.0.0/8", "11.0.0.0/16") is False
    assert cidr_contains_strictly("10.0.0.0/8", "fd00::/64") is False
    assert cidr_contains_strictly("10.0.0.0/8", "nope") is None


# --- update ------------------------------------------------------------------------------------


def test_update_success_cases() -> None:
    old = policy({"ingress": []}, resourceVersion="1")
    assert validate_network_policy_update(policy({"ingress": []}, resourceVersion="1"), old).errors == []
    old = policy({"podSelector": {}, "ingress": []}, resourceVersion="1")
    assert validate_network_policy_update(policy({"ingress": []}, resourceVersion="1"), old).errors == []


def test_update_may_not_change_name_or_namespace() -> None:
    old = policy({"podSelector": {}}, resourceVersion="1")
    new = policy({"podSelector": {}}, name="baz", namespace="other", resourceVersion="1")
    result = validate_network_policy_update(new, old)
    assert fields(result) == [("metadata.name", INV), ("metadata.namespace", INV)]
    assert result.errors[0].message == 'Invalid value: "baz": field is immutable'


def test_update_fills_server_managed_metadata_like_the_api_server() -> None:
    """kubectl replace sends no uid; an update without resourceVersion is unconditional."""
    old = policy(uid="u-1", resourceVersion="7", creationTimestamp="2024-01-01T00:00:00Z", generation=3)
    assert validate_network_policy_update(policy(), old).valid
    changed_uid = validate_network_policy_update(policy(uid="u-2"), old)
    assert fields(changed_uid) == [("metadata.uid", INV)]


def test_update_validates_the_new_spec_and_labels() -> None:
    old = policy(resourceVersion="1")
    new = policy({"ingress": [{"from": [{}]}]}, resourceVersion="1", labels={"a b": "c"})
    assert fields(validate_network_policy_update(new, old)) == [
        ("metadata.labels", INV),
        ("spec.ingress[0].from[0]", REQ),
    ]


def test_update_keeps_allowing_invalid_selector_values_already_stored() -> None:
    """ValidationOptionsForNetworking: an old pod selector that fails validation lets values pass."""
    bad = {"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["not valid!"]}]}}
    old = policy(bad, resourceVersion="1")
    assert fields(validate_network_policy(old)) == [("spec.podSelector.matchExpressions[0].values[0]", INV)]
    assert validate_network_policy_update(policy(bad, resourceVersion="1"), old).valid
    fresh = policy(resourceVersion="1")
    assert not validate_network_policy_update(policy(bad, resourceVersion="1"), fresh).valid
