"""The one place where the Kubernetes client's errors become the console's own (app.errors).

Policy (after kopf's ``clients/errors.py``):

* Every call into kubernetes_asyncio or aiohttp made by ``app/cluster`` runs inside
  ``translated(...)`` or reports its HTTP status through ``from_status(...)``; nothing above
  ``app/cluster`` ever sees ``ApiException``, ``aiohttp.ClientError``, ``ssl.SSLError``, a
  timeout or a ``ConfigException``. The original is kept as ``__cause__``.
* An API server answer is mapped by HTTP status and the ``Status`` object's ``reason``:
  404 → NotFound; 409 with reason AlreadyExists → AlreadyExists; any other 409 → Conflict;
  422 → Invalid, each ``details.causes[]`` becoming a ``FieldError(field, type=reason, ...)``
  whose ``message`` is the API server's own text; 400 with a strict decoding error
  (``fieldValidation=Strict``: ``unknown field "spec.ingres"``, ``duplicate field "..."``) →
  Invalid with a FieldError at each path; any other 400 → BadRequest; 401 → Unauthorized;
  403 → Forbidden; 410 → Expired (a Conflict: the watch or list continuation is too old);
  429 → TooManyRequests and 504 with a ResourceVersionTooLarge cause → TooLargeResourceVersion
  (both Unavailable, carrying the server's Retry-After when it sent one); other 5xx →
  Unavailable; anything else → BadRequest.
* The API server's ``message`` is kept verbatim as the error's message (kubectl prints the same).
* A server that cannot be reached (refused, reset, TLS failure, timeout, a broken kubeconfig)
  is Unavailable, its message naming the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
from collections.abc import Iterator
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException, OpenApiException
from kubernetes_asyncio.config.config_exception import ConfigException

from app.errors import (
    ERROR_TYPES,
    AlreadyExists,
    BadRequest,
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)


class Expired(Conflict):
    """410 Gone / reason Expired: a watch or list continuation from a resourceVersion too old."""

    status_code = 410
    reason = "Expired"


class TooManyRequests(Unavailable):
    """429: the API server's priority and fairness (or a proxy) throttles the console."""

    reason = "TooManyRequests"


class TooLargeResourceVersion(Unavailable):
    """504 with cause ResourceVersionTooLarge: a list or watch from a version this API server
    (behind a load balancer, one of several) has not seen yet; list again from scratch."""

    reason = "Timeout"


def retry_after_seconds(value: str | None, status: dict[str, Any] | None = None) -> float | None:
    """The wait the server asked for: the ``Retry-After`` header (seconds), else the Status's
    ``details.retryAfterSeconds``; None when it asked for none."""
    if value and value.strip().isdigit():
        return float(value.strip())
    details = (status or {}).get("details")
    seconds = details.get("retryAfterSeconds") if isinstance(details, dict) else None
    return float(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


def parse_status(body: bytes | str | None) -> dict[str, Any]:
    """The ``Status`` object in a response body, or ``{}`` when the body is not one."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"message": body.decode(errors="replace") if isinstance(body, bytes) else body}
    return data if isinstance(data, dict) else {}


def cause_to_field_error(cause: dict[str, Any]) -> FieldError:
    """A Status cause as a FieldError whose ``message`` equals the API server's cause message.

    Upstream renders a cause message as ``<type in words>[: <value>][: <detail>]``; the type's
    words are stripped here so that ``FieldError.message`` rebuilds the text unchanged.
    """
    reason = str(cause.get("reason") or "FieldValueInvalid")
    text = str(cause.get("message") or "")
    words = ERROR_TYPES.get(reason, reason)
    if text == words:
        detail = ""
    elif text.startswith(words + ": "):
        detail = text[len(words) + 2 :]
    else:
        detail = text
    return FieldError(str(cause.get("field") or ""), reason, detail)


_STRICT = "strict decoding error: "
_STRICT_FIELD = re.compile(r'(unknown|duplicate) field "((?:[^"\\]|\\.)*)"')


def strict_decoding_causes(message: str) -> list[FieldError]:
    """The fields a strict decoding error names, each a FieldError at its path.

    With ``fieldValidation=Strict`` the API server answers 400 BadRequest with a message such as
    ``NetworkPolicy in version "v1" cannot be handled as a NetworkPolicy: strict decoding error:
    unknown field "spec.ingres", duplicate field "spec.podSelector"``; anything else gives []."""
    if _STRICT not in message:
        return []
    causes = []
    for what, path in _STRICT_FIELD.findall(message.split(_STRICT, 1)[1]):
        field_path = re.sub(r"\\(.)", r"\1", path)
        if what == "unknown":
            causes.append(FieldError(field_path, "FieldValueForbidden", "unknown field"))
        else:
            causes.append(FieldError(field_path, "FieldValueDuplicate", "the field is given more than once"))
    return causes


def from_status(
    status: int, body: bytes | str | None, *, what: str = "", retry_after: str | None = None
) -> DomainError:
    """The domain error for an API server answer with HTTP ``status`` and a Status ``body``
    (``retry_after``: the answer's Retry-After header)."""
    data = parse_status(body)
    message = str(data.get("message") or "").strip() or f"{what or 'request'}: HTTP {status}"
    reason = str(data.get("reason") or "")
    if status == 404:
        return NotFound(message)
    if status == 409:
        return AlreadyExists(message) if reason == "AlreadyExists" else Conflict(message)
    if status == 410:
        return Expired(message)
    if status == 422:
        details = data.get("details") or {}
        causes = details.get("causes") if isinstance(details, dict) else None
        return Invalid(message, [cause_to_field_error(c) for c in causes or [] if isinstance(c, dict)])
    if status == 401:
        # The API server refused the console's own credentials: to the console's users that is the
        # cluster being unavailable, not their token being wrong.
        return Unavailable(
            f"{what + ': ' if what else ''}the API server rejected the console's credentials (Unauthorized: {message})"
        )
    if status == 403:
        return Forbidden(message)
    if status == 400:
        strict = strict_decoding_causes(message)
        if strict:
            return Invalid(message, strict)
    if status == 429 or status >= 500:
        text = f"{what}: {message}" if what else message
        error: Unavailable = TooManyRequests(text) if status == 429 else Unavailable(text)
        if status == 504 and _has_cause(data, "ResourceVersionTooLarge"):
            error = TooLargeResourceVersion(text)
        error.retry_after = retry_after_seconds(retry_after, data)
        return error
    return BadRequest(message)


def _has_cause(status: dict[str, Any], reason: str) -> bool:
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    return any(isinstance(c, dict) and c.get("reason") == reason for c in causes or [])


def map_exception(exc: BaseException, *, what: str = "") -> DomainError | None:
    """The domain error for a client-library exception, or None when ``exc`` is not one.

    ``what`` names the cluster or call, so that an Unavailable message says which server failed.
    """
    prefix = f"{what}: " if what else ""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, ApiException):
        if exc.status:
            return from_status(int(exc.status), exc.body or _reason_status(exc), what=what)
        return Unavailable(f"{prefix}{exc.reason or exc}")
    if isinstance(exc, OpenApiException):
        return BadRequest(f"{prefix}{exc}")
    if isinstance(exc, ConfigException):
        return Unavailable(f"{prefix}cluster configuration: {exc}")
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError | ssl.CertificateError):
        return Unavailable(f"{prefix}TLS failure talking to the API server: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionError):
        return Unavailable(f"{prefix}API server unreachable: {exc}")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return Unavailable(f"{prefix}API server did not answer in time")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Unavailable(f"{prefix}API server connection failed: {exc.__class__.__name__}: {exc}")
    return None


def _reason_status(exc: ApiException) -> str:
    """Watch errors carry only ``reason`` ("Expired: too old ...") and no body: rebuild a Status."""
    reason, _, message = str(exc.reason or "").partition(": ")
    return json.dumps({"reason": reason, "message": message or reason})


@contextlib.contextmanager
def translated(what: str = "") -> Iterator[None]:
    """Run a block of client calls; client-library exceptions leave it as app.errors."""
    try:
        yield
    except DomainError:
        raise
    except Exception as exc:
        mapped = map_exception(exc, what=what)
        if mapped is None:
            raise
        raise mapped from exc
