"""The impact of a NetworkPolicy change before it is applied: the connections it newly denies or allows."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import analysis
from app.api.auth import CallerDep
from app.api.bodies import policy_from_document
from app.api.common import AnalysisCluster, require_namespace
from app.policies.documents import DEFAULT_NAMESPACE
from app.policies.impact import delete_impact, policy_impact
from app.policies.validation import validate_network_policy

router = APIRouter(tags=["analysis"])


class PolicyRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str = Field(min_length=1, max_length=63)
    name: str = Field(min_length=1, max_length=253)


class ImpactRequest(BaseModel):
    """Either ``policy`` (created, or replacing the policy of the same namespace and name) or ``delete``."""

    model_config = ConfigDict(extra="forbid")

    policy: dict[str, Any] | None = Field(
        default=None,
        description='A NetworkPolicy object (or the form model as {"form": {...}}); '
        "metadata.namespace defaults to 'default'",
    )
    delete: PolicyRef | None = None

    @model_validator(mode="after")
    def _one(self) -> ImpactRequest:
        if (self.policy is None) == (self.delete is None):
            raise ValueError("send exactly one of 'policy' and 'delete'")
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
    summary="The connections a policy change would newly deny or allow, before it is applied",
)
async def impact_of_change(body: ImpactRequest, caller: CallerDep, c: AnalysisCluster) -> ImpactAnswer:
    if body.delete is not None:
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
