"""Throttling made real: the API server's priority and fairness rejects the console's account
with 429 and Retry-After, and the console's calls wait as asked and then succeed."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import yaml

from app.cluster import ClusterRegistry
from tests.cluster.rbac import grant_cluster_wide, token_kubeconfig
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


def tiny_priority_level(name: str, namespace: str, account: str) -> str:
    """A priority level of about one seat that rejects (no queue), for one service account."""
    return yaml.safe_dump_all([
        {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
         "metadata": {"name": name},
         "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 1, "lendablePercent": 0,
                                                 "borrowingLimitPercent": 0, "limitResponse": {"type": "Reject"}}}},
        {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": name},
         "spec": {"priorityLevelConfiguration": {"name": name}, "matchingPrecedence": 100,
                  "rules": [{"subjects": [{"kind": "ServiceAccount",
                                           "serviceAccount": {"name": account, "namespace": namespace}}],
                             "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                "clusterScope": True, "namespaces": ["*"]}]}]}},
    ])  # fmt: skip


def rejected(sandbox: SandboxProcess, flow_schema: str) -> float:
    with sandbox.http() as http:
        metrics = http.get("/metrics").text
    pattern = rf'apiserver_flowcontrol_rejected_requests_total\{{[^}}]*flow_schema="{flow_schema}"[^}}]*\}} (\S+)'
    return sum(float(v) for v in re.findall(pattern, metrics))


async def test_a_throttled_console_waits_the_retry_after_and_succeeds(
    sandbox: SandboxProcess, k: Kubectl, account: tuple[str, str], tmp_path: Path
) -> None:
    ns, name = account
    grant_cluster_wide(k, account, ["pods"])
    k("apply", "-f", "-", stdin=tiny_priority_level(ns, ns, name))
    try:
        registry = await ClusterRegistry.from_kubeconfig(token_kubeconfig(sandbox, k, account, tmp_path / "kc"))
        cluster = registry.get("limited")
        try:
            pages = await asyncio.gather(*(cluster.list_page("pods", "default") for _ in range(24)))
        finally:
            await registry.close()
        assert all(page["items"] for page in pages)  # every call succeeded in the end
        assert rejected(sandbox, ns) > 0  # though the API server did answer 429 on the way
    finally:
        k("delete", "flowschema,prioritylevelconfiguration", ns, "--ignore-not-found")
