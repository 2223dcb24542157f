"""Calls straight through kubernetes-asyncio's generated API, objects deserialized into its models
as any client program gets them: what ``netpol-console bench`` sets the console's own answers
against (the console itself calls through app/cluster/client.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client import ApiClient

from app.cluster.client import POOL_SIZE


async def open_api(kubeconfig: Path) -> ApiClient:
    """A plain ApiClient on the kubeconfig's current context (close it when done)."""
    cfg = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg, persist_config=False)
    cfg.connection_pool_maxsize = POOL_SIZE
    return ApiClient(cfg)


async def list_network_policies(api: ApiClient, namespace: str | None = None, limit: int | None = None) -> int:
    """The NetworkPolicies of a namespace (None: every namespace, ``limit`` at most) as the
    generated client lists them; how many came back."""
    net: Any = client.NetworkingV1Api(api)
    if namespace is None:
        found = await net.list_network_policy_for_all_namespaces(limit=limit)
    else:
        found = await net.list_namespaced_network_policy(namespace, limit=limit)
    return len(found.items)


async def annotate_network_policy(api: ApiClient, namespace: str, name: str, key: str, value: str) -> float:
    """Read the policy, set one annotation and replace it; the seconds the replace alone took
    (the API server's own time for a write, with the client's)."""
    net: Any = client.NetworkingV1Api(api)
    stored = await net.read_namespaced_network_policy(name, namespace)
    stored.metadata.annotations = {**(stored.metadata.annotations or {}), key: value}
    started = time.perf_counter()
    await net.replace_namespaced_network_policy(name, namespace, stored)
    return time.perf_counter() - started
