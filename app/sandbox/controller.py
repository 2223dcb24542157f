"""A small controller: workloads own Pods, Pods get a node, an IP and ``Running``.

It reacts to the store's events synchronously, one at a time (events raised while it works are
queued), so every write leaves the sandbox converged before the next request is served.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
from typing import Any

from app.policies.model import LabelSelector
from app.policies.selectors import selector_matches
from app.sandbox.registry import Obj, Registry, now_rfc3339, random_suffix
from app.sandbox.resources import BY_PLURAL
from app.sandbox.status import StatusError
from app.sandbox.store import Event

log = logging.getLogger(__name__)

WORKLOADS = ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs")
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Any) -> str:
    """A pod-template-hash the way upstream spells it: FNV-32a, its decimal digits safe-encoded."""
    h = 0x811C9DC5
    for b in json.dumps(template, sort_keys=True).encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "".join(_ALPHABET[int(c) % len(_ALPHABET)] for c in str(h))


def count(spec: Any, key: str, default: int = 1) -> int:
    """A workload's ``spec.<key>`` count; unset, null or not a number reads as ``default``, as
    upstream's defaulting makes it (admission rejects bad values; old data may still hold them)."""
    value = spec.get(key) if isinstance(spec, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(int(value), 0)


class Controller:
    def __init__(self, registry: Registry, pod_cidr: str) -> None:
        self.registry, self.store = registry, registry.store
        self.network = ipaddress.ip_network(pod_cidr, strict=False)
        self._cursor = 0
        self._node_turn = 0
        self._pending: list[Event] = []
        self._busy = False
        registry.pod_preparer = self.prepare_pod
        self.store.listeners.append(self.on_event)

    # -- events ------------------------------------------------------------------------------
    def on_event(self, ev: Event) -> None:
        self._pending.append(ev)
        if self._busy:
            return
        self._busy = True
        try:
            while self._pending:
                ev = self._pending.pop(0)
                try:
                    self._handle(ev)
                except Exception:  # a controller bug must never fail the write that was stored
                    log.exception("sandbox controller: %s %s/%s failed", ev.type, ev.resource, _key(ev.obj))
        finally:
            self._busy = False

    def resync(self) -> None:
        """Converge every workload (at start, e.g. after the data dir was edited or restored)."""
        for plural in WORKLOADS:
            for obj in self.store.list(plural):
                self._try_reconcile(plural, obj["metadata"]["namespace"], obj["metadata"]["name"])

    def _try_reconcile(self, plural: str, namespace: str, name: str) -> None:
        """``reconcile``, a failure logged: one bad object never stops the others, a stored write
        or the sandbox's start."""
        try:
            self.reconcile(plural, namespace, name)
        except Exception:
            log.exception("sandbox controller: reconcile of %s %s/%s failed", plural, namespace, name)

    def _handle(self, ev: Event) -> None:
        meta = ev.obj["metadata"]
        if ev.resource in WORKLOADS and ev.type != "DELETED":
            self._try_reconcile(ev.resource, meta["namespace"], meta["name"])
        if ev.resource in ("pods", "jobs"):
            for ref in meta.get("ownerReferences") or []:
                owner = BY_PLURAL.get(ref.get("kind", "").lower() + "s")
                if owner is not None and owner.plural in WORKLOADS:
                    self._try_reconcile(owner.plural, meta["namespace"], ref["name"])
        elif ev.resource == "nodes":
            for ds in self.store.list("daemonsets"):
                self._try_reconcile("daemonsets", ds["metadata"]["namespace"], ds["metadata"]["name"])

    # -- reconcile ---------------------------------------------------------------------------
    def reconcile(self, plural: str, namespace: str, name: str) -> None:
        obj = self.store.get(plural, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return
        if plural == "cronjobs":
            self._cronjob(obj)
            return
        spec = obj.get("spec") or {}
        if not isinstance(spec, dict):
            return
        template = spec.get("template") or {}
        thash = template_hash(template)
        owned = self._owned("pods", obj)
        want: list[tuple[str, dict[str, str], str]] = []  # (name, extra labels, node)
        if plural == "deployments":
            current = [p for p in owned if p["metadata"].get("labels", {}).get("pod-template-hash") == thash]
            replicas = count(spec, "replicas")
            keep = current[:replicas]
            names = [p["metadata"]["name"] for p in keep]
            names += [f"{name}-{thash}-{random_suffix()}" for _ in range(replicas - len(keep))]
            want = [(n, {"pod-template-hash": thash}, "") for n in names]
        elif plural == "statefulsets":
            want = [
                (
                    f"{name}-{i}",
                    {
                        "controller-revision-hash": f"{name}-{thash}",
                        "statefulset.kubernetes.io/pod-name": f"{name}-{i}",
                        "apps.kubernetes.io/pod-index": str(i),
                    },
                    "",
                )
                for i in range(count(spec, "replicas"))
            ]
        elif plural == "daemonsets":
            by_node = {
                p["spec"].get("nodeName"): p
                for p in owned
                if p["metadata"].get("labels", {}).get("controller-revision-hash") == thash
            }
            for node in self._eligible_nodes(template):
                pod = by_node.get(node)
                pod_name = pod["metadata"]["name"] if pod else f"{name}-{random_suffix()}"
                want.append(
                    (
                        pod_name,
                        {
                            "controller-revision-hash": thash,
                            "pod-template-generation": str(obj["metadata"].get("generation", 1)),
                        },
                        node,
                    )
                )
        elif plural == "jobs":
            n_pods = min(count(spec, "parallelism"), count(spec, "completions") or 1)
            uid = obj["metadata"]["uid"]
            job_labels = {
                "job-name": name,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "batch.kubernetes.io/controller-uid": uid,
            }
            keep = owned[:n_pods]
            names = [p["metadata"]["name"] for p in keep]
            names += [f"{name}-{random_suffix()}" for _ in range(n_pods - len(keep))]
            want = [(n, job_labels, "") for n in names]
        wanted = {n for n, _, _ in want}
        for pod in owned:
            labels = pod["metadata"].get("labels") or {}
            stale = plural in ("statefulsets", "daemonsets") and labels.get(
                "controller-revision-hash"
            ) not in (thash, f"{name}-{thash}")
            if pod["metadata"]["name"] not in wanted or stale:
                self.registry.remove(BY_PLURAL["pods"], pod)
        existing = {p["metadata"]["name"] for p in self._owned("pods", obj)}
        for pod_name, extra, node in want:
            if pod_name not in existing:
                self._create_pod(obj, template, pod_name, extra, node)
        self._write_status(plural, namespace, name)

    def _owned(self, plural: str, owner: Obj) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        return [
            o
            for o in self.store.list(plural, owner["metadata"]["namespace"])
            if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])
        ]

    def _eligible_nodes(self, template: Obj) -> list[str]:
        """Nodes matching the template's nodeSelector and required node affinity (virtual nodes never)."""
        spec = template.get("spec") or {}
        selector = spec.get("nodeSelector") or {}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or {}
        terms = [
            LabelSelector.model_validate({"matchExpressions": t.get("matchExpressions") or []})
            for t in required.get("nodeSelectorTerms") or []
        ]
        out = []
        for node in self.store.list("nodes"):
            labels = node["metadata"].get("labels") or {}
            if labels.get("type") == "virtual-kubelet":
                continue
            if not selector_matches(LabelSelector(match_labels=selector), labels):
                continue
            if terms and not any(selector_matches(t, labels) for t in terms):
                continue
            out.append(node["metadata"]["name"])
        return out

    @staticmethod
    def _owner_ref(owner: Obj) -> dict[str, Any]:
        return {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def _create_pod(self, owner: Obj, template: Obj, name: str, extra: dict[str, str], node: str) -> None:
        tmeta = template.get("metadata") or {}
        meta: dict[str, Any] = {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(tmeta.get("labels") or {}), **extra},
            "ownerReferences": [self._owner_ref(owner)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        spec = copy.deepcopy(template.get("spec") or {})
        if node:
            spec["nodeName"] = node
        if owner["kind"] == "StatefulSet":
            spec.setdefault("hostname", name)
        try:
            self.registry.create(
                BY_PLURAL["pods"],
                owner["metadata"]["namespace"],
                {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec},
            )
        except StatusError:
            pass  # e.g. an invalid template: like upstream, the workload simply has no pod

    def _cronjob(self, cj: Obj) -> None:
        spec = cj.get("spec") or {}
        jobs = self._owned("jobs", cj)
        if not jobs and not spec.get("suspend"):
            job_tmpl = spec.get("jobTemplate") or {}
            stamp = now_rfc3339()
            import datetime as dt

            minutes = int(dt.datetime.now(dt.UTC).timestamp() // 60)
            meta = {
                "name": f"{cj['metadata']['name']}-{minutes}",
                "namespace": cj["metadata"]["namespace"],
                "labels": dict((job_tmpl.get("metadata") or {}).get("labels") or {}),
                "ownerReferences": [self._owner_ref(cj)],
            }
            try:
                job, _ = self.registry.create(
                    BY_PLURAL["jobs"],
                    cj["metadata"]["namespace"],
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "metadata": meta,
                        "spec": copy.deepcopy(job_tmpl.get("spec") or {}),
                    },
                )
            except StatusError:
                return
            jobs = [job]
            status: dict[str, Any] = {"lastScheduleTime": stamp}
        else:
            status = {k: v for k, v in (cj.get("status") or {}).items() if k == "lastScheduleTime"}
        if jobs:
            status["active"] = [
                {
                    "kind": "Job",
                    "namespace": j["metadata"]["namespace"],
                    "name": j["metadata"]["name"],
                    "uid": j["metadata"]["uid"],
                    "apiVersion": "batch/v1",
                    "resourceVersion": j["metadata"]["resourceVersion"],
                }
                for j in jobs
            ]
        current = self.store.get("cronjobs", cj["metadata"]["namespace"], cj["metadata"]["name"])
        if current is not None:
            self.registry.write_status(BY_PLURAL["cronjobs"], current, status)

    def _write_status(self, plural: str, namespace: str, name: str) -> None:
        obj = self.store.get(plural, namespace, name)
        if obj is None:
            return
        pods = self._owned("pods", obj)
        n = len(pods)
        ready = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
        gen = obj["metadata"].get("generation", 1)
        status: dict[str, Any]
        if plural == "deployments":
            status = {
                "observedGeneration": gen,
                "replicas": n,
                "updatedReplicas": n,
                "readyReplicas": ready,
                "availableReplicas": ready,
            }
            status["conditions"] = [
                {
                    "type": "Available",
                    "status": "True" if ready >= count(obj["spec"], "replicas") else "False",
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{name}" has successfully progressed.',
                },
            ]
        elif plural == "statefulsets":
            status = {
                "observedGeneration": gen,
                "replicas": n,
                "readyReplicas": ready,
                "currentReplicas": n,
                "updatedReplicas": n,
                "availableReplicas": ready,
            }
        elif plural == "daemonsets":
            status = {
                "observedGeneration": gen,
                "currentNumberScheduled": n,
                "desiredNumberScheduled": n,
                "numberMisscheduled": 0,
                "numberReady": ready,
                "numberAvailable": ready,
                "updatedNumberScheduled": n,
            }
        else:  # jobs
            old = obj.get("status") or {}
            status = {"active": n, "ready": ready, "startTime": old.get("startTime") or now_rfc3339()}
            if n == 0:
                status.pop("active")
        old_status = obj.get("status") or {}
        for cond in status.get("conditions", []):
            prev = next((c for c in old_status.get("conditions", []) if c.get("type") == cond["type"]), None)
            stamp = (
                prev["lastTransitionTime"] if prev and prev.get("status") == cond["status"] else now_rfc3339()
            )
            cond["lastTransitionTime"] = cond["lastUpdateTime"] = stamp
        self.registry.write_status(BY_PLURAL[plural], obj, status)

    # -- pods --------------------------------------------------------------------------------
    def prepare_pod(self, pod: Obj) -> Obj:
        """A new Pod's node, IP and Running status (called by the registry before storing it)."""
        spec = pod.setdefault("spec", {})
        nodes = {n["metadata"]["name"]: n for n in self.store.list("nodes")}
        if not spec.get("nodeName") and nodes:
            names = sorted(nodes)
            spec["nodeName"] = names[self._node_turn % len(names)]
            self._node_turn += 1
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        node = nodes.get(spec.get("nodeName") or "")
        host_ip = ""
        for addr in ((node or {}).get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                host_ip = addr["address"]
        pod_ip = host_ip if spec.get("hostNetwork") and host_ip else self.allocate_ip()
        now = now_rfc3339()
        conditions = [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
        ]
        statuses = [
            {
                "name": c.get("name", ""),
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            }
            for c in spec.get("containers") or []
        ]
        pod["status"] = {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}] if host_ip else [],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        }
        return pod

    def allocate_ip(self) -> str:
        """The next free address of the pod CIDR; an address in use is never handed out twice."""
        used = {(p.get("status") or {}).get("podIP") for p in self.store.list("pods")}
        size = self.network.num_addresses
        first = int(self.network.network_address)
        for step in range(size):
            offset = (self._cursor + step) % size
            if offset < 2 or offset == size - 1:
                continue  # the network, the gateway and the broadcast address
            ip = str(ipaddress.ip_address(first + offset))
            if ip not in used:
                self._cursor = offset + 1
                return ip
        raise StatusError(500, "InternalError", f"no free pod IP left in {self.network}")


def _key(obj: Any) -> str:
    meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
