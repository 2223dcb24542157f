"""docker-compose.yml and .env.example: the console, PostgreSQL (healthy before the console
starts) and a trial OIDC provider; every secret comes from .env, none is written in the compose
file; the placeholders of .env.example are refused by the console. `docker compose config` judges
the file where Docker Compose exists; the YAML is checked here everywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from app.config import Settings
from tests.conftest import ROOT, free_port

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def env_example() -> dict[str, str]:
    """The variables .env.example sets, and those it shows commented out (``#NAME=value``)."""
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            out[match.group(1)] = match.group(2)
    return out


def test_postgresql_is_healthy_before_the_console_starts_and_both_take_env_file() -> None:
    services = compose()["services"]
    assert {"db", "console", "oidc"} <= set(services)
    db, console = services["db"], services["console"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert console["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(console["healthcheck"]["test"])
    assert db["env_file"] == ".env" and console["env_file"] == ".env"
    assert console["build"] == "." and console["image"].startswith("netpol-console")
    assert all(p.startswith("127.0.0.1:") for p in console["ports"])  # a proxy in front publishes it


def test_no_secret_is_written_in_the_compose_file() -> None:
    text = json.dumps(compose())  # every value, without the comments (which tell to replace them)
    assert not re.search(r"change-?me", text, re.I) and "REPLACE-ME" not in text
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert str(value).startswith("${"), (name, key)
    url = compose()["services"]["console"]["environment"]["NETPOL_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in url and url.startswith("postgresql+asyncpg://")


def test_env_example_holds_each_secret_as_a_placeholder_and_names_real_settings() -> None:
    values = env_example()
    for key in ("NETPOL_SECRET_KEY", "POSTGRES_PASSWORD", "NETPOL_OIDC_CLIENT_SECRET"):
        assert values[key].startswith("REPLACE-ME"), key
    assert "Replace every REPLACE-ME" in ENV_EXAMPLE.read_text()
    fields = set(Settings.model_fields)
    named = set(values) | set(compose()["services"]["console"]["environment"])
    for key in named:
        if key.startswith("NETPOL_"):
            assert key.removeprefix("NETPOL_").lower() in fields, key
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().split(), ignore


def test_the_trial_oidc_provider_is_reachable_beyond_loopback_under_the_issuer_the_console_uses(
    tmp_path: Path,
) -> None:
    """The provider runs in the console's network namespace: published to the host, it must listen
    beyond 127.0.0.1 (127.0.0.2 here stands for the container's interface) while its issuer stays
    http://127.0.0.1:PORT, the address both the browser and the console use."""
    oidc = compose()["services"]["oidc"]
    assert oidc["profiles"] == ["trial"] and oidc["network_mode"] == "service:console"
    oidc_dir = ROOT / oidc["build"]["context"]
    assert "npm ci" in oidc["build"]["dockerfile_inline"] and (oidc_dir / "package-lock.json").exists()
    env = {k: str(v) for k, v in oidc["environment"].items()}
    assert env["OIDC_CLIENT_SECRET"] == "${NETPOL_OIDC_CLIENT_SECRET:-}"  # the console's own, from .env
    discovery = env_example()["NETPOL_OIDC_DISCOVERY_URL"]
    assert discovery == f"http://127.0.0.1:{env['OIDC_PORT']}/.well-known/openid-configuration"
    port = free_port()
    env.update(OIDC_PORT=str(port), OIDC_CLIENT_SECRET="trial-secret")
    node = shutil.which("node")
    assert node, "node is needed for the OIDC provider"
    proc = subprocess.Popen([node, "provider.js"], cwd=oidc_dir, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, "the provider exited"
            try:
                answer = httpx.get(f"http://127.0.0.2:{port}/.well-known/openid-configuration", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the provider did not answer on 127.0.0.2"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["issuer"] == f"http://127.0.0.1:{port}"
        accounts = json.loads(env["OIDC_ACCOUNTS"])
        assert {g for a in accounts.values() for g in a["groups"]} <= set(
            json.loads(env_example()["NETPOL_OIDC_ROLE_MAP"])
        )
    finally:
        proc.terminate()
        proc.wait(10)


def test_docker_compose_accepts_the_file_where_it_exists(tmp_path: Path) -> None:
    """With .env made from .env.example, as the README says; where Docker Compose is missing (as
    on the machine that wrote this) the checks above are what holds."""
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        return
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    for profile in ([], ["--profile", "trial"]):
        run = subprocess.run([docker, "compose", *profile, "config", "--format", "json"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert run.returncode == 0, run.stderr
        config = json.loads(run.stdout)
        url = config["services"]["console"]["environment"]["NETPOL_DATABASE_URL"]
        assert url == f"postgresql+asyncpg://netpol:{env_example()['POSTGRES_PASSWORD']}@db:5432/netpol"
        assert ("oidc" in config["services"]) == bool(profile)
