"""The notification outbox in the database: claiming due messages, recording every attempt.

The rows are written by the dispatcher's commits (:mod:`ride_pool.db.writer`, the ``outbox``
batch, in the transaction of the change that caused them). A sender
(:mod:`ride_pool.api.outbox_sender`) then:

1. :func:`claim_due` - in one transaction, turns due ``pending`` rows into ``sending`` (only if
   still pending: two senders never claim the same row) and writes a ``started`` attempt per
   channel. This is committed *before* anything is handed to a channel.
2. delivers, and :func:`finish` records each attempt's outcome and the message's new state:
   ``sent``, ``pending`` again with a later ``due_at`` (retry with back-off), or ``failed``.

After a crash (``kill -9``) a row can be left in ``sending``: the sender may or may not have
handed it over. :func:`mark_orphans_unknown` turns such rows into ``unknown`` at the next start
and they are never sent again (at most once: a rider never gets the same message twice; the
operator's outbox list shows them). A message that was only written and never claimed is
``pending`` and goes out after the restart (no loss between write and send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, select, update

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import (
    OutboxAttemptRow,
    OutboxRow,
    PushSubscriptionRow,
    RiderProfile,
    User,
    VapidKeyRow,
)

#: the states of an outbox row
PENDING, SENDING, SENT, FAILED, SKIPPED, UNKNOWN, EXPIRED = (
    "pending", "sending", "sent", "failed", "skipped", "unknown", "expired")


@dataclass
class Claimed:
    """A message claimed for delivery: its row's values and the channels already delivered."""

    message_id: str
    kind: str
    created_at: int
    booking_id: str | None
    rider_id: int | None
    phone: str | None
    data: dict[str, Any]
    attempts: int
    delivered: set[str] = field(default_factory=set)


def pending_due(engine: Engine, now: int, limit: int = 50) -> list[Claimed]:
    """Pending messages due at ``now`` (oldest first), not claimed."""
    with read_session(engine) as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.status == PENDING, OutboxRow.due_at <= now)
                               .order_by(OutboxRow.due_at, OutboxRow.created_at).limit(limit)).all()
        return [_claimed(row, set()) for row in rows]


def _claimed(row: OutboxRow, delivered: set[str]) -> Claimed:
    return Claimed(row.message_id, row.kind, row.created_at, row.booking_id, row.rider_id, row.phone,
                   dict(row.data or {}), row.attempts, delivered)


def delivered_channels(engine: Engine, message_id: str) -> set[str]:
    with read_session(engine) as session:
        return set(session.scalars(select(OutboxAttemptRow.channel).where(
            OutboxAttemptRow.message_id == message_id, OutboxAttemptRow.outcome == SENT)))


def claim(engine: Engine, message_id: str, channels: list[str], sender: str, now: int) -> list[int] | None:
    """Claim one pending message for ``channels`` (committed before sending): ``sending``, one
    ``started`` attempt per channel; their attempt ids, or None if another sender was faster."""
    with write_session(engine) as session:
        result = session.execute(update(OutboxRow).where(OutboxRow.message_id == message_id,
                                                         OutboxRow.status == PENDING)
                                 .values(status=SENDING, claimed_by=sender, attempts=OutboxRow.attempts + 1))
        if result.rowcount != 1:
            return None
        attempts = [OutboxAttemptRow(message_id=message_id, channel=c, started_at=now, outcome="started")
                    for c in channels]
        session.add_all(attempts)
        session.flush()
        return [a.id for a in attempts]


def set_status(engine: Engine, message_id: str, status: str, *, now: int, error: str | None = None,
               due_at: int | None = None) -> None:
    """A pending message that is not sent at all (skipped, expired) or waits (quiet hours)."""
    with write_session(engine) as session:
        values: dict[str, Any] = {"status": status, "last_error": error}
        if due_at is not None:
            values["due_at"] = due_at
        session.execute(update(OutboxRow).where(OutboxRow.message_id == message_id).values(**values))


def finish(engine: Engine, message_id: str, outcomes: dict[int, str | None], *, now: int,
           status: str, due_at: int | None = None) -> None:
    """Record the attempts' outcomes (attempt id -> None when sent, else the error) and the
    message's new status (``sent``, ``pending`` with ``due_at`` for a retry, or ``failed``)."""
    errors = [e for e in outcomes.values() if e]
    with write_session(engine) as session:
        for attempt_id, error in outcomes.items():
            session.execute(update(OutboxAttemptRow).where(OutboxAttemptRow.id == attempt_id).values(
                finished_at=now, outcome=SENT if error is None else FAILED, error=(error or None) and error[:500]))
        values: dict[str, Any] = {"status": status, "last_error": errors[-1][:500] if errors else None}
        if status == SENT:
            values["sent_at"] = now
        if due_at is not None:
            values["due_at"] = due_at
        session.execute(update(OutboxRow).where(OutboxRow.message_id == message_id).values(**values))


def mark_orphans_unknown(engine: Engine, sender: str, now: int) -> int:
    """Messages left ``sending`` by a sender that is gone (a crash): ``unknown``, never sent again
    (see the module docstring); their unfinished attempts too. Returns how many."""
    with write_session(engine) as session:
        ids = list(session.scalars(select(OutboxRow.message_id).where(
            OutboxRow.status == SENDING, (OutboxRow.claimed_by != sender) | OutboxRow.claimed_by.is_(None))))
        if not ids:
            return 0
        session.execute(update(OutboxRow).where(OutboxRow.message_id.in_(ids)).values(
            status=UNKNOWN, last_error="the sender stopped while sending: not sent again (at most once)"))
        session.execute(update(OutboxAttemptRow).where(OutboxAttemptRow.message_id.in_(ids),
                                                       OutboxAttemptRow.outcome == "started")
                        .values(outcome=UNKNOWN, finished_at=now))
        return len(ids)


def outbox_list(engine: Engine, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest outbox messages with their attempts (the operator's list)."""
    with read_session(engine) as session:
        query = select(OutboxRow).order_by(OutboxRow.created_at.desc(), OutboxRow.message_id).limit(limit)
        if status:
            query = query.where(OutboxRow.status == status)
        rows = session.scalars(query).all()
        attempts: dict[str, list] = {}
        if rows:
            for a in session.scalars(select(OutboxAttemptRow).where(
                    OutboxAttemptRow.message_id.in_([r.message_id for r in rows])).order_by(OutboxAttemptRow.id)):
                attempts.setdefault(a.message_id, []).append(
                    {"channel": a.channel, "started_at": a.started_at, "finished_at": a.finished_at,
                     "outcome": a.outcome, "error": a.error})
        return [{"message_id": r.message_id, "kind": r.kind, "created_at": r.created_at, "booking_id": r.booking_id,
                 "rider_id": r.rider_id, "status": r.status, "attempts": r.attempts, "due_at": r.due_at,
                 "sent_at": r.sent_at, "last_error": r.last_error, "tries": attempts.get(r.message_id, [])}
                for r in rows]


def status_counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return dict(session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())


# --------------------------------------------------------------------------- recipients
@dataclass
class Recipient:
    """Where a rider wants to hear from the service."""

    email: str | None = None
    phone: str | None = None
    channels: tuple[str, ...] = ("email",)
    quiet_from: str | None = None
    quiet_until: str | None = None
    language: str = "de"
    push: list[dict] = field(default_factory=list)


def recipient(engine: Engine, rider_id: int) -> Recipient | None:
    """The rider's address, channel choice, quiet hours and push subscriptions (None: no such
    rider, or the account was deleted). Without a profile: e-mail only."""
    with read_session(engine) as session:
        user = session.get(User, rider_id)
        if user is None or user.deleted_at is not None:
            return None
        profile = session.get(RiderProfile, rider_id)
        subs = [{"id": s.id, "endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
                for s in session.scalars(select(PushSubscriptionRow).where(PushSubscriptionRow.user_id == rider_id))]
        if profile is None:
            return Recipient(email=user.email, push=subs)
        return Recipient(email=user.email, phone=profile.phone, channels=tuple(profile.channels or ()),
                         quiet_from=profile.quiet_from, quiet_until=profile.quiet_until,
                         language=profile.language or "de", push=subs)


def drop_push_subscription(engine: Engine, subscription_id: int) -> None:
    """A subscription the push service says is gone (404/410)."""
    with write_session(engine) as session:
        session.execute(delete(PushSubscriptionRow).where(PushSubscriptionRow.id == subscription_id))


def vapid_keys(engine: Engine, now: int) -> tuple[str, str]:
    """This deployment's VAPID key pair (private key PEM, public key base64url), made at the first
    call and kept in the database (every server process of the deployment shares it)."""
    with read_session(engine) as session:
        row = session.get(VapidKeyRow, 1)
        if row is not None:
            return row.private_pem, row.public_key
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    public = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with write_session(engine) as session:
        session.execute(insert(VapidKeyRow).values(id=1, private_pem=pem, public_key=public, created_at=now)
                        .on_conflict_do_nothing(index_elements=["id"]))
    with read_session(engine) as session:
        row = session.get(VapidKeyRow, 1)
        return row.private_pem, row.public_key
