"""The audit log's one table. Actors are usernames (strings), so entries outlive users.

A cluster write is recorded before it is sent (``pending``) and completed when the API server
answers (``success`` or ``failure``) or does not (``unknown``: a timeout, a reset connection). A
``pending`` or ``unknown`` entry is settled later against the cluster (``applied`` or
``not_applied``, see ``app.audit.reconcile``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import UTCDateTime, utcnow
from app.db import Base
from app.policies.model import dump_yaml
from app.policies.words import N_

VIAS = ("console", "api", "cli")
PENDING, SUCCESS, FAILURE, UNKNOWN, APPLIED, NOT_APPLIED = (
    "pending", "success", "failure", "unknown", "applied", "not_applied")  # fmt: skip
OUTCOMES = (SUCCESS, FAILURE, PENDING, UNKNOWN, APPLIED, NOT_APPLIED)
# Not settled yet: the console that sent the write did not learn what became of it.
UNSETTLED = (PENDING, UNKNOWN)
# Each outcome in words, for the pages (translated) and the API (``outcome_text``).
OUTCOME_WORDS = {
    SUCCESS: N_("success"),
    FAILURE: N_("failure"),
    PENDING: N_("pending: sent to the cluster, no answer yet"),
    UNKNOWN: N_("unknown: the cluster did not answer"),
    APPLIED: N_("applied (found on the cluster later)"),
    NOT_APPLIED: N_("not applied (not found on the cluster later)"),
}


class AuditEntry(Base):
    """Who did what, when, where and through which door; the object's YAML before and after.

    ``action`` is e.g. ``create``, ``update``, ``delete``, ``restore``, ``application.submit``,
    ``application.approve``, ``user.create``, ``token.create``. ``kind`` names the object's kind
    (``NetworkPolicy``, ``WhitelistApplication``, ``User``, ``APIToken``); ``cluster`` and
    ``namespace`` are empty for objects outside a cluster. ``at`` is when the change was asked
    for; ``completed_at`` when its outcome became known (None while pending). ``request_id`` is
    the HTTP request's id (``X-Request-ID``; None from the CLI).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "cluster", "namespace", "name"),
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_outcome", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(150), index=True)
    via: Mapped[str] = mapped_column(String(16))
    cluster: Mapped[str] = mapped_column(String(253), default="")
    namespace: Mapped[str] = mapped_column(String(253), default="")
    kind: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(253), default="")
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    # The object before and after, as JSON (``document``); entries written before revision 0008
    # kept YAML, read as it is (``stored_before_yaml``). ``before_yaml``/``after_yaml`` are the
    # YAML shown either way: kubectl's dump of a policy costs milliseconds, a write's whole budget
    # under load, and most entries are never shown.
    before_json: Mapped[str | None] = mapped_column(Text, default=None)
    after_json: Mapped[str | None] = mapped_column(Text, default=None)
    stored_before_yaml: Mapped[str | None] = mapped_column("before_yaml", Text, default=None)
    stored_after_yaml: Mapped[str | None] = mapped_column("after_yaml", Text, default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def before_yaml(self) -> str | None:
        """The object before, as YAML (None for a create)."""
        return shown_yaml(self.before_json, self.stored_before_yaml)

    @property
    def after_yaml(self) -> str | None:
        """The object after (intended while pending; as stored once done), as YAML (None for a delete)."""
        return shown_yaml(self.after_json, self.stored_after_yaml)

    @property
    def before_object(self) -> dict[str, Any] | None:
        return _object(self.before_json, self.stored_before_yaml)

    @property
    def after_object(self) -> dict[str, Any] | None:
        return _object(self.after_json, self.stored_after_yaml)


def document(obj: Mapping[str, Any] | None) -> str | None:
    """An entry's before or after as stored: JSON, keys in the object's order."""
    return None if obj is None else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def shown_yaml(stored_json: str | None, stored_yaml: str | None) -> str | None:
    return stored_yaml if stored_json is None else _yaml_of(stored_json)


@lru_cache(maxsize=2048)  # an audit page shows 50 entries' diffs: each rendered once
def _yaml_of(stored_json: str) -> str:
    return dump_yaml(json.loads(stored_json))


def _object(stored_json: str | None, stored_yaml: str | None) -> dict[str, Any] | None:
    if stored_json is not None:
        loaded = json.loads(stored_json)
    elif stored_yaml is not None:
        loaded = yaml.safe_load(stored_yaml)
    else:
        return None
    return loaded if isinstance(loaded, dict) else None
