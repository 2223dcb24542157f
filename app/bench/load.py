"""Load on a running console: wrk (Debian's package) on one URL, and concurrent editors of
policies through the REST API with ETag / If-Match, counting lost updates."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.bench.stats import Timing

REPORT = Path(__file__).with_name("wrk_report.lua")
COUNTER = "netpol-bench/writes"  # the label each editor's write increments


class LoadError(RuntimeError):
    """The load generator could not run (e.g. wrk is not installed)."""


@dataclass(frozen=True)
class Load:
    """What wrk saw: requests per second, errors (socket errors and non-2xx/3xx answers) and the
    latency percentiles, in seconds."""

    url: str
    clients: int
    seconds: float
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients, "seconds": round(self.seconds, 1), "requests": self.requests,
            "perSecond": round(self.per_second, 1), "errors": self.errors,
            "p50Ms": round(self.p50 * 1000, 1), "p95Ms": round(self.p95 * 1000, 1), "p99Ms": round(self.p99 * 1000, 1),
        }  # fmt: skip

    def line(self) -> str:
        return (f"{self.per_second:.1f} req/s, {self.errors} errors, p50 {self.p50 * 1000:.1f} ms, "
                f"p95 {self.p95 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms "
                f"({self.clients} clients, {self.seconds:.0f} s)")  # fmt: skip


async def wrk(url: str, headers: dict[str, str], clients: int, seconds: float, threads: int = 2) -> Load:
    """Run wrk on ``url`` for ``seconds`` with ``clients`` connections (bounded in time: wrk is
    killed if it overstays by a minute)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise LoadError("wrk is not installed (Debian: apt-get install wrk; `make bench` does it)")
    args = [binary, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(REPORT)]  # fmt: skip
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    proc = await asyncio.create_subprocess_exec(
        *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), seconds + 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise LoadError(f"wrk on {url} did not finish") from None
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise LoadError(f"wrk failed ({proc.returncode}): {err.decode().strip() or out.decode().strip()}")
    found = json.loads(lines[-1])
    errors = sum(found[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Load(url, clients, found["seconds"], found["requests"], errors,
                found["p50"] / 1e6, found["p95"] / 1e6, found["p99"] / 1e6)  # fmt: skip


@dataclass(frozen=True)
class Editing:
    """Concurrent editors: the latency of the accepted writes, conflicts (409/412, retried after a
    fresh read), other failures by status or error (``failures``), the lost updates (accepted
    writes missing from the result) and the unacknowledged ones (writes the API server holds
    although the console answered with an error)."""

    editors: int
    writes: Timing
    conflicts: int
    failures: dict[str, int]
    lost: int
    unacknowledged: int = 0

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def outcome(self) -> str:
        """Conflicts, errors (by kind), lost and unacknowledged updates, in words."""
        kinds = f" ({', '.join(f'{k}: {n}' for k, n in sorted(self.failures.items()))})" if self.failures else ""
        return (f"{self.conflicts} conflicts, {self.errors} errors{kinds}, {self.lost} lost updates, "
                f"{self.unacknowledged} unacknowledged")  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"editors": self.editors, "writes": self.writes.as_dict(), "conflicts": self.conflicts,
                "errors": self.errors, "failures": self.failures, "lostUpdates": self.lost,
                "unacknowledged": self.unacknowledged}  # fmt: skip


async def edit_concurrently(
    client: httpx.AsyncClient,
    base: str,
    namespace: str,
    names: list[str],
    editors: int,
    seconds: float,
    stored_total: Callable[[], Awaitable[int]],
) -> Editing:
    """``editors`` tasks for ``seconds``: each reads a random policy of ``names`` (GET, its ETag),
    increments its COUNTER label and PUTs it with If-Match. Afterwards the counters as the API
    server stores them (``stored_total``) must add up to the accepted writes; any shortfall is a
    lost update. An error answer or a broken connection (uvicorn closes the connection after a
    500 that went out whole, and the next request on it is reset) is counted, never raised: the
    editors go on until the time is up."""
    latencies: list[float] = []
    conflicts = 0
    failures: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    rnd = random.Random(7)

    async def editor() -> None:
        nonlocal conflicts
        while time.monotonic() < deadline:
            url = f"{base}/namespaces/{namespace}/networkpolicies/{rnd.choice(names)}"
            try:
                got = await client.get(url)
            except httpx.TransportError as exc:
                failures[f"GET {type(exc).__name__}"] += 1
                continue
            if got.status_code != 200:
                failures[f"GET {got.status_code}"] += 1
                continue
            stored = got.json()["object"]
            labels = dict(stored["metadata"].get("labels") or {})
            labels[COUNTER] = str(int(labels.get(COUNTER, "0")) + 1)
            sent = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": stored["metadata"]["name"], "namespace": namespace, "labels": labels},
                    "spec": stored["spec"]}  # fmt: skip
            started = time.perf_counter()
            try:
                put = await client.put(url, json=sent, headers={"If-Match": got.headers.get("etag", "")})
            except httpx.TransportError as exc:
                failures[f"PUT {type(exc).__name__}"] += 1
                continue
            if put.status_code == 200:
                latencies.append(time.perf_counter() - started)
            elif put.status_code in (409, 412):
                conflicts += 1
            else:
                failures[f"PUT {put.status_code}"] += 1

    await asyncio.gather(*(editor() for _ in range(editors)))
    total = await stored_total()
    accepted = len(latencies)
    return Editing(editors, Timing.of(latencies), conflicts, dict(failures),
                   lost=max(0, accepted - total), unacknowledged=max(0, total - accepted))  # fmt: skip
