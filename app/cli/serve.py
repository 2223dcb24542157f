"""``netpol-console serve``: the web console."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the web console")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8000)")
    p.add_argument("--data-dir", type=Path, help="where state is kept (default ./var or $NETPOL_DATA_DIR)")
    p.add_argument("--kubeconfig", type=Path, help="a kubeconfig file; every context is a cluster")
    p.add_argument("--context", help="use only this kubeconfig context")
    p.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    p.add_argument("--sandbox", action="store_true", help="use the embedded sandbox cluster")
    p.add_argument("--sandbox-port", type=int, help="port of the embedded sandbox (default 6443)")
    p.set_defaults(func=_serve)


def settings_from(args: argparse.Namespace, **names: str) -> dict[str, object]:
    """Settings overrides from the flags that were given (the rest stay with env/defaults)."""
    out: dict[str, object] = {}
    for flag, field in names.items():
        value = getattr(args, flag, None)
        if value not in (None, False):
            out[field] = value
    return out


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import Settings
    from app.main import create_app

    overrides = settings_from(
        args,
        host="host",
        port="port",
        data_dir="data_dir",
        kubeconfig="kubeconfig",
        context="context",
        in_cluster="in_cluster",
        sandbox="sandbox",
        sandbox_port="sandbox_port",
    )
    settings = Settings(**overrides)  # type: ignore[arg-type]
    # Long-polling list pages hold requests open; do not let them delay a shutdown for long.
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=3
    )
    return 0
