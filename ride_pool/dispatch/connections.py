"""Connections to trains and buses: a trip booked to meet a scheduled departure or arrival, and
the guard that keeps it.

* :meth:`Connections.resolve` turns a request's :class:`~ride_pool.dispatch.domain.Connection`
  (stop, trip, direction) into times from the timetable (:class:`ride_pool.gtfs.timetable.Timetable`,
  set with :meth:`set_timetable`): ``to_departure`` becomes an arrive-by at the departure minus the
  rule ``transfer_buffer_s`` (default 5 min), ``from_arrival`` a pickup-after at the arrival plus
  it. The quote then promises a drop-off bound at or before that limit (or a pickup window after
  it), which the insertion search, the booking and the background optimiser keep as a hard
  constraint like every promise.
* :meth:`Connections.check` (after vehicle reports, re-plans, and every optimiser round) looks at
  each open booking with a connection: if the live plan's earliest possible drop-off is after the
  limit (a vehicle running late, a booking no vehicle holds) it first tries to re-plan the booking
  into any vehicle (:class:`~ride_pool.dispatch.domain.EventKind` ``connection_replanned``), and
  otherwise raises ``connection_at_risk`` with its cause (``vehicle_late``, ``not_planned``): the
  operator's alert and, with the booking's ``rider_id``, the rider's message.
* When the rider is set down (or boards, for a pickup after an arrival) it records
  ``connection_kept`` or ``connection_missed``; the KPIs count them.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

from ride_pool.dispatch.domain import BookingStatus, Connection, Event, EventKind, TripRequest
from ride_pool.dispatch.errors import DispatchInputError
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.optimiser import moved_change
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change
from ride_pool.messages import msg
from routing.darp.insertion import best_insertions, insert_into_route

if TYPE_CHECKING:
    from ride_pool.gtfs.timetable import Timetable

TO_DEPARTURE, FROM_ARRIVAL = "to_departure", "from_arrival"
DIRECTIONS = (TO_DEPARTURE, FROM_ARRIVAL)
#: a booking already alerted is alerted again only when it got this much later
REALERT_S = 600


class Connections:
    """Resolves connection requests and guards the connections of open bookings."""

    def __init__(self, plans: LivePlans, journal: Journal):
        self.plans = plans
        self.journal = journal
        self.timetable: Timetable | None = None
        #: booking id -> how late the last alert said it would be (None: not planned)
        self.alerted: dict[str, int | None] = {}
        #: open bookings with a connection to a departure (the ones the guard watches)
        self.watched: set[str] = set()
        self._checking = False

    def watch_open_bookings(self) -> None:
        """Watch every open booking with a connection (after a restart)."""
        self.watched = {b.booking_id for b in self.plans.bookings.values()
                        if b.connection is not None and b.status.active}

    def state(self, booking_id: str) -> tuple[bool, int | None]:
        """Whether the guard raised an alert for the booking that still stands, and how late the
        drop-off was then expected (seconds; None: no vehicle holds it)."""
        if booking_id not in self.alerted:
            return False, None
        return True, self.alerted[booking_id]

    # ------------------------------------------------------------------ quotes
    def resolve(self, request: TripRequest) -> TripRequest:
        """``request`` with its connection's times filled in and its arrive-by or pickup-after set."""
        c = request.connection
        if c is None:
            return request
        if c.direction not in DIRECTIONS:
            raise DispatchInputError(msg("connection_direction", got=repr(c.direction),
                                         known=", ".join(DIRECTIONS)), code="connection_invalid")
        tt = self.timetable
        if tt is None or not tt.has_trip(c.trip_id):
            raise DispatchInputError(msg("connection_unknown_trip", trip_id=c.trip_id), code="connection_unknown")
        now = self.journal.now()
        day = None
        if c.service_date:
            try:
                day = date.fromisoformat(c.service_date)
            except ValueError:
                raise DispatchInputError(msg("connection_date", got=repr(c.service_date)),
                                         code="connection_invalid") from None
        call = tt.call(c.trip_id, c.stop_id, day, not_before=now)
        if call is None:
            raise DispatchInputError(msg("connection_not_at_stop", trip_id=c.trip_id, stop_id=c.stop_id),
                                     code="connection_unknown")
        buffer = int(self.plans.rules.transfer_buffer_s)
        if c.direction == TO_DEPARTURE:
            scheduled, limit = call.departure, call.departure - buffer
            if limit <= now:
                raise DispatchInputError(msg("connection_too_soon", route=call.route_name), code="connection_too_soon")
            changes = {"arrive_by": limit, "pickup_after": None}
        else:
            scheduled, limit = call.arrival, call.arrival + buffer
            changes = {"pickup_after": max(limit, now), "arrive_by": None}
        resolved = Connection(stop_id=c.stop_id, trip_id=c.trip_id, direction=c.direction,
                              service_date=call.service_date, scheduled=int(scheduled), limit=int(limit),
                              route_name=call.route_name, headsign=call.headsign, stop_name=call.stop_name)
        return dataclasses.replace(request, connection=resolved, **changes)

    # ------------------------------------------------------------------ the guard
    def expected_dropoff(self, booking_id: str, now: int) -> int | None:
        """The earliest drop-off the live plan allows now (None: no vehicle holds the booking)."""
        plans = self.plans
        rs = plans.request_slot_of.get(booking_id)
        b = plans.bookings.get(booking_id)
        if rs is None or b is None:
            return None
        v = plans.vehicle_of(b)
        if v is None:
            return None
        codes = plans.routes[v]
        begin = plans.schedule(v, now=now)["begin"]
        return int(begin[codes.index(2 * rs + 1)])

    def check(self) -> list[Event]:
        """Check every open connection booking against the live plan; the events raised."""
        if self._checking:
            return []
        self._checking = True
        try:
            return self._check()
        finally:
            self._checking = False

    def _check(self) -> list[Event]:
        plans, now = self.plans, self.journal.now()
        raised: list[Event] = []
        for booking_id in sorted(self.watched):
            b = plans.bookings.get(booking_id)
            c = b.connection if b is not None else None
            if c is None or not b.status.active:
                self.watched.discard(booking_id)
                continue
            if c.direction != TO_DEPARTURE or c.limit is None:
                continue
            expected = self.expected_dropoff(b.booking_id, now)
            if expected is not None and expected <= c.limit:
                self.alerted.pop(b.booking_id, None)
                continue
            cause = "not_planned" if expected is None else "vehicle_late"
            if b.status is BookingStatus.CONFIRMED and not b.pinned:     # a pin is the operator's call
                moved = self._replan(b.booking_id, now, cause, expected)
                if moved is not None:
                    raised.append(moved)
                    self.alerted.pop(b.booking_id, None)
                    continue
            late = None if expected is None else expected - c.limit
            before = self.alerted.get(b.booking_id, ...)
            if before is not ... and (late is None or before is None or late < before + REALERT_S):
                continue        # alerted already, and it did not get much worse since
            self.alerted[b.booking_id] = late
            event = Event(now, EventKind.CONNECTION_AT_RISK, cause, booking_id=b.booking_id,
                          vehicle_id=b.vehicle_id, rider_id=b.rider_id, data={
                              **c.to_dict(), "expected_dropoff": expected,
                              "late_s": late})
            self.journal.commit(Change(events=[event]))
            self.journal.publish([event])
            raised.append(event)
        return raised

    def _replan(self, booking_id: str, now: int, cause: str, expected: int | None) -> Event | None:
        """Move the booking to the vehicle that can still keep its window (its own too, at other
        positions); the re-plan event, or None when no vehicle can."""
        plans = self.plans
        b = plans.bookings[booking_id]
        rs = plans.request_slot_of.get(booking_id)
        old_v = plans.vehicle_of(b) if rs is not None else None
        old_codes = list(plans.routes[old_v]) if old_v is not None else None
        if old_v is not None:
            plans.set_route(old_v, [code for code in old_codes if code // 2 != rs])
        new = plans.new_request(b, b.origin, b.destination, b.seats, b.wheelchairs)
        ins = best_insertions(plans.snapshots(now), new, plans.locations.matrix, plans.locations.matrix,
                              delay_weight=plans.rules.delay_weight)
        v = ins.best_vehicle
        if v < 0:
            if old_v is not None:
                plans.set_route(old_v, old_codes)
            return None
        if rs is None:
            rs = plans.tables.alloc()
            plans.tables.fill_request(rs, new)
            plans.bind(booking_id, rs)
        codes = insert_into_route(plans.routes[v], rs, int(ins.pickup_position[v]), int(ins.dropoff_position[v]))
        shift = plans.shift_at(v)
        shifts = [dataclasses.replace(shift, route=plans.steps(codes))]
        if old_v is not None and old_v != v:
            shifts.append(dataclasses.replace(plans.shift_at(old_v), route=plans.steps(plans.routes[old_v])))
        moved = dataclasses.replace(b, vehicle_id=shift.vehicle_id)
        event = Event(now, EventKind.CONNECTION_REPLANNED, cause, booking_id=booking_id, vehicle_id=shift.vehicle_id,
                      shift_id=shift.shift_id, rider_id=b.rider_id, data={
                          **b.connection.to_dict(), "expected_dropoff_before": expected,
                          "vehicle_before": b.vehicle_id})
        events = [event]
        if moved.vehicle_id != b.vehicle_id:       # the rider sees the other vehicle (issue 15: every change visible)
            events.append(moved_change(now, b, moved, plans.shift_at(old_v).shift_id if old_v is not None else None,
                                       shift.shift_id, cause="connection"))
        try:
            self.journal.commit(Change(bookings=[moved], shifts=shifts, events=events))
        except Exception:
            if old_v is not None:
                plans.set_route(old_v, old_codes)
            raise
        plans.bookings[booking_id] = moved
        plans.set_route(v, codes)
        self.journal.publish(events)
        return event

    # ------------------------------------------------------------------ kept or missed
    def on_event(self, event: Event) -> None:
        """Listener: a drop-off (or boarding after an arrival) settles a connection; reports and
        re-plans start a check."""
        kind = event.kind
        if kind is EventKind.BOOKING_CONFIRMED and event.booking_id and "connection" in event.data:
            self.watched.add(event.booking_id)
        elif kind in (EventKind.BOOKING_CANCELLED, EventKind.RIDER_NO_SHOW) and event.booking_id:
            self.watched.discard(event.booking_id)
        if kind in (EventKind.RIDER_DROPPED_OFF, EventKind.RIDER_BOARDED) and event.booking_id:
            b = self.plans.bookings.get(event.booking_id)
            c = b.connection if b is not None else None
            if c is None or c.limit is None:
                return
            if kind is EventKind.RIDER_DROPPED_OFF and c.direction == TO_DEPARTURE:
                kept = event.time <= c.limit
            elif kind is EventKind.RIDER_BOARDED and c.direction == FROM_ARRIVAL:
                kept = True
            else:
                return
            self.alerted.pop(b.booking_id, None)
            self.watched.discard(b.booking_id)
            settled = Event(event.time, EventKind.CONNECTION_KEPT if kept else EventKind.CONNECTION_MISSED,
                            "dropped_off" if kind is EventKind.RIDER_DROPPED_OFF else "boarded",
                            booking_id=b.booking_id, vehicle_id=b.vehicle_id, rider_id=b.rider_id,
                            data={**c.to_dict(), "at": event.time, "late_s": max(0, event.time - c.limit)
                                  if c.direction == TO_DEPARTURE else 0})
            self.journal.commit(Change(events=[settled]))
            self.journal.publish([settled])
        elif kind in (EventKind.VEHICLE_LOCATION, EventKind.VEHICLE_ARRIVED, EventKind.PLAN_REOPTIMISED,
                      EventKind.SHIFT_STARTED, EventKind.SHIFT_BROKE_DOWN, EventKind.SHIFT_CHANGED,
                      EventKind.BOOKING_CHANGED) and not self._checking:
            if self.watched:
                self.check()
