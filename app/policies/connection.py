"""One Connectivity question whose ends go beyond pods: a pod, an IP address, or (as the
destination) a Service, answered with how each end was read.

- An IP address that is one pod's podIP is that pod, and is checked as the pod (its labels, its
  policies). Any other address is outside the pod network as policies see it: it matches ipBlock
  peers (``cidr`` minus ``except``) and never a pod or namespace selector, and has no policies of
  its own.
- A Service is resolved to the pods behind its selector (``app.policies.services``); the
  connection is decided for each of them on its target port, as ``reachability.explain`` decides
  pod to pod, since policies see the pod's IP and target port, never the ClusterIP and Service port.

The notes are ``Words`` (translated by the pages); ``lines()`` and ``as_dict()`` are the English
the API and the CLI read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import BadRequest
from app.policies.documents import Pod
from app.policies.reachability import Endpoint, Verdict, World, explain, parse_ip, parse_ref
from app.policies.services import Service, ServicePort
from app.policies.words import Words

POD, SERVICE, IP = "pod", "service", "ip"
KINDS = (POD, SERVICE, IP)


@dataclass(frozen=True)
class End:
    """One end as asked: ``pod`` (``ns/name``), ``service`` (``ns/name``) or ``ip``."""

    kind: str
    ref: str

    @classmethod
    def read(cls, text: str) -> End:
        """The short form (``ns/pod`` or an IP address) the API and the page always took."""
        return cls(IP if parse_ip(text) is not None else POD, text.strip())


def resolve(world: World, end: End) -> tuple[Endpoint, list[Words]]:
    """The endpoint a pod or IP end stands for, with what the reading says of it."""
    if end.kind == POD:
        pod = parse_ref(world, end.ref)
        if pod.pod is None:
            raise BadRequest(f"not a pod reference (ns/pod): {end.ref!r}")
        return pod, []
    if end.kind != IP:
        raise BadRequest(f"a {end.kind} can only be the destination")
    ip = parse_ip(end.ref)
    if ip is None:
        raise BadRequest(f"not an IP address: {end.ref[:60]!r}")
    pods = world.pods_at(ip)
    if len(pods) == 1:
        return Endpoint(pod=pods[0]), [
            Words("{ip} is the IP address of pod {pod}: it is checked as that pod.", ip=str(ip), pod=pods[0].ref)
        ]
    if pods:
        note = Words(
            "{ip} is the IP address of {count} pods (host-network pods share their node's address): it is "
            "checked as an address, against ipBlock peers only.",
            ip=str(ip),
            count=str(len(pods)),
        )
    else:
        note = Words(
            "{ip} is not the IP address of a pod: it is checked against ipBlock peers (cidr and except) only; "
            "pod and namespace selectors never match an address.",
            ip=str(ip),
        )
    return Endpoint(ip=str(ip)), [note]


@dataclass
class Backend:
    """A pod behind the Service: the port it gets, and the verdict there (None when the pod does
    not define the named target port)."""

    pod: Pod
    target: int | None
    verdict: Verdict | None

    @property
    def allowed(self) -> bool:
        return self.verdict is not None and self.verdict.allowed

    def reason(self, sp: ServicePort) -> Words | None:
        if self.verdict is not None:
            return None
        return Words(
            "{pod} has no {protocol} container port named {name}: the Service sends it nothing on this port.",
            pod=self.pod.ref,
            protocol=sp.protocol,
            name=str(sp.target_port),
        )

    def as_dict(self, sp: ServicePort) -> dict[str, Any]:
        reason = self.reason(sp)
        return {
            "pod": self.pod.ref,
            "targetPort": self.target,
            "allowed": self.allowed,
            "explanation": [str(reason)] if reason else self.verdict.lines()[1:] if self.verdict else [],
            "details": self.verdict.as_dict() if self.verdict is not None else None,
        }


@dataclass
class ServiceCheck:
    """A connection to a Service: its port and each pod behind it."""

    service: Service
    port: ServicePort
    backends: list[Backend] = field(default_factory=list)

    @property
    def allowed_count(self) -> int:
        return sum(b.allowed for b in self.backends)

    @property
    def summary(self) -> Words:
        if not self.service.selector:
            return Words(
                "Service {service} has no selector: Kubernetes sends its traffic to endpoints managed by hand, "
                "which the console cannot check.",
                service=self.service.ref,
            )
        if not self.backends:
            return Words(
                "No pod in namespace {namespace} matches the selector of Service {service} ({selector}): "
                "nothing answers behind it.",
                namespace=self.service.namespace,
                service=self.service.ref,
                selector=",".join(f"{k}={v}" for k, v in sorted(self.service.selector.items())),
            )
        return Words(
            "allowed to {allowed} of {total} pods", allowed=str(self.allowed_count), total=str(len(self.backends))
        )

    @property
    def mapping(self) -> Words:
        sp = self.port
        if isinstance(sp.target_port, str):
            return Words(
                "Service port {port} forwards to the container port named {target} of each pod, looked up per pod.",
                port=sp.describe(),
                target=sp.target_port,
            )
        return Words("Service port {port} forwards to port {target} of each pod.", port=sp.describe(),
                     target=str(sp.port if sp.target_port is None else sp.target_port))


SEMANTICS = Words(
    "NetworkPolicies never see a Service's ClusterIP or port: each pod behind it is checked by its pod IP on "
    "its target port."
)


@dataclass
class Answer:
    """May ``src`` connect to ``dst`` on ``protocol``/``port``: one ``verdict`` (a pod or an
    address as the destination) or a ``service`` check, with ``notes`` on how the ends were read."""

    src: str
    dst: str
    port: int | str
    protocol: str
    notes: list[Words] = field(default_factory=list)
    verdict: Verdict | None = None
    service: ServiceCheck | None = None

    @property
    def allowed(self) -> bool:
        """For a Service: allowed to every pod behind it (and there is one)."""
        if self.service is not None:
            return bool(self.service.backends) and self.service.allowed_count == len(self.service.backends)
        return self.verdict is not None and self.verdict.allowed

    def lines(self) -> list[str]:
        if self.verdict is not None:
            head, *rest = self.verdict.lines()
            return [head, *self.notes, *rest]
        check = self.service
        assert check is not None
        out = [f"{self.src} -> Service {self.dst} on {self.protocol}/{self.port}: {check.summary}", *self.notes]
        for b in check.backends:
            reason = b.reason(check.port)
            if reason is not None or b.verdict is None:
                out.append(f"{b.pod.ref}: DENIED. {reason}")
                continue
            out.append(f"{b.pod.ref} on {b.verdict.connection}: {'ALLOWED' if b.allowed else 'DENIED'}")
            out.extend(f"  {line}" for line in b.verdict.lines()[1:])
        return out

    def as_dict(self) -> dict[str, Any]:
        notes = [str(n) for n in self.notes]
        if self.verdict is not None:
            return {**self.verdict.as_dict(), "notes": notes, "explanation": self.lines()}
        check = self.service
        assert check is not None
        return {
            "from": self.src,
            "to": {"service": self.dst},
            "port": self.port,
            "protocol": self.protocol,
            "servicePort": {
                "name": check.port.name,
                "port": check.port.port,
                "targetPort": check.port.target_port if check.port.target_port is not None else check.port.port,
            },
            "allowed": self.allowed,
            "summary": str(check.summary),
            "allowedPods": check.allowed_count,
            "pods": [b.as_dict(check.port) for b in check.backends],
            "notes": notes,
            "explanation": self.lines(),
        }


def check(world: World, src: End, dst: End | Service, port: int | str, protocol: str = "TCP") -> Answer:
    """Decide ``src`` → ``dst`` and say why. Raises ``BadRequest`` for an end that is not what its
    kind says, two addresses, or a Service port the Service does not have; ``NotFound`` for an
    unknown pod."""
    protocol = protocol.upper()
    source, notes = resolve(world, src)
    if not isinstance(dst, Service):
        target, more = resolve(world, dst)
        verdict = explain(world, source, target, port, protocol)
        return Answer(verdict.src, verdict.dst, port, protocol, [*notes, *more], verdict=verdict)
    sp = dst.port(port, protocol)
    svc = ServiceCheck(dst, sp)
    for pod in dst.backing_pods(world.sorted_pods()):
        number = sp.target(pod)
        reached = None if number is None else explain(world, source, Endpoint(pod=pod), number, protocol)
        svc.backends.append(Backend(pod, number, reached))
    notes += [svc.mapping, SEMANTICS] if svc.backends else []
    return Answer(source.ref, dst.ref, port, protocol, notes, service=svc)
