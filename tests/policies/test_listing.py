"""The list's rows: selector chips, pods selected, ages as kubectl prints them, filter and sort."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.policies.documents import Pod
from app.policies.listing import age, policy_rows
from app.policies.model import NetworkPolicy

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-11-26T11:59:15Z", "45s"),
        ("2026-11-26T11:55:30Z", "4m30s"),
        ("2026-11-26T11:45:00Z", "15m"),
        ("2026-11-26T09:40:00Z", "140m"),
        ("2026-11-26T07:00:00Z", "5h"),
        ("2026-11-25T00:00:00Z", "36h"),
        ("2026-11-23T00:00:00Z", "3d12h"),
        ("2026-10-01T12:00:00Z", "56d"),
        ("2023-11-01T12:00:00Z", "3y26d"),
        ("2016-11-01T12:00:00Z", "10y"),
        ("", "<unknown>"),
    ],
)
def test_age_reads_like_kubectl(created: str, expected: str) -> None:
    assert age(created, NOW) == expected


def _policy(name: str, selector: dict[str, object], created: str = "2026-11-26T11:00:00Z") -> NetworkPolicy:
    return NetworkPolicy.from_dict(
        {
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": created},
            "spec": {"podSelector": selector},
        }
    )


def test_rows_count_selected_pods_show_chips_filter_and_sort() -> None:
    pods = [
        Pod("default", "a", {"app": "web", "tier": "1"}),
        Pod("default", "b", {"app": "db"}),
        Pod("other", "c", {"app": "web"}),
    ]
    policies = [
        _policy("web", {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
        _policy("everything", {}, "2026-11-26T10:00:00Z"),
    ]
    rows = policy_rows(policies, pods, now=NOW)
    assert [(r.name, r.pods, r.selector, r.all_pods) for r in rows] == [
        ("everything", 2, (), True),
        ("web", 1, ("app=web", "tier"), False),
    ]
    assert [r.name for r in policy_rows(policies, pods, now=NOW, name_filter="WE")] == ["web"]
    assert [r.name for r in policy_rows(policies, pods, now=NOW, sort="created", descending=True)] == [
        "web",
        "everything",
    ]
    assert rows[0].age == "120m"  # kubectl switches to hours at 3h
