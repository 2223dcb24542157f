"""Quota Center (whitelist applications and decisions) and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whitelist_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cluster", sa.String(253), nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("requester", sa.String(150), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_whitelist_applications_cluster_team", "whitelist_applications", ["cluster", "team"])
    op.create_index("ix_whitelist_applications_status", "whitelist_applications", ["status"])
    op.create_table(
        "whitelist_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("whitelist_applications.id"),
                  nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(150), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    op.create_index("ix_whitelist_decisions_application_id", "whitelist_decisions", ["application_id"])
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(150), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("cluster", sa.String(253), nullable=False),
        sa.Column("namespace", sa.String(253), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("before_yaml", sa.Text(), nullable=True),
        sa.Column("after_yaml", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_entries_object", "audit_entries", ["cluster", "namespace", "name"])
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_index("ix_audit_entries_actor", "audit_entries", ["actor"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_actor", table_name="audit_entries")
    op.drop_index("ix_audit_entries_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_object", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_index("ix_whitelist_decisions_application_id", table_name="whitelist_decisions")
    op.drop_table("whitelist_decisions")
    op.drop_index("ix_whitelist_applications_status", table_name="whitelist_applications")
    op.drop_index("ix_whitelist_applications_cluster_team", table_name="whitelist_applications")
    op.drop_table("whitelist_applications")
