"""The form the Network Policies page edits (``PolicyForm``) and its lossless translation both ways.

The form mirrors ACK's Create panel: a name, a namespace, a pod selector, and a Source (ingress)
and a Destination (egress) section, each on or off, each a list of rules. A rule holds peers
(``kind`` one of ``pod``, ``namespace``, ``podAndNamespace``, ``ipBlock``) and port rows.

Translation contract:

* ``policy_to_form(policy).to_policy()[0].to_dict() == policy.to_dict()`` for every valid
  NetworkPolicy. What the form does not show is carried opaquely: ``metadata`` (everything but
  name and namespace: labels, annotations, resourceVersion, unknown keys), ``extra`` (top-level
  keys other than metadata and spec: apiVersion, kind, status, unknown keys), ``specExtra`` and
  the ``extra`` of each element (unknown keys at that level), ``policyTypes`` (the policy's own
  list, kept while the sections still agree with it), and ``keep`` lists naming keys that were
  present although empty (``ingress: []``, ``from: []``, ``ports: []``, ``matchLabels: {}``,
  ``except: []``, ``values: []``, ``spec``/``podSelector`` themselves).
* Peers map one to one onto the object's peers, except that an ipBlock peer whose ``cidr`` holds
  several CIDRs (separated by commas or white space) becomes several ipBlock peers, each taking
  the except entries it contains. ``PolicyForm.form_field_for(path)`` follows that layout.
* Source on with no rules denies all ingress; Destination on with no rules denies all egress;
  a section that is off leaves its direction unrestricted. ``policyTypes`` is written only when
  the sections differ from what the API server would default to (or the policy had its own).
* A policy the form cannot hold raises ``FormUnsupported`` naming why (only invalid shapes do:
  explicit nulls, a peer with no selector, ipBlock together with a selector, a port given as a
  numeric string, an unknown policy type); the page then opens it in YAML.

JSON form (REST API ``{"form": {...}}``): ``PolicyForm.model_validate(data)`` and
``PolicyForm.model_dump()`` use the camelCase names below (``podSelector``, ``endPort``,
``except``, ``specExtra``); snake_case names are accepted on input. Unknown keys are refused.
Port and endPort are text as typed (numbers are accepted and kept as their text).

HTML form posts: ``PolicyForm.from_form_data`` / ``to_form_data`` (see app/policies/form_data.py
for the field-name scheme).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from pydantic.alias_generators import to_camel

from app.errors import FieldError, Invalid
from app.policies.form_describe import describe, summarize_direction
from app.policies.model import API_VERSION, KIND, NetworkPolicy
from app.policies.text import parse_port

__all__ = [
    "PEER_KINDS",
    "DirectionForm",
    "ExpressionRow",
    "FormUnsupported",
    "LabelRow",
    "PeerForm",
    "PolicyForm",
    "PortForm",
    "RuleForm",
    "SelectorForm",
    "describe",
    "form_field_for",
    "policy_to_form",
    "summarize_direction",
]

PEER_KINDS = ("pod", "namespace", "podAndNamespace", "ipBlock")
DIRECTIONS = (("ingress", "Ingress", "from"), ("egress", "Egress", "to"))

_CIDR_SEP = re.compile(r"[\s,;]+")

_SELECTOR_KEYS = {"matchLabels", "matchExpressions"}
_EXPRESSION_KEYS = {"key", "operator", "values"}
_PEER_KEYS = {"podSelector", "namespaceSelector", "ipBlock"}
_IPBLOCK_KEYS = {"cidr", "except"}
_PORT_KEYS = {"protocol", "port", "endPort"}
_RULE_KEYS = {"ports", "from", "to"}
_SPEC_KEYS = {"podSelector", "ingress", "egress", "policyTypes"}
_TOP_KEYS = {"metadata", "spec"}


class FormUnsupported(ValueError):
    """The policy cannot be shown in the form without loss; ``reason`` says why (open it in YAML)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # JSON names by default
        kwargs.setdefault("by_alias", True)
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("by_alias", True)
        return super().model_dump_json(**kwargs)


class LabelRow(_Form):
    key: str = ""
    value: str = ""


class ExpressionRow(_Form):
    key: str = ""
    operator: str = "In"
    values: list[str] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)  # "values": write values: [] when empty
    extra: dict[str, Any] = Field(default_factory=dict)


class SelectorForm(_Form):
    """A label selector as rows; no rows means "every pod" / "all namespaces"."""

    labels: list[LabelRow] = Field(default_factory=list)
    expressions: list[ExpressionRow] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)  # "matchLabels", "matchExpressions"
    extra: dict[str, Any] = Field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.labels and not self.expressions


class PeerForm(_Form):
    """One peer: pods (same namespace), namespaces, pods in namespaces, or an IP block."""

    kind: str = "pod"
    pod_selector: SelectorForm = Field(default_factory=SelectorForm)
    namespace_selector: SelectorForm = Field(default_factory=SelectorForm)
    cidr: str = ""
    except_: list[str] = Field(default_factory=list, alias="except")
    keep: list[str] = Field(default_factory=list)  # "except"
    extra: dict[str, Any] = Field(default_factory=dict)
    ip_block_extra: dict[str, Any] = Field(default_factory=dict)


class PortForm(_Form):
    """A port row; ``protocol`` "" means omitted (the API server defaults it to TCP)."""

    protocol: str = "TCP"
    port: str = ""  # a number, a named port, or "" for all ports
    end_port: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("port", "end_port", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return "" if value is None else value


class RuleForm(_Form):
    """A rule; no peers means any peer, no ports means every port."""

    peers: list[PeerForm] = Field(default_factory=list)
    ports: list[PortForm] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)  # "peers", "ports"
    extra: dict[str, Any] = Field(default_factory=dict)


class DirectionForm(_Form):
    """The Source (ingress) or Destination (egress) section."""

    enabled: bool = False
    rules: list[RuleForm] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)  # "rules": write ingress: [] when empty


def _default_extra() -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND}


class PolicyForm(_Form):
    name: str = ""
    namespace: str = ""
    pod_selector: SelectorForm = Field(default_factory=SelectorForm)
    ingress: DirectionForm = Field(default_factory=lambda: DirectionForm(enabled=True))
    egress: DirectionForm = Field(default_factory=DirectionForm)
    policy_types: list[str] | None = None
    keep: list[str] = Field(default_factory=lambda: ["spec", "podSelector"])
    metadata: dict[str, Any] | None = None
    spec_extra: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=_default_extra)

    _input_errors: list[FieldError] = PrivateAttr(default_factory=list)

    # ----- translation to the object -----

    def to_dict(self) -> tuple[dict[str, Any], list[FieldError]]:
        """The NetworkPolicy as a JSON dict, and errors for input that cannot be converted.
        Errors name form fields (``ingress[0].ports[1].endPort``)."""
        errors: list[FieldError] = list(self._input_errors)
        obj: dict[str, Any] = _known_dropped(self.extra, _TOP_KEYS)
        metadata: dict[str, Any] = {}
        if self.name:
            metadata["name"] = self.name
        if self.namespace:
            metadata["namespace"] = self.namespace
        for key, value in (self.metadata or {}).items():
            if key not in metadata:
                metadata[key] = value
        if metadata or self.metadata is not None:
            obj["metadata"] = metadata

        spec: dict[str, Any] = _known_dropped(self.spec_extra, _SPEC_KEYS)
        selector = _selector_dict(self.pod_selector, "podSelector", errors)
        if selector or "podSelector" in self.keep:
            spec["podSelector"] = selector
        for attr, _, peers_key in DIRECTIONS:
            section: DirectionForm = getattr(self, attr)
            rules = [
                _rule_dict(rule, peers_key, f"{attr}[{i}]", errors) for i, rule in enumerate(section.rules)
            ]
            if rules or "rules" in section.keep:
                spec[attr] = rules
        policy_types = self._policy_types(bool(spec.get("egress")), errors)
        if policy_types is not None:
            spec["policyTypes"] = policy_types
        if spec or "spec" in self.keep:
            obj["spec"] = spec
        return obj, errors

    def to_policy(self) -> tuple[NetworkPolicy, list[FieldError]]:
        """The NetworkPolicy this form describes, and conversion errors at form field names.

        Only input that cannot become the object is reported here (an end port that is not a
        number, an unknown peer kind, both sections off, broken opaque JSON); everything else is
        passed through for ``validate_network_policy`` to judge at its object path (map those
        paths back with ``form_field_for``)."""
        obj, errors = self.to_dict()
        try:
            return NetworkPolicy.from_dict(obj), errors
        except Invalid as exc:
            # Only the opaque metadata and top-level extras can be wrongly typed here.
            for cause in exc.causes:
                field = "metadata" if cause.field.startswith("metadata") else "extra"
                errors.append(FieldError(field, cause.type, cause.detail, cause.value))
            fallback: dict[str, Any] = {k: v for k, v in obj.items() if k == "spec"}
            names = (("name", self.name), ("namespace", self.namespace))
            fallback["metadata"] = {k: v for k, v in names if v}
            fallback.update({k: v for k, v in _default_extra().items() if k in obj})
            return NetworkPolicy.from_dict(fallback), errors

    def _policy_types(self, has_egress_rules: bool, errors: list[FieldError]) -> list[str] | None:
        enabled = [kind for attr, kind, _ in DIRECTIONS if getattr(self, attr).enabled]
        if not enabled:
            errors.append(
                FieldError(
                    "ingress.enabled",
                    "FieldValueRequired",
                    "turn on Source or Destination: a policy restricts at least one direction",
                )
            )
            return self.policy_types
        original = self.policy_types
        if original:  # the policy's own list stays while it names the same directions
            return list(original) if set(original) == set(enabled) else enabled
        implied = {"Ingress", "Egress"} if has_egress_rules else {"Ingress"}
        return original if set(enabled) == implied else enabled

    # ----- HTML form posts and error mapping -----

    @classmethod
    def from_form_data(cls, items: list[tuple[str, str]]) -> PolicyForm:
        """Parse an HTML form post; never raises (broken input is reported by ``to_policy``)."""
        from app.policies.form_data import form_from_items

        return form_from_items(items)

    def to_form_data(self) -> list[tuple[str, str]]:
        """Flat ``(name, value)`` pairs; ``from_form_data`` of them gives this form back."""
        from app.policies.form_data import form_to_items

        return form_to_items(self)

    def form_field_for(self, path: str, value: Any = None) -> str:
        """The form field showing an object field path (``spec.ingress[0].from[1].ipBlock.cidr``
        → ``ingress[0].peers[1].cidr``), following this form's peer layout. ``value`` (the
        error's value) picks the label row for errors at ``matchLabels``. Form field names and
        unknown paths come back unchanged."""
        from app.policies.form_data import map_field

        return map_field(path, self, value)

    def add_input_error(self, error: FieldError) -> None:
        self._input_errors.append(error)


def form_field_for(path: str, form: PolicyForm | None = None, value: Any = None) -> str:
    """Module-level ``PolicyForm.form_field_for``; without a form, peers map one to one."""
    from app.policies.form_data import map_field

    return map_field(path, form, value)


# ----- form → dict helpers -----


def _known_dropped(extra: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Opaque extras never override what the form says."""
    return {k: v for k, v in extra.items() if k not in known}


def _selector_dict(sel: SelectorForm, prefix: str, errors: list[FieldError]) -> dict[str, Any]:
    out = _known_dropped(sel.extra, _SELECTOR_KEYS)
    labels: dict[str, str] = {}
    for i, row in enumerate(sel.labels):
        if row.key in labels:
            errors.append(
                FieldError(
                    f"{prefix}.labels[{i}].key", "FieldValueDuplicate", "label key given twice", row.key
                )
            )
        labels[row.key] = row.value
    if labels or "matchLabels" in sel.keep:
        out["matchLabels"] = labels
    expressions = []
    for erow in sel.expressions:
        expr = _known_dropped(erow.extra, _EXPRESSION_KEYS)
        expr["key"] = erow.key
        expr["operator"] = erow.operator
        if erow.values or "values" in erow.keep:
            expr["values"] = list(erow.values)
        expressions.append(expr)
    if expressions or "matchExpressions" in sel.keep:
        out["matchExpressions"] = expressions
    return out


def split_cidrs(peer: PeerForm) -> list[tuple[str, list[tuple[int, str]]]]:
    """The ipBlocks one ipBlock peer row becomes: ``(cidr, [(except row index, except), ...])``.

    One CIDR keeps every except entry; with several, each except entry goes to the first CIDR
    containing it (to the first CIDR when none does, so validation reports it there)."""
    cidrs = [c for c in _CIDR_SEP.split(peer.cidr.strip()) if c] or [peer.cidr.strip()]
    excepts = list(enumerate(peer.except_))
    if len(cidrs) == 1:
        return [(cidrs[0], excepts)]
    buckets: list[list[tuple[int, str]]] = [[] for _ in cidrs]
    nets = [_network(c) for c in cidrs]
    for idx, text in excepts:
        sub = _network(text)
        home = 0
        for n, net in enumerate(nets):
            if sub is not None and net is not None and sub.version == net.version and sub.subnet_of(net):  # type: ignore[arg-type]
                home = n
                break
        buckets[home].append((idx, text))
    return list(zip(cidrs, buckets, strict=True))


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _peer_dicts(peer: PeerForm, prefix: str, errors: list[FieldError]) -> list[dict[str, Any]]:
    base = _known_dropped(peer.extra, _PEER_KEYS)
    kind = peer.kind
    if kind in ("pod", "podAndNamespace"):
        base["podSelector"] = _selector_dict(peer.pod_selector, f"{prefix}.podSelector", errors)
    if kind in ("namespace", "podAndNamespace"):
        base["namespaceSelector"] = _selector_dict(
            peer.namespace_selector, f"{prefix}.namespaceSelector", errors
        )
    if kind in ("pod", "namespace", "podAndNamespace"):
        return [base]
    if kind != "ipBlock":
        errors.append(
            FieldError(
                f"{prefix}.kind", "FieldValueNotSupported", "supported values: " + ", ".join(PEER_KINDS), kind
            )
        )
        return []
    out = []
    for cidr, excepts in split_cidrs(peer):
        block = _known_dropped(peer.ip_block_extra, _IPBLOCK_KEYS)
        block["cidr"] = cidr
        if excepts or "except" in peer.keep:
            block["except"] = [text.strip() for _, text in excepts]
        out.append({**base, "ipBlock": block})
    return out


def _port_dict(port: PortForm, prefix: str, errors: list[FieldError]) -> dict[str, Any]:
    out = _known_dropped(port.extra, _PORT_KEYS)
    if port.protocol:
        out["protocol"] = port.protocol
    if port.port.strip():
        out["port"] = parse_port(port.port)
    if port.end_port.strip():
        end = parse_port(port.end_port)
        if isinstance(end, int):
            out["endPort"] = end
        else:
            errors.append(
                FieldError(
                    f"{prefix}.endPort", "FieldValueTypeInvalid", "must be a port number", port.end_port
                )
            )
    return out


def _rule_dict(rule: RuleForm, peers_key: str, prefix: str, errors: list[FieldError]) -> dict[str, Any]:
    out = _known_dropped(rule.extra, _RULE_KEYS)
    ports = [_port_dict(p, f"{prefix}.ports[{i}]", errors) for i, p in enumerate(rule.ports)]
    if ports or "ports" in rule.keep:
        out["ports"] = ports
    peers: list[dict[str, Any]] = []
    for j, peer in enumerate(rule.peers):
        peers.extend(_peer_dicts(peer, f"{prefix}.peers[{j}]", errors))
    if peers or "peers" in rule.keep:
        out[peers_key] = peers
    return out


def policy_to_form(policy: NetworkPolicy | dict[str, Any]) -> PolicyForm:
    """The form showing ``policy`` (a model or a JSON dict); raises ``FormUnsupported`` naming the
    field and the reason when the form cannot hold it without loss."""
    from app.policies.form_load import load_policy

    return load_policy(policy)
