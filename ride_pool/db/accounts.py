"""Rows behind the bearer tokens: the deployment's identity, account state, ended tokens.

* :func:`deployment_identity` - the issuer id and signing key of this deployment (table
  ``deployment``, row 1), made at the first start. Two processes starting at once on a new
  database end with one row: each inserts with ``ON CONFLICT DO NOTHING`` and reads back the row
  that won.
* :func:`account_state` - what a request needs to know about the caller's account now.
* :func:`revoke_token` / :func:`revoked` - tokens ended by logging out (``revoked_tokens``), kept
  until they would have expired anyway; :func:`prune_revoked` removes the expired ones.
* :func:`set_disabled` - an operator disables or enables an account.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.errors import NotFound
from ride_pool.db.models import Deployment, RevokedToken, User
from ride_pool.messages import msg

DEPLOYMENT_ROW = 1


@dataclass(frozen=True)
class DeploymentIdentity:
    """The name this deployment's tokens carry as issuer and audience, and its own signing key."""

    issuer: str
    secret_key: str
    created_at: int


@dataclass(frozen=True)
class AccountState:
    """An account as a request sees it (read from ``users``)."""

    user_id: int
    role: str
    confirmed: bool
    disabled: bool
    deleted: bool
    token_version: int


def deployment_identity(engine: Engine, now: int) -> DeploymentIdentity:
    """This deployment's identity; made (random issuer id and key) when the database has none."""
    with read_session(engine) as session:
        row = session.get(Deployment, DEPLOYMENT_ROW)
    if row is None:
        values = {"id": DEPLOYMENT_ROW, "issuer": f"ride_pool:{uuid.uuid4()}",
                  "secret_key": secrets.token_urlsafe(48), "created_at": int(now)}
        insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        with write_session(engine) as session:
            session.execute(insert(Deployment).values(**values).on_conflict_do_nothing(index_elements=["id"]))
        with read_session(engine) as session:
            row = session.get(Deployment, DEPLOYMENT_ROW)
    return DeploymentIdentity(issuer=row.issuer, secret_key=row.secret_key, created_at=row.created_at)


def _state(user: User | None, user_id: int) -> AccountState | None:
    if user is None:
        return None
    return AccountState(user_id=user_id, role=user.role.value, confirmed=bool(user.confirmed),
                        disabled=bool(user.disabled), deleted=user.deleted_at is not None,
                        token_version=int(user.token_version or 0))


def account_state(engine: Engine, user_id: int, jti: str | None = None) -> tuple[AccountState | None, bool]:
    """The account ``user_id`` (None when there is no such row) and whether the token ``jti`` was
    ended by logging out (False when no ``jti`` is given), read in one transaction."""
    with read_session(engine) as session:
        state = _state(session.get(User, user_id), user_id)
        ended = jti is not None and _is_revoked(session, jti)
    return state, ended


def _is_revoked(session: Session, jti: str) -> bool:
    return session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None


def revoked(engine: Engine, jti: str) -> bool:
    """Whether the token ``jti`` was ended by logging out."""
    with read_session(engine) as session:
        return _is_revoked(session, jti)


def revoke_token(engine: Engine, jti: str, expires_at: int) -> None:
    """End the token ``jti`` (kept until ``expires_at``, when it would have expired anyway)."""
    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with write_session(engine) as session:
        session.execute(insert(RevokedToken).values(jti=jti, expires_at=int(expires_at))
                        .on_conflict_do_nothing(index_elements=["jti"]))


def use_once(engine: Engine, jti: str, expires_at: int) -> bool:
    """Mark the single-use ticket ``jti`` used (a row in ``revoked_tokens`` until ``expires_at``);
    False when it was used before (by any process, also before a restart)."""
    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with write_session(engine) as session:
        # RETURNING says whether the row went in: psycopg reports no rowcount (-1) for this statement
        result = session.execute(insert(RevokedToken).values(jti=jti, expires_at=int(expires_at))
                                 .on_conflict_do_nothing(index_elements=["jti"]).returning(RevokedToken.jti))
        return result.first() is not None


def prune_revoked(engine: Engine, now: int) -> int:
    """Forget ended tokens that have expired anyway; returns how many rows went."""
    with write_session(engine) as session:
        return session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= int(now))).rowcount or 0


def set_disabled(engine: Engine, user_id: int, disabled: bool) -> User:
    """Disable (and end every login of) or enable the account ``user_id``.

    Disabling raises the account's ``token_version``, so that the tokens issued before are refused
    even after the account is enabled again. :class:`NotFound` for no (or a deleted) account."""
    with write_session(engine) as session:
        user = session.get(User, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound(msg("account_unknown", user_id=user_id))
        changes: dict = {"disabled": disabled}
        if disabled:
            changes["token_version"] = User.token_version + 1
        session.execute(update(User).where(User.id == user_id).values(**changes))
        session.refresh(user)
        return user
