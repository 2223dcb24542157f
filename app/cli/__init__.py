"""The ``netpol-console`` command: parses arguments and calls services; no logic of its own.

Each module here registers its subcommands on the shared parser (``register(subparsers)``) and
sets ``func`` (returning the exit code) on the parsed namespace.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from app.cli import bench, db, offline, sandbox, serve, tokens, users


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netpol-console",
        description="A web console for Kubernetes NetworkPolicies on ACK clusters with Terway.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, sandbox, db, offline, bench, users, tokens):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code = args.func(args)
    return int(code or 0)


def run() -> None:
    """The console script: like any Unix filter, end quietly when the reader of stdout goes away."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())


if __name__ == "__main__":
    run()
