"""The admins' NetworkPolicy switch on the real control plane: a review step that says what
turning policies off or on does, then eni-config's disable_network_policy set through the API
server (a merge patch) and an audit entry; people who are not admins may not use it."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from app.accounts.service import create_user
from app.audit import service as audit
from tests.accounts.conftest import csrf_of, login
from tests.sandbox.kubectl import Kubectl
from tests.sandbox.terway import Terway, terway  # noqa: F401 - fixture
from tests.web.test_readiness import page_when, panel, text

Admin = tuple[FastAPI, httpx.AsyncClient]
OVERVIEW = "/clusters/sandbox/overview"


def switch_link(page: str, label: str) -> str:
    found = re.search(rf'<a class="btn" href="([^"]+)">{label}</a>', page)
    assert found, text(page)
    return found.group(1).replace("&amp;", "&")


async def test_an_admin_turns_policies_off_and_on_after_a_review(
    admin: Admin, k: Kubectl, terway: Terway  # noqa: F811
) -> None:
    app, client = admin
    overview = (await client.get(OVERVIEW)).text
    review = await client.get(switch_link(overview, "Turn off network policies"))
    assert review.status_code == 200
    said = text(review.text)
    assert "traffic they deny is no longer blocked" in said and "disable_network_policy is set to true" in said
    done = await client.post("/clusters/sandbox/network-policy-switch",
                             data={"enable": "false", "csrf_token": csrf_of(review.text)})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].split("?")[0].endswith(OVERVIEW)
    told = (await client.get(done.headers["location"])).text
    assert "Network policies were turned off for cluster sandbox." in text(told)
    stored = k.json("get", "configmap", "eni-config", "-n", "kube-system")["data"]
    assert stored["disable_network_policy"] == "true" and "eni_conf" in stored  # a merge patch: the rest stays
    overview = await page_when(client, OVERVIEW, lambda p: panel(p).startswith("Network policy enforcement Disabled"))

    review = await client.get(switch_link(overview, "Turn on network policies"))
    said = text(review.text)
    assert "Existing nodes without DataPath V2 keep their old behaviour until they are restarted or replaced" in said
    assert "turns on DataPath V2" in said  # the demo's eBPF provider on veth
    done = await client.post("/clusters/sandbox/network-policy-switch",
                             data={"enable": "true", "csrf_token": csrf_of(review.text)})  # fmt: skip
    assert done.status_code == 303
    assert k.json("get", "configmap", "eni-config", "-n", "kube-system")["data"]["disable_network_policy"] == "false"

    async with app.state.sessions() as db:
        entries = (await audit.query(db)).entries
    mine = [(e.actor, e.action, e.outcome, e.kind, e.namespace, e.name) for e in entries if e.name == "eni-config"]
    assert mine[:2] == [
        ("admin", "networkpolicy.enable", "success", "ConfigMap", "kube-system", "eni-config"),
        ("admin", "networkpolicy.disable", "success", "ConfigMap", "kube-system", "eni-config"),
    ]


async def test_without_eni_config_the_switch_fails_audited_and_others_may_not_use_it(
    admin: Admin, terway: Terway  # noqa: F811
) -> None:
    app, client = admin
    review = await client.get("/clusters/sandbox/network-policy-switch?enable=true")
    terway.remove_config()
    failed = await client.post("/clusters/sandbox/network-policy-switch",
                               data={"enable": "true", "csrf_token": csrf_of(review.text)})  # fmt: skip
    assert failed.status_code == 404 and 'role="alert"' in failed.text and "eni-config" in text(failed.text)
    async with app.state.sessions() as db:
        latest = (await audit.query(db)).entries[0]
    assert (latest.action, latest.outcome, latest.name) == ("networkpolicy.enable", "failure", "eni-config")

    async with app.state.sessions() as db:
        await create_user(db, "olive", team="platform", roles=["operator"], password="olive-pw-12345")
        await db.commit()
    async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as other:
        assert (await login(other, "olive", "olive-pw-12345")).status_code in (200, 303)
        assert "Turn off network policies" not in (await other.get(OVERVIEW)).text
        assert (await other.get("/clusters/sandbox/network-policy-switch?enable=false")).status_code == 403
