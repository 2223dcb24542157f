"""Patch semantics (pure functions)."""

from __future__ import annotations

from app.sandbox.patch import json_patch, merge_patch, strategic_merge_patch


def test_merge_patch_replaces_lists_and_deletes_nulls() -> None:
    doc = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert merge_patch(doc, {"a": {"b": None}, "l": [3]}) == {"a": {"c": 2}, "l": [3]}


def test_strategic_merge_merges_containers_by_name_and_ports_by_key() -> None:
    pod = {
        "spec": {
            "containers": [
                {"name": "a", "image": "x", "ports": [{"containerPort": 80}]},
                {"name": "b", "image": "y"},
            ]
        }
    }
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [
                {"name": "a", "image": "x2", "ports": [{"containerPort": 81}]},
                {"name": "b", "$patch": "delete"},
            ],
        }
    }
    out = strategic_merge_patch(pod, patch)
    assert out == {
        "spec": {
            "containers": [
                {"name": "a", "image": "x2", "ports": [{"containerPort": 80}, {"containerPort": 81}]}
            ]
        }
    }


def test_strategic_merge_replaces_lists_without_a_merge_key() -> None:
    policy = {"spec": {"ingress": [{"from": [{"podSelector": {}}]}], "policyTypes": ["Ingress"]}}
    out = strategic_merge_patch(policy, {"spec": {"ingress": [{"ports": [{"port": 80}]}]}})
    assert out["spec"]["ingress"] == [{"ports": [{"port": 80}]}]


def test_json_patch_operations() -> None:
    doc = {"metadata": {"labels": {"a": "1"}}, "list": [1, 2]}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/metadata/labels/b", "value": "2"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "test", "path": "/list/0", "value": 1},
        ],
    )
    assert out == {"metadata": {"labels": {"b": "2"}}, "list": [1, 2, 3]}
    assert doc["metadata"]["labels"] == {"a": "1"}
