"""A NetworkPolicy's own pages: details, YAML (view, copy, download, edit), Create from YAML,
delete with confirmation, and the recipe gallery.

Writes go through ``app.editing.service`` (our validation, then the API server's dry run for the
review, then the write); an update carries the resourceVersion the page showed, so a change made
meanwhile is a 409 Conflict shown to the user, never overwritten. Every page is one template that
renders whole, or only its ``content`` block for htmx (``HX-Request``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app import analysis
from app.accounts.deps import CurrentUser
from app.audit import service as audit
from app.cluster import Cluster
from app.editing import service as editing
from app.errors import BeingDeleted, Conflict, DomainError, FieldError, Invalid, Unavailable
from app.policies.form import describe, summarize_direction
from app.policies.form_review import review_yaml
from app.policies.impact import delete_impact, policy_impact
from app.policies.lifecycle import deletion, terminating_namespaces
from app.policies.model import NetworkPolicy, dump_yaml
from app.policies.recipes import RECIPES
from app.policies.text import TextError, parse_policy_text
from app.policies.words import N_
from app.web.deps import ClusterDep, as_person, console_writer
from app.web.forms import redirect, refusal, render, tell
from app.web.i18n import language
from app.web.networkpolicies import list_url
from app.web.wording import say

router = APIRouter()

POLICY = "/clusters/{cluster}/namespaces/{namespace}/networkpolicies/{name}"


def policy_yaml(policy: NetworkPolicy | dict[str, Any]) -> str:
    """The YAML a person reads and edits: the object without ``metadata.managedFields``."""
    obj = policy.to_dict() if isinstance(policy, NetworkPolicy) else dict(policy)
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return dump_yaml({**obj, "metadata": meta})


MAX_YAML_BYTES = 256 * 1024


def policy_from_text(text: str) -> NetworkPolicy:
    """One NetworkPolicy from YAML or JSON text; ``Invalid`` with field causes otherwise
    (text ``app.policies.text`` refuses, several documents, another kind, wrongly typed fields)."""
    try:
        docs = parse_policy_text(text, max_bytes=MAX_YAML_BYTES)
    except TextError as exc:
        kind = {"size": "FieldValueTooLong"}.get(exc.reason, "FieldValueInvalid")
        raise Invalid(f"The text {exc}.", [FieldError("<yaml>", kind, f"the text {exc}")]) from None
    if not docs:
        raise Invalid(
            "The YAML is empty.", [FieldError("<yaml>", "FieldValueRequired", "enter a NetworkPolicy")]
        )
    if len(docs) > 1:
        raise Invalid(
            f"The YAML holds {len(docs)} documents; submit one NetworkPolicy at a time.",
            [FieldError("<yaml>", "FieldValueTooMany", f"{len(docs)} documents, expected one NetworkPolicy")],
        )
    doc = docs[0]
    if not isinstance(doc, dict):
        raise Invalid(
            "The YAML is not an object.",
            [FieldError("<root>", "FieldValueTypeInvalid", "expected an object")],
        )
    return NetworkPolicy.from_document(doc, require_type=True)


async def _refusal(request: Request, cluster: Cluster, user: Any, namespace: str = "", name: str = "") -> str:
    """Why this user may not change policies here, or (with ``name``) this policy, since it is
    being deleted ("" when they may), shown before they try."""
    refusal: DomainError | None = await editing.refusal(cluster, console_writer(request, user), namespace)
    if refusal is None and name:
        refusal = editing.being_deleted(cluster, namespace, name)
    return refusal.message if refusal is not None else ""


def _render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The page, or for htmx its ``content`` block (the template extends the layout unless ``hx``)."""
    return render(request, template, {"nav": "networkpolicies", **context}, status_code=status_code)


async def _live(request: Request, cluster: Cluster, namespace: str, name: str) -> NetworkPolicy:
    """The policy as the API server has it now, read for the signed-in person (the cache's copy
    when the server is away)."""
    try:
        return await cluster.get_network_policy(namespace, name, as_user=as_person(request))
    except Unavailable:
        cached = cluster.cache.network_policy(namespace, name)
        if cached is None:
            raise
        return cached


def _sentences(request: Request, policy: NetworkPolicy) -> list[str]:
    """The policy in words, in the page's language."""
    lang = language(request)
    return [say(lang, s) for s in describe(policy)]


# ----- details -----


@router.get(POLICY, response_class=HTMLResponse, name="networkpolicy-details")
async def details(request: Request, cluster: ClusterDep, namespace: str, name: str) -> HTMLResponse:
    policy = await _live(request, cluster, namespace, name)
    context = {
        "cluster": cluster.name,
        "namespace": namespace,
        "policy": policy,
        "deletion": deletion(policy),
        "namespace_deletion": ns.deletion if (ns := cluster.cache.namespace(namespace)) else None,
        "sentences": _sentences(request, policy),
        "summary": {d: summarize_direction(policy, d) for d in ("Ingress", "Egress")},
        "selected": analysis.selected_pods(cluster, policy),
        "peers": analysis.resolved_peers(cluster, policy),
        "yaml": policy_yaml(policy),
        "history": await policy_history(request, cluster.name, namespace, name),
    }
    return _render(request, "networkpolicies/details.html", context)


async def policy_history(request: Request, cluster: str, namespace: str, name: str) -> list[dict[str, Any]]:
    """The policy's audit entries, newest first; a successful create, update or restore is a
    version the user can restore."""
    async with request.app.state.sessions() as db:
        entries = await audit.history(db, cluster, namespace, name)
    return [
        {
            "entry": e,
            "diff": audit.entry_diff(e),
            "outcome": audit.outcome_text(e.outcome),
            "restorable": e.outcome == "success" and bool(e.after_json or e.stored_after_yaml),
        }
        for e in entries
    ]


# ----- YAML: view, download, edit -----


@router.get(POLICY + "/yaml", response_class=HTMLResponse, name="networkpolicy-yaml")
async def yaml_page(
    request: Request,
    cluster: ClusterDep,
    user: CurrentUser,
    namespace: str,
    name: str,
    edit: str = "",
    why: str = "",
) -> HTMLResponse:
    policy = await _live(request, cluster, namespace, name)
    text = policy_yaml(policy)
    if edit in ("1", "true"):
        context = _update_context(cluster, namespace, name, text, policy.metadata.resource_version or "", why)
        context["refused"] = await _refusal(request, cluster, user, namespace, name)
        return _render(request, "networkpolicies/create_yaml.html", context)
    context = {"cluster": cluster.name, "namespace": namespace, "name": name, "yaml": text}
    return _render(request, "networkpolicies/yaml.html", context)


def _update_context(cluster: Cluster, namespace: str, name: str, text: str, rv: str, why: str) -> dict[str, Any]:
    return {
        "cluster": cluster.name,
        "namespace": namespace,
        "name": name,
        "update": True,
        "why": why,
        "text": text,
        "resource_version": rv,
        "errors": [],
        "problem": "",
        "review": None,
    }


@router.get(POLICY + "/yaml/download", name="networkpolicy-yaml-download")
async def yaml_download(request: Request, cluster: ClusterDep, namespace: str, name: str) -> Response:
    policy = await _live(request, cluster, namespace, name)
    return Response(
        policy_yaml(policy),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'},
    )


@router.post(POLICY + "/yaml", response_class=HTMLResponse, name="networkpolicy-yaml-update")
async def yaml_update(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, name: str
) -> Response:
    data = await request.form()
    text = str(data.get("yaml", ""))
    rv = str(data.get("resource_version", ""))
    context = _update_context(cluster, namespace, name, text, rv, str(data.get("why", "")))

    def check(policy: NetworkPolicy) -> None:
        causes = []
        if policy.name != name:
            causes.append(
                FieldError("metadata.name", "FieldValueInvalid", f'this page edits "{name}"', policy.name)
            )
        if (policy.namespace or namespace) != namespace:
            causes.append(
                FieldError(
                    "metadata.namespace",
                    "FieldValueInvalid",
                    f'this page edits namespace "{namespace}"',
                    policy.namespace,
                )
            )
        if causes:
            raise Invalid.for_object("NetworkPolicy.networking.k8s.io", policy.name, causes)
        policy.metadata.namespace = namespace
        if not policy.metadata.resource_version:
            policy.metadata.resource_version = rv or None

    return await _submit(
        request,
        cluster,
        "networkpolicies/create_yaml.html",
        context,
        str(data.get("op", "review")),
        update=True,
        prepare=check,
        namespace=namespace,
        writer=console_writer(request, user),
    )


# ----- Create from YAML -----

_STARTER = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: example
spec:
  podSelector:
    matchLabels:
      app: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: busybox
    ports:
    - protocol: TCP
      port: 80
"""


def _create_context(cluster: Cluster, namespace: str, text: str) -> dict[str, Any]:
    objects = cluster.cache.namespaces()
    namespaces = sorted(n.name for n in objects)
    return {
        "cluster": cluster.name,
        "namespace": namespace,
        "namespaces": namespaces,
        "terminating": terminating_namespaces(objects),
        "text": text,
        "update": False,
        "name": "",
        "errors": [],
        "problem": "",
        "review": None,
    }


@router.get(
    "/clusters/{cluster}/networkpolicies/create-yaml",
    response_class=HTMLResponse,
    name="networkpolicy-create-yaml",
)
async def create_yaml(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str = "default"
) -> HTMLResponse:
    context = _create_context(cluster, namespace, _STARTER)
    context["refused"] = await _refusal(request, cluster, user, namespace)
    return _render(request, "networkpolicies/create_yaml.html", context)


@router.post(
    "/clusters/{cluster}/networkpolicies/create-yaml",
    response_class=HTMLResponse,
    name="networkpolicy-create-yaml-submit",
)
async def create_yaml_submit(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str = "default"
) -> Response:
    data = await request.form()
    namespace = str(data.get("namespace", namespace)) or namespace
    context = _create_context(cluster, namespace, str(data.get("yaml", "")))

    def fill(policy: NetworkPolicy) -> None:
        if not policy.metadata.namespace:
            policy.metadata.namespace = namespace

    return await _submit(
        request,
        cluster,
        "networkpolicies/create_yaml.html",
        context,
        str(data.get("op", "review")),
        update=False,
        prepare=fill,
        namespace=namespace,
        writer=console_writer(request, user),
    )


async def _submit(
    request: Request,
    cluster: Cluster,
    template: str,
    context: dict[str, Any],
    op: str,
    *,
    update: bool,
    prepare: Any,
    namespace: str,
    writer: editing.Writer,
) -> Response:
    """Validate the YAML; ``review`` answers the dry run, ``apply`` writes and goes to the list;
    ``edit`` shows the text again."""
    if op == "edit":
        return _render(request, template, context)
    try:
        policy = policy_from_text(context["text"])
        prepare(policy)
        outcome = await editing.write(cluster, policy, update=update, dry_run=op != "apply", writer=writer)
    except DomainError as exc:
        refused = refusal(request, exc)
        context["errors"] = refused.causes
        context["problem"] = refused.banner or tell(request, N_("The policy is not valid; nothing was applied."))
        context["conflict"] = isinstance(exc, Conflict) and not isinstance(exc, BeingDeleted)
        return _render(request, template, context, refused.status)
    if op != "apply":
        context["review"] = {
            "yaml": review_yaml(outcome.policy, create=not update),
            "warnings": outcome.warnings,
            "sentences": _sentences(request, outcome.policy),
            "impact": policy_impact(analysis.world(cluster), outcome.policy),
        }
        return _render(request, template, context)
    done, policy = ("updated" if update else "created"), outcome.policy
    return redirect(
        request, list_url(request, cluster.name, policy.namespace or namespace, done=done, name=policy.name)
    )


# ----- delete -----


def _delete_context(cluster: Cluster, policy: NetworkPolicy, rv: str) -> dict[str, Any]:
    return {
        "cluster": cluster.name,
        "namespace": policy.namespace,
        "name": policy.name,
        "policy": policy,
        "resource_version": rv,
        "selected": analysis.selected_pods(cluster, policy),
        "unprotected": analysis.unprotected_after_delete(cluster, policy),
        "impact": delete_impact(analysis.world(cluster), policy.namespace or "", policy.name),
        "problem": "",
    }


@router.get(POLICY + "/delete", response_class=HTMLResponse, name="networkpolicy-delete")
async def delete_page(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, name: str
) -> HTMLResponse:
    policy = await _live(request, cluster, namespace, name)
    context = _delete_context(cluster, policy, policy.metadata.resource_version or "")
    context["refused"] = await _refusal(request, cluster, user, namespace, name)
    return _render(request, "networkpolicies/delete.html", context)


@router.post(POLICY + "/delete", response_class=HTMLResponse, name="networkpolicy-delete-confirm")
async def delete_confirm(
    request: Request, cluster: ClusterDep, user: CurrentUser, namespace: str, name: str
) -> Response:
    rv = str((await request.form()).get("resource_version", ""))
    try:
        await editing.delete(
            cluster, namespace, name, resource_version=rv or None, writer=console_writer(request, user)
        )
    except DomainError as exc:
        refused = refusal(request, exc)
        policy = await _live(request, cluster, namespace, name)
        context = _delete_context(cluster, policy, rv)
        if isinstance(exc, Conflict) and not isinstance(exc, BeingDeleted):
            # the policy changed since the page was shown: what it does now, to confirm again
            context["problem"] = refused.banner
            context["changed"] = policy.metadata.resource_version or ""
        else:
            context["refused"] = refused.banner
        return _render(request, "networkpolicies/delete.html", context, refused.status)
    return redirect(request, list_url(request, cluster.name, namespace, done="deleted", name=name))


# ----- recipes -----


@router.get(
    "/clusters/{cluster}/networkpolicies/recipes", response_class=HTMLResponse, name="networkpolicy-recipes"
)
async def recipes(request: Request, cluster: ClusterDep, namespace: str = "default") -> HTMLResponse:
    lang = language(request)
    context = {
        "cluster": cluster.name,
        "namespace": namespace,
        "recipes": list(RECIPES.values()),
        "descriptions": {r.name: say(lang, r.description) for r in RECIPES.values()},
        "previews": {
            r.name: _sentences(request, NetworkPolicy.from_dict(r.policy(namespace))) for r in RECIPES.values()
        },
    }
    return _render(request, "networkpolicies/recipes.html", context)
