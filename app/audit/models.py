"""The audit log's one table. Actors are usernames (strings), so entries outlive users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import UTCDateTime, utcnow
from app.db import Base

VIAS = ("console", "api", "cli")
OUTCOMES = ("success", "failure")


class AuditEntry(Base):
    """Who did what, when, where and through which door; the object's YAML before and after.

    ``action`` is e.g. ``create``, ``update``, ``delete``, ``restore``, ``application.submit``,
    ``application.approve``, ``user.create``, ``token.create``. ``kind`` names the object's kind
    (``NetworkPolicy``, ``WhitelistApplication``, ``User``, ``APIToken``); ``cluster`` and
    ``namespace`` are empty for objects outside a cluster.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "cluster", "namespace", "name"),
        Index("ix_audit_entries_at", "at"),
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
    before_yaml: Mapped[str | None] = mapped_column(Text, default=None)
    after_yaml: Mapped[str | None] = mapped_column(Text, default=None)
