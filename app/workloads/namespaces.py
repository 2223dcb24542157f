"""The Namespaces list as the page and the API show it: per namespace its labels, phase, pods,
policies, whether a policy denies each direction by default, and age; and what a namespace holds,
said before it is deleted. Pure: over the cache's records and policy models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.policies.documents import Namespace, Pod
from app.policies.listing import age
from app.policies.model import NetworkPolicy
from app.workloads.consequences import default_deny
from app.workloads.objects import SYSTEM_NAMESPACES

# The label the API server gives every namespace (its name); shown, never edited.
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class NamespaceRow:
    name: str
    labels: Mapping[str, str]
    phase: str  # "Active", "Terminating"
    pods: int
    policies: int
    default_deny: Mapping[str, list[str]]  # direction → the policies that deny it to every pod
    created: str  # RFC 3339, as the API server gives it
    age: str

    @property
    def system(self) -> bool:
        return self.name in SYSTEM_NAMESPACES

    @property
    def terminating(self) -> bool:
        return self.phase == "Terminating"


def namespace_row(
    namespace: Namespace, phase: str, created: str, pods: Iterable[Pod], policies: Iterable[NetworkPolicy],
    now: datetime,
) -> NamespaceRow:
    """The row of one namespace, from its pods and policies (those of other namespaces are skipped)."""
    own = [p for p in policies if p.metadata.namespace == namespace.name]
    return NamespaceRow(
        name=namespace.name,
        labels=dict(namespace.labels),
        phase=phase or "Active",
        pods=sum(1 for p in pods if p.namespace == namespace.name),
        policies=len(own),
        default_deny=default_deny(own),
        created=created,
        age=age(created, now),
    )


def editable_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels a person edits: all but the one the API server keeps equal to the name."""
    return {k: v for k, v in labels.items() if k != NAME_LABEL}
