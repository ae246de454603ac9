"""Initial schema: users, vehicles, shifts, stops, service areas, offers, bookings, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# the column types as the models had them at this revision
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
USER_ROLE = sa.Enum("rider", "driver", "operator", name="userrole", native_enum=False, length=16)
BOOKING_STATUS = sa.Enum("confirmed", "onboard", "completed", "cancelled", "no_show",
                         name="bookingstatus", native_enum=False, length=16)


def _place_columns(prefix: str) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}_node", sa.Integer(), nullable=False),
        sa.Column(f"{prefix}_lat", sa.Float(), nullable=False),
        sa.Column(f"{prefix}_lon", sa.Float(), nullable=False),
        sa.Column(f"{prefix}_name", sa.String(200), nullable=False),
        sa.Column(f"{prefix}_stop_id", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", USER_ROLE, nullable=False),
        sa.Column("no_show_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("wheelchair_places", sa.Integer(), server_default="0", nullable=False),
        sa.Column("depot_lat", sa.Float(), nullable=False),
        sa.Column("depot_lon", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vehicles"),
        sa.UniqueConstraint("label", name="uq_vehicles_label"),
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.Column("started", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("ended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("depot_node", sa.Integer(), nullable=False),
        sa.Column("depot_lat", sa.Float(), nullable=False),
        sa.Column("depot_lon", sa.Float(), nullable=False),
        sa.Column("depot_name", sa.String(200), server_default="", nullable=False),
        sa.Column("depot_stop_id", sa.Integer(), nullable=True),
        sa.Column("anchor_node", sa.Integer(), nullable=False),
        sa.Column("anchor_time", sa.BigInteger(), nullable=False),
        sa.Column("route", JSON_TYPE, nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_time", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["driver_id"], ["users.id"], name="fk_shifts_driver_id_users"),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name="fk_shifts_vehicle_id_vehicles"),
        sa.PrimaryKeyConstraint("id", name="pk_shifts"),
    )
    op.create_index("ix_shifts_driver_id", "shifts", ["driver_id"])
    op.create_index("ix_shifts_ended", "shifts", ["ended"])
    op.create_index("ix_shifts_vehicle_id_start", "shifts", ["vehicle_id", "start"])

    op.create_table(
        "stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("code", sa.String(100), nullable=True),
        sa.Column("town", sa.String(200), server_default="", nullable=False),
        sa.Column("node", sa.Integer(), nullable=True),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("town_key", sa.String(200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stops"),
        sa.UniqueConstraint("code", name="uq_stops_code"),
    )
    op.create_index("ix_stops_name_key", "stops", ["name_key"])
    op.create_index("ix_stops_town_key", "stops", ["town_key"])

    op.create_table(
        "service_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("polygon", JSON_TYPE, nullable=True),
        sa.Column("rules", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_areas"),
        sa.UniqueConstraint("name", name="uq_service_areas_name"),
    )
    op.create_table(
        "offers",
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("quote_id", sa.String(64), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("request", JSON_TYPE, nullable=False),
        sa.Column("pickup_earliest", sa.BigInteger(), nullable=False),
        sa.Column("pickup_latest", sa.BigInteger(), nullable=False),
        sa.Column("dropoff_latest", sa.BigInteger(), nullable=False),
        sa.Column("planned_pickup", sa.BigInteger(), nullable=False),
        sa.Column("planned_dropoff", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("direct_s", sa.Integer(), nullable=False),
        sa.Column("direct_m", sa.Integer(), nullable=False),
        sa.Column("max_ride_s", sa.Integer(), nullable=False),
        sa.Column("alternative", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("booking_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("offer_id", name="pk_offers"),
    )
    op.create_index("ix_offers_expires_at", "offers", ["expires_at"])
    op.create_index("ix_offers_quote_id", "offers", ["quote_id"])
    op.create_index("ix_offers_rider_id", "offers", ["rider_id"])

    op.create_table(
        "bookings",
        sa.Column("booking_id", sa.String(64), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        *_place_columns("origin"),
        *_place_columns("destination"),
        sa.Column("passengers", sa.Integer(), nullable=False),
        sa.Column("wheelchairs", sa.Integer(), nullable=False),
        sa.Column("pickup_earliest", sa.BigInteger(), nullable=False),
        sa.Column("pickup_latest", sa.BigInteger(), nullable=False),
        sa.Column("dropoff_latest", sa.BigInteger(), nullable=False),
        sa.Column("max_ride_s", sa.Integer(), nullable=False),
        sa.Column("direct_s", sa.Integer(), nullable=False),
        sa.Column("direct_m", sa.Integer(), nullable=False),
        sa.Column("requested_time", sa.BigInteger(), nullable=False),
        sa.Column("status", BOOKING_STATUS, nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("offer_id", sa.String(64), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("idempotency_scope", sa.String(64), nullable=True),
        sa.Column("planned_pickup", sa.BigInteger(), nullable=True),
        sa.Column("planned_dropoff", sa.BigInteger(), nullable=True),
        sa.Column("boarded_at", sa.BigInteger(), nullable=True),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("booking_id", name="pk_bookings"),
        sa.UniqueConstraint("idempotency_scope", "idempotency_key",
                            name="uq_bookings_idempotency_scope_idempotency_key"),
    )
    op.create_index("ix_bookings_rider_id", "bookings", ["rider_id"])
    op.create_index("ix_bookings_status", "bookings", ["status"])
    op.create_index("ix_bookings_vehicle_id", "bookings", ["vehicle_id"])

    op.create_table(
        "events",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("cause", sa.String(200), server_default="", nullable=False),
        sa.Column("booking_id", sa.String(64), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_booking_id", "events", ["booking_id"])
    op.create_index("ix_events_time", "events", ["time"])


def downgrade() -> None:
    for table in ("events", "bookings", "offers", "service_areas", "stops", "shifts", "vehicles", "users"):
        op.drop_table(table)
