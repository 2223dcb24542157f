"""At most one open (Pending or Approved) whitelist application per (cluster, team).

A partial unique index, on PostgreSQL and SQLite alike. Before creating it, any duplicates left
by concurrent submits are closed: per (cluster, team) the Approved one (else the oldest) stays
open, the others become Revoked (if Approved) or Rejected (if Pending), decided by ``system``,
each with a decision row saying why. Nothing is deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_whitelist_applications_open"
OPEN = sa.text("status IN ('Pending', 'Approved')")

_apps = sa.table(
    "whitelist_applications", sa.column("id", sa.Integer), sa.column("cluster", sa.String),
    sa.column("team", sa.String), sa.column("status", sa.String), sa.column("decided_by", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)), sa.column("comment", sa.Text),
    sa.column("version", sa.Integer),
)
_decisions = sa.table(
    "whitelist_decisions", sa.column("application_id", sa.Integer), sa.column("action", sa.String),
    sa.column("actor", sa.String), sa.column("at", sa.DateTime(timezone=True)), sa.column("comment", sa.Text),
)


def _close_duplicates() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_apps.c.id, _apps.c.cluster, _apps.c.team, _apps.c.status)
        .where(_apps.c.status.in_(("Pending", "Approved")))
        .order_by(_apps.c.id)
    ).all()
    kept: dict[tuple[str, str], int] = {}
    for row in sorted(rows, key=lambda r: (r.status != "Approved", r.id)):
        key = (row.cluster, row.team)
        if key not in kept:
            kept[key] = row.id
            continue
        now = datetime.now(UTC)
        action, status = ("revoke", "Revoked") if row.status == "Approved" else ("reject", "Rejected")
        comment = f"closed by migration 0005: a duplicate of application #{kept[key]}"
        conn.execute(
            _apps.update().where(_apps.c.id == row.id).values(
                status=status, decided_by="system", decided_at=now, comment=comment,
                version=_apps.c.version + 1,
            )
        )
        conn.execute(_decisions.insert().values(
            application_id=row.id, action=action, actor="system", at=now, comment=comment))


def upgrade() -> None:
    _close_duplicates()
    op.create_index(
        INDEX, "whitelist_applications", ["cluster", "team"], unique=True,
        postgresql_where=OPEN, sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="whitelist_applications")
