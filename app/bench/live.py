"""The live bench: the upstream control plane seeded at a scale, a console process serving it,
and every measurement of issue 16 taken against them (see app/bench/__init__.py).

Each measurement is a phase: one that fails is reported (its name and error) and the bench goes
on with the next; a console that exited is started again (and said so) before the next phase."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app.bench import POSTGRES_ADMIN
from app.bench import scale as seeds
from app.bench.html import csrf_token, form_fields
from app.bench.load import COUNTER, edit_concurrently, wrk
from app.bench.report import Report
from app.bench.scale import BIG, LABEL, Scale
from app.bench.stats import Timing
from app.cluster import direct
from app.cluster.client import Cluster
from app.cluster.registry import ClusterRegistry
from app.errors import DomainError
from app.sandbox.cluster import Sandbox, die_with_parent

Say = Callable[[str], None]
CLUSTER = "sandbox"  # the context name the sandbox's kubeconfig gives the cluster
# The control plane's own clients are rate-limited (controller-manager 20 QPS, scheduler 50 by
# default): 10,000 pods would take most of an hour to create and bind.
CONTROL_PLANE_QPS = (
    "kube-controller-manager=--kube-api-qps=500",
    "kube-controller-manager=--kube-api-burst=1000",
    "kube-controller-manager=--concurrent-deployment-syncs=20",
    "kube-controller-manager=--concurrent-replicaset-syncs=20",
    "kube-scheduler=--kube-api-qps=500",
    "kube-scheduler=--kube-api-burst=1000",
)


@dataclass
class Options:
    scale: Scale
    samples: int = 200  # requests per measurement (the whole-cluster matrix takes a tenth)
    warmup: int = 20
    duration: float = 60.0  # seconds of each wrk load and of the editors
    clients: int = 50
    editors: int = 20
    keep: bool = False  # keep the work directory (the cluster's and the console's logs)
    database: str = "sqlite"  # or "postgres": a fresh database on POSTGRES_ADMIN's server, dropped after
    postgres: str = POSTGRES_ADMIN
    say: Say = print


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _kube(kubeconfig: Path) -> Cluster:
    """The sandbox cluster through app/cluster (its raw calls, no watch cache started)."""
    return (await ClusterRegistry.from_kubeconfig(kubeconfig, CLUSTER)).get(CLUSTER)


async def seed(cluster: Cluster, scale: Scale, say: Say, timeout: float = 3600) -> float:
    """Create the scale's objects through the API server (32 at a time) and wait until every
    seeded pod runs; the seconds it took."""
    started = time.monotonic()
    gate = asyncio.Semaphore(32)

    async def one(obj: dict[str, Any]) -> None:
        async with gate:
            await cluster.create(obj["kind"], obj)

    for objects in (seeds.nodes(scale), seeds.namespaces(scale), seeds.deployments(scale), seeds.policies(scale)):
        await asyncio.gather(*(one(o) for o in objects))
    say(f"created {scale.namespaces} namespaces, {scale.deployments} Deployments and {scale.policies} "
        f"NetworkPolicies in {time.monotonic() - started:.1f} s; waiting for {scale.pods} pods to run")  # fmt: skip
    said = -1
    while True:
        running = await _count_running(cluster)
        if running >= scale.pods:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"only {running} of {scale.pods} seeded pods run after {timeout:.0f} s")
        if running // max(1, scale.pods // 10) != said:
            said = running // max(1, scale.pods // 10)
            say(f"  {running} of {scale.pods} pods running ({time.monotonic() - started:.0f} s)")
        await asyncio.sleep(2)


async def _count_running(cluster: Cluster) -> int:
    count, token = 0, None
    while True:
        page = await cluster.list_page("Pod", label_selector=f"{LABEL}=yes", field_selector="status.phase=Running",
                                       limit=2000, continue_token=token)  # fmt: skip
        count += len(page["items"])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return count


@contextlib.asynccontextmanager
async def database(kind: str, admin: str) -> AsyncIterator[str]:
    """The console's database URL: "" for SQLite in its data dir; for postgres a new database on
    the server ``admin`` reaches, dropped afterwards."""
    if kind != "postgres":
        yield ""
        return
    import asyncpg

    name = f"netpol_bench_{uuid.uuid4().hex[:12]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin_sql(f'CREATE DATABASE "{name}"')
    user_host = admin.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{user_host}/{name}"
    finally:
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Console:
    """A console process (``netpol-console serve``) on the cluster's kubeconfig, with its own data
    dir, SQLite, a random secret key and admin password, and the API rate limit lifted (the bench
    is one caller making the load of many)."""

    def __init__(self, work: Path, kubeconfig: Path, database_url: str = "") -> None:
        self.data = work / "console"
        self.kubeconfig = kubeconfig
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(18)
        self.env = {
            **os.environ,
            "NETPOL_DATA_DIR": str(self.data),
            "NETPOL_ADMIN_PASSWORD": self.password,
            "NETPOL_SECRET_KEY": secrets.token_urlsafe(32),
            "NETPOL_API_RATE_PER_SECOND": "1000000",
            "NETPOL_API_RATE_BURST": "1000000",
        }
        self.database_url = database_url
        if database_url:
            self.env["NETPOL_DATABASE_URL"] = database_url
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float) -> float:
        """Start it and wait until /readyz says its cache is synced; the seconds that took.

        The process is forked from the event loop's thread, the main thread, which lives as long as
        the bench: ``die_with_parent`` (PR_SET_PDEATHSIG) fires when the forking *thread* ends, so
        it must never be started from an executor thread."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the console must be started from the main thread (see die_with_parent)")
        self.data.mkdir(parents=True, exist_ok=True)
        log = (self.data / "console.log").open("ab")
        started = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "serve", "--kubeconfig", str(self.kubeconfig),
            "--data-dir", str(self.data), "--port", str(self.port),
            stdout=log, stderr=asyncio.subprocess.STDOUT, env=self.env, preexec_fn=die_with_parent,
        )  # fmt: skip
        log.close()
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"the console exited ({self.proc.returncode}); see {self.data / 'console.log'}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"the console was not ready after {timeout:.0f} s")
                await asyncio.sleep(0.5)

    def cli(self, *args: str) -> str:
        import subprocess

        done = subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(self.data)],
                              env=self.env, capture_output=True, text=True, check=True)  # fmt: skip
        return done.stdout.strip()

    async def grant(self) -> None:
        """Open the cluster to the admin's team as `make run` does for the embedded sandbox: an
        ordinary approved application (the whitelist gates policy writes)."""
        from app.config import Settings
        from app.db import make_engine, make_sessionmaker
        from app.whitelist.service import grant_embedded_sandbox

        engine = make_engine(Settings(data_dir=self.data, database_url=self.database_url).database_url)
        try:
            await grant_embedded_sandbox(make_sessionmaker(engine), CLUSTER)
        finally:
            await engine.dispose()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def rss_mb(self) -> float:
        """The resident memory of the console and its children (uvicorn workers), in MB."""
        assert self.proc is not None
        pids = [self.proc.pid]
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            pids += [int(p) for p in children]
        total = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def timed(call: Callable[[], Awaitable[bool]], samples: int, warmup: int) -> Timing:
    """``call`` ``warmup`` times unmeasured, then ``samples`` times one after another; a call
    returning False, or whose connection broke, counts as an error."""

    async def attempt() -> bool:
        try:
            return await call()
        except httpx.TransportError:
            return False

    for _ in range(warmup):
        await attempt()
    latencies, errors = [], 0
    for _ in range(samples):
        started = time.perf_counter()
        ok = await attempt()
        elapsed = time.perf_counter() - started
        if ok:
            latencies.append(elapsed)
        else:
            errors += 1
    return Timing.of(latencies, errors)


async def run(options: Options) -> Report:
    """Seed a fresh sandbox cluster at the scale, start a console on it, measure; clean up. Only
    the setting up (control plane, seeding, the console's start) can end it with an exception."""
    say, s = options.say, options.scale
    work = Path(tempfile.mkdtemp(prefix="netpol-bench-"))
    report = Report(s, database=options.database)
    sandbox = Sandbox(work / "cluster", port=0, progress=say, component_args=CONTROL_PLANE_QPS)
    say(f"starting the control plane in {work}")
    try:
        async with database(options.database, options.postgres) as url:  # refused before any seeding
            await sandbox.start()
            cluster = await _kube(sandbox.kubeconfig_path)
            api = await direct.open_api(sandbox.kubeconfig_path)
            console = Console(work, sandbox.kubeconfig_path, url)
            try:
                report.seeding_seconds = await seed(cluster, s, say)
                say(f"seeded in {report.seeding_seconds:.1f} s; starting the console ({options.database})")
                report.sync_seconds = await console.start(timeout=900)
                await console.grant()
                token = console.cli("tokens", "create", "--user", "admin", "--name", "bench")
                await _Bench(report, options, console, cluster, api, token).measure()
            finally:
                await console.stop()
                await api.close()
                await cluster.close()
    finally:
        await sandbox.stop()
        if options.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _described(exc: Exception) -> str:
    """An error in one line; a broken connection says which request (uvicorn closes a connection
    after a 500 raised by the app, and the next request sent on it is reset)."""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, httpx.TransportError):
        with contextlib.suppress(RuntimeError):
            text += f" on {exc.request.method} {exc.request.url.path}"
    return text


class _Bench:
    """The phases of one run against a started console."""

    def __init__(self, report: Report, o: Options, console: Console, cluster: Cluster, api: Any, token: str) -> None:
        self.report, self.o, self.console, self.cluster, self.api = report, o, console, cluster, api
        self.rest = f"/api/v1/clusters/{CLUSTER}"
        self.bearer = {"Authorization": f"Bearer {token}"}
        self.list_page = f"/clusters/{CLUSTER}/networkpolicies?namespace={BIG}"
        self.rest_list = f"{self.rest}/namespaces/{BIG}/networkpolicies"
        self.ends: list[str] = []
        self.cookie = ""

    async def measure(self) -> None:
        url, limits = self.console.url, httpx.Limits(max_connections=self.o.editors + 8)
        async with (
            httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as self.page,
            httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers=self.bearer) as self.caller,
        ):
            phases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("sign in", self.sign_in),
                ("page", lambda: self.timing("page", lambda: self.ok(self.page.get(self.list_page), "policy-0000"))),
                ("restList", lambda: self.timing("restList", lambda: self.ok(self.caller.get(self.rest_list)))),
                ("restListAll", lambda: self.timing("restListAll", lambda: self.ok(
                    self.caller.get(f"{self.rest}/networkpolicies", params={"limit": 500})))),
                ("connectivity", self.connectivity),
                ("review", self.review),
                ("matrixNamespace", lambda: self.timing("matrixNamespace", lambda: self.ok(
                    self.caller.get(f"{self.rest}/matrix", params={"namespace": BIG, "port": "80", "by": "pod"})))),
                ("matrixCluster", self.matrix_cluster),
                ("changeToPage", self.change_to_page),
                ("apiServer list", self.direct_lists),
                ("rss", self.rss),
                ("load page", lambda: self.load("page", self.list_page, {"Cookie": self.cookie})),
                ("load restList", lambda: self.load("restList", self.rest_list, self.bearer)),
                ("rss after load", self.rss),
                ("editors", self.editors),
            ]  # fmt: skip
            for name, step in phases:
                await self.phase(name, step)

    async def phase(self, name: str, step: Callable[[], Awaitable[Any]]) -> None:
        if name != "sign in" and "sign in" in self.report.failures:
            self.report.failures[name] = "not run: the bench could not sign in"
            return
        try:
            await step()
        except Exception as exc:  # any failure of a phase is reported, not raised
            error = _described(exc)
            self.o.say(f"phase {name} failed: {error}")
            self.report.failures[name] = error
        if not self.console.running:
            self.report.failures[f"console after {name}"] = (
                f"the console exited ({self.console.proc.returncode if self.console.proc else '?'}); "
                f"started again (see {self.console.data / 'console.log'})"
            )
            self.o.say(f"the console exited during {name}; starting it again")
            await self.console.start(timeout=900)

    @staticmethod
    async def ok(response: Awaitable[httpx.Response], needle: str = "") -> bool:
        answer = await response
        return answer.status_code == 200 and needle in answer.text

    async def timing(self, name: str, call: Callable[[], Awaitable[bool]], samples: int = 0, warmup: int = -1) -> None:
        o = self.o
        self.report.timings[name] = await timed(call, samples or o.samples, o.warmup if warmup < 0 else warmup)

    async def sign_in(self) -> None:
        self.o.say("measuring the pages and the REST API")
        signed_in = await self.page.post("/login", data={"username": "admin", "password": self.console.password})
        if signed_in.status_code not in (200, 303):
            raise RuntimeError(f"the bench could not sign in: {signed_in.status_code}")
        self.cookie = "; ".join(f"{k}={v}" for k, v in self.page.cookies.items())
        pods = (await self.caller.get(f"{self.rest}/namespaces/{BIG}/pods", params={"limit": 2})).json()["items"]
        self.ends = [f"{BIG}/{p['metadata']['name']}" for p in pods]

    async def connectivity(self) -> None:
        body = {"from": {"pod": self.ends[0]}, "to": {"pod": self.ends[-1]}, "port": 80}
        await self.timing("connectivity", lambda: self.ok(self.caller.post(f"{self.rest}/connectivity", json=body)))

    async def review(self) -> None:
        await self.timing("review", await _review_step(self.page))

    async def matrix_cluster(self) -> None:
        everywhere = {"namespace": "*", "port": "80", "by": "workload", "format": "csv"}
        call = lambda: self.ok(self.caller.get(f"{self.rest}/matrix", params=everywhere))  # noqa: E731
        await self.timing("matrixCluster", call, max(3, self.o.samples // 20), 1)

    async def change_to_page(self) -> None:
        self.report.timings["changeToPage"] = await _change_to_page(
            self.page, self.cluster, self.list_page, max(10, self.o.samples // 10)
        )

    async def direct_lists(self) -> None:
        self.o.say("measuring the same lists straight from the API server (kubernetes-asyncio)")

        async def listed(namespace: str | None, limit: int | None = None) -> bool:
            await direct.list_network_policies(self.api, namespace, limit)
            return True

        r, o = self.report, self.o
        r.direct["list"] = await timed(lambda: listed(BIG), o.samples, o.warmup)
        r.direct["listAll"] = await timed(lambda: listed(None, 500), o.samples, o.warmup)

    async def rss(self) -> None:
        self.report.rss_mb = max(self.report.rss_mb or 0.0, self.console.rss_mb())

    async def load(self, name: str, url: str, headers: dict[str, str]) -> None:
        o = self.o
        o.say(f"load: {o.clients} clients on {name} for {o.duration:.0f} s (wrk)")
        self.report.loads[name] = await wrk(self.console.url + url, headers, o.clients, o.duration)

    async def editors(self) -> None:
        o = self.o
        o.say(f"{o.editors} concurrent editors on {o.editors} policies for {o.duration:.0f} s")
        names = [f"bench-edit-{i:02d}" for i in range(o.editors)]
        for name in names:
            await self.cluster.create("NetworkPolicy", {
                "metadata": {"name": name, "namespace": BIG, "labels": {LABEL: "yes"}},
                "spec": {"podSelector": {"matchLabels": {"tier": "db"}}}})  # fmt: skip
        try:
            for name in names:  # the console's cache has them before the editors start
                while (await self.caller.get(f"{self.rest_list}/{name}")).status_code != 200:
                    await asyncio.sleep(0.05)

            async def stored_total() -> int:
                total = 0
                for name in names:
                    stored = await self.cluster.get_object("NetworkPolicy", BIG, name)
                    total += int((stored["metadata"].get("labels") or {}).get(COUNTER, "0"))
                return total

            self.report.editing = await edit_concurrently(
                self.caller, self.rest, BIG, names, o.editors, o.duration, stored_total
            )
            # The API server's own time for the same write: a replace through kubernetes-asyncio.
            latencies = [await direct.annotate_network_policy(self.api, BIG, names[0], "netpol-bench/direct", str(i))
                         for i in range(max(20, o.samples // 4) + 5)]  # fmt: skip
            self.report.api_write = Timing.of(latencies[5:])  # the first few warm up
        finally:
            for name in names:
                with contextlib.suppress(DomainError):
                    await self.cluster.delete("NetworkPolicy", BIG, name)


async def _review_step(page: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    """The Create panel's Next (dry run on the API server, impact, lint) for a policy with one
    ingress rule, posted as the browser posts it."""
    opened = await page.get(f"/clusters/{CLUSTER}/networkpolicies/new", params={"namespace": BIG})
    token = csrf_token(opened.text)
    headers = {"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": token}
    editor = f"/clusters/{CLUSTER}/networkpolicies/editor"

    def post(html: str, op: str, **changes: str) -> Awaitable[httpx.Response]:
        fields = [(k, v) for k, v in form_fields(html) if k not in changes] + list(changes.items()) + [("op", op)]
        return page.post(editor, content=urlencode(fields), headers=headers)

    filled = (await post(opened.text, "add:ingress.rules", name="bench-review")).text

    async def review() -> bool:
        answer = await post(filled, "next")
        return answer.status_code == 200 and "bench-review" in answer.text

    return review


async def _change_to_page(page: httpx.AsyncClient, cluster: Cluster, url: str, times: int) -> Timing:
    """From a policy created through the API server to the list page showing it."""
    latencies = []
    for i in range(times):
        name = f"bench-live-{i:03d}"
        started = time.perf_counter()
        await cluster.create("NetworkPolicy", {"metadata": {"name": name, "namespace": BIG, "labels": {LABEL: "yes"}},
                                               "spec": {"podSelector": {}}})  # fmt: skip
        try:
            while name not in (await page.get(url)).text:
                if time.perf_counter() - started > 30:
                    raise TimeoutError(f"{name} was not on the page 30 s after it was created")
                await asyncio.sleep(0.01)
            latencies.append(time.perf_counter() - started)
        finally:
            await cluster.delete("NetworkPolicy", BIG, name)
    return Timing.of(latencies)
