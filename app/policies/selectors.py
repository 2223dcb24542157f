"""Label selectors: matching (metav1.LabelSelector semantics) and the ``labelSelector`` string syntax.

One implementation serves the reachability engine, the sandbox's list filtering and the pages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.errors import BadRequest
from app.policies.model import LabelSelector

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Requirement:
    """One requirement: ``key`` with operator In, NotIn, Exists or DoesNotExist
    (``=``/``==`` parse to In with one value, ``!=`` to NotIn)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "In":
            return self.key in labels and labels[self.key] in self.values
        if op == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if op == "Exists":
            return self.key in labels
        if op == "DoesNotExist":
            return self.key not in labels
        if op in ("Gt", "Lt") and self.key in labels:
            # the labels package: both sides must be integers, compared as numbers
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if op == "Gt" else have < want
        return False


def requirements(selector: LabelSelector | None) -> tuple[Requirement, ...] | None:
    """The requirements of a selector; ``None`` for a nil selector (which matches nothing)."""
    if selector is None:
        return None
    reqs = [Requirement(k, "In", (v,)) for k, v in sorted((selector.match_labels or {}).items())]
    for expr in selector.match_expressions or []:
        reqs.append(Requirement(expr.key, expr.operator, tuple(expr.values or ())))
    return tuple(reqs)


def selector_matches(selector: LabelSelector | None, labels: Mapping[str, str] | None) -> bool:
    """Whether a LabelSelector selects an object with ``labels``.

    An empty selector (``{}``) selects everything; a nil one selects nothing, as in
    metav1.LabelSelectorAsSelector.
    """
    reqs = requirements(selector)
    if reqs is None:
        return False
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


_TOKEN = re.compile(r"\s*(!=|==|=|!|<|>|\(|\)|,|[^\s!=(),<>]+)")


def parse_label_selector(text: str) -> tuple[Requirement, ...]:
    """Parse the ``labelSelector`` query syntax (k8s.io/apimachinery/pkg/labels):
    ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``, ``a>1``, ``a<1``,
    comma-separated.
    Raises ``BadRequest`` on malformed input, as the API server answers 400."""
    tokens = [t for t in _TOKEN.findall(text or "")]
    reqs: list[Requirement] = []
    i = 0

    def fail(why: str) -> BadRequest:
        return BadRequest(f"unable to parse requirement: {why}: {text!r}")

    while i < len(tokens):
        tok = tokens[i]
        if tok == "!":
            if i + 1 >= len(tokens) or tokens[i + 1] in "!=(),":
                raise fail("missing key after '!'")
            reqs.append(Requirement(tokens[i + 1], "DoesNotExist"))
            i += 2
        elif tok in ("=", "==", "!=", "(", ")", ","):
            raise fail(f"unexpected {tok!r}")
        else:
            key = tok
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt in ("=", "==", "!="):
                value = tokens[i + 2] if i + 2 < len(tokens) else ""
                if value in ("=", "==", "!=", "(", ")", "!", "<", ">"):
                    raise fail("invalid value")
                if value in ("", ","):
                    # "a=" (alone or before a comma) selects an empty value
                    reqs.append(Requirement(key, "In" if nxt != "!=" else "NotIn", ("",)))
                    i += 2
                else:
                    reqs.append(Requirement(key, "In" if nxt != "!=" else "NotIn", (value,)))
                    i += 3
            elif nxt in ("in", "notin") and i + 2 < len(tokens) and tokens[i + 2] == "(":
                j = i + 3
                values: list[str] = []
                while j < len(tokens) and tokens[j] != ")":
                    if tokens[j] != ",":
                        values.append(tokens[j])
                    j += 1
                if j >= len(tokens):
                    raise fail("missing ')'")
                if not values:
                    raise fail(f"for '{nxt}' operator, values set can't be empty")
                reqs.append(Requirement(key, "In" if nxt == "in" else "NotIn", tuple(values)))
                i = j + 1
            elif nxt in ("<", ">"):
                value = tokens[i + 2] if i + 2 < len(tokens) else ""
                if not re.fullmatch(r"-?\d+", value):
                    raise fail(f"for 'Gt', 'Lt' operators, the value must be an integer, not {value!r}")
                reqs.append(Requirement(key, "Gt" if nxt == ">" else "Lt", (value,)))
                i += 3
            else:
                reqs.append(Requirement(key, "Exists"))
                i += 1
        if i < len(tokens):
            if tokens[i] != ",":
                raise fail(f"expected ',' but found {tokens[i]!r}")
            i += 1
            if i >= len(tokens):
                raise fail("trailing ','")
    return tuple(reqs)


def requirements_match(reqs: tuple[Requirement, ...], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def format_requirement(r: Requirement) -> str:
    """One requirement in ``labelSelector`` syntax: ``a=b``, ``a in (x,y)``, ``a``, ``!a``."""
    if r.operator == "In" and len(r.values) == 1:
        return f"{r.key}={r.values[0]}"
    if r.operator in ("In", "NotIn"):
        return f"{r.key} {r.operator.lower()} ({','.join(r.values)})"
    if r.operator == "Exists":
        return r.key
    if r.operator in ("Gt", "Lt"):
        return f"{r.key}{'>' if r.operator == 'Gt' else '<'}{r.values[0]}"
    return f"!{r.key}"


def format_requirements(reqs: tuple[Requirement, ...]) -> str:
    return ",".join(format_requirement(r) for r in reqs)


def format_selector(selector: LabelSelector | None) -> str:
    """The selector in ``labelSelector`` syntax, as kubectl prints POD-SELECTOR (``<none>`` when empty)."""
    return format_requirements(requirements(selector) or ()) or "<none>"


def namespace_labels(name: str, labels: Mapping[str, str] | None) -> dict[str, str]:
    """A Namespace's labels as the API server keeps them: always with kubernetes.io/metadata.name."""
    out = dict(labels or {})
    out[NAMESPACE_NAME_LABEL] = name
    return out
