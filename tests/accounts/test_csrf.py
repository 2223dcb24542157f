"""CSRF: every unsafe request with a session cookie needs the session's token (form field or
header); API requests with a bearer token need none. The form body still reaches the route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from tests.accounts.conftest import csrf_of, login


def _add_echo_routes(app: FastAPI) -> None:
    async def echo(request: Request) -> dict[str, Any]:
        async with request.form() as form:
            fields = {k: getattr(v, "filename", None) or str(v) for k, v in form.items()}
        return {"method": request.method, "form": fields}

    async def api_echo(request: Request) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization", "")}

    app.add_api_route("/echo", echo, methods=["POST", "PUT", "PATCH", "DELETE"])
    app.add_api_route("/api/v1/echo", api_echo, methods=["POST"])


async def test_post_without_the_token_is_refused_and_with_it_accepted(console) -> None:
    app, client = console
    _add_echo_routes(app)
    await login(client)
    token = csrf_of((await client.get("/")).text)

    refused = await client.post("/echo", data={"name": "web"})
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    wrong = await client.post("/echo", data={"name": "web", "csrf_token": "0" * 64})
    assert wrong.status_code == 403

    accepted = await client.post("/echo", data={"name": "web", "csrf_token": token})
    assert accepted.status_code == 200
    assert accepted.json()["form"] == {"name": "web", "csrf_token": token}

    multipart = await client.post("/echo", data={"csrf_token": token}, files={"yaml": ("p.yaml", b"kind: X")})
    assert multipart.status_code == 200
    assert multipart.json()["form"]["yaml"] == "p.yaml"  # an UploadFile, passed on intact


async def test_htmx_requests_carry_the_token_in_a_header(console) -> None:
    app, client = console
    _add_echo_routes(app)
    await login(client)
    token = csrf_of((await client.get("/")).text)
    for method in ("PUT", "PATCH", "DELETE"):
        refused = await client.request(method, "/echo", headers={"HX-Request": "true"})
        assert refused.status_code == 403, method
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        accepted = await client.request(method, "/echo", headers=headers)
        assert accepted.status_code == 200, method


async def test_logout_without_the_token_is_refused(console) -> None:
    _app, client = console
    await login(client)
    assert (await client.post("/logout")).status_code == 403
    assert (await client.get("/")).status_code == 200, "a refused logout ended the session"


async def test_bearer_api_requests_need_no_csrf_token(console) -> None:
    app, client = console
    _add_echo_routes(app)
    await login(client)
    answer = await client.post("/api/v1/echo", headers={"Authorization": "Bearer abc"})
    assert answer.status_code == 200
    assert answer.json() == {"authorization": "Bearer abc"}
    # With the session cookie alone the API is a browser request like any other.
    assert (await client.post("/api/v1/echo")).status_code == 403


async def test_a_bearer_header_does_not_open_the_pages(console) -> None:
    _app, client = console
    response = await client.get("/", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 303
