"""``netpol-console users``: create (stdin or generated password), list, set-password, disable —
the command's main() against a real database, and once as a real process on a terminal."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import main
from tests.accounts.conftest import ConsoleFactory, login

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def users(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``netpol-console users ...`` in this process (main() as the console script calls it),
    with ``stdin`` as standard input (not a terminal) and NETPOL_DATABASE_URL set."""

    def run(data_dir: Path, database_url: str, *args: str, stdin: str = "") -> Result:
        monkeypatch.setenv("NETPOL_DATABASE_URL", database_url)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(["users", *args, "--data-dir", str(data_dir)])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_users_create_list_set_password_disable(
    users: Callable[..., Result], tmp_path: Path, database_url: str
) -> None:
    made = users(tmp_path, database_url, "create", "alice", "--role", "operator", "--role", "viewer",
                 "--team", "app-team", stdin="alice-password\n")
    assert made.returncode == 0, made.stderr
    assert 'created user "alice" (team app-team, roles operator, viewer)' in made.stdout
    assert "password:" not in made.stdout

    again = users(tmp_path, database_url, "create", "alice", "--role", "viewer", "--team", "x",
                  stdin="another-long-password\n")
    assert again.returncode == 1
    assert 'user "alice" already exists' in again.stderr

    bad = users(tmp_path, database_url, "create", "bob", "--role", "root", "--team", "x", stdin="a-long-password\n")
    assert bad.returncode == 1 and "unknown role 'root'" in bad.stderr

    listed = users(tmp_path, database_url, "list")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "TEAM", "ROLES", "STATUS", "LOGIN", "LAST", "LOGIN"]
    assert lines[1].split()[:5] == ["alice", "app-team", "operator,viewer", "active", "local"]

    assert users(tmp_path, database_url, "set-password", "alice", stdin="new-password\n").returncode == 0
    assert users(tmp_path, database_url, "set-password", "nobody", stdin="new-password\n").returncode == 1
    short = users(tmp_path, database_url, "set-password", "alice", stdin="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr

    assert users(tmp_path, database_url, "disable", "alice").returncode == 0
    assert "disabled" in users(tmp_path, database_url, "list").stdout

    # Every change is in the audit log, marked as made from the command line, without secrets.
    async def audit_entries() -> list[tuple[str, str, str]]:
        from app.audit.service import AuditFilter, query
        from app.db import make_engine, make_sessionmaker

        engine = make_engine(database_url)
        async with make_sessionmaker(engine)() as db:
            page = await query(db, AuditFilter(kind="User"), limit=50)
        await engine.dispose()
        return [(e.action, e.name, e.via) for e in reversed(page.entries) if e.actor.startswith("cli")]

    import asyncio

    assert asyncio.run(audit_entries()) == [
        ("user.create", "alice", "cli"),
        ("user.password", "alice", "cli"),
        ("user.disable", "alice", "cli"),
    ]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


async def test_cli_users_can_sign_in_and_disabled_ones_cannot(
    users: Callable[..., Result], make_console: ConsoleFactory, tmp_path: Path, sqlite_url: str
) -> None:
    async def cli(*args: str, stdin: str = "") -> int:
        return (await asyncio.to_thread(users, tmp_path, sqlite_url, *args, stdin=stdin)).returncode

    created = await cli("create", "carol", "--role", "viewer", "--team", "app-team", stdin="carol-password\n")
    assert created == 0
    async with make_console(database_url=sqlite_url) as (_app, client):
        assert (await login(client, "carol", "carol-password")).status_code == 303
        assert (await client.get("/")).status_code == 200
        assert await cli("set-password", "carol", stdin="carol-second\n") == 0
        assert (await client.get("/")).status_code == 303, "a password change kept the old session"
        assert (await login(client, "carol", "carol-password")).status_code == 401
        assert (await login(client, "carol", "carol-second")).status_code == 303
        assert await cli("disable", "carol") == 0
        assert (await client.get("/")).status_code == 303, "a disabled user kept the session"
        assert (await login(client, "carol", "carol-second")).status_code == 401


def test_users_create_without_stdin_generates_and_prints_a_password(tmp_path: Path, sqlite_url: str) -> None:
    # A pseudo-terminal on stdin: the command must not wait for a password but generate one.
    import pty

    leader, follower = pty.openpty()
    try:
        env = {**os.environ, "NETPOL_DATABASE_URL": sqlite_url}
        made = subprocess.run(
            [sys.executable, "-m", "app", "users", "create", "dave", "--role", "approver",
             "--team", "platform", "--data-dir", str(tmp_path)],
            stdin=follower, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    password = next(line.split(": ", 1)[1] for line in lines if line.startswith("password: "))
    assert len(password) >= 16
    assert "shown only this once" in made.stdout
