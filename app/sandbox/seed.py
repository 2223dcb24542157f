"""The demo a fresh sandbox starts with: the story of ACK's network-policy page.

nginx and busybox in ``default``, an empty ``test-np``, Terway (eBPF provider, veth) and CoreDNS
in ``kube-system``, and nodes of which one runs an old kernel and one is an exclusive-ENI node.
"""

from __future__ import annotations

import json
from typing import Any

from app.sandbox.registry import Registry
from app.sandbox.resources import BY_PLURAL
from app.sandbox.status import StatusError

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
TERWAY_VERSION = "v1.9.3"

_NODES = [
    # (name, zone, InternalIP, kernel, exclusive ENI)
    ("cn-hangzhou.10.0.1.11", "cn-hangzhou-h", "10.0.1.11", "5.10.134-16.3.al8.x86_64", False),
    ("cn-hangzhou.10.0.2.12", "cn-hangzhou-i", "10.0.2.12", "5.10.134-16.3.al8.x86_64", False),
    ("cn-hangzhou.10.0.3.13", "cn-hangzhou-j", "10.0.3.13", "4.18.0-348.7.1.el8_5.x86_64", False),
    ("cn-hangzhou.10.0.4.14", "cn-hangzhou-k", "10.0.4.14", "5.10.134-16.3.al8.x86_64", True),
]


def _node(name: str, zone: str, ip: str, kernel: str, exclusive: bool) -> dict[str, Any]:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/region": "cn-hangzhou",
        "topology.kubernetes.io/zone": zone,
        "node.kubernetes.io/instance-type": "ecs.g7.xlarge",
        "alibabacloud.com/nodepool-id": "np-demo",
    }
    if exclusive:
        labels["k8s.aliyun.com/exclusive-mode-eni-type"] = "eniOnly"
        labels["alibabacloud.com/nodepool-id"] = "np-exclusive-eni"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": f"cn-hangzhou.i-demo{ip.replace('.', '')}"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "nodeInfo": {
                "kernelVersion": kernel,
                "osImage": "Alibaba Cloud Linux 3 (Soaring Falcon)",
                "containerRuntimeVersion": "containerd://1.6.28",
                "kubeletVersion": "v1.31.1-aliyun.1",
                "kubeProxyVersion": "v1.31.1-aliyun.1",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
            "capacity": {"cpu": "4", "memory": "15944768Ki", "pods": "64"},
            "allocatable": {"cpu": "3900m", "memory": "12820544Ki", "pods": "64"},
        },
    }


def _deployment(
    name: str, ns: str, labels: dict[str, str], containers: list[dict[str, Any]], replicas: int = 1
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
        },
    }


def _service(
    name: str, ns: str, selector: dict[str, str], ports: list[dict[str, Any]], cluster_ip: str | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "ClusterIP", "selector": selector, "ports": ports}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": dict(selector)},
        "spec": spec,
    }


def _eni_config() -> dict[str, Any]:
    terway_conf = {
        "cniVersion": "0.4.0",
        "name": "terway",
        "type": "terway",
        "eniip_virtual_type": "veth",
        "network_policy_provider": "ebpf",
    }
    eni_conf = {
        "version": "1",
        "max_pool_size": 5,
        "min_pool_size": 0,
        "credential_path": "/var/addon/token-config",
        "vswitches": {
            "cn-hangzhou-h": ["vsw-demo0001"],
            "cn-hangzhou-i": ["vsw-demo0002"],
            "cn-hangzhou-j": ["vsw-demo0003"],
            "cn-hangzhou-k": ["vsw-demo0004"],
        },
        "eni_tags": {"ack.aliyun.com": "c-demo"},
        "service_cidr": "192.168.0.0/16",
        "security_group": "sg-demo0001",
        "vswitch_selection_policy": "ordered",
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "eni-config", "namespace": "kube-system"},
        "data": {
            "disable_network_policy": "false",
            "10-terway.conf": json.dumps(terway_conf, indent=2),
            "eni_conf": json.dumps(eni_conf, indent=2),
        },
    }


def _terway() -> dict[str, Any]:
    labels = {"app": "terway-eniip"}
    image = "registry-cn-hangzhou.ack.aliyuncs.com/acs"
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "terway-eniip", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "hostNetwork": True,
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "k8s.aliyun.com/exclusive-mode-eni-type",
                                                "operator": "NotIn",
                                                "values": ["eniOnly"],
                                            },
                                            {
                                                "key": "type",
                                                "operator": "NotIn",
                                                "values": ["virtual-kubelet"],
                                            },
                                        ]
                                    }
                                ]
                            }
                        }
                    },
                    "serviceAccountName": "terway",
                    "priorityClassName": "system-node-critical",
                    "containers": [
                        {"name": "terway", "image": f"{image}/terway:{TERWAY_VERSION}"},
                        {
                            "name": "policy",
                            "image": f"{image}/terway:{TERWAY_VERSION}",
                            "command": ["/bin/policyinit.sh"],
                        },
                    ],
                },
            },
        },
    }


def system_objects() -> list[tuple[str, str, dict[str, Any]]]:
    """(plural, namespace, object) every sandbox has, seeded or not: the built-in namespaces."""
    return [("namespaces", "", {"metadata": {"name": n}}) for n in SYSTEM_NAMESPACES]


def demo_objects() -> list[tuple[str, str, dict[str, Any]]]:
    objs: list[tuple[str, str, dict[str, Any]]] = [("namespaces", "", {"metadata": {"name": "test-np"}})]
    objs += [("nodes", "", _node(*n)) for n in _NODES]
    objs += [
        ("configmaps", "kube-system", _eni_config()),
        ("daemonsets", "kube-system", _terway()),
        (
            "deployments",
            "kube-system",
            _deployment(
                "coredns",
                "kube-system",
                {"k8s-app": "kube-dns"},
                [
                    {
                        "name": "coredns",
                        "image": "registry-cn-hangzhou.ack.aliyuncs.com/acs/coredns:v1.11.3",
                        "ports": [
                            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                            {"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
                        ],
                    }
                ],
                replicas=2,
            ),
        ),
        (
            "services",
            "kube-system",
            _service(
                "kube-dns",
                "kube-system",
                {"k8s-app": "kube-dns"},
                [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                ],
                cluster_ip="192.168.0.10",
            ),
        ),
        (
            "deployments",
            "default",
            _deployment(
                "nginx",
                "default",
                {"app": "nginx"},
                [
                    {
                        "name": "nginx",
                        "image": "nginx:latest",
                        "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            "services",
            "default",
            _service(
                "nginx",
                "default",
                {"app": "nginx"},
                [{"name": "nginx", "port": 80, "protocol": "TCP", "targetPort": 80}],
            ),
        ),
        (
            "deployments",
            "default",
            _deployment(
                "busybox",
                "default",
                {"app": "busybox"},
                [{"name": "busybox", "image": "busybox:latest", "command": ["sleep", "360000"]}],
            ),
        ),
        (
            "services",
            "default",
            _service(
                "kubernetes",
                "default",
                {},
                [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                cluster_ip="192.168.0.1",
            ),
        ),
    ]
    objs[-1][2]["spec"].pop("selector")
    objs[-1][2]["metadata"]["labels"] = {"component": "apiserver", "provider": "kubernetes"}
    return objs


def seed(registry: Registry, *, demo: bool) -> None:
    """Create what is missing; called on a fresh data dir."""
    items = system_objects() + (demo_objects() if demo else [])
    for plural, ns, obj in items:
        rt = BY_PLURAL[plural]
        try:
            registry.create(rt, ns, obj)
        except StatusError as exc:
            if exc.reason != "AlreadyExists":
                raise
