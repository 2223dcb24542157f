"""The offline CLI on a large file: a synthetic world (app/bench/synthetic.py) written as one YAML
stream of Namespaces, Pods (as ``kubectl get pods -o yaml`` shows them, status and all) and
NetworkPolicies, then read back as ``netpol-console matrix FILE`` reads it, with the time to parse
the text and the time for the matrix told apart (``bench_file``)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.bench.synthetic import synthetic_world
from app.policies.documents import Namespace, Pod, classify, parse_documents
from app.policies.matrix import matrix
from app.policies.reachability import World
from app.policies.text import yaml_loader

FILE_GOAL_RATIO = 3.0  # the matrix within three times the time to parse its file


def _namespace(ns: Namespace) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": dict(ns.labels)},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}  # fmt: skip


def _pod(pod: Pod, i: int) -> dict[str, Any]:
    """A Pod as the API server returns it: what a file saved from ``kubectl get -o yaml`` holds."""
    started = "2026-01-01T00:00:00Z"
    app = pod.labels.get("app", "app")
    image = f"registry.example.com/{app}:1.{i % 7}.0"
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    conditions = [{"lastProbeTime": None, "lastTransitionTime": started, "status": "True", "type": kind}
                  for kind in kinds]  # fmt: skip
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "namespace": pod.namespace,
            "labels": {**pod.labels, "pod-template-hash": f"{i:08x}"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": started},
            "creationTimestamp": started,
            "generateName": f"{app}-{i:08x}-",
            "resourceVersion": str(100000 + i),
            "uid": f"00000000-0000-4000-8000-{i:012d}",
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                                 "kind": "ReplicaSet", "name": f"{app}-{i:08x}",
                                 "uid": f"10000000-0000-4000-8000-{i:012d}"}],  # fmt: skip
        },
        "spec": {
            "containers": [{
                "name": app,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"name": name, "containerPort": number, "protocol": protocol}
                          for name, (number, protocol) in pod.named_ports.items()],
                "env": [{"name": "LOG_LEVEL", "value": "info"},
                        {"name": "POD_NAME",
                         "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                   "periodSeconds": 10, "failureThreshold": 3, "successThreshold": 1,
                                   "timeoutSeconds": 1},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                  "name": "kube-api-access", "readOnly": True}],
            }],  # fmt: skip
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": f"node-{i % 20}",
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": f"node.kubernetes.io/{key}", "operator": "Exists",
                             "tolerationSeconds": 300} for key in ("not-ready", "unreachable")],  # fmt: skip
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}],
                               "name": "kube-root-ca.crt"}}]}}],  # fmt: skip
        },
        "status": {
            "conditions": conditions,
            "containerStatuses": [{"containerID": f"containerd://{i:064x}", "image": image, "imageID": image,
                                   "lastState": {}, "name": app, "ready": True, "restartCount": 0, "started": True,
                                   "state": {"running": {"startedAt": started}}}],  # fmt: skip
            "hostIP": f"192.168.0.{i % 20}",
            "phase": "Running",
            "podIP": pod.pod_ip,
            "podIPs": [{"ip": pod.pod_ip}],
            "qosClass": "Burstable",
            "startTime": started,
        },
    }


def world_yaml(pods: int = 600, namespaces: int = 20, policies: int = 150, seed: int = 1) -> str:
    """The synthetic world as one YAML stream: Namespaces, then Pods, then NetworkPolicies."""
    ns_list, pod_list, pol_list = synthetic_world(pods, namespaces, policies, seed)
    docs = [_namespace(ns) for ns in ns_list] + [_pod(p, i) for i, p in enumerate(pod_list)]
    docs += [p.to_dict() for p in pol_list]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(docs, Dumper=dumper, sort_keys=False, default_flow_style=False)


@dataclass
class FileBenchResult:
    path: str
    size: int
    loader: str
    pods: int
    policies: int
    parse_seconds: float
    build_seconds: float
    matrix_seconds: float
    goal_ratio: float = FILE_GOAL_RATIO

    @property
    def ratio(self) -> float:
        """The whole command (parse, world and matrix) over the parse alone."""
        return (self.parse_seconds + self.build_seconds + self.matrix_seconds) / max(self.parse_seconds, 1e-9)

    @property
    def within_goal(self) -> bool:
        return self.ratio <= self.goal_ratio

    def line(self) -> str:
        verdict = "met" if self.within_goal else "MISSED"
        return (
            f"{self.path} ({self.size / 1e6:.1f} MB, {self.pods} pods, {self.policies} policies, "
            f"{self.loader} loader): parse {self.parse_seconds:.3f} s, world {self.build_seconds:.3f} s, "
            f"matrix {self.matrix_seconds:.3f} s; whole {self.ratio:.1f}x the parse "
            f"(goal {self.goal_ratio:.0f}x: {verdict})"
        )


def bench_file(path: str, port: int | str = 80, protocol: str = "TCP") -> FileBenchResult:
    """Time what ``netpol-console matrix PATH`` does: parse the file, build the world, the matrix."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    t0 = time.perf_counter()
    objects = parse_documents(text, path)
    t1 = time.perf_counter()
    world = World.from_documents(classify(objects))
    t2 = time.perf_counter()
    matrix(world, port, protocol)
    t3 = time.perf_counter()
    return FileBenchResult(path, len(text.encode()), yaml_loader().__name__, len(world.pods), len(world.policies),
                           t1 - t0, t2 - t1, t3 - t2)  # fmt: skip


def bench_synthetic_file(pods: int = 600, namespaces: int = 20, policies: int = 150, seed: int = 1,
                         port: int | str = 80) -> FileBenchResult:  # fmt: skip
    """``bench_file`` on a file of ``world_yaml(...)``, written to a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="netpol-file-bench-") as work:
        path = Path(work) / f"world-{pods}-pods.yaml"
        path.write_text(world_yaml(pods, namespaces, policies, seed), encoding="utf-8")
        return bench_file(str(path), port)
