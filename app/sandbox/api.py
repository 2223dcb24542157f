"""The HTTP face of the sandbox: discovery, resource routes, watches, auth, Status errors."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import BadRequest
from app.policies.selectors import Requirement, parse_label_selector, requirements_match
from app.sandbox import openapi, protobuf, resources, scale, tables
from app.sandbox.registry import Registry
from app.sandbox.resources import BY_PLURAL, ResourceType
from app.sandbox.status import (
    StatusError,
    bad_request,
    failure,
    method_not_allowed,
    path_not_found,
    unauthorized,
)
from app.sandbox.store import Event, Store

log = logging.getLogger(__name__)

ANONYMOUS = ("/healthz", "/livez", "/readyz", "/version")
BOOKMARK_INTERVAL = 5.0


CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the first "
    "chunk was returned and now may show up in the list."
)


def _continue_token(rv: int, after: tuple[str, str]) -> str:
    """A continue token: the snapshot's resourceVersion (-1: no consistency promised) and last key."""
    text = json.dumps({"rv": rv, "after": list(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


class _ExpiredContinue(StatusError):
    """410 Expired whose Status carries, as upstream's does, a token for the inconsistent remainder."""

    def __init__(self, token: str) -> None:
        super().__init__(410, "Expired", CONTINUE_EXPIRED)
        self.token = token

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["metadata"] = {"continue": self.token}
        return out


class TokenAuth:
    """Bearer-token auth for everything but the anonymous health and version endpoints."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ANONYMOUS):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                await _status_response(unauthorized())(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _status_response(err: StatusError) -> JSONResponse:
    return JSONResponse(err.status(), status_code=err.code)


def _json(data: Any, status: int = 200, warnings: list[str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    resp = Response(body, status_code=status, media_type="application/json")
    for w in warnings or []:
        resp.headers.append("Warning", '299 - "' + w.replace('"', "'") + '"')
    return resp


def _parse_bool(value: str | None) -> bool:
    """Go's strconv.ParseBool, as the API server reads ``watch`` and friends."""
    return value in ("1", "t", "T", "TRUE", "true", "True")


def _parse_int(q: Any, key: str) -> int:
    """An integer query parameter (0 when absent); anything else is 400 BadRequest, as upstream."""
    text = q.get(key) or ""
    try:
        return int(text) if text else 0
    except ValueError:
        raise bad_request(f'invalid value for {key}: strconv.ParseInt: parsing "{text}": invalid syntax') from None


def _parse_field_selector(text: str) -> list[tuple[str, str, str]]:
    terms = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        for op in ("!=", "==", "="):
            if op in part:
                key, value = part.split(op, 1)
                terms.append((key.strip(), "!=" if op == "!=" else "=", value.strip()))
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
    for key, _, _ in terms:
        if key not in ("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"):
            raise bad_request(
                f'"{key}" is not a known field selector: only "metadata.name", "metadata.namespace"'
            )
    return terms


def _field_value(obj: dict[str, Any], key: str) -> str:
    section, field = key.split(".", 1)
    return str((obj.get(section) or {}).get(field) or "")


class Filter:
    def __init__(self, rt: ResourceType, namespace: str | None, query: Any) -> None:
        self.rt, self.namespace = rt, namespace
        try:
            self.labels: tuple[Requirement, ...] = parse_label_selector(query.get("labelSelector", ""))
        except BadRequest as exc:
            raise bad_request(exc.message) from None
        self.fields = _parse_field_selector(query.get("fieldSelector", ""))

    def __call__(self, obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if not requirements_match(self.labels, meta.get("labels")):
            return False
        for key, op, value in self.fields:
            if (_field_value(obj, key) == value) != (op == "="):
                return False
        return True


class Api:
    def __init__(self, store: Store, registry: Registry, server_address: str) -> None:
        self.store, self.registry, self.server_address = store, registry, server_address

    # -- discovery ---------------------------------------------------------------------------
    async def version(self, request: Request) -> Response:
        return _json(resources.SERVER_VERSION)

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def core_versions(self, request: Request) -> Response:
        return _json(resources.api_versions(self.server_address))

    async def groups(self, request: Request) -> Response:
        return _json(resources.api_group_list())

    async def group(self, request: Request) -> Response:
        group = request.path_params["group"]
        if group not in resources.GROUPS:
            raise path_not_found()
        return _json(resources.api_group(group))

    async def openapi(self, request: Request) -> Response:
        raise path_not_found()

    # -- resources ---------------------------------------------------------------------------
    async def core(self, request: Request) -> Response:
        return await self._dispatch(request, "", "v1", request.path_params.get("rest", ""))

    async def grouped(self, request: Request) -> Response:
        p = request.path_params
        return await self._dispatch(request, p["group"], p["version"], p.get("rest", ""))

    async def _dispatch(self, request: Request, group: str, version: str, rest: str) -> Response:
        parts = [p for p in rest.split("/") if p]
        if not parts:
            doc = resources.api_resource_list(group, version)
            if doc is None:
                raise path_not_found()
            return _json(doc)
        namespace: str | None = None
        if parts[0] == "namespaces" and len(parts) >= 3:
            namespace, parts = parts[1], parts[2:]
        plural, name = parts[0], parts[1] if len(parts) > 1 else None
        sub = "/".join(parts[2:])
        rt = resources.lookup(group, version, plural)
        if rt is not None and rt.plural in resources.SCALABLE and sub == "scale" and name and namespace:
            return await self._scale(request, rt, namespace, name)
        if rt is None or (namespace is not None and not rt.namespaced) or sub not in ("", "status"):
            raise path_not_found()
        if name is not None and rt.namespaced and namespace is None:
            raise path_not_found()
        method = request.method
        q = request.query_params
        dry_run = self._dry_run(q)
        ns = namespace or ""
        if name is None:
            if method == "GET":
                if _parse_bool(q.get("watch")):
                    return self._watch(request, rt, namespace)
                return self._list(request, rt, namespace)
            if method == "POST":
                obj, warnings = self.registry.create(rt, ns, await self._body(request), dry_run=dry_run)
                return _json(obj, 201, warnings)
            if method == "DELETE":
                return await self._delete_collection(request, rt, namespace, dry_run)
            raise method_not_allowed()
        if method == "GET":
            return self._respond_one(request, rt, self.registry.get(rt, ns, name))
        if method == "PUT":
            obj, warnings = self.registry.update(
                rt, ns, name, await self._body(request), dry_run=dry_run, subresource=sub
            )
            return _json(obj, 200, warnings)
        if method == "PATCH":
            obj, warnings = self.registry.patch(
                rt,
                ns,
                name,
                request.headers.get("content-type", ""),
                await self._body(request),
                dry_run=dry_run,
                subresource=sub,
            )
            return _json(obj, 200, warnings)
        if method == "DELETE" and not sub:
            raw = await request.body()
            try:
                options = json.loads(raw) if raw.strip() else None
            except ValueError as exc:
                raise bad_request(f"the body of the request could not be decoded: {exc}") from None
            if options is not None and not isinstance(options, dict):
                raise bad_request("the body of the request must be a DeleteOptions object")
            gone = self.registry.delete(rt, ns, name, dry_run=dry_run, options=options)
            return _json(self._delete_result(rt, gone))
        raise method_not_allowed()

    async def _scale(self, request: Request, rt: ResourceType, namespace: str, name: str) -> Response:
        dry_run = self._dry_run(request.query_params)
        if request.method == "GET":
            return _json(scale.get(self.registry, rt, namespace, name))
        if request.method == "PUT":
            body = await self._body(request)
            return _json(scale.update(self.registry, rt, namespace, name, body, dry_run=dry_run))
        if request.method == "PATCH":
            ctype, body = request.headers.get("content-type", ""), await self._body(request)
            return _json(scale.patch(self.registry, rt, namespace, name, ctype, body, dry_run=dry_run))
        raise method_not_allowed()

    @staticmethod
    def _dry_run(q: Any) -> bool:
        values = q.getlist("dryRun")
        for v in values:
            if v != "All":
                raise bad_request(f'Invalid dry run value: "{v}": supported values: "All"')
        return bool(values)

    @staticmethod
    async def _body(request: Request) -> Any:
        raw = await request.body()
        ctype = request.headers.get("content-type", "")
        if protobuf.is_protobuf(ctype):
            try:
                return protobuf.decode(raw)
            except protobuf.UnknownKind as exc:
                raise StatusError(415, "UnsupportedMediaType", str(exc)) from None
            except protobuf.ProtobufError as exc:
                raise bad_request(f"the body of the request could not be decoded: {exc}") from None
        if "protobuf" in ctype:
            raise StatusError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - "
                "accepted media types include: application/json, application/yaml",
            )
        try:
            if "yaml" in ctype:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"the body of the request could not be decoded: {exc}") from None

    @staticmethod
    def _delete_result(rt: ResourceType, gone: dict[str, Any]) -> dict[str, Any]:
        if rt.plural in ("pods", "namespaces"):
            return gone
        details: dict[str, Any] = {"name": gone["metadata"]["name"]}
        if rt.group:
            details["group"] = rt.group
        details["kind"] = rt.plural
        details["uid"] = gone["metadata"].get("uid")
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _respond_one(self, request: Request, rt: ResourceType, obj: dict[str, Any]) -> Response:
        if tables.wants_table(request.headers.get("accept", "")):
            include = request.query_params.get("includeObject", "Metadata")
            return _json(
                tables.table(
                    rt.plural, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]}, include
                )
            )
        return _json(obj)

    def _list(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        q = request.query_params
        match = Filter(rt, namespace, q)
        items = [o for o in self.store.list(rt.plural, namespace) if match(o)]
        list_meta: dict[str, Any] = {"resourceVersion": str(self.store.rv)}
        items = self._page(q, rt, namespace, items, list_meta)
        if tables.wants_table(request.headers.get("accept", "")):
            return _json(tables.table(rt.plural, items, list_meta, q.get("includeObject", "Metadata")))
        return _json(
            {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": list_meta, "items": items}
        )

    def _page(
        self,
        q: Any,
        rt: ResourceType,
        namespace: str | None,
        items: list[dict[str, Any]],
        list_meta: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """One page of a chunked list. The continue token carries the first page's resourceVersion
        and the last key served; every page reports that resourceVersion, and a later page is 410
        Expired once an object of this type changed since (a consistent snapshot, or none)."""
        limit = _parse_int(q, "limit")
        token = q.get("continue")
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                after = tuple(state["after"])
                snapshot_rv = int(state["rv"])
                if len(after) != 2 or not all(isinstance(p, str) for p in after):
                    raise ValueError("bad key")
            except (ValueError, KeyError, TypeError):
                raise bad_request(f"continue key is not valid: {token}") from None
            if snapshot_rv >= 0:
                if self._changed_since(rt.plural, namespace, snapshot_rv):
                    raise _ExpiredContinue(_continue_token(-1, after))
                list_meta["resourceVersion"] = str(snapshot_rv)
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after]
        else:
            snapshot_rv = self.store.rv
        if limit > 0 and len(items) > limit:
            last = items[limit - 1]["metadata"]
            list_meta["continue"] = _continue_token(snapshot_rv, (last.get("namespace", ""), last["name"]))
            list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return items

    def _changed_since(self, plural: str, namespace: str | None, rv: int) -> bool:
        """Whether an object of ``plural`` (in ``namespace``, when listing one) was written after
        ``rv``, or the kept history no longer tells."""
        events = self.store.events_since(rv)
        if events is None:
            return True
        return any(
            e.resource == plural and (namespace is None or e.obj["metadata"].get("namespace") == namespace)
            for e in events
        )

    async def _delete_collection(
        self, request: Request, rt: ResourceType, namespace: str | None, dry_run: bool
    ) -> Response:
        match = Filter(rt, namespace, request.query_params)
        gone = []
        for obj in [o for o in self.store.list(rt.plural, namespace) if match(o)]:
            gone.append(obj if dry_run else self.registry.remove(rt, obj))
        return _json(
            {
                "kind": f"{rt.kind}List",
                "apiVersion": rt.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)},
                "items": gone,
            }
        )

    # -- watch -------------------------------------------------------------------------------
    def _watch(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        q = request.query_params
        match = Filter(rt, namespace, q)
        as_table = tables.wants_table(request.headers.get("accept", ""))
        bookmarks = _parse_bool(q.get("allowWatchBookmarks"))
        timeout_text = q.get("timeoutSeconds") or "0"
        try:
            timeout = float(timeout_text)
            if not math.isfinite(timeout):
                raise ValueError(timeout_text)
        except ValueError:
            raise bad_request(
                f'invalid value for timeoutSeconds: strconv.ParseInt: parsing "{timeout_text}": invalid syntax'
            ) from None
        seconds: float | None = timeout if timeout > 0 else None
        rv_param = q.get("resourceVersion", "")
        try:
            start_rv = int(rv_param) if rv_param not in ("", "0") else None
        except ValueError:
            raise bad_request(f"invalid resource version: {rv_param}") from None
        watcher = self.store.watch()
        current = self.store.rv
        initial: list[tuple[str, dict[str, Any]]]
        expired = False
        if start_rv is None:
            initial = [("ADDED", o) for o in self.store.list(rt.plural, namespace) if match(o)]
        else:
            events = self.store.events_since(start_rv)
            if events is None:
                expired = True
                initial = []
            else:
                initial = [(e.type, e.obj) for e in events if e.resource == rt.plural and match(e.obj)]

        def encode(kind: str, obj: dict[str, Any]) -> bytes:
            if as_table and kind != "ERROR" and kind != "BOOKMARK":
                obj = tables.table(
                    rt.plural,
                    [obj],
                    {"resourceVersion": obj["metadata"]["resourceVersion"]},
                    q.get("includeObject", "Metadata"),
                )
            return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

        async def stream() -> AsyncIterator[bytes]:
            deadline = time.monotonic() + seconds if seconds else None
            last_rv = current
            try:
                if expired:
                    yield encode(
                        "ERROR",
                        failure(
                            410, "Expired", f"too old resource version: {start_rv} ({self.store.oldest_rv})"
                        ),
                    )
                    return
                for kind, obj in initial:
                    yield encode(kind, obj)
                while True:
                    wait = BOOKMARK_INTERVAL if bookmarks else None
                    if deadline is not None:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            return
                        wait = min(wait, left) if wait else left
                    try:
                        ev: Event | None = await asyncio.wait_for(watcher.queue.get(), wait)
                    except TimeoutError:
                        if bookmarks and (deadline is None or time.monotonic() < deadline):
                            yield encode(
                                "BOOKMARK",
                                {
                                    "kind": rt.kind,
                                    "apiVersion": rt.api_version,
                                    "metadata": {"resourceVersion": str(max(last_rv, self.store.rv))},
                                },
                            )
                        continue
                    if ev is None:
                        return
                    if ev.rv <= current or ev.resource != rt.plural:
                        continue
                    last_rv = ev.rv
                    if match(ev.obj):
                        yield encode(ev.type, ev.obj)
            finally:
                self.store.unwatch(watcher)

        return StreamingResponse(
            stream(), media_type="application/json", headers={"Transfer-Encoding": "chunked"}
        )


def build_app(store: Store, registry: Registry, token: str, server_address: str) -> ASGIApp:
    api = Api(store, registry, server_address)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes = [
        Route("/version", api.version, methods=["GET"]),
        Route("/healthz", api.health),
        Route("/livez", api.health),
        Route("/readyz", api.health),
        Route("/api", api.core_versions),
        Route("/api/v1", api.core, methods=methods),
        Route("/api/v1/{rest:path}", api.core, methods=methods),
        Route("/apis", api.groups),
        Route("/apis/{group}", api.group),
        Route("/apis/{group}/{version}", api.grouped, methods=methods),
        Route("/apis/{group}/{version}/{rest:path}", api.grouped, methods=methods),
        Route("/openapi/v3", openapi.serve_discovery),
        Route("/openapi/v3/{gv:path}", openapi.serve_group_version),
        Route("/openapi/v2", api.openapi),
    ]

    async def on_status_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StatusError)
        return _status_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        if code == 405:
            return _status_response(method_not_allowed())
        return _status_response(
            path_not_found() if code == 404 else StatusError(code, "InternalError", str(exc))
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # A bug must still answer a Status (never text/plain), as upstream's NewInternalError does.
        log.error("sandbox: %s %s failed", request.method, request.url.path, exc_info=exc)
        message = f"Internal error occurred: {exc}"
        return _status_response(StatusError(500, "InternalError", message, {"causes": [{"message": str(exc)}]}))

    from starlette.exceptions import HTTPException

    app = Starlette(
        routes=routes,
        exception_handlers={
            StatusError: on_status_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
    return TokenAuth(app, token)


__all__ = ["build_app", "BY_PLURAL"]
