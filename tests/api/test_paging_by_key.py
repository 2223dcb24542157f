"""Key-based paging of the whitelist listing (stable while applications are submitted) and the
bounds of the whitelist's and the audit log's continue tokens."""

from __future__ import annotations

from typing import Any

from app.api import paging
from app.whitelist import service as wl
from tests.api.conftest import Api
from tests.api.test_policies import PROBLEM

URL = "/api/v1/whitelist/applications"


async def _submit(api: Api, team: str) -> int:
    async with api.app.state.sessions() as db:
        app = await wl.submit(db, "paging-cluster", team, "olga", "paging test")
        await db.commit()
        return app.id


async def _page(api: Api, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"cluster": "paging-cluster", "limit": 2}
    if token:
        params["continue"] = token
    response = await api.get(URL, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_whitelist_pages_neither_repeat_nor_skip_while_applications_are_submitted(api: Api) -> None:
    ids = [await _submit(api, f"team-{i}") for i in range(5)]
    first = await _page(api)
    assert [a["id"] for a in first["items"]] == ids[::-1][:2]
    newer = await _submit(api, "team-new")  # newest first: an offset page would now repeat ids[2]
    seen = [a["id"] for a in first["items"]]
    token = first["metadata"]["continue"]
    while token:
        page = await _page(api, token)
        seen += [a["id"] for a in page["items"]]
        token = page["metadata"]["continue"]
    assert seen == ids[::-1]
    assert newer not in seen
    assert [a["id"] for a in (await _page(api))["items"]] == [newer, ids[4]]


async def test_whitelist_continue_tokens_out_of_range_are_400(api: Api) -> None:
    for value in (0, -1, 2**63, 10**30, "7", True, None, 1.5):
        bad = await api.get(URL, params={"continue": paging.encode("whitelist", value)})
        assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM, (value, bad.text)
    largest = await api.get(URL, params={"continue": paging.encode("whitelist", 2**63 - 1)})
    assert largest.status_code == 200
    assert (await api.get(URL, params={"continue": "not a token!"})).status_code == 400


async def test_audit_continue_token_too_large_is_a_400_problem(api: Api) -> None:
    for token in ("99999999999999999999999", str(2**63), "0", "-5", "x"):
        bad = await api.get("/api/v1/audit", params={"continue": token})
        assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM, (token, bad.text)
        assert bad.json()["status"] == 400
    assert (await api.get("/api/v1/audit", params={"continue": str(2**63 - 1)})).status_code == 200
