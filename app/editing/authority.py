"""Per-user authority: whom the console's Kubernetes calls for a person are made as.

With ``NETPOL_IMPERSONATE`` on, a write (or dry run, or delete) made for a signed-in person carries
``Impersonate-User`` (the username) and ``Impersonate-Group`` (``NETPOL_IMPERSONATE_GROUPS``:
templates in which ``{team}`` is the person's team and ``{role}`` stands for each of their roles,
one group per role), so the cluster's own RBAC decides and its audit log names the person. The
console's own gates (the operator role, the whitelist) still apply first; the API server's
refusal (403 Forbidden) reaches the person in its own words. Off, the console writes as itself.
"""

from __future__ import annotations

from typing import Any

from app.cluster.client import Impersonation
from app.config import Settings


def impersonation(settings: Settings, user: Any) -> Impersonation | None:
    """The identity to act as for ``user`` (username, team, roles), or None when impersonation
    is off."""
    if not settings.impersonate:
        return None
    return Impersonation(str(user.username), groups(settings.impersonate_groups, user))


def groups(templates: list[str], user: Any) -> tuple[str, ...]:
    """The groups the templates give for ``user``, each once, in template then role order."""
    out: list[str] = []
    roles = sorted(user.roles or ())
    for template in templates:
        if "{role}" in template:
            out.extend(template.replace("{role}", role).replace("{team}", str(user.team)) for role in roles)
        else:
            out.append(template.replace("{team}", str(user.team)))
    return tuple(dict.fromkeys(g for g in out if g))
