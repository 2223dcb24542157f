"""``netpol-console tokens create/list/revoke`` run as real processes on the data dir of a running
console, and the token they make used on the REST API until it is revoked."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from tests.api.conftest import ApiFactory
from tests.api.test_policies import PROBLEM

CLI = Path(sys.executable).parent / "netpol-console"


async def netpol_console(*args: str) -> tuple[int, str, str]:
    """The console script as a separate process, without blocking the console's event loop."""
    if not CLI.exists():
        pytest.fail(f"the console script is missing at {CLI}: pip install -e .")
    proc = await asyncio.create_subprocess_exec(
        str(CLI), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_tokens_create_list_revoke_then_the_api_refuses_it(make_api: ApiFactory, tmp_path: Path) -> None:
    data_dir = tmp_path / "console"
    async with make_api(data_dir=data_dir) as api:
        code, out, err = await netpol_console(
            "tokens", "create", "--user", "olga", "--name", "ci portal", "--scope", "read",
            "--expires", "1d", "--data-dir", str(data_dir),
        )
        assert code == 0, err
        token = out.strip()
        assert re.fullmatch(r"npc_\S{20,}", token), out  # stdout is the token alone, for scripts
        assert 'created token #' in err and '"ci portal" for olga (scope read, expires ' in err
        assert "shown only this once" in err
        token_id = re.search(r"#(\d+)", err).group(1)  # type: ignore[union-attr]

        headers = {"Authorization": f"Bearer {token}"}
        assert (await api.client.get("/api/v1/clusters", headers=headers)).status_code == 200
        refused = await api.client.post("/api/v1/whitelist/applications", headers=headers, json={})
        assert refused.status_code == 403 and "read scope" in refused.json()["detail"]

        code, out, err = await netpol_console("tokens", "list", "--user", "olga", "--data-dir", str(data_dir))
        assert code == 0, err
        header, *rows = out.splitlines()
        assert header.split() == ["ID", "USER", "NAME", "PREFIX", "SCOPE", "STATUS", "EXPIRES", "LAST", "USED"]
        row = next(r for r in rows if "ci portal" in r)
        assert row.split()[:2] == [token_id, "olga"]
        assert "read" in row.split() and "active" in row.split()
        assert "UTC" in row and row.rstrip().endswith("UTC")  # expires in a day and used just now
        assert token not in out and token[8:] not in out  # never the secret
        assert token[:8] in row  # its prefix, to recognise it

        code, out, err = await netpol_console("tokens", "revoke", token_id, "--data-dir", str(data_dir))
        assert code == 0 and out.strip() == f"token #{token_id} revoked", err
        listed = (await netpol_console("tokens", "list", "--data-dir", str(data_dir)))[1]
        assert "revoked" in next(r for r in listed.splitlines() if "ci portal" in r).split()

        after = await api.client.get("/api/v1/clusters", headers=headers)
        assert after.status_code == 401 and after.headers["content-type"] == PROBLEM
        assert "revoked" in after.json()["detail"]


async def test_tokens_create_refuses_an_unknown_user_and_a_bad_duration(tmp_path: Path) -> None:
    data_dir = tmp_path / "console"
    code, out, err = await netpol_console(
        "tokens", "create", "--user", "nobody", "--name", "x", "--data-dir", str(data_dir)
    )
    assert code != 0 and out == "" and "nobody" in err
    code, out, err = await netpol_console(
        "tokens", "create", "--user", "admin", "--name", "x", "--expires", "soon", "--data-dir", str(data_dir)
    )
    assert code != 0 and out == "" and "invalid duration" in err
