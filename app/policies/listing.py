"""The Network Policies list as the page shows it: rows, filtering, sorting. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.durations import human_duration
from app.policies.documents import Pod
from app.policies.form import summarize_direction
from app.policies.lifecycle import Deletion, deletion
from app.policies.lint import Lint
from app.policies.model import NetworkPolicy
from app.policies.selectors import format_requirement, requirements
from app.policies.workloads import pods_selected

# ACK recommends fewer than 100 NetworkPolicies per cluster.
RECOMMENDED_MAXIMUM = 100

SORT_KEYS = ("name", "pods", "created")


@dataclass(frozen=True)
class PolicyRow:
    name: str
    namespace: str
    selector: tuple[str, ...]  # chips; empty means every pod in the namespace
    source: str
    destination: str
    pods: int
    created: str  # RFC 3339, as the API server gives it
    age: str
    deletion: Deletion | None = None  # set while the policy is being deleted (Terminating)
    lints: tuple[Lint, ...] = ()  # likely mistakes (app.policies.lint), marked on the row

    @property
    def all_pods(self) -> bool:
        return not self.selector


def selector_chips(policy: NetworkPolicy) -> tuple[str, ...]:
    return tuple(format_requirement(r) for r in requirements(policy.spec.pod_selector) or ())


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(created: str | None, now: datetime) -> str:
    """How long ago ``created`` was, as kubectl prints an AGE."""
    start = parse_time(created)
    if start is None:
        return "<unknown>"
    return human_duration((now - start).total_seconds())


def selected_pods(policy: NetworkPolicy, pods: Iterable[Pod]) -> list[Pod]:
    """The pods of the policy's namespace that its podSelector selects."""
    ns = policy.namespace
    return pods_selected(policy.spec.pod_selector, (p for p in pods if p.namespace == ns))


def policy_rows(
    policies: Iterable[NetworkPolicy],
    pods: Iterable[Pod],
    *,
    now: datetime | None = None,
    name_filter: str = "",
    sort: str = "name",
    descending: bool = False,
    lints: Mapping[str, Sequence[Lint]] | None = None,
) -> list[PolicyRow]:
    """``lints``: the findings by ``namespace/name``."""
    return arrange_rows(
        build_rows(policies, pods, lints=lints), now=now, name_filter=name_filter, sort=sort, descending=descending
    )


def build_rows(
    policies: Iterable[NetworkPolicy], pods: Iterable[Pod], *, lints: Mapping[str, Sequence[Lint]] | None = None
) -> list[PolicyRow]:
    """The rows of ``policies``, unsorted and without their age: the costly part (each policy's
    selector against every pod), which a caller may keep while the objects stay the same."""
    pods = list(pods)
    return [
        PolicyRow(
            name=p.name,
            namespace=p.namespace,
            selector=selector_chips(p),
            source=summarize_direction(p, "Ingress"),
            destination=summarize_direction(p, "Egress"),
            pods=len(selected_pods(p, pods)),
            created=p.metadata.creation_timestamp or "",
            age="",
            deletion=deletion(p),
            lints=tuple((lints or {}).get(p.ref(), ())),
        )
        for p in policies
    ]


def arrange_rows(
    rows: Iterable[PolicyRow],
    *,
    now: datetime | None = None,
    name_filter: str = "",
    sort: str = "name",
    descending: bool = False,
) -> list[PolicyRow]:
    """``rows`` (from ``build_rows``) whose name holds ``name_filter``, aged at ``now``, sorted."""
    now = now or datetime.now(UTC)
    needle = name_filter.strip().lower()
    shown = [replace(r, age=age(r.created or None, now)) for r in rows if needle in r.name.lower()]
    key = {
        "name": lambda r: r.name,
        "pods": lambda r: (r.pods, r.name),
        "created": lambda r: (r.created, r.name),
    }.get(sort, lambda r: r.name)
    return sorted(shown, key=key, reverse=descending)
