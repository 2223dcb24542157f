"""The ``scale`` subresource (autoscaling/v1 Scale) of Deployments and StatefulSets.

``kubectl scale`` reads the workload, then PATCHes ``.../deployments/NAME/scale`` with a merge patch
``{"spec":{"replicas":N}}`` and decodes the answer as a Scale. The patch applies to the Scale
view; only ``spec.replicas`` flows back into the workload, as upstream's scale REST storage does.
"""

from __future__ import annotations

from typing import Any

from app.errors import FieldError
from app.policies.selectors import Requirement, format_requirements
from app.sandbox import patch as patches
from app.sandbox.controller import count
from app.sandbox.registry import Registry
from app.sandbox.resources import ResourceType
from app.sandbox.status import bad_request, conflict, invalid

Obj = dict[str, Any]
# How upstream names the Scale in an Invalid Status: ``Scale.autoscaling "web" is invalid: ...``.
SCALE = ResourceType("autoscaling", "v1", "scale", "scale", "Scale", True, has_status=False)


def _selector_text(selector: Any) -> str:
    if not isinstance(selector, dict):
        return ""
    reqs = [Requirement(k, "In", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        reqs.append(Requirement(expr.get("key", ""), expr.get("operator", ""), tuple(expr.get("values") or ())))
    return format_requirements(tuple(reqs))


def to_scale(obj: Obj) -> Obj:
    """The Scale view of a workload."""
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": count(spec, "replicas")},
        "status": {"replicas": int(status.get("replicas") or 0), "selector": _selector_text(spec.get("selector"))},
    }


def get(registry: Registry, rt: ResourceType, namespace: str, name: str) -> Obj:
    return to_scale(registry.get(rt, namespace, name))


def update(registry: Registry, rt: ResourceType, namespace: str, name: str, body: Any, *, dry_run: bool = False) -> Obj:
    """PUT a Scale: its ``spec.replicas`` becomes the workload's; a stale resourceVersion is 409."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    current = registry.get(rt, namespace, name)
    rv = (body.get("metadata") or {}).get("resourceVersion")
    if rv and rv != current["metadata"]["resourceVersion"]:
        raise conflict(rt, name)
    replicas = (body.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        error = FieldError("spec.replicas", "FieldValueInvalid", "must be greater than or equal to 0", replicas)
        raise invalid(SCALE, name, [error])
    new = {**current, "spec": {**(current.get("spec") or {}), "replicas": replicas}}
    obj, _ = registry.update(rt, namespace, name, new, dry_run=dry_run)
    return to_scale(obj)


def patch(
    registry: Registry,
    rt: ResourceType,
    namespace: str,
    name: str,
    content_type: str,
    body: Any,
    *,
    dry_run: bool = False,
) -> Obj:
    """PATCH a Scale (merge, strategic merge or JSON patch), then write it as ``update`` does."""
    scale = get(registry, rt, namespace, name)
    new = patches.apply(content_type, scale, body)
    return update(registry, rt, namespace, name, new, dry_run=dry_run)
