"""``/metrics``: the Prometheus text exposition (``app.metrics``).

Who may read it: with ``Settings.metrics_token`` set, a request carrying
``Authorization: Bearer <metrics_token>`` (from anywhere; Prometheus' ``authorization``
``credentials_file``); without it, only a caller on loopback (a scraper or sidecar in the same
host or pod). Anything else gets 401 (token set) or 403, and no metric.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from app import metrics
from app.config import Settings

router = APIRouter()


def may_scrape(request: Request, settings: Settings) -> bool:
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), settings.metrics_token.encode()
        )
    try:
        return request.client is not None and ip_address(request.client.host).is_loopback
    except ValueError:  # not an IP address (a test client's name, a Unix socket)
        return False


@router.get("/metrics", include_in_schema=False, name="metrics")
async def metrics_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not may_scrape(request, settings):
        if settings.metrics_token:
            return PlainTextResponse("A metrics token is required.", status_code=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        return PlainTextResponse("Metrics are served to loopback callers only (or set NETPOL_METRICS_TOKEN).",
                                 status_code=403)
    body = metrics.exposition(getattr(request.app.state, "clusters", None))
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)
