"""The impact of a change before it is applied: the connections it newly denies or allows. The change
is a NetworkPolicy created or replaced, a policy deleted, or new labels for a namespace or for a
workload's pods (its pod template's), which change which policies select those pods and which peers
match them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from app import analysis
from app.analysis.workloads import PLURALS, find_workload, relabel_impact
from app.api.auth import CallerDep
from app.api.bodies import POLICY_SCHEMA, policy_from_document
from app.api.common import AnalysisCluster, require_namespace
from app.api.schemas import WorkloadKind
from app.cluster.client import Cluster
from app.cluster.deps import ready_cluster
from app.errors import Invalid, NotFound
from app.policies.documents import DEFAULT_NAMESPACE
from app.policies.impact import Impact, delete_impact, namespace_relabel_impact, policy_impact
from app.policies.names import validate_labels
from app.policies.validation import validate_network_policy

router = APIRouter(tags=["analysis"])


class PolicyRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str = Field(min_length=1, max_length=63)
    name: str = Field(min_length=1, max_length=253)


class WorkloadRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: WorkloadKind
    name: str = Field(min_length=1, max_length=253)


class Relabel(BaseModel):
    """New labels for a namespace, or (with ``workload``) for the pods of one of its workloads."""

    model_config = ConfigDict(extra="forbid")

    namespace: str = Field(min_length=1, max_length=63)
    workload: WorkloadRef | None = Field(default=None, description="absent: the namespace's own labels change")
    labels: dict[str, str] = Field(
        description="all the labels it gets, replacing its own (a namespace keeps kubernetes.io/metadata.name)"
    )


class ImpactRequest(BaseModel):
    """Exactly one of ``policy`` (created, or replacing the policy of the same namespace and name),
    ``delete`` and ``relabel``."""

    model_config = ConfigDict(extra="forbid")

    policy: Annotated[dict[str, Any] | None, WithJsonSchema({"anyOf": [POLICY_SCHEMA, {"type": "null"}]})] = Field(
        default=None,
        description='A NetworkPolicy object (or the form model as {"form": {...}}); '
        "metadata.namespace defaults to 'default'",
    )
    delete: PolicyRef | None = None
    relabel: Relabel | None = None

    @model_validator(mode="after")
    def _one(self) -> ImpactRequest:
        if [self.policy, self.delete, self.relabel].count(None) != 2:
            raise ValueError("send exactly one of 'policy', 'delete' and 'relabel'")
        return self


class ImpactFlow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    port: int
    protocol: str


class ImpactGroup(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    change: Literal["denied", "allowed"]
    from_: str = Field(alias="from", description="the source workload, ns/name")
    to: str = Field(description="the destination workload, ns/name")
    port: int
    protocol: str
    portName: str | None = None
    count: int = Field(description="how many pod-to-pod flows change")
    flows: list[ImpactFlow] = Field(description="the first few of them")
    explanation: list[str] = Field(description="why the first flow is decided so after the change")


class ImpactAnswer(BaseModel):
    unchanged: bool = Field(description="true: no connection changes")
    newlyDenied: list[ImpactGroup]
    newlyAllowed: list[ImpactGroup]
    affectedPods: list[str]
    checked: int = Field(description="flows evaluated (pairs of pods × ports)")


@router.post(
    "/clusters/{cluster}/impact",
    response_model=ImpactAnswer,
    response_model_by_alias=True,
    summary="The connections a policy change or a relabelling would newly deny or allow, before it is applied",
)
async def impact_of_change(
    request: Request, body: ImpactRequest, caller: CallerDep, c: AnalysisCluster
) -> ImpactAnswer:
    if body.relabel is not None:
        answer = await _relabel_impact(request, c, body.relabel)
    elif body.delete is not None:
        require_namespace(c, body.delete.namespace)
        answer = delete_impact(analysis.world(c), body.delete.namespace, body.delete.name)
    else:
        policy, _ = policy_from_document(body.policy)
        policy.metadata.namespace = policy.metadata.namespace or DEFAULT_NAMESPACE
        result = validate_network_policy(policy)
        if not result.valid:
            raise result.as_invalid(policy.name)
        require_namespace(c, policy.metadata.namespace)
        answer = policy_impact(analysis.world(c), policy)
    return ImpactAnswer.model_validate(answer.as_dict())


async def _relabel_impact(request: Request, c: Cluster, relabel: Relabel) -> Impact:
    require_namespace(c, relabel.namespace)
    causes = validate_labels(relabel.labels, "relabel.labels")
    if causes:
        raise Invalid("The labels are not valid.", causes)
    ref = relabel.workload
    if ref is None:
        return namespace_relabel_impact(analysis.world(c), relabel.namespace, relabel.labels)
    # the route reads no workload kind otherwise: this one is checked now, as its own routes do
    await ready_cluster(request.app.state.clusters, c.name, (PLURALS[ref.kind],))
    workload = find_workload(c, ref.kind, relabel.namespace, ref.name)
    if workload is None:
        raise NotFound(f'{ref.kind} "{ref.name}" not found in namespace {relabel.namespace}')
    return relabel_impact(c, workload, relabel.labels)
