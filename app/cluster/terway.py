"""Is NetworkPolicy enforced on this cluster, by what, and where not: Terway's facts (FACTS.md,
"Terway and ACK") read from the objects the cache holds. Pure: no calls; the reasons are ``Words``
so the pages can say them in the user's language.

- ``eni-config`` (kube-system): ``disable_network_policy`` missing, "", "false" or "0" means
  enabled; ``10-terway.conf`` (or ``.conflist``) names ``network_policy_provider`` (default
  iptables) and ``eniip_virtual_type`` (default veth).
- eBPF (Cilium) enforces with ``ipvlan`` or ``datapathv2``, or with provider ``ebpf``; iptables
  (Calico Felix) otherwise.
- Not enforced on: exclusive-ENI nodes, virtual nodes, nodes Terway ignores, and (eBPF) nodes with
  a kernel below 4.19; Terway 1.14.0 and later does not run on kernels below 5.10.
- No Terway (no ConfigMap, no DaemonSet): enforcement is unknown, which is not an error.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.policies.words import N_, Words

RECOMMENDED_MAX_POLICIES = 100
DAEMONSETS = ("terway-eniip", "terway-eni", "terway")
EXCLUSIVE_ENI_LABEL = "k8s.aliyun.com/exclusive-mode-eni-type"
IGNORE_LABEL = "k8s.aliyun.com/ignore-by-terway"
EBPF_MIN_KERNEL = (4, 19)
NEW_TERWAY = (1, 14, 0)
NEW_TERWAY_MIN_KERNEL = (5, 10)
_DISABLED_OFF = ("", "false", "0")
_UNREADABLE = N_(
    "The console may not read the ConfigMap kube-system/eni-config, so whether network policies are "
    "enforced is unknown."
)
_NO_TERWAY = N_(
    "No Terway ConfigMap (kube-system/eni-config) was found: whether network policies are enforced depends on "
    "the cluster's network plug-in."
)


@dataclass(frozen=True)
class NodeFacts:
    name: str
    labels: Mapping[str, str]
    kernel: str = ""


@dataclass(frozen=True)
class Unenforced:
    node: str
    reason: Words


@dataclass(frozen=True)
class Enforcement:
    """``state``: ``enabled``, ``disabled`` or ``unknown`` (no Terway found)."""

    state: str
    why: Words
    provider: str | None = None  # "ebpf" or "iptables", as eni-config says
    implementation: str | None = None  # "eBPF" or "iptables"
    datapath: str | None = None  # eniip_virtual_type: "veth", "ipvlan", "datapathv2"
    terway_version: str | None = None
    unenforced: tuple[Unenforced, ...] = ()
    policy_count: int = 0
    recommended_max: int = RECOMMENDED_MAX_POLICIES
    nodes_known: bool = True  # False: the console may not read the nodes, so per node is unknown
    # The in-cluster ranges the cluster's ConfigMaps declare (``in_cluster_ranges`` without pod or
    # Service addresses): under eBPF an ipBlock over them does not match pods.
    in_cluster_ranges: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool | None:
        return None if self.state == "unknown" else self.state == "enabled"

    def as_dict(self) -> dict[str, Any]:
        """The API's ``networkPolicy`` object."""
        return {
            "enabled": self.enabled,
            "state": self.state,
            "provider": self.provider,
            "implementation": self.implementation,
            "terwayVersion": self.terway_version,
            "datapath": self.datapath,
            "why": str(self.why),
            # null: the console may not read the nodes, so where policies are not enforced is unknown
            "unenforcedNodes": [{"name": u.node, "reason": str(u.reason)} for u in self.unenforced]
            if self.nodes_known
            else None,
            "policyCount": self.policy_count,
            "recommendedMax": self.recommended_max,
            "inClusterRanges": list(self.in_cluster_ranges),
        }


def _numbers(text: str, count: int) -> tuple[int, ...] | None:
    found = re.match(r"v?(\d+(?:\.\d+)*)", text.strip())
    if not found:
        return None
    parts = tuple(int(p) for p in found.group(1).split(".")[:count])
    return parts + (0,) * (count - len(parts))


def kernel_version(kernel: str) -> tuple[int, ...] | None:
    """(5, 10) of "5.10.134-16.al8.x86_64"; None when unreadable."""
    return _numbers(kernel, 2)


def terway_version(daemonsets: Iterable[Mapping[str, Any]]) -> str | None:
    """The image tag of the ``terway`` container of Terway's DaemonSet, e.g. "v1.9.0.0-gabc"."""
    for ds in daemonsets:
        if (ds.get("metadata") or {}).get("name") not in DAEMONSETS:
            continue
        containers = ((((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
        for container in containers:
            image = str(container.get("image") or "")
            if container.get("name") == "terway" and ":" in image.rsplit("/", 1)[-1]:
                return image.rsplit("/", 1)[-1].split(":", 1)[1].split("@", 1)[0]
    return None


def _cni_config(data: Mapping[str, str]) -> dict[str, Any]:
    """The terway plugin's settings from ``10-terway.conf`` (or the terway entry of a conflist)."""
    for key in ("10-terway.conf", "10-terway.conflist"):
        try:
            parsed = json.loads(data.get(key) or "{}")
        except ValueError:
            continue
        if not isinstance(parsed, dict):
            continue
        plugins = parsed.get("plugins")
        if isinstance(plugins, list):
            parsed = next((p for p in plugins if isinstance(p, dict) and p.get("type") == "terway"), {})
        if parsed:
            return parsed
    return {}


def assess(
    config: Mapping[str, str] | None,
    daemonsets: Iterable[Mapping[str, Any]],
    nodes: Iterable[NodeFacts] | None,
    policy_count: int = 0,
    *,
    config_readable: bool = True,
) -> Enforcement:
    """The cluster's enforcement from eni-config's data (None: no such ConfigMap), the DaemonSets of
    kube-system and the nodes (None: they may not be read, so per node enforcement is unknown).
    ``config_readable`` False: the console may not read eni-config, so enforcement is unknown."""
    version = terway_version(list(daemonsets))
    if not config_readable:
        return Enforcement("unknown", Words(_UNREADABLE), terway_version=version, policy_count=policy_count,
                           nodes_known=nodes is not None)  # fmt: skip
    if config is None:
        why = Words(_NO_TERWAY)
        if version is not None:
            why = Words(N_("Terway {version} runs, but its ConfigMap kube-system/eni-config was not found."),
                        version=version)
        return Enforcement("unknown", why, terway_version=version, policy_count=policy_count,
                           nodes_known=nodes is not None)  # fmt: skip
    switch = str(config.get("disable_network_policy", "")).strip().lower()
    cni = _cni_config(config)
    provider = str(cni.get("network_policy_provider") or "iptables").lower()
    datapath = str(cni.get("eniip_virtual_type") or "veth").lower()
    if switch not in _DISABLED_OFF:
        why = Words("Network policies are disabled: eni-config sets disable_network_policy to {value}.", value=switch)
        return Enforcement("disabled", why, provider, None, datapath, version, (), policy_count,
                           nodes_known=nodes is not None)  # fmt: skip
    if datapath in ("ipvlan", "datapathv2"):
        implementation = "eBPF"
        why = Words("Enforced with eBPF (Cilium): the data path is {datapath}.", datapath=datapath)
    elif provider == "ebpf":
        implementation = "eBPF"
        why = Words("Enforced with eBPF (Cilium): network_policy_provider is ebpf.")
    else:
        implementation = "iptables"
        why = Words("Enforced with iptables (Calico Felix): the data path is veth and the provider is not eBPF.")
    found = (_unenforced(n, implementation, version) for n in nodes or ())
    unenforced = tuple(u for u in found if u is not None)
    return Enforcement("enabled", why, provider, implementation, datapath, version, unenforced, policy_count,
                       nodes_known=nodes is not None)  # fmt: skip


def _unenforced(node: NodeFacts, implementation: str, version: str | None) -> Unenforced | None:
    labels = node.labels
    if str(labels.get(EXCLUSIVE_ENI_LABEL, "")).lower() == "enionly":
        return Unenforced(node.name, Words("exclusive ENI node: Terway does not enforce network policies on it"))
    if labels.get("type") == "virtual-kubelet":
        return Unenforced(node.name, Words("virtual node: no Terway agent runs on it"))
    if labels.get(IGNORE_LABEL) == "true":
        return Unenforced(node.name, Words("ignored by Terway ({label}=true)", label=IGNORE_LABEL))
    kernel = kernel_version(node.kernel)
    terway = _numbers(version, 3) if version else None
    if kernel is not None and terway is not None and terway >= NEW_TERWAY and kernel < NEW_TERWAY_MIN_KERNEL:
        return Unenforced(node.name, Words(
            "kernel {kernel} is below 5.10, which Terway 1.14.0 and later requires", kernel=node.kernel))  # fmt: skip
    if implementation == "eBPF" and kernel is not None and kernel < EBPF_MIN_KERNEL:
        return Unenforced(node.name, Words(
            "kernel {kernel} is below 4.19: eBPF policies are not enforced on it", kernel=node.kernel))  # fmt: skip
    return None


def switch_patch(enable: bool) -> dict[str, Any]:
    """The merge patch of eni-config that turns network policies on or off."""
    return {"data": {"disable_network_policy": "false" if enable else "true"}}


def switch_consequences(current: Enforcement, enable: bool) -> tuple[Words, ...]:
    """What turning network policies on (or off) does, in words, for the review step (FACTS.md:
    existing nodes keep their behaviour until restarted or replaced)."""
    if not enable:
        return (
            Words(N_("Terway stops enforcing network policies: the policies stay stored, but traffic they deny is no "
                     "longer blocked.")),  # fmt: skip
            Words(N_("eni-config's disable_network_policy is set to true.")),
        )
    out = [
        Words(N_("eni-config's disable_network_policy is set to false: Terway enforces network policies.")),
        Words(N_("Existing nodes without DataPath V2 keep their old behaviour until they are restarted or replaced: "
                 "restart or replace them for policies to be enforced there.")),  # fmt: skip
    ]
    if current.provider == "ebpf" and current.datapath == "veth":
        out.append(Words(N_("The eBPF provider on veth turns on DataPath V2 on the nodes that start with it.")))
    return tuple(out)


TERWAY_NAMESPACE = "kube-system"
TERWAY_CONFIGMAP = "eni-config"
# The ConfigMaps (in kube-system) the in-cluster address ranges are also read from (FACTS.md).
ACK_PROFILE = "ack-cluster-profile"
KUBE_PROXY_CONFIGMAP = "kube-proxy-worker"
RANGE_CONFIGMAPS = (ACK_PROFILE, KUBE_PROXY_CONFIGMAP)


def _networks(text: object) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for part in re.split(r"[,\s]+", str(text or "")):
        try:
            out.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue
    return out


def in_cluster_ranges(
    eni_config: Mapping[str, str] | None,
    profile: Mapping[str, str] | None = None,
    kube_proxy: Mapping[str, str] | None = None,
    addresses: Iterable[str] = (),
) -> tuple[str, ...]:
    """The cluster's in-cluster address ranges (FACTS.md): eni-config's ``eni_conf.service_cidr``,
    ack-cluster-profile's ``serviceCIDR``, kube-proxy-worker's ``clusterCIDR``; then, as a
    fallback, each of ``addresses`` (pod IPs, ClusterIPs) that no range learnt covers, as a host
    range. Sorted, collapsed, IPv4 first."""
    found: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    try:
        conf = json.loads((eni_config or {}).get("eni_conf") or "{}")
    except ValueError:
        conf = {}
    if isinstance(conf, dict):
        found += _networks(conf.get("service_cidr"))
    found += _networks((profile or {}).get("serviceCIDR"))
    for text in (kube_proxy or {}).values():
        for match in re.finditer(r"clusterCIDR:\s*[\"']?([0-9a-fA-F.:/,]+)", str(text)):
            found += _networks(match.group(1))
    learnt = list(found)  # an address is checked against these, not against each host range added
    hosts: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for text in addresses:
        try:
            ip = ipaddress.ip_address(str(text).strip())
        except ValueError:
            continue
        if ip not in hosts and not any(ip in net for net in learnt if net.version == ip.version):
            hosts.add(ip)
            found.append(ipaddress.ip_network(ip))
    v4 = ipaddress.collapse_addresses(n for n in found if isinstance(n, ipaddress.IPv4Network))
    v6 = ipaddress.collapse_addresses(n for n in found if isinstance(n, ipaddress.IPv6Network))
    return tuple(str(n) for n in [*v4, *v6])
