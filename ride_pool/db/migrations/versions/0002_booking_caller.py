"""Phone bookings keep whom they are for: bookings.caller_name and bookings.caller_phone.

(Offers keep them in their ``request`` JSON, which needs no schema change.)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # nullable columns without a default: PostgreSQL adds them without rewriting the table
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("caller_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("caller_phone", sa.String(30), nullable=True))


def downgrade() -> None:
    # SQLite: batch mode copies the table without the columns
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("caller_phone")
        batch.drop_column("caller_name")
