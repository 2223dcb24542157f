"""Connectivity questions over a cluster's cache: one connection explained, a namespace's matrix."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app import analysis
from app.api.auth import CallerDep
from app.api.common import AnalysisCluster, require_namespace
from app.api.schemas import (
    ConnectivityRequest,
    ConnectivityResult,
    EnforcementPart,
    IPEnd,
    MatrixAnswer,
    PodEnd,
    ServiceEnd,
)
from app.errors import BadRequest
from app.policies.connection import IP, POD, SERVICE, End
from app.policies.text import parse_port

router = APIRouter(tags=["analysis"])

PortQuery = Annotated[str, Query(min_length=1, max_length=15, description="A port number or a named port")]
ProtocolQuery = Annotated[Literal["TCP", "UDP", "SCTP"], Query()]

MATRIX_LIMIT = 500  # pods of one namespace: 250,000 cells


def _end(given: str | PodEnd | IPEnd | ServiceEnd) -> End:
    if isinstance(given, str):
        return End.read(given)
    if isinstance(given, PodEnd):
        return End(POD, given.pod)
    if isinstance(given, ServiceEnd):
        return End(SERVICE, given.service)
    return End(IP, given.ip)


@router.post(
    "/clusters/{cluster}/connectivity",
    response_model=ConnectivityResult,
    summary="May one endpoint (a pod, an IP address) connect to another (a pod, a Service, an IP address), and why",
)
async def connectivity(body: ConnectivityRequest, caller: CallerDep, c: AnalysisCluster) -> ConnectivityResult:
    answer = analysis.check(c, _end(body.from_), _end(body.to), parse_port(body.port), body.protocol)
    return ConnectivityResult(
        allowed=answer.allowed,
        explanation=answer.lines(),
        details=answer.as_dict(),
        notes=[str(n) for n in answer.notes],
        summary=str(answer.service.summary) if answer.service is not None else None,
        enforcement=EnforcementPart(**analysis.holds(c, answer).as_dict()),
    )


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/reachability",
    response_model=MatrixAnswer,
    summary="Who may connect to whom among a namespace's pods on one port",
)
async def reachability(
    namespace: str,
    caller: CallerDep,
    c: AnalysisCluster,
    port: PortQuery,
    protocol: ProtocolQuery = "TCP",
) -> MatrixAnswer:
    require_namespace(c, namespace)
    pods = len(c.cache.pods(namespace))
    if pods > MATRIX_LIMIT:
        # The answer grows with pods squared: bound it rather than let one call build megabytes.
        raise BadRequest(f"namespace {namespace} has {pods} pods; the matrix is served for at most {MATRIX_LIMIT}")
    m = analysis.matrix(c, namespace, parse_port(port), protocol)
    data = m.as_dict()
    return MatrixAnswer(
        namespace=namespace, port=parse_port(port), protocol=protocol, pods=data["pods"], allowed=data["allowed"]
    )
