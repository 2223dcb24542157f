"""The Quota Center and audit pages through the running console (real login, CSRF, database and
sandbox cluster): apply, decide, refusals rendered with their status codes, filters in the URL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.accounts.service import create_user
from app.audit import service as audit
from tests.accounts.conftest import BASE, ConsoleFactory, csrf_of, login, make_console  # noqa: F401

PASSWORD = "correct-horse-battery"


@pytest.fixture
async def console_users(make_console: ConsoleFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:  # noqa: F811
    async with make_console() as (app, client):
        async with app.state.sessions() as db:
            await create_user(db, "alice", team="app-team", roles=["operator"], password=PASSWORD)
            await create_user(db, "pat", team="platform", roles=["approver"], password=PASSWORD)
            await create_user(db, "quinn", team="platform", roles=["approver", "operator"], password=PASSWORD)
            await db.commit()
        yield app, client


async def _client(app: FastAPI, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    assert (await login(client, username, PASSWORD)).status_code == 303
    return client


async def _csrf(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/whitelist")).text)


async def test_apply_approve_revoke_through_the_pages(console_users) -> None:
    app, _ = console_users
    cluster = app.state.clusters.names()[0]
    alice, pat = await _client(app, "alice"), await _client(app, "pat")
    try:
        page = await alice.get("/whitelist")
        assert page.status_code == 200
        assert f'<option value="{cluster}"' in page.text
        assert 'for="apply-reason"' in page.text and 'name="csrf_token"' in page.text
        assert ">Approve<" not in page.text  # alice is no approver

        refused = await alice.post("/whitelist", data={"cluster": cluster, "reason": "shop"})
        assert refused.status_code == 403  # no CSRF token
        token = await _csrf(alice)
        applied = await alice.post("/whitelist", data={"cluster": cluster, "reason": "our shop",
                                                       "csrf_token": token})
        assert applied.status_code == 303
        listing = (await alice.get("/whitelist")).text
        app_id = int(re.search(r'<tr id="application-(\d+)">', listing).group(1))  # type: ignore[union-attr]
        assert "our shop" in listing and ">Pending<" in listing

        # a direct POST by a non-approver is refused in the service, rendered on the page
        direct = await alice.post(f"/whitelist/{app_id}/approve", data={"csrf_token": token})
        assert direct.status_code == 403
        assert "Only approvers decide" in direct.text and 'role="alert"' in direct.text

        pat_page = (await pat.get("/whitelist")).text
        assert ">Approve<" in pat_page and ">Reject<" in pat_page and f'for="comment-{app_id}"' in pat_page
        pat_token = csrf_of(pat_page)
        approved = await pat.post(f"/whitelist/{app_id}/approve?status=Approved",
                                  data={"csrf_token": pat_token, "comment": "go ahead", "version": "1"})
        assert approved.status_code == 303
        assert approved.headers["location"].endswith(f"/whitelist?status=Approved&done=approve&name={app_id}")
        after = (await pat.get(approved.headers["location"])).text
        assert f'role="status" id="whitelist-done">Application #{app_id} was approved.</div>' in after
        assert f'id="application-{app_id}"' in after and "go ahead" in after and ">Revoke<" in after
        assert '<option value="Approved" selected>' in after

        again = await pat.post(f"/whitelist/{app_id}/reject", data={"csrf_token": pat_token, "version": "1"})
        assert again.status_code == 409
        assert f"Application #{app_id} is already Approved by pat" in again.text

        revoked = await pat.post(f"/whitelist/{app_id}/revoke",
                                 data={"csrf_token": pat_token, "comment": "done", "version": "2"})
        assert revoked.status_code == 303
        assert ">Revoked<" in (await alice.get(f"/whitelist?cluster={cluster}")).text

        audit_page = await alice.get(f"/audit?actor=pat&name={app_id}")
        assert audit_page.status_code == 200
        text = audit_page.text
        assert "application.approve" in text and "application.revoke" in text
        assert "application.submit" not in text  # filtered by user
        assert '<span class="diff-del">-status: Pending</span>' in text
        assert '<span class="diff-add">+status: Approved</span>' in text
        assert 'value="pat"' in text  # the filter stays in the form
        refusals = (await alice.get("/audit?actor=alice")).text
        assert "Only approvers decide" in refusals and "failure" in refusals
    finally:
        await alice.aclose()
        await pat.aclose()


async def test_self_approval_and_invalid_forms_are_refused_with_status_codes(console_users) -> None:
    app, _ = console_users
    cluster = app.state.clusters.names()[0]
    quinn = await _client(app, "quinn")
    try:
        token = await _csrf(quinn)
        empty = await quinn.post("/whitelist", data={"cluster": cluster, "reason": " ", "csrf_token": token})
        assert empty.status_code == 422
        assert 'aria-invalid="true"' in empty.text and "Reason: Required value" in empty.text
        unknown = await quinn.post("/whitelist",
                                   data={"cluster": "nowhere", "reason": "x", "csrf_token": token})
        assert unknown.status_code == 422
        assert (await quinn.post("/whitelist", data={"cluster": cluster, "reason": "ours",
                                                     "csrf_token": token})).status_code == 303
        twice = await quinn.post("/whitelist",
                                 data={"cluster": cluster, "reason": "ours", "csrf_token": token})
        assert twice.status_code == 409 and "already has an application" in twice.text
        page = (await quinn.get("/whitelist")).text
        assert "Your own application" in page
        app_id = int(re.search(r'<tr id="application-(\d+)">', page).group(1))  # type: ignore[union-attr]
        own = await quinn.post(f"/whitelist/{app_id}/approve", data={"csrf_token": token})
        assert own.status_code == 403 and "cannot decide your own application" in own.text
        missing = await quinn.post("/whitelist/99999/approve", data={"csrf_token": token})
        assert missing.status_code == 404
        bogus = await quinn.post(f"/whitelist/{app_id}/bless", data={"csrf_token": token})
        assert bogus.status_code == 404
    finally:
        await quinn.aclose()


async def test_filters_answer_htmx_with_the_table_fragment(console_users) -> None:
    app, _ = console_users
    alice = await _client(app, "alice")
    try:
        fragment = await alice.get("/whitelist?status=Pending", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert fragment.text.lstrip().startswith('<div id="whitelist-table">')
        assert "<html" not in fragment.text
        audit_fragment = await alice.get("/audit?cluster=x", headers={"HX-Request": "true"})
        assert audit_fragment.text.lstrip().startswith('<div id="audit-entries">')
        assert "No audit entries." in audit_fragment.text
        full = await alice.get("/audit")
        assert full.status_code == 200 and 'for="audit-namespace"' in full.text

        async with app.state.sessions() as db:
            for i in range(55):
                await audit.record(db, "bot", "api", "c1", "ns", "NetworkPolicy", f"p{i}", "create",
                                   "success", None, {"i": i})
            await db.commit()
        first = (await alice.get("/audit?cluster=c1")).text
        assert first.count('<tr id="audit-') == 50
        assert "</span> p54</td>" in first and "</span> p4</td>" not in first
        link = re.search(r'href="[^"]*?(/audit\?[^"]*continue=\d+[^"]*)" rel="next"', first)
        assert link, "no link to older entries"
        assert "cluster=c1" in link.group(1)
        second = (await alice.get(link.group(1).replace("&amp;", "&"))).text
        assert second.count('<tr id="audit-') == 5 and "</span> p0</td>" in second
        assert 'rel="next"' not in second and ">Newest<" in second
    finally:
        await alice.aclose()


HX = {"HX-Request": "true"}


async def test_each_write_says_so_on_the_page_that_follows_with_and_without_htmx(console_users) -> None:
    app, _ = console_users
    cluster = app.state.clusters.names()[0]
    alice, pat = await _client(app, "alice"), await _client(app, "pat")
    try:
        token = await _csrf(alice)
        # htmx is told where to go (HX-Redirect); the page there says what was done
        applied = await alice.post("/whitelist", data={"cluster": cluster, "reason": "ours", "csrf_token": token},
                                   headers=HX)
        assert applied.status_code == 204 and "location" not in applied.headers
        page = (await alice.get(applied.headers["HX-Redirect"])).text
        assert (f'<div class="notice" role="status" id="whitelist-done">Your team\'s application for cluster '
                f'{cluster} was submitted.</div>') in page.replace("&#39;", "'")
        app_id = int(re.search(r'<tr id="application-(\d+)">', page).group(1))  # type: ignore[union-attr]
        assert "was submitted" not in (await alice.get("/whitelist")).text  # said once, on the page that follows

        pat_token = await _csrf(pat)
        rejected = await pat.post(f"/whitelist/{app_id}/reject", data={"csrf_token": pat_token, "version": "1"})
        assert rejected.status_code == 303
        assert f"Application #{app_id} was rejected." in (await pat.get(rejected.headers["location"])).text

        # A refusal, with or without htmx: the page again with the reason in the summary, and no
        # success message, even though the form was posted from a page that had one.
        for headers in ({}, HX):
            again = await pat.post(f"/whitelist/{app_id}/revoke?done=reject&name={app_id}",
                                   data={"csrf_token": pat_token, "version": "2"}, headers=headers)
            assert again.status_code == 409
            assert f"Application #{app_id} is already Rejected by pat; only an Approved application can be revoked" \
                in again.text
            assert 'id="error-summary"' in again.text and "was rejected." not in again.text
            assert "<html" in again.text  # the whole page: the summary is not in the table's fragment

        # the refusal in the user's language
        pat.cookies.set("lang", "zh-CN")
        zh = await pat.post(f"/whitelist/{app_id}/revoke", data={"csrf_token": pat_token, "version": "2"})
        assert zh.status_code == 409
        assert f"申请 #{app_id} 的状态已是已拒绝（由 pat 决定）；只有已批准的申请可以撤销" in zh.text

        applied = await alice.post("/whitelist", data={"cluster": cluster, "reason": "again", "csrf_token": token})
        page = (await alice.get(applied.headers["location"])).text
        second = int(re.search(r'<tr id="application-(\d+)">', page).group(1))  # type: ignore[union-attr]
        approved = await pat.post(f"/whitelist/{second}/approve", data={"csrf_token": pat_token, "version": "1"},
                                  headers=HX)
        assert approved.status_code == 204
        assert f"申请 #{second} 已批准。" in (await pat.get(approved.headers["HX-Redirect"])).text
        pat.cookies.delete("lang")
        revoked = await pat.post(f"/whitelist/{second}/revoke", data={"csrf_token": pat_token, "version": "2"})
        assert f"Application #{second} was revoked." in (await pat.get(revoked.headers["location"])).text
    finally:
        await alice.aclose()
        await pat.aclose()
