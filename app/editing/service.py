"""Writing NetworkPolicies to a cluster, one rule for pages, API and tests:

* our validator runs first (the same one the sandbox uses), so a bad object never leaves the
  console, and its errors carry upstream's field paths;
* a review is the API server's own dry run (``dryRun=All``): what would be stored, with the
  server's warnings;
* an update carries the resourceVersion the user started from: a stale one is
  ``app.errors.Conflict``, never a silent overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import FieldError, Invalid
from app.policies.model import NetworkPolicy, dump_yaml
from app.policies.validation import (
    QUALIFIED_KIND,
    validate_network_policy,
    validate_network_policy_update,
)


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
    result = (
        validate_network_policy_update(policy, old) if old is not None else validate_network_policy(policy)
    )
    if not result.valid:
        raise Invalid.for_object(QUALIFIED_KIND, policy.name, result.errors)
    return result.warnings


async def write(cluster: Any, policy: NetworkPolicy, *, update: bool, dry_run: bool) -> Outcome:
    """Create (``update=False``) or replace a policy; with ``dry_run`` nothing is stored.

    An update must carry ``metadata.resourceVersion``: the version the edit started from."""
    old = None
    if update:
        if not policy.metadata.resource_version:
            raise Invalid.for_object(
                QUALIFIED_KIND,
                policy.name,
                [FieldError("metadata.resourceVersion", "FieldValueRequired", "an update must say which version it edits")],
            )
        old = cluster.cache.network_policy(policy.namespace, policy.name)
    ours = check(policy, old)
    if update:
        result = await cluster.replace_network_policy(policy, dry_run=dry_run)
    else:
        result = await cluster.create_network_policy(policy, dry_run=dry_run)
    warnings = list(dict.fromkeys([*result.warnings, *ours]))
    return Outcome(result.policy, warnings, dry_run)


async def delete(cluster: Any, namespace: str, name: str, *, resource_version: str | None = None) -> None:
    await cluster.delete_network_policy(namespace, name, resource_version=resource_version)

