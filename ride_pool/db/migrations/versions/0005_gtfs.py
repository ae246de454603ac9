"""The imported timetable of the scheduled lines (GTFS) and a booking's connection to them.

Revision ID: 0005_gtfs
Revises: 0004_favourites (the lead re-chains the 0005 revisions of parallel branches at merge)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_gtfs"
down_revision: str | None = "0004_favourites"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("connection", JSON_TYPE, nullable=True))
    op.create_table(
        "gtfs_stops",
        sa.Column("stop_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("parent_station", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("stop_id", name="pk_gtfs_stops"),
    )
    op.create_table(
        "gtfs_routes",
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("short_name", sa.String(100), server_default="", nullable=False),
        sa.Column("long_name", sa.String(200), server_default="", nullable=False),
        sa.Column("route_type", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("route_id", name="pk_gtfs_routes"),
    )
    op.create_table(
        "gtfs_trips",
        sa.Column("trip_id", sa.String(100), nullable=False),
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("headsign", sa.String(200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("trip_id", name="pk_gtfs_trips"),
    )
    op.create_table(
        "gtfs_stop_times",
        sa.Column("trip_id", sa.String(100), nullable=False),
        sa.Column("stop_sequence", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.String(100), nullable=False),
        sa.Column("arrival_s", sa.Integer(), nullable=False),
        sa.Column("departure_s", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trip_id", "stop_sequence", name="pk_gtfs_stop_times"),
    )
    op.create_index("ix_gtfs_stop_times_stop_id", "gtfs_stop_times", ["stop_id"])
    op.create_table(
        "gtfs_calendar",
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("days", sa.String(7), nullable=False),
        sa.Column("start_date", sa.String(8), nullable=False),
        sa.Column("end_date", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name="pk_gtfs_calendar"),
    )
    op.create_table(
        "gtfs_calendar_dates",
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("date", sa.String(8), nullable=False),
        sa.Column("exception_type", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "date", name="pk_gtfs_calendar_dates"),
    )


def downgrade() -> None:
    for table in ("gtfs_calendar_dates", "gtfs_calendar", "gtfs_stop_times", "gtfs_trips", "gtfs_routes",
                  "gtfs_stops"):
        if table == "gtfs_stop_times":
            op.drop_index("ix_gtfs_stop_times_stop_id", table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("connection")
