"""``netpol-console users``: local accounts (create, list, set-password, disable, enable).

Each subcommand migrates the database to head first. Passwords are read from standard input when
it is not a terminal (one line), else ``create`` generates one and prints it once and
``set-password`` asks for it without echo.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path,
                        help="where state is kept (default ./var or $NETPOL_DATA_DIR)")

    p = sub.add_parser("users", help="local user accounts")
    usub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    create = usub.add_parser("create", parents=[common], help="create a user (password from stdin, "
                                                              "or generated and printed once)")
    create.add_argument("name")
    create.add_argument("--role", action="append", required=True, dest="roles",
                        help="viewer, operator, approver or admin (repeat for several)")
    create.add_argument("--team", required=True, help="the team the user belongs to")
    create.add_argument("--display-name", default="", help="the name the pages show")
    create.add_argument("--email")
    create.set_defaults(func=_create)

    lst = usub.add_parser("list", parents=[common], help="list users")
    lst.set_defaults(func=_list)

    setpw = usub.add_parser("set-password", parents=[common], help="set a user's password (from stdin)")
    setpw.add_argument("name")
    setpw.set_defaults(func=_set_password)

    disable = usub.add_parser("disable", parents=[common], help="disable a user and end their sessions")
    disable.add_argument("name")
    disable.set_defaults(func=_switch(False))

    enable = usub.add_parser("enable", parents=[common], help="enable a disabled user")
    enable.add_argument("name")
    enable.set_defaults(func=_switch(True))


def _run(args: argparse.Namespace, action: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate, open the database, run ``action(db)``, commit; domain errors exit 1 with a message."""
    from app.config import Settings
    from app.db import make_engine, make_sessionmaker
    from app.migrate import upgrade

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)

    async def main() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                result = await action(db)
                await db.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _read_password(prompt: str) -> str | None:
    """The password from stdin when it is not a terminal; None when it is (the caller decides)."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.readline().rstrip("\r\n")


def _fail(exc: Exception) -> int:
    print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
    return 1


def _actor() -> str:
    """Who changed users from the command line: the operating-system account, marked as such."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


async def _audited(db: Any, name: str, action: str, change: Any) -> Any:
    """Run ``change(db)`` on user ``name`` and record it in the audit log (same transaction)."""
    from app.accounts import service
    from app.audit.service import record

    existing = await service.find_user(db, name)
    before = service.user_dict(existing) if existing is not None else None
    user = await change(db)
    await record(db, _actor(), "cli", "", "", "User", user.username, action, "success", before, service.user_dict(user))
    return user


def _create(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.errors import DomainError

    password = _read_password("Password: ")
    generated = password is None
    if generated:
        password = service.generate_password()

    async def action(db: Any) -> Any:
        async def create(db: Any) -> Any:
            return await service.create_user(db, args.name, team=args.team, roles=args.roles, password=password,
                                             display_name=args.display_name, email=args.email)

        return await _audited(db, args.name, "user.create", create)

    try:
        user = _run(args, action)
    except DomainError as exc:
        return _fail(exc)
    print(f'created user "{user.username}" (team {user.team}, roles {", ".join(sorted(user.roles))})')
    if generated:
        print(f"password: {password}")
        print("(shown only this once)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from app.accounts import service

    users = _run(args, service.list_users)
    rows = [("USERNAME", "TEAM", "ROLES", "STATUS", "LOGIN", "LAST LOGIN")]
    for u in users:
        rows.append((u.username, u.team, ",".join(sorted(u.roles)), "disabled" if u.disabled else "active",
                     "oidc" if u.oidc_subject else "local",
                     u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _set_password(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.errors import DomainError

    password = _read_password("Password: ")
    if password is None:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    try:
        _run(args, lambda db: _audited(db, args.name, "user.password",
                                       lambda db: service.set_password(db, args.name, password)))
    except DomainError as exc:
        return _fail(exc)
    print(f'password of "{args.name}" set; their sessions were ended')
    return 0


def _switch(enabled: bool) -> Callable[[argparse.Namespace], int]:
    """``users disable NAME`` / ``users enable NAME``."""

    def command(args: argparse.Namespace) -> int:
        from app.accounts import service
        from app.errors import DomainError

        change = service.enable_user if enabled else service.disable_user
        action = "user.enable" if enabled else "user.disable"
        try:
            _run(args, lambda db: _audited(db, args.name, action, lambda db: change(db, args.name)))
        except DomainError as exc:
            return _fail(exc)
        print(f'user "{args.name}" {"enabled" if enabled else "disabled"}')
        return 0

    return command
