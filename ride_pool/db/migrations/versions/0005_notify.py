"""Issue 17: the rider notification outbox and its attempts, rider profiles (channels, quiet
hours, needs, fare group), Web Push subscriptions and the deployment's VAPID keys, ride series and
their occurrences; bookings keep SMS consent, needs, fare and series; vehicles their features.

Revision ID: 0005_notify
Revises: 0004_favourites
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_notify"
down_revision: str | None = "0005_ops_room"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("sms_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("needs", JSON_TYPE, nullable=True))
        batch.add_column(sa.Column("fare_cents", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fare", JSON_TYPE, nullable=True))
        batch.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
    op.create_index("ix_bookings_series_id", "bookings", ["series_id"])
    with op.batch_alter_table("vehicles") as batch:
        batch.add_column(sa.Column("features", JSON_TYPE, nullable=True))
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("booking_id", sa.String(64), nullable=True),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_outbox"),
    )
    for column in ("booking_id", "rider_id", "status", "due_at"):
        op.create_index(f"ix_outbox_{column}", "outbox", [column])
    op.create_table(
        "outbox_attempts",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["outbox.message_id"], name="fk_outbox_attempts_message_id_outbox",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_attempts"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_attempts_message_id", "outbox_attempts", ["message_id"])
    op.create_table(
        "rider_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channels", JSON_TYPE, nullable=False),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("quiet_from", sa.String(5), nullable=True),
        sa.Column("quiet_until", sa.String(5), nullable=True),
        sa.Column("language", sa.String(2), nullable=False, server_default="de"),
        sa.Column("needs", JSON_TYPE, nullable=False),
        sa.Column("fare_group", JSON_TYPE, nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_rider_profiles_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_rider_profiles"),
    )
    op.create_table(
        "push_subscriptions",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(1000), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_push_subscriptions_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscriptions"),
        sa.UniqueConstraint("endpoint", name="uq_push_subscriptions_endpoint"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_push_subscriptions_user_id", "push_subscriptions", ["user_id"])
    op.create_table(
        "vapid_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_pem", sa.String(1000), nullable=False),
        sa.Column("public_key", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vapid_keys"),
    )
    op.create_table(
        "ride_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("caller_name", sa.String(100), nullable=True),
        sa.Column("caller_phone", sa.String(30), nullable=True),
        sa.Column("sms_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("origin", JSON_TYPE, nullable=False),
        sa.Column("destination", JSON_TYPE, nullable=False),
        sa.Column("weekdays", JSON_TYPE, nullable=False),
        sa.Column("pickup_time", sa.String(5), nullable=False),
        sa.Column("first_date", sa.String(10), nullable=False),
        sa.Column("until", sa.String(10), nullable=False),
        sa.Column("passengers", sa.Integer(), nullable=False),
        sa.Column("wheelchairs", sa.Integer(), nullable=False),
        sa.Column("needs", JSON_TYPE, nullable=False),
        sa.Column("fare_group", JSON_TYPE, nullable=False),
        sa.Column("skip_holidays", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ride_series"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ride_series_rider_id", "ride_series", ["rider_id"])
    op.create_table(
        "series_occurrences",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("booking_id", sa.String(64), nullable=True),
        sa.Column("cause", sa.String(60), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["ride_series.id"], name="fk_series_occurrences_series_id_ride_series",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "date", name="pk_series_occurrences"),
    )


def downgrade() -> None:
    op.drop_table("series_occurrences")
    op.drop_index("ix_ride_series_rider_id", table_name="ride_series")
    op.drop_table("ride_series")
    op.drop_table("vapid_keys")
    op.drop_index("ix_push_subscriptions_user_id", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    op.drop_table("rider_profiles")
    op.drop_index("ix_outbox_attempts_message_id", table_name="outbox_attempts")
    op.drop_table("outbox_attempts")
    for column in ("booking_id", "rider_id", "status", "due_at"):
        op.drop_index(f"ix_outbox_{column}", table_name="outbox")
    op.drop_table("outbox")
    with op.batch_alter_table("vehicles") as batch:
        batch.drop_column("features")
    op.drop_index("ix_bookings_series_id", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        for column in ("series_id", "fare", "fare_cents", "needs", "sms_consent"):
            batch.drop_column(column)
