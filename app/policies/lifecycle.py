"""Object lifecycles: whether a NetworkPolicy or a Namespace is being deleted. Pure.

A DELETE of an object that has finalizers only sets ``metadata.deletionTimestamp``: the object
stays, readable and even writable, until controllers remove its finalizers. A namespace being
deleted is ``Terminating`` (``status.phase``) until the namespace controller has emptied it
(``spec.finalizers: [kubernetes]``), and the API server refuses to create anything in it. The
console shows both states, and refuses to edit a policy whose deletion has begun (an edit would
be lost with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.policies.model import NetworkPolicy

# Namespace conditions that say what still holds a Terminating namespace.
_BLOCKING_CONDITIONS = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)


@dataclass(frozen=True)
class Deletion:
    """An object being deleted: since when (RFC 3339, "" when unknown), the finalizers that hold
    it, and for a namespace what its conditions say remains."""

    since: str
    finalizers: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """``since 2026-01-01T00:00:00Z; finalizers: a, b``, as much as is known."""
        parts = []
        if self.since:
            parts.append(f"since {self.since}")
        if self.finalizers:
            parts.append("finalizers: " + ", ".join(self.finalizers))
        return "; ".join(parts)


def deletion(obj: NetworkPolicy | Mapping[str, Any] | None) -> Deletion | None:
    """The deletion under way of a NetworkPolicy or a raw object (a Namespace), else None."""
    if obj is None:
        return None
    if isinstance(obj, NetworkPolicy):
        meta = obj.metadata
        if not meta.deletion_timestamp:
            return None
        return Deletion(meta.deletion_timestamp, tuple(meta.finalizers or ()))
    metadata = obj.get("metadata") or {}
    status = obj.get("status") or {}
    since = str(metadata.get("deletionTimestamp") or "")
    if not since and status.get("phase") != "Terminating":
        return None
    finalizers = [*(metadata.get("finalizers") or ()), *((obj.get("spec") or {}).get("finalizers") or ())]
    remaining = tuple(
        str(c.get("message"))
        for c in status.get("conditions") or ()
        if c.get("type") in _BLOCKING_CONDITIONS and c.get("status") == "True" and c.get("message")
    )
    return Deletion(since, tuple(dict.fromkeys(str(f) for f in finalizers)), remaining)


class Deleting(Protocol):
    """A namespace as the cache's records give it: its name and its deletion, if under way."""

    @property
    def name(self) -> str: ...

    @property
    def deletion(self) -> Deletion | None: ...


def terminating_namespaces(namespaces: Iterable[Deleting]) -> dict[str, Deletion]:
    """The namespaces being deleted, by name."""
    return {ns.name: ns.deletion for ns in namespaces if ns.deletion is not None}
