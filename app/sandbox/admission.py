"""Per-kind defaulting and validation, as the API server's strategies do before storing.

NetworkPolicies go through the one validator (``app.policies.validation``); other kinds get the
object-meta checks and the few defaults clients rely on.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.errors import FieldError, Invalid
from app.policies import names
from app.policies.model import NetworkPolicy, ObjectMeta, apply_defaults
from app.policies.selectors import namespace_labels
from app.sandbox.resources import ResourceType
from app.sandbox.status import invalid


def validate_meta(rt: ResourceType, obj: dict[str, Any]) -> list[FieldError]:
    """ObjectMeta on create, with the policy core's name and label rules (the one implementation)."""
    try:
        meta = ObjectMeta.model_validate(obj.get("metadata") or {})
    except ValidationError:
        return [FieldError("metadata", "FieldValueInvalid", "must be an object with string fields")]
    name_fn = (
        names.name_is_dns_label if rt.plural in ("namespaces", "services") else names.name_is_dns_subdomain
    )
    return names.validate_object_meta(meta, requires_namespace=rt.namespaced, name_fn=name_fn)


def omit_empty(policy: dict[str, Any]) -> dict[str, Any]:
    """Drop what Go's ``omitempty`` drops when the API server prints a NetworkPolicy: empty lists
    and maps and nulls, but never ``podSelector`` (a struct) nor an empty selector pointer
    (``namespaceSelector: {}`` means every namespace)."""

    def clean(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                v = clean(v, k)
                if v is None or (isinstance(v, list) and not v):
                    continue
                if isinstance(v, dict) and not v and k in ("matchLabels", "labels", "annotations"):
                    continue
                out[k] = v
            return out
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = clean(policy)
    out.setdefault("spec", {}).setdefault("podSelector", {})
    return out


def _network_policy(
    obj: dict[str, Any], old: dict[str, Any] | None, rt: ResourceType
) -> tuple[dict[str, Any], list[str]]:
    from app.policies import validation  # the one validator, shared with the form, API and CLI

    name = obj["metadata"].get("name", "")
    try:
        policy = apply_defaults(NetworkPolicy.from_dict(obj))
    except Invalid as exc:
        raise invalid(rt, name, exc.causes) from None
    if old is None:
        result = validation.validate_network_policy(policy)
    else:
        result = validation.validate_network_policy_update(
            policy, apply_defaults(NetworkPolicy.from_dict(old))
        )
    if result.errors:
        raise invalid(rt, name, list(result.errors))
    return omit_empty(policy.to_dict()), list(result.warnings)


def _service(obj: dict[str, Any], old: dict[str, Any] | None, alloc_ip: Any) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    if old is not None and not spec.get("clusterIP"):
        spec["clusterIP"] = (old.get("spec") or {}).get("clusterIP")
    if not spec.get("clusterIP"):
        spec["clusterIP"] = alloc_ip()
    if spec["clusterIP"] != "None":
        spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    obj.setdefault("status", {"loadBalancer": {}})


def default_pod_spec(spec: Any) -> None:
    """Upstream's SetDefaults_ContainerPort: a container port's protocol is TCP when unset."""
    if not isinstance(spec, dict):
        return
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            for port in (container.get("ports") or []) if isinstance(container, dict) else []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def _pod_template_spec(rt: ResourceType, obj: dict[str, Any]) -> Any:
    spec = obj.get("spec") or {}
    if rt.plural == "cronjobs":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec")


def _count_errors(spec: dict[str, Any], key: str) -> list[FieldError]:
    """``spec.<key>`` must be a non-negative integer when set (JSON's 2.0 counts as 2)."""
    value = spec.get(key)
    if value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        value = spec[key] = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return [FieldError(f"spec.{key}", "FieldValueInvalid", "must be an integer", value)]
    if value < 0:
        return [FieldError(f"spec.{key}", "FieldValueInvalid", "must be greater than or equal to 0", value)]
    return []


def _workload(rt: ResourceType, obj: dict[str, Any]) -> list[FieldError]:
    if obj.get("spec") is None:
        obj["spec"] = {}
    spec = obj["spec"]
    if not isinstance(spec, dict):
        return [FieldError("spec", "FieldValueInvalid", "must be an object", spec)]
    if rt.plural == "cronjobs":
        spec.setdefault("suspend", False)
        spec.setdefault("concurrencyPolicy", "Allow")
        errors = []
        if not spec.get("schedule"):
            errors.append(FieldError("spec.schedule", "FieldValueRequired"))
        return errors
    errors = []
    # Upstream's defaulting: an absent or null count is 1 (a Job's completions stays unset).
    counts: tuple[str, ...] = ("replicas",) if rt.plural in ("deployments", "statefulsets") else ()
    if rt.plural == "jobs":
        counts = ("parallelism", "completions")
    for key in counts:
        if spec.get(key) is None and key != "completions":
            spec[key] = 1
        errors += _count_errors(spec, key)
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = spec.get("selector")
    if rt.plural == "jobs":
        return errors
    if not selector:
        errors.append(FieldError("spec.selector", "FieldValueRequired"))
    else:
        from app.policies.model import LabelSelector
        from app.policies.selectors import selector_matches

        if not selector_matches(LabelSelector.model_validate(selector), labels):
            errors.append(
                FieldError(
                    "spec.template.metadata.labels",
                    "FieldValueInvalid",
                    "`selector` does not match template `labels`",
                    labels,
                )
            )
    if not (template.get("spec") or {}).get("containers"):
        errors.append(FieldError("spec.template.spec.containers", "FieldValueRequired"))
    return errors


def admit(
    rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None, *, alloc_service_ip: Any
) -> tuple[dict[str, Any], list[str]]:
    """Default and validate ``obj`` (a fresh copy the caller owns); raises a 422 ``StatusError``."""
    meta = obj["metadata"]
    name = meta.get("name", "")
    if rt.plural == "networkpolicies":
        return _network_policy(obj, old, rt)
    errors = validate_meta(rt, obj) if old is None else []
    if errors:
        raise invalid(rt, name, errors)
    if rt.plural == "namespaces":
        meta["labels"] = namespace_labels(name, meta.get("labels"))
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = (old or {}).get("status") or {"phase": "Active"}
    elif rt.plural == "services":
        _service(obj, old, alloc_service_ip)
    elif rt.plural in ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs"):
        default_pod_spec(_pod_template_spec(rt, obj))
        errors = _workload(rt, obj)
    elif rt.plural == "pods":
        default_pod_spec(obj.get("spec"))
        if not (obj.get("spec") or {}).get("containers"):
            errors = [FieldError("spec.containers", "FieldValueRequired")]
    if errors:
        raise invalid(rt, name, errors)
    return obj, []
