"""Writing NetworkPolicies to a cluster, one rule for pages, API and tests:

* the writer must hold the operator role, and the whitelist gate applies (console writes always,
  API writes when an admin turned that on) — enforced here, not only hidden in templates;
* our validator runs first (the same one the sandbox uses), so a bad object never leaves the
  console, and its errors carry upstream's field paths;
* a review is the API server's own dry run (``dryRun=All``): what would be stored, with the
  server's warnings;
* an update carries the resourceVersion the user started from: a stale one is
  ``app.errors.Conflict``, never a silent overwrite;
* writes are strict (``fieldValidation=Strict``): an unknown or duplicated field is Invalid at its
  path, never silently dropped; our warnings and the server's are given each once;
* with ``NETPOL_IMPERSONATE`` the cluster calls are made as the person (``Writer.as_user``, see
  ``app/editing/authority.py``), so the cluster's RBAC decides too and its audit log names them;
* every real write (not dry runs) lands in the audit log, its intent before it is sent and its
  outcome after (``app.audit.service.audited_write``), with before/after;
* a policy whose deletion has begun (``deletionTimestamp``, waiting for finalizers) is not
  edited or deleted again: ``app.errors.BeingDeleted`` says so with its finalizers. A create into
  a Terminating namespace is left to the API server, whose refusal is passed on in its words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import Change, audited_write
from app.cluster.client import Cluster, Impersonation
from app.db import reading
from app.errors import BeingDeleted, FieldError, Forbidden, Invalid
from app.policies.lifecycle import deletion
from app.policies.model import NetworkPolicy, dump_yaml
from app.policies.validation import (
    QUALIFIED_KIND,
    merge_warnings,
    validate_network_policy,
    validate_network_policy_update,
)
from app.policies.words import Words
from app.whitelist.service import require_write

KIND = "NetworkPolicy"


@dataclass(frozen=True)
class Writer:
    """Who writes and through which door: ``via`` is ``console``, ``api`` or ``cli``."""

    user: Any  # app.accounts.models.User: username, team, has_role()
    via: str
    sessions: async_sessionmaker[AsyncSession]
    # Whom the cluster calls are made as (app/editing/authority.py); None: the console itself.
    as_user: Impersonation | None = None

    @property
    def name(self) -> str:
        return str(self.user.username)


@dataclass
class Outcome:
    """A write's result: the object as stored (or as it would be, for a dry run) and warnings."""

    policy: NetworkPolicy
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def yaml(self) -> str:
        return dump_yaml(_clean(self.policy.to_dict()))


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without server bookkeeping a person does not edit (managedFields)."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {**obj, "metadata": meta}


def check(policy: NetworkPolicy, old: NetworkPolicy | None = None) -> list[str]:
    """Validate as the API server would; raise Invalid with field causes, else return warnings."""
    result = validate_network_policy_update(policy, old) if old is not None else validate_network_policy(policy)
    if not result.valid:
        raise result.as_invalid(policy.name)
    return result.warnings


async def authorize(cluster: Cluster, writer: Writer, namespace: str = "") -> None:
    """The operator role, then the whitelist gate for this cluster, the writer's team and the
    namespace written to (none: the cluster only)."""
    if not writer.user.has_role("operator"):
        raise Forbidden(Words("User {user} may not change network policies: the operator role is required",
                              user=writer.name))
    async with reading(writer.sessions) as session:  # reads only: no BEGIN and ROLLBACK round trips
        await require_write(session, cluster.name, writer.user, writer.via, namespace)


async def refusal(cluster: Cluster, writer: Writer, namespace: str = "") -> Forbidden | None:
    """Why ``writer`` may not write here (the error ``write`` would raise), or None."""
    try:
        await authorize(cluster, writer, namespace)
    except Forbidden as exc:
        return exc
    return None


def being_deleted(cluster: Cluster, namespace: str, name: str) -> BeingDeleted | None:
    """Why the policy may not be changed because it is being deleted (the error ``write`` and
    ``delete`` would raise), or None."""
    gone = deletion(cluster.cache.network_policy(namespace, name))
    if gone is None:
        return None
    why = f" ({gone.reason})" if gone.reason else ""
    return BeingDeleted(Words(
        'networkpolicy "{name}" in namespace "{namespace}" is being deleted{why}; it can no longer be changed',
        name=name, namespace=namespace, why=why,
    ))


async def write(
    cluster: Cluster, policy: NetworkPolicy, *, update: bool, dry_run: bool, writer: Writer, action: str = ""
) -> Outcome:
    """Create (``update=False``) or replace a policy; with ``dry_run`` nothing is stored.

    An update must carry ``metadata.resourceVersion``: the version the edit started from."""
    await authorize(cluster, writer, policy.namespace)
    old = None
    if update:
        if not policy.metadata.resource_version:
            raise Invalid.for_object(
                QUALIFIED_KIND,
                policy.name,
                [
                    FieldError(
                        "metadata.resourceVersion", "FieldValueRequired", "an update must say which version it edits"
                    )
                ],
            )
        old = cluster.cache.network_policy(policy.namespace, policy.name)
        refused = being_deleted(cluster, policy.namespace, policy.name)
        if refused is not None:
            raise refused
    ours = check(policy, old)
    action = action or ("update" if update else "create")
    before = old.to_dict() if old is not None else None
    send = cluster.replace_network_policy if update else cluster.create_network_policy
    if dry_run:
        result = await send(policy, dry_run=True, as_user=writer.as_user)
    else:
        change = _change(writer, cluster, policy, action, before, policy.to_dict())
        result = await audited_write(writer.sessions, change, lambda: send(policy, as_user=writer.as_user),
                                     shown=lambda obj: NetworkPolicy.from_dict(obj).to_dict())  # fmt: skip
    return Outcome(result.policy, merge_warnings(result.warnings, ours), dry_run)


async def delete(
    cluster: Cluster, namespace: str, name: str, *, writer: Writer, resource_version: str | None = None
) -> None:
    await authorize(cluster, writer, namespace)
    refused = being_deleted(cluster, namespace, name)
    if refused is not None:
        raise refused
    old = cluster.cache.network_policy(namespace, name)
    before = old.to_dict() if old is not None else None
    target = old or NetworkPolicy.from_dict({"metadata": {"name": name, "namespace": namespace}})
    await audited_write(writer.sessions, _change(writer, cluster, target, "delete", before, None),
                        lambda: cluster.delete_network_policy(namespace, name, resource_version=resource_version,
                                                              as_user=writer.as_user))  # fmt: skip


def _change(
    writer: Writer,
    cluster: Cluster,
    policy: NetworkPolicy,
    action: str,
    before: dict[str, Any] | None,
    intended: dict[str, Any] | None,
) -> Change:
    return Change(writer.name, writer.via, cluster.name, policy.namespace, KIND, policy.name, action, before, intended)
