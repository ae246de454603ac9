"""Rider profiles (notification channels, quiet hours, needs, fare group) and Web Push
subscriptions (issue 17)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import PushSubscriptionRow, RiderProfile

DEFAULT_PROFILE = {"channels": ["email"], "phone": None, "quiet_from": None, "quiet_until": None, "language": "de",
                   "needs": [], "fare_group": {}}


def get_profile(engine: Engine, user_id: int) -> dict[str, Any]:
    with read_session(engine) as session:
        row = session.get(RiderProfile, user_id)
        subs = session.scalars(select(PushSubscriptionRow.id).where(PushSubscriptionRow.user_id == user_id)).all()
        if row is None:
            return {**DEFAULT_PROFILE, "push_subscriptions": len(subs)}
        return {"channels": list(row.channels or []), "phone": row.phone, "quiet_from": row.quiet_from,
                "quiet_until": row.quiet_until, "language": row.language, "needs": list(row.needs or []),
                "fare_group": dict(row.fare_group or {}), "push_subscriptions": len(subs)}


def save_profile(engine: Engine, user_id: int, values: dict[str, Any], now: int) -> dict[str, Any]:
    with write_session(engine) as session:
        row = session.get(RiderProfile, user_id)
        if row is None:
            row = RiderProfile(user_id=user_id, **{**DEFAULT_PROFILE, **values}, updated_at=now)
            session.add(row)
        else:
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
    return get_profile(engine, user_id)


def add_push_subscription(engine: Engine, user_id: int, endpoint: str, p256dh: str, auth: str, now: int) -> int:
    """Keep a browser's subscription (the same endpoint again replaces its keys and owner)."""
    with write_session(engine) as session:
        row = session.scalar(select(PushSubscriptionRow).where(PushSubscriptionRow.endpoint == endpoint))
        if row is None:
            row = PushSubscriptionRow(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now)
            session.add(row)
        else:
            row.user_id, row.p256dh, row.auth = user_id, p256dh, auth
        session.flush()
        return row.id


def remove_push_subscription(engine: Engine, user_id: int, endpoint: str) -> bool:
    with write_session(engine) as session:
        result = session.execute(delete(PushSubscriptionRow).where(PushSubscriptionRow.user_id == user_id,
                                                                   PushSubscriptionRow.endpoint == endpoint))
        return result.rowcount > 0


def erase_notification_data(session, user_id: int) -> None:
    """With a deleted account (ride_pool.db.privacy.delete_account): its profile (phone number,
    needs), push subscriptions and the phone numbers of its messages go; its series end."""
    from sqlalchemy import update

    from ride_pool.db.models import OutboxRow, RideSeries

    session.execute(delete(RiderProfile).where(RiderProfile.user_id == user_id))
    session.execute(delete(PushSubscriptionRow).where(PushSubscriptionRow.user_id == user_id))
    ids = list(session.scalars(select(OutboxRow.message_id).where(OutboxRow.rider_id == user_id)))
    _delete_messages(session, ids)
    session.execute(update(RideSeries).where(RideSeries.rider_id == user_id).values(
        status="ended", origin={}, destination={}, caller_name=None, caller_phone=None))


def erase_outbox_of_bookings(session, booking_ids: list[str]) -> None:
    """The notifications about finished bookings whose personal data the retention removes (they
    name places and phone numbers): deleted with their attempts."""
    from ride_pool.db.models import OutboxRow

    ids = list(session.scalars(select(OutboxRow.message_id).where(OutboxRow.booking_id.in_(booking_ids))))
    _delete_messages(session, ids)


def erase_old_messages(session, before: int) -> None:
    """Notifications about no booking (a series ride not booked) created before ``before``."""
    from ride_pool.db.models import OutboxRow

    ids = list(session.scalars(select(OutboxRow.message_id).where(OutboxRow.booking_id.is_(None),
                                                                  OutboxRow.created_at < before)))
    _delete_messages(session, ids)


def _delete_messages(session, message_ids: list[str]) -> None:
    from ride_pool.db.models import OutboxAttemptRow, OutboxRow

    if message_ids:
        session.execute(delete(OutboxAttemptRow).where(OutboxAttemptRow.message_id.in_(message_ids)))
        session.execute(delete(OutboxRow).where(OutboxRow.message_id.in_(message_ids)))
