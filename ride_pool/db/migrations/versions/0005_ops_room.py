"""Operator control room: bookings pinned to their vehicle, and the weekly shift plan.

Revision ID: 0005_ops_room
Revises: 0004_favourites (the lead re-chains the 0005 revisions at merge)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ops_room"
down_revision: str | None = "0005_gtfs"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "shift_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("end", sa.String(5), nullable=False),
        sa.Column("break_start_earliest", sa.String(5), nullable=True),
        sa.Column("break_start_latest", sa.String(5), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name="fk_shift_templates_vehicle_id_vehicles"),
        sa.ForeignKeyConstraint(["driver_id"], ["users.id"], name="fk_shift_templates_driver_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_shift_templates"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_shift_templates_vehicle_id", "shift_templates", ["vehicle_id"])


def downgrade() -> None:
    op.drop_index("ix_shift_templates_vehicle_id", table_name="shift_templates")
    op.drop_table("shift_templates")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("pinned")
