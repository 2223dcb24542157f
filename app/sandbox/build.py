"""The control plane's binary: built once from ``localcluster/`` (a Go module of upstream code)
and cached outside the work tree, keyed by the module's sources and go.sum.

The first build compiles Kubernetes (about ten minutes on two cores); every later start finds
the binary in the cache. Concurrent starts wait for one build (a file lock), not two.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

Progress = Callable[[str], None]

SOURCE = Path(__file__).resolve().parents[2] / "localcluster"


class BuildError(RuntimeError):
    """The control plane could not be built (no Go, no source, or the compiler failed)."""


def cache_dir() -> Path:
    explicit = os.environ.get("NETPOL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netpol-console"


def source_key(source: Path = SOURCE) -> str:
    """A digest of everything the binary is built from: go.mod, go.sum and the Go files."""
    digest = hashlib.sha256()
    files = [source / "go.mod", source / "go.sum", *sorted(source.glob("*.go"))]
    for path in files:
        if path.name.endswith("_test.go"):
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def kubernetes_version(source: Path = SOURCE) -> str:
    """The Kubernetes release go.mod pins (``v1.36.3``)."""
    found = re.search(r"^\s*k8s\.io/kubernetes\s+(v\d+\.\d+\.\d+)", (source / "go.mod").read_text(), re.M)
    if not found:
        raise BuildError(f"{source / 'go.mod'} pins no k8s.io/kubernetes release")
    return found.group(1)


def binary_path(source: Path = SOURCE) -> Path:
    return cache_dir() / f"localcluster-{source_key(source)}"


def _ldflags(version: str) -> str:
    # Built from modules the server would report v0.0.0-master; clients read /version.
    major, minor = version.lstrip("v").split(".")[:2]
    stamp = "k8s.io/component-base/version"
    return f"-s -w -X {stamp}.gitVersion={version} -X {stamp}.gitMajor={major} -X {stamp}.gitMinor={minor}"


async def ensure_binary(progress: Progress = print, source: Path = SOURCE) -> Path:
    """The cached binary, building it first if this source has none yet."""
    if not (source / "go.mod").exists():
        raise BuildError(f"the sandbox cluster is built from {source}, which is missing (a source checkout has it)")
    target = binary_path(source)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".build.lock", "w") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        if not target.exists():  # another process may have built it while we waited
            await _build(source, target, progress)
    return target


async def _build(source: Path, target: Path, progress: Progress) -> None:
    version = kubernetes_version(source)
    progress(
        f"Building the Kubernetes {version} control plane from {source} into {target.parent} "
        "(once; the first build takes about ten minutes on two cores)"
    )
    tmp = target.with_name(target.name + ".tmp")
    env = {**os.environ, "GOFLAGS": "-buildvcs=false"}
    try:
        proc = await asyncio.create_subprocess_exec(
            "go", "build", "-v", "-o", str(tmp), "-ldflags", _ldflags(version), ".",
            cwd=source, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise BuildError("the sandbox cluster needs Go (the `go` command) to build; see README") from exc
    assert proc.stdout is not None
    compiled, started, last = 0, time.monotonic(), 0.0
    tail: list[str] = []
    async for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip()
        tail = (tail + [line])[-40:]
        compiled += 1
        now = time.monotonic()
        if now - last >= 15:
            progress(f"  ... {compiled} packages compiled, {int(now - started)} s")
            last = now
    if await proc.wait() != 0:
        tmp.unlink(missing_ok=True)
        raise BuildError("building the sandbox cluster failed:\n" + "\n".join(tail))
    os.replace(tmp, target)
    progress(f"Built {target.name} in {int(time.monotonic() - started)} s")
