"""What is reviewed is what is stored: API writes are strict (``fieldValidation=Strict``) on the
real API server, so an unknown or duplicated field is an error at its path, never dropped; the
API server's warnings come back once, even where our validator warns the same."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_policies import PROBLEM, base

UNKNOWN = {
    "metadata": {"name": "typo"},
    "spec": {
        "podSelector": {},
        "ingres": [{}],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "exept": ["10.1.0.0/16"]}}]}],
    },
}


async def stored_names(api: Api, ns: str) -> list[str]:
    cluster = next(iter(api.app.state.clusters))
    return [p["metadata"]["name"] for p in (await cluster.list_page("networkpolicies", ns))["items"]]


async def test_unknown_fields_are_422_at_their_paths_and_nothing_is_stored(api: Api, ns: str) -> None:
    for query in ("?dryRun=true", ""):
        r = await api.send("POST", base(api, ns) + query, json=UNKNOWN, who="olga")
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
        problem = r.json()
        assert "strict decoding error" in problem["detail"]  # the API server's own words
        assert sorted((e["field"], e["type"]) for e in problem["errors"]) == [
            ("spec.ingres", "FieldValueForbidden"),
            ("spec.ingress[0].from[0].ipBlock.exept", "FieldValueForbidden"),
        ]
        assert problem["errors"][0]["message"] == "Forbidden: unknown field"
    yaml_body = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: typo\n"
        "  labels: {a: b}\n  lables: {c: d}\nspec:\n  podSelector: {}\n"
    )
    r = await api.send("POST", base(api, ns), content=yaml_body, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["metadata.lables"]
    assert await stored_names(api, ns) == []


async def test_an_update_with_an_unknown_field_is_refused_and_the_stored_object_kept(api: Api, ns: str) -> None:
    made = await api.send("POST", base(api, ns), json={"metadata": {"name": "p"}, "spec": {"podSelector": {}}})
    assert made.status_code == 201, made.text
    obj: dict[str, Any] = made.json()["object"]
    obj["spec"]["egres"] = [{}]
    r = await api.send("PUT", f"{base(api, ns)}/p", json=obj)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "spec.egres"
    cluster = next(iter(api.app.state.clusters))
    live = await cluster.get_object("networkpolicies", ns, "p")
    assert live["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


async def test_duplicated_fields_are_refused_naming_the_field(api: Api, ns: str) -> None:
    text = '{"metadata": {"name": "dup"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "podSelector": {}}}'
    r = await api.send("POST", base(api, ns), content=text, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and 'duplicate field "spec.podSelector"' in r.json()["detail"]
    yaml_body = "metadata:\n  name: dup\nspec:\n  podSelector: {}\n  podSelector: {matchLabels: {a: b}}\n"
    r = await api.send("POST", base(api, ns), content=yaml_body, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 400 and 'duplicate field "spec.podSelector"' in r.json()["detail"]
    assert await stored_names(api, ns) == []


async def test_warnings_of_the_api_server_and_ours_come_back_once(api: Api, ns: str) -> None:
    body = {
        "metadata": {"name": "v6"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:DB8::/32"}}]}]},
    }
    expected = [
        'spec.ingress[0].from[0].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 '
        'canonical format ("2001:db8::/32")'
    ]
    cluster = next(iter(api.app.state.clusters))
    direct = await cluster.create_network_policy({**body, "metadata": {"name": "v6", "namespace": ns}}, dry_run=True)
    assert direct.warnings == expected  # the API server itself warns (Warning header) ...
    for query, status in (("?dryRun=true", 200), ("", 201)):
        r = await api.send("POST", base(api, ns) + query, json=body)
        assert r.status_code == status, r.text
        assert r.json()["warnings"] == expected  # ... and so does our validator: given once
