"""PolicyForm: lossless translation both ways, HTML form posts, error mapping, summaries."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import FieldError
from app.policies.form import (
    DirectionForm,
    FormUnsupported,
    LabelRow,
    PeerForm,
    PolicyForm,
    PortForm,
    RuleForm,
    SelectorForm,
    describe,
    form_field_for,
    policy_to_form,
    summarize_direction,
)
from app.policies.model import NetworkPolicy, apply_defaults
from app.policies.validation import validate_network_policy
from tests.policies.strategies import network_policies

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def labels(**pairs: str) -> SelectorForm:
    return SelectorForm(labels=[LabelRow(key=k, value=v) for k, v in pairs.items()])


def pod_peer(**pairs: str) -> PeerForm:
    return PeerForm(kind="pod", pod_selector=labels(**pairs))


def ip_peer(cidr: str, *excepts: str) -> PeerForm:
    return PeerForm(kind="ipBlock", cidr=cidr, except_=list(excepts))


def cli_yaml(text: str, **replace: str) -> dict:
    """A YAML manifest from the reference, with the command line's labels swapped for the console's."""
    for old, new in replace.items():
        text = text.replace(old, new)
    return yaml.safe_load(text)


# ----- the identity property -----


@FAST
@given(network_policies())
def test_object_to_form_to_object_is_the_identity(data: dict) -> None:
    original = copy.deepcopy(data)
    policy = NetworkPolicy.from_dict(data)
    form = policy_to_form(policy)
    back, errors = form.to_policy()
    assert errors == []
    assert back.to_dict() == original


@settings(max_examples=100, deadline=None)
@given(network_policies())
def test_form_survives_json_and_html_form_posts(data: dict) -> None:
    form = policy_to_form(NetworkPolicy.from_dict(data))
    assert PolicyForm.model_validate(form.model_dump()) == form
    assert PolicyForm.model_validate_json(form.model_dump_json()) == form
    reparsed = PolicyForm.from_form_data(form.to_form_data())
    assert reparsed == form
    assert reparsed.to_policy()[0].to_dict() == data


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"])
def test_a_form_post_carrying_a_nul_or_a_lone_surrogate_is_refused_at_its_field(bad: str) -> None:
    policy = NetworkPolicy.from_dict({"metadata": {"name": "a", "annotations": {"note": "x"}},
                                      "spec": {"podSelector": {}}})  # fmt: skip
    posted = [(k, '{"annotations":{"note":"' + bad + '"}}' if k == "metadata" else v)
              for k, v in policy_to_form(policy).to_form_data()]  # fmt: skip
    _, errors = PolicyForm.from_form_data(posted).to_policy()
    assert [e.field for e in errors] == ["metadata"]


def test_strategy_policies_pass_the_validator() -> None:
    @settings(max_examples=60, deadline=None)
    @given(network_policies())
    def check(data: dict) -> None:
        data.setdefault("metadata", {})["namespace"] = "default"
        assert validate_network_policy(NetworkPolicy.from_dict(data)).errors == []

    check()


@pytest.mark.parametrize(
    "data",
    [
        {"metadata": {"name": "a"}},
        {"metadata": {"name": "a"}, "spec": {}},
        {"metadata": {"name": "a"}, "spec": {"podSelector": {"matchLabels": {}, "matchExpressions": []}}},
        {"metadata": {"name": "a"}, "spec": {"podSelector": {}, "ingress": [{}], "egress": []}},
        {"metadata": {"name": "a"}, "spec": {"ingress": [{"from": [], "ports": []}], "policyTypes": []}},
        {"metadata": {"name": "a"}, "spec": {"ingress": [{"ports": [{}]}], "policyTypes": ["Egress"]}},
        {
            "metadata": {"name": "a"},
            "spec": {
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": []}}]}],
                "policyTypes": ["Egress", "Ingress"],
            },
        },
        {
            "metadata": {"name": "a"},
            "spec": {
                "podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": []}]},
                "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {}}}]}],
            },
        },
    ],
)
def test_explicit_empties_survive(data: dict) -> None:
    back, errors = policy_to_form(data).to_policy()
    assert errors == []
    assert back.to_dict() == data


def test_metadata_and_unknown_fields_are_carried() -> None:
    data = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "web",
            "namespace": "prod",
            "labels": {"team": "a"},
            "annotations": {"note": "kept"},
            "resourceVersion": "4711",
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {"podSelector": {}, "someFutureField": {"x": 1}},
        "status": {"conditions": []},
    }
    form = policy_to_form(data)
    assert (form.name, form.namespace) == ("web", "prod")
    assert form.metadata == {
        "labels": {"team": "a"},
        "annotations": {"note": "kept"},
        "resourceVersion": "4711",
        "managedFields": [{"manager": "kubectl"}],
    }
    form.name = "web2"
    policy, errors = form.to_policy()
    assert errors == []
    assert policy.to_dict()["metadata"]["resourceVersion"] == "4711"
    assert policy.to_dict()["spec"]["someFutureField"] == {"x": 1}
    assert policy.to_dict()["status"] == {"conditions": []}
    assert policy.name == "web2"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"metadata": {"name": "a"}, "spec": {"ingress": [{"from": [{}]}]}}, "spec.ingress[0].from[0]"),
        (
            {
                "metadata": {"name": "a"},
                "spec": {"egress": [{"to": [{"ipBlock": {"cidr": "1.0.0.0/8"}, "podSelector": {}}]}]},
            },
            "spec.egress[0].to[0]",
        ),
        ({"metadata": {"name": "a"}, "spec": {"ingress": None}}, "spec.ingress"),
        (
            {"metadata": {"name": "a"}, "spec": {"ingress": [{"ports": [{"port": "80"}]}]}},
            "spec.ingress[0].ports[0].port",
        ),
        ({"metadata": {"name": "a"}, "spec": {"policyTypes": ["Sideways"]}}, "spec.policyTypes[0]"),
    ],
)
def test_shapes_the_form_cannot_hold_are_refused_by_name(data: dict, path: str) -> None:
    with pytest.raises(FormUnsupported) as info:
        policy_to_form(data)
    assert info.value.path == path
    assert info.value.reason


# ----- sections and policyTypes -----


def spec_of(form: PolicyForm) -> dict:
    policy, errors = form.to_policy()
    assert errors == []
    return policy.to_dict()["spec"]


def test_new_form_denies_all_ingress_and_leaves_egress_alone() -> None:
    form = PolicyForm(name="deny", namespace="default")
    assert spec_of(form) == {"podSelector": {}}
    policy = form.to_policy()[0]
    assert apply_defaults(policy).spec.policy_types == ["Ingress"]
    assert summarize_direction(policy, "Ingress") == "Deny all"
    assert summarize_direction(policy, "Egress") == "Not restricted"


def test_destination_on_without_rules_denies_all_egress() -> None:
    form = PolicyForm(name="x", egress=DirectionForm(enabled=True))
    assert spec_of(form) == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert describe(form.to_policy()[0])[1:] == ["Denies all ingress.", "Denies all egress."]


def test_source_off_destination_on_writes_egress_only() -> None:
    rule = RuleForm(peers=[ip_peer("10.0.0.0/8")])
    form = PolicyForm(
        name="x", ingress=DirectionForm(enabled=False), egress=DirectionForm(enabled=True, rules=[rule])
    )
    assert spec_of(form) == {
        "podSelector": {},
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
        "policyTypes": ["Egress"],
    }


def test_destination_off_with_rules_keeps_them_and_says_they_are_ignored() -> None:
    rule = RuleForm(ports=[PortForm(protocol="UDP", port="53")])
    form = PolicyForm(name="x", egress=DirectionForm(enabled=False, rules=[rule]))
    spec = spec_of(form)
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["egress"] == [{"ports": [{"protocol": "UDP", "port": 53}]}]
    assert "Its egress rules are ignored: policyTypes does not include Egress." in describe(
        form.to_policy()[0]
    )


def test_both_sections_off_is_a_form_error() -> None:
    form = PolicyForm(name="x", ingress=DirectionForm(enabled=False))
    _, errors = form.to_policy()
    assert [e.field for e in errors] == ["ingress.enabled"]


def test_policy_types_order_is_kept_until_a_section_changes() -> None:
    data = {"metadata": {"name": "a"}, "spec": {"policyTypes": ["Egress", "Ingress"]}}
    form = policy_to_form(data)
    assert form.ingress.enabled and form.egress.enabled
    assert spec_of(form)["policyTypes"] == ["Egress", "Ingress"]
    form.ingress.enabled = False
    assert spec_of(form)["policyTypes"] == ["Egress"]


def test_implicit_policy_types_become_explicit_only_when_needed() -> None:
    data = {"metadata": {"name": "a"}, "spec": {"egress": [{}]}}
    form = policy_to_form(data)
    assert form.ingress.enabled and form.egress.enabled
    form.egress.rules = []
    assert spec_of(form)["policyTypes"] == ["Ingress", "Egress"]


# ----- the reference's four scenarios, built as the console's steps do -----


SCENARIO_1 = """
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      run: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          access: "true"
"""


def test_scenario_1_allow_by_label() -> None:
    # Create: name, namespace default, Pod Selector from the nginx Deployment, no rules.
    form = PolicyForm(name="access-nginx", namespace="default", pod_selector=labels(app="nginx"))
    first = form.to_policy()[0]
    assert first.to_dict() == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "access-nginx", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"app": "nginx"}}},
    }
    assert summarize_direction(first, "Ingress") == "Deny all"
    # Edit: Source + Add, Rule + Add podSelector from the busybox Deployment, Port + Add TCP 80.
    form = policy_to_form(first)
    form.ingress.rules.append(
        RuleForm(peers=[pod_peer(app="busybox")], ports=[PortForm(protocol="TCP", port="80")])
    )
    expected = cli_yaml(SCENARIO_1, **{"run: nginx": "app: nginx", 'access: "true"': "app: busybox"})
    expected["metadata"]["namespace"] = "default"
    expected["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 80}]
    policy, errors = form.to_policy()
    assert errors == []
    assert policy.to_dict() == expected
    assert describe(policy) == [
        "Applies to pods in namespace default with labels app=nginx.",
        "Allows ingress from pods with labels app=busybox in the same namespace on TCP 80.",
        "Does not restrict egress.",
    ]
    assert summarize_direction(policy, "Ingress") == "1 rule"


SCENARIO_2 = """
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      run: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          access: "true"
    - ipBlock:
        cidr: 100.64.0.0/10
    - ipBlock:
        cidr: 10.0.0.1/24
"""


def test_scenario_2_allow_cidrs_with_the_health_check_range() -> None:
    expected = cli_yaml(SCENARIO_2, **{"run: nginx": "app: nginx", 'access: "true"': "app: busybox"})
    expected["metadata"]["namespace"] = "default"
    rule = RuleForm(peers=[pod_peer(app="busybox"), ip_peer("100.64.0.0/10"), ip_peer("10.0.0.1/24")])
    form = PolicyForm(
        name="access-nginx",
        namespace="default",
        pod_selector=labels(app="nginx"),
        ingress=DirectionForm(enabled=True, rules=[rule]),
    )
    assert form.to_policy() == (NetworkPolicy.from_dict(expected), [])
    # Several CIDRs typed into one ipBlock row become several ipBlock peers.
    rule.peers[1:] = [ip_peer("100.64.0.0/10, 10.0.0.1/24")]
    assert form.to_policy()[0].to_dict() == expected


SCENARIO_3 = """
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: busybox-policy
spec:
  podSelector:
    matchLabels:
      run: busybox
  egress:
  - to:
    - ipBlock:
        cidr: 106.11.12.21/32
    - ipBlock:
        cidr: 140.205.60.4/32
    - ipBlock:
        cidr: 140.205.60.13/32
    - ipBlock:
        cidr: 140.205.60.3/32
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
    - namespaceSelector: {}
    ports:
    - protocol: UDP
      port: 53
"""


def test_scenario_3_egress_only_to_given_ips_plus_dns() -> None:
    # As a form post: Destination + Add (ipBlock rows), + Add (all namespaces and UDP 53).
    items = [
        ("name", "busybox-policy"),
        ("namespace", "default"),
        ("podSelector.labels[0].key", "app"),
        ("podSelector.labels[0].value", "busybox"),
        ("ingress.enabled", "false"),
        ("ingress.enabled", "on"),
        ("egress.enabled", "on"),
        ("egress[0].peers[0].kind", "ipBlock"),
        ("egress[0].peers[0].cidr", "106.11.12.21/32 140.205.60.4/32\n140.205.60.13/32, 140.205.60.3/32"),
        ("egress[1].peers[0].kind", "ipBlock"),
        ("egress[1].peers[0].cidr", "0.0.0.0/0"),
        ("egress[1].peers[1].kind", "namespace"),
        ("egress[1].ports[0].protocol", "UDP"),
        ("egress[1].ports[0].port", "53"),
        ("egress[1].ports[0].endPort", ""),
    ]
    form = PolicyForm.from_form_data(items)
    expected = cli_yaml(SCENARIO_3, **{"run: busybox": "app: busybox"})
    expected["metadata"]["namespace"] = "default"
    policy, errors = form.to_policy()
    assert errors == []
    assert policy.to_dict() == expected
    assert summarize_direction(policy, "Egress") == "2 rules"
    assert describe(policy)[1:] == [
        "Denies all ingress.",
        "Allows egress to IP addresses in 106.11.12.21/32, IP addresses in 140.205.60.4/32, "
        "IP addresses in 140.205.60.13/32 or IP addresses in 140.205.60.3/32 on all ports.",
        "Allows egress to IP addresses in 0.0.0.0/0 or all pods in all namespaces on UDP 53.",
    ]


SCENARIO_4 = """
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  namespace: test-np
  name: deny-public-net
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 0.0.0.0/0
  egress:
  - to:
    - ipBlock:
        cidr: 192.168.0.0/16
    - ipBlock:
        cidr: 172.16.0.0/12
    - ipBlock:
        cidr: 10.0.0.0/8
"""


def test_scenario_4_namespace_denies_the_public_net() -> None:
    form = PolicyForm(
        name="deny-public-net",
        namespace="test-np",
        ingress=DirectionForm(enabled=True, rules=[RuleForm(peers=[ip_peer("0.0.0.0/0")])]),
        egress=DirectionForm(
            enabled=True,
            rules=[
                RuleForm(peers=[ip_peer("192.168.0.0/16"), ip_peer("172.16.0.0/12"), ip_peer("10.0.0.0/8")])
            ],
        ),
    )
    policy, errors = form.to_policy()
    assert errors == []
    assert policy.to_dict() == cli_yaml(SCENARIO_4)
    assert describe(policy)[0] == "Applies to all pods in namespace test-np."
    # The console's variant adds "namespaceSelector: All" to both sections.
    for section in (form.ingress, form.egress):
        section.rules[0].peers.insert(0, PeerForm(kind="namespace"))
    spec = form.to_policy()[0].to_dict()["spec"]
    assert spec["ingress"][0]["from"][0] == {"namespaceSelector": {}}
    assert spec["egress"][0]["to"][0] == {"namespaceSelector": {}}


# ----- HTML form posts -----


def test_form_data_names_and_round_trip() -> None:
    form = PolicyForm(
        name="web",
        namespace="shop",
        pod_selector=labels(app="web"),
        ingress=DirectionForm(
            enabled=True,
            rules=[
                RuleForm(
                    peers=[
                        ip_peer("10.0.0.0/8", "10.1.0.0/16"),
                        PeerForm(
                            kind="podAndNamespace",
                            pod_selector=labels(role="db"),
                            namespace_selector=labels(team="a"),
                        ),
                    ],
                    ports=[PortForm(protocol="TCP", port="8000", end_port="9000")],
                ),
                RuleForm(),
            ],
        ),
    )
    items = form.to_form_data()
    names = dict(items)
    assert names["podSelector.labels[0].key"] == "app"
    assert names["ingress.enabled"] == "true"
    assert names["ingress[0].peers[0].kind"] == "ipBlock"
    assert names["ingress[0].peers[0].cidr"] == "10.0.0.0/8"
    assert names["ingress[0].peers[0].except[0]"] == "10.1.0.0/16"
    assert names["ingress[0].peers[1].namespaceSelector.labels[0].value"] == "a"
    assert names["ingress[0].ports[0].endPort"] == "9000"
    assert "ingress[1].keep" in names  # the allow-all rule still has a field
    assert PolicyForm.from_form_data(items) == form
    assert form.to_policy()[0].to_dict()["spec"]["ingress"][1] == {}


def test_form_data_closes_gaps_drops_blank_rows_and_infers_kinds() -> None:
    form = PolicyForm.from_form_data(
        [
            ("name", " web "),
            ("podSelector.labels[3].key", "app"),
            ("podSelector.labels[3].value", "web"),
            ("podSelector.labels[7].key", ""),
            ("podSelector.labels[7].value", ""),
            ("podSelector.expressions[0].key", "tier"),
            ("podSelector.expressions[0].operator", "NotIn"),
            ("podSelector.expressions[0].values", "a, b"),
            ("ingress.enabled", "on"),
            ("ingress[5].peers[2].cidr", "10.0.0.0/8"),
            ("ingress[5].peers[2].except", "10.1.0.0/16, 10.2.0.0/16"),
            ("ingress[5].peers[4].namespaceSelector.labels[0].key", "team"),
            ("ingress[5].peers[4].namespaceSelector.labels[0].value", "a"),
        ]
    )
    assert form.name == "web"
    assert form.pod_selector.labels == [LabelRow(key="app", value="web")]
    assert form.pod_selector.expressions[0].values == ["a", "b"]
    assert form.egress.enabled is False
    [rule] = form.ingress.rules
    assert [p.kind for p in rule.peers] == ["ipBlock", "namespace"]
    assert rule.peers[0].except_ == ["10.1.0.0/16", "10.2.0.0/16"]
    spec = form.to_policy()[0].to_dict()["spec"]
    assert spec["podSelector"] == {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a", "b"]}],
    }


def test_non_numeric_end_port_is_kept_and_reported_port_names_pass_through() -> None:
    form = PolicyForm.from_form_data(
        [
            ("name", "web"),
            ("ingress.enabled", "on"),
            ("ingress[0].ports[0].protocol", "TCP"),
            ("ingress[0].ports[0].port", "web_port"),
            ("ingress[0].ports[0].endPort", "abc"),
        ]
    )
    assert form.ingress.rules[0].ports[0].end_port == "abc"
    policy, errors = form.to_policy()
    assert errors == [
        FieldError("ingress[0].ports[0].endPort", "FieldValueTypeInvalid", "must be a port number", "abc")
    ]
    assert policy.to_dict()["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": "web_port"}]}]
    result = validate_network_policy(policy)
    assert [form.form_field_for(e.field) for e in result.errors] == ["namespace", "ingress[0].ports[0].port"]
    # and the form data still shows what was typed
    assert ("ingress[0].ports[0].endPort", "abc") in form.to_form_data()


def test_broken_hidden_json_and_unknown_kinds_are_reported_not_raised() -> None:
    form = PolicyForm.from_form_data(
        [
            ("name", "web"),
            ("metadata", "{not json"),
            ("ingress.enabled", "on"),
            ("ingress[0].peers[0].kind", "service"),
        ]
    )
    policy, errors = form.to_policy()
    assert [e.field for e in errors] == ["metadata", "ingress[0].peers[0].kind"]
    assert policy.to_dict()["spec"]["ingress"] == [{}]  # the unknown peer is left out


def test_json_form_uses_camel_case_and_refuses_unknown_keys() -> None:
    data = {
        "name": "web",
        "podSelector": {"labels": [{"key": "app", "value": "web"}]},
        "ingress": {"enabled": True, "rules": [{"ports": [{"protocol": "TCP", "port": 80, "end_port": 90}]}]},
    }
    form = PolicyForm.model_validate(data)
    assert form.ingress.rules[0].ports[0].port == "80"
    dumped = form.model_dump()
    assert dumped["podSelector"]["labels"] == [{"key": "app", "value": "web"}]
    assert dumped["ingress"]["rules"][0]["ports"][0]["endPort"] == "90"
    with pytest.raises(ValueError):
        PolicyForm.model_validate({"name": "web", "colour": "blue"})


def test_duplicate_label_keys_are_a_form_error() -> None:
    form = PolicyForm(
        name="web",
        pod_selector=SelectorForm(labels=[LabelRow(key="a", value="1"), LabelRow(key="a", value="2")]),
    )
    _, errors = form.to_policy()
    assert [e.field for e in errors] == ["podSelector.labels[1].key"]


# ----- error mapping -----


def test_form_field_for_follows_the_peer_layout() -> None:
    rule = RuleForm(
        peers=[
            pod_peer(app="a"),
            ip_peer("10.0.0.0/8 192.168.0.0/16", "192.168.1.0/24", "10.9.0.0/16"),
            PeerForm(kind="bogus"),
            ip_peer("1.2.3.4/33"),
        ],
        ports=[PortForm(port="80", end_port="70")],
    )
    form = PolicyForm(name="x", namespace="n", ingress=DirectionForm(enabled=True, rules=[rule]))
    # object peers: 0 pod, 1 10/8 (except 10.9/16), 2 192.168/16 (except 192.168.1/24), 3 1.2.3.4/33
    peers = form.to_dict()[0]["spec"]["ingress"][0]["from"]
    assert [p.get("ipBlock", {}).get("cidr") for p in peers] == [
        None,
        "10.0.0.0/8",
        "192.168.0.0/16",
        "1.2.3.4/33",
    ]
    assert peers[1]["ipBlock"]["except"] == ["10.9.0.0/16"]
    f = form.form_field_for
    assert (
        f("spec.ingress[0].from[0].podSelector.matchLabels", "a")
        == "ingress[0].peers[0].podSelector.labels[0].value"
    )
    assert f("spec.ingress[0].from[2].ipBlock.cidr") == "ingress[0].peers[1].cidr"
    assert f("spec.ingress[0].from[2].ipBlock.except[0]") == "ingress[0].peers[1].except[0]"
    assert f("spec.ingress[0].from[1].ipBlock.except[0]") == "ingress[0].peers[1].except[1]"
    assert f("spec.ingress[0].from[3].ipBlock.cidr") == "ingress[0].peers[3].cidr"
    assert f("spec.ingress[0].from[3]") == "ingress[0].peers[3].kind"
    assert f("spec.ingress[0].ports[0].endPort") == "ingress[0].ports[0].endPort"
    assert f("metadata.name") == "name"
    assert f("metadata.namespace") == "namespace"
    assert f("spec.policyTypes[0]") == "ingress.enabled"
    assert f("spec.podSelector.matchExpressions[1].values[0]") == "podSelector.expressions[1].values[0]"
    assert f("ingress[0].peers[3].cidr") == "ingress[0].peers[3].cidr"  # form names pass through
    # without a form, peers map one to one
    assert form_field_for("spec.egress[2].to[1].ipBlock.cidr") == "egress[2].peers[1].cidr"


def test_validator_errors_land_on_the_fields_that_show_them() -> None:
    rule = RuleForm(peers=[ip_peer("10.0.0.0/8, 300.0.0.0/8"), ip_peer("172.16.0.0/12", "10.0.0.0/24")])
    form = PolicyForm(
        name="Bad_Name",
        namespace="default",
        pod_selector=labels(app="ok", **{"bad key!": "x"}),
        egress=DirectionForm(enabled=True, rules=[rule]),
    )
    policy, errors = form.to_policy()
    assert errors == []
    result = validate_network_policy(policy)
    shown = {form.form_field_for(e.field, e.value) for e in result.errors}
    assert shown == {
        "name",
        "podSelector.labels[1].key",
        "egress[0].peers[0].cidr",
        "egress[0].peers[1].except[0]",
    }


# ----- summaries -----


def test_summarize_direction_counts_rules() -> None:
    policy = NetworkPolicy.from_dict(
        {"metadata": {"name": "a"}, "spec": {"ingress": [{}, {}], "egress": [{}], "policyTypes": ["Ingress"]}}
    )
    assert summarize_direction(policy, "Ingress") == "2 rules"
    assert summarize_direction(policy, "Egress") == "Not restricted"
    with pytest.raises(ValueError):
        summarize_direction(policy, "Sideways")


def test_describe_words_for_every_peer_and_port_shape() -> None:
    policy = NetworkPolicy.from_dict(
        {
            "metadata": {"name": "a", "namespace": "shop"},
            "spec": {
                "podSelector": {
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]
                },
                "egress": [
                    {
                        "to": [
                            {"podSelector": {}},
                            {
                                "namespaceSelector": {"matchLabels": {"team": "x"}},
                                "podSelector": {"matchLabels": {"app": "db"}},
                            },
                            {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                        ],
                        "ports": [
                            {"port": "http"},
                            {"protocol": "UDP"},
                            {"protocol": "SCTP", "port": 10, "endPort": 20},
                        ],
                    },
                    {},
                ],
                "policyTypes": ["Egress"],
            },
        }
    )
    assert describe(policy) == [
        "Applies to pods in namespace shop matching tier in (a, b).",
        "Does not restrict ingress.",
        "Allows egress to all pods in the same namespace, pods with labels app=db in namespaces with labels "
        "team=x or IP addresses in 10.0.0.0/8 except 10.1.0.0/16 on TCP port named http, all UDP ports "
        "or SCTP 10-20.",
        "Allows egress to anywhere on all ports.",
    ]


_FIELD_NAMES = st.sampled_from(
    [
        "name",
        "namespace",
        "metadata",
        "extra",
        "specExtra",
        "policyTypes",
        "keep",
        "podSelector.labels[{i}].key",
        "podSelector.labels[{i}].value",
        "podSelector.expressions[{i}].operator",
        "podSelector.expressions[{i}].values[{j}]",
        "podSelector.expressions[{i}].values",
        "ingress.enabled",
        "egress.enabled",
        "ingress[{i}].keep",
        "egress[{i}].extra",
        "ingress[{i}].peers[{j}].kind",
        "egress[{i}].peers[{j}].cidr",
        "ingress[{i}].peers[{j}].except[{j}]",
        "ingress[{i}].peers[{j}].namespaceSelector.labels[{j}].key",
        "egress[{i}].ports[{j}].port",
        "ingress[{i}].ports[{j}].endPort",
        "ingress[{i}].ports[{j}].extra",
        "ingress[{i}].peers[{j}].ipBlockExtra",
        "ingress[[{i}]]..peers",
    ]
)


_ODD_VALUES = st.sampled_from(["{}", "[]", "null", "1", '{"a":', "on", "ipBlock", '{"labels": 1}'])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.tuples(_FIELD_NAMES, st.integers(0, 3), st.integers(0, 3)).map(
                lambda t: t[0].format(i=t[1], j=t[2])
            ),
            st.one_of(st.text(max_size=12), _ODD_VALUES),
        ),
        max_size=25,
    )
)
def test_any_form_post_parses_and_converts_without_raising(items: list[tuple[str, str]]) -> None:
    form = PolicyForm.from_form_data(items)
    policy, errors = form.to_policy()
    assert isinstance(policy, NetworkPolicy)
    assert all(isinstance(e, FieldError) for e in errors)
    assert PolicyForm.from_form_data(form.to_form_data()).to_dict()[0] == form.to_dict()[0]


def test_wrongly_typed_opaque_metadata_is_reported_at_metadata() -> None:
    form = PolicyForm.model_validate({"name": "a", "metadata": {"labels": "x"}})
    policy, errors = form.to_policy()
    assert [e.field for e in errors] == ["metadata"]
    assert policy.to_dict() == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "a"},
        "spec": {"podSelector": {}},
    }
