"""The demo manifests (``demo.yaml``) applied to a fresh sandbox cluster through its API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

from app.cluster import ClusterRegistry
from app.errors import AlreadyExists

MANIFESTS = Path(__file__).with_name("demo.yaml")


def demo_objects() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(MANIFESTS.read_text()) if doc]


async def apply_demo(kubeconfig: Path, settle: float = 90) -> None:
    """Create every demo object that does not exist yet, as an admin would with kubectl create,
    then wait (up to ``settle`` seconds) until the controllers and KWOK have its pods running."""
    registry = await ClusterRegistry.from_kubeconfig(kubeconfig)
    try:
        cluster = next(iter(registry))
        objects = demo_objects()
        for obj in objects:
            try:
                await cluster.create(obj["kind"], obj)
            except AlreadyExists:
                pass
        workloads = [o for o in objects if o["kind"] in ("Deployment", "DaemonSet")]
        async with asyncio.timeout(settle):
            while not all([_ready(await cluster.get_object(o["kind"], o["metadata"]["namespace"],
                                                                o["metadata"]["name"])) for o in workloads]):
                await asyncio.sleep(0.2)
    finally:
        await registry.close()


def _ready(workload: dict[str, Any]) -> bool:
    status = workload.get("status") or {}
    if workload.get("kind") == "DaemonSet":
        wanted = status.get("desiredNumberScheduled") or 0
        return wanted > 0 and status.get("numberReady") == wanted
    return status.get("readyReplicas") == (workload.get("spec") or {}).get("replicas")
