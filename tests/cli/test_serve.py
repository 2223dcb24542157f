"""`netpol-console serve` as a process: clients that go away mid-response leave it serving."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import SandboxProcess
from tests.e2e.conftest import ConsoleProcess


def test_clients_that_go_away_mid_response_do_not_kill_the_console(sandbox: SandboxProcess, tmp_path: Path) -> None:
    """The command line ends quietly on SIGPIPE like a Unix filter; the server must not: wrk
    closes its 50 connections with answers still being written, which ended the console (-13)."""
    console = ConsoleProcess(tmp_path / "console", sandbox.kubeconfig_path)
    console.start()
    try:
        for _ in range(3):
            load = subprocess.run(["wrk", "-t2", "-c50", "-d2s", f"{console.url}/login"],
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            assert load.returncode == 0 and "requests in" in load.stdout, load.stderr
            time.sleep(0.5)
            assert console._proc is not None and console._proc.poll() is None, console.log.read_text()[-2000:]
        assert httpx.get(f"{console.url}/healthz", timeout=5).status_code == 200
    finally:
        console.stop()
