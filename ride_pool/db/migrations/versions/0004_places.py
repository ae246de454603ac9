"""Places that are not stops: how the rider gets on and off (door or nearest stop), the walk, and
the point and label the rider asked for, per end of a booking.

(Offers keep their places in their ``request`` JSON, which needs no schema change.)

Revision ID: 0004_places
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_places"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_END = ("origin", "destination")


def upgrade() -> None:
    # nullable columns without a default: PostgreSQL adds them without rewriting the table
    with op.batch_alter_table("bookings") as batch:
        for end in _END:
            batch.add_column(sa.Column(f"{end}_access", sa.String(20), nullable=True))
            batch.add_column(sa.Column(f"{end}_walk_m", sa.Integer(), nullable=True))
            batch.add_column(sa.Column(f"{end}_asked_name", sa.String(200), nullable=True))
            batch.add_column(sa.Column(f"{end}_asked_lat", sa.Float(), nullable=True))
            batch.add_column(sa.Column(f"{end}_asked_lon", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        for end in reversed(_END):
            for column in ("asked_lon", "asked_lat", "asked_name", "walk_m", "access"):
                batch.drop_column(f"{end}_{column}")
