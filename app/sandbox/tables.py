"""Server-side ``Table`` printing (meta.k8s.io/v1), what ``kubectl get`` asks for and prints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.durations import human_duration
from app.policies.model import LabelSelector
from app.policies.selectors import format_selector

TABLE_MEDIA = "as=Table"

_NAME_COL = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE_COL = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is a timestamp representing the server time when this object was "
    "created.",
    "priority": 0,
}


def _col(name: str, priority: int = 0, type_: str = "string") -> dict[str, Any]:
    return {"name": name, "type": type_, "format": "", "description": name, "priority": priority}


def age(obj: dict[str, Any]) -> str:
    ts = obj.get("metadata", {}).get("creationTimestamp")
    if not ts:
        return "<unknown>"
    created = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return human_duration((dt.datetime.now(dt.UTC) - created).total_seconds())


def _ports(svc: dict[str, Any]) -> str:
    out = []
    for p in (svc.get("spec") or {}).get("ports") or []:
        s = f"{p.get('port')}"
        if p.get("nodePort"):
            s += f":{p['nodePort']}"
        out.append(f"{s}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _ready(obj: dict[str, Any]) -> str:
    status = obj.get("status") or {}
    want = (obj.get("spec") or {}).get("replicas", 0)
    return f"{status.get('readyReplicas', 0)}/{want}"


def _pod_ready(pod: dict[str, Any]) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = sum(1 for c in (pod.get("status") or {}).get("containerStatuses") or [] if c.get("ready"))
    return f"{ready}/{len(containers)}"


def _node_status(node: dict[str, Any]) -> str:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return "Ready" if c.get("status") == "True" else "NotReady"
    return "Unknown"


def _roles(node: dict[str, Any]) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix) :] for k in (node["metadata"].get("labels") or {}) if k.startswith(prefix))
    return ",".join(roles) or "<none>"


# plural → (extra columns, cell function returning the cells after NAME)
_COLUMNS: dict[str, tuple[list[dict[str, Any]], Any]] = {
    "networkpolicies": (
        [_col("Pod-Selector")],
        lambda o: [
            format_selector(LabelSelector.model_validate((o.get("spec") or {}).get("podSelector") or {}))
        ],
    ),
    "pods": (
        [_col("Ready"), _col("Status"), _col("Restarts", type_="string"), _col("IP", 1), _col("Node", 1)],
        lambda o: [
            _pod_ready(o),
            (o.get("status") or {}).get("phase", "Pending"),
            "0",
            (o.get("status") or {}).get("podIP") or "<none>",
            (o.get("spec") or {}).get("nodeName") or "<none>",
        ],
    ),
    "deployments": (
        [_col("Ready"), _col("Up-to-date", type_="integer"), _col("Available", type_="integer")],
        lambda o: [
            _ready(o),
            (o.get("status") or {}).get("updatedReplicas", 0),
            (o.get("status") or {}).get("availableReplicas", 0),
        ],
    ),
    "services": (
        [_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)")],
        lambda o: [
            (o.get("spec") or {}).get("type", "ClusterIP"),
            (o.get("spec") or {}).get("clusterIP", ""),
            "<none>",
            _ports(o),
        ],
    ),
    "nodes": (
        [_col("Status"), _col("Roles"), _col("Version")],
        lambda o: [
            _node_status(o),
            _roles(o),
            ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""),
        ],
    ),
    "daemonsets": (
        [
            _col("Desired", type_="integer"),
            _col("Current", type_="integer"),
            _col("Ready", type_="integer"),
            _col("Up-to-date", type_="integer"),
            _col("Available", type_="integer"),
            _col("Node Selector"),
        ],
        lambda o: (
            [
                (o.get("status") or {}).get(k, 0)
                for k in (
                    "desiredNumberScheduled",
                    "currentNumberScheduled",
                    "numberReady",
                    "updatedNumberScheduled",
                    "numberAvailable",
                )
            ]
            + [
                ",".join(
                    f"{k}={v}"
                    for k, v in (((o.get("spec") or {}).get("template") or {}).get("spec") or {})
                    .get("nodeSelector", {})
                    .items()
                )
                or "<none>"
            ]
        ),
    ),
    "namespaces": ([_col("Status")], lambda o: [(o.get("status") or {}).get("phase", "Active")]),
}


def wants_table(accept: str) -> bool:
    return any(TABLE_MEDIA in part.replace(" ", "") and "g=meta.k8s.io" in part for part in accept.split(","))


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


# Where AGE goes among the extra columns, as kubectl's printers place it (default: last).
_AGE_AT = {"pods": 3, "nodes": 2}


def table(
    plural: str, items: list[dict[str, Any]], list_meta: dict[str, Any], include: str = "Metadata"
) -> dict[str, Any]:
    extra, cells = _COLUMNS.get(plural, ([], lambda o: []))
    at = _AGE_AT.get(plural, len(extra))
    columns = [_NAME_COL, *extra[:at], _AGE_COL, *extra[at:]]
    rows = []
    for obj in items:
        values = cells(obj)
        row: dict[str, Any] = {"cells": [obj["metadata"]["name"], *values[:at], age(obj), *values[at:]]}
        ro = _row_object(obj, include)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns,
        "rows": rows,
    }
