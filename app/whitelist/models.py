"""Tables of the Quota Center: applications and every decision taken on them.

People are referenced by username (plain strings, no foreign keys): an application and its
decisions must keep saying who asked and who decided even after the user is renamed or removed.
Nothing here is ever deleted; a revoked application stays, with its history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import UTCDateTime, utcnow
from app.db import Base

PENDING = "Pending"
APPROVED = "Approved"
REJECTED = "Rejected"
REVOKED = "Revoked"
STATUSES = (PENDING, APPROVED, REJECTED, REVOKED)

APPROVE = "approve"
REJECT = "reject"
REVOKE = "revoke"
ACTIONS = (APPROVE, REJECT, REVOKE)

# The statuses of an open application; the database holds at most one per (cluster, team).
OPEN_STATUSES = (PENDING, APPROVED)
OPEN_CONDITION = "status IN ('Pending', 'Approved')"

# In an application's namespaces: every namespace except the system ones
# (``app.workloads.objects.SYSTEM_NAMESPACES``), which are granted only when named.
ALL_BUT_SYSTEM = "*"


class WhitelistApplication(Base):
    """A team's request to edit NetworkPolicies of one cluster through the console.

    ``version`` grows by one with every decision; a decision is a conditional UPDATE on
    (status, version), so of two approvers deciding at the same moment exactly one wins.
    ``decided_by`` / ``decided_at`` / ``comment`` describe the latest decision. ``namespaces``
    is the scope asked for and granted: names separated by spaces, ``*`` (ALL_BUT_SYSTEM) for
    every namespace but the system ones (migration 0006 gave existing applications ``*``).
    """

    __tablename__ = "whitelist_applications"
    __table_args__ = (
        Index("ix_whitelist_applications_cluster_team", "cluster", "team"),
        # At most one open (Pending or Approved) application per (cluster, team): migration 0005.
        Index("uq_whitelist_applications_open", "cluster", "team", unique=True,
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster: Mapped[str] = mapped_column(String(253))
    team: Mapped[str] = mapped_column(String(100))
    requester: Mapped[str] = mapped_column(String(150))
    reason: Mapped[str] = mapped_column(Text)
    namespaces: Mapped[str] = mapped_column(Text, default=ALL_BUT_SYSTEM, server_default=ALL_BUT_SYSTEM)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(150), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    def __repr__(self) -> str:
        return f"WhitelistApplication(#{self.id}, {self.cluster}/{self.team}, {self.status})"


class WhitelistDecision(Base):
    """One decision (approve, reject or revoke), kept forever."""

    __tablename__ = "whitelist_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("whitelist_applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(150))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
