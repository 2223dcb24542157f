"""The one text parser (app/policies/text.py) against hostile text, on each path that uses it: the
REST API's bodies (parse_policy_text), the YAML editor (policy_from_text) and the offline CLI
(parse_documents): nesting 100,000 deep, 5,000-digit integers, NUL and lone surrogates."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.policies.documents import DocumentError, parse_documents
from app.policies.form import PolicyForm
from app.policies.text import TextError, bad_text, parse_index, parse_json, parse_policy_text
from app.policies.validation import validate_network_policy
from app.web.policy_views import policy_from_text

DEEP = 100_000
DIGITS = "9" * 5000
NESTED = {
    "json array": "[" * DEEP + "]" * DEEP,
    "json object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "yaml flow": "a: " + "{b: " * DEEP + "1" + "}" * DEEP,
    "yaml sequence": "[" * DEEP,
    "yaml block": "- " * DEEP + "x",
}


@pytest.mark.parametrize("text", NESTED.values(), ids=NESTED.keys())
def test_nesting_100000_deep_is_refused_on_every_path(text: str) -> None:
    for syntax in ("yaml", "json", "auto"):
        with pytest.raises(TextError) as refused:
            parse_policy_text(text, syntax=syntax, max_bytes=None)  # type: ignore[arg-type]
        assert refused.value.reason in ("depth", "syntax")
    with pytest.raises(TextError, match="nested too deeply"):
        parse_policy_text(text, syntax="auto", max_bytes=None)
    with pytest.raises(Invalid, match="nested too deeply|too large"):
        policy_from_text(text)
    with pytest.raises(DocumentError, match="nested too deeply"):
        parse_documents(text, "policies.yaml")


@pytest.mark.parametrize("syntax", ["json", "yaml"])
def test_a_5000_digit_port_is_text_that_validation_refuses_at_its_field(syntax: str) -> None:
    text = (
        '{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, '
        f'"spec": {{"podSelector": {{}}, "ingress": [{{"ports": [{{"port": {DIGITS}, "endPort": {DIGITS}}}]}}]}}}}'
    )
    (doc,) = parse_policy_text(text, syntax=syntax)  # type: ignore[arg-type]
    assert doc["spec"]["ingress"][0]["ports"][0]["port"] == DIGITS
    with pytest.raises(Invalid) as refused:  # endPort is an integer: a text is the wrong type
        policy_from_text(text)
    assert "spec.ingress[0].ports[0].endPort" in {c.field for c in refused.value.causes}
    policy = policy_from_text(text.replace(f', "endPort": {DIGITS}', ""))
    assert "spec.ingress[0].ports[0].port" in {e.field for e in validate_network_policy(policy).errors}


def test_integers_within_int64_stay_numbers() -> None:
    assert parse_policy_text(f"a: {2**63 - 1}\nb: 0x1F\nc: 1_000\nd: -5\n") == [
        {"a": 2**63 - 1, "b": 31, "c": 1000, "d": -5}
    ]
    assert parse_json(f'{{"a": {2**63 - 1}, "b": {2**63}}}') == {"a": 2**63 - 1, "b": str(2**63)}


@pytest.mark.parametrize(
    ("text", "syntax", "field"),
    [
        ('{"metadata": {"labels": {"app": "a\\u0000"}}}', "json", "metadata.labels.app"),
        ('{"metadata": {"labels": {"app": "\\ud800"}}}', "json", "metadata.labels.app"),
        ('{"spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "\\udfff"}}]}]}}', "json",
         "spec.ingress[0].from[0].ipBlock.cidr"),
        ('metadata: {labels: {app: "\\0"}}', "yaml", "metadata.labels.app"),
        ('metadata: {labels: {"\\ud800": x}}', "yaml", "metadata.labels.\\ud800"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_at_their_field(text: str, syntax: str, field: str) -> None:
    with pytest.raises(TextError) as refused:
        parse_policy_text(text, syntax=syntax)  # type: ignore[arg-type]
    assert refused.value.reason == "text"
    assert refused.value.field == field
    str(refused.value).encode("utf-8")  # the message itself can be said
    with pytest.raises(Invalid, match="NUL|surrogate"):
        policy_from_text(text)


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    assert parse_policy_text('{"a": "\\ud83d\\ude00"}', syntax="json") == [{"a": "\U0001f600"}]
    assert bad_text({"a": ["ok", {"b": "\U0001f600"}]}) is None


def test_form_indices_of_5000_digits_are_no_rows() -> None:
    assert parse_index("12") == 12
    assert parse_index(DIGITS) is None
    assert parse_index("²") is None and parse_index("١") is None
    form = PolicyForm.from_form_data([
        ("name", "p"), ("ingress.enabled", "true"),
        (f"ingress[{DIGITS}].ports[{DIGITS}].port", "80"),
        ("ingress[0].ports[0].port", DIGITS),
        ("metadata", "[" * DEEP),
    ])
    assert [p.port for r in form.ingress.rules for p in r.ports] == [DIGITS]
    _policy, errors = form.to_policy()
    assert {e.field for e in errors} >= {"metadata"}
