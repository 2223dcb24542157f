"""NetworkPolicy routes: list, read (with ETag), create, replace (resourceVersion or If-Match),
delete, and offline validation.

Reads come from the cluster's watch-fed cache; writes go through app.editing.service (our
validation, then the API server), which also checks the operator role and the whitelist gate
(for API writes when the admin gates the API) and records real writes in the audit log with
``via="api"``. A write also needs a token with the write scope.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Query, Request, Response

from app.analysis.lints import lint_stored
from app.api import bodies, paging
from app.api.auth import CallerDep, WriterDep
from app.api.common import (
    DryRunQuery,
    PolicyCluster,
    api_writer,
    etag,
    if_match,
    is_dry,
    policy_answer,
    require_namespace,
)
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import (
    LintedPolicyAnswer,
    LintedValidationAnswer,
    LintedValidationResult,
    LintFinding,
    ListMeta,
    PolicyAnswer,
    PolicyList,
)
from app.cluster import Cluster, ClusterCache
from app.editing import service as editing
from app.errors import BadRequest, Invalid, NotFound
from app.policies.lint import Lint, lint_offline
from app.policies.model import NetworkPolicy
from app.policies.validation import validate_network_policy

router = APIRouter(tags=["networkpolicies"])

KIND = "NetworkPolicy"
BASE = "/clusters/{cluster}/namespaces/{namespace}/networkpolicies"
_LINT_CONTEXT = ("Pod", "Namespace", "Service")
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The policy's resourceVersion, quoted."}}


async def _read_policy(request: Request) -> NetworkPolicy:
    (doc,) = await bodies.read_documents(request)
    policy, _ = bodies.policy_from_document(doc)
    return policy


# Each cache's list answers (JSON bytes), by namespace (None: all), limit and continue token, as
# serialised at one version of the cached NetworkPolicies (``kind_version``): a change the cache
# sees moves the version, so the next request serialises again. At most LIST_MEMO answers a version.
LIST_MEMO = 64
_lists: WeakKeyDictionary[ClusterCache, tuple[int, dict[tuple[str | None, int | None, str | None], bytes]]] = (
    WeakKeyDictionary()
)


def _policy_page(
    request: Request, c: Cluster, namespace: str | None, limit: int | None, continue_: str | None
) -> Response:
    """One page of the cached NetworkPolicies (of ``namespace``, or of every namespace), as
    ``PolicyList`` JSON with a digest ETag (``If-None-Match`` answers 304)."""
    cache = c.cache
    version = cache.kind_version("networkpolicies")
    held = _lists.get(cache)
    if held is None or held[0] != version:
        held = _lists[cache] = (version, {})
    key = (namespace, limit, continue_)
    body = held[1].get(key)
    if body is None:
        items, more = paging.page(
            cache.network_policies(namespace),
            (lambda p: p.name) if namespace is not None else (lambda p: [p.namespace, p.name]),
            f"{c.name}/{namespace}/networkpolicies" if namespace is not None else f"{c.name}/networkpolicies",
            limit,
            continue_,
        )
        answer = PolicyList(items=[policy_answer(p) for p in items], metadata=ListMeta(continue_=more))
        body = answer.model_dump_json(by_alias=True).encode()
        if len(held[1]) < LIST_MEMO:
            held[1][key] = body
    return paging.json_answer(request, body)


@router.get(BASE, response_model=PolicyList, summary="NetworkPolicies of a namespace")
async def list_policies(
    request: Request,
    namespace: str,
    caller: CallerDep,
    c: PolicyCluster,
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> Response:
    require_namespace(c, namespace)
    return _policy_page(request, c, namespace, limit, continue_)


@router.get(
    "/clusters/{cluster}/networkpolicies",
    response_model=PolicyList,
    summary="NetworkPolicies of every namespace (as `kubectl get networkpolicies -A`)",
)
async def list_all_policies(
    request: Request,
    caller: CallerDep,
    c: PolicyCluster,
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> Response:
    return _policy_page(request, c, None, limit, continue_)


@router.get(
    BASE + "/{name}",
    response_model=LintedPolicyAnswer,
    summary="One NetworkPolicy (ETag: its resourceVersion), with its lint",
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_policy(
    request: Request, response: Response, namespace: str, name: str, caller: CallerDep, c: PolicyCluster
) -> LintedPolicyAnswer:
    policy = c.cache.network_policy(namespace, name)
    if policy is None:
        raise NotFound(f'networkpolicies.networking.k8s.io "{name}" not found')
    if policy.metadata.resource_version:
        response.headers["ETag"] = etag(policy.metadata.resource_version)
    answer = policy_answer(policy).model_dump(by_alias=True, exclude={"terminating"})
    # the stored policy's lint, kept until it or what it reads changes (as the list page's)
    lints = lint_stored(c, [policy])[policy.ref()]
    return LintedPolicyAnswer.model_validate({**answer, "lints": _findings(lints)})


def _findings(found: list[Lint]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in found]


@router.post(
    BASE,
    response_model=PolicyAnswer,
    status_code=201,
    summary="Create a NetworkPolicy",
    openapi_extra={"requestBody": bodies.POLICY_BODY_DOC},
    responses={200: {"description": "A dry run: what would be stored.", "model": PolicyAnswer}},
)
async def create_policy(
    request: Request,
    response: Response,
    namespace: str,
    caller: WriterDep,
    c: PolicyCluster,
    dry: DryRunQuery = None,
) -> PolicyAnswer:
    dry_run = is_dry(dry)
    policy = bodies.place(await _read_policy(request), namespace)
    require_namespace(c, namespace)

    outcome = await editing.write(c, policy, update=False, dry_run=dry_run, writer=api_writer(request, caller))
    response.status_code = 200 if dry_run else 201
    if outcome.policy.metadata.resource_version and not dry_run:
        response.headers["ETag"] = etag(outcome.policy.metadata.resource_version)
    return policy_answer(outcome.policy, outcome.warnings, dry_run=dry_run)


@router.put(
    BASE + "/{name}",
    response_model=PolicyAnswer,
    summary="Replace a NetworkPolicy",
    description="The body must carry `metadata.resourceVersion` (or send it as `If-Match`); a stale "
    "version answers 409.",
    openapi_extra={"requestBody": bodies.POLICY_BODY_DOC},
    responses={200: {"headers": ETAG_HEADER}},
)
async def replace_policy(
    request: Request,
    response: Response,
    namespace: str,
    name: str,
    caller: WriterDep,
    c: PolicyCluster,
    dry: DryRunQuery = None,
) -> PolicyAnswer:
    dry_run = is_dry(dry)
    policy = bodies.place(await _read_policy(request), namespace, name)
    wanted = if_match(request)
    if wanted is not None:
        if policy.metadata.resource_version and policy.metadata.resource_version != wanted:
            raise BadRequest(
                f"If-Match ({wanted}) and metadata.resourceVersion "
                f"({policy.metadata.resource_version}) differ"
            )
        policy.metadata.resource_version = wanted
    outcome = await editing.write(c, policy, update=True, dry_run=dry_run, writer=api_writer(request, caller))
    if outcome.policy.metadata.resource_version and not dry_run:
        response.headers["ETag"] = etag(outcome.policy.metadata.resource_version)
    return policy_answer(outcome.policy, outcome.warnings, dry_run=dry_run)


@router.delete(
    BASE + "/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete a NetworkPolicy",
    description="With `If-Match`, only when the policy is still at that resourceVersion (else 409).",
)
async def delete_policy(
    request: Request, namespace: str, name: str, caller: WriterDep, c: PolicyCluster
) -> Response:
    await editing.delete(
        c, namespace, name, writer=api_writer(request, caller), resource_version=if_match(request)
    )
    return Response(status_code=204)


@router.post(
    "/validate",
    response_model=LintedValidationAnswer,
    tags=["networkpolicies"],
    summary="Validate NetworkPolicies as the API server would (no cluster needed)",
    description="One object, a JSON array of objects, a `List` (`items`), several YAML documents, "
    'or `{"form": {...}}`; a missing namespace is `default`. '
    "Always 200 when the body parses: `valid` says the verdict. With `lint=true`, each result also "
    "holds `lints`, and Pods, Namespaces and Services in the body are the context lint judges against "
    "(not validated).",
    openapi_extra={"requestBody": bodies.POLICIES_BODY_DOC},
)
async def validate(
    request: Request,
    caller: CallerDep,
    lint: bool = Query(False, description="Also report likely mistakes (`lints` in each result)."),
) -> LintedValidationAnswer:
    docs = await bodies.read_documents(request, many=True)
    flat: list[Any] = []
    for doc in docs:
        if isinstance(doc, list):
            flat.extend(doc)
        elif isinstance(doc, dict) and isinstance(doc.get("items"), list) and "spec" not in doc:
            flat.extend(doc["items"])
        else:
            flat.append(doc)
    context = [d for d in flat if lint and isinstance(d, dict) and d.get("kind") in _LINT_CONTEXT]
    flat = [d for d in flat if not any(d is x for x in context)]
    if not flat:
        raise BadRequest("no object to validate")
    results: list[LintedValidationResult] = []
    linted: list[tuple[LintedValidationResult, NetworkPolicy]] = []
    for doc in flat:
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        name = str((meta or {}).get("name") or "") if isinstance(meta, dict) else ""
        namespace = str((meta or {}).get("namespace") or "") if isinstance(meta, dict) else ""
        try:
            policy, _ = bodies.policy_from_document(doc)
        except Invalid as exc:
            results.append(
                LintedValidationResult(
                    name=name,
                    namespace=namespace,
                    valid=False,
                    errors=[c.as_dict() for c in exc.causes],
                    warnings=[],
                )
            )
            continue
        if not policy.metadata.namespace:
            policy.metadata.namespace = "default"  # as kubectl fills it in
        verdict = validate_network_policy(policy)
        results.append(
            LintedValidationResult(
                name=policy.name,
                namespace=policy.namespace,
                valid=verdict.valid,
                errors=[c.as_dict() for c in verdict.errors],
                warnings=verdict.warnings,
            )
        )
        linted.append((results[-1], policy))
    if lint:
        for result in results:
            result.lints = []
        for (result, _), found in zip(linted, lint_offline([p for _, p in linted], context), strict=True):
            result.lints = [LintFinding.model_validate(f) for f in _findings(found)]
    return LintedValidationAnswer(valid=all(r.valid for r in results), results=results)
