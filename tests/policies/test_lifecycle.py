"""Whether a policy or a namespace is being deleted, read from the objects alone."""

from __future__ import annotations

from app.cluster.records import namespace_record
from app.policies.lifecycle import Deletion, deletion, terminating_namespaces
from app.policies.model import NetworkPolicy


def test_a_policy_with_a_deletion_timestamp_is_being_deleted_and_held_by_its_finalizers() -> None:
    meta = {"name": "p", "namespace": "a", "finalizers": ["example.com/hold"]}
    assert deletion(NetworkPolicy.from_dict({"metadata": meta})) is None
    held = NetworkPolicy.from_dict({"metadata": {**meta, "deletionTimestamp": "2026-01-02T03:04:05Z"}})
    gone = deletion(held)
    assert gone == Deletion("2026-01-02T03:04:05Z", ("example.com/hold",))
    assert gone.reason == "since 2026-01-02T03:04:05Z; finalizers: example.com/hold"
    assert held.to_dict()["metadata"]["deletionTimestamp"] == "2026-01-02T03:04:05Z"


def test_a_terminating_namespace_names_its_finalizers_and_what_remains() -> None:
    namespaces = [
        {"metadata": {"name": "live"}, "status": {"phase": "Active"}},
        {
            "metadata": {"name": "going", "deletionTimestamp": "2026-01-02T03:04:05Z"},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {
                "phase": "Terminating",
                "conditions": [
                    {"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "message": "all fine"},
                    {"type": "NamespaceFinalizersRemaining", "status": "True", "message": "example.com/hold in 1"},
                ],
            },
        },
        {"metadata": {"name": "phase-only"}, "status": {"phase": "Terminating"}},
    ]
    found = terminating_namespaces(namespace_record(n) for n in namespaces)
    assert found == {
        "going": Deletion("2026-01-02T03:04:05Z", ("kubernetes",), ("example.com/hold in 1",)),
        "phase-only": Deletion(""),
    }
    assert found["phase-only"].reason == ""
