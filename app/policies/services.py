"""A Service as a NetworkPolicy question sees it: the pods behind its selector and, per pod, the
target port one of its ports forwards to.

As Kubernetes' EndpointSlice controller resolves them:

- the pods behind a Service are those of its namespace whose labels hold every ``key=value`` of
  its ``selector``; a Service without a selector gets no endpoints from Kubernetes (whoever made it
  manages them by hand), so no pod is behind it as far as the console can tell;
- a Service port is found by its ``port`` number or its ``name``, with its protocol (TCP when
  unset); its ``targetPort`` is a number, or a name looked up on each pod's container ports with
  the same protocol (a pod without that name is not an endpoint of the port), or, when unset, the
  port number itself.

NetworkPolicies never see a Service: kube-proxy (or the eBPF data path) rewrites the ClusterIP and
port to a pod's IP and target port before policies apply, so a connection to a Service is decided
per backing pod on its target port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import BadRequest
from app.policies.documents import Pod


def _int_or_name(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    return value if isinstance(value, int) else str(value)


@dataclass(frozen=True)
class ServicePort:
    """One entry of ``spec.ports``."""

    port: int
    protocol: str = "TCP"
    name: str = ""
    target_port: int | str | None = None  # None: the same as ``port``

    def target(self, pod: Pod) -> int | None:
        """The pod's port this Service port forwards to; None when the pod does not define the
        named target port (with this protocol)."""
        if self.target_port is None:
            return self.port
        if isinstance(self.target_port, int):
            return self.target_port
        found = pod.named_ports.get(self.target_port)
        return found[0] if found is not None and found[1] == self.protocol else None

    def describe(self) -> str:
        """``80/TCP (http) → 8080``, as ``kubectl get service`` and the reference name them."""
        name = f" ({self.name})" if self.name else ""
        target = self.port if self.target_port is None else self.target_port
        return f"{self.port}/{self.protocol}{name} → {target}"


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    selector: Mapping[str, str] = field(default_factory=dict)  # empty: the Service has none
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    cluster_ip: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Service:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        raw_selector = spec.get("selector")
        selector: Mapping[str, Any] = raw_selector if isinstance(raw_selector, Mapping) else {}
        ports = []
        for raw in spec.get("ports") or ():
            if isinstance(raw, Mapping) and isinstance(raw.get("port"), int):
                ports.append(
                    ServicePort(
                        port=raw["port"],
                        protocol=str(raw.get("protocol") or "TCP"),
                        name=str(raw.get("name") or ""),
                        target_port=_int_or_name(raw.get("targetPort")),
                    )
                )
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(meta.get("name") or ""),
            selector={str(k): "" if v is None else str(v) for k, v in selector.items()},
            ports=tuple(ports),
            type=str(spec.get("type") or "ClusterIP"),
            cluster_ip=str(spec.get("clusterIP") or ""),
        )

    def selects(self, pod: Pod) -> bool:
        return (
            bool(self.selector)
            and pod.namespace == self.namespace
            and all(pod.labels.get(k) == v for k, v in self.selector.items())
        )

    def backing_pods(self, pods: Iterable[Pod]) -> list[Pod]:
        """The pods behind the Service, sorted by name (none without a selector)."""
        return sorted((p for p in pods if self.selects(p)), key=lambda p: p.name)

    def port(self, port: int | str, protocol: str) -> ServicePort:
        """The Service port named by its number or its name, with ``protocol``; ``BadRequest``
        (naming the ports it has) when there is none."""
        for sp in self.ports:
            if sp.protocol == protocol and (sp.port == port if isinstance(port, int) else sp.name == port):
                return sp
        have = ", ".join(sp.describe() for sp in self.ports) or "none"
        raise BadRequest(
            f"Service {self.ref} has no {protocol} port {port!r} (by port number or name); its ports: {have}"
        )
