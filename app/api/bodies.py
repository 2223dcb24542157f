"""Reading NetworkPolicy request bodies: an object as JSON or YAML, or the form model.

``Content-Type: application/yaml`` (or ``text/yaml``, ``application/x-yaml``) is YAML; anything
else is JSON. A body that does not parse is 400; one that parses into something that is not a
NetworkPolicy is 422 with field paths: ``metadata.name`` for the object, ``form.ingress[0]...``
for the form model.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from app.errors import BadRequest, FieldError, Invalid
from app.policies.form import PolicyForm
from app.policies.model import NetworkPolicy
from app.policies.text import TextError, parse_policy_text
from app.policies.validation import QUALIFIED_KIND

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")

# ----- the OpenAPI description of a policy body -----
# The handlers read the raw body themselves (so that YAML and the form model are accepted too), so
# the schema is written here: upstream's networking.k8s.io/v1 NetworkPolicy (fields it does not
# name are kept, as the API server's objects keep them), or the form model, PolicyForm's own schema.

_STRINGS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
_SELECTOR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "matchLabels": _STRINGS,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_PEERS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "podSelector": _SELECTOR,
            "namespaceSelector": _SELECTOR,
            "ipBlock": {
                "type": "object",
                "required": ["cidr"],
                "properties": {"cidr": {"type": "string"}, "except": {"type": "array", "items": {"type": "string"}}},
            },
        },
    },
}
_PORTS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "protocol": {"type": "string", "enum": ["TCP", "UDP", "SCTP"]},
            "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "description": "a number or a name"},
            "endPort": {"type": "integer"},
        },
    },
}


def _rule(peers: str) -> dict[str, Any]:
    return {"type": "object", "properties": {peers: _PEERS, "ports": _PORTS}}


NETWORK_POLICY_SCHEMA: dict[str, Any] = {
    "title": "NetworkPolicy",
    "type": "object",
    "required": ["metadata", "spec"],
    "properties": {
        "apiVersion": {"type": "string", "enum": ["networking.k8s.io/v1"]},
        "kind": {"type": "string", "enum": ["NetworkPolicy"]},
        "metadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "generateName": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": _STRINGS,
                "annotations": _STRINGS,
                "resourceVersion": {"type": "string"},
            },
        },
        "spec": {
            "type": "object",
            "properties": {
                "podSelector": _SELECTOR,
                "policyTypes": {"type": "array", "items": {"type": "string", "enum": ["Ingress", "Egress"]}},
                "ingress": {"type": "array", "items": _rule("from")},
                "egress": {"type": "array", "items": _rule("to")},
            },
        },
    },
}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``$ref``s to ``$defs`` replaced by what they name (the form model has no
    cycles), so that it stands alone in the OpenAPI document."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


_FORM = PolicyForm.model_json_schema()
FORM_BODY_SCHEMA: dict[str, Any] = {
    "title": "PolicyFormBody",
    "type": "object",
    "required": ["form"],
    "additionalProperties": False,
    "properties": {"form": _inline(_FORM, _FORM.get("$defs", {}))},
}
POLICY_SCHEMA: dict[str, Any] = {"anyOf": [NETWORK_POLICY_SCHEMA, FORM_BODY_SCHEMA]}

POLICY_BODY_DOC: dict[str, Any] = {
    "required": True,
    "description": "A NetworkPolicy object (JSON, or YAML with `Content-Type: application/yaml`), or "
    'the form model as `{"form": {...}}`.',
    "content": {
        "application/json": {
            "schema": POLICY_SCHEMA,
            "examples": {
                "object": {
                    "value": {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": {"name": "web"},
                        "spec": {
                            "podSelector": {"matchLabels": {"app": "web"}},
                            "ingress": [{"ports": [{"port": 80}]}],
                        },
                    }
                },
                "form": {
                    "value": {
                        "form": {"name": "web", "podSelector": {"labels": [{"key": "app", "value": "web"}]}}
                    }
                },
            },
        },
        "application/yaml": {"schema": {"type": "string"}},
    },
}
# Validation takes several: one as above, a JSON array of objects, or a List (`items`).
POLICIES_BODY_DOC: dict[str, Any] = {
    **POLICY_BODY_DOC,
    "content": {
        "application/json": {
            **POLICY_BODY_DOC["content"]["application/json"],
            "schema": {
                "anyOf": [
                    NETWORK_POLICY_SCHEMA,
                    FORM_BODY_SCHEMA,
                    {"type": "array", "items": NETWORK_POLICY_SCHEMA},
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string", "enum": ["List"]},
                            "items": {"type": "array", "items": NETWORK_POLICY_SCHEMA},
                        },
                    },
                ]
            },
        },
        "application/yaml": {"schema": {"type": "string"}},
    },
}


def is_yaml(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() in YAML_TYPES


async def read_documents(request: Request, *, many: bool = False) -> list[Any]:
    """The decoded body: one document (a list of several YAML documents with ``many``)."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("the request has no body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    try:
        # the size was bounded as the body streamed in (app.limits: NETPOL_MAX_YAML_BYTES, ..._JSON_BYTES)
        docs = parse_policy_text(text, syntax="yaml" if is_yaml(request) else "json", max_bytes=None)
    except TextError as exc:
        if exc.reason == "text":
            raise Invalid(f"The body {exc}.", [FieldError(exc.field, "FieldValueInvalid", exc.problem)]) from None
        raise BadRequest(f"the body {exc}") from None
    if not docs:
        raise BadRequest("the body holds no document")
    if not many and len(docs) > 1:
        raise BadRequest("the YAML body holds several documents; send one")
    return docs


def _form_path(loc: tuple[Any, ...]) -> str:
    out = "form"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def policy_from_document(doc: Any) -> tuple[NetworkPolicy, bool]:
    """The NetworkPolicy a decoded body describes, and whether it came from the form model."""
    if isinstance(doc, dict) and "form" in doc and not ({"spec", "kind", "apiVersion"} & doc.keys()):
        if not isinstance(doc["form"], dict):
            raise Invalid(
                "the form must be an object",
                [FieldError("form", "FieldValueTypeInvalid", "expected an object")],
            )
        try:
            form = PolicyForm.model_validate(doc["form"])
        except ValidationError as exc:
            causes = [
                FieldError(_form_path(tuple(e["loc"])), "FieldValueTypeInvalid", e["msg"])
                for e in exc.errors()
            ]
            raise Invalid.for_object(QUALIFIED_KIND, str(doc["form"].get("name") or ""), causes) from None
        policy, errors = form.to_policy()
        if errors:
            causes = [FieldError(f"form.{e.field}", e.type, e.detail, e.value) for e in errors]
            raise Invalid.for_object(QUALIFIED_KIND, policy.name, causes)
        return policy, True
    return NetworkPolicy.from_document(doc), False


def place(policy: NetworkPolicy, namespace: str, name: str | None = None) -> NetworkPolicy:
    """Put the policy in the request's namespace (and name, for PUT); a body naming another is 400,
    as the API server answers."""
    meta = policy.metadata
    if meta.namespace and meta.namespace != namespace:
        raise BadRequest(
            f"the namespace of the provided object ({meta.namespace}) does not match the "
            f"namespace sent on the request ({namespace})"
        )
    meta.namespace = namespace
    if name is not None:
        if meta.name and meta.name != name:
            raise BadRequest(
                f"the name of the object ({meta.name}) does not match the name on the URL ({name})"
            )
        meta.name = name
    return policy
