"""NetworkPolicy validation against upstream's facts.

The cases live in ``validation_cases`` (shared with ``test_upstream_agreement.py``, which sends
each of them to a real v1.36.3 API server); here our validator is held to the expectations written
there.
"""

from __future__ import annotations

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
from tests.policies.validation_cases import (
    CIDR_WARNINGS,
    ERROR_CASES,
    INV,
    MESSAGE_CASES,
    META_CASES,
    NSUP,
    ORDER_CASE,
    ORDER_FIELDS,
    REQ,
    STRICT_BAD,
    STRICT_OK,
    SUCCESS_SPECS,
    UNPARSEABLE,
    UPDATE_CASES,
    WARNING_CASES,
    WP,
    Fields,
    UpdateCase,
    from_block,
    policy_dict,
)


def policy(spec: dict[str, Any] | None = None, **meta: Any) -> NetworkPolicy:
    return NetworkPolicy.from_dict(policy_dict(spec, **meta))


def fields(result: ValidationResult) -> Fields:
    return [(e.field, e.type) for e in result.errors]


@pytest.mark.parametrize("spec", SUCCESS_SPECS.values(), ids=list(SUCCESS_SPECS))
def test_upstream_success_cases_are_valid(spec: dict[str, Any]) -> None:
    result = validate_network_policy(policy(spec))
    assert result.errors == []
    assert result.valid


@pytest.mark.parametrize(("spec", "expected"), ERROR_CASES.values(), ids=list(ERROR_CASES))
def test_upstream_error_cases_carry_path_and_type(spec: dict[str, Any], expected: Fields) -> None:
    result = validate_network_policy(policy(spec))
    assert fields(result) == expected
    assert not result.valid


@pytest.mark.parametrize(("spec", "message"), MESSAGE_CASES.values(), ids=list(MESSAGE_CASES))
def test_messages_read_like_the_api_server(spec: dict[str, Any], message: str) -> None:
    result = validate_network_policy(policy(spec))
    assert [e.message for e in result.errors] == [message]


@pytest.mark.parametrize(("meta", "expected"), META_CASES.values(), ids=list(META_CASES))
def test_object_meta_rules_for_a_namespaced_kind(meta: dict[str, Any], expected: Fields) -> None:
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
    result = validate_network_policy(NetworkPolicy.from_dict(ORDER_CASE))
    assert [e.field for e in result.errors] == ORDER_FIELDS


def test_invalid_for_object_gives_the_api_server_message() -> None:
    one = validate_network_policy(policy(from_block({"cidr": "10.0.0.0/33"}), name="web"))
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


# --- CIDRs (strict, as the API server validates them by default since v1.36) -----------------------


@pytest.mark.parametrize("value", STRICT_OK)
def test_strict_cidrs_are_accepted(value: str) -> None:
    errors, _ = validate_cidr(value, "cidr")
    assert errors == []


@pytest.mark.parametrize(("value", "detail"), STRICT_BAD.items(), ids=list(STRICT_BAD))
def test_sloppy_cidrs_are_invalid_with_the_broken_rule(value: str, detail: str) -> None:
    errors, _ = validate_cidr(value, "cidr")
    assert [(e.field, e.type, e.detail) for e in errors] == [("cidr", INV, detail)]
    assert validate_cidr(value, "cidr", valid_old=(value,))[0] == []  # kept from the old object


@pytest.mark.parametrize("value", UNPARSEABLE)
def test_unparseable_cidrs_are_invalid(value: str) -> None:
    errors, warnings = validate_cidr(value, "cidr")
    assert [(e.field, e.type, e.detail) for e in errors] == [
        ("cidr", INV, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
    ]
    assert warnings == []


@pytest.mark.parametrize(("value", "expected"), CIDR_WARNINGS.items(), ids=list(CIDR_WARNINGS))
def test_cidr_warnings_match_upstream(value: str, expected: list[str]) -> None:
    _, warnings = validate_cidr(value, WP)
    assert warnings == expected


@pytest.mark.parametrize(("spec", "expected"), WARNING_CASES.values(), ids=list(WARNING_CASES))
def test_policy_warnings_name_the_ipblock_fields(spec: dict[str, Any], expected: list[str]) -> None:
    assert validate_network_policy(policy(spec)).warnings == expected


def test_except_subset_uses_the_network_of_a_sloppy_cidr() -> None:
    """cidr 10.0.0.1/8 means 10.0.0.0/8: 10.1.0.0/16 lies inside it (the cidr itself is Invalid
    on create, allowed when the old object holds it)."""
    assert cidr_contains_strictly("10.0.0.1/8", "10.1.0.0/16") is True
    assert cidr_contains_strictly("10.0.0.0/8", "10.1.2.3/16") is True
    assert cidr_contains_strictly("10.0.0.0/8", "10.0.0.0/8") is False
    assert cidr_contains_strictly("10.0.0.0/8", "11.0.0.0/16") is False
    assert cidr_contains_strictly("10.0.0.0/8", "fd00::/64") is False
    assert cidr_contains_strictly("10.0.0.0/8", "nope") is None


# --- update ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", UPDATE_CASES.values(), ids=list(UPDATE_CASES))
def test_update_cases(case: UpdateCase) -> None:
    result = validate_network_policy_update(NetworkPolicy.from_dict(case.new), NetworkPolicy.from_dict(case.old))
    assert fields(result) == case.expected
    assert result.warnings == case.warnings


def test_update_immutable_field_message() -> None:
    case = UPDATE_CASES["name and namespace are immutable"]
    result = validate_network_policy_update(NetworkPolicy.from_dict(case.new), NetworkPolicy.from_dict(case.old))
    assert result.errors[0].message == 'Invalid value: "baz": field is immutable'


def test_update_reports_a_metadata_error_once() -> None:
    """The API server checks ObjectMeta three times on update and repeats each error; we do not."""
    old = policy(resourceVersion="1")
    new = policy(resourceVersion="1", labels={"a b": "c"})
    assert fields(validate_network_policy_update(new, old)) == [("metadata.labels", INV)]


def test_update_keeps_allowing_a_stored_invalid_cidr_anywhere() -> None:
    old = policy(from_block({"cidr": "10.0.0.1/8"}), resourceVersion="1")
    assert fields(validate_network_policy(old)) == [("spec.ingress[0].from[0].ipBlock.cidr", INV)]
    moved = policy({"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.1/8"]}}]}]})
    result = validate_network_policy_update(moved, old)
    assert result.valid
    assert result.warnings == [
        'spec.egress[0].to[0].ipBlock.except[0]: CIDR value "10.0.0.1/8" is ambiguous in this context '
        '(should be "10.0.0.0/8" or "10.0.0.1/32"?)'
    ]
    fresh = policy(resourceVersion="1")
    assert not validate_network_policy_update(moved, fresh).valid
