"""The Workloads page: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs of a namespace with
their pods and the NetworkPolicies that select them per direction, and the namespace's Services
(from the watch-fed cache); a workload's Details; "Create from image" as ACK's Stateless page has
it (a Deployment, optionally a Service: Review, the API server's dry run, then Create); Scale,
Edit labels (of the pod template: the pods are replaced; the review lists the connections the new
labels newly deny or allow) and Delete confirmed by typing the name.
Writes go through ``app.workloads.service`` (operator role, dry runs first, audit); the one edit
flow is ``app.web.forms``; label rows are the Namespaces page's (``labels[i].key``/``.value``).

Row lists post as ``ports[i].port``, ``service.ports[i].target_port``, ...; ``op`` says what a
submit does: ``add:<rows>`` and ``remove:<rows>[i]`` edit the rows, ``review`` asks the dry run,
``create`` / ``apply`` writes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from app.accounts.deps import CurrentUser
from app.analysis.workloads import (
    desired_replicas,
    find_workload,
    relabel_impact,
    service_rows,
    workload_detail,
    workload_pods,
    workload_sections,
)
from app.cluster.records import WorkloadRecord
from app.errors import AlreadyExists, Conflict, DomainError, FieldError, Invalid, NotFound
from app.policies.lifecycle import terminating_namespaces
from app.policies.text import parse_index
from app.policies.words import N_
from app.web.deps import ClusterDep, console_writer
from app.web.forms import done_url, notice, redirect, refusal, render, seen_labels, tell
from app.web.namespaces import at_fields, label_rows, labels_of
from app.workloads import service
from app.workloads.consequences import left_selecting_nothing
from app.workloads.objects import PROTOCOLS, SERVICE_TYPES, ContainerPort, ImageApp, ServicePort, ServiceSpec

router = APIRouter()

BASE = "/clusters/{cluster}/workloads"
ONE = "/clusters/{cluster}/namespaces/{namespace}/workloads/{kind}/{name}"

# What the list says after each write (``?done=``).
DONE = {
    "created": N_("Workload {name} was created."),
    "scaled": N_("Workload {name} was scaled."),
    "relabelled": N_("The pod labels of workload {name} were changed; its pods are being replaced."),
    "deleted": N_("Workload {name} was deleted."),
}
TAKEN = N_("a workload of this name exists already")
SERVICE_TAKEN = N_("a Service of this name exists already")
NOT_A_NUMBER = N_("enter a whole number")


# ----- the list -----


def _namespace(cluster: Any, namespace: str) -> str:
    names = cluster.cache.namespace_names()
    return namespace or ("default" if "default" in names else (names or [""])[0])


def list_url(request: Request, cluster: str, namespace: str, *, done: str = "", name: str = "") -> str:
    url = str(request.url_for("workloads", cluster=cluster)) + "?namespace=" + namespace
    return done_url(url, done, name) if done in DONE and name else url


@router.get(BASE, response_class=HTMLResponse, name="workloads")
async def workloads(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str = "", kind: str = ""
) -> HTMLResponse:
    namespace = _namespace(cluster, namespace)
    sections = workload_sections(cluster, namespace)
    kind = kind if kind in {s.kind for s in sections} or kind == "services" else ""
    context = {
        "cluster": cluster.name,
        "namespace": namespace,
        "namespaces": cluster.cache.namespace_names(),
        "terminating": terminating_namespaces(cluster.cache.namespaces()),
        "sections": sections,
        "services": service_rows(cluster, namespace),
        "kind": kind,
        "may_write": user.has_role("operator"),
        "scalable": service.SCALABLE,
        "notice": notice(request, DONE),
        "nav": "workloads",
    }
    return render(request, "workloads/index.html", context)


def _cached(cluster: Any, kind: str, namespace: str, name: str) -> WorkloadRecord:
    found = find_workload(cluster, kind, namespace, name)
    if found is None:
        raise NotFound(f'{kind} "{name}" not found in namespace {namespace}')
    return found


@router.get(ONE, response_class=HTMLResponse, name="workload-details")
async def details(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> HTMLResponse:
    detail = workload_detail(cluster, kind, _cached(cluster, kind, namespace, name))
    context = {
        "cluster": cluster.name,
        "namespace": namespace,
        "kind": kind,
        "d": detail,
        "may_write": user.has_role("operator"),
        "scalable": service.SCALABLE,
        "nav": "workloads",
    }
    return render(request, "workloads/details.html", context)


# ----- create from image -----

_ROW = re.compile(r"((?:service\.)?ports)\[([0-9]{1,9})\]\.(\w+)$")  # no int() of 5,000 digits


def port_rows(data: FormData, which: str) -> list[dict[str, str]]:
    """The rows of ``which`` (``ports`` or ``service.ports``) as posted; ``op`` adds or removes one."""
    found: dict[int, dict[str, str]] = {}
    for key, value in data.multi_items():
        match = _ROW.match(key)
        if match and match.group(1) == which and isinstance(value, str):
            found.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    rows = [found[i] for i in sorted(found)]
    op = str(data.get("op", ""))
    if op == f"add:{which}":
        rows.append({"protocol": "TCP"})
    elif op.startswith(f"remove:{which}[") and op.endswith("]"):
        index = parse_index(op[len(which) + 8 : -1])
        if index is not None and index < len(rows):
            del rows[index]
    return rows


def _number(value: str, field: str, causes: list[FieldError], *, required: bool = True) -> int | None:
    if not value and not required:
        return None
    try:
        return int(value)
    except ValueError:
        causes.append(FieldError(field, "FieldValueInvalid", NOT_A_NUMBER, value))
        return None


def image_app(namespace: str, data: FormData) -> ImageApp:
    """The form's ImageApp; ``Invalid`` at the fields that are no numbers (the API server says the rest)."""
    causes: list[FieldError] = []
    replicas = _number(str(data.get("replicas", "1")).strip() or "1", "replicas", causes)
    ports = []
    for i, row in enumerate(port_rows(data, "ports")):
        if row.get("port"):
            number = _number(row["port"], f"ports[{i}]", causes)
            ports.append(ContainerPort(number or 0, row.get("protocol") or "TCP"))
    spec = None
    if data.get("service.enabled"):
        mapped = []
        for i, row in enumerate(port_rows(data, "service.ports")):
            if not row.get("port") and not row.get("target_port"):
                continue
            port = _number(row.get("port", ""), f"service.ports[{i}].port", causes)
            target_text = row.get("target_port", "") or row.get("port", "")
            target = _number(target_text, f"service.ports[{i}].target_port", causes)
            mapped.append(ServicePort(port or 0, target or 0, row.get("protocol") or "TCP"))
        name = str(data.get("service.name", "")).strip() or str(data.get("name", "")).strip()
        spec = ServiceSpec(name, str(data.get("service.type", "ClusterIP")), tuple(mapped))
    labels = labels_of(label_rows(data))
    if causes:
        raise Invalid("The form is not valid.", causes)
    return ImageApp(
        namespace=namespace,
        name=str(data.get("name", "")).strip(),
        image=str(data.get("image", "")).strip(),
        replicas=replicas or 0,
        ports=tuple(ports),
        labels=labels,
        service=spec,
    )


def _create_fields(request: Request, data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The error summary's links: form field → (input id, its label)."""
    found = {
        "name": ("wl-name", tell(request, N_("Name"))),
        "replicas": ("wl-replicas", tell(request, N_("Replicas"))),
        "image": ("wl-image", tell(request, N_("Image"))),
        "labels": ("wl-labels", tell(request, N_("Labels"))),
        "service.name": ("wl-service-name", tell(request, N_("Service name"))),
        "service.type": ("wl-service-type", tell(request, N_("Service type"))),
        "service.ports": ("wl-service-ports", tell(request, N_("Port mapping"))),
    }
    for i in range(len(data["ports"])):
        found[f"ports[{i}]"] = (f"wl-ports-{i}-port", f"{tell(request, N_('Container port'))} {i + 1}")
    for i in range(len(data["service_ports"])):
        found[f"service.ports[{i}].port"] = (f"wl-sports-{i}-port", f"{tell(request, N_('Service port'))} {i + 1}")
        found[f"service.ports[{i}].target_port"] = (
            f"wl-sports-{i}-target", f"{tell(request, N_('Target port'))} {i + 1}")  # fmt: skip
    for i in range(len(data["rows"])):
        for part, label in (("key", N_("Label key")), ("value", N_("Value"))):
            found[f"labels[{i}].{part}"] = (f"wl-labels-{i}-{part}", f"{tell(request, label)} {i + 1}")
    return found


def _create_context(request: Request, cluster: Any, namespace: str, data: FormData | None) -> dict[str, Any]:
    get = (lambda k, d="": str(data.get(k, d)).strip()) if data is not None else (lambda k, d="": d)
    form: dict[str, Any] = {
        "name": get("name"),
        "replicas": get("replicas", "1"),
        "image": get("image"),
        "ports": port_rows(data, "ports") if data is not None else [{"protocol": "TCP"}],
        "rows": label_rows(data) if data is not None else [("", "")],
        "service": bool(get("service.enabled")),
        "service_name": get("service.name"),
        "service_type": get("service.type", "ClusterIP"),
        "service_ports": port_rows(data, "service.ports") if data is not None else [{"protocol": "TCP"}],
    }
    return {
        "cluster": cluster.name,
        "namespace": namespace,
        "namespaces": cluster.cache.namespace_names(),
        "f": form,
        "fields": _create_fields(request, form),
        "service_types": SERVICE_TYPES,
        "protocols": PROTOCOLS,
        "refusal": None,
        "review": None,
        "nav": "workloads",
    }


def _create_refusal(request: Request, exc: DomainError, form: dict[str, Any]) -> Any:
    """Errors at their fields: the Service's when the API server spoke of the Service."""
    of_service = exc.message.startswith(("Service ", "services "))
    if isinstance(exc, AlreadyExists):
        taken = (FieldError("service.name", "FieldValueDuplicate", SERVICE_TAKEN, form["service_name"]) if of_service
                 else FieldError("name", "FieldValueDuplicate", TAKEN, form["name"]))  # fmt: skip
        return refusal(request, exc, taken=taken)
    return refusal(request, at_fields(exc, form["rows"], "Service" if of_service else "Deployment"))


@router.get(BASE + "/new", response_class=HTMLResponse, name="workload-new")
async def new_page(request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str = "") -> HTMLResponse:
    service.authorize(console_writer(request, user), "workloads")
    context = _create_context(request, cluster, _namespace(cluster, namespace), None)
    return render(request, "workloads/create.html", context)


@router.post(BASE + "/new", response_class=HTMLResponse, name="workload-create")
async def create(request: Request, cluster: ClusterDep, user: CurrentUser) -> Response:
    data = await request.form()
    namespace = _namespace(cluster, str(data.get("namespace", "")))
    op = str(data.get("op", "review"))
    context = _create_context(request, cluster, namespace, data)
    if op not in ("review", "create"):
        return render(request, "workloads/create.html", context)
    try:
        app = image_app(namespace, data)
        done = await service.create_from_image(cluster, app, dry_run=op == "review",
                                               writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        context["refusal"] = refused = _create_refusal(request, exc, context["f"])
        return render(request, "workloads/create.html", context, status_code=refused.status)
    if op == "review":
        context["review"] = [(r.object.get("kind"), r.object["metadata"]["name"]) for r in done]
        return render(request, "workloads/create.html", context)
    return redirect(request, list_url(request, cluster.name, namespace, done="created", name=app.name))


# ----- scale and edit labels -----


def _edit_context(
    request: Request, cluster: Any, w: WorkloadRecord, kind: str, mode: str, **more: Any
) -> dict[str, Any]:
    rows = more.pop("rows", None) or sorted(w.pod_labels.items()) or [("", "")]
    return {
        "cluster": cluster.name,
        "namespace": w.namespace,
        "kind": kind,
        "name": w.name,
        "mode": mode,
        "rows": rows,
        "pods": sorted(p.name for p in workload_pods(w, cluster.cache.pods(w.namespace))),
        "fields": {
            "replicas": ("wl-replicas", tell(request, N_("Replicas"))),
            "labels": ("wl-labels", tell(request, N_("Labels"))),
            **{
                f"labels[{i}].{part}": (f"wl-labels-{i}-{part}", f"{tell(request, label)} {i + 1}")
                for i in range(len(rows))
                for part, label in (("key", N_("Label key")), ("value", N_("Value")))
            },
        },  # fmt: skip
        "refusal": None,
        "review": False,
        "nav": "workloads",
        **more,
    }


@router.get(ONE + "/scale", response_class=HTMLResponse, name="workload-scale")
async def scale_page(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> HTMLResponse:
    service.authorize(console_writer(request, user), "workloads")
    w = _cached(cluster, kind, namespace, name)
    seen = desired_replicas(w)
    context = _edit_context(request, cluster, w, kind, "scale", seen=seen, replicas=str(seen or 0))
    return render(request, "workloads/edit.html", context)


@router.post(ONE + "/scale", response_class=HTMLResponse, name="workload-scale-apply")
async def scale(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> Response:
    data = await request.form()
    op, typed = str(data.get("op", "review")), str(data.get("replicas", "")).strip()
    seen_text = str(data.get("seen", "")).strip()
    seen = parse_index(seen_text)
    w = _cached(cluster, kind, namespace, name)
    context = _edit_context(request, cluster, w, kind, "scale", seen=seen, replicas=typed)
    try:
        causes: list[FieldError] = []
        replicas = _number(typed, "replicas", causes)
        if causes or replicas is None:
            raise Invalid("The form is not valid.", causes)
        await service.scale(cluster, kind, namespace, name, replicas, expected=seen, dry_run=op == "review",
                            writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, Invalid):
            exc = Invalid(exc.message, [FieldError("replicas", c.type, c.detail, c.value) for c in exc.causes])
        context["refusal"] = refused = refusal(request, exc)
        if isinstance(exc, Conflict):
            context["seen"] = context["current"] = desired_replicas(_cached(cluster, kind, namespace, name))
        return render(request, "workloads/edit.html", context, status_code=refused.status)
    if op == "review":
        context["review"] = True
        return render(request, "workloads/edit.html", context)
    return redirect(request, list_url(request, cluster.name, namespace, done="scaled", name=name))


@router.get(ONE + "/labels", response_class=HTMLResponse, name="workload-labels")
async def labels_page(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> HTMLResponse:
    service.authorize(console_writer(request, user), "workloads")
    w = _cached(cluster, kind, namespace, name)
    seen = json.dumps(dict(w.pod_labels), sort_keys=True)
    return render(request, "workloads/edit.html", _edit_context(request, cluster, w, kind, "labels", seen=seen))


@router.post(ONE + "/labels", response_class=HTMLResponse, name="workload-relabel")
async def relabel(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> Response:
    data = await request.form()
    rows, op, seen = label_rows(data), str(data.get("op", "review")), seen_labels(data)
    w = _cached(cluster, kind, namespace, name)
    context = _edit_context(request, cluster, w, kind, "labels", rows=rows, seen=json.dumps(seen or {}, sort_keys=True))
    if op not in ("review", "apply"):
        return render(request, "workloads/edit.html", context)
    try:
        labels = labels_of(rows)
        await service.relabel_workload(cluster, kind, namespace, name, labels, expected=seen,
                                       dry_run=op == "review", writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        context["refusal"] = refused = refusal(request, at_fields(exc, rows, "Deployment"))
        if isinstance(exc, Conflict):  # what it holds now: the next review starts from there
            now = dict(_cached(cluster, kind, namespace, name).pod_labels)
            context.update(seen=json.dumps(now, sort_keys=True), current=now)
        return render(request, "workloads/edit.html", context, status_code=refused.status)
    if op == "review":
        context["review"] = True
        context["impact"] = relabel_impact(cluster, w, labels)
        return render(request, "workloads/edit.html", context)
    return redirect(request, list_url(request, cluster.name, namespace, done="relabelled", name=name))


# ----- delete -----


def _delete_context(request: Request, cluster: Any, w: WorkloadRecord, kind: str) -> dict[str, Any]:
    """What goes with the workload: its pods, and the policies that then select nothing."""
    pods = cluster.cache.pods(w.namespace)
    going = workload_pods(w, pods)
    staying = [p for p in pods if p not in going]
    policies = cluster.cache.network_policies(w.namespace)
    going_labels = [p.labels for p in going] or [w.pod_labels]
    orphaned = left_selecting_nothing(w.namespace, going_labels, [p.labels for p in staying], policies)
    return {
        "cluster": cluster.name,
        "namespace": w.namespace,
        "kind": kind,
        "name": w.name,
        "pods": sorted(p.name for p in going),
        "orphaned": orphaned,
        "refusal": None,
        "fields": {"confirm": ("wl-confirm", tell(request, N_("Workload name")))},
        "typed": "",
        "nav": "workloads",
    }


@router.get(ONE + "/delete", response_class=HTMLResponse, name="workload-delete")
async def delete_page(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> HTMLResponse:
    service.authorize(console_writer(request, user), "workloads")
    w = _cached(cluster, kind, namespace, name)
    return render(request, "workloads/delete.html", _delete_context(request, cluster, w, kind))


@router.post(ONE + "/delete", response_class=HTMLResponse, name="workload-delete-confirm")
async def delete(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, kind: str, name: str
) -> Response:
    typed = str((await request.form()).get("confirm", "")).strip()
    w = _cached(cluster, kind, namespace, name)
    try:
        await service.delete_workload(cluster, kind, namespace, name, typed=typed, dry_run=False,
                                      writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        context = _delete_context(request, cluster, w, kind)
        context["refusal"] = refused = refusal(request, exc)
        context["typed"] = typed
        return render(request, "workloads/delete.html", context, status_code=refused.status)
    return redirect(request, list_url(request, cluster.name, namespace, done="deleted", name=name))
