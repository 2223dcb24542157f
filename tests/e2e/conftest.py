"""Browser tests: the console served by `netpol-console serve` as a subprocess against its own
seeded sandbox cluster, driven by Playwright in Debian's headless Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.conftest import ROOT, SandboxProcess, free_port

ADMIN_PASSWORD = "e2e-admin-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

T = TypeVar("T")


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine (e.g. a kubernetes_asyncio read-back) from a synchronous browser test."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


class ConsoleProcess:
    def __init__(self, data_dir: Path, kubeconfig: Path) -> None:
        self.data_dir = data_dir
        self.kubeconfig = kubeconfig
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "console.log"

    def start(self, timeout: float = 60) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--kubeconfig",
            str(self.kubeconfig),
        ]
        env = {**os.environ, "NETPOL_ADMIN_PASSWORD": ADMIN_PASSWORD, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"console exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"console not ready in {timeout}s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: the console dies at once, as in a crash or an OOM kill, finishing nothing."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None


@pytest.fixture(scope="session")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    sb = SandboxProcess(tmp_path_factory.mktemp("e2e") / "sandbox")
    sb.start()
    yield sb
    sb.stop()


REVIEWER_PASSWORD = "e2e-reviewer-password"


def csrf_token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@contextmanager
def signed_in(base_url: str, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=30) as client:
        client.post("/login", data={"username": username, "password": password}).raise_for_status()
        yield client


def whitelist_admin_team(console: ConsoleProcess) -> None:
    """The Quota Center step, done once for the scenarios: the admin's team applies for the
    sandbox cluster, every namespace (the scenarios write in default), and an admin of another
    team approves (nobody decides their own team's application; system namespaces need an admin)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "users",
            "create",
            "reviewer",
            "--role",
            "admin",
            "--team",
            "platform-review",
            "--data-dir",
            str(console.data_dir),
        ],
        input=REVIEWER_PASSWORD.encode(),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with signed_in(console.url, "admin", ADMIN_PASSWORD) as admin:
        token = csrf_token(admin.get("/whitelist").text)
        admin.post(
            "/whitelist",
            data={"cluster": "sandbox", "reason": "browser tests", "csrf_token": token,
                  "namespaces": "* default kube-system kube-public kube-node-lease"},
        ).raise_for_status()
    with signed_in(console.url, "reviewer", REVIEWER_PASSWORD) as reviewer:
        page = reviewer.get("/whitelist?cluster=sandbox").text
        app_id = re.search(r"/whitelist/(\d+)/approve", page)
        assert app_id, "the reviewer sees no application to approve"
        reviewer.post(
            f"/whitelist/{app_id.group(1)}/approve", data={"comment": "ok", "csrf_token": csrf_token(page)}
        ).raise_for_status()


@pytest.fixture(scope="session")
def console_url(e2e_sandbox: SandboxProcess) -> Iterator[str]:
    console = ConsoleProcess(e2e_sandbox.data_dir.parent / "console", e2e_sandbox.kubeconfig_path)
    console.start()
    whitelist_admin_team(console)
    yield console.url
    console.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API keeps an event loop running in this
    thread while it is open, so it must close before later tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def heading(page: Any, name: str) -> None:
    """Wait for the page whose title (its one <h1>) is ``name``."""
    page.get_by_role("heading", level=1, name=name, exact=True).wait_for()


def menu(page: Any) -> Any:
    """The left navigation."""
    return page.get_by_role("navigation", name="Menu")


def sign_in(
    browser: Any, console_url: str, username: str = "admin", password: str = ADMIN_PASSWORD, timeout: float = 10_000
) -> Any:
    """A fresh browser context (its own cookies) at `/`, which sends a visitor to the sign-in
    page; signed in as ``username``, on the Clusters page. Returns its page."""
    context = browser.new_context(base_url=console_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(timeout)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Clusters")
    return page


def open_cluster(page: Any) -> None:
    """From `/`, as a person gets there: the sandbox cluster's name in the Clusters table opens its
    Network Policies, with the cluster's pages in the left menu."""
    page.goto("/")
    page.get_by_role("table").get_by_role("link", name="sandbox", exact=True).click()
    heading(page, "Network Policies")


def open_policies(page: Any, namespace: str = "default") -> None:
    """From `/` to the Network Policies list of ``namespace`` (its drop-down)."""
    open_cluster(page)
    choose_namespace(page, namespace)


def create_namespace(page: Any, name: str) -> None:
    """From `/`: the sandbox cluster, Namespaces in the menu, Create; the namespace ``name``."""
    open_cluster(page)
    menu(page).get_by_role("link", name="Namespaces").click()
    heading(page, "Namespaces")
    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_role("status").filter(has_text=f"Namespace {name} was created.").wait_for()


def choose_namespace(page: Any, namespace: str) -> None:
    """Pick ``namespace`` in the page's drop-down (htmx swaps the list and the URL follows)."""
    dropdown = page.get_by_label("Namespace", exact=True)
    if dropdown.input_value() != namespace:
        dropdown.select_option(namespace)
        page.wait_for_url(re.compile(rf"[?&]namespace={re.escape(namespace)}(&|$)"))
        settle(page)


def settle(page: Any) -> None:
    """Wait until htmx has finished every request and swap it started, but the list's long poll
    (#np-rows, under the panel too), which is never finished."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request:not(#np-rows), .htmx-settling, .htmx-swapping')"
    )


@pytest.fixture
def page(browser: Any, console_url: str) -> Iterator[Any]:
    """A fresh browser context signed in as the bootstrap admin."""
    pg = sign_in(browser, console_url)
    yield pg
    pg.context.close()
