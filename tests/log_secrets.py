"""pytest plugin (``-p tests.log_secrets``): no secret in any log line of the whole run.

Every log record this process creates, from any logger (uvicorn's access log, which does not
propagate, included), is rendered as it is created: its message and its exception text. The root
logger is set to INFO, the level ``netpol-console serve`` logs at, so the console's INFO lines
exist to be checked. The log files of the consoles that tests run as subprocesses
(``console*.log`` under the run's temporary directory, written by ``netpol-console serve``) are
read at the end as well.

At the end of the session the run fails when any of them holds a secret:

- the passwords the tests use (harvested from tests/: string literals given as ``password``
  or assigned to a ``..._PASSWORD`` name) and the OIDC provider's client secrets
  (tests/oidc/provider.js);
- the tokens of the kubeconfigs the run wrote (the sandbox's service-account tokens);
- whatever has the shape of one: a console API token (``npc_…``), a JWT, a ``Bearer`` value,
  a ``netpol_session`` cookie.

``Capture.recording()`` makes a capture of its own (records then go only to it), which
``tests/test_log_secrets.py`` uses to prove that a logged secret is caught.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

TESTS = Path(__file__).resolve().parent
MIN_LENGTH = 8  # shorter literals ("short") are words, not secrets worth a search

SHAPES = re.compile(
    r"npc_[A-Za-z0-9_\-]{16,}"  # a console API token
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"  # a JWT
    r"|\bBearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=\-]{8,}"  # an Authorization value
    r"|netpol_session=(?!\[redacted\])[^\s;\"']{8,}"  # the session cookie
)
_PASSWORD_LITERAL = re.compile(
    r"""(?:password\w*["']?\s*[:=]\s*|PASSWORD\w*\s*=\s*)["']([^"'\n]+)["']""", re.IGNORECASE
)
_CLIENT_SECRET = re.compile(r"""client_secret:[^\n]*?['"]([^'"\n]+)['"]""")


def known_secrets(tests: Path = TESTS) -> set[str]:
    """The passwords and client secrets written in the tests' sources."""
    found: set[str] = set()
    for path in tests.rglob("*.py"):
        if "node_modules" not in path.parts:
            found.update(_PASSWORD_LITERAL.findall(path.read_text(encoding="utf-8")))
    provider = tests / "oidc" / "provider.js"
    if provider.exists():
        found.update(_CLIENT_SECRET.findall(provider.read_text(encoding="utf-8")))
    return {s for s in found if len(s) >= MIN_LENGTH and "{" not in s}


def kubeconfig_tokens(root: Path) -> set[str]:
    """The bearer tokens of the kubeconfigs under ``root``."""
    found: set[str] = set()
    for path in root.rglob("*kubeconfig*"):
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        users = config.get("users") if isinstance(config, dict) else None
        for user in users if isinstance(users, list) else []:
            token = ((user or {}).get("user") or {}).get("token") if isinstance(user, dict) else None
            if isinstance(token, str) and len(token) >= MIN_LENGTH:
                found.add(token)
    return found


def render(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a record whose arguments do not fit its message: check both as they are
        text = f"{record.msg!s} {record.args!r}"
    if record.exc_info and record.exc_info[0] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    return text


class Capture:
    """The rendered log lines of a run (``where``: the logger, or the file they came from)."""

    _active: list[Capture] = []
    _installed = False

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    @classmethod
    def install(cls) -> None:
        """Route every log record created from now on to the innermost recording capture."""
        if cls._installed:
            return
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            if cls._active:
                cls._active[-1].lines.append((record.name, render(record)))
            return record

        logging.setLogRecordFactory(factory)
        cls._installed = True

    @contextmanager
    def recording(self) -> Iterator[Capture]:
        Capture.install()
        Capture._active.append(self)
        try:
            yield self
        finally:
            Capture._active.remove(self)

    def read_files(self, paths: Iterable[Path]) -> None:
        for path in paths:
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                self.lines.append((str(path.name), line))

    def leaks(self, secrets: Iterable[str]) -> list[tuple[str, str]]:
        """``(where, what)`` for each line holding a secret; ``what`` names it without showing it."""
        literal = sorted(set(secrets), key=len, reverse=True)
        pattern = re.compile("|".join([SHAPES.pattern, *(re.escape(s) for s in literal)]))
        out: list[tuple[str, str]] = []
        for where, text in self.lines:
            for found in pattern.finditer(text):
                value = found.group(0)
                out.append((where, f"{value[:4]}… ({len(value)} characters)"))
        return out


_session = Capture()
_recording: Any = None


def pytest_configure(config: pytest.Config) -> None:
    global _recording
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _recording = _session.recording()
    _recording.__enter__()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _recording is not None:
        _recording.__exit__(None, None, None)
    factory = getattr(session.config, "_tmp_path_factory", None)
    secrets = known_secrets()
    if factory is not None:
        base = factory.getbasetemp()
        _session.read_files(base.rglob("console*.log"))
        secrets |= kubeconfig_tokens(base)
    leaks = _session.leaks(secrets)
    if not leaks:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "secrets in log lines (tests/log_secrets.py)", red=True)
        for where, what in leaks[:50]:
            reporter.write_line(f"{where}: {what}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
