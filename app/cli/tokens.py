"""``netpol-console tokens``: API tokens for the REST API (create, list, revoke).

``create`` prints the token once; only its hash is kept. Each subcommand migrates the database
to head first (the same runner as ``users``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.users import _fail, _run


def token_id(text: str) -> int:
    """A row id as the database holds it (argparse says "invalid token_id value" otherwise)."""
    from app.limits import MAX_ROW_ID

    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    if not 1 <= number <= MAX_ROW_ID:
        raise ValueError(text)
    return number


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, help="where state is kept (default ./var or $NETPOL_DATA_DIR)"
    )

    p = sub.add_parser("tokens", help="API tokens for the REST API")
    tsub = p.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")

    create = tsub.add_parser("create", parents=[common], help="make a token for a user (printed once)")
    create.add_argument("--user", required=True, help="the user the token acts as")
    create.add_argument("--name", required=True, help="a label saying what the token is for")
    create.add_argument(
        "--scope",
        choices=("read", "write"),
        default="write",
        help="read: GET requests only; write: whatever the user's role allows (default)",
    )
    create.add_argument("--expires", help="lifetime, e.g. 90d, 12h, 2w (default: never)")
    create.set_defaults(func=_create)

    lst = tsub.add_parser("list", parents=[common], help="list tokens (never their secrets)")
    lst.add_argument("--user", help="only this user's tokens")
    lst.set_defaults(func=_list)

    revoke = tsub.add_parser("revoke", parents=[common], help="revoke a token by its id")
    revoke.add_argument("id", type=token_id)
    revoke.set_defaults(func=_revoke)


def _create(args: argparse.Namespace) -> int:
    from app.accounts import tokens
    from app.errors import DomainError

    try:
        expires = tokens.parse_duration(args.expires) if args.expires else None

        async def action(db: Any) -> Any:
            return await tokens.create_token(db, args.user, args.name, scope=args.scope, expires_in=expires)

        token, plain = _run(args, action)
    except DomainError as exc:
        return _fail(exc)
    until = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "never"
    print(
        f'created token #{token.id} "{token.name}" for {args.user} (scope {token.scope}, expires {until})',
        file=sys.stderr,
    )
    print("(the token is shown only this once)", file=sys.stderr)
    print(plain)
    return 0


def _list(args: argparse.Namespace) -> int:
    from app.accounts import tokens

    rows = [("ID", "USER", "NAME", "PREFIX", "SCOPE", "STATUS", "EXPIRES", "LAST USED")]
    for t, user in _run(args, lambda db: tokens.list_tokens(db, args.user)):
        status = "revoked" if t.revoked_at else ("active" if t.active() else "expired")
        rows.append(
            (
                str(t.id),
                user,
                t.name,
                t.prefix + "…",
                t.scope,
                status,
                t.expires_at.strftime("%Y-%m-%d %H:%M UTC") if t.expires_at else "never",
                t.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if t.last_used_at else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from app.accounts import tokens
    from app.errors import DomainError

    try:
        _run(args, lambda db: tokens.revoke_token(db, args.id))
    except DomainError as exc:
        return _fail(exc)
    print(f"token #{args.id} revoked")
    return 0
