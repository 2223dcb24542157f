"""Limits before work (app/limits.py): bodies over their kind's limit are refused with 413 before they
are read or sign-in is decided, streamed or not; and a corpus of hostile input (nesting 100,000 deep,
5,000-digit integers, NUL and lone surrogates, 64-bit ids) gets a 4xx at its field, never a 500, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.accounts.conftest import csrf_of, login
from tests.api.conftest import Api, ApiFactory
from tests.api.live import LiveConsole
from tests.conftest import SandboxProcess

MiB = 1 << 20
DEEP = 100_000
DIGITS = "9" * 5000
ID_64 = str(2**63)
SECRET_KEY = "limits-test-key-0123456789abcdefghijklmnop"

POLICIES = "/api/v1/clusters/sandbox/namespaces/{ns}/networkpolicies"


def policy(port: Any = 80, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "limits", "labels": labels or {}},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": port}]}]},
    }


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def error_fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem.get("errors") or []]


@pytest.fixture
async def both(make_api: ApiFactory, database_url: str) -> AsyncIterator[tuple[Api, httpx.AsyncClient, str]]:
    """The API (bearer tokens) and a page client signed in as the admin, with its CSRF token, on the
    database of ``database_url`` (SQLite, then PostgreSQL)."""
    async with make_api(database_url=database_url, secret_key=SECRET_KEY) as api:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as page:
            assert (await login(page)).status_code in (200, 303)
            token = csrf_of((await page.get("/account")).text)
            yield api, page, token


# ----- size -----


async def test_an_oversized_form_gets_413_with_a_message_not_a_csrf_failure(
    both: tuple[Api, httpx.AsyncClient, str],
) -> None:
    _api, page, token = both
    body = {"csrf_token": token, "name": "x" * (MiB + 10)}
    response = await page.post("/account/tokens", data=body, headers={"Accept": "text/html"})
    assert response.status_code == 413
    assert "too large" in response.text and "1 MiB" in response.text
    assert "CSRF" not in response.text
    # Without a session or a token at all: still 413, sign-in is not even asked.
    anonymous = await httpx.AsyncClient(transport=page._transport, base_url="http://console.test").post(
        "/login", data={"username": "admin", "password": "x" * (2 * MiB)}
    )
    assert anonymous.status_code == 413
    assert "too large" in anonymous.text


async def test_oversized_json_and_yaml_get_problem_413_by_their_kind(
    both: tuple[Api, httpx.AsyncClient, str], namespace: str
) -> None:
    api, _page, _token = both
    url = POLICIES.format(ns=namespace)
    big = policy(labels={"a": "b"})
    big["metadata"]["annotations"] = {"pad": "x" * (2 * MiB)}
    response = await api.send("POST", url, content=json.dumps(big), headers={"Content-Type": "application/json"})
    assert "too large" in is_problem(response, 413)["detail"]
    yaml_text = "kind: NetworkPolicy\n# " + "x" * (MiB + 1) + "\n"
    response = await api.send("POST", url, content=yaml_text, headers={"Content-Type": "application/yaml"})
    is_problem(response, 413)
    # Within the limit, the same kinds are read as before.
    response = await api.send("POST", url, json=policy())
    assert response.status_code == 201, response.text
    # A body streamed without a Content-Length is counted as it comes.

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * MiB

    response = await api.send("POST", url, content=chunks(), headers={"Content-Type": "application/json"})
    is_problem(response, 413)


async def test_the_limits_are_settings(make_api: ApiFactory, namespace: str) -> None:
    async with make_api(secret_key=SECRET_KEY, max_json_bytes=4096, max_form_bytes=512) as api:
        url = POLICIES.format(ns=namespace)
        padded = policy(labels={"pad": "x" * 60})
        padded["metadata"]["annotations"] = {"note": "y" * 3500}
        response = await api.send("POST", url + "?dryRun=All", json=padded)
        assert response.status_code == 200, response.text  # a dry run
        padded["metadata"]["annotations"] = {"note": "y" * 4100}
        is_problem(await api.send("POST", url + "?dryRun=All", json=padded), 413)
        response = await api.client.post("/login", data={"username": "admin", "password": "p" * 600})
        assert response.status_code == 413 and "512 bytes" in response.text


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def live(sandbox: SandboxProcess, tmp_path: Path) -> Iterator[LiveConsole]:
    console = LiveConsole(
        Settings(kubeconfig=sandbox.kubeconfig_path, data_dir=tmp_path / "console", admin_password="bootstrap-pw-12",
                 secret_key=SECRET_KEY)
    )
    console.start()
    yield console
    console.stop()


# Without the limits, the JSON route read all 300 MB into memory before anything else (RSS +850 MB).
TARGETS = {"/login": "application/x-www-form-urlencoded", "/api/v1/whitelist/applications": "application/json"}


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_300_mb_body_is_refused_while_it_streams(live: LiveConsole, declared: bool) -> None:
    total = 300 * MiB
    chunk = b"x" * (256 << 10)
    stalls: list[float] = []
    health = httpx.Client(base_url=live.url, timeout=10)

    def body(sent: list[int]) -> Iterator[bytes]:
        # Writes block once the server stops reading: this stops being pulled when it is refused.
        while sent[0] < total:
            if sent[0] % (4 * MiB) == 0:  # the console answers others meanwhile
                started = time.monotonic()
                assert health.get("/healthz").status_code == 200
                stalls.append(time.monotonic() - started)
            sent[0] += len(chunk)
            yield chunk

    before = _rss()
    with health, httpx.Client(base_url=live.url, timeout=30) as client:
        for target, content_type in TARGETS.items():  # no sign-in: refused before it is asked
            headers = {"Content-Type": content_type}
            if declared:
                headers["Content-Length"] = str(total)
            sent = [0]
            try:
                status: int | None = client.post(target, content=body(sent), headers=headers).status_code
            except httpx.TransportError:  # the server answered and closed before the client read it
                status = None
            assert status in (413, None), target
            assert sent[0] <= 32 * MiB, f"{target}: {sent[0] // MiB} MiB were sent of a body refused at 1-2 MiB"
            # And the 413 itself, when the client waits for it (3 MiB, chunked).
            response = client.post(target, content=iter([b"x" * MiB] * 3), headers={"Content-Type": content_type})
            assert response.status_code == 413, target
        assert _rss() - before < 100 * MiB
        assert stalls and max(stalls) < 1.0, stalls
        assert client.get("/healthz").status_code == 200


# ----- the corpus -----


async def test_deep_nesting_is_a_400_in_json_and_yaml(
    both: tuple[Api, httpx.AsyncClient, str], namespace: str
) -> None:
    api, _page, _token = both
    url = POLICIES.format(ns=namespace)
    deep_json = "[" * DEEP + "]" * DEEP
    for target in (url, url.rsplit("/clusters", 1)[0] + "/networkpolicies/validate", "/api/v1/whitelist/applications"):
        response = await api.send("POST", target, content=deep_json, headers={"Content-Type": "application/json"})
        assert "nested too deeply" in is_problem(response, 400)["detail"]
    deep_object = '{"a":' * DEEP + "1" + "}" * DEEP
    response = await api.send("POST", "/api/v1/clusters/sandbox/connectivity", content=deep_object,
                              headers={"Content-Type": "application/json"})
    is_problem(response, 400)
    for deep_yaml in ("[" * DEEP + "]" * DEEP, "a: " + "{b: " * DEEP + "1" + "}" * DEEP):
        response = await api.send("POST", url, content=deep_yaml, headers={"Content-Type": "application/yaml"})
        assert "nested too deeply" in is_problem(response, 400)["detail"]


async def test_5000_digit_integers_are_field_errors(both: tuple[Api, httpx.AsyncClient, str], namespace: str) -> None:
    api, page, token = both
    url = POLICIES.format(ns=namespace)
    as_json = json.dumps(policy()).replace('"port": 80', f'"port": {DIGITS}')
    response = await api.send("POST", url, content=as_json, headers={"Content-Type": "application/json"})
    assert "spec.ingress[0].ports[0].port" in error_fields(is_problem(response, 422))
    as_yaml = f"kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {{name: y}}\nspec:\n" \
              f"  podSelector: {{}}\n  ingress: [{{ports: [{{port: {DIGITS}}}]}}]\n"
    response = await api.send("POST", url, content=as_yaml, headers={"Content-Type": "application/yaml"})
    assert "spec.ingress[0].ports[0].port" in error_fields(is_problem(response, 422))
    response = await api.send("POST", url, json={"form": {"name": "f", "ingress": {"enabled": True, "rules": [
        {"ports": [{"port": DIGITS}]}]}}})
    assert response.status_code == 422, response.text
    response = await api.send("POST", "/api/v1/clusters/sandbox/connectivity",
                              content='{"from": "default/a", "to": "default/b", "port": ' + DIGITS + "}",
                              headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    # The pages: a port and a row index of 5,000 digits in the policy editor's form.
    editor = "/clusters/sandbox/networkpolicies/editor"
    for fields in (
        {"name": "p", "namespace": namespace, "ingress.enabled": "true", "ingress[0].ports[0].port": DIGITS,
         "op": "next"},
        {"name": "p", "namespace": namespace, f"ingress[{DIGITS}].ports[{DIGITS}].port": "80", "op": "next"},
        {"name": "p", "namespace": namespace, "op": f"remove:ingress[{DIGITS}]"},
        {"name": "p", "namespace": namespace, "metadata": "[" * DEEP, "op": "next"},
    ):
        response = await page.post(editor, data={**fields, "csrf_token": token})
        assert response.status_code < 500, (fields.keys(), response.status_code)
    relabel = f"/clusters/sandbox/namespaces/{namespace}/labels"
    for fields in ({f"labels[{DIGITS}].key": "a", "op": f"remove:labels[{DIGITS}]"},
                   {"labels[0].key": "a", "seen": "[" * DEEP, "op": "review"}):
        response = await page.post(relabel, data={**fields, "csrf_token": token})
        assert response.status_code < 500, (fields.keys(), response.status_code)


async def test_nul_and_lone_surrogates_are_refused_at_their_field(
    both: tuple[Api, httpx.AsyncClient, str], namespace: str
) -> None:
    api, page, token = both
    url = POLICIES.format(ns=namespace)
    for text in ("\ud800", "a\x00b"):
        escaped = json.dumps(policy(labels={"app": text}))  # JSON escapes: \ud800, \u0000
        response = await api.send("POST", url, content=escaped, headers={"Content-Type": "application/json"})
        assert error_fields(is_problem(response, 422)) == ["metadata.labels.app"]
        yaml_text = 'kind: NetworkPolicy\nmetadata:\n  name: y\n  labels: {app: "%s"}\nspec: {podSelector: {}}\n' % (
            "\\ud800" if text == "\ud800" else "\\0")
        response = await api.send("POST", url, content=yaml_text, headers={"Content-Type": "application/yaml"})
        assert error_fields(is_problem(response, 422)) == ["metadata.labels.app"]
        response = await api.send("POST", "/api/v1/whitelist/applications", content=json.dumps({"cluster": "sandbox",
                                  "reason": text}), headers={"Content-Type": "application/json"})
        assert error_fields(is_problem(response, 422)) == ["reason"]
        response = await api.send("POST", "/api/v1/clusters/sandbox/namespaces", content=json.dumps(
            {"name": "nul-test", "labels": {text: "v"}}), headers={"Content-Type": "application/json"})
        assert is_problem(response, 422)["errors"][0]["field"].startswith("labels.")
    response = await api.get("/api/v1/audit", params={"actor": "a\x00"})
    assert error_fields(is_problem(response, 400)) == ["actor"]
    # The pages: the login name, a team, a display name, a token name, an application's reason.
    anonymous = httpx.AsyncClient(transport=page._transport, base_url="http://console.test")
    response = await anonymous.post("/login", data={"username": "ad\x00min", "password": "pw"},
                                    headers={"Accept": "text/html"})
    assert response.status_code == 422 and "NUL" in response.text and "“username”" in response.text
    for path, fields in (
        ("/admin/users", {"username": "nul", "display_name": "N\x00", "team": "t", "password": "long-enough-pw-1"}),
        ("/admin/users", {"username": "nul", "team": "t\x00", "password": "long-enough-pw-1"}),
        ("/account/tokens", {"name": "to\x00ken"}),
        ("/whitelist", {"cluster": "sandbox", "reason": "why\x00"}),
        (f"/clusters/sandbox/namespaces/{namespace}/labels", {"labels[0].key": "a", "labels[0].value": "\x00"}),
    ):
        response = await page.post(path, data={**fields, "csrf_token": token})
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert "NUL" in response.text
    response = await page.get("/audit", params={"actor": "\x00"})
    assert response.status_code == 400
    # and in the path: no user, namespace or policy is named so
    assert (await page.get("/admin/users/ad%00min")).status_code == 404
    assert (await page.post("/admin/users/ad%00min/disable", data={"csrf_token": token})).status_code == 404
    is_problem(await api.get(f"/api/v1/clusters/sandbox/namespaces/{namespace}%00/networkpolicies"), 404)


async def test_64_bit_ids_are_404_or_422(both: tuple[Api, httpx.AsyncClient, str]) -> None:
    api, page, token = both
    for app_id in (ID_64, str(2**63 - 1), str(2**31)):
        assert (await api.get(f"/api/v1/whitelist/applications/{app_id}")).status_code in (400, 404, 422)
        response = await api.send("POST", f"/api/v1/whitelist/applications/{app_id}/approve", json={})
        assert response.status_code in (400, 404, 422)
        for path in (f"/whitelist/{app_id}/approve", f"/account/tokens/{app_id}/revoke"):
            response = await page.post(path, data={"csrf_token": token})
            assert response.status_code in (404, 422), (path, response.status_code)
        response = await page.get(f"/clusters/sandbox/namespaces/default/networkpolicies/np/restore/{app_id}")
        assert response.status_code in (404, 422)
    assert (await api.get(f"/api/v1/whitelist/applications/{2**31 - 1}")).status_code == 404
    submitted = await api.send("POST", "/api/v1/whitelist/applications", json={"cluster": "sandbox", "reason": "ids"})
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["id"]
    for version in (2**31, 2**63):
        response = await api.send("POST", f"/api/v1/whitelist/applications/{app_id}/approve", json={"version": version})
        assert response.status_code == 400, response.text
        response = await page.post(f"/whitelist/{app_id}/approve", data={"version": str(version), "csrf_token": token})
        assert response.status_code == 422
    assert (await api.get("/api/v1/audit", params={"continue": ID_64})).status_code == 400
