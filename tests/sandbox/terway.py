"""Terway's objects on the shared sandbox, changed by a test through the API server (kubectl) and
put back as the demo has them afterwards: the eni-config ConfigMap is cluster-global, so a test
that changes it must leave it as it found it for the tests after it.

Use the ``terway`` fixture (import it into the test module):

    terway.configure(provider="iptables")            # eni-config's 10-terway.conf and switch
    terway.remove_config(); terway.remove_daemonset()
    terway.add_node("exclusive", {EXCLUSIVE_ENI_LABEL: "eniOnly"}, kernel="5.10.134")
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from app.sandbox.demo import demo_objects
from tests.sandbox.kubectl import Kubectl

NS = "kube-system"


def demo_object(kind: str, name: str) -> dict[str, Any]:
    return next(o for o in demo_objects() if o["kind"] == kind and o["metadata"]["name"] == name)


class Terway:
    def __init__(self, k: Kubectl) -> None:
        self.k = k
        self.nodes: list[str] = []
        self.daemonset_removed = False
        self.prefix = f"np-{uuid.uuid4().hex[:6]}"

    def configure(self, provider: str | None = None, virtual: str | None = None, disable: str | None = None) -> None:
        """eni-config as ACK writes it, with these policy settings (None: the key is missing)."""
        config = demo_object("ConfigMap", "eni-config")
        cni = json.loads(config["data"]["10-terway.conf"])
        for key, value in (("network_policy_provider", provider), ("eniip_virtual_type", virtual)):
            cni.pop(key, None)
            if value is not None:
                cni[key] = value
        config["data"]["10-terway.conf"] = json.dumps(cni, indent=2)
        config["data"].pop("disable_network_policy", None)
        if disable is not None:
            config["data"]["disable_network_policy"] = disable
        self._put(config)

    def remove_config(self) -> None:
        self.k("delete", "configmap", "eni-config", "-n", NS, "--ignore-not-found")

    def remove_daemonset(self) -> None:
        self.daemonset_removed = True
        self.k("delete", "daemonset", "terway-eniip", "-n", NS, "--ignore-not-found", "--wait=true")

    def add_node(self, name: str, labels: dict[str, str], kernel: str) -> str:
        """A KWOK node of the test's own (named ``<prefix>-<name>``), removed afterwards."""
        full = f"{self.prefix}-{name}"
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": full, "labels": {"kubernetes.io/hostname": full, **labels},
                         "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "status": {"nodeInfo": {"kernelVersion": kernel}},
        }  # fmt: skip
        self.k("create", "-f", "-", stdin=json.dumps(node))
        self.nodes.append(full)
        # KWOK sets the status it manages; the kernel is the test's.
        patch = json.dumps({"status": {"nodeInfo": {"kernelVersion": kernel}}})
        self.k("patch", "node", full, "--subresource=status", "--type=merge", "-p", patch)
        return full

    def restore(self) -> None:
        for node in self.nodes:
            self.k("delete", "node", node, "--ignore-not-found", "--wait=false")
            # The DaemonSet's pods bound to it are gone with it (no PodGC wait for the next test).
            self.k("delete", "pods", "-A", f"--field-selector=spec.nodeName={node}", "--grace-period=0",
                   "--force", "--ignore-not-found", check=False)  # fmt: skip
        self._put(demo_object("ConfigMap", "eni-config"))
        if self.daemonset_removed:
            self.k("create", "-f", "-", stdin=yaml.safe_dump(demo_object("DaemonSet", "terway-eniip")))
            self._wait_daemonset_ready()

    def _put(self, obj: dict[str, Any]) -> None:
        text = json.dumps(obj)
        exists = self.k("get", obj["kind"].lower(), obj["metadata"]["name"], "-n", NS, check=False).returncode == 0
        self.k("replace" if exists else "create", "-f", "-", stdin=text)

    def _wait_daemonset_ready(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while True:
            status = self.k.json("get", "daemonset", "terway-eniip", "-n", NS).get("status") or {}
            wanted = status.get("desiredNumberScheduled") or 0
            if wanted and status.get("numberReady") == wanted:
                return
            assert time.monotonic() < deadline, f"terway-eniip not ready again: {status}"
            time.sleep(0.2)


@pytest.fixture
def terway(k: Kubectl) -> Iterator[Terway]:
    changes = Terway(k)
    try:
        yield changes
    finally:
        changes.restore()
