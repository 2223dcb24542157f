"""`make run` on the embedded sandbox: the platform team may edit policies at once, through an
ordinary approved application that the Quota Center shows; consoles on real clusters grant nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.config import Settings
from app.main import create_app
from app.whitelist.service import is_approved, list_applications
from tests.conftest import SandboxProcess, free_port


async def _applications(settings: Settings) -> tuple[bool, list[tuple[str, str, str]]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessions() as db:
            approved = await is_approved(db, "sandbox", "platform")
            rows = [(a.team, a.status, a.decided_by or "") for a in await list_applications(db)]
    await asyncio.sleep(0.25)  # let the cluster clients' TLS transports close
    return approved, rows


async def test_the_embedded_sandbox_is_granted_to_the_platform_team_once(tmp_path: Path) -> None:
    settings = Settings(sandbox=True, sandbox_port=free_port(), data_dir=tmp_path, admin_password="demo-grant-admin-pw")
    assert await _applications(settings) == (True, [("platform", "Approved", "system")])
    # A restart grants nothing more.
    assert await _applications(settings) == (True, [("platform", "Approved", "system")])


async def test_a_console_on_a_real_cluster_grants_nothing(sandbox: SandboxProcess, tmp_path: Path) -> None:
    settings = Settings(kubeconfig=sandbox.kubeconfig_path, data_dir=tmp_path, admin_password="demo-grant-admin-pw")
    assert await _applications(settings) == (False, [])
