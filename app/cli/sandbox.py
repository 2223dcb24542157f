"""``netpol-console sandbox``: run the sandbox cluster (the upstream control plane with KWOK
nodes) in the foreground until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sandbox",
        help="run the sandbox cluster (upstream Kubernetes control plane with KWOK nodes)",
        description="Run etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK, "
        "built from upstream Go modules, and write the kubeconfig.",
    )
    p.add_argument(
        "--port", type=int, default=6443, help="the API server's port (0 picks a free one; default 6443)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./var/sandbox"),
        help="where etcd's data, certificates, logs and the kubeconfig live (default ./var/sandbox)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address the API server listens on (default 127.0.0.1)")
    p.add_argument("--no-seed", action="store_true", help="start without the demo manifests")
    p.add_argument(
        "--apiserver-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="an extra kube-apiserver flag, e.g. --apiserver-arg=--watch-cache=false (repeatable)",
    )
    p.add_argument(
        "--build-only", action="store_true", help="build (or find in the cache) the control plane's binary and exit"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from app.sandbox import Sandbox, SandboxError
    from app.sandbox.build import BuildError, ensure_binary

    def progress(text: str) -> None:
        print(text, flush=True)

    try:
        if args.build_only:
            print(await ensure_binary(progress), flush=True)
            return 0
        sandbox = Sandbox(
            args.data_dir,
            host=args.host,
            port=args.port,
            seed=not args.no_seed,
            progress=progress,
            apiserver_args=tuple(args.apiserver_arg),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await sandbox.start()
    except (BuildError, SandboxError) as exc:
        print(f"netpol-console sandbox: {exc}", flush=True)
        return 1
    print(f"sandbox serving at {sandbox.url}; kubeconfig: {sandbox.kubeconfig_path}", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0
