"""Odd input gets an answer, never a 500: huge ids in paths, non-ASCII digits and huge numbers as
ports, oversized or deeply nested YAML."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import Invalid
from app.web.policy_views import MAX_YAML_BYTES, policy_from_text
from tests.accounts.conftest import csrf_of

HUGE_IDS = (str(2**63), str(10**30), "9" * 400)


async def test_a_huge_whitelist_application_id_is_not_found_or_invalid(admin: Any) -> None:
    _app, client = admin
    token = csrf_of((await client.get("/whitelist")).text)
    for app_id in (*HUGE_IDS, "0"):
        response = await client.post(f"/whitelist/{app_id}/approve", data={"csrf_token": token})
        assert response.status_code in (404, 422), (app_id, response.status_code)
    # the largest id the database's integer holds is looked up; one more is refused (app.limits.RowId)
    assert (await client.post(f"/whitelist/{2**31 - 1}/approve", data={"csrf_token": token})).status_code == 404
    assert (await client.post(f"/whitelist/{2**31}/approve", data={"csrf_token": token})).status_code == 422


async def test_a_huge_restore_entry_id_is_not_found_or_invalid(admin: Any) -> None:
    _app, client = admin
    for entry_id in (*HUGE_IDS, "0"):
        response = await client.get(f"/clusters/sandbox/namespaces/default/networkpolicies/np/restore/{entry_id}")
        assert response.status_code in (404, 422), (entry_id, response.status_code)
    largest = await client.get(f"/clusters/sandbox/namespaces/default/networkpolicies/np/restore/{2**31 - 1}")
    assert largest.status_code == 404


@pytest.mark.parametrize("port", ["²", "１２", "٣", "9" * 5000])
async def test_odd_ports_on_the_connectivity_page_are_not_a_crash(admin: Any, port: str) -> None:
    _app, client = admin
    verdict = await client.get("/clusters/sandbox/connectivity",
                               params={"from": "default/nope", "to": "default/nope2", "port": port})
    assert verdict.status_code in (200, 400, 404)
    matrix = await client.get("/clusters/sandbox/connectivity",
                              params={"mnamespace": "default", "mport": port, "mprotocol": "TCP"})
    assert matrix.status_code in (200, 400, 404)


def test_yaml_over_256_kib_is_refused() -> None:
    text = "kind: NetworkPolicy\n# " + "x" * MAX_YAML_BYTES + "\n"
    with pytest.raises(Invalid, match="too large"):
        policy_from_text(text)


@pytest.mark.parametrize("text", ["[" * 5000, "a: " + "{b: " * 3000, "- " * 3000 + "x"])
def test_deeply_nested_yaml_is_invalid_not_a_crash(text: str) -> None:
    with pytest.raises(Invalid, match="nested too deeply"):
        policy_from_text(text)


async def test_the_yaml_page_answers_oversized_and_nested_yaml_with_422(admin: Any) -> None:
    _app, client = admin
    url = "/clusters/sandbox/networkpolicies/create-yaml?namespace=default"
    page = await client.get(url)
    assert page.status_code == 200
    token = csrf_of(page.text)
    for text, message in (("[" * 5000, "nested too deeply"), ("# " + "x" * (MAX_YAML_BYTES + 1), "too large")):
        response = await client.post(url, data={"csrf_token": token, "yaml": text, "op": "review"})
        assert response.status_code == 422 and message in response.text
