"""The operator's bookings desk as the database holds it: bookings (open, finished, cancelled)
searched by rider name, phone, booking id, stop and day, with the cause of each cancellation or
no-show, and the requests that were refused (no booking: from the event log, with their cause)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from ride_pool.db.engine import read_session
from ride_pool.db.models import BookingRow, EventRow, User, Vehicle

#: the statuses one can filter by ("refused": requests without a booking)
STATUSES = ("confirmed", "onboard", "completed", "cancelled", "no_show", "refused")
_REFUSALS = ("request_rejected", "booking_refused")
_ENDS = {"booking_cancelled": "cancelled", "rider_no_show": "no_show"}


@dataclass
class DeskRow:
    """One line of the desk: a booking, or a refused request (``booking_id`` None)."""

    booking_id: str | None
    status: str
    time: int                   # the pickup window's start (refused: when it was asked)
    pickup_latest: int | None
    rider_id: int | None
    rider_name: str | None
    rider_email: str | None
    caller_name: str | None
    caller_phone: str | None
    origin: str
    destination: str
    passengers: int
    vehicle: str | None
    channel: str
    cause: str | None           # why it was cancelled, a no-show, or refused
    created_at: int


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(engine: Engine, *, q: str = "", status: str | None = None, day: tuple[int, int] | None = None,
           limit: int = 200) -> list[DeskRow]:
    """Bookings (and refused requests) matching ``q`` (a booking id or its start, the rider's or
    caller's name, e-mail or phone, a stop's name), ``status``, the pickup ``day`` (epoch span);
    newest pickup first, at most ``limit``."""
    q = (q or "").strip()
    out: list[DeskRow] = []
    with read_session(engine) as session:
        if status != "refused":
            query = select(BookingRow, User.name, User.email, Vehicle.label).outerjoin(
                User, User.id == BookingRow.rider_id).outerjoin(Vehicle, Vehicle.id == BookingRow.vehicle_id)
            if status:
                query = query.where(BookingRow.status == status)
            if day is not None:
                query = query.where(BookingRow.pickup_earliest >= day[0], BookingRow.pickup_earliest < day[1])
            if q:
                like = _like(q)
                digits = re.sub(r"\D", "", q)
                terms = [BookingRow.booking_id.like(q.lower() + "%"), BookingRow.caller_name.ilike(like, escape="\\"),
                         User.name.ilike(like, escape="\\"), User.email.ilike(like, escape="\\"),
                         BookingRow.origin_name.ilike(like, escape="\\"),
                         BookingRow.destination_name.ilike(like, escape="\\")]
                if len(digits) >= 3:
                    terms.append(BookingRow.caller_phone.ilike(_like(q), escape="\\"))
                    # the number as typed on the phone, whatever spaces, dashes or slashes it was stored with
                    bare = BookingRow.caller_phone
                    for sep in (" ", "-", "/", "(", ")"):
                        bare = func.replace(bare, sep, "")
                    terms.append(bare.like("%" + digits + "%"))
                query = query.where(or_(*terms))
            query = query.order_by(BookingRow.pickup_earliest.desc()).limit(limit)
            found = list(session.execute(query))
            ids = [row[0].booking_id for row in found]
            causes: dict[str, str] = {}
            if ids:
                for e in session.scalars(select(EventRow).where(EventRow.booking_id.in_(ids),
                                                                EventRow.kind.in_(list(_ENDS)))):
                    causes[e.booking_id] = e.cause
            for b, name, email, label in found:
                out.append(DeskRow(b.booking_id, str(getattr(b.status, "value", b.status)), b.pickup_earliest,
                                   b.pickup_latest, b.rider_id, name, email, b.caller_name, b.caller_phone,
                                   b.origin_name, b.destination_name, b.passengers, label, b.channel,
                                   causes.get(b.booking_id), b.created_at))
        if status in (None, "", "refused") and len(out) < limit:
            query = select(EventRow, User.name, User.email).outerjoin(User, User.id == EventRow.rider_id).where(
                EventRow.kind.in_(_REFUSALS))
            if day is not None:
                query = query.where(EventRow.time >= day[0], EventRow.time < day[1])
            if q:
                like = _like(q)
                query = query.where(or_(User.name.ilike(like, escape="\\"), User.email.ilike(like, escape="\\")))
            query = query.order_by(EventRow.id.desc()).limit(limit - len(out))
            for e, name, email in session.execute(query):
                out.append(DeskRow(None, "refused", e.time, None, e.rider_id, name, email, None, None, "", "", 0,
                                   None, (e.data or {}).get("channel", ""), e.cause, e.time))
    return out
