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
    session.execute(update(OutboxRow).where(OutboxRow.rider_id == user_id).values(phone=None))
    session.execute(update(RideSeries).where(RideSeries.rider_id == user_id).values(status="ended"))
