"""Driver reports sent again from a phone that was offline (issue 14): the idempotency keys of
driver reports with their first answer (``driver_reports``), the reported arrival times of
bookings, the reported start and end of shifts and the shifts' planned breaks.

Revision ID: 0004_driver_replay
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_driver_replay"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

SHIFT_COLUMNS = ("started_at", "ended_at", "break_earliest", "break_latest", "break_started_at", "break_ended_at")


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("arrived_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("dropoff_arrived_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("shifts") as batch:
        for column in SHIFT_COLUMNS[:4]:
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("break_s", sa.Integer(), server_default="0", nullable=False))
        for column in SHIFT_COLUMNS[4:]:
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("break_place", JSON_TYPE, nullable=True))
    op.create_table(
        "driver_reports",
        sa.Column("driver_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("report", sa.String(32), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("answer", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("driver_id", "idempotency_key", name="pk_driver_reports"),
    )
    op.create_index("ix_driver_reports_created_at", "driver_reports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_driver_reports_created_at", table_name="driver_reports")
    op.drop_table("driver_reports")
    with op.batch_alter_table("shifts") as batch:
        for column in (*SHIFT_COLUMNS, "break_s", "break_place"):
            batch.drop_column(column)
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("dropoff_arrived_at")
        batch.drop_column("arrived_at")
