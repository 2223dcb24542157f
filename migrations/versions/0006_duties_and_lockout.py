"""Separation of duties and lockout per address: the namespaces of a whitelist application, and
the addresses each account last signed in from.

``whitelist_applications.namespaces``: the namespaces an application covers, separated by spaces;
``*`` stands for every namespace except the system ones (``default``, ``kube-system``,
``kube-public``, ``kube-node-lease``). Every existing application gets ``*``: teams approved
before keep writing where they wrote, except in the system namespaces, which from now on need an
application naming them, approved by an admin.

``login_failures.address``: the client address of each failed attempt (older rows have none);
``login_addresses``: where each account last signed in successfully; the short lock on an
account under attack does not stop its owner signing in from such an address
(``app.accounts.throttle``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy of the table), so the partial unique index of 0005
    # stays as it is; every existing row takes the default.
    op.add_column("whitelist_applications",
                  sa.Column("namespaces", sa.Text(), nullable=False, server_default="*"))
    op.add_column("login_failures", sa.Column("address", sa.String(64), nullable=True))
    op.create_table(
        "login_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", "address", name="uq_login_addresses_username_address"),
    )


def downgrade() -> None:
    op.drop_table("login_addresses")
    op.drop_column("login_failures", "address")
    op.drop_column("whitelist_applications", "namespaces")
