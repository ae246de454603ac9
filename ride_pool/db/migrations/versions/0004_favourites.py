"""A rider's favourite places ("Zuhause", "Arzt"), kept with the account.

Revision ID: 0004_favourites
Revises: 0004_places (on the branch this was written on; the issue 16 helpers' 0004 revisions are
chained by the lead at merge)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_favourites"
down_revision: str | None = "0004_places"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "favourite_places",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_favourite_places_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_favourite_places"),
        sa.UniqueConstraint("user_id", "name", name="uq_favourite_places_user_id_name"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_favourite_places_user_id", "favourite_places", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_favourite_places_user_id", table_name="favourite_places")
    op.drop_table("favourite_places")
