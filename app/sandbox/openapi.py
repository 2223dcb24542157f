"""The OpenAPI v3 documents the sandbox serves, so ``kubectl create/apply -f`` work with validation on.

kubectl (1.27 and later) first reads ``/openapi/v3``: a discovery document naming one document
per group version (``{"paths": {"apis/networking.k8s.io/v1": {"serverRelativeURL": ...}}}``),
whose URL carries a hash of its content. From the group version's document it learns:

- whether the PATCH operation tagged with the kind's ``x-kubernetes-group-version-kind`` declares
  the ``fieldValidation`` query parameter. If so, kubectl validates no schema itself and sends
  ``?fieldValidation=Strict``, leaving validation to the server (staging/src/k8s.io/cli-runtime/
  pkg/resource/query_param_verifier_v3.go). Otherwise it falls back to ``/openapi/v2`` in protobuf,
  which the sandbox does not serve.
- whether that PATCH accepts ``application/strategic-merge-patch+json``; if so ``kubectl apply``
  computes its three-way strategic merge patch from ``components.schemas`` (the schema whose
  ``x-kubernetes-group-version-kind`` names the kind, then ``$ref`` by ``#/components/schemas/``,
  and ``x-kubernetes-patch-merge-key`` / ``x-kubernetes-patch-strategy`` on lists). Kinds whose
  schema here is only a sketch do not advertise it, and kubectl falls back to its compiled-in
  types, which it has for every kind the sandbox serves.

The schemas are written here from upstream's api/openapi-spec (kubernetes/kubernetes), kept to
the kinds the sandbox serves and their main fields; ``spec`` and ``status`` of the workload kinds
preserve unknown fields.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.sandbox.resources import RESOURCES, SERVER_VERSION, ResourceType
from app.sandbox.status import path_not_found

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
NET = "io.k8s.api.networking.v1."
CORE = "io.k8s.api.core.v1."

PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
# Kinds whose schema below is complete enough for kubectl to compute strategic merge patches.
DETAILED = {"NetworkPolicy", "Namespace", "ConfigMap"}

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], required: list[str] | None = None, extensions: Schema | None = None) -> Schema:
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    out.update(extensions or {})
    return out


def _array(items: Schema, list_type: str = "atomic", **extra: Any) -> Schema:
    return {"type": "array", "items": items, "x-kubernetes-list-type": list_type, **extra}


STRING: Schema = {"type": "string"}
INT32: Schema = {"type": "integer", "format": "int32"}
INT64: Schema = {"type": "integer", "format": "int64"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
STRING_MAP: Schema = {"type": "object", "additionalProperties": STRING}
INT_OR_STRING: Schema = {"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True}
OPEN: Schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _meta_schemas() -> dict[str, Schema]:
    return {
        META + "ObjectMeta": _obj(
            {
                "name": STRING,
                "generateName": STRING,
                "namespace": STRING,
                "uid": STRING,
                "resourceVersion": STRING,
                "generation": INT64,
                "creationTimestamp": TIME,
                "deletionTimestamp": TIME,
                "deletionGracePeriodSeconds": INT64,
                "labels": STRING_MAP,
                "annotations": STRING_MAP,
                "ownerReferences": _array(
                    _ref(META + "OwnerReference"),
                    "map",
                    **{
                        "x-kubernetes-list-map-keys": ["uid"],
                        "x-kubernetes-patch-merge-key": "uid",
                        "x-kubernetes-patch-strategy": "merge",
                    },
                ),
                "finalizers": _array(STRING, "set", **{"x-kubernetes-patch-strategy": "merge"}),
                "managedFields": _array({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
                "selfLink": STRING,
            }
        ),
        META + "OwnerReference": _obj(
            {
                "apiVersion": STRING,
                "kind": STRING,
                "name": STRING,
                "uid": STRING,
                "controller": BOOL,
                "blockOwnerDeletion": BOOL,
            },
            ["apiVersion", "kind", "name", "uid"],
            extensions={"x-kubernetes-map-type": "atomic"},
        ),
        META + "ListMeta": _obj(
            {"resourceVersion": STRING, "continue": STRING, "remainingItemCount": INT64, "selfLink": STRING}
        ),
        META + "LabelSelector": _obj(
            {
                "matchLabels": STRING_MAP,
                "matchExpressions": _array(_ref(META + "LabelSelectorRequirement")),
            },
            extensions={"x-kubernetes-map-type": "atomic"},
        ),
        META + "LabelSelectorRequirement": _obj(
            {"key": STRING, "operator": STRING, "values": _array(STRING)}, ["key", "operator"]
        ),
        META + "Status": _obj(
            {
                "apiVersion": STRING,
                "kind": STRING,
                "metadata": _ref(META + "ListMeta"),
                "status": STRING,
                "message": STRING,
                "reason": STRING,
                "details": OPEN,
                "code": INT32,
            }
        ),
        META + "Patch": {"type": "object", "description": "A patch in one of the accepted patch types."},
        META + "DeleteOptions": OPEN,
    }


def _networking_schemas() -> dict[str, Schema]:
    ports = _array(_ref(NET + "NetworkPolicyPort"))
    peers = _array(_ref(NET + "NetworkPolicyPeer"))
    return {
        NET + "NetworkPolicySpec": _obj(
            {
                "podSelector": _ref(META + "LabelSelector"),
                "ingress": _array(_ref(NET + "NetworkPolicyIngressRule")),
                "egress": _array(_ref(NET + "NetworkPolicyEgressRule")),
                "policyTypes": _array(STRING),
            }
        ),
        NET + "NetworkPolicyIngressRule": _obj({"ports": ports, "from": peers}),
        NET + "NetworkPolicyEgressRule": _obj({"ports": ports, "to": peers}),
        NET + "NetworkPolicyPeer": _obj(
            {
                "podSelector": _ref(META + "LabelSelector"),
                "namespaceSelector": _ref(META + "LabelSelector"),
                "ipBlock": _ref(NET + "IPBlock"),
            }
        ),
        NET + "IPBlock": _obj({"cidr": STRING, "except": _array(STRING)}, ["cidr"]),
        NET + "NetworkPolicyPort": _obj({"protocol": STRING, "port": INT_OR_STRING, "endPort": INT32}),
    }


def _core_schemas() -> dict[str, Schema]:
    return {
        CORE + "NamespaceSpec": _obj({"finalizers": _array(STRING)}),
        CORE + "NamespaceStatus": _obj(
            {
                "phase": STRING,
                "conditions": _array(
                    OPEN,
                    "map",
                    **{
                        "x-kubernetes-list-map-keys": ["type"],
                        "x-kubernetes-patch-merge-key": "type",
                        "x-kubernetes-patch-strategy": "merge",
                    },
                ),
            }
        ),
    }


def schema_name(rt: ResourceType) -> str:
    """``io.k8s.api.networking.v1.NetworkPolicy``: upstream's name for the kind's schema."""
    group = {"": "core", "networking.k8s.io": "networking"}.get(rt.group, rt.group)
    return f"io.k8s.api.{group}.{rt.version}.{rt.kind}"


def _gvk(rt: ResourceType) -> dict[str, str]:
    return {"group": rt.group, "kind": rt.kind, "version": rt.version}


def _kind_schemas(rt: ResourceType) -> dict[str, Schema]:
    """The kind's schema and its list's, each tagged with its group, version and kind."""
    name = schema_name(rt)
    prefix = name.rsplit(".", 1)[0] + "."
    props: dict[str, Schema] = {"apiVersion": STRING, "kind": STRING, "metadata": _ref(META + "ObjectMeta")}
    if rt.kind == "NetworkPolicy":
        props["spec"] = _ref(NET + "NetworkPolicySpec")
    elif rt.kind == "Namespace":
        props["spec"] = _ref(CORE + "NamespaceSpec")
        props["status"] = _ref(CORE + "NamespaceStatus")
    elif rt.kind == "ConfigMap":
        props.update(
            data=STRING_MAP,
            binaryData={"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
            immutable=BOOL,
        )
    else:
        props.update(spec=OPEN, status=OPEN)
    list_gvk = {**_gvk(rt), "kind": rt.kind + "List"}
    return {
        name: _obj(props, extensions={"x-kubernetes-group-version-kind": [_gvk(rt)]}),
        prefix + rt.kind + "List": _obj(
            {
                "apiVersion": STRING,
                "kind": STRING,
                "metadata": _ref(META + "ListMeta"),
                "items": {"type": "array", "items": _ref(name)},
            },
            ["items"],
            extensions={"x-kubernetes-group-version-kind": [list_gvk]},
        ),
    }


def _param(name: str, where: str = "query", required: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": where, "schema": {"type": "string", "uniqueItems": True}}
    if required:
        out["required"] = True
    return out


def _json_content(schema: Schema) -> dict[str, Any]:
    return {t: {"schema": schema} for t in ("application/json", "application/yaml")}


def _operation(rt: ResourceType, verb: str, action: str, body: Schema, query: list[str]) -> dict[str, Any]:
    ok = {"description": "OK", "content": _json_content(body)}
    return {
        "operationId": f"{verb}{rt.kind}",
        "parameters": [_param(q) for q in query],
        "responses": {"200": ok, "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(rt),
    }


def _paths(rt: ResourceType) -> dict[str, Any]:
    base = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
    kind_ref, list_ref = _ref(schema_name(rt)), _ref(schema_name(rt) + "List")
    writes = ["dryRun", "fieldManager", "fieldValidation"]
    reads = ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"]
    scope = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
    scope_params = [_param("namespace", "path", True)] if rt.namespaced else []

    create = _operation(rt, "create", "post", kind_ref, writes)
    create["requestBody"] = {"content": _json_content(kind_ref), "required": True}
    replace = _operation(rt, "replace", "put", kind_ref, writes)
    replace["requestBody"] = {"content": _json_content(kind_ref), "required": True}
    patch = _operation(rt, "patch", "patch", kind_ref, [*writes, "force"])
    types = [t for t in PATCH_TYPES if rt.kind in DETAILED or "strategic" not in t]
    patch["requestBody"] = {"content": {t: {"schema": _ref(META + "Patch")} for t in types}, "required": True}
    paths: dict[str, Any] = {
        scope: {
            "get": _operation(rt, "list", "list", list_ref, reads),
            "post": create,
            "parameters": scope_params,
        },
        f"{scope}/{{name}}": {
            "get": _operation(rt, "read", "get", kind_ref, []),
            "put": replace,
            "patch": patch,
            "delete": _operation(rt, "delete", "delete", _ref(META + "Status"), ["dryRun"]),
            "parameters": [_param("name", "path", True), *scope_params],
        },
    }
    if rt.namespaced:
        paths[f"{base}/{rt.plural}"] = {"get": _operation(rt, "listAll", "list", list_ref, reads)}
    return paths


def _group_version_path(rt: ResourceType) -> str:
    return f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"


@cache
def group_version_documents() -> dict[str, bytes]:
    """``"apis/networking.k8s.io/v1"`` → that group version's OpenAPI v3 document, as JSON bytes."""
    out: dict[str, bytes] = {}
    for gv in dict.fromkeys(_group_version_path(rt) for rt in RESOURCES):
        served = [rt for rt in RESOURCES if _group_version_path(rt) == gv]
        schemas = _meta_schemas()
        paths: dict[str, Any] = {}
        for rt in served:
            schemas.update(_kind_schemas(rt))
            paths.update(_paths(rt))
        if any(rt.group == "networking.k8s.io" for rt in served):
            schemas.update(_networking_schemas())
        if any(rt.kind == "Namespace" for rt in served):
            schemas.update(_core_schemas())
        doc = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
            "paths": paths,
            "components": {"schemas": schemas},
        }
        out[gv] = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return out


def content_hash(document: bytes) -> str:
    return hashlib.sha512(document).hexdigest()[:128].upper()


@cache
def discovery_document() -> bytes:
    """``/openapi/v3``: each group version's document, by a URL that changes with its content."""
    paths = {
        gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={content_hash(doc)}"}
        for gv, doc in group_version_documents().items()
    }
    return json.dumps({"paths": paths}, separators=(",", ":")).encode()


async def serve_discovery(request: Request) -> Response:
    return Response(discovery_document(), media_type="application/json")


async def serve_group_version(request: Request) -> Response:
    """One group version's document; a request naming the current hash may cache it for good."""
    doc = group_version_documents().get(request.path_params["gv"].strip("/"))
    if doc is None:
        raise path_not_found()
    etag = f'"{content_hash(doc)}"'
    if request.query_params.get("hash") == content_hash(doc):
        cache_control = "public, immutable, max-age=31536000"
    else:
        cache_control = "no-cache, private"
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(doc, media_type="application/json", headers=headers)
