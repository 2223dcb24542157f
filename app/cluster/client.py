"""One cluster: its kubernetes_asyncio ApiClient and every Kubernetes call the console makes.

Calls go through the ApiClient's raw ``call_api`` with ``_preload_content=False``: the client still
does authentication (bearer tokens, client certificates, exec plugins), TLS and proxies, but no
per-object model deserialization happens, objects stay plain JSON dicts (NetworkPolicies become
``app.policies.model.NetworkPolicy``), and the API server's ``Warning`` headers stay reachable.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from kubernetes_asyncio.client import ApiClient

from app import metrics
from app.cluster.errors import Expired, from_status, translated
from app.cluster.resources import Resource, resource
from app.errors import FieldError, Invalid, Unavailable
from app.policies.model import NetworkPolicy

if TYPE_CHECKING:
    from app.cluster.cache import ClusterCache

# (connect, read) seconds for ordinary calls.
CALL_TIMEOUT: tuple[float, float] = (5.0, 30.0)
# Retry-After: how often a throttled call is sent again, and the longest wait taken in-line.
RETRY_AFTER_ATTEMPTS = 10  # client-go's maxRetries
RETRY_AFTER_MAX = 10.0
# Minimum connection pool: every cached kind holds one watch open, calls need room besides.
POOL_SIZE = 64

_WARNING = re.compile(r'\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"')


@dataclass
class WriteResult:
    """What a write returned: the stored (or, with dry run, the would-be) object and the API
    server's warnings (``Warning`` response headers, e.g. an IPv6 CIDR not written canonically)."""

    object: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def policy(self) -> NetworkPolicy:
        return NetworkPolicy.from_dict(self.object)


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: dict[str, Any]

    @property
    def resource_version(self) -> str:
        return str((self.object.get("metadata") or {}).get("resourceVersion") or "")


def parse_warnings(values: list[str]) -> list[str]:
    """The texts of ``Warning: 299 - "text"`` headers (several may share one header line)."""
    out: list[str] = []
    for value in values:
        found = _WARNING.findall(value)
        if not found and value.strip():
            out.append(value.strip())
        for text in found:
            out.append(re.sub(r"\\(.)", r"\1", text))
    return out


def _dry(dry_run: bool) -> list[tuple[str, str]]:
    return [("dryRun", "All")] if dry_run else []


def _write_query(dry_run: bool, field_validation: str | None) -> list[tuple[str, str]]:
    return _dry(dry_run) + ([("fieldValidation", field_validation)] if field_validation else [])


@dataclass(frozen=True)
class Impersonation:
    """The person a call is made for: the API server authorizes (RBAC) and audits the call as
    ``user`` in ``groups`` (``Impersonate-User`` / ``Impersonate-Group``), provided the console's
    own account may ``impersonate`` users and groups."""

    user: str
    groups: tuple[str, ...] = ()

    def headers(self) -> dict[str, str]:
        """The impersonation headers, in the plain dict the client takes.

        Each group must arrive as its own ``Impersonate-Group`` header line (the API server reads
        every value of the header and splits nothing), but kubernetes_asyncio flattens header
        parameters into a dict. So the groups travel newline-separated in one value, and
        ``_repeated_header_lines``, an aiohttp request hook every Cluster installs, sends them as
        repeated lines; without the hook aiohttp refuses a header with a newline, so groups are
        never silently lost or merged.
        """
        out = {"Impersonate-User": self.user}
        if self.groups:
            out[IMPERSONATE_GROUP] = "\n".join(self.groups)
        return out


IMPERSONATE_GROUP = "Impersonate-Group"


async def _repeated_header_lines(
    session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
) -> None:
    """aiohttp's request-start hook: a newline-separated ``Impersonate-Group`` becomes one header
    line per value (the hook's ``headers`` are the ones about to be sent)."""
    values = params.headers.getall(IMPERSONATE_GROUP, [])
    if any("\n" in value for value in values):
        del params.headers[IMPERSONATE_GROUP]
        for value in values:
            for part in value.split("\n"):
                params.headers.add(IMPERSONATE_GROUP, part)


def _install_hooks(api: ApiClient) -> None:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_repeated_header_lines)
    trace.freeze()
    api.rest_client.pool_manager.trace_configs.append(trace)


def _as_headers(as_user: Impersonation | None) -> dict[str, str] | None:
    return as_user.headers() if as_user is not None else None


def _as_dict(obj: NetworkPolicy | dict[str, Any]) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, NetworkPolicy) else dict(obj)


class Cluster:
    """A Kubernetes cluster reached through one kubernetes_asyncio ApiClient.

    ``api`` is None when the cluster's configuration could not be loaded; every call then raises
    Unavailable with ``load_error``, and readiness reports it.
    """

    def __init__(
        self, name: str, api: ApiClient | None, *, load_error: str = "", namespaces: tuple[str, ...] = ()
    ) -> None:
        from app.cluster.cache import ClusterCache

        self.name = name
        self._api = api
        self.load_error = load_error
        self._what = f"cluster {name!r}"
        if api is not None:
            api.user_agent = "netpol-console"
            _install_hooks(api)
        self.cache: ClusterCache = ClusterCache(self, namespaces=namespaces)

    @property
    def usable(self) -> bool:
        return self._api is not None

    async def close(self) -> None:
        await self.cache.stop()
        if self._api is not None:
            with translated(self._what):
                await self._api.close()

    # -- transport ---------------------------------------------------------------------------

    async def _open(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: tuple[float, float] = CALL_TIMEOUT,  # (connect, read) seconds
    ) -> aiohttp.ClientResponse:
        """Send a request; the open response on 2xx, else the mapped domain error.

        As client-go does, a 429, or a 5xx that carries ``Retry-After``, is retried after the
        wait the server asked for (at most ``RETRY_AFTER_ATTEMPTS`` times and
        ``RETRY_AFTER_MAX`` seconds a wait): the server did not act on the request, so retrying
        a write is safe. When the retries are spent the error keeps ``retry_after``.
        """
        if self._api is None:
            raise Unavailable(f"{self._what}: {self.load_error or 'not configured'}")
        sent = {"Accept": "application/json", "Content-Type": "application/json", **(headers or {})}
        for attempt in range(RETRY_AFTER_ATTEMPTS + 1):
            with translated(self._what):
                resp = await self._api.call_api(
                    path,
                    method,
                    query_params=list(query or []),
                    header_params=dict(sent),
                    body=body,
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                    _request_timeout=aiohttp.ClientTimeout(sock_connect=timeout[0], sock_read=timeout[1]),
                )
                if resp.status < 400:
                    return resp
                try:
                    data = await resp.read()
                finally:
                    resp.release()
            error = from_status(resp.status, data, what=self._what, retry_after=resp.headers.get("Retry-After"))
            wait = error.retry_after if isinstance(error, Unavailable) else None
            if wait is None or (resp.status != 429 and "Retry-After" not in resp.headers):
                raise error
            if attempt == RETRY_AFTER_ATTEMPTS or wait > RETRY_AFTER_MAX:
                raise error
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        with metrics.kubernetes_call(self.name, method, path):
            resp = await self._open(method, path, query=query, body=body, headers=headers)
            with translated(self._what):
                try:
                    data = await resp.read()
                    warnings = parse_warnings(resp.headers.getall("Warning", []))
                finally:
                    resp.release()
            try:
                decoded = json.loads(data) if data else {}
            except ValueError as exc:
                raise Unavailable(f"{self._what}: the API server sent a body that is not JSON") from exc
        return (decoded if isinstance(decoded, dict) else {}), warnings

    # -- generic verbs -----------------------------------------------------------------------

    async def list_page(
        self,
        kind: str | Resource,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        """One page of a list: the raw List object (``items`` filled with apiVersion and kind)."""
        res = kind if isinstance(kind, Resource) else resource(kind)
        query: list[tuple[str, str]] = []
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        if limit:
            query.append(("limit", str(limit)))
        if continue_token:
            query.append(("continue", continue_token))
        data, _ = await self._call("GET", res.path(namespace), query=query)
        items = data.get("items") or []
        for item in items:
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
        data["items"] = items
        return data

    async def get_object(
        self, kind: str, namespace: str | None, name: str, *, as_user: Impersonation | None = None
    ) -> dict[str, Any]:
        """One object, read live (``as_user``: the person the read is made for)."""
        res = resource(kind)
        data, _ = await self._call("GET", res.path(namespace, name), headers=_as_headers(as_user))
        return data

    async def create(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_validation: str | None = None,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        """POST the object. ``field_validation`` (``Strict``, ``Warn``, ``Ignore``; the server's
        default is Warn) decides what an unknown or duplicated field is; with ``Strict`` it is
        Invalid at its path. ``as_user``: the person the call is made for (impersonation)."""
        res = resource(kind)
        ns = namespace or (obj.get("metadata") or {}).get("namespace") or "default"
        body = {"apiVersion": res.api_version, "kind": res.kind, **obj}
        data, warnings = await self._call(
            "POST",
            res.path(ns),
            query=_write_query(dry_run, field_validation),
            body=body,
            headers=_as_headers(as_user),
        )
        return WriteResult(data, warnings, dry_run)

    async def replace(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        dry_run: bool = False,
        field_validation: str | None = None,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        """PUT the object; its ``metadata.resourceVersion`` makes a stale write a Conflict
        (``field_validation`` and ``as_user`` as for ``create``)."""
        res = resource(kind)
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        if not name:
            raise Invalid.for_object(res.kind, "", [FieldError("metadata.name", "FieldValueRequired")])
        body = {"apiVersion": res.api_version, "kind": res.kind, **obj}
        path = res.path(meta.get("namespace") or "default", name)
        data, warnings = await self._call(
            "PUT", path, query=_write_query(dry_run, field_validation), body=body, headers=_as_headers(as_user)
        )
        return WriteResult(data, warnings, dry_run)

    async def delete(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        """Delete one object; with ``resource_version`` only that version (else Conflict)."""
        res = resource(kind)
        body: dict[str, Any] | None = None
        if resource_version:
            body = {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "preconditions": {"resourceVersion": resource_version},
            }
        data, warnings = await self._call(
            "DELETE",
            res.path(namespace or "default", name),
            query=_dry(dry_run),
            body=body,
            headers=_as_headers(as_user),
        )
        return WriteResult(data, warnings, dry_run)

    async def patch(
        self,
        kind: str,
        namespace: str | None,
        name: str,
        patch: dict[str, Any],
        *,
        dry_run: bool = False,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        """A JSON merge patch (RFC 7386) of one object. A ``metadata.resourceVersion`` in the patch
        is a precondition: a stale one is a Conflict, as for ``replace``."""
        res = resource(kind)
        headers = {"Content-Type": "application/merge-patch+json", **(_as_headers(as_user) or {})}
        data, warnings = await self._call(
            "PATCH",
            res.path(namespace, name),
            query=_write_query(dry_run, "Strict"),
            body=patch,
            headers=headers,
        )
        return WriteResult(data, warnings, dry_run)

    async def watch(
        self,
        kind: str | Resource,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        field_selector: str | None = None,
        timeout_seconds: int = 300,
    ) -> AsyncIterator[WatchEvent]:
        """Stream the changes after ``resource_version`` until the server ends the watch.

        Raises Expired when the version is too old (410) and the mapped error of any other failure.
        """
        res = kind if isinstance(kind, Resource) else resource(kind)
        query = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(timeout_seconds))]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        read_timeout = timeout_seconds + 30.0
        with metrics.kubernetes_watch(self.name, res.plural):
            resp = await self._open("GET", res.path(namespace), query=query, timeout=(5.0, read_timeout))
            try:
                while True:
                    with translated(self._what):
                        line = await resp.content.readline()
                    if not line:
                        return
                    if not line.strip():
                        continue
                    try:
                        event = json.loads(line)
                    except ValueError as exc:
                        raise Unavailable(f"{self._what}: malformed watch event") from exc
                    etype = str(event.get("type") or "")
                    obj = event.get("object") or {}
                    if etype == "ERROR":
                        code = int(obj.get("code") or 500)
                        raise from_status(code, json.dumps(obj), what=self._what)
                    obj.setdefault("apiVersion", res.api_version)
                    obj.setdefault("kind", res.kind)
                    metrics.watch_event(self.name, res.plural, etype)
                    yield WatchEvent(etype, obj)
            finally:
                resp.close()

    # -- the console's calls -----------------------------------------------------------------

    async def get_network_policy(
        self, namespace: str, name: str, *, as_user: Impersonation | None = None
    ) -> NetworkPolicy:
        return NetworkPolicy.from_dict(await self.get_object("networkpolicies", namespace, name, as_user=as_user))

    # The console's NetworkPolicy writes are strict: what was reviewed is what is stored, so an
    # unknown or duplicated field is Invalid at its path instead of silently dropped.

    async def create_network_policy(
        self,
        policy: NetworkPolicy | dict[str, Any],
        *,
        dry_run: bool = False,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        return await self.create(
            "networkpolicies", _as_dict(policy), dry_run=dry_run, field_validation="Strict", as_user=as_user
        )

    async def replace_network_policy(
        self,
        policy: NetworkPolicy | dict[str, Any],
        *,
        dry_run: bool = False,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        """Replace; the policy's ``metadata.resourceVersion`` must be current, else Conflict."""
        return await self.replace(
            "networkpolicies", _as_dict(policy), dry_run=dry_run, field_validation="Strict", as_user=as_user
        )

    async def delete_network_policy(
        self,
        namespace: str,
        name: str,
        *,
        dry_run: bool = False,
        resource_version: str | None = None,
        as_user: Impersonation | None = None,
    ) -> WriteResult:
        return await self.delete(
            "networkpolicies",
            namespace,
            name,
            dry_run=dry_run,
            resource_version=resource_version,
            as_user=as_user,
        )


__all__ = ["Cluster", "Expired", "Impersonation", "WatchEvent", "WriteResult", "parse_warnings"]
