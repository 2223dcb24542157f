"""The key that signs sessions and login flows (``NETPOL_SECRET_KEY``), settled once at start.

The rule:
- A key anyone can read is never used: the development default of earlier versions, the
  placeholders of ``.env.example`` and ``deploy/kubernetes/`` (anything containing ``REPLACE-ME``
  or ``change-me``), and anything shorter than 32 characters.
- With no key, a trial on one machine (``NETPOL_ENV=development``, SQLite, the embedded sandbox)
  makes a random key and keeps it in ``<data-dir>/secret-key`` (mode 0600), so sessions survive
  a restart.
- Any other console (another ``NETPOL_ENV``, a shared database such as PostgreSQL, or a real
  cluster) refuses to start without a key: consoles sharing a database must share one key, and a
  key made up on the spot would be lost with the pod.
"""

from __future__ import annotations

import os
import secrets

from app.config import Settings
from app.connect import choose_source

MIN_LENGTH = 32
KEY_FILE = "secret-key"
# Keys that are public: the default of earlier versions and the usual placeholders.
PUBLIC_KEYS = frozenset({"development-only-secret-key", "secret", "changeme"})
PLACEHOLDER_MARKS = ("replace-me", "change-me", "changeme")
HOW = "set NETPOL_SECRET_KEY to a random value, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class SecretKeyRefused(RuntimeError):
    """The console must not start with this key (or without one)."""


def ensure_secret_key(settings: Settings) -> None:
    """Check ``settings.secret_key``, or make and keep one where the rule allows it (above)."""
    key = settings.secret_key
    if key:
        if key.lower() in PUBLIC_KEYS or any(mark in key.lower() for mark in PLACEHOLDER_MARKS):
            raise SecretKeyRefused(f"NETPOL_SECRET_KEY is a public placeholder: {HOW}")
        if len(key) < MIN_LENGTH:
            raise SecretKeyRefused(f"NETPOL_SECRET_KEY is shorter than {MIN_LENGTH} characters: {HOW}")
        return
    if not trial(settings):
        raise SecretKeyRefused(
            "NETPOL_SECRET_KEY is required outside a development trial on SQLite and the embedded "
            f"sandbox (NETPOL_ENV={settings.env}, a shared database or a real cluster): {HOW}"
        )
    settings.secret_key = kept_key(settings)


def trial(settings: Settings) -> bool:
    """One console on one machine: development, SQLite, the embedded sandbox."""
    return (
        settings.env == "development"
        and settings.database_url.startswith("sqlite")
        and choose_source(settings).kind == "sandbox"
    )


def kept_key(settings: Settings) -> str:
    """The key in ``<data-dir>/secret-key``, made (readable by the owner only) when missing."""
    path = settings.data_dir / KEY_FILE
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # an earlier start (or a console starting at the same time) made it
        key = path.read_text().strip()
        if len(key) < MIN_LENGTH:
            raise SecretKeyRefused(f"{path} holds no usable key: delete it to make a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key
