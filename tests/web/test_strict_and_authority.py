"""The pages on the real control plane: what is reviewed is what is stored (strict writes through
"Create from YAML" and the form's hidden extras, warnings once in the review), and per-user
authority (with impersonation the API server's refusal reaches the person)."""

from __future__ import annotations

import json
from typing import Any

from kubernetes_asyncio import client as k8s
from markupsafe import escape

from app.accounts.service import create_user
from tests.accounts.conftest import ConsoleFactory, csrf_of, login
from tests.web.conftest import approve_team
from tests.web.test_networkpolicies_page import post_panel


def esc(text: str) -> str:
    return str(escape(text))


CREATE_YAML = "/clusters/sandbox/networkpolicies/create-yaml"
V6_WARNING = (
    'spec.ingress[0].from[0].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 '
    'canonical format ("2001:db8::/32")'
)


async def test_create_from_yaml_refuses_an_unknown_field_at_its_path(admin: Any, kube: Any, namespace: str) -> None:
    _, client = admin
    page = await client.get(f"{CREATE_YAML}?namespace={namespace}")
    text = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: typo\n"
        "spec:\n  podSelector: {}\n  ingress:\n  - form: []\n"
    )
    for op in ("review", "apply"):
        r = await client.post(
            CREATE_YAML, data={"yaml": text, "namespace": namespace, "op": op, "csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 422, r.text
        assert '<code class="field-path">spec.ingress[0].form</code>' in r.text
        assert "unknown field" in r.text
    twice = text.replace("  podSelector: {}\n", "  podSelector: {}\n  podSelector: {}\n")
    r = await client.post(
        CREATE_YAML, data={"yaml": twice, "namespace": namespace, "op": "review", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 422 and esc('duplicate field "spec.podSelector"') in r.text
    assert (await k8s.NetworkingV1Api(kube).list_namespaced_network_policy(namespace)).items == []


async def test_the_forms_hidden_extras_are_written_strictly(admin: Any, kube: Any, namespace: str) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    r = await post_panel(client, page.text, "next", name="extras", specExtra=json.dumps({"ingres": [{}]}))
    assert r.status_code == 422, r.text
    assert "spec.ingres" in r.text and "unknown field" in r.text
    assert (await k8s.NetworkingV1Api(kube).list_namespaced_network_policy(namespace)).items == []


async def test_the_review_shows_each_warning_once(admin: Any, namespace: str) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    html = (await post_panel(client, page.text, "add:ingress.rules", name="v6")).text
    html = (await post_panel(client, html, "add:ingress[0].peers")).text
    html = (await post_panel(client, html, "refresh", **{"ingress[0].peers[0].kind": "ipBlock"})).text
    review = await post_panel(client, html, "next", **{"ingress[0].peers[0].cidr": "2001:DB8::/32"})
    assert review.status_code == 200, review.text
    assert review.text.count(esc(V6_WARNING)) == 1


async def test_with_impersonation_the_api_servers_refusal_reaches_the_person(
    make_console: ConsoleFactory, namespace: str
) -> None:
    async with make_console(impersonate=True) as (app, client):
        await approve_team(app)  # the console's whitelist lets the team write ...
        async with app.state.sessions() as db:
            await create_user(db, "bob", team="platform", roles=["operator"], password="bob-password-123")
            await db.commit()
        assert (await login(client, "bob", "bob-password-123")).status_code in (200, 303)
        page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
        assert page.status_code == 200
        refused = await post_panel(client, page.text, "next", name="by-bob")
        assert refused.status_code == 403  # ... but the cluster's RBAC gives bob nothing
        assert esc(
            'networkpolicies.networking.k8s.io is forbidden: User "bob" cannot create resource '
            f'"networkpolicies" in API group "networking.k8s.io" in the namespace "{namespace}"'
        ) in refused.text


async def test_with_impersonation_live_reads_are_the_persons_too(
    make_console: ConsoleFactory, kube: Any, namespace: str
) -> None:
    """Details, YAML and Edit read the policy live as the person: RBAC that grants bob no `get`
    refuses him in the API server's words (the list still comes from the console's cache)."""
    await k8s.NetworkingV1Api(kube).create_namespaced_network_policy(
        namespace, {"metadata": {"name": "seen"}, "spec": {"podSelector": {}}}
    )
    async with make_console(impersonate=True) as (app, client):
        async with app.state.sessions() as db:
            await create_user(db, "bob", team="platform", roles=["viewer"], password="bob-password-123")
            await db.commit()
        assert (await login(client, "bob", "bob-password-123")).status_code in (200, 303)
        details = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/seen")
        assert details.status_code == 403
        words = 'User "bob" cannot get resource "networkpolicies" in API group "networking.k8s.io"'
        assert esc(f'{words} in the namespace "{namespace}"') in details.text
