"""Lint over HTTP: `POST /api/v1/validate?lint=true` (offline, with the Pods, Namespaces and
Services in the body as context) and `lints` in a policy's GET answer (against the sandbox)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, wait_for
from tests.api.test_policies import base, cached, form

EGRESS_ONLY_DB: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "to-db", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}],
    },
}
WEB_POD = {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}}}


async def test_validate_with_lint_and_without(api: Api) -> None:
    plain = await api.send("POST", "/api/v1/validate", json=EGRESS_ONLY_DB)
    assert plain.status_code == 200, plain.text
    assert plain.json()["results"][0]["lints"] is None
    linted = await api.send("POST", "/api/v1/validate?lint=true", json=EGRESS_ONLY_DB)
    result = linted.json()["results"][0]
    assert result["valid"] is True
    # no pods in the body: only the rules that need none
    assert [f["id"] for f in result["lints"]] == ["egress-without-dns"]
    assert result["lints"][0]["help"].startswith("https://")
    with_pods = await api.send("POST", "/api/v1/validate?lint=true", json=[EGRESS_ONLY_DB, WEB_POD])
    answer = with_pods.json()
    assert len(answer["results"]) == 1  # the Pod is context, not a result
    ids = [f["id"] for f in answer["results"][0]["lints"]]
    assert ids == ["peer-matches-nothing", "egress-without-dns"]
    assert answer["results"][0]["lints"][0]["field"] == "spec.egress[0].to[0]"


async def test_get_policy_carries_its_lints(api: Api, ns: str) -> None:
    created = await api.send("POST", base(api, ns), json=form("nobody"), who="olga")
    assert created.status_code == 201, created.text
    await wait_for(lambda: cached(api, ns, "nobody") is not None)
    got = await api.get(f"{base(api, ns)}/nobody", who="vic")
    assert got.status_code == 200
    body = got.json()
    assert body["form"]["name"] == "nobody"  # the answer as before, plus lints
    assert [f["id"] for f in body["lints"]] == ["selects-no-pods"]
    assert ns in body["lints"][0]["message"]
