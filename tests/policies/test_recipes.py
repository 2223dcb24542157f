"""The recipe gallery: every recipe is a valid policy that survives the form, and the four
scenario recipes are the reference page's YAML (tests/cli/fixtures/scenario*.yaml) in the
console's flavour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.policies.form import PolicyForm
from app.policies.recipes import (
    CLIENT_CIDR_PLACEHOLDER,
    EGRESS_IP_PLACEHOLDER,
    RECIPES,
)
from app.policies.validation import validate_network_policy

FIXTURES = Path(__file__).resolve().parents[1] / "cli" / "fixtures"

# The console's flavour of the reference: its console steps pick workloads labelled app=...
# (the command-line YAML uses run=... and access=true for the same pods).
CONSOLE_LABELS = {
    ("run", "nginx"): ("app", "nginx"),
    ("run", "busybox"): ("app", "busybox"),
    ("access", "true"): ("app", "busybox"),
}
# The reference's example addresses become placeholders the user replaces.
PLACEHOLDERS = {
    "10.0.0.1/24": CLIENT_CIDR_PLACEHOLDER,
    "106.11.12.21/32": EGRESS_IP_PLACEHOLDER,
    "140.205.1.4/32": EGRESS_IP_PLACEHOLDER,
    "140.205.1.13/32": EGRESS_IP_PLACEHOLDER,
    "140.205.1.3/32": EGRESS_IP_PLACEHOLDER,
}


def reference(file: str, name: str) -> dict[str, Any]:
    docs = list(yaml.safe_load_all((FIXTURES / file).read_text()))
    return next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name)


def console_flavour(value: Any) -> Any:
    """Relabel, replace example addresses, and drop the repeats placeholders create."""
    if isinstance(value, dict):
        if "matchLabels" in value:
            value = {
                **value,
                "matchLabels": dict(CONSOLE_LABELS.get(kv, kv) for kv in value["matchLabels"].items()),
            }
        if "cidr" in value:
            value = {**value, "cidr": PLACEHOLDERS.get(value["cidr"], value["cidr"])}
        return {k: console_flavour(v) for k, v in value.items()}
    if isinstance(value, list):
        out = []
        for item in (console_flavour(v) for v in value):
            if item not in out:
                out.append(item)
        return out
    return value


def canonical(spec: dict[str, Any]) -> dict[str, Any]:
    """Peers of a rule compared as a set (the order of peers does not change a policy's meaning)."""
    spec = json.loads(json.dumps(spec))
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(key) or []:
            rule[peers_key] = sorted(rule.get(peers_key) or [], key=json.dumps)
    return spec


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_builds_a_valid_policy_through_the_form(name: str) -> None:
    recipe = RECIPES[name]
    form = recipe.build("team-a")
    assert isinstance(form, PolicyForm)
    assert form.namespace == "team-a" and form.name == recipe.policy_name
    policy, errors = form.to_policy()
    assert errors == []
    result = validate_network_policy(policy)
    assert result.valid, result.errors
    assert result.warnings == []
    assert policy.to_dict() == recipe.policy("team-a")
    # the form survives an HTML post of itself (the editor's round trip)
    again = PolicyForm.from_form_data(form.to_form_data())
    assert again.to_policy()[0].to_dict() == policy.to_dict()


def test_the_gallery_starts_with_the_reference_scenarios_then_the_usual_ones() -> None:
    assert list(RECIPES) == [
        "allow-by-label",
        "allow-cidrs",
        "egress-to-ips",
        "deny-public-net",
        "default-deny-ingress",
        "default-deny-egress",
        "allow-dns",
        "allow-same-namespace",
    ]
    assert all(r.title and r.description for r in RECIPES.values())


def test_scenario_1_is_access_nginx_with_the_console_port_row() -> None:
    ref = console_flavour(reference("scenario1-access-nginx.yaml", "access-nginx"))
    # The console steps add a Port row: TCP 80.
    ref["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 80}]
    assert RECIPES["allow-by-label"].policy("default")["spec"] == ref["spec"]
    assert RECIPES["allow-by-label"].policy_name == ref["metadata"]["name"]


def test_scenario_2_adds_the_health_check_range_and_a_client_range() -> None:
    ref = console_flavour(reference("scenario2-cidr.yaml", "access-nginx"))
    ref["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 80}]
    ours = RECIPES["allow-cidrs"].policy("default")["spec"]
    assert ours == ref["spec"]
    assert {"ipBlock": {"cidr": "100.64.0.0/10"}} in ours["ingress"][0]["from"]


def test_scenario_3_allows_egress_to_given_addresses_and_dns_on_udp_53() -> None:
    ref = console_flavour(reference("scenario3-busybox-egress.yaml", "busybox-policy"))
    ours = RECIPES["egress-to-ips"].policy("default")
    assert ours["spec"] == ref["spec"]
    assert ours["metadata"]["name"] == "busybox-policy"


def test_scenario_4_deny_public_net_allows_only_private_ranges_and_all_namespaces() -> None:
    ref = console_flavour(reference("scenario4-deny-public-net.yaml", "deny-public-net"))
    # The console steps also allow all namespaces (namespaceSelector: All) in both directions.
    ref["spec"]["ingress"][0]["from"].append({"namespaceSelector": {}})
    ref["spec"]["egress"][0]["to"].append({"namespaceSelector": {}})
    ours = RECIPES["deny-public-net"].policy("test-np")
    assert canonical(ours["spec"]) == canonical(ref["spec"])
    assert ours["metadata"] == {"name": "deny-public-net", "namespace": "test-np"}


def test_allow_dns_reaches_kube_dns_on_udp_and_tcp_53_only() -> None:
    spec = RECIPES["allow-dns"].policy("x")["spec"]
    assert spec["policyTypes"] == ["Egress"]
    (rule,) = spec["egress"]
    assert rule["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]


def test_default_deny_recipes_restrict_one_direction_with_no_rules() -> None:
    ingress = RECIPES["default-deny-ingress"].policy("x")["spec"]
    egress = RECIPES["default-deny-egress"].policy("x")["spec"]
    assert ingress == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert egress == {"podSelector": {}, "policyTypes": ["Egress"]}
