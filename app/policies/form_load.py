"""Reading a NetworkPolicy into a ``PolicyForm`` (``app.policies.form.policy_to_form``).

Every key the form does not show goes into the form's opaque parts, and every key that was
present although empty is named in a ``keep`` list, so the form writes the same object back.
"""

from __future__ import annotations

from typing import Any

from app.policies.form import (
    _CIDR_SEP,
    _EXPRESSION_KEYS,
    _IPBLOCK_KEYS,
    _PEER_KEYS,
    _PORT_KEYS,
    _RULE_KEYS,
    _SELECTOR_KEYS,
    _SPEC_KEYS,
    _TOP_KEYS,
    DIRECTIONS,
    DirectionForm,
    ExpressionRow,
    FormUnsupported,
    LabelRow,
    PeerForm,
    PolicyForm,
    PortForm,
    RuleForm,
    SelectorForm,
)
from app.policies.model import NetworkPolicy
from app.policies.text import parse_port


def load_policy(policy: NetworkPolicy | dict[str, Any]) -> PolicyForm:
    """``policy_to_form``: the form showing ``policy``, or ``FormUnsupported``."""
    data = (
        policy.to_dict() if isinstance(policy, NetworkPolicy) else NetworkPolicy.from_dict(policy).to_dict()
    )
    form = PolicyForm(extra={k: v for k, v in data.items() if k not in _TOP_KEYS}, keep=[])
    if "metadata" in data:
        meta = dict(_not_null(data["metadata"], "metadata"))
        for key in ("name", "namespace"):
            if isinstance(meta.get(key), str) and meta[key]:
                setattr(form, key, meta.pop(key))
        form.metadata = meta
    if "spec" not in data:
        return _with_sections(form, {})
    spec = _not_null(data["spec"], "spec")
    form.keep.append("spec")
    form.spec_extra = {k: v for k, v in spec.items() if k not in _SPEC_KEYS}
    if "podSelector" in spec:
        form.keep.append("podSelector")
        form.pod_selector = _selector_form(spec["podSelector"], "spec.podSelector")
    return _with_sections(form, spec)


def _with_sections(form: PolicyForm, spec: dict[str, Any]) -> PolicyForm:
    types = spec.get("policyTypes")
    if "policyTypes" in spec:
        types = _not_null(types, "spec.policyTypes")
        for i, kind in enumerate(types):
            if kind not in ("Ingress", "Egress"):
                raise FormUnsupported(f"spec.policyTypes[{i}]", f"unknown policy type {kind!r}")
        form.policy_types = list(types)
    effective = list(types) if types else ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for attr, kind, peers_key in DIRECTIONS:
        section = DirectionForm(enabled=kind in effective)
        if attr in spec:
            rules = _not_null(spec[attr], f"spec.{attr}")
            section.rules = [_rule_form(r, peers_key, f"spec.{attr}[{i}]") for i, r in enumerate(rules)]
            if not rules:
                section.keep = ["rules"]
        setattr(form, attr, section)
    return form


def _not_null(value: Any, path: str) -> Any:
    if value is None:
        raise FormUnsupported(path, "an explicit null")
    return value


def _selector_form(data: Any, path: str) -> SelectorForm:
    data = _not_null(data, path)
    sel = SelectorForm(extra={k: v for k, v in data.items() if k not in _SELECTOR_KEYS})
    if "matchLabels" in data:
        labels = _not_null(data["matchLabels"], f"{path}.matchLabels")
        sel.labels = [LabelRow(key=k, value=v) for k, v in labels.items()]
        if not labels:
            sel.keep.append("matchLabels")
    if "matchExpressions" in data:
        exprs = _not_null(data["matchExpressions"], f"{path}.matchExpressions")
        for i, expr in enumerate(exprs):
            epath = f"{path}.matchExpressions[{i}]"
            row = ExpressionRow(
                key=_not_null(expr.get("key", ""), f"{epath}.key"),
                operator=_not_null(expr.get("operator", ""), f"{epath}.operator"),
                extra={k: v for k, v in expr.items() if k not in _EXPRESSION_KEYS},
            )
            if "key" not in expr or "operator" not in expr:
                raise FormUnsupported(epath, "an expression without key or operator")
            if "values" in expr:
                row.values = list(_not_null(expr["values"], f"{epath}.values"))
                if not row.values:
                    row.keep.append("values")
            sel.expressions.append(row)
        if not exprs:
            sel.keep.append("matchExpressions")
    return sel


def _rule_form(data: dict[str, Any], peers_key: str, path: str) -> RuleForm:
    rule = RuleForm(extra={k: v for k, v in data.items() if k not in _RULE_KEYS})
    if "ports" in data:
        ports = _not_null(data["ports"], f"{path}.ports")
        rule.ports = [_port_form(p, f"{path}.ports[{i}]") for i, p in enumerate(ports)]
        if not ports:
            rule.keep.append("ports")
    if peers_key in data:
        peers = _not_null(data[peers_key], f"{path}.{peers_key}")
        rule.peers = [_peer_form(p, f"{path}.{peers_key}[{i}]") for i, p in enumerate(peers)]
        if not peers:
            rule.keep.append("peers")
    return rule


def _peer_form(data: dict[str, Any], path: str) -> PeerForm:
    peer = PeerForm(extra={k: v for k, v in data.items() if k not in _PEER_KEYS})
    has_pod, has_ns, has_ip = ("podSelector" in data, "namespaceSelector" in data, "ipBlock" in data)
    if has_ip:
        if has_pod or has_ns:
            raise FormUnsupported(path, "ipBlock together with a selector in one peer")
        block = _not_null(data["ipBlock"], f"{path}.ipBlock")
        cidr = block.get("cidr", "")
        if "cidr" not in block or _CIDR_SEP.search(cidr):
            raise FormUnsupported(f"{path}.ipBlock.cidr", "missing, or not a single CIDR")
        peer.kind, peer.cidr = "ipBlock", cidr
        peer.ip_block_extra = {k: v for k, v in block.items() if k not in _IPBLOCK_KEYS}
        if "except" in block:
            excepts = _not_null(block["except"], f"{path}.ipBlock.except")
            if any(e != e.strip() for e in excepts):
                raise FormUnsupported(f"{path}.ipBlock.except", "surrounding white space")
            peer.except_ = list(excepts)
            if not excepts:
                peer.keep.append("except")
        return peer
    if not (has_pod or has_ns):
        raise FormUnsupported(path, "a peer with neither a selector nor an ipBlock")
    peer.kind = "podAndNamespace" if has_pod and has_ns else "pod" if has_pod else "namespace"
    if has_pod:
        peer.pod_selector = _selector_form(data["podSelector"], f"{path}.podSelector")
    if has_ns:
        peer.namespace_selector = _selector_form(data["namespaceSelector"], f"{path}.namespaceSelector")
    return peer


def _port_form(data: dict[str, Any], path: str) -> PortForm:
    port = PortForm(protocol="", extra={k: v for k, v in data.items() if k not in _PORT_KEYS})
    if "protocol" in data:
        port.protocol = _not_null(data["protocol"], f"{path}.protocol")
        if not port.protocol:
            raise FormUnsupported(f"{path}.protocol", "an empty protocol")
    if "port" in data:
        value = _not_null(data["port"], f"{path}.port")
        if isinstance(value, str) and (parse_port(value) != value or not value):
            raise FormUnsupported(
                f"{path}.port", f"the port {value!r} is text that reads as a number or blank"
            )
        port.port = str(value)
    if "endPort" in data:
        port.end_port = str(_not_null(data["endPort"], f"{path}.endPort"))
    return port
