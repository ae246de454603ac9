"""Booking the rides of a series as they enter the booking horizon (issue 17).

A series ("every Mon, Wed, Fri, 07:30 pickup, until 2027-06-30") is kept in ``ride_series``.
:meth:`SeriesBooker.run_once` (a periodic job of the outbox sender's loop, on the injected clock)
looks at every active series and at each date from today until the end of the booking horizon
(rule ``horizon_s``) that has not been handled yet:

* a public holiday of the area's state (rule ``holiday_state``, from the ``holidays`` package)
  is skipped when the series says so (``skip_holidays``, set by the operator);
* otherwise the occurrence is quoted and booked through the dispatcher like any booking - the
  normal rules apply (lead time, operating hours, open bookings, vehicle fit) - with the
  idempotency key ``series:<id>:<date>``; only an offer whose window holds the series' pickup
  time is taken;
* a refusal is recorded (listed for operators, ``GET /api/v1/ops/series/refusals``) and told to
  the rider (``series_occurrence_refused`` event -> outbox).

Dates before the series was made, or already past the pickup time, are never booked.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from ride_pool.db import series as rows
from ride_pool.dispatch.domain import idempotency_scope
from ride_pool.dispatch.errors import DispatchError

log = logging.getLogger(__name__)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_holiday(day: date, state: str) -> bool:
    import holidays

    try:
        return day in holidays.Germany(subdiv=state, years=day.year)
    except NotImplementedError:
        return day in holidays.Germany(years=day.year)


#: the sender's loop looks at the series at most this often (seconds of the service's clock)
EVERY_S = 60


class SeriesBooker:
    def __init__(self, service):
        self.service = service
        self._last: int | None = None

    def run_due(self) -> int:
        """:meth:`run_once` if it did not run within :data:`EVERY_S` (the sender's periodic job)."""
        now = self.service.clock()
        if self._last is not None and now - self._last < EVERY_S:
            return 0
        return self.run_once()

    def run_once(self) -> int:
        """Handle every due occurrence of every active series; returns how many were handled."""
        service = self.service
        d = service.dispatcher
        rules = d.rules
        now = service.clock()
        self._last = now
        tz = ZoneInfo(rules.timezone)
        today = datetime.fromtimestamp(now, tz).date()
        last = datetime.fromtimestamp(now + rules.horizon_s, tz).date()
        handled = 0
        for s in rows.list_series(service.engine, status="active"):
            done = rows.handled_dates(service.engine, s["id"])
            start = max(today, date.fromisoformat(s["first_date"]))
            end = min(last, date.fromisoformat(s["until"]))
            day = start
            while day <= end:
                key = day.isoformat()
                if WEEKDAYS[day.weekday()] in s["weekdays"] and key not in done:
                    hh, mm = (int(x) for x in s["pickup_time"].split(":"))
                    pickup = int(datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz).timestamp())
                    if now < pickup <= now + rules.horizon_s:
                        self.book_occurrence(s, key, pickup)
                        handled += 1
                day += timedelta(days=1)
        for s in rows.list_series(service.engine, status="active"):
            if date.fromisoformat(s["until"]) < today:
                rows.set_status(service.engine, s["id"], "ended")
        return handled

    def book_occurrence(self, s: dict, day: str, pickup: int) -> None:
        from ride_pool.api.riders import make_quote
        from ride_pool.api.schemas import PhoneQuoteIn, QuoteIn

        service = self.service
        d = service.dispatcher
        now = service.clock()
        if s["skip_holidays"] and is_holiday(date.fromisoformat(day), d.rules.holiday_state):
            rows.record_occurrence(service.engine, s["id"], day, "holiday", now)
            return
        phone = s["channel"] == "phone"
        key = f"series:{s['id']}:{day}"
        # booked already (a crash between the booking and its record): record it, book nothing
        done = service.store.find_booking(idempotency_scope(None if phone else s["rider_id"], s["channel"]), key)
        if done is not None:
            rows.record_occurrence(service.engine, s["id"], day, "booked", now, booking_id=done.booking_id)
            return
        body = {"origin": s["origin"], "destination": s["destination"], "passengers": s["passengers"],
                "wheelchairs": s["wheelchairs"], "pickup_after": service.times.iso(pickup).isoformat()}
        # a rider's series without needs or fare group of its own takes the rider's profile at each
        # booking (a Rollator noted in "Mein Konto" travels on every ride of the series)
        if s["needs"] or phone:
            body["needs"] = s["needs"]
        if s["fare_group"] or phone:
            body["fare_group"] = s["fare_group"]
        if phone:
            body.update(caller_name=s["caller_name"], caller_phone=s["caller_phone"], sms_consent=s["sms_consent"])
        cause, reason = None, ""
        try:
            quote = make_quote(service, (PhoneQuoteIn if phone else QuoteIn).model_validate(body),
                               s["rider_id"] if not phone else None, s["channel"], series_id=s["id"])
            offer = next((o for o in quote.offers
                          if int(o.pickup_earliest.timestamp()) <= pickup <= int(o.pickup_latest.timestamp())), None)
            if offer is None:
                cause = quote.reason.code if quote.reason else "no_vehicle_at_that_time"
                reason = quote.reason.message if quote.reason else "kein Fahrzeug zu dieser Zeit frei"
            else:
                booking = d.book(offer.offer_id, idempotency_key=key,
                                 rider_id=None if phone else s["rider_id"], channel=s["channel"])
                rows.record_occurrence(service.engine, s["id"], day, "booked", now, booking_id=booking.booking_id)
                return
        except DispatchError as exc:
            cause, reason = exc.code, str(exc.message)
        except HTTPException as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            cause, reason = detail.get("code", "invalid_request"), str(detail.get("message", ""))
        except Exception as exc:   # an occurrence must never stop the others
            log.exception("series %s on %s could not be booked", s["id"], day)
            cause, reason = "error", type(exc).__name__
        rows.record_occurrence(service.engine, s["id"], day, "refused", now, cause=cause)
        origin = s["origin"].get("name") or ""
        d.series_refused(s["id"], None if phone else s["rider_id"], day, s["pickup_time"], cause, reason, origin,
                         phone=s["caller_phone"], sms_consent=s["sms_consent"])
