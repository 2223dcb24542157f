"""The Connectivity page: may this pod (or address) reach that pod, Service or address on a port,
and why; and the pod × pod matrix of a namespace for a port. Answers come from app.analysis over
the cache."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import analysis
from app.errors import BadRequest, Forbidden, NotFound
from app.policies.connection import IP, POD, SERVICE, End
from app.policies.lifecycle import terminating_namespaces
from app.policies.model import PROTOCOLS
from app.policies.text import parse_port
from app.web.deps import ClusterDep
from app.web.forms import refusal, render

router = APIRouter()

MATRIX_LIMIT = 80  # pods; a bigger table is unreadable (the REST API serves the whole matrix)


# Each side's fields: the pod picked (``from``/``to``), the Service picked, the address typed.
FIELDS = {POD: "{side}", SERVICE: "{side}_service", IP: "{side}_ip"}
SIDE_KINDS = {"from": (POD, IP), "to": (POD, SERVICE, IP)}


def _end(q: Any, side: str) -> End | None:
    """The end the Type picks (``from_kind``/``to_kind``); when its field is empty, the one filled
    in (an address typed first, as before the Type existed), so the page works without JavaScript
    and old links keep their meaning. None when nothing is filled in."""
    kinds = SIDE_KINDS[side]
    values = {kind: q.get(FIELDS[kind].format(side=side), "").strip() for kind in kinds}
    chosen = q.get(f"{side}_kind", "")
    if chosen in kinds and values[chosen]:
        return End(chosen, values[chosen])
    for kind in (IP, SERVICE, POD):
        if values.get(kind):
            return End(kind, values[kind])
    return None


def _port(text: str) -> int | str:
    """A port number (1-65535) or a port name, read by ``parse_port``; ``BadRequest`` for a
    number out of range (digits beyond int64 included, which stay text)."""
    port = parse_port(text)
    huge = isinstance(port, str) and port.lstrip("+-").isascii() and port.lstrip("+-").isdigit()
    if huge or isinstance(port, int) and not 1 <= port <= 65535:
        raise BadRequest(f"port {text.strip()[:20]!r} is out of range: enter 1-65535 or a port name")
    return port


@router.get("/clusters/{cluster}/connectivity", response_class=HTMLResponse, name="connectivity")
async def connectivity(request: Request, cluster: ClusterDep) -> HTMLResponse:
    q = request.query_params
    protocol = q.get("protocol", "TCP").upper()
    protocol = protocol if protocol in PROTOCOLS else "TCP"
    pods = [p.ref for p in analysis.namespace_pods(cluster, None)]
    services = [s.ref for s in analysis.services(cluster)]
    namespaces = sorted(
        {ref.split("/", 1)[0] for ref in pods}
        | set(cluster.cache.namespace_names())
    )
    context: dict[str, Any] = {
        "cluster": cluster.name,
        "nav": "connectivity",
        "pods": pods,
        "services": services,
        "side_kinds": SIDE_KINDS,
        "namespaces": namespaces,
        "terminating": terminating_namespaces(cluster.cache.namespaces()),
        "protocols": PROTOCOLS,
        "q": {
            k: q.get(k, "")
            for k in ("from", "from_ip", "from_kind", "to", "to_ip", "to_service", "to_kind", "port", "mport",
                      "mnamespace")
        },
        "protocol": protocol,
        "mprotocol": q.get("mprotocol", "TCP").upper()
        if q.get("mprotocol", "TCP").upper() in PROTOCOLS
        else "TCP",
        "answer": None,
        "holding": None,
        "marks": {},
        "error": "",
        "matrix": None,
        "matrix_error": "",
    }
    status = 200
    src, dst, port = _end(q, "from"), _end(q, "to"), q.get("port", "")
    if src or dst or port:
        if not (src and dst and port.strip()):
            context["error"] = "Choose a source, a destination and a port."
            status = 400
        else:
            try:
                context["answer"] = analysis.check(cluster, src, dst, _port(port), protocol)
                context["holding"] = analysis.holds(cluster, context["answer"])
            except (BadRequest, Forbidden, NotFound) as exc:
                refused = refusal(request, exc)
                context["error"], status = refused.banner, refused.status
    mnamespace, mport = q.get("mnamespace", ""), q.get("mport", "")
    if mnamespace and mport.strip():
        members = analysis.namespace_pods(cluster, mnamespace)
        if len(members) > MATRIX_LIMIT:
            context["matrix_error"] = f"{len(members)} pods are too many to show (at most {MATRIX_LIMIT})."
        else:
            try:
                context["matrix"] = analysis.matrix(cluster, mnamespace, _port(mport), context["mprotocol"])
                context["marks"] = analysis.matrix_marks(cluster, context["matrix"])
            except BadRequest as exc:
                refused = refusal(request, exc)
                context["matrix_error"], status = refused.banner, refused.status
    return render(request, "connectivity/index.html", context, status_code=status)
