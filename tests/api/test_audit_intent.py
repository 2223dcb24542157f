"""The request id and the outcomes of cluster writes, through the HTTP layer: an entry carries the
X-Request-ID its response carried; the API and the audit page say each outcome in words (Chinese
too) and show the request id."""

from __future__ import annotations

import httpx

from app.audit import service as audit
from tests.api.conftest import ADMIN_PASSWORD, BASE, Api


def _base(ns: str) -> str:
    return f"/api/v1/clusters/sandbox/namespaces/{ns}/networkpolicies"


async def test_an_entry_carries_the_request_id_of_its_response(api: Api, ns: str) -> None:
    body = {"metadata": {"name": "traced"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    sent = await api.send("POST", _base(ns), json=body, who="olga", headers={"X-Request-ID": "trace-7f3a"})
    assert sent.status_code == 201, sent.text
    assert sent.headers["x-request-id"] == "trace-7f3a"
    made_up = await api.send("POST", _base(ns), json={**body, "metadata": {"name": "untraced"}}, who="olga")
    assert made_up.status_code == 201, made_up.text

    listed = await api.get("/api/v1/audit", params={"namespace": ns})
    assert listed.status_code == 200
    items = {i["name"]: i for i in listed.json()["items"]}
    traced, untraced = items["traced"], items["untraced"]
    assert (traced["request_id"], traced["outcome"], traced["outcome_text"]) == ("trace-7f3a", "success", "success")
    assert traced["completed_at"] >= traced["at"]
    # no header sent: the id the console made for the request, the one its response carried
    assert untraced["request_id"] == made_up.headers["x-request-id"] and untraced["request_id"]

    pending = await api.get("/api/v1/audit", params={"namespace": ns, "outcome": "pending"})
    assert pending.status_code == 200 and pending.json()["items"] == []
    wrong = await api.get("/api/v1/audit", params={"outcome": "maybe"})
    assert wrong.status_code == 400 and "outcome" in wrong.text


async def test_the_audit_page_says_the_outcomes_in_words_and_shows_the_request_id(api: Api, ns: str) -> None:
    async with api.app.state.sessions() as db:
        await audit.record(db, "olga", "api", "sandbox", ns, "NetworkPolicy", "left", "create", "pending",
                           None, {"metadata": {"name": "left"}})
        await audit.record(db, "olga", "api", "sandbox", ns, "NetworkPolicy", "found", "create", "applied",
                           None, {"metadata": {"name": "found"}}, "Reconciled at start: the object holds it")
        await db.commit()
    by_api = (await api.get("/api/v1/audit", params={"namespace": ns, "outcome": "applied"})).json()["items"]
    assert [(i["name"], i["outcome_text"]) for i in by_api] == [("found", "applied (found on the cluster later)")]
    sent = await api.send("POST", _base(ns), who="olga", headers={"X-Request-ID": "page-req-1"},
                          json={"metadata": {"name": "shown"}, "spec": {"podSelector": {}}})
    assert sent.status_code == 201, sent.text

    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as browser:
        signed = await browser.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/"})
        assert signed.status_code == 303
        page = (await browser.get("/audit", params={"namespace": ns})).text
        assert "pending: sent to the cluster, no answer yet" in page
        assert "applied (found on the cluster later)" in page
        assert "Request ID" in page and "<code>page-req-1</code>" in page
        only = (await browser.get("/audit", params={"namespace": ns, "outcome": "pending"},
                                  headers={"HX-Request": "true"})).text
        assert "pending: sent to the cluster" in only and "<code>page-req-1</code>" not in only
        browser.cookies.set("lang", "zh-CN")
        chinese = (await browser.get("/audit", params={"namespace": ns})).text
        assert "待定：已发往集群，尚无应答" in chinese and "已生效（事后在集群上核实）" in chinese
        assert "请求 ID" in chinese
