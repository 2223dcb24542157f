"""The NetworkPolicy model: lossless round trips, defaulting, and manifests of other kinds refused."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.policies.model import NetworkPolicy, apply_defaults
from app.policies.text import parse_policy_text

MANIFEST = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "default", "annotations": {"team": "a"}, "unknownMeta": 1},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}},
        "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": "http"}]}
        ],
        "futureField": {"x": [1, 2]},
    },
}


def test_a_manifest_round_trips_with_unknown_fields() -> None:
    assert NetworkPolicy.from_dict(MANIFEST).to_dict() == MANIFEST
    (doc,) = parse_policy_text(NetworkPolicy.from_dict(MANIFEST).to_yaml())
    assert NetworkPolicy.from_dict(doc).to_dict() == MANIFEST


def test_defaulting_as_the_api_server() -> None:
    spec = apply_defaults(NetworkPolicy.from_dict(MANIFEST)).to_dict()["spec"]
    assert spec["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    assert spec["policyTypes"] == ["Ingress"]
    egress = apply_defaults(NetworkPolicy.from_dict({"spec": {"egress": [{}]}})).to_dict()["spec"]
    assert egress == {"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(
    ("doc", "require", "fields"),
    [
        ({**MANIFEST, "kind": "Service"}, False, ["kind"]),
        ({**MANIFEST, "apiVersion": "extensions/v1beta1"}, False, ["apiVersion"]),
        ({"metadata": {"name": "x"}}, True, ["kind", "apiVersion"]),
    ],
)
def test_documents_of_another_type_are_refused_at_their_fields(doc: dict, require: bool, fields: list[str]) -> None:
    with pytest.raises(Invalid) as caught:
        NetworkPolicy.from_document(doc, require_type=require)
    assert [c.field for c in caught.value.causes] == fields
    assert caught.value.causes[0].type == "FieldValueNotSupported"


def test_a_bare_spec_is_accepted_when_the_type_is_not_required() -> None:
    assert NetworkPolicy.from_document({"metadata": {"name": "x"}, "spec": {}}).name == "x"


def test_wrong_types_are_invalid_at_their_path() -> None:
    with pytest.raises(Invalid) as caught:
        NetworkPolicy.from_dict({"spec": {"ingress": [{"ports": [{"endPort": "high"}]}]}})
    assert [c.field for c in caught.value.causes] == ["spec.ingress[0].ports[0].endPort"]


def test_python_attribute_names_are_not_taken_for_the_api_fields() -> None:
    with pytest.raises(Invalid) as caught:
        NetworkPolicy.from_dict({"spec": {"pod_selector": {"matchLabels": {"a": "b"}}, "ingress": [{"from_": []}]}})
    assert [c.field for c in caught.value.causes] == ["spec.pod_selector", "spec.ingress[0].from_"]
    # The same words as label keys are ordinary data.
    labels = {"metadata": {"name": "x", "labels": {"pod_selector": "y"}}, "spec": {"podSelector": {}}}
    assert NetworkPolicy.from_dict(labels).to_dict() == labels


@pytest.mark.parametrize("port", [{"port": True}, {"port": 80.0}, {"port": 80, "endPort": "90"}])
def test_port_values_are_not_converted(port: dict) -> None:
    with pytest.raises(Invalid):
        NetworkPolicy.from_dict({"spec": {"ingress": [{"ports": [port]}]}})


def test_yaml_aliases_are_refused_and_long_values_are_cut_in_messages() -> None:
    from app.policies.text import TextError, parse_policy_text

    bomb = "a0: &a0 [x, x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 30))
    with pytest.raises(TextError, match="aliases"):
        parse_policy_text(bomb)
    with pytest.raises(Invalid) as caught:
        NetworkPolicy.from_dict({"spec": {"podSelector": {"matchLabels": ["x" * 10_000]}}})
    assert len(caught.value.message) < 1_000 and "(truncated)" in caught.value.message
