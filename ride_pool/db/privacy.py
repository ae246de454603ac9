"""Data protection (DSGVO) in the database: a rider's data export, the erasure of a deleted
account's personal data, and the retention job.

The dispatcher owns the live bookings; nothing here touches an active one. Finished bookings
(completed, cancelled, no-show) are only history in the database, so their personal data is
changed here directly; the dispatcher drops its in-memory copies of the same data through the
``forget`` callback of :class:`RetentionJob` (see ``Dispatcher.forget_personal_data``).

**Retention** (:meth:`RetentionJob.run_once`, run by the service at start and then every
``retention_interval_s``):

* personal data of finished trips - a phone booking's ``caller_name``/``caller_phone``, the point
  and label a rider asked for and a door-to-door end's address and exact point (rounded to about
  1 km), the same in its offer's ``request``, and any name or number in its events' ``data`` - is removed once the
  trip's last time is more than ``personal_data_retention_days`` ago (``bookings.anonymised_at``
  is set then); the trip itself stays for the statistics;
* the idempotency keys of driver reports (and the answers kept with them) are deleted after
  :data:`REPORT_KEY_RETENTION_DAYS` (30);
* offers that were never booked and expired more than ``quote_retention_days`` ago are deleted,
  with the ``request_received``, ``offer_made``, ``request_rejected`` and ``offer_declined``
  events of quotes that led to no booking and are older than that. The events of quotes that
  were booked stay (one per booking: the KPIs of served trips, such as the wait from the asked
  time, stay exact for all time). Trade-off: the KPIs of a period older than the quote retention
  no longer count its unbooked requests (requests, rejections by cause, declines); those of any
  period within it are unchanged. A deployment that wants that demand history longer raises the
  setting (0 keeps every quote).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, delete, func, or_, select

from ride_pool.db.audit import PERSONAL_KEYS, erase_account_details
from ride_pool.db.engine import read_session, write_session
from ride_pool.db.favourites import delete_all as delete_all_favourites
from ride_pool.db.models import (
    AuditRow,
    BookingRow,
    DriverReportRow,
    EventRow,
    FavouritePlace,
    OfferRow,
    User,
)
from ride_pool.db.profiles import erase_notification_data, erase_old_messages, erase_outbox_of_bookings
from ride_pool.db.rows import booking_from_row, place_from_dict, place_to_dict
from ride_pool.dispatch.domain import (
    ANONYMOUS_DECIMALS,
    ANONYMOUS_DOOR,
    BookingStatus,
    EventKind,
    anonymised_place,
)

log = logging.getLogger(__name__)

DAY_S = 86_400
FINISHED_STATUSES = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
#: the events of a quote; deleted after the quote retention unless the quote was booked
QUOTE_EVENT_KINDS = (EventKind.REQUEST_RECEIVED.value, EventKind.OFFER_MADE.value,
                     EventKind.REQUEST_REJECTED.value, EventKind.OFFER_DECLINED.value)
#: keys of an offer's ``request`` that name a phone caller
CALLER_KEYS = ("caller_name", "caller_phone")
#: an unusable password hash (no password verifies against it)
NO_PASSWORD = "!account-deleted"
_BATCH = 2000


def deleted_email(user_id: int) -> str:
    """The placeholder address of a deleted account: unique, never deliverable (``.invalid``)."""
    return f"deleted-{user_id}@invalid"


# ------------------------------------------------------------------ export
def export_account(engine: Engine, user_id: int) -> dict[str, Any] | None:
    """Everything stored about account ``user_id``: the account, its bookings, its quotes
    (offers), the events about it or its bookings and the audit entries by or about it, as plain
    values (times in epoch seconds); None if there is no such account."""
    with read_session(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        bookings = list(session.scalars(select(BookingRow).where(BookingRow.rider_id == user_id)
                                        .order_by(BookingRow.created_at, BookingRow.booking_id)))
        booking_ids = [b.booking_id for b in bookings]
        offers = list(session.scalars(select(OfferRow).where(OfferRow.rider_id == user_id)
                                      .order_by(OfferRow.expires_at, OfferRow.offer_id)))
        about = EventRow.rider_id == user_id
        events = {row.id: row for row in session.scalars(select(EventRow).where(about))}
        for start in range(0, len(booking_ids), _BATCH):
            chunk = booking_ids[start:start + _BATCH]
            events.update((row.id, row) for row in session.scalars(select(EventRow)
                                                                  .where(EventRow.booking_id.in_(chunk))))
        favourites = list(session.scalars(select(FavouritePlace).where(FavouritePlace.user_id == user_id)
                                          .order_by(FavouritePlace.id)))
        audit = list(session.scalars(select(AuditRow).where(or_(
            AuditRow.actor_id == user_id,
            and_(AuditRow.target_kind == "account", AuditRow.target_id == str(user_id)))).order_by(AuditRow.id)))
        return {
            "account": {"id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
                        "created_at": user.created_at, "confirmed": bool(user.confirmed),
                        "disabled": bool(user.disabled), "no_show_count": user.no_show_count,
                        "deleted_at": user.deleted_at},
            "bookings": [_booking_export(row) for row in bookings],
            "favourites": [{"id": f.id, "name": f.name, "label": f.label, "lat": f.lat, "lon": f.lon,
                            "stop_id": f.stop_id, "created_at": f.created_at} for f in favourites],
            "quotes": [{"offer_id": o.offer_id, "quote_id": o.quote_id, "request": o.request,
                        "pickup_earliest": o.pickup_earliest, "pickup_latest": o.pickup_latest,
                        "dropoff_latest": o.dropoff_latest, "expires_at": o.expires_at,
                        "booking_id": o.booking_id} for o in offers],
            "events": [{"id": e.id, "time": e.time, "kind": e.kind, "cause": e.cause, "booking_id": e.booking_id,
                        "vehicle_id": e.vehicle_id, "shift_id": e.shift_id, "data": e.data or {}}
                       for _, e in sorted(events.items())],
            "audit": [{"id": a.id, "time": a.time, "actor_role": a.actor_role,
                       "by_you": a.actor_id == user_id, "action": a.action, "target_kind": a.target_kind,
                       "target_id": a.target_id, "details": a.details or {}} for a in audit],
        }


def _booking_export(row: BookingRow) -> dict[str, Any]:
    b = booking_from_row(row)

    def place(p):
        asked = None if p.asked is None else {"name": p.asked.name, "lat": p.asked.lat, "lon": p.asked.lon}
        return {"name": p.name, "lat": p.lat, "lon": p.lon, "stop_id": p.stop_id, "access": p.access or None,
                "walk_m": p.walk_m, "asked": asked}

    return {"booking_id": b.booking_id, "status": b.status.value, "channel": b.channel,
            "origin": place(b.origin), "destination": place(b.destination), "passengers": b.passengers,
            "wheelchairs": b.wheelchairs, "requested_time": b.requested_time,
            "pickup_earliest": b.pickup_earliest, "pickup_latest": b.pickup_latest,
            "dropoff_latest": b.dropoff_latest, "planned_pickup": b.planned_pickup,
            "planned_dropoff": b.planned_dropoff, "created_at": b.created_at, "boarded_at": b.boarded_at,
            "completed_at": b.completed_at, "cancelled_at": b.cancelled_at, "caller_name": b.caller_name,
            "caller_phone": b.caller_phone, "anonymised_at": row.anonymised_at}


# ------------------------------------------------------------------ account deletion
def delete_account(engine: Engine, user_id: int, now: int) -> list[str]:
    """Close account ``user_id`` and erase its personal data, in one transaction: the row stays
    (ids are never reused; its past bookings still count in statistics) with a placeholder
    e-mail (the address can be registered again), no name, an unusable password, ``disabled``,
    ``deleted_at`` and a new ``token_version`` (which ends every token issued before). The
    account's bookings lose the caller's name and phone (``anonymised_at`` set), its offers and
    the events about it any name or number, the audit entries about it the e-mail and name.

    Its active bookings must have been cancelled (through the dispatcher) before. Returns the ids
    of its bookings (for the dispatcher's in-memory copies)."""
    with write_session(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            return []
        if user.deleted_at is None:     # a second call only erases again (bookings made meanwhile)
            user.deleted_at = int(now)
            user.token_version = (user.token_version or 0) + 1
        user.email = deleted_email(user_id)
        user.name = ""
        user.password_hash = NO_PASSWORD
        user.disabled = True
        user.confirm_code_hash = None
        user.confirm_code_expires = None
        booking_ids = list(session.scalars(select(BookingRow.booking_id).where(BookingRow.rider_id == user_id)))
        for row in session.scalars(select(BookingRow).where(BookingRow.rider_id == user_id)
                                   .where(BookingRow.status.in_(FINISHED_STATUSES))):
            _anonymise_booking(row, row.anonymised_at or int(now))
        for offer in session.scalars(select(OfferRow).where(OfferRow.rider_id == user_id)):
            _anonymise_offer(offer)
        _erase_events(session, select(EventRow).where(EventRow.rider_id == user_id))
        _erase_events_of_bookings(session, booking_ids)
        erase_account_details(session, user_id)
        delete_all_favourites(session, user_id)
        erase_notification_data(session, user_id)      # issue 17: profile, push, series
    return booking_ids


# ------------------------------------------------------------------ retention
def anonymise_finished(engine: Engine, now: int, retention_days: int) -> list[str]:
    """Remove the personal data of trips finished more than ``retention_days`` before ``now``
    (see the module docstring); returns the ids of the bookings anonymised this time."""
    cutoff = int(now) - int(retention_days) * DAY_S
    finished_long_ago = and_(
        BookingRow.status.in_(FINISHED_STATUSES), BookingRow.anonymised_at.is_(None),
        BookingRow.dropoff_latest < cutoff,
        func.coalesce(BookingRow.completed_at, BookingRow.cancelled_at, 0) < cutoff)
    done: list[str] = []
    while True:
        with write_session(engine) as session:
            ids = list(session.scalars(select(BookingRow.booking_id).where(finished_long_ago).limit(_BATCH)))
            if not ids:
                break
            for row in session.scalars(select(BookingRow).where(BookingRow.booking_id.in_(ids))):
                _anonymise_booking(row, int(now))
            for offer in session.scalars(select(OfferRow).where(OfferRow.booking_id.in_(ids))):
                _anonymise_offer(offer)
            _erase_events_of_bookings(session, ids)
            erase_outbox_of_bookings(session, ids)     # issue 17: the messages name places and numbers
        done.extend(ids)
    with write_session(engine) as session:      # issue 17: messages about no booking (series refusals)
        erase_old_messages(session, cutoff)
    # phone quotes never booked keep the caller no longer than booked ones (if the quote
    # retention is longer than this one, or off)
    with write_session(engine) as session:
        named = or_(*(OfferRow.request[key].as_string().is_not(None) for key in CALLER_KEYS))
        for offer in session.scalars(select(OfferRow).where(OfferRow.booking_id.is_(None),
                                                            OfferRow.expires_at < cutoff, named)):
            _anonymise_offer(offer)
    return done


@dataclass
class PruneResult:
    offers: int = 0
    events: int = 0
    report_keys: int = 0


#: how long the idempotency keys of driver reports (with their answers, which hold the vehicle's
#: last position) are kept: far longer than a report may be late (``report_max_age_s``, 12 h)
REPORT_KEY_RETENTION_DAYS = 30


def prune_report_keys(engine: Engine, now: int, retention_days: int = REPORT_KEY_RETENTION_DAYS) -> int:
    """Delete the driver reports' idempotency keys older than ``retention_days``; how many."""
    cutoff = int(now) - int(retention_days) * DAY_S
    with write_session(engine) as session:
        return session.execute(delete(DriverReportRow).where(DriverReportRow.created_at < cutoff)).rowcount or 0


def prune_quotes(engine: Engine, now: int, retention_days: int) -> PruneResult:
    """Delete the offers never booked that expired more than ``retention_days`` before ``now``
    and the events of quotes older than that which led to no booking (see the module docstring).
    ``retention_days`` 0: keep everything."""
    result = PruneResult()
    if retention_days <= 0:
        return result
    cutoff = int(now) - int(retention_days) * DAY_S
    while True:
        with write_session(engine) as session:
            ids = list(session.scalars(select(OfferRow.offer_id).where(
                OfferRow.booking_id.is_(None), OfferRow.expires_at < cutoff).limit(_BATCH)))
            if not ids:
                break
            session.execute(delete(OfferRow).where(OfferRow.offer_id.in_(ids)))
        result.offers += len(ids)
    booked_quotes = select(OfferRow.quote_id).where(OfferRow.booking_id.is_not(None))
    quote_id = EventRow.data["quote_id"].as_string()
    unbooked_quote_events = and_(EventRow.kind.in_(QUOTE_EVENT_KINDS), EventRow.time < cutoff,
                                 quote_id.is_not(None), quote_id.not_in(booked_quotes))
    while True:
        with write_session(engine) as session:
            ids = list(session.scalars(select(EventRow.id).where(unbooked_quote_events).limit(_BATCH)))
            if not ids:
                break
            session.execute(delete(EventRow).where(EventRow.id.in_(ids)))
        result.events += len(ids)
    return result


@dataclass
class RetentionJob:
    """Runs the retention (:func:`anonymise_finished`, :func:`prune_quotes`) now and then.

    ``forget(booking_ids)`` is told which bookings lost their personal data, so that the
    dispatcher drops its in-memory copies of it. :meth:`start` runs the job at once and then every
    ``interval_s`` seconds in a daemon thread until :meth:`stop`; :meth:`run_once` runs it in the
    caller's thread (tests, a command line)."""

    engine: Engine
    clock: Callable[[], int]
    personal_data_days: int = 90
    quote_days: int = 30
    interval_s: float = 3600
    forget: Callable[[Iterable[str]], Any] | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run_once(self) -> tuple[list[str], PruneResult]:
        """One run; returns the bookings anonymised and what was pruned."""
        with self._lock:    # the thread and a direct call never run at the same time
            now = int(self.clock())
            anonymised = anonymise_finished(self.engine, now, self.personal_data_days)
            if anonymised and self.forget is not None:
                self.forget(anonymised)
            pruned = prune_quotes(self.engine, now, self.quote_days)
            pruned.report_keys = prune_report_keys(self.engine, now)
        if anonymised or pruned.offers or pruned.events or pruned.report_keys:
            log.info("retention: personal data of %d finished trips removed, %d old offers, %d quote events and "
                     "%d driver report keys deleted", len(anonymised), pruned.offers, pruned.events,
                     pruned.report_keys)
        return anonymised, pruned

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:   # the job must outlive a passing database outage
                log.exception("retention job failed; it runs again in %s s", self.interval_s)
            self._stopping.wait(self.interval_s)


# ------------------------------------------------------------------ helpers
def _anonymise_booking(row: BookingRow, now: int) -> None:
    """A finished booking's row without the caller's name and number, and with its ends as
    :func:`~ride_pool.dispatch.domain.anonymised_place` leaves them (no asked point or label; a
    door's address and exact point gone)."""
    row.caller_name = row.caller_phone = None
    row.anonymised_at = now
    for end in ("origin", "destination"):
        for column in ("asked_name", "asked_lat", "asked_lon"):
            setattr(row, f"{end}_{column}", None)
        if getattr(row, f"{end}_access") == "door":
            setattr(row, f"{end}_name", ANONYMOUS_DOOR)
            for column in ("lat", "lon"):
                setattr(row, f"{end}_{column}", round(float(getattr(row, f"{end}_{column}")), ANONYMOUS_DECIMALS))


def _anonymise_offer(offer: OfferRow) -> None:
    """An offer's request without the phone caller and with its places anonymised (the offer's
    places are the rider's, booked or not)."""
    request = dict(offer.request or {})
    changed = False
    if any(key in request for key in CALLER_KEYS):
        for key in CALLER_KEYS:
            request.pop(key, None)
        changed = True
    for end in ("origin", "destination"):
        if isinstance(request.get(end), dict):
            erased = place_to_dict(anonymised_place(place_from_dict(request[end])))
            if erased != request[end]:
                request[end] = erased
                changed = True
    if changed:
        offer.request = request


def _erase_events(session, query) -> None:
    for row in session.scalars(query):
        data = row.data or {}
        erased = _without_personal(data)
        if erased != data:
            row.data = erased


def _erase_events_of_bookings(session, booking_ids: list[str]) -> None:
    for start in range(0, len(booking_ids), _BATCH):
        _erase_events(session, select(EventRow).where(EventRow.booking_id.in_(booking_ids[start:start + _BATCH])))


def _without_personal(value: Any) -> Any:
    """``value`` without names, e-mail addresses and phone numbers (:data:`PERSONAL_KEYS`, at any depth)."""
    if isinstance(value, dict):
        return {k: _without_personal(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [_without_personal(v) for v in value]
    return value
