"""The API server's write semantics over the store: metadata, conflicts, dry runs, cascades.

The HTTP routes, the controller and the demo seed all write through here.
"""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from app.sandbox import patch as patches
from app.sandbox.admission import admit
from app.sandbox.resources import BY_PLURAL, RESOURCES, ResourceType
from app.sandbox.status import (
    already_exists,
    bad_request,
    conflict,
    not_found,
    precondition_failed,
)
from app.sandbox.store import Store

Obj = dict[str, Any]
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String alphabet
SERVICE_CIDR = "192.168.0.0/16"


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store
        # Set by the controller: fills a new Pod's node, IP and status before it is stored.
        self.pod_preparer: Callable[[Obj], Obj] | None = None

    # -- reads -------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.get(rt.plural, namespace if rt.namespaced else "", name)
        if obj is None:
            raise not_found(rt, name)
        return obj

    # -- writes ------------------------------------------------------------------------------
    def create(
        self, rt: ResourceType, namespace: str, body: Any, *, dry_run: bool = False
    ) -> tuple[Obj, list[str]]:
        obj = self._check_body(rt, namespace, body)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        if rt.namespaced:
            if self.store.get("namespaces", "", namespace) is None:
                raise not_found(BY_PLURAL["namespaces"], namespace)
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        if rt.tracks_generation:
            meta["generation"] = 1
        if rt.has_status and rt.plural not in ("nodes", "namespaces"):
            obj.pop("status", None)
        obj, warnings = admit(rt, obj, None, alloc_service_ip=self._alloc_service_ip)
        name = obj["metadata"]["name"]
        if self.store.get(rt.plural, namespace if rt.namespaced else "", name) is not None:
            raise already_exists(rt, name)
        if rt.plural == "pods" and self.pod_preparer is not None and not dry_run:
            obj = self.pod_preparer(obj)
        if dry_run:
            return obj, warnings
        return self.store.put(rt.plural, obj, "ADDED"), warnings

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        dry_run: bool = False,
        subresource: str = "",
    ) -> tuple[Obj, list[str]]:
        old = self.get(rt, namespace, name)
        obj = self._check_body(rt, namespace, body)
        meta = obj["metadata"]
        if meta.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        rv = meta.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise conflict(rt, name)
        if subresource == "status":
            obj = {**copy.deepcopy(old), "status": obj.get("status")}
            meta = obj["metadata"]
        else:
            if rt.has_status:
                if "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
                else:
                    obj.pop("status", None)
            meta["name"] = name
            if rt.namespaced:
                meta["namespace"] = namespace
            for key in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
                else:
                    meta.pop(key, None)
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        obj, warnings = admit(rt, obj, old, alloc_service_ip=self._alloc_service_ip)
        meta = obj["metadata"]
        if rt.tracks_generation and obj.get("spec") != old.get("spec"):
            meta["generation"] = int(old["metadata"].get("generation") or 1) + 1
        if rt.plural == "pods" and subresource != "status":
            obj = self._keep_pod_assignment(obj, old)
        if obj == old:
            return old, warnings  # a no-op update does not bump the resourceVersion
        if dry_run:
            return obj, warnings
        return self.store.put(rt.plural, obj, "MODIFIED"), warnings

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        body: Any,
        *,
        dry_run: bool = False,
        subresource: str = "",
    ) -> tuple[Obj, list[str]]:
        old = self.get(rt, namespace, name)
        new = patches.apply(content_type, old, body)
        if not isinstance(new, dict):
            raise bad_request("the patch did not produce an object")
        new.setdefault("metadata", {})
        return self.update(rt, namespace, name, new, dry_run=dry_run, subresource=subresource)

    def delete(
        self, rt: ResourceType, namespace: str, name: str, *, dry_run: bool = False, options: Any = None
    ) -> Obj:
        old = self.get(rt, namespace, name)
        pre = (options.get("preconditions") or {}) if isinstance(options, dict) else {}
        if not isinstance(pre, dict):
            raise bad_request("the body of the request could not be decoded: preconditions must be an object")
        if pre.get("uid") and pre["uid"] != old["metadata"].get("uid"):
            raise precondition_failed(
                rt,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, "
                f"UID in object meta: {old['metadata'].get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
            raise precondition_failed(
                rt,
                name,
                "Precondition failed: ResourceVersion in precondition: "
                f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                f"{old['metadata']['resourceVersion']}",
            )
        if dry_run:
            return old
        return self.remove(rt, old)

    def remove(self, rt: ResourceType, obj: Obj) -> Obj:
        """Delete now, with its dependents (ownerReferences) and, for a Namespace, its contents."""
        meta = obj["metadata"]
        gone = self.store.remove(rt.plural, meta.get("namespace") or "", meta["name"])
        if gone is None:
            return obj
        if rt.plural == "namespaces":
            for other in RESOURCES:
                if other.namespaced:
                    for item in self.store.list(other.plural, meta["name"]):
                        self.store.remove(other.plural, meta["name"], item["metadata"]["name"])
        uid = meta.get("uid")
        for other in RESOURCES:
            for item in self.store.list(other.plural):
                if any(ref.get("uid") == uid for ref in item["metadata"].get("ownerReferences") or []):
                    self.remove(other, item)
        return gone

    def write_status(self, rt: ResourceType, obj: Obj, status: Obj) -> Obj:
        """The controller's status write: stored only when it changes something."""
        if obj.get("status") == status:
            return obj
        return self.store.put(rt.plural, {**obj, "status": status}, "MODIFIED")

    # -- helpers -----------------------------------------------------------------------------
    def _check_body(self, rt: ResourceType, namespace: str, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        obj = copy.deepcopy(body)
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind and kind != rt.kind:
            raise bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        if api_version and api_version != rt.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.api_version})"
            )
        obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
        obj = {"kind": rt.kind, "apiVersion": rt.api_version, **obj}
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        return obj

    def _keep_pod_assignment(self, obj: Obj, old: Obj) -> Obj:
        spec = obj.setdefault("spec", {})
        if (old.get("spec") or {}).get("nodeName") and not spec.get("nodeName"):
            spec["nodeName"] = old["spec"]["nodeName"]
        return obj

    def _alloc_service_ip(self) -> str:
        used = {(s.get("spec") or {}).get("clusterIP") for s in self.store.list("services")}
        net = ipaddress.ip_network(SERVICE_CIDR)
        for n, ip in enumerate(net.hosts()):
            if n >= 9 and str(ip) not in used:  # low addresses stay for kubernetes and kube-dns
                return str(ip)
        raise bad_request("the service IP range is full")
