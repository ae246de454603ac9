"""Which events a rider hears about: outbox messages made from a change's events (issue 17).

:class:`Notices` is hooked into the :class:`~ride_pool.dispatch.journal.Journal` as a deriver: at
every commit it reads the change's events and appends :class:`~ride_pool.dispatch.domain.OutboxMessage`
rows to the same change, so the message is written in the same transaction as what it tells
(a crash can never keep the one without the other). Events are mapped by kind and cause, never by
the code path that made them: any part of the dispatcher (the optimiser, an operator's move)
that commits a ``booking_changed`` event is told to the rider.

The message id is derived from the event (booking, kind, event time and what changed), so a
change committed again (a retried write) cannot make a second message: the outbox keeps the first
row with an id.

:func:`pickup_watch` is the periodic check of the live plan behind "pickup in about 10 minutes"
and "running late beyond the promised window": it gives the events once per booking.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable

from ride_pool.dispatch.domain import Booking, BookingStatus, Event, EventKind, NoticeKind, OutboxMessage
from ride_pool.dispatch.store import Change

#: causes of ``booking_cancelled`` the rider did not do himself (and so must be told about)
OPERATOR_CANCEL_CAUSES = frozenset({"operator", "shift_ended", "shift_cancelled", "vehicle_breakdown"})
#: "pickup in about ... minutes": the notice goes out when the planned pickup is this close
PICKUP_SOON_S = 10 * 60
#: a planned pickup later than the promised window by more than this is "running late"
LATE_TOLERANCE_S = 60
#: the pickup check looks at bookings whose window opens at most this far ahead
WATCH_AHEAD_S = 30 * 60


def _message_id(booking_id: str | None, kind: NoticeKind, *parts: object) -> str:
    raw = json.dumps([booking_id, kind.value, *parts], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _booking_data(b: Booking | None) -> dict:
    if b is None:
        return {}
    return {"pickup_earliest": b.pickup_earliest, "pickup_latest": b.pickup_latest,
            "planned_pickup": b.planned_pickup, "origin": b.origin.name, "destination": b.destination.name,
            "vehicle_id": b.vehicle_id, "passengers": b.passengers, "fare_cents": b.fare_cents}


class Notices:
    """Derives the outbox messages of a change (see the module docstring); ``booking_of`` gives a
    booking the change does not hold (the live plans')."""

    def __init__(self, booking_of: Callable[[str], Booking | None]):
        self.booking_of = booking_of

    def __call__(self, change: Change) -> list[OutboxMessage]:
        if not change.events:
            return []
        in_change = {b.booking_id: b for b in change.bookings}
        given = {m.message_id for m in change.outbox}      # made by the dispatcher itself (with a phone)
        out = []
        for event in change.events:
            kind = self.kind_of(event)
            if kind is None:
                continue
            booking = in_change.get(event.booking_id) if event.booking_id else None
            if booking is None and event.booking_id:
                booking = self.booking_of(event.booking_id)
            message = self.message(kind, event, booking)
            if message.message_id not in given:
                out.append(message)
        return out

    @staticmethod
    def kind_of(event: Event) -> NoticeKind | None:
        """What ``event`` tells a rider (None: nothing)."""
        k = event.kind
        if k == EventKind.BOOKING_CONFIRMED and event.cause != "simulation":
            return NoticeKind.BOOKING_CONFIRMED
        if k == EventKind.BOOKING_CHANGED:
            return NoticeKind.BOOKING_CHANGED
        if k == EventKind.BOOKING_CANCELLED and event.cause in OPERATOR_CANCEL_CAUSES:
            return NoticeKind.BOOKING_CANCELLED
        if k == EventKind.PICKUP_APPROACHING:
            return NoticeKind.PICKUP_SOON
        if k == EventKind.PICKUP_DELAYED:
            return NoticeKind.RUNNING_LATE
        if k == EventKind.SERIES_OCCURRENCE_REFUSED:
            return NoticeKind.SERIES_REFUSED
        if k == EventKind.CONNECTION_AT_RISK:
            return NoticeKind.CONNECTION_AT_RISK
        return None

    @staticmethod
    def message(kind: NoticeKind, event: Event, booking: Booking | None) -> OutboxMessage:
        facts = dict(event.data)
        if "new" not in facts and ("new_window" in facts or "new_vehicle_id" in facts):
            # booking_changed as the control room, the optimiser and the connection guard write it
            facts["old"] = {"vehicle_id": facts.get("old_vehicle_id"), **(facts.get("old_window") or {})}
            facts["new"] = {"vehicle_id": facts.get("new_vehicle_id"), **(facts.get("new_window") or {})}
        data = {**_booking_data(booking), **{k: v for k, v in facts.items() if not isinstance(v, (list, dict))
                                              or k in ("old", "new")}, "cause": event.cause}
        if kind is NoticeKind.SERIES_REFUSED:     # once per series and date
            mid = _message_id(None, kind, event.data.get("series_id"), event.data.get("date"))
        elif kind in (NoticeKind.BOOKING_CHANGED, NoticeKind.CONNECTION_AT_RISK):   # each change, each new alert
            mid = _message_id(event.booking_id, kind, event.time, event.data)
        else:   # once per booking: confirmed, soon, late, cancelled
            mid = _message_id(event.booking_id, kind)
        rider = event.rider_id if event.rider_id is not None else (booking.rider_id if booking else None)
        phone = booking.caller_phone if booking is not None and booking.sms_consent else None
        return OutboxMessage(message_id=mid, kind=kind, created_at=event.time, booking_id=event.booking_id,
                             rider_id=rider, phone=phone, data=data)


def pickup_watch(bookings: list[Booking], eta_of: Callable[[Booking], dict], now: int,
                 told: set[tuple[str, str]]) -> list[Event]:
    """The events of the periodic pickup check: ``pickup_approaching`` when the planned pickup is
    within :data:`PICKUP_SOON_S`, ``pickup_delayed`` when it is later than the promised window.
    ``told`` holds (booking id, event kind) already given (it is updated); the outbox's message
    ids make a repeat after a restart harmless anyway."""
    events = []
    for b in bookings:
        if b.status is not BookingStatus.CONFIRMED:
            continue
        eta = eta_of(b)
        pickup = eta.get("pickup") if eta else None
        if pickup is None:
            continue
        common = dict(booking_id=b.booking_id, vehicle_id=b.vehicle_id, shift_id=eta.get("shift_id"),
                      rider_id=b.rider_id)
        if pickup > b.pickup_latest + LATE_TOLERANCE_S and (b.booking_id, "late") not in told:
            told.add((b.booking_id, "late"))
            events.append(Event(now, EventKind.PICKUP_DELAYED, "live_plan", **common, data={
                "eta": int(pickup), "late_s": int(pickup - b.pickup_latest)}))
        if 0 <= pickup - now <= PICKUP_SOON_S and (b.booking_id, "soon") not in told:
            told.add((b.booking_id, "soon"))
            events.append(Event(now, EventKind.PICKUP_APPROACHING, "live_plan", **common, data={
                "eta": int(pickup), "minutes": max(1, round((pickup - now) / 60))}))
    return events
