"""The Namespaces page: the list (from the watch-fed cache), Create with labels, Edit labels (saying
first which policies' namespaceSelectors start or stop selecting the namespace, and in the review
the connections the new labels newly deny or allow), and Delete confirmed by typing the
namespace's name. Writes go through ``app.workloads.service`` (operator role, dry runs first,
audit); the one edit flow is ``app.web.forms``.

The label rows post as ``labels[i].key`` / ``labels[i].value``; ``op`` says what a submit does:
``add:labels`` and ``remove:labels[i]`` edit the rows, ``review`` asks the API server's dry run,
``apply`` (``create`` on the Create form) writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from app import analysis
from app.accounts.deps import CurrentUser
from app.cluster.client import Cluster
from app.cluster.records import NamespaceRecord
from app.errors import BadRequest, Conflict, DomainError, FieldError, Invalid, NotFound
from app.policies.impact import namespace_relabel_impact
from app.policies.words import N_
from app.policies.workloads import WORKLOAD_TYPES
from app.web.deps import ClusterDep, console_writer
from app.web.forms import done_url, notice, redirect, refusal, render, seen_labels, tell
from app.workloads import service
from app.workloads.consequences import namespace_relabel
from app.workloads.namespaces import NAME_LABEL, editable_labels, namespace_row
from app.workloads.objects import form_field

router = APIRouter()

BASE = "/clusters/{cluster}/namespaces"

# What the list says after each write (``?done=``).
DONE = {
    "created": N_("Namespace {name} was created."),
    "relabelled": N_("The labels of namespace {name} were changed."),
    "deleted": N_("Namespace {name} is being deleted."),
}
TAKEN = N_("a namespace of this name exists already")
KEY_REQUIRED = N_("enter the label's key, or clear its value")
KEY_TWICE = N_("this key is given twice")
NO_SEEN = N_("The form does not say which labels it started from; open Edit labels again.")

_ROW = re.compile(r"labels\[([0-9]{1,9})\]\.(key|value)$")  # no int() of 5,000 digits


# ----- the label rows -----


def label_rows(data: FormData) -> list[tuple[str, str]]:
    """The rows as posted, in their order; ``op`` adds or removes one."""
    found: dict[int, dict[str, str]] = {}
    for field, value in data.multi_items():
        match = _ROW.match(field)
        if match and isinstance(value, str):
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    rows = [(found[i].get("key", ""), found[i].get("value", "")) for i in sorted(found)]
    op = str(data.get("op", ""))
    if op == "add:labels":
        rows.append(("", ""))
    elif (removed := re.fullmatch(r"remove:labels\[([0-9]{1,9})\]", op)) and int(removed.group(1)) < len(rows):
        del rows[int(removed.group(1))]
    return rows


def labels_of(rows: list[tuple[str, str]]) -> dict[str, str]:
    """The labels the rows give; ``Invalid`` at the row when a key is missing or given twice
    (blank rows are skipped). What a key or a value may be is the API server's to say."""
    labels: dict[str, str] = {}
    causes = []
    for i, (key, value) in enumerate(rows):
        if not key:
            if value:
                causes.append(FieldError(f"labels[{i}].key", "FieldValueRequired", KEY_REQUIRED))
            continue
        if key in labels:
            causes.append(FieldError(f"labels[{i}].key", "FieldValueDuplicate", KEY_TWICE, key))
        labels[key] = value
    if causes:
        raise Invalid("The labels are not valid.", causes)
    return labels


def at_fields(exc: DomainError, rows: list[tuple[str, str]], kind: str = "Namespace") -> DomainError:
    """The API server's field errors about a ``kind`` object moved to the form's fields
    (``objects.form_field``); an error about one label goes to the row that holds its key or value."""
    if not isinstance(exc, Invalid) or not exc.causes:
        return exc
    causes = []
    for cause in exc.causes:
        field = form_field(kind, cause.field) or cause.field
        if field == "labels":
            held = [(f"labels[{i}].key", k) for i, (k, _) in enumerate(rows)]
            held += [(f"labels[{i}].value", v) for i, (_, v) in enumerate(rows)]
            field = next((at for at, text in held if text and _names(cause, text)), field)
        causes.append(FieldError(field, cause.type, cause.detail, cause.value))
    return Invalid(exc.message, causes)


def _names(cause: FieldError, text: str) -> bool:
    """Whether ``cause`` is about ``text``: its value, or (as the API server's cause carries no
    value apart) its detail opening with the value quoted."""
    return cause.value == text or cause.detail.startswith(json.dumps(text) + ":")


def field_labels(request: Request, rows: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The error summary's links: form field → (input id, its label)."""
    found = {
        "name": ("ns-name", tell(request, N_("Name"))),
        "labels": ("ns-labels", tell(request, N_("Labels"))),
        "confirm": ("ns-confirm", tell(request, N_("Namespace name"))),
    }
    for i in range(len(rows)):
        for part, label in (("key", N_("Label key")), ("value", N_("Value"))):
            found[f"labels[{i}].{part}"] = (f"ns-labels-{i}-{part}", f"{tell(request, label)} {i + 1}")
    return found


# ----- the list -----


def list_url(request: Request, cluster: str, *, done: str = "", name: str = "") -> str:
    url = str(request.url_for("namespaces", cluster=cluster))
    return done_url(url, done, name) if done in DONE and name else url


@router.get(BASE, response_class=HTMLResponse, name="namespaces")
async def list_page(request: Request, cluster: ClusterDep, user: CurrentUser) -> HTMLResponse:
    now = datetime.now(UTC)
    cache = cluster.cache
    rows = [
        namespace_row(ns, ns.phase, ns.created, cache.pods(ns.name), cache.network_policies(ns.name), now)
        for ns in sorted(cache.namespaces(), key=lambda n: n.name)
    ]
    context = {
        "cluster": cluster.name,
        "rows": rows,
        "name_label": NAME_LABEL,
        "may_write": user.has_role("operator"),
        "notice": notice(request, DONE),
        "nav": "namespaces",
    }
    return render(request, "namespaces/index.html", context)


# ----- create -----


def _form_context(request: Request, cluster: Cluster, rows: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
    return {
        "cluster": cluster.name,
        "rows": rows,
        "fields": field_labels(request, rows),
        "refusal": None,
        "nav": "namespaces",
        **more,
    }


@router.get(BASE + "/new", response_class=HTMLResponse, name="namespace-new")
async def new_page(request: Request, cluster: ClusterDep, user: CurrentUser) -> HTMLResponse:
    service.authorize(console_writer(request, user), "namespaces")
    context = _form_context(request, cluster, [("", "")], mode="create", name="")
    return render(request, "namespaces/form.html", context)


@router.post(BASE + "/new", response_class=HTMLResponse, name="namespace-create")
async def create(request: Request, cluster: ClusterDep, user: CurrentUser) -> Response:
    data = await request.form()
    name, rows, op = str(data.get("name", "")).strip(), label_rows(data), str(data.get("op", "create"))
    context = _form_context(request, cluster, rows, mode="create", name=name)
    if op != "create":
        return render(request, "namespaces/form.html", context)
    try:
        await service.create_namespace(cluster, name, labels_of(rows), dry_run=False,
                                       writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        taken = FieldError("name", "FieldValueDuplicate", TAKEN, name)
        context["refusal"] = refused = refusal(request, at_fields(exc, rows), taken=taken)
        return render(request, "namespaces/form.html", context, status_code=refused.status)
    return redirect(request, list_url(request, cluster.name, done="created", name=name))


# ----- edit labels -----


def _cached(cluster: Cluster, name: str) -> NamespaceRecord:
    found = cluster.cache.namespace(name)
    if found is None:
        raise NotFound(f'namespaces "{name}" not found')
    return found


def _relabel_context(
    request: Request, cluster: Cluster, name: str, seen: Mapping[str, str], rows: list[tuple[str, str]]
) -> dict[str, Any]:
    """The Edit labels form; ``change``: the policies that start or stop selecting the namespace
    when the rows' labels replace ``seen`` (None while the rows do not parse)."""
    try:
        after: dict[str, str] | None = {**labels_of(rows), NAME_LABEL: name}
    except Invalid:
        after = None
    change = namespace_relabel(name, seen, after, cluster.cache.network_policies()) if after is not None else None
    return _form_context(
        request, cluster, rows, mode="edit", name=name, seen=json.dumps(dict(seen), sort_keys=True),
        fixed=seen.get(NAME_LABEL, name), change=change, review=False,
    )  # fmt: skip


@router.get(BASE + "/{name}/labels", response_class=HTMLResponse, name="namespace-labels")
async def labels_page(request: Request, cluster: ClusterDep, user: CurrentUser, name: str) -> HTMLResponse:
    service.authorize(console_writer(request, user), "namespaces")
    seen = dict(_cached(cluster, name).labels)
    rows = sorted(editable_labels(seen).items()) or [("", "")]
    return render(request, "namespaces/form.html", _relabel_context(request, cluster, name, seen, rows))


@router.post(BASE + "/{name}/labels", response_class=HTMLResponse, name="namespace-relabel")
async def relabel(request: Request, cluster: ClusterDep, user: CurrentUser, name: str) -> Response:
    data = await request.form()
    rows, op = label_rows(data), str(data.get("op", "review"))
    seen = seen_labels(data)
    context = _relabel_context(request, cluster, name, seen or {}, rows)
    if op not in ("review", "apply"):
        return render(request, "namespaces/form.html", context)
    try:
        if seen is None:  # without it, a change made meanwhile would be overwritten unseen
            raise BadRequest(NO_SEEN)
        labels = {**labels_of(rows), NAME_LABEL: name}
        await service.relabel_namespace(cluster, name, labels, expected=seen, dry_run=op == "review",
                                        writer=console_writer(request, user))  # fmt: skip
    except DomainError as exc:
        context["refusal"] = refused = refusal(request, at_fields(exc, rows))
        if isinstance(exc, Conflict):  # what it holds now: the next review starts from there
            now = dict(_cached(cluster, name).labels)
            context.update(_relabel_context(request, cluster, name, now, rows), refusal=refused, current=now)
        return render(request, "namespaces/form.html", context, status_code=refused.status)
    if op == "review":
        context["review"] = True
        context["impact"] = namespace_relabel_impact(analysis.world(cluster), name, labels)
        return render(request, "namespaces/form.html", context)
    return redirect(request, list_url(request, cluster.name, done="relabelled", name=name))


# ----- delete -----


def _delete_context(request: Request, cluster: Cluster, name: str) -> dict[str, Any]:
    """What goes with the namespace: its workloads, pods and policies."""
    cache = cluster.cache
    workloads = [(kind, w.name) for plural, kind, _ in WORKLOAD_TYPES for w in cache.workloads(plural, name)]
    return {
        "cluster": cluster.name,
        "name": name,
        "workloads": workloads,
        "pods": sorted(p.name for p in cache.pods(name)),
        "policies": sorted(p.name or "" for p in cache.network_policies(name)),
        "refusal": None,
        "fields": field_labels(request, []),
        "typed": "",
        "nav": "namespaces",
    }


@router.get(BASE + "/{name}/delete", response_class=HTMLResponse, name="namespace-delete")
async def delete_page(request: Request, cluster: ClusterDep, user: CurrentUser, name: str) -> HTMLResponse:
    # the dry run says now what Delete would: the role, a system namespace, the API server's leave
    await service.delete_namespace(cluster, name, typed=name, dry_run=True, writer=console_writer(request, user))
    return render(request, "namespaces/delete.html", _delete_context(request, cluster, name))


@router.post(BASE + "/{name}/delete", response_class=HTMLResponse, name="namespace-delete-confirm")
async def delete(request: Request, cluster: ClusterDep, user: CurrentUser, name: str) -> Response:
    typed = str((await request.form()).get("confirm", "")).strip()
    try:
        await service.delete_namespace(cluster, name, typed=typed, dry_run=False, writer=console_writer(request, user))
    except DomainError as exc:
        context = _delete_context(request, cluster, name)
        context["refusal"] = refused = refusal(request, exc)
        context["typed"] = typed
        return render(request, "namespaces/delete.html", context, status_code=refused.status)
    return redirect(request, list_url(request, cluster.name, done="deleted", name=name))
