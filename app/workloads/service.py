"""Writing namespaces and workloads, one rule for pages, API and CLI:

* the writer must hold the operator role; the whitelist gate does not apply (ACK gates
  NetworkPolicies only);
* the API server validates: every real write of more than one object, or a delete, is preceded by
  its dry run, so a request that would half-apply (a Deployment created, its Service refused) is
  refused whole before anything is stored; its errors keep the object's field paths
  (``objects.form_field`` maps them to a form);
* a label edit or a scale says what the person started from (``expected``: the labels or replicas
  they saw): when the object holds something else now, that is ``app.errors.Conflict``, never an
  overwrite. Not the resourceVersion they saw: a workload's controller bumps it with every status
  update, which would make every edit of a running workload a conflict. The patch itself carries
  the resourceVersion just read, so nothing slips in between (a status update that does is
  retried);
* the system namespaces (``objects.SYSTEM_NAMESPACES``) are never deleted here, and a deletion is
  confirmed by typing the object's name (which is its precondition: a workload's resourceVersion
  moves with every status update);
* every real write (not dry runs) lands in the audit log, its intent before it is sent and its
  outcome after, as a policy change does (``app.audit.service.audited_write``);
* with ``NETPOL_IMPERSONATE`` the calls are made as the person (``Writer.as_user``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from app.audit.service import Change, audited_write
from app.cluster.client import WriteResult
from app.editing.service import Writer
from app.errors import Conflict, DomainError, FieldError, Forbidden, Invalid
from app.workloads.objects import (
    SYSTEM_NAMESPACES,
    ImageApp,
    deployment_object,
    labels_patch,
    namespace_object,
    replicas_patch,
    service_object,
)

# The workload kinds the console edits, and where each keeps the labels its pods get.
_TEMPLATE_PATH: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
SCALABLE = ("Deployment", "StatefulSet")


def authorize(writer: Writer, what: str) -> None:
    if not writer.user.has_role("operator"):
        raise Forbidden(f"User {writer.name} may not change {what}: the operator role is required")


def confirm(name: str, typed: str) -> None:
    """A deletion goes ahead only when the person typed the object's name."""
    if typed != name:
        raise Invalid(
            f"Type {name} to confirm the deletion",
            [FieldError("confirm", "FieldValueInvalid", f"type {name} to confirm")],
        )


def _labels_of(obj: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[str, str]:
    node: Any = obj
    for key in path:
        node = (node or {}).get(key) or {}
    return dict(((node or {}).get("metadata") or {}).get("labels") or {})


def _nest(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


def _versioned(patch: dict[str, Any], resource_version: str | None) -> dict[str, Any]:
    if resource_version:
        patch = {**patch, "metadata": {**patch.get("metadata", {}), "resourceVersion": resource_version}}
    return patch


def _merged(obj: Any, patch: Any) -> Any:
    """``obj`` with the JSON merge patch (RFC 7386) applied: what a patch intends."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(obj) if isinstance(obj, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merged(out.get(key), value)
    return out


async def _audited(
    writer: Writer,
    cluster: Any,
    kind: str,
    namespace: str,
    name: str,
    action: str,
    before: Mapping[str, Any] | None,
    intended: Mapping[str, Any] | None,
    call: Any,
    retried: bool = False,
) -> WriteResult:
    """Run the real write ``call()`` with its audit entry (``intended``: the object it should
    leave; None for a delete). With ``retried``, a Conflict is not recorded: the write is tried
    again, and that attempt is."""
    change = Change(writer.name, writer.via, cluster.name, namespace, kind, name, action, before, intended)
    return await audited_write(writer.sessions, change, call,
                               withdrawn=lambda exc: retried and isinstance(exc, Conflict))  # fmt: skip


# -- namespaces ------------------------------------------------------------------------------


async def create_namespace(
    cluster: Any, name: str, labels: Mapping[str, str], *, dry_run: bool, writer: Writer
) -> WriteResult:
    authorize(writer, "namespaces")
    obj = namespace_object(name, labels)
    review = await cluster.create("Namespace", obj, dry_run=True, field_validation="Strict", as_user=writer.as_user)
    if dry_run:
        return review  # type: ignore[no-any-return]
    return await _audited(writer, cluster, "Namespace", name, name, "create", None, obj, lambda: cluster.create(
        "Namespace", obj, field_validation="Strict", as_user=writer.as_user))  # fmt: skip


async def relabel_namespace(
    cluster: Any,
    name: str,
    labels: Mapping[str, str],
    *,
    expected: Mapping[str, str] | None,
    dry_run: bool,
    writer: Writer,
) -> WriteResult:
    authorize(writer, "namespaces")
    return await _guarded_patch(cluster, writer, "Namespace", None, name, (), expected, dry_run,
                                lambda now: labels_patch(now, labels))  # fmt: skip


async def delete_namespace(cluster: Any, name: str, *, typed: str, dry_run: bool, writer: Writer) -> WriteResult:
    authorize(writer, "namespaces")
    if name in SYSTEM_NAMESPACES:
        raise Forbidden(f"Namespace {name} is a system namespace: the console does not delete it")
    confirm(name, typed)
    current = await cluster.get_object("Namespace", None, name, as_user=writer.as_user)
    review = await cluster.delete("Namespace", None, name, dry_run=True, as_user=writer.as_user)
    if dry_run:
        return review  # type: ignore[no-any-return]
    return await _audited(writer, cluster, "Namespace", name, name, "delete", current, None, lambda: cluster.delete(
        "Namespace", None, name, as_user=writer.as_user))  # fmt: skip


# -- workloads -------------------------------------------------------------------------------


async def create_from_image(cluster: Any, app: ImageApp, *, dry_run: bool, writer: Writer) -> list[WriteResult]:
    """The Deployment and, when asked for, its Service: both reviewed by dry runs first, then
    created; should the Service still be refused, the Deployment is deleted again."""
    authorize(writer, "workloads")
    objects = [("Deployment", deployment_object(app))]
    service = service_object(app)
    if service is not None:
        objects.append(("Service", service))
    reviews = [
        await cluster.create(kind, obj, dry_run=True, field_validation="Strict", as_user=writer.as_user)
        for kind, obj in objects
    ]
    if dry_run:
        return reviews
    created: list[WriteResult] = []
    try:
        for kind, obj in objects:
            created.append(await _create(cluster, writer, kind, app.namespace, obj))
    except DomainError:
        for made in created:
            await _undo(cluster, writer, app.namespace, made.object)
        raise
    return created


async def _create(cluster: Any, writer: Writer, kind: str, namespace: str, obj: dict[str, Any]) -> WriteResult:
    name = obj["metadata"]["name"]
    return await _audited(writer, cluster, kind, namespace, name, "create", None, obj, lambda: cluster.create(
        kind, obj, field_validation="Strict", as_user=writer.as_user))  # fmt: skip


async def _undo(cluster: Any, writer: Writer, namespace: str, obj: Mapping[str, Any]) -> None:
    kind, name = str(obj.get("kind")), str((obj.get("metadata") or {}).get("name"))
    await _audited(writer, cluster, kind, namespace, name, "delete", obj, None, lambda: cluster.delete(
        kind, namespace, name, as_user=writer.as_user))  # fmt: skip


async def relabel_workload(
    cluster: Any,
    kind: str,
    namespace: str,
    name: str,
    labels: Mapping[str, str],
    *,
    expected: Mapping[str, str] | None,
    dry_run: bool,
    writer: Writer,
) -> WriteResult:
    """Set the labels the workload gives its pods (what policies select); its pods are replaced
    by the workload's controller. The selector stays: labels it needs cannot be removed, and the
    API server says so at ``spec.template.metadata.labels``."""
    authorize(writer, "workloads")
    path = _TEMPLATE_PATH.get(kind)
    if path is None:
        raise Invalid(f"{kind} is not a workload kind the console edits")
    return await _guarded_patch(cluster, writer, kind, namespace, name, path, expected, dry_run,
                                lambda now: _nest(path, labels_patch(now, labels)))  # fmt: skip


async def scale(
    cluster: Any,
    kind: str,
    namespace: str,
    name: str,
    replicas: int,
    *,
    expected: int | None,
    dry_run: bool,
    writer: Writer,
) -> WriteResult:
    authorize(writer, "workloads")
    if kind not in SCALABLE:
        raise Invalid(f"A {kind} has no replicas to scale")
    return await _guarded_patch(cluster, writer, kind, namespace, name, None, expected, dry_run,
                                lambda _now: replicas_patch(replicas))  # fmt: skip


async def delete_workload(
    cluster: Any, kind: str, namespace: str, name: str, *, typed: str, dry_run: bool, writer: Writer
) -> WriteResult:
    authorize(writer, "workloads")
    if kind not in _TEMPLATE_PATH:
        raise Invalid(f"{kind} is not a workload kind the console edits")
    confirm(name, typed)
    current = await cluster.get_object(kind, namespace, name, as_user=writer.as_user)
    review = await cluster.delete(kind, namespace, name, dry_run=True, as_user=writer.as_user)
    if dry_run:
        return review  # type: ignore[no-any-return]
    return await _audited(writer, cluster, kind, namespace, name, "delete", current, None, lambda: cluster.delete(
        kind, namespace, name, as_user=writer.as_user))  # fmt: skip


# A status update between the read and the patch is retried this many times.
_PATCH_ATTEMPTS = 5


def _replicas(obj: Mapping[str, Any]) -> int | None:
    value = (obj.get("spec") or {}).get("replicas")
    return value if isinstance(value, int) else None


async def _guarded_patch(
    cluster: Any,
    writer: Writer,
    kind: str,
    namespace: str | None,
    name: str,
    labels_at: tuple[str, ...] | None,
    expected: Any,
    dry_run: bool,
    make: Any,
) -> WriteResult:
    """Patch what ``make(now)`` says, where ``now`` is what the object holds (the labels at
    ``labels_at``; None: the replicas); ``expected`` (None: no check) must still be ``now``."""
    for attempt in range(_PATCH_ATTEMPTS):
        current = await cluster.get_object(kind, namespace, name, as_user=writer.as_user)
        now = _labels_of(current, labels_at) if labels_at is not None else _replicas(current)
        if expected is not None and now != (dict(expected) if labels_at is not None else expected):
            raise Conflict(
                f"{kind} {name} was changed meanwhile: it holds {now!r} now, not {expected!r}; nothing was overwritten"
            )
        version = (current.get("metadata") or {}).get("resourceVersion")
        try:
            patch = _versioned(make(now), version)
            retried = attempt < _PATCH_ATTEMPTS - 1
            return await _patch(cluster, writer, kind, namespace, name, patch, current, dry_run, retried)
        except Conflict:
            if attempt == _PATCH_ATTEMPTS - 1:
                raise
            # a controller's status update got in between: let its burst pass, then read again
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


async def _patch(
    cluster: Any,
    writer: Writer,
    kind: str,
    namespace: str | None,
    name: str,
    patch: dict[str, Any],
    current: Mapping[str, Any],
    dry_run: bool,
    retried: bool,
) -> WriteResult:
    if dry_run:
        return await cluster.patch(kind, namespace, name, patch, dry_run=True, as_user=writer.as_user)  # type: ignore[no-any-return]
    # One object, changed atomically: no dry run before the write (it would only widen the window
    # in which a status update makes the version just read stale).
    intended = _merged(current, patch)
    send = lambda: cluster.patch(kind, namespace, name, patch, as_user=writer.as_user)  # noqa: E731
    return await _audited(writer, cluster, kind, namespace or name, name, "update", current, intended, send, retried)
