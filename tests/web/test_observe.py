"""Request ids and JSON log lines: a well-formed X-Request-ID is kept and echoed, a malformed one
replaced; every request's access line is JSON carrying the id its response names; a 500 is
logged and answered with its id too; credentials are masked; `netpol-console serve` writes only
JSON lines (uvicorn's own included)."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import logs, requestid
from app.config import Settings
from app.main import create_app
from tests.conftest import SandboxProcess
from tests.e2e.conftest import ConsoleProcess
from tests.log_secrets import Capture

FRESH = re.compile(r"[0-9a-f]{32}")
Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """The JSON lines the console's handler writes while the test runs (INFO and above)."""
    stream = io.StringIO()
    handler = logs.handler(stream)
    root, access = logging.getLogger(), logging.getLogger(logs.ACCESS_LOGGER)
    root.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        access.setLevel(level)
        root.removeHandler(handler)


@pytest.fixture
async def client(tmp_path: Path) -> Any:
    app = create_app(Settings(data_dir=tmp_path))  # no lifespan: /healthz needs none, /api fails
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


def access_line(lines: list[dict[str, Any]], rid: str) -> dict[str, Any]:
    found = [line for line in lines if line["logger"] == logs.ACCESS_LOGGER and line["request_id"] == rid]
    assert len(found) == 1, lines
    return found[0]


async def test_a_well_formed_request_id_is_echoed_and_logged(client: httpx.AsyncClient, json_lines: Lines) -> None:
    response = await client.get("/healthz?probe=1", headers={"X-Request-ID": "trace-42.a:B_c"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42.a:B_c"
    line = access_line(json_lines(), "trace-42.a:B_c")
    assert {k: line[k] for k in ("level", "method", "route", "path", "status")} == {
        "level": "info", "method": "GET", "route": "/healthz", "path": "/healthz", "status": 200}
    assert isinstance(line["duration"], float) and line["duration"] >= 0
    assert line["time"].endswith("+00:00") and "probe" not in json.dumps(line)  # no query string


@pytest.mark.parametrize("supplied", ["", "has space", "x" * 129, "<script>", "a/b", "semi;colon", "x\ty"])
async def test_a_malformed_request_id_is_replaced(
    client: httpx.AsyncClient, json_lines: Lines, supplied: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": supplied})
    rid = response.headers["x-request-id"]
    assert rid != supplied and FRESH.fullmatch(rid)
    assert access_line(json_lines(), rid)["status"] == 200


async def test_each_request_gets_its_own_id_and_a_failure_is_logged_with_it(
    client: httpx.AsyncClient, json_lines: Lines
) -> None:
    first, second = await client.get("/healthz"), await client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    failed = await client.get("/api/v1/clusters")  # the app never started: its database is missing
    assert failed.status_code == 500
    line = access_line(json_lines(), failed.headers["x-request-id"])
    assert (line["route"], line["status"]) == ("/api/v1/clusters", 500)
    assert requestid.current() is None  # the id belongs to the request, not to what follows it


def test_records_carry_the_request_id_and_credentials_are_masked(json_lines: Lines) -> None:
    token = requestid.REQUEST_ID.set("req-7")
    # The fake secrets go to a capture of their own, not to the run's (tests/log_secrets.py).
    with Capture().recording() as raw:
        try:
            logging.getLogger("app.test").warning("calling with Authorization: Bearer %s", "abc.def.ghi-jkl")
            try:
                raise ValueError("password=hunter2-hunter2 and npc_" + "k" * 40)
            except ValueError:
                logging.getLogger("app.test").exception("callback failed for /auth/callback?code=c0de&state=st4te")
        finally:
            requestid.REQUEST_ID.reset(token)
    # as logged, before the handler's Redact: the bearer value, the password (message and source line), the token
    assert [what[:4] for _, what in raw.leaks(["hunter2-hunter2"])] == ["Bear", "hunt", "hunt", "npc_"]
    first, second = json_lines()
    assert first["request_id"] == second["request_id"] == "req-7"
    assert first["message"] == "calling with Authorization: Bearer [redacted]"
    assert second["message"] == "callback failed for /auth/callback?code=[redacted]&state=[redacted]"
    assert "hunter2" not in second["exception"] and "kkkk" not in second["exception"]
    assert "ValueError: password=[redacted] and [redacted]" in second["exception"]


def test_serve_writes_json_lines_only(
    sandbox: SandboxProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETPOL_SECRET_KEY", secrets.token_hex(32))  # a console of a real kubeconfig needs one
    console = ConsoleProcess(tmp_path / "console", sandbox.kubeconfig_path)
    console.start()
    try:
        answer = httpx.get(f"{console.url}/login?next=/x", headers={"X-Request-ID": "serve-1"}, timeout=10)
        assert answer.headers["x-request-id"] == "serve-1"
    finally:
        console.stop()
    lines = [json.loads(line) for line in console.log.read_text().splitlines() if line.strip()]  # all JSON
    assert {"uvicorn.error", logs.ACCESS_LOGGER} <= {line["logger"] for line in lines}
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # replaced by ours
    login = access_line(lines, "serve-1")
    assert (login["route"], login["status"], login["path"]) == ("/login", 200, "/login")
