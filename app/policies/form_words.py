"""Where a field is, in the Create panel's own words: ``Destination rule 1 › ipBlock › cidr``.

An error's field path (``spec.egress[0].to[0].ipBlock.cidr``) or form field name
(``egress[0].peers[0].cidr``) becomes the trail a person follows on the page: Name, Namespace,
Pod Selector, Source / Destination rule N, peer N, port N, label N, and the Kubernetes words the
panel itself shows (podSelector, namespaceSelector, ipBlock, cidr). The result is ``Words``, so
the pages say it in their language while the API and the CLI read the English as it is.

With the form, a rule's only peer is not numbered (``Destination rule 1 › ipBlock › cidr``),
and object paths follow the form's peer layout (``PolicyForm.form_field_for``); without it
every peer is numbered and peers map one to one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.policies.form_data import map_field, tokens
from app.policies.words import N_, Words

if TYPE_CHECKING:
    from app.policies.form import PolicyForm

__all__ = ["field_words", "path_words"]

_RULE = {"ingress": N_("Source rule {number}"), "egress": N_("Destination rule {number}")}
_SECTION = {"ingress": N_("Source"), "egress": N_("Destination")}
_SELECTOR_ROWS = {"labels": N_("label {number}"), "expressions": N_("expression {number}")}
_ROW_FIELDS = {"key": N_("key"), "value": N_("value"), "operator": N_("Operator"), "values": N_("values")}
_PORT_FIELDS = {"protocol": N_("Protocol"), "port": N_("Port"), "endPort": N_("End port")}
_TOP = {
    "name": N_("Name"),
    "namespace": N_("Namespace"),
    "metadata": N_("Metadata"),
    "extra": N_("Other fields"),
    "specExtra": N_("Other fields"),
}


def _join(parts: list[str]) -> str:
    """``a › b › c`` as nested Words, so that each part is translated on its own."""
    if len(parts) == 1:
        return parts[0]
    return Words("{head} › {rest}", head=parts[0], rest=_join(parts[1:]))


def _numbered(template: str, index: int) -> Words:
    """``Source rule 1`` for the rule at index 0: the page counts from one."""
    return Words(template, number=str(index + 1))


def _selector(rest: tuple[str | int, ...]) -> list[str]:
    """The trail inside a selector: ``label 2 › value``, ``expression 1 › values``."""
    if not rest or rest[0] not in _SELECTOR_ROWS:
        return []
    if len(rest) < 2 or not isinstance(rest[1], int):
        return [Words("labels") if rest[0] == "labels" else Words("expressions")]
    out: list[str] = [_numbered(_SELECTOR_ROWS[str(rest[0])], rest[1])]
    if len(rest) > 2 and rest[2] in _ROW_FIELDS:
        out.append(Words(_ROW_FIELDS[str(rest[2])]))
    return out


def _peer_count(form: PolicyForm | None, direction: str, rule: int) -> int | None:
    if form is None:
        return None
    rules = getattr(form, direction).rules
    return len(rules[rule].peers) if rule < len(rules) else None


def field_words(field: str, form: PolicyForm | None = None) -> str:
    """The form field ``field`` (``ingress[0].ports[1].endPort``) in the page's words
    (``Source rule 1 › port 2 › End port``); a name the panel does not show comes back as is."""
    parts = tokens(field)
    if not parts:
        return field
    head = parts[0]
    if head == "podSelector":
        return _join([Words("Pod Selector"), *_selector(parts[1:])])
    if head in _TOP and len(parts) == 1:
        return Words(_TOP[str(head)])
    if head not in _RULE:
        return field
    if len(parts) < 2 or not isinstance(parts[1], int):
        return Words(_SECTION[str(head)])
    rule = parts[1]
    trail: list[str] = [_numbered(_RULE[str(head)], rule)]
    tail = parts[2:]
    if tail and tail[0] == "ports":
        if len(tail) > 1 and isinstance(tail[1], int):
            trail.append(_numbered("port {number}", tail[1]))
            if len(tail) > 2 and tail[2] in _PORT_FIELDS:
                trail.append(Words(_PORT_FIELDS[str(tail[2])]))
        else:
            trail.append(Words("ports"))
    elif tail and tail[0] == "peers":
        if len(tail) > 1 and isinstance(tail[1], int):
            if _peer_count(form, str(head), rule) != 1:
                trail.append(_numbered("peer {number}", tail[1]))
            sub = tail[2:]
            if sub and sub[0] in ("podSelector", "namespaceSelector"):
                trail += [str(sub[0]), *_selector(sub[1:])]
            elif sub and sub[0] == "cidr":
                trail += ["ipBlock", "cidr"]
            elif sub and sub[0] == "except":
                number = sub[1] if len(sub) > 1 else None
                trail += ["ipBlock", _numbered("except {number}", number) if isinstance(number, int) else "except"]
            elif sub and sub[0] == "kind":
                trail.append(Words("Selector"))
            if len(trail) == 1:
                trail.append(_numbered("peer {number}", tail[1]))
        else:
            trail.append(Words("peers"))
    return _join(trail)


def path_words(path: str, form: PolicyForm | None = None, value: object = None) -> str:
    """An object field path (``spec.egress[0].to[0].ipBlock.cidr``) in the page's words."""
    return field_words(map_field(path, form, value), form)
