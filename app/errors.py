"""The console's own error hierarchy.

Every layer raises these; nothing above ``app/cluster`` ever sees a client-library exception.
Field errors follow upstream Kubernetes (k8s.io/apimachinery/pkg/util/validation/field): a
field path, an error type, the offending value and a detail, rendered the way the API server
renders them in a ``Status``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Upstream field.ErrorType values (the Status cause `reason`) and their human form.
ERROR_TYPES: dict[str, str] = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "InternalError": "Internal error",
    "FieldValueTypeInvalid": "Invalid value",
}

# Types whose message omits the value, as upstream's ErrorBody does.
_VALUELESS = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"}

_OMIT = object()


_MAX_VALUE = 256


def _go_repr(value: Any) -> str:
    """Render a value roughly as upstream's ErrorBody does (strings quoted, numbers bare),
    cut short when long so that a huge value never makes a huge message."""
    text = _go_repr_full(value)
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "...(truncated)"


def _go_repr_full(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class FieldError:
    """One validation error at a field path, e.g. ``spec.ingress[0].from[0].ipBlock.cidr``."""

    field: str
    type: str  # an upstream error type, e.g. "FieldValueInvalid"
    detail: str = ""
    value: Any = _OMIT

    @property
    def message(self) -> str:
        """What the API server puts in ``details.causes[].message`` (ErrorBody)."""
        kind = ERROR_TYPES.get(self.type, self.type)
        if self.type in _VALUELESS or self.value is _OMIT:
            body = kind
        else:
            body = f"{kind}: {_go_repr(self.value)}"
        if self.detail:
            body = f"{body}: {self.detail}"
        return body

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "type": self.type, "message": self.message}


class DomainError(Exception):
    """Base of every error the console reports to a person or a caller."""

    status_code = 500
    reason = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404
    reason = "NotFound"


class AlreadyExists(DomainError):
    status_code = 409
    reason = "AlreadyExists"


class Conflict(DomainError):
    """A write based on a stale version: someone else changed the object meanwhile."""

    status_code = 409
    reason = "Conflict"


class BeingDeleted(Conflict):
    """A change to an object whose deletion has begun (``metadata.deletionTimestamp``): it only
    waits for its finalizers, and an edit would be lost with it."""


class Invalid(DomainError):
    """An object that fails validation; ``causes`` name each field."""

    status_code = 422
    reason = "Invalid"

    def __init__(self, message: str, causes: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.causes: list[FieldError] = list(causes or [])

    @classmethod
    def for_object(cls, kind: str, name: str, causes: list[FieldError]) -> Invalid:
        """The API server's message: ``Kind.group "name" is invalid: a: ..., b: ...``."""
        # upstream's aggregate Error(): each distinct message once, bracketed when several
        messages = list(dict.fromkeys(str(c) for c in causes))
        summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
        return cls(f'{kind} "{name}" is invalid: {summary}', causes)


class BadRequest(DomainError):
    status_code = 400
    reason = "BadRequest"


class Unauthorized(DomainError):
    status_code = 401
    reason = "Unauthorized"


class Forbidden(DomainError):
    status_code = 403
    reason = "Forbidden"


class Unavailable(DomainError):
    """The cluster's API server (or another dependency) cannot be reached; ``retry_after`` is
    the wait in seconds the server asked for (Retry-After), when it asked."""

    status_code = 503
    reason = "ServiceUnavailable"
    retry_after: float | None = None
