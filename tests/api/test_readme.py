"""The README's API walk-through, its curl commands parsed out of README.md and run (with the
real curl when the machine has one, else the same requests with httpx) against a running console."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.api.live import LiveConsole
from tests.conftest import ROOT, SandboxProcess


@pytest.fixture
def live(sandbox: SandboxProcess, tmp_path: Path) -> Iterator[LiveConsole]:
    console = LiveConsole(
        Settings(
            kubeconfig=sandbox.kubeconfig_path,
            data_dir=tmp_path / "console",
            admin_password="bootstrap-admin-pw",
            api_rate_burst=10_000,
        )
    )
    console.start()
    yield console
    console.stop()


def walkthrough() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Walk-through", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README has no walk-through"
    joined = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("curl ")]


def run(command: str, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Run one curl command; (status, headers, body)."""
    args = shlex.split(command)
    for key, value in env.items():
        args = [a.replace(f"${key}", value) for a in args]
    curl = shutil.which("curl")
    if curl:
        extra = [] if "-i" in args else ["-i"]  # curl 7 toggles a flag given twice
        out = subprocess.run([curl, *args[1:], *extra], capture_output=True, text=True, timeout=30)
        head, _, body = out.stdout.partition("\n\n")  # text mode turned \r\n into \n
        lines = head.split("\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        return status, headers, body
    method, url, headers, data = "GET", "", {}, None
    it = iter(args[1:])
    for a in it:
        if a == "-X":
            method = next(it)
        elif a == "-H":
            k, _, v = next(it).partition(":")
            headers[k.strip()] = v.strip()
        elif a == "-d":
            data = next(it)
            method = method if method != "GET" else "POST"
        elif not a.startswith("-"):
            url = a
    r = httpx.request(method, url, headers=headers, content=data)
    return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text


def test_the_readme_walkthrough_runs_against_a_running_console(live: LiveConsole) -> None:
    commands = walkthrough()
    assert len(commands) == 4
    env = {"CONSOLE": live.url, "TOKEN": live.tokens["olga"], "CLUSTER": live.app.state.clusters.names()[0]}
    status, _, body = run(commands[0], env)
    assert status == 201, body
    status, headers, body = run(commands[1], env)
    assert status == 200 and headers.get("etag", "").strip('"').isdigit(), (headers, body)
    assert '"walkthrough-web"' in body
    status, headers, body = run(commands[2], env)
    assert status == 409 and headers["content-type"] == "application/problem+json", body
    status, _, body = run(commands[3], env)
    assert status == 204, body
