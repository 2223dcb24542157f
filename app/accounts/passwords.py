"""The password policy, one rule wherever a password is set (an admin creating a user or
resetting a password, the CLI, the first admin from ``NETPOL_ADMIN_PASSWORD``, a user changing
their own on /account):

* at least ``MIN_LENGTH`` (12) characters;
* not a common password: not in ``common-passwords.txt`` (shipped with the package, from the
  zxcvbn package's list of leaked passwords), compared in lower case, also once the digits and
  punctuation around it are taken away (``Summer2024!`` is ``summer``), and not one short
  piece repeated (``abcabcabcabc``).

A refusal is ``Invalid`` with its cause at the ``password`` field, in words a person can act on.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from app.errors import FieldError, Invalid
from app.policies.words import Words

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps a huge body from costing CPU
COMMON_FILE = Path(__file__).with_name("common-passwords.txt")

# Digits, punctuation and spaces around the word people build on ("Password123!", "!!qwerty2024").
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _repeated(value: str) -> bool:
    """One piece of at most four characters, repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``)."""
    return any(len(value) % n == 0 and value == value[:n] * (len(value) // n) for n in range(1, 5))


def is_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _repeated(lowered):
        return True
    core = _AROUND.sub("", lowered)
    return len(core) >= 4 and (core in common or _repeated(core))


def problem(password: str) -> str:
    """What is wrong with ``password`` (a sentence to show at its field), or "" when it is fine."""
    if len(password) < MIN_LENGTH:
        return Words("at least {n} characters", n=str(MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return Words("at most {n} characters", n=str(MAX_LENGTH))
    if is_common(password):
        return Words("too common: it is (or is built on) a well-known password; choose another")
    return ""


def check(password: str, field: str = "password") -> None:
    """Raise ``Invalid`` with the cause at ``field`` unless the password meets the policy."""
    why = problem(password)
    if why:
        raise Invalid(Words("the password is refused: {why}", why=why),
                      [FieldError(field, "FieldValueInvalid", why)])
