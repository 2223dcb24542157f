"""Kubernetes objects as the reachability engine sees them, and reading them from YAML or JSON text.

``Namespace`` and ``Pod`` are lightweight records built from raw Kubernetes JSON dicts
(``Namespace.from_dict``, ``Pod.from_dict``), so the offline CLI and the cluster cache feed the
same engine. ``parse_documents`` reads multi-document YAML or JSON (``kind: List`` and
``*List`` objects unpacked); ``read_sources`` reads files, ``-`` meaning stdin. Nothing here
decides reachability.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from app.policies.model import NetworkPolicy
from app.policies.selectors import namespace_labels
from app.policies.text import TextError, parse_policy_text

DEFAULT_NAMESPACE = "default"


class DocumentError(Exception):
    """Input that cannot be read or parsed (a missing file, broken YAML, a non-object document)."""


@dataclass(frozen=True)
class Namespace:
    """A Namespace's name and labels; the labels always carry kubernetes.io/metadata.name."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", namespace_labels(self.name, self.labels))

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Namespace:
        meta = obj.get("metadata") or {}
        return cls(name=str(meta.get("name") or ""), labels=_str_map(meta.get("labels")))


@dataclass(frozen=True)
class Pod:
    """What policies can see of a Pod: its namespace, name, labels, IP and named container ports.

    ``named_ports`` maps a container port's name to ``(containerPort, protocol)``.
    """

    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    pod_ip: str | None = None
    named_ports: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    # Every container port, named or not, as (containerPort, protocol): what the pod exposes.
    ports: tuple[tuple[int, str], ...] = field(default=(), compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Pod:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        named: dict[str, tuple[int, str]] = {}
        exposed: dict[tuple[int, str], None] = {}
        for container in spec.get("containers") or []:
            for port in (container or {}).get("ports") or []:
                name = (port or {}).get("name")
                number = (port or {}).get("containerPort")
                if isinstance(number, int):
                    exposed[(number, str(port.get("protocol") or "TCP"))] = None
                if name and isinstance(number, int) and name not in named:
                    named[str(name)] = (number, str(port.get("protocol") or "TCP"))
        ip = status.get("podIP") or None
        return cls(
            namespace=str(meta.get("namespace") or DEFAULT_NAMESPACE),
            name=str(meta.get("name") or ""),
            labels=_str_map(meta.get("labels")),
            pod_ip=str(ip) if ip else None,
            named_ports=named,
            ports=tuple(exposed),
        )


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def policy_from_dict(obj: Mapping[str, Any]) -> NetworkPolicy:
    """A NetworkPolicy from a raw object, in ``default`` when it names no namespace (as kubectl does).

    Raises ``app.errors.Invalid`` when a field has the wrong type."""
    data = dict(obj)
    meta = dict(data.get("metadata") or {}) if isinstance(data.get("metadata"), Mapping) else None
    if meta is not None and not meta.get("namespace"):
        meta["namespace"] = DEFAULT_NAMESPACE
        data["metadata"] = meta
    return NetworkPolicy.from_dict(data)


@dataclass
class Documents:
    """The objects found in some input, by kind, in input order."""

    namespaces: list[Namespace] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    policy_objects: list[dict[str, Any]] = field(default_factory=list)

    def policies(self) -> list[NetworkPolicy]:
        """The NetworkPolicies, parsed; raises ``app.errors.Invalid`` on a wrongly typed field."""
        return [policy_from_dict(obj) for obj in self.policy_objects]


def classify(objects: Iterable[Mapping[str, Any]]) -> Documents:
    """Sort raw objects into Namespaces, Pods and NetworkPolicies; other kinds are ignored."""
    docs = Documents()
    for obj in objects:
        kind = obj.get("kind")
        if kind == "Namespace":
            docs.namespaces.append(Namespace.from_dict(obj))
        elif kind == "Pod":
            docs.pods.append(Pod.from_dict(obj))
        elif kind == "NetworkPolicy":
            docs.policy_objects.append(dict(obj))
    return docs


def parse_documents(text: str, source: str = "<input>") -> list[dict[str, Any]]:
    """Every object in ``text`` (YAML, possibly multi-document, or JSON), lists unpacked."""
    try:
        loaded = parse_policy_text(text, syntax="auto", max_bytes=None)
    except TextError as exc:
        raise DocumentError(f"{source} {exc}") from None
    out: list[dict[str, Any]] = []
    for doc in loaded:
        _unpack(doc, source, out)
    return out


def _unpack(doc: Any, source: str, out: list[dict[str, Any]]) -> None:
    if doc is None:
        return
    if isinstance(doc, list):  # a JSON array of objects
        for item in doc:
            _unpack(item, source, out)
        return
    if not isinstance(doc, dict):
        raise DocumentError(f"{source}: a document is not an object: {doc!r:.60}")
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            _unpack(item, source, out)
        return
    out.append(doc)


def read_sources(paths: Sequence[str], stdin: TextIO | None = None) -> list[dict[str, Any]]:
    """The objects in the files at ``paths``, in order; ``-`` reads ``stdin`` (once)."""
    objects: list[dict[str, Any]] = []
    for path in paths:
        if path == "-":
            text = (stdin or sys.stdin).read()
            source = "<stdin>"
        else:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise DocumentError(f"{path}: cannot read: {exc}") from None
            source = path
        objects.extend(parse_documents(text, source))
    return objects
