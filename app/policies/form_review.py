"""What the review step shows of a policy before it is written.

A create's dry run answers with the object as the API server would store it: defaults applied
(which the review should show), but also the bookkeeping the server fills in when the object
comes to exist (uid, creationTimestamp, resourceVersion, generation, managedFields). Before OK
nothing exists yet, so a create's review shows the object as it will be sent, without those. An
update's review keeps them: they are the existing object's, as it is.
"""

from __future__ import annotations

from typing import Any

from app.policies.model import NetworkPolicy, dump_yaml

__all__ = ["SERVER_FILLED", "as_sent", "review_yaml"]

# metadata the API server fills in on create; a client never sends them for a new object
SERVER_FILLED = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")


def _without(obj: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in keys}
    return {**obj, "metadata": meta}


def as_sent(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the server-filled metadata (a copy; ``obj`` is left as it is)."""
    return _without(obj, SERVER_FILLED)


def review_yaml(policy: NetworkPolicy, *, create: bool) -> str:
    """The YAML of a dry run's answer as the review shows it: for a create, as it will be sent;
    for an update, as the server has it (only managedFields left out, as everywhere)."""
    return dump_yaml(_without(policy.to_dict(), SERVER_FILLED if create else ("managedFields",)))
