"""``netpol-console db``: database migrations."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="database migrations")
    p.add_argument("--data-dir", type=Path, help="where state is kept (default ./var or $NETPOL_DATA_DIR)")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="migrate the database to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    down = dbsub.add_parser("downgrade", help="migrate the database down to a revision")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from app.config import Settings

    return Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))


def _upgrade(args: argparse.Namespace) -> int:
    from app.migrate import upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    from app.migrate import downgrade

    downgrade(_settings(args).database_url, args.revision)
    print(f"database at {args.revision}")
    return 0
