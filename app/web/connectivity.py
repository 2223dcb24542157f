"""The Connectivity page: may this pod (or address) reach that pod, Service or address on a port,
and why; and the matrix of the namespaces picked for a port, by workload or by pod, any cell
explained on click (the same answer as the check) and downloaded as CSV, Markdown or SVG. Answers
come from app.analysis over the cache."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app import analysis
from app.analysis.matrix_view import grid_marks, matrix_view
from app.cluster.client import Cluster
from app.errors import BadRequest, Forbidden, NotFound
from app.policies.connection import IP, POD, SERVICE, End
from app.policies.documents import Pod
from app.policies.lifecycle import terminating_namespaces
from app.policies.matrix import Matrix
from app.policies.matrix_export import BY_POD, BY_WORKLOAD, EXPORT_LIMIT, FORMATS, Grid, Head, attachment
from app.policies.model import PROTOCOLS
from app.policies.text import parse_port
from app.policies.words import N_, Words
from app.web.deps import ClusterDep
from app.web.forms import refusal, render

router = APIRouter()

SHOWN_LIMIT = 100  # rows (and columns) of the matrix table on the page; the downloads hold all
PAIRS_SHOWN = 20  # pod pairs listed when a group cell is explained
MATRIX_KEYS = ("mnamespace", "mport", "mprotocol", "mby")


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
    every_pod = analysis.namespace_pods(cluster, None)
    pods = [p.ref for p in every_pod]
    services = [s.ref for s in analysis.services(cluster)]
    namespaces = sorted({p.namespace for p in every_pod} | set(cluster.cache.namespace_names()))
    picked = [ns for ns in dict.fromkeys(q.getlist("mnamespace")) if ns]
    context: dict[str, Any] = {
        "cluster": cluster.name,
        "nav": "connectivity",
        "pods": pods,
        "services": services,
        "side_kinds": SIDE_KINDS,
        "namespaces": namespaces,
        # before any matrix was asked for, "default" (else the first namespace) is ticked
        "picked": picked or ([] if q.get("mport") else ["default"] if "default" in namespaces else namespaces[:1]),
        "terminating": terminating_namespaces(cluster.cache.namespaces()),
        "protocols": PROTOCOLS,
        "q": {
            k: q.get(k, "")
            for k in ("from", "from_ip", "from_kind", "to", "to_ip", "to_service", "to_kind", "port", "mport")
        },
        "protocol": protocol,
        "mprotocol": _protocol(q.get("mprotocol", "TCP")),
        "mby": BY_POD if q.get("mby") == BY_POD else BY_WORKLOAD,
        "answer": None,
        "holding": None,
        "marks": {},
        "error": "",
        "grid": None,
        "shown": 0,
        "matrix_notes": [],
        "matrix_error": "",
        "cell": None,
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
    if q.get("mport", "").strip():
        try:
            status = max(status, _matrix(request, cluster, context, every_pod))
        except BadRequest as exc:
            refused = refusal(request, exc)
            context["matrix_error"], status = refused.banner, refused.status
    return render(
        request, "connectivity/index.html", context, status_code=status,
        fragment="connectivity/_cell.html", target="cx-cell",
    )


def _protocol(text: str) -> str:
    return text.upper() if text.upper() in PROTOCOLS else "TCP"


def _matrix_query(picked: list[str], port: str, protocol: str, by: str) -> list[tuple[str, str]]:
    return [*(("mnamespace", ns) for ns in picked), ("mport", port), ("mprotocol", protocol), ("mby", by)]


def _read_matrix(cluster: Cluster, q: Any, pods: list[Pod]) -> tuple[list[str], int | str, str, str]:
    """The namespaces picked, port, protocol and view of the matrix form; ``BadRequest`` for none
    picked, a namespace the cache does not hold (nor any of ``pods``), or a bad port."""
    picked = [ns for ns in dict.fromkeys(q.getlist("mnamespace")) if ns]
    if not picked:
        raise BadRequest(Words(N_("Choose at least one namespace for the matrix.")))
    known = set(cluster.cache.namespace_names()) | {p.namespace for p in pods}
    unknown = [ns for ns in picked if ns not in known]
    if unknown:
        raise BadRequest(Words(N_("Namespace {name} was not found."), name=unknown[0][:100]))
    text = q.get("mport", "")
    if not text.strip():
        raise BadRequest(Words(N_("Enter a port for the matrix.")))
    return picked, _port(text), _protocol(q.get("mprotocol", "TCP")), BY_POD if q.get("mby") == BY_POD else BY_WORKLOAD


def _matrix(request: Request, cluster: Cluster, context: dict[str, Any], every_pod: list[Pod]) -> int:
    """Fill the page's matrix (and the cell asked about); the status it calls for."""
    q = request.query_params
    picked, port, protocol, by = _read_matrix(cluster, q, every_pod)
    notes: list[Words] = []
    chosen = set(picked)
    pods = sum(1 for p in every_pod if p.namespace in chosen)
    if by == BY_POD and pods > SHOWN_LIMIT:
        notes.append(Words(
            N_("{pods} pods are too many to show one by one (at most {limit}): the matrix is shown by workload."),
            pods=str(pods), limit=str(SHOWN_LIMIT),
        ))
        by = BY_WORKLOAD
    m, grid = matrix_view(cluster, picked, port, protocol, by)
    shown = min(len(grid.heads), SHOWN_LIMIT)
    if shown < len(grid.heads):
        notes.append(Words(
            N_("Only the first {shown} of {rows} rows and columns are shown; the downloads hold the whole matrix."),
            shown=str(shown), rows=str(len(grid.heads)),
        ))
    query = _matrix_query(picked, q.get("mport", "").strip(), protocol, by)
    context.update(
        grid=grid,
        shown=shown,
        mby=by,
        matrix_notes=notes,
        marks=grid_marks(cluster, m, grid, shown),
        short=len(picked) == 1,
        cell_query=urlencode(query),
        export_query=urlencode(query),
    )
    cfrom, cto = q.get("cfrom", ""), q.get("cto", "")
    if not (cfrom or cto):
        return 200
    src, dst = _head(m, grid, cfrom), _head(m, grid, cto)
    if src is None or dst is None:
        gone = N_("This cell is not in the matrix (its pods may have changed): show the matrix again.")
        context["cell"] = {"error": Words(gone)}
        return 404
    context["cell"] = _cell(cluster, m, grid, src, dst)
    return 200


def _head(m: Matrix, grid: Grid, key: str) -> Head | None:
    """The row or column ``key`` names; a pod of the matrix (``ns/name``) is a head of its own."""
    found = grid.find(key)
    if found is None and key in m.pods:
        namespace, name = key.split("/", 1)
        found = Head(key, namespace, name, None, (key,))
    return found


def _cell(cluster: Cluster, m: Matrix, grid: Grid, src: Head, dst: Head) -> dict[str, Any]:
    """A cell explained: for one pod pair, the Connectivity check's answer; for a group, its pairs
    (the first few) and the answer for its first allowed and its first denied pair."""
    pairs = [(s, d, m.allowed(s, d)) for s in src.pods for d in dst.pods]
    examples = [p for p in (next((p for p in pairs if p[2]), None), next((p for p in pairs if not p[2]), None)) if p]
    answers = []
    for s, d, _ in examples:
        answer = analysis.check(cluster, End(POD, s), End(POD, d), grid.port, grid.protocol)
        answers.append((answer, analysis.holds(cluster, answer)))
    return {
        "src": src,
        "dst": dst,
        "value": grid.cell(src.key, dst.key),
        "pairs": pairs[:PAIRS_SHOWN],
        "pair_count": len(pairs),
        "answers": answers,
    }


@router.get("/clusters/{cluster}/connectivity/matrix", name="connectivity_export")
async def connectivity_export(request: Request, cluster: ClusterDep) -> Response:
    """The matrix of the page as a download: ``format`` csv, md or svg, ``mby`` as on the page."""
    q = request.query_params
    fmt = q.get("format", "")
    if fmt not in FORMATS:
        raise BadRequest(Words(N_("Choose a download format: csv, md or svg.")))
    picked, port, protocol, by = _read_matrix(cluster, q, analysis.namespace_pods(cluster, None))
    _, grid = matrix_view(cluster, picked, port, protocol, by, limit=EXPORT_LIMIT)
    body, media, headers = attachment(grid, fmt)
    return Response(body, media_type=media, headers=headers)
