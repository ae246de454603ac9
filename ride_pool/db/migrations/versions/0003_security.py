"""Security and data protection: account state (confirmed, disabled, token version, deletion,
e-mail confirmation code), ids never reused on SQLite, the idempotency request hash, the
anonymisation mark of bookings, the deployment's identity, revoked tokens and the audit log.

Accounts that exist at the upgrade count as confirmed. Tokens issued before it carry no issuer
and are refused afterwards: everybody logs in once more.

On SQLite, ``users``, ``vehicles`` and ``shifts`` are rebuilt with ``AUTOINCREMENT`` (batch mode
copies the rows), so that the id of a deleted row is never handed out again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _autoincrement(table: str) -> dict:
    """batch_alter_table options that rebuild ``table`` with AUTOINCREMENT on SQLite."""
    if op.get_context().dialect.name != "sqlite":
        return {}
    return {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": True}}


def upgrade() -> None:
    with op.batch_alter_table("users", **_autoincrement("users")) as batch:
        batch.add_column(sa.Column("confirmed", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("confirm_code_hash", sa.String(255), nullable=True))
        batch.add_column(sa.Column("confirm_code_expires", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("confirm_attempts", sa.Integer(), server_default="0", nullable=False))
    for table in ("vehicles", "shifts"):
        options = _autoincrement(table)
        if options:
            with op.batch_alter_table(table, **options):
                pass
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("idempotency_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("anonymised_at", sa.BigInteger(), nullable=True))
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(100), nullable=False),
        sa.Column("secret_key", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deployment"),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_revoked_tokens"),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", BIGINT_KEY, autoincrement=True, nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_kind", sa.String(30), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("details", JSON_TYPE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_time", "audit_log", ["time"])
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor_id", table_name="audit_log")
    op.drop_index("ix_audit_log_time", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_revoked_tokens_expires_at", table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
    op.drop_table("deployment")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("anonymised_at")
        batch.drop_column("idempotency_hash")
    with op.batch_alter_table("users") as batch:
        for column in ("confirm_attempts", "confirm_code_expires", "confirm_code_hash", "deleted_at",
                       "token_version", "disabled", "confirmed"):
            batch.drop_column(column)
