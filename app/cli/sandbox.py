"""``netpol-console sandbox``: run the sandbox cluster until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sandbox",
        help="run the sandbox cluster (a Kubernetes-API-compatible server)",
        description="Serve the sandbox cluster over HTTPS and write its kubeconfig.",
    )
    p.add_argument(
        "--port", type=int, default=6443, help="port to listen on (0 picks a free one; default 6443)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./var/sandbox"),
        help="where state, CA, token and kubeconfig live (default ./var/sandbox)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--pod-cidr", default="10.244.0.0/16", help="range pod IPs come from (default 10.244.0.0/16)"
    )
    p.add_argument("--no-seed", action="store_true", help="start empty instead of with the demo")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from app.sandbox import Sandbox

    sandbox = Sandbox(
        args.data_dir, host=args.host, port=args.port, pod_cidr=args.pod_cidr, seed=not args.no_seed
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sandbox.start()
    print(f"sandbox serving at {sandbox.url}; kubeconfig: {sandbox.kubeconfig_path}", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0
