"""Issue 15 point 2: every response carries the security headers (a Content-Security-Policy with no
inline script, no framing, X-Frame-Options, X-Content-Type-Options, Referrer-Policy), HSTS only
over https as uvicorn learns it from a trusted proxy, no ``server`` header from the real server,
and the API docs load nothing from another origin. The browser's side (no violation while a
person clicks through) is tests/e2e/test_csp.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.web import headers
from app.web.headers import source_hash
from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures
from tests.conftest import ROOT, SandboxProcess
from tests.e2e.conftest import ConsoleProcess

FIXED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: sources}."""
    value = response.headers.get("content-security-policy")
    assert value, f"{response.request.url} answered without a Content-Security-Policy"
    return {name: sources for name, *sources in (part.split() for part in value.split(";") if part.strip())}


def assert_hardened(response: httpx.Response, *, https: bool = False) -> dict[str, list[str]]:
    csp = policy(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert ("strict-transport-security" in response.headers) is https, response.request.url
    return csp


async def test_every_kind_of_response_carries_the_headers(make_console: ConsoleFactory) -> None:  # noqa: F811
    async with make_console() as (_, client):
        redirect = await client.get("/")
        assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login")
        unauthenticated = await client.get("/api/v1/clusters")
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["content-type"] == "application/problem+json"
        assert (await login(client)).status_code == 303

        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        answer = await client.get("/api/v1/clusters")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        problem = await client.get("/api/v1/no-such-route")
        assert problem.status_code == 404 and problem.headers["content-type"] == "application/problem+json"
        static = await client.get("/static/css/console.css")
        assert static.status_code == 200 and static.headers["content-type"].startswith("text/css")
        missing = await client.get("/no-such-page")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        missing_file = await client.get("/static/no-such-file.js")
        assert missing_file.status_code == 404
        form = {"content-type": "application/x-www-form-urlencoded"}
        too_large = await client.post("/logout", content=b"x" * (2 << 20), headers=form)
        assert too_large.status_code == 413

        responses = (redirect, unauthenticated, page, answer, problem, static, missing, missing_file, too_large)
        for response in responses:
            csp = assert_hardened(response)
            assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
            assert csp["img-src"] == ["'self'", "data:"]

        # A URL that serves a page or, to htmx, its fragment says so, so that a browser going back
        # to a URL htmx pushed loads the page rather than the cached fragment.
        assert "HX-Request" in page.headers["vary"] and "HX-Request" in missing.headers["vary"]
        assert "vary" not in answer.headers and "HX-Request" not in static.headers.get("vary", "")

        secure = await client.get("https://console.test/static/css/console.css")
        assert_hardened(secure, https=True)
        assert secure.headers["strict-transport-security"] == headers.HSTS


async def test_an_unhandled_error_answers_500_with_the_headers_too() -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    headers.install(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert_hardened(response)


async def test_the_api_docs_load_only_from_this_origin(make_console: ConsoleFactory) -> None:  # noqa: F811
    async with make_console() as (_, client):
        for path in ("/docs", "/redoc"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert "cdn.jsdelivr.net" not in page.text and "fonts.googleapis.com" not in page.text
            assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
            assert assets, path
            for url in assets:
                assert url.startswith("/static/vendor/"), (path, url)
                assert (await client.get(url)).status_code == 200, url
            csp = assert_hardened(page)
            inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
            assert csp["script-src"] == ["'self'", *(source_hash(text) for text in inline)], path

        swagger = await client.get("/docs")
        assert "SwaggerUIBundle(" in swagger.text and len(policy(swagger)["script-src"]) == 2
        assert (await client.get("/openapi.json")).status_code == 200


VENDORED = {
    "static/vendor/swagger-ui": ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"),
    "static/vendor/redoc": ("redoc.standalone.js", "LICENSE"),
}


def test_the_vendored_docs_assets_come_with_their_licences() -> None:
    for folder, names in VENDORED.items():
        for name in names:
            assert (ROOT / folder / name).stat().st_size > 0, f"{folder}/{name}"


INLINE = [
    ("an inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("an inline event handler", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("an hx-on attribute (htmx evaluates it)", re.compile(r"\shx-on[:\-]", re.I)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("a <style> element", re.compile(r"<style\b", re.I)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
]


def test_no_template_holds_what_the_policy_refuses() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for what, pattern in INLINE
        if pattern.search(path.read_text())
    ]
    assert found == []
    base = (ROOT / "templates" / "base.html").read_text()
    for setting in ('"includeIndicatorStyles":false', '"allowEval":false'):
        assert setting in base


@contextmanager
def served(sandbox: SandboxProcess, data_dir: Path, **env: str) -> Iterator[str]:
    """``netpol-console serve`` as a process, with ``env`` added to its environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        console = ConsoleProcess(data_dir, sandbox.kubeconfig_path)
        console.start()
    try:
        yield console.url
    finally:
        console.stop()


def test_the_served_console_names_no_server_and_believes_only_trusted_proxies(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    https = {"X-Forwarded-Proto": "https"}
    # By default uvicorn is told to trust 127.0.0.1, where this test runs: a proxy there.
    with served(sandbox, tmp_path / "trusting") as url:
        plain = httpx.get(f"{url}/login")
        proxied = httpx.get(f"{url}/login", headers=https)
        missing = httpx.get(f"{url}/no-such-page", headers=https)
    for response in (plain, proxied, missing):
        assert "server" not in response.headers, response.headers["server"]
    assert plain.status_code == 200 and proxied.status_code == 200 and missing.status_code in (303, 404)
    assert_hardened(plain)
    assert_hardened(proxied, https=True)
    assert_hardened(missing, https=True)

    with served(sandbox, tmp_path / "distrusting", NETPOL_FORWARDED_ALLOW_IPS="192.0.2.1") as url:
        spoofed = httpx.get(f"{url}/login", headers=https)
    assert spoofed.status_code == 200 and "server" not in spoofed.headers
    assert_hardened(spoofed)
