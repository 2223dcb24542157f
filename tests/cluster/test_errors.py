"""The error policy of app/cluster/errors.py, status by status (no server needed)."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from app.cluster.client import parse_warnings
from app.cluster.errors import (
    Expired,
    TooLargeResourceVersion,
    TooManyRequests,
    cause_to_field_error,
    from_status,
    map_exception,
    translated,
)
from app.cluster.resources import resource
from app.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)

INVALID = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": 'NetworkPolicy.networking.k8s.io "web" is invalid: [spec.ingress[0].from[0].ipBlock.cidr: '
    'Invalid value: "10.0.0.0/33": must be a valid CIDR, spec.podSelector: Required value]',
    "reason": "Invalid",
    "details": {
        "name": "web",
        "group": "networking.k8s.io",
        "kind": "NetworkPolicy",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": 'Invalid value: "10.0.0.0/33": must be a valid CIDR',
                "field": "spec.ingress[0].from[0].ipBlock.cidr",
            },
            {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.podSelector"},
        ],
    },
    "code": 422,
}


def status(code: int, reason: str, message: str) -> str:
    body = {"kind": "Status", "status": "Failure", "code": code, "reason": reason, "message": message}
    return json.dumps(body)


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (404, "NotFound", NotFound),
        (409, "AlreadyExists", AlreadyExists),
        (409, "Conflict", Conflict),
        (410, "Expired", Expired),
        (400, "BadRequest", BadRequest),
        (401, "Unauthorized", Unavailable),  # the cluster refused the console's own credentials
        (403, "Forbidden", Forbidden),
        (405, "MethodNotAllowed", BadRequest),
        (429, "TooManyRequests", TooManyRequests),
        (500, "InternalError", Unavailable),
        (503, "ServiceUnavailable", Unavailable),
    ],
)
def test_status_codes_map_to_domain_errors(code: int, reason: str, expected: type) -> None:
    err = from_status(code, status(code, reason, f"the {reason} message"))
    assert type(err) is expected
    assert "the " + reason + " message" in err.message


def test_throttling_and_too_large_versions_carry_the_wait_asked_for() -> None:
    throttled = from_status(429, status(429, "TooManyRequests", "slow down"), retry_after="3")
    assert isinstance(throttled, TooManyRequests) and isinstance(throttled, Unavailable)
    assert throttled.retry_after == 3.0
    body = json.loads(status(504, "Timeout", "Too large resource version: 999, current: 10"))
    body["details"] = {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                       "retryAfterSeconds": 1}
    too_large = from_status(504, json.dumps(body))
    assert isinstance(too_large, TooLargeResourceVersion) and too_large.retry_after == 1.0
    assert type(from_status(504, status(504, "Timeout", "x"))) is Unavailable
    assert from_status(503, status(503, "ServiceUnavailable", "x")).retry_after is None


def test_already_exists_is_not_a_conflict_subclass_confusion() -> None:
    assert not isinstance(from_status(409, status(409, "AlreadyExists", "x")), Conflict)
    assert type(from_status(409, status(409, "Conflict", "x"))) is Conflict


def test_invalid_keeps_message_and_every_cause_with_its_field_path() -> None:
    err = from_status(422, json.dumps(INVALID))
    assert isinstance(err, Invalid)
    assert err.message == INVALID["message"]
    assert [(c.field, c.type) for c in err.causes] == [
        ("spec.ingress[0].from[0].ipBlock.cidr", "FieldValueInvalid"),
        ("spec.podSelector", "FieldValueRequired"),
    ]
    # The API server's own cause messages survive unchanged.
    assert [c.message for c in err.causes] == [c["message"] for c in INVALID["details"]["causes"]]


def test_cause_with_unexpected_text_keeps_it() -> None:
    cause = cause_to_field_error({"reason": "FieldValueForbidden", "message": "Forbidden: may not be set"})
    assert cause.message == "Forbidden: may not be set"
    assert cause.field == ""


def test_non_json_body_still_maps() -> None:
    err = from_status(502, b"<html>bad gateway</html>", what="cluster 'a'")
    assert isinstance(err, Unavailable)
    assert "bad gateway" in err.message and "cluster 'a'" in err.message


def test_api_exception_from_a_watch_error_line_maps_by_status() -> None:
    # kubernetes_asyncio's Watch raises this shape for an ERROR event: status and reason only.
    exc = ApiException(status=410, reason="Expired: too old resource version: 1 (5)")
    mapped = map_exception(exc)
    assert isinstance(mapped, Expired)
    assert "too old resource version" in mapped.message


def test_translated_raises_domain_errors_from_the_original() -> None:
    with pytest.raises(NotFound) as info:
        with translated("cluster 'x'"):
            exc = ApiException(status=404, reason="Not Found")
            exc.body = status(404, "NotFound", 'pods "a" not found')
            raise exc
    assert info.value.message == 'pods "a" not found'
    assert isinstance(info.value.__cause__, ApiException)


def test_translated_leaves_unrelated_errors_alone() -> None:
    with pytest.raises(KeyError):
        with translated():
            raise KeyError("x")


def test_warning_headers_are_parsed() -> None:
    values = [
        '299 - "spec.ingress[0].from[0].ipBlock.cidr: \\"10.0.0.1/8\\" has host bits set"',
        '299 - "a", 299 - "b"',
    ]
    assert parse_warnings(values) == [
        'spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.1/8" has host bits set',
        "a",
        "b",
    ]


def test_resource_paths() -> None:
    assert resource("Pod").path("default") == "/api/v1/namespaces/default/pods"
    assert resource("pods").path(None) == "/api/v1/pods"
    assert resource("namespaces").path("ignored", "kube-system") == "/api/v1/namespaces/kube-system"
    assert (
        resource("networkpolicy").path("a", "web")
        == "/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/web"
    )
    assert resource("CronJob").path(None) == "/apis/batch/v1/cronjobs"
    with pytest.raises(BadRequest):
        resource("secrets")
