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

# The OpenAPI description of a policy body (the handlers read the raw body themselves, so that
# YAML and the form model are accepted too).
POLICY_BODY_DOC: dict[str, Any] = {
    "required": True,
    "description": "A NetworkPolicy object (JSON, or YAML with `Content-Type: application/yaml`), or "
    'the form model as `{"form": {...}}`.',
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
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
        docs = parse_policy_text(text, syntax="yaml" if is_yaml(request) else "json")
    except TextError as exc:
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
