"""``netpol-console serve``: the web console."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings


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

    from app import logs
    from app.config import Settings
    from app.main import create_app
    from app.secret_key import SecretKeyRefused, ensure_secret_key

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
    try:
        ensure_secret_key(settings)  # refused here with one line, rather than in a traceback at start-up
    except SecretKeyRefused as exc:
        print(f"netpol-console: {exc}", file=sys.stderr)
        return 2
    # The command line ends quietly on SIGPIPE like a Unix filter (app/cli/__init__.py); a server
    # must not: a client that goes away mid-response would kill the process. Ignored, a write to a
    # closed socket is an error of that one connection.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # Long-polling list pages hold requests open; do not let them delay a shutdown for long.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # JSON lines with the request id, no secrets (app/logs.py); the access log is app.web.observe's
        log_config=logs.config(settings.log_level),
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=3,
        **server_options(settings),
    )
    return 0


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the console, wherever it is started: no ``Server`` header naming it, and
    the proxy headers believed only from the addresses Settings trusts."""
    return {
        "server_header": False,
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
