"""The README's screenshots of the list and the Create panel, taken from the running console.

`make screenshots` runs this with NETPOL_SCREENSHOTS_DIR=docs to refresh the committed images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import ApiClient, NetworkingV1Api
from kubernetes_asyncio.config import new_client_from_config

from app.policies.recipes import RECIPES
from tests.conftest import SandboxProcess
from tests.e2e.conftest import open_policies, run_async
from tests.e2e.test_scenarios import open_create, panel, pick_workload, section

SHOWN = ("default-deny-ingress", "allow-dns", "allow-same-namespace")


def _add_recipe_policies(sandbox: SandboxProcess) -> None:
    async def create() -> None:
        api: ApiClient = await new_client_from_config(config_file=str(sandbox.kubeconfig_path))
        async with api:
            net = NetworkingV1Api(api)
            existing = {p.metadata.name for p in (await net.list_namespaced_network_policy("default")).items}
            for name in SHOWN:
                policy = RECIPES[name].policy("default")
                if policy["metadata"]["name"] not in existing:
                    await net.create_namespaced_network_policy("default", policy)

    run_async(create)


def test_screenshots_of_the_list_and_the_create_panel(page: Any, e2e_sandbox: SandboxProcess, tmp_path: Path) -> None:
    out = Path(os.environ.get("NETPOL_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    _add_recipe_policies(e2e_sandbox)
    open_policies(page, "default")
    page.get_by_role("cell", name=RECIPES[SHOWN[0]].policy_name, exact=True).wait_for()
    page.screenshot(path=str(out / "network-policies-list.png"))

    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("access-nginx")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "nginx", "app=nginx")
    page.screenshot(path=str(out / "network-policies-create.png"))

    for name in ("network-policies-list.png", "network-policies-create.png"):
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
