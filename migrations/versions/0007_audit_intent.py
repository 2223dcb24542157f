"""Audit that never misses: a cluster write's entry is written before the write (``pending``)
and completed after it; the request's id is kept.

``audit_entries.request_id``: the HTTP request's id (``X-Request-ID``), None for older entries and
for the CLI. ``audit_entries.completed_at``: when the outcome became known (older entries were
written complete: None). ``outcome`` stays a String(16); its new values (``pending``,
``unknown``, ``applied``, ``not_applied``) need no change of type. An index on ``outcome`` finds
the unsettled entries at start.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("request_id", sa.String(128), nullable=True))
    op.add_column("audit_entries", sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_audit_entries_outcome", "audit_entries", ["outcome"])


def downgrade() -> None:
    # The outcomes only this revision knows become the two older ones, honestly labelled.
    op.execute("UPDATE audit_entries SET message = 'outcome was ' || outcome || '. ' || message, "
               "outcome = 'failure' WHERE outcome IN ('pending', 'unknown', 'not_applied')")
    op.execute("UPDATE audit_entries SET message = 'outcome was applied. ' || message, outcome = 'success' "
               "WHERE outcome = 'applied'")
    op.drop_index("ix_audit_entries_outcome", table_name="audit_entries")
    op.drop_column("audit_entries", "completed_at")
    op.drop_column("audit_entries", "request_id")
