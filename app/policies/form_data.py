"""``PolicyForm`` as flat HTML form fields, and object field paths mapped to those fields.

Field names (``[i]`` a list index; lists are read in index order, gaps closed):

====================================================  ===========================================
``name``, ``namespace``                               text
``podSelector.labels[i].key`` / ``.value``            label rows (a row blank in both is dropped)
``podSelector.expressions[i].key`` / ``.operator``    expression rows (blank key and no values:
``podSelector.expressions[i].values[j]``              dropped); ``...values`` unindexed is also
                                                      read as a comma-separated list
``ingress.enabled``, ``egress.enabled``               on when any value is on/true/1/yes
                                                      (a checkbox, optionally after a hidden "false")
``ingress[i].peers[j].kind``                          pod | namespace | podAndNamespace | ipBlock
                                                      (inferred from the other fields when missing)
``ingress[i].peers[j].podSelector...``,               selectors as above
``ingress[i].peers[j].namespaceSelector...``
``ingress[i].peers[j].cidr``                          one CIDR (several, comma or space separated,
                                                      become several ipBlock peers)
``ingress[i].peers[j].except[k]``                     except entries (blank ones dropped);
                                                      ``...except`` unindexed: a comma list
``ingress[i].ports[j].protocol`` / ``.port`` /        text as typed ("" protocol: omitted, TCP)
``.endPort``
``egress[...]``                                       as ingress
====================================================  ===========================================

Carried hidden fields, written by ``to_form_data`` so a round trip loses nothing:
``metadata``, ``extra``, ``specExtra``, ``policyTypes`` (JSON), ``keep`` (comma list; also
``podSelector.keep``, ``ingress.keep``, ``ingress[i].keep`` - always written, it marks a rule
that has no other field, ``...peers[j].keep``, ``...expressions[i].keep``) and ``...extra``
(JSON) on selectors, expressions, rules, peers (``ipBlockExtra`` too) and ports. When
``extra`` or ``keep`` is missing the new-form defaults apply (apiVersion and kind written;
``spec`` and ``podSelector`` written even when empty). Broken JSON never raises: it is reported
by ``PolicyForm.to_policy`` at that field.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from app.errors import FieldError
from app.policies.text import TextError, parse_index, parse_json

if TYPE_CHECKING:
    from app.policies.form import PolicyForm, SelectorForm

Path = tuple[str | int, ...]

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[([^\]]*)\]|\.")
_TRUE = {"on", "true", "1", "yes"}


def tokens(name: str) -> Path:
    """``ingress[0].peers[1].cidr`` → ``("ingress", 0, "peers", 1, "cidr")``; a ``[key]``
    that is not a number stays a string (upstream's ``matchLabels[app]``)."""
    out: list[str | int] = []
    for match in _TOKEN.finditer(name):
        word, index, key = match.groups()
        if word is not None:
            out.append(word)
        elif index is not None:
            # an index too long to be a row's (5,000 digits) stays a key no list reads
            number = parse_index(index)
            out.append(f"[{index}]" if number is None else number)
        elif key is not None:
            out.append(f"[{key}]")
    return tuple(out)


def _name(path: Path) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


# ----- form → items -----


def form_to_items(form: PolicyForm) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def put(path: Path, value: str) -> None:
        out.append((_name(path), value))

    def put_json(path: Path, value: Any, always: bool = False) -> None:
        if value or always:
            put(path, json.dumps(value, separators=(",", ":")))

    def put_selector(path: Path, sel: SelectorForm) -> None:
        for i, row in enumerate(sel.labels):
            put(path + ("labels", i, "key"), row.key)
            put(path + ("labels", i, "value"), row.value)
        for i, expr in enumerate(sel.expressions):
            put(path + ("expressions", i, "key"), expr.key)
            put(path + ("expressions", i, "operator"), expr.operator)
            for j, value in enumerate(expr.values):
                put(path + ("expressions", i, "values", j), value)
            if expr.keep:
                put(path + ("expressions", i, "keep"), ",".join(expr.keep))
            put_json(path + ("expressions", i, "extra"), expr.extra)
        if sel.keep:
            put(path + ("keep",), ",".join(sel.keep))
        put_json(path + ("extra",), sel.extra)

    put(("name",), form.name)
    put(("namespace",), form.namespace)
    put(("keep",), ",".join(form.keep))
    if form.metadata is not None:
        put_json(("metadata",), form.metadata, always=True)
    put_json(("extra",), form.extra, always=True)
    put_json(("specExtra",), form.spec_extra)
    if form.policy_types is not None:
        put_json(("policyTypes",), form.policy_types, always=True)
    put_selector(("podSelector",), form.pod_selector)
    for attr in ("ingress", "egress"):
        section = getattr(form, attr)
        put((attr, "enabled"), "true" if section.enabled else "false")
        put((attr, "keep"), ",".join(section.keep))
        for i, rule in enumerate(section.rules):
            base: Path = (attr, i)
            put(base + ("keep",), ",".join(rule.keep))
            put_json(base + ("extra",), rule.extra)
            for j, peer in enumerate(rule.peers):
                p = base + ("peers", j)
                put(p + ("kind",), peer.kind)
                if peer.kind in ("pod", "podAndNamespace") or not peer.pod_selector.is_empty():
                    put_selector(p + ("podSelector",), peer.pod_selector)
                if peer.kind in ("namespace", "podAndNamespace") or not peer.namespace_selector.is_empty():
                    put_selector(p + ("namespaceSelector",), peer.namespace_selector)
                if peer.kind == "ipBlock" or peer.cidr:
                    put(p + ("cidr",), peer.cidr)
                for k, text in enumerate(peer.except_):
                    put(p + ("except", k), text)
                if peer.keep:
                    put(p + ("keep",), ",".join(peer.keep))
                put_json(p + ("extra",), peer.extra)
                put_json(p + ("ipBlockExtra",), peer.ip_block_extra)
            for j, port in enumerate(rule.ports):
                p = base + ("ports", j)
                put(p + ("protocol",), port.protocol)
                put(p + ("port",), port.port)
                put(p + ("endPort",), port.end_port)
                put_json(p + ("extra",), port.extra)
    return out


# ----- items → form -----


class _Items:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.values: dict[Path, list[str]] = defaultdict(list)
        for name, value in items:
            self.values[tokens(name)].append(value)
        self.errors: list[FieldError] = []

    def get(self, path: Path, default: str = "") -> str:
        found = self.values.get(path)
        return found[-1] if found else default

    def has(self, path: Path) -> bool:
        return path in self.values

    def has_under(self, path: Path) -> bool:
        n = len(path)
        return any(p[:n] == path for p in self.values)

    def indices(self, path: Path) -> list[int]:
        n = len(path)
        return sorted(
            {p[n] for p in self.values if len(p) > n and p[:n] == path and isinstance(p[n], int)}  # type: ignore[misc]
        )

    def keep(self, path: Path, default: list[str] | None = None) -> list[str]:
        if not self.has(path):
            return list(default or [])
        return [k.strip() for k in self.get(path).split(",") if k.strip()]

    def json(self, path: Path, default: Any, kind: type) -> Any:
        if not self.has(path):
            return default
        text = self.get(path)
        try:
            value = parse_json(text) if text.strip() else default
        except TextError as exc:
            self.errors.append(FieldError(_name(path), "FieldValueInvalid", f"not JSON: {exc}", text))
            return default
        if value is None:
            return default
        if not isinstance(value, kind):
            self.errors.append(
                FieldError(_name(path), "FieldValueInvalid", f"must be a JSON {kind.__name__}", text)
            )
            return default
        return value

    def listed(self, path: Path, drop_blank: bool) -> list[str] | None:
        """Indexed values ``path[k]``; else the unindexed ``path`` split at commas; else None."""
        idx = [p for p in self.indices(path) if self.has(path + (p,))]
        if idx:
            values = [self.get(path + (k,)).strip() for k in idx]
            return [v for v in values if v] if drop_blank else values
        if self.has(path):
            return [v.strip() for v in re.split(r"[,\n]", self.get(path)) if v.strip()]
        return None


def _selector(items: _Items, path: Path) -> dict[str, Any]:
    labels = []
    for i in items.indices(path + ("labels",)):
        key = items.get(path + ("labels", i, "key")).strip()
        value = items.get(path + ("labels", i, "value")).strip()
        if key or value:
            labels.append({"key": key, "value": value})
    expressions = []
    for i in items.indices(path + ("expressions",)):
        e = path + ("expressions", i)
        key = items.get(e + ("key",)).strip()
        values = items.listed(e + ("values",), drop_blank=False) or []
        if not key and not values:
            continue
        expressions.append(
            {
                "key": key,
                "operator": items.get(e + ("operator",), "In").strip(),
                "values": values,
                "keep": items.keep(e + ("keep",)),
                "extra": items.json(e + ("extra",), {}, dict),
            }
        )
    return {
        "labels": labels,
        "expressions": expressions,
        "keep": items.keep(path + ("keep",)),
        "extra": items.json(path + ("extra",), {}, dict),
    }


def _peer(items: _Items, p: Path) -> dict[str, Any]:
    kind = items.get(p + ("kind",)).strip()
    has_pod, has_ns = items.has_under(p + ("podSelector",)), items.has_under(p + ("namespaceSelector",))
    if not kind:
        if items.has(p + ("cidr",)) or items.has_under(p + ("except",)):
            kind = "ipBlock"
        elif has_ns:
            kind = "podAndNamespace" if has_pod else "namespace"
        else:
            kind = "pod"
    return {
        "kind": kind,
        "podSelector": _selector(items, p + ("podSelector",)),
        "namespaceSelector": _selector(items, p + ("namespaceSelector",)),
        "cidr": items.get(p + ("cidr",)).strip(),
        "except": items.listed(p + ("except",), drop_blank=True) or [],
        "keep": items.keep(p + ("keep",)),
        "extra": items.json(p + ("extra",), {}, dict),
        "ipBlockExtra": items.json(p + ("ipBlockExtra",), {}, dict),
    }


def form_from_items(items_list: list[tuple[str, str]]) -> PolicyForm:
    from app.policies.form import PolicyForm

    items = _Items(items_list)
    data: dict[str, Any] = {
        "name": items.get(("name",)).strip(),
        "namespace": items.get(("namespace",)).strip(),
        "keep": items.keep(("keep",), ["spec", "podSelector"]),
        "metadata": items.json(("metadata",), None, dict),
        "extra": items.json(("extra",), None, dict),
        "specExtra": items.json(("specExtra",), {}, dict),
        "policyTypes": items.json(("policyTypes",), None, list),
        "podSelector": _selector(items, ("podSelector",)),
    }
    if data["extra"] is None:
        del data["extra"]
    if data["policyTypes"] is not None and not all(isinstance(t, str) for t in data["policyTypes"]):
        items.errors.append(FieldError("policyTypes", "FieldValueInvalid", "must be a list of text"))
        data["policyTypes"] = None
    for attr in ("ingress", "egress"):
        rules = []
        for i in items.indices((attr,)):
            base: Path = (attr, i)
            rules.append(
                {
                    "peers": [_peer(items, base + ("peers", j)) for j in items.indices(base + ("peers",))],
                    "ports": [
                        {
                            "protocol": items.get(base + ("ports", j, "protocol")).strip(),
                            "port": items.get(base + ("ports", j, "port")).strip(),
                            "endPort": items.get(base + ("ports", j, "endPort")).strip(),
                            "extra": items.json(base + ("ports", j, "extra"), {}, dict),
                        }
                        for j in items.indices(base + ("ports",))
                    ],
                    "keep": items.keep(base + ("keep",)),
                    "extra": items.json(base + ("extra",), {}, dict),
                }
            )
        enabled = any(v.strip().lower() in _TRUE for v in items.values.get((attr, "enabled"), []))
        data[attr] = {"enabled": enabled, "rules": rules, "keep": items.keep((attr, "keep"))}
    form = PolicyForm.model_validate(data)
    for error in items.errors:
        form.add_input_error(error)
    return form


# ----- object field path → form field -----


def map_field(path: str, form: PolicyForm | None, value: Any = None) -> str:
    parts = tokens(path)
    if not parts or parts[0] not in ("metadata", "spec"):
        return path
    if parts[0] == "metadata":
        if len(parts) > 1 and parts[1] in ("name", "generateName"):
            return "name"
        if len(parts) > 1 and parts[1] == "namespace":
            return "namespace"
        return "metadata"
    rest = parts[1:]
    if not rest:
        return "podSelector"
    head = rest[0]
    if head == "podSelector":
        return "podSelector" + _selector_field(rest[1:], form.pod_selector if form else None, value)
    if head == "policyTypes":
        return "ingress.enabled"
    if head not in ("ingress", "egress"):
        return path
    if len(rest) < 2 or not isinstance(rest[1], int):
        return f"{head}.enabled"
    i = rest[1]
    prefix = f"{head}[{i}]"
    tail = rest[2:]
    if not tail:
        return prefix
    if tail[0] == "ports":
        if len(tail) < 2 or not isinstance(tail[1], int):
            return f"{prefix}.ports"
        leaf = tail[2] if len(tail) > 2 and tail[2] in ("protocol", "port", "endPort") else "port"
        return f"{prefix}.ports[{tail[1]}].{leaf}"
    if tail[0] not in ("from", "to"):
        return prefix
    if len(tail) < 2 or not isinstance(tail[1], int):
        return f"{prefix}.peers"
    peer_index, except_map = _layout(form, head, i, tail[1])
    peer = f"{prefix}.peers[{peer_index}]"
    sub = tail[2:]
    if not sub:
        return f"{peer}.kind"
    if sub[0] in ("podSelector", "namespaceSelector"):
        sel = None
        if form is not None and except_map is not None:
            rule = getattr(form, head).rules[i]
            sel = getattr(
                rule.peers[peer_index], "pod_selector" if sub[0] == "podSelector" else "namespace_selector"
            )
        return f"{peer}.{sub[0]}" + _selector_field(sub[1:], sel, value)
    if sub[0] == "ipBlock":
        if len(sub) > 1 and sub[1] == "except":
            if len(sub) > 2 and isinstance(sub[2], int):
                k = sub[2]
                if except_map is not None and k < len(except_map):
                    k = except_map[k]
                return f"{peer}.except[{k}]"
            return f"{peer}.except"
        return f"{peer}.cidr"
    return f"{peer}.kind"


def _layout(
    form: PolicyForm | None, direction: str, rule: int, obj_peer: int
) -> tuple[int, list[int] | None]:
    """The form peer behind object peer ``obj_peer`` and its except indices (object → form)."""
    if form is None:
        return obj_peer, None
    from app.policies.form import PEER_KINDS, split_cidrs

    rules = getattr(form, direction).rules
    if rule >= len(rules):
        return obj_peer, None
    n = 0
    for j, peer in enumerate(rules[rule].peers):
        if peer.kind == "ipBlock":
            blocks = split_cidrs(peer)
            for _cidr, excepts in blocks:
                if n == obj_peer:
                    return j, [idx for idx, _ in excepts]
                n += 1
        elif peer.kind in PEER_KINDS:
            if n == obj_peer:
                return j, []
            n += 1
    return obj_peer, None


def _selector_field(rest: Path, sel: SelectorForm | None, value: Any) -> str:
    if not rest:
        return ""
    if rest[0] == "matchLabels":
        if sel is not None:
            key = (
                rest[1][1:-1]
                if len(rest) > 1 and isinstance(rest[1], str) and rest[1].startswith("[")
                else None
            )
            for i, row in enumerate(sel.labels):
                if key is not None and row.key == key:
                    return (
                        f".labels[{i}].value"
                        if value is not None and value == row.value
                        else f".labels[{i}].key"
                    )
                if key is None and value is not None and row.key == value:
                    return f".labels[{i}].key"
            for i, row in enumerate(sel.labels):
                if key is None and value is not None and row.value == value:
                    return f".labels[{i}].value"
        return ".labels"
    if rest[0] == "matchExpressions":
        if len(rest) < 2 or not isinstance(rest[1], int):
            return ".expressions"
        out = f".expressions[{rest[1]}]"
        if len(rest) > 2 and rest[2] in ("key", "operator", "values"):
            out += f".{rest[2]}"
            if rest[2] == "values" and len(rest) > 3 and isinstance(rest[3], int):
                out += f"[{rest[3]}]"
        return out
    return ""
