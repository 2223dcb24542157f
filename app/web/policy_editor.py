"""The Create / Edit panel of the Network Policies page.

One edit flow (as NetBox's): every button posts the whole form with an ``op``; the server applies
it and renders the panel again, so the editor works without JavaScript and nothing typed is lost.
``next`` validates (ours, then the API server's dry run) and shows the review; ``apply`` writes
and redirects to the list (``HX-Redirect`` for htmx); errors come back at their fields, 422 (a
name already taken: 409 at the Name field). A user who may not write (no operator role, or the
whitelist gate) is told so on every render of the panel, and Next is disabled with the reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import analysis
from app.accounts.deps import CurrentUser
from app.analysis.lints import lint_in_cluster
from app.audit import service as audit
from app.cluster import Cluster, PodRecord, WorkloadRecord
from app.editing import service as editing
from app.errors import (
    BeingDeleted,
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)
from app.limits import RowId
from app.policies.form import FormUnsupported, PolicyForm, describe, policy_to_form
from app.policies.form_ops import ALL_PODS, BadOp, apply_op, selector_at, take_pick
from app.policies.form_review import SERVER_FILLED, review_yaml
from app.policies.form_words import field_words
from app.policies.impact import Impact, policy_impact
from app.policies.lifecycle import Deletion, terminating_namespaces
from app.policies.lint import Lint
from app.policies.model import NetworkPolicy, dump_yaml
from app.policies.recipes import RECIPES
from app.policies.words import Words
from app.policies.workloads import (
    WORKLOAD_KINDS,
    WORKLOAD_TYPES,
    named_ports,
    pods_selected,
)
from app.web.deps import ClusterDep, as_person, console_writer
from app.web.forms import fragment_asked, redirect, refusal, render
from app.web.i18n import language
from app.web.networkpolicies import list_context, list_url
from app.web.templating import templates
from app.web.wording import say

router = APIRouter()

_CONTROL = ("op", "pick.", "_")


def _field_id(name: str) -> str:
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


class Editor:
    """Everything the panel template shows, for one request."""

    def __init__(
        self, request: Request, cluster: Cluster, form: PolicyForm, mode: str, picks: dict[str, str], user: Any = None
    ):
        self.request = request
        self.user = user
        self.cluster = cluster
        self.form = form
        self.mode = mode  # "create" | "edit"
        self.picks = picks
        self.step = "form"
        self.errors: dict[str, list[str]] = {}
        # (form field, where it is in the page's words, message, the object's field path or "")
        self.summary: list[tuple[str, str, str, str]] = []
        self.problem = ""  # a failure that is not a field's (API server down, conflict)
        self.conflict: dict[str, Any] | None = None
        self.review: editing.Outcome | None = None
        self.forbidden: Forbidden | None = None
        self.action = "restore" if picks.get("_action") == "restore" else ""
        self.note = ""

    @property
    def writer(self) -> editing.Writer:
        return console_writer(self.request, self.user)

    # ----- errors -----

    def add_errors(self, errors: list[FieldError], *, object_paths: bool) -> None:
        for err in errors:
            field = self.form.form_field_for(err.field, err.value) if object_paths else err.field
            self.errors.setdefault(field, []).append(err.message)
            path = err.field if object_paths else ""
            self.summary.append((field, field_words(field, self.form), err.message, path))

    # ----- what the page offers -----

    @property
    def namespaces(self) -> list[str]:
        return self.cluster.cache.namespace_names()

    @property
    def terminating(self) -> dict[str, Deletion]:
        """The namespaces being deleted (the API server refuses to create in them)."""
        return terminating_namespaces(self.cluster.cache.namespaces())

    def pods(self) -> list[PodRecord]:
        return self.cluster.cache.pods(self.form.namespace) if self.form.namespace else []

    @cached_property
    def _selected(self) -> list[PodRecord]:
        """The pods the pod selector selects, computed once when the panel is rendered (every
        edit of the form happens before)."""
        policy, _ = self.form.to_policy()
        return pods_selected(policy.spec.pod_selector, self.pods())

    def selected_pods(self) -> list[str]:
        return sorted(p.name for p in self._selected)

    def enforcement_note(self) -> Words | None:
        """When the selected pods include pods on nodes where policies are not enforced (or
        policies are disabled): the policy does not hold for them."""
        return analysis.review_note(self.cluster, list(self._selected))

    def impact(self) -> Impact | None:
        """The connections the reviewed policy newly denies or allows (app.policies.impact)."""
        return policy_impact(analysis.world(self.cluster), self.review.policy) if self.review else None

    def lints(self) -> list[Lint]:
        """The reviewed policy's likely mistakes (app.policies.lint), against the cluster now."""
        return lint_in_cluster(self.cluster, self.review.policy) if self.review else []

    def port_names(self) -> list[tuple[str, int, str]]:
        return named_ports(self._selected)

    def picker(self, selector_path: str) -> dict[str, Any]:
        """The "+ Select Workload And Add Label" row of one selector."""
        prefix = f"pick.{selector_path}."
        kind = self.picks.get(prefix + "type", "deployments")
        kind = kind if kind == ALL_PODS or kind in WORKLOAD_KINDS else "deployments"
        workloads = (
            self.cluster.cache.workloads(kind, self.form.namespace)
            if self.form.namespace and kind != ALL_PODS
            else []
        )
        chosen = self.picks.get(prefix + "workload", "")
        names = [w.name for w in workloads]
        if chosen not in names:
            chosen = self._workload_selected_by(selector_path, workloads) or (names[0] if names else "")
        labels: Mapping[str, str] = next((w.pod_labels for w in workloads if w.name == chosen), {})
        offered = [f"{k}={v}" for k, v in sorted(labels.items())]
        label = self.picks.get(prefix + "label", "")
        if label not in offered and not (label == "*" and len(offered) > 1):  # another workload's
            label = offered[0] if offered else ""
        return {
            "prefix": prefix,
            "types": WORKLOAD_TYPES,
            "type": kind,
            "workloads": names,
            "workload": chosen,
            "labels": offered,
            "label": label,
            "open": self.picks.get(prefix + "open") == "1",
        }

    def pick(self, op: str) -> None:
        """The picker's buttons: "+ Select Workload And Add Label" opens it; OK takes the chosen
        workload's label (or all of them; with Type All: no labels, every pod) and closes it;
        Cancel closes it."""
        verb, _, path = op.partition(":")
        selector = selector_at(self.form, path)
        if verb == "pick":
            chosen = self.picker(path)
            label = chosen["label"]
            choices = chosen["labels"] if label in ("", "*") else [label]
            take_pick(selector, chosen["type"] == ALL_PODS, [tuple(c.split("=", 1)) for c in choices])  # type: ignore[misc]
        self.picks[f"pick.{path}.open"] = "1" if verb == "pick-open" else ""

    def _workload_selected_by(self, selector_path: str, workloads: list[WorkloadRecord]) -> str:
        """The first workload whose pods the selector's label rows already select, if any."""
        try:
            rows = {row.key: row.value for row in selector_at(self.form, selector_path).labels if row.key}
        except BadOp:
            return ""
        if not rows:
            return ""
        for workload in workloads:
            if all(workload.pod_labels.get(k) == v for k, v in rows.items()):
                return workload.name
        return ""

    @property
    def review_yaml(self) -> str:
        """The dry run's answer; for a create, as it will be sent (no server-filled metadata)."""
        return review_yaml(self.review.policy, create=self.mode == "create") if self.review else ""

    def hidden_items(self) -> list[tuple[str, str]]:
        return self.form.to_form_data()

    def field_id(self, name: str) -> str:
        return _field_id(name)


def _render(editor: Editor, status_code: int = 200) -> HTMLResponse:
    request = editor.request
    context = {"cluster": editor.cluster.name, "e": editor, "nav": "networkpolicies", "field_id": _field_id}
    if not fragment_asked(request, "panel"):  # the whole page: the panel over the list of its namespace
        context = {**list_context(request, editor.cluster, editor.forbidden, editor.form.namespace), **context}
    return render(request, "networkpolicies/editor.html", context, status_code=status_code,
                  fragment="networkpolicies/_panel.html", target="panel")


@router.get("/clusters/{cluster}/networkpolicies/new", response_class=HTMLResponse, name="networkpolicy-new")
async def new(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str = "default", recipe: str = ""
) -> HTMLResponse:
    """An empty form, or a recipe's filled form for review (recipes are never applied blindly)."""
    if recipe and recipe not in RECIPES:
        raise NotFound(f"no recipe named {recipe!r}")
    form = RECIPES[recipe].build(namespace) if recipe else PolicyForm(namespace=namespace)
    return await _open(Editor(request, cluster, form, "create", {}, user))


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/networkpolicies/{name}/edit",
    response_class=HTMLResponse,
    name="networkpolicy-edit",
)
async def edit(request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, name: str) -> Response:
    policy = await cluster.get_network_policy(namespace, name, as_user=as_person(request))
    try:
        form = policy_to_form(policy)
    except FormUnsupported as exc:
        url = request.url_for("networkpolicy-yaml", cluster=cluster.name, namespace=namespace, name=name)
        return RedirectResponse(f"{url}?{urlencode({'edit': '1', 'why': exc.reason})}", status_code=303)
    return await _open(Editor(request, cluster, form, "edit", {}, user))


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/networkpolicies/{name}/restore/{entry_id}",
    response_class=HTMLResponse,
    name="networkpolicy-restore",
)
async def restore(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, name: str,
    entry_id: RowId,
) -> Response:
    """An earlier version from the audit log, opened in the editor for the usual review."""
    async with request.app.state.sessions() as db:
        entry = await audit.get_entry(db, entry_id)
    if (entry.cluster, entry.namespace, entry.name, entry.kind) != (cluster.name, namespace, name, "NetworkPolicy"):
        raise NotFound(f"audit entry {entry_id} is not a version of {namespace}/{name}")
    stored = entry.after_object if entry.outcome == "success" else None
    if not stored:
        raise NotFound(f"audit entry {entry_id} holds no version to restore")
    data = NetworkPolicy.from_dict(stored).to_dict()
    live = cluster.cache.network_policy(namespace, name)
    # The server's bookkeeping of that version goes; an update starts from the live version.
    for key in SERVER_FILLED:
        data["metadata"].pop(key, None)
    if live is not None:
        data["metadata"]["resourceVersion"] = live.metadata.resource_version
    try:
        form = policy_to_form(data)
    except FormUnsupported as exc:
        raise Invalid(f"that version does not fit the form ({exc.reason}); restore it from the YAML view") from exc
    editor = Editor(request, cluster, form, "edit" if live else "create", {"_action": "restore"}, user)
    editor.note = (
        f"Restoring the version of {entry.at:%Y-%m-%d %H:%M:%S} ({entry.action} by {entry.actor}): "
        "review it, then apply."
    )
    return await _open(editor)


async def _open(editor: Editor) -> HTMLResponse:
    """The panel as first shown; a user who may not write is told so at once."""
    editor.forbidden = await editing.refusal(editor.cluster, editor.writer, editor.form.namespace)
    if editor.forbidden is None and editor.mode == "edit":
        gone = editing.being_deleted(editor.cluster, editor.form.namespace, editor.form.name)
        if gone is not None:
            editor.problem = gone.message
    return _render(editor)


@router.post(
    "/clusters/{cluster}/networkpolicies/editor/preview", response_class=HTMLResponse, name="networkpolicy-preview"
)
async def preview(request: Request, cluster: ClusterDep, user: CurrentUser) -> HTMLResponse:
    """The "N pods selected" list for the pod selector as typed so far (no other change)."""
    items = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    form = PolicyForm.from_form_data([(k, v) for k, v in items if not k.startswith(_CONTROL)])
    editor = Editor(request, cluster, form, "create", {}, user)
    context = {"cluster": cluster.name, "e": editor, "field_id": _field_id}
    return templates.TemplateResponse(request, "networkpolicies/_preview.html", context)


@router.post("/clusters/{cluster}/networkpolicies/editor", response_class=HTMLResponse, name="networkpolicy-editor")
async def post(request: Request, cluster: ClusterDep, user: CurrentUser) -> Response:
    items = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    control = {k: v for k, v in items if k.startswith(_CONTROL)}
    form = PolicyForm.from_form_data([(k, v) for k, v in items if not k.startswith(_CONTROL)])
    mode = "edit" if control.get("_mode") == "edit" else "create"
    editor = Editor(request, cluster, form, mode, control, user)
    op = control.get("op", "refresh")
    # Asked on every render, so the refusal stays in view (and Next disabled) while the user looks.
    editor.forbidden = await editing.refusal(cluster, editor.writer, form.namespace)
    if editor.forbidden is not None and op in ("next", "apply"):
        return _render(editor, 403)
    try:
        if op.startswith(("add:", "remove:")):
            apply_op(form, op)
        elif op.startswith(("pick:", "pick-open:", "pick-cancel:")):
            editor.pick(op)
        elif op in ("next", "apply"):
            return await _submit(editor, dry_run=op == "next")
    except BadOp as exc:
        editor.problem = str(exc)
        return _render(editor, 400)
    return _render(editor)


async def _submit(editor: Editor, *, dry_run: bool) -> Response:
    policy, conversion = editor.form.to_policy()
    if conversion:
        editor.add_errors(conversion, object_paths=False)
        return _render(editor, 422)
    try:
        outcome = await editing.write(
            editor.cluster,
            policy,
            update=editor.mode == "edit",
            dry_run=dry_run,
            writer=editor.writer,
            action=editor.action,
        )
    except DomainError as exc:
        # Only a create meets AlreadyExists (the review's dry run, or OK after someone took the name).
        taken = FieldError(
            "metadata.name",
            "FieldValueDuplicate",
            Words(
                "a network policy of this name already exists in namespace {namespace}; choose another name",
                namespace=policy.namespace or "",
            ),
            policy.name,
        )
        refused = refusal(editor.request, exc, taken=taken)
        editor.add_errors(list(refused.causes), object_paths=True)
        editor.problem = refused.banner
        if isinstance(exc, Forbidden):
            editor.forbidden, editor.problem = exc, ""
        elif isinstance(exc, Conflict) and not isinstance(exc, BeingDeleted):
            editor.conflict = await _conflict(editor, policy)
        return _render(editor, refused.status)
    if dry_run:
        editor.step = "review"
        editor.review = outcome
        return _render(editor)
    done = "restored" if editor.action == "restore" else "updated" if editor.mode == "edit" else "created"
    policy = outcome.policy
    url = list_url(editor.request, editor.cluster.name, policy.namespace or "", done=done, name=policy.name)
    return redirect(editor.request, url)


async def _conflict(editor: Editor, mine: NetworkPolicy) -> dict[str, Any]:
    """What changed meanwhile: the live object and a diff against the user's version."""
    if editor.mode != "edit":
        return {"live": None, "diff": ""}
    try:
        live = await editor.cluster.get_network_policy(mine.namespace, mine.name, as_user=as_person(editor.request))
    except (NotFound, Unavailable):
        return {"live": None, "diff": ""}
    theirs = dump_yaml(live.to_dict()["spec"]).splitlines()
    ours = dump_yaml(mine.to_dict().get("spec", {})).splitlines()
    diff = "\n".join(difflib.unified_diff(theirs, ours, "live (spec)", "yours (spec)", lineterm=""))
    return {"live": live, "diff": diff}


def sentences(editor: Editor) -> list[str]:
    lang = language(editor.request)
    return [say(lang, s) for s in describe(editor.review.policy)] if editor.review else []


templates.env.globals["policy_sentences"] = sentences
