"""Turning NetworkPolicy enforcement on or off for a cluster, one rule for pages and API:

* only admins may (the operator role edits policies; this changes what every policy means);
* it is a merge patch of ``disable_network_policy`` in Terway's ConfigMap kube-system/eni-config
  through the API server (as the person, with ``NETPOL_IMPERSONATE``), nothing else;
* it is audited as every cluster write is (``app.audit.service.audited_write``): the intent with
  the value before and the patch, then the value the server stored, or its refusal.

What it means for the nodes is said before, by ``app.cluster.terway.switch_consequences``.
"""

from __future__ import annotations

from app.audit.service import Change, audited_write
from app.cluster.client import Cluster
from app.cluster.terway import TERWAY_CONFIGMAP, TERWAY_NAMESPACE, switch_patch
from app.editing.service import Writer
from app.errors import Forbidden
from app.policies.words import Words


async def set_enforcement(cluster: Cluster, enable: bool, *, writer: Writer) -> None:
    if not writer.user.has_role("admin"):
        raise Forbidden(Words("User {user} may not turn network policies on or off: the admin role is required",
                              user=writer.name))  # fmt: skip
    before = {"data": {"disable_network_policy": (cluster.cache.terway_config() or {}).get("disable_network_policy")}}
    patch = switch_patch(enable)
    change = Change(writer.name, writer.via, cluster.name, TERWAY_NAMESPACE, "ConfigMap", TERWAY_CONFIGMAP,
                    "networkpolicy.enable" if enable else "networkpolicy.disable", before, patch)  # fmt: skip
    await audited_write(writer.sessions, change, lambda: cluster.patch(
        "configmaps", TERWAY_NAMESPACE, TERWAY_CONFIGMAP, patch, as_user=writer.as_user),
        shown=lambda obj: {"data": {"disable_network_policy": (obj.get("data") or {}).get("disable_network_policy")}},
    )  # fmt: skip
