"""The typed networking.k8s.io/v1 NetworkPolicy model, with the API server's defaulting.

Every class keeps fields it does not know (``extra="allow"``) and remembers which fields were
given, so ``NetworkPolicy.from_dict(d).to_dict() == d`` for any well-typed ``d``: metadata,
annotations and unknown fields survive a round trip through the console.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from app.errors import FieldError, Invalid

API_VERSION = "networking.k8s.io/v1"
KIND = "NetworkPolicy"
PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")


class LabelSelectorRequirement(_Model):
    key: str = ""
    operator: str = ""
    values: list[str] | None = None


class LabelSelector(_Model):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None

    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions


class IPBlock(_Model):
    cidr: str = ""
    except_: list[str] | None = Field(default=None, alias="except")


class NetworkPolicyPeer(_Model):
    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


class NetworkPolicyPort(_Model):
    # Strict: the API server refuses ``port: true`` or ``endPort: "90"`` rather than converting.
    protocol: StrictStr | None = None
    port: StrictInt | StrictStr | None = None
    end_port: StrictInt | None = None


class NetworkPolicyIngressRule(_Model):
    ports: list[NetworkPolicyPort] | None = None
    from_: list[NetworkPolicyPeer] | None = Field(default=None, alias="from")


class NetworkPolicyEgressRule(_Model):
    ports: list[NetworkPolicyPort] | None = None
    to: list[NetworkPolicyPeer] | None = None


class NetworkPolicySpec(_Model):
    pod_selector: LabelSelector = Field(default_factory=LabelSelector)
    ingress: list[NetworkPolicyIngressRule] | None = None
    egress: list[NetworkPolicyEgressRule] | None = None
    policy_types: list[str] | None = None


class ObjectMeta(_Model):
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    resource_version: str | None = None
    uid: str | None = None
    generation: StrictInt | None = None
    creation_timestamp: str | None = None
    # Set by the API server on DELETE; the object stays until ``finalizers`` is empty.
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: StrictInt | None = None
    finalizers: list[str] | None = None


class NetworkPolicy(_Model):
    api_version: str = API_VERSION
    kind: str = KIND
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: NetworkPolicySpec = Field(default_factory=NetworkPolicySpec)

    @classmethod
    def from_dict(cls, data: Any) -> NetworkPolicy:
        """Parse a decoded object; a wrongly typed field is ``Invalid`` at its field path."""
        if not isinstance(data, dict):
            raise Invalid(
                "NetworkPolicy must be an object",
                [FieldError("<root>", "FieldValueTypeInvalid", "expected an object", data)],
            )
        try:
            policy = cls.model_validate(data, by_alias=True, by_name=False)
        except ValidationError as exc:
            causes: dict[str, FieldError] = {}
            for err in exc.errors():
                path = _field_path(err["loc"])
                causes.setdefault(path, FieldError(path, "FieldValueTypeInvalid", err["msg"], err.get("input")))
            name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
            raise Invalid.for_object(f"{KIND}.networking.k8s.io", str(name or ""), list(causes.values())) from None
        strays = _python_names(policy, "")
        if strays:
            raise Invalid.for_object(f"{KIND}.networking.k8s.io", policy.name, strays)
        return policy

    @classmethod
    def from_document(cls, doc: Any, *, require_type: bool = False) -> NetworkPolicy:
        """A decoded manifest as a NetworkPolicy. ``kind`` and ``apiVersion`` must name
        NetworkPolicy in networking.k8s.io/v1 when present (always, with ``require_type``);
        otherwise ``Invalid`` at those fields."""
        causes = []
        if isinstance(doc, dict):
            for field, expected in (("kind", KIND), ("apiVersion", API_VERSION)):
                value = doc.get(field)
                if value != expected and (require_type or value is not None):
                    causes.append(FieldError(field, "FieldValueNotSupported", f'supported values: "{expected}"', value))
        if causes:
            meta = doc.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else ""
            raise Invalid.for_object(f"{KIND}.networking.k8s.io", str(name or ""), causes)
        return cls.from_dict(doc)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or ""

    def ref(self) -> str:
        return f"{self.namespace or 'default'}/{self.name}"


def _python_names(model: _Model, path: str) -> list[FieldError]:
    """Keys spelled as our Python attribute names (``pod_selector``, ``from_``) rather than the
    API's (``podSelector``, ``from``): unknown fields to the API server, refused here so they are
    never mistaken for the real ones."""
    fields = type(model).model_fields
    out = []
    for key in model.__pydantic_extra__ or {}:
        if key in fields and fields[key].alias not in (None, key):
            where = f"{path}.{key}" if path else key
            out.append(FieldError(where, "FieldValueInvalid", f'unknown field; the API calls it "{fields[key].alias}"'))
    for name, info in fields.items():
        value = getattr(model, name, None)
        where = f"{path}.{info.alias or name}" if path else (info.alias or name)
        if isinstance(value, _Model):
            out.extend(_python_names(value, where))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, _Model):
                    out.extend(_python_names(item, f"{where}[{i}]"))
    return out


def _field_path(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into an upstream field path (``spec.ingress[0].from``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("int", "str") or "[" in str(part):
            continue  # pydantic's union branch markers
        else:
            out += ("." if out else "") + str(part)
    return out


def effective_policy_types(spec: NetworkPolicySpec) -> list[str]:
    """policyTypes as the API server stores them: given ones, else Ingress (+ Egress with egress rules)."""
    if spec.policy_types:
        return list(spec.policy_types)
    types = ["Ingress"]
    if spec.egress:
        types.append("Egress")
    return types


def defaulted(policy: NetworkPolicy) -> NetworkPolicy:
    """``apply_defaults(policy)`` for a reader that changes nothing: ``policy`` itself when it
    holds every default already (a policy as the API server stores it), not a deep copy of it."""
    spec = policy.spec
    complete = (
        bool(spec.policy_types)
        and "pod_selector" in spec.model_fields_set
        and all(
            port.protocol is not None
            for rules in (spec.ingress or [], spec.egress or [])
            for rule in rules
            for port in rule.ports or []
        )
    )
    return policy if complete else apply_defaults(policy)


def apply_defaults(policy: NetworkPolicy) -> NetworkPolicy:
    """A copy with the API server's defaults (pkg/apis/networking/v1/defaults.go):
    each port's protocol is TCP when unset; policyTypes is [Ingress], plus Egress when
    egress rules are present, when unset or empty."""
    out = policy.model_copy(deep=True)
    for rules in (out.spec.ingress or [], out.spec.egress or []):
        for rule in rules:
            for port in rule.ports or []:
                if port.protocol is None:
                    port.protocol = "TCP"
    if not out.spec.policy_types:
        out.spec.policy_types = effective_policy_types(out.spec)
    if "pod_selector" not in out.spec.model_fields_set:
        out.spec.pod_selector = LabelSelector()
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """YAML the way kubectl prints it: keys in the object's order, block style."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
