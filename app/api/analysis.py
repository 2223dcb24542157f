"""Connectivity questions over a cluster's cache: one connection explained, a namespace's matrix."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app import analysis
from app.api.auth import CallerDep
from app.api.common import AnalysisCluster, require_namespace
from app.api.schemas import ConnectivityAnswer, ConnectivityQuery, MatrixAnswer
from app.errors import BadRequest
from app.policies.text import parse_port

router = APIRouter(tags=["analysis"])

PortQuery = Annotated[str, Query(min_length=1, max_length=15, description="A port number or a named port")]
ProtocolQuery = Annotated[Literal["TCP", "UDP", "SCTP"], Query()]

MATRIX_LIMIT = 500  # pods of one namespace: 250,000 cells


@router.post(
    "/clusters/{cluster}/connectivity",
    response_model=ConnectivityAnswer,
    summary="May one endpoint connect to another, and why",
)
async def connectivity(body: ConnectivityQuery, caller: CallerDep, c: AnalysisCluster) -> ConnectivityAnswer:
    verdict = analysis.explain(c, body.from_, body.to, parse_port(body.port), body.protocol)
    return ConnectivityAnswer(allowed=verdict.allowed, explanation=verdict.lines(), details=verdict.as_dict())


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
