"""Editing a ``PolicyForm`` the way the page's buttons do: add a row, remove a row, take a
workload's labels. Pure; the page posts the whole form with an ``op`` and renders the result, so
the editor works without JavaScript and nothing typed is ever lost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.policies.form import (
    DirectionForm,
    ExpressionRow,
    LabelRow,
    PeerForm,
    PolicyForm,
    PortForm,
    RuleForm,
    SelectorForm,
)
from app.policies.form_data import tokens

_ATTRS = {
    "podSelector": "pod_selector",
    "namespaceSelector": "namespace_selector",
    "except": "except_",
    "labels": "labels",
    "expressions": "expressions",
    "peers": "peers",
    "ports": "ports",
    "rules": "rules",
}

_NEW: dict[str, Any] = {
    "rules": RuleForm,
    "peers": lambda: PeerForm(kind="pod"),
    "ports": lambda: PortForm(protocol="TCP"),
    "labels": LabelRow,
    "expressions": ExpressionRow,
    "except_": lambda: "",
}


class BadOp(ValueError):
    """An ``op`` that names no part of the form (a stale or forged post)."""


def _walk(form: PolicyForm, path: tuple[str | int, ...]) -> Any:
    """Follow a form path (``ingress[0].peers[1].podSelector``); ``ingress[0]`` is rule 0."""
    node: Any = form
    i = 0
    while i < len(path):
        part = path[i]
        if part in ("ingress", "egress") and node is form:
            node = getattr(form, str(part))
            if i + 1 < len(path) and isinstance(path[i + 1], int):
                node = node.rules
            i += 1
            continue
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                raise BadOp(f"no row {part}")
            node = node[part]
        else:
            attr = _ATTRS.get(part, part)
            if not hasattr(node, attr):
                raise BadOp(f"no field {part}")
            node = getattr(node, attr)
        i += 1
    return node


def add_row(form: PolicyForm, list_path: str) -> None:
    """Append an empty row to the list at ``list_path`` (``ingress.rules``, ``ingress[0].peers``,
    ``podSelector.labels``, ...); adding a rule turns its section on."""
    path = tokens(list_path)
    if not path or isinstance(path[-1], int):
        raise BadOp(f"not a list: {list_path}")
    owner = _walk(form, path[:-1]) if len(path) > 1 else form
    attr = _ATTRS.get(str(path[-1]), str(path[-1]))
    rows = getattr(owner, attr, None)
    if not isinstance(rows, list) or attr not in _NEW:
        raise BadOp(f"not a list: {list_path}")
    rows.append(_NEW[attr]())
    if attr == "rules" and isinstance(owner, DirectionForm):
        owner.enabled = True


def remove_row(form: PolicyForm, item_path: str) -> None:
    path = tokens(item_path)
    if not path or not isinstance(path[-1], int):
        raise BadOp(f"not a row: {item_path}")
    rows = _walk(form, path[:-1])
    if not isinstance(rows, list) or not 0 <= path[-1] < len(rows):
        raise BadOp(f"no such row: {item_path}")
    del rows[path[-1]]


def selector_at(form: PolicyForm, selector_path: str) -> SelectorForm:
    node = _walk(form, tokens(selector_path))
    if not isinstance(node, SelectorForm):
        raise BadOp(f"not a selector: {selector_path}")
    return node


# The picker's Type "All" (scenario 4 of the reference): the selector selects every pod.
ALL_PODS = "all"


def take_pick(selector: SelectorForm, all_pods: bool, labels: Iterable[tuple[str, str]]) -> None:
    """The workload picker's OK: with Type All the selector loses its label rows and expressions
    (``podSelector: {}``, every pod); else the chosen workload's labels are added."""
    if all_pods:
        selector.labels.clear()
        selector.expressions.clear()
    else:
        add_labels(selector, labels)


def add_labels(selector: SelectorForm, labels: Iterable[tuple[str, str]]) -> None:
    """Add label rows (a workload's pod-template labels), filling blank rows first, no duplicates."""
    for key, value in labels:
        if any(row.key == key and row.value == value for row in selector.labels):
            continue
        blank = next((row for row in selector.labels if not row.key and not row.value), None)
        if blank is not None:
            blank.key, blank.value = key, value
        else:
            selector.labels.append(LabelRow(key=key, value=value))


def apply_op(form: PolicyForm, op: str) -> None:
    """``add:<list path>`` or ``remove:<row path>``; other ops are the page's own."""
    verb, _, target = op.partition(":")
    if verb == "add":
        add_row(form, target)
    elif verb == "remove":
        remove_row(form, target)
