"""What drivers (and simulated vehicles) report: departures, arrivals, positions, and riders
boarding, not showing up and being dropped off. Each report moves the vehicle's anchor, changes
the plan and is committed as events with the driver as their cause.

Reports are checked against the clock and the booking. A report may carry the time it happened
(``at``, the API's ``reported_at``, e.g. queued on a phone that was offline; default: now). The
time is refused (:class:`ReportTimeRefused`, 422, the code names the rule) when it lies

- more than the rule ``report_clock_skew_s`` (2 min) after the service's clock (``report_in_future``),
- more than the rule ``report_max_age_s`` (12 h) before it (``report_too_old``),
- before the shift started (its reported start; for shifts started before that was kept, the
  planned start less :data:`~ride_pool.dispatch.fleet.EARLY_START_S`) (``report_before_shift``),
- before the step of the booking's life reported earlier (``report_out_of_order``): arrived at the
  pickup ≤ boarded (or no-show) ≤ arrived at the drop-off ≤ dropped off.

The rules of the booking refuse it as :class:`ImplausibleReport` (422 ``implausible_report``, the
message names the rule) when
- ``arrived`` at a pickup lies more than the rule ``early_arrival_s`` (default 30 min) before the
  pickup window opens (drivers are often a little early and wait; hours early is a wrong booking
  or a wrong clock);
- ``boarded`` lies more than the rule ``early_boarding_s`` (default 10 min) before the window
  opens: a rider who is there early may get in a little early, but the window is what was
  promised and planned;
- ``dropped_off`` lies before the boarding plus the rule ``min_ride_fraction`` (default 30 %) of
  the direct driving time (nobody gets there in a third of the time of the fastest route);
- ``no_show`` lies before the pickup window opens plus the rule ``no_show_wait_s`` (3 min): 409
  ``no_show_too_early`` with ``possible_from``.

A report already applied (the booking's state shows it) is answered 409 ``already_reported`` with
the booking's ``state``, so a phone whose first answer was lost can treat it as done.

A plausible past time is kept: the events carry it (``time``) and the time the server received
the report (``data.received_at``); the plan continues from the later of it and now.
"""

from __future__ import annotations

import dataclasses
import math

from ride_pool.dispatch.area import Places
from ride_pool.dispatch.bookings import BookingDesk
from ride_pool.dispatch.domain import Booking, BookingStatus, Event, EventKind, Step, StepKind, VehicleShift
from ride_pool.dispatch.errors import DispatchError, DispatchInputError, NotFound
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.locations import UNREACHABLE_S
from ride_pool.dispatch.plans import Leg, LivePlans
from ride_pool.dispatch.report_times import (  # noqa: F401  (importable from here)
    AlreadyReported,
    ReportTimeRefused,
    booking_state,
    check_report_time,
    iso_of,
    received,
)
from ride_pool.dispatch.store import Change
from ride_pool.messages import Clock, Message, msg

#: what a driver can report about a booking on their route (the driver API's path names)
STEP_REPORTS = ("arrived", "boarded", "no_show", "dropped_off")
#: how far a report's time may lie after the service's clock by default (the rule
#: ``report_clock_skew_s``; the phone's clock may be ahead)
CLOCK_SKEW_S = 120


class ImplausibleReport(DispatchInputError):
    """A driver's report that cannot be true at its time (the message names the rule)."""

    default_code = "implausible_report"


class DriverReports:
    """Applies the reports of vehicles on their shifts to the live plans."""

    def __init__(self, plans: LivePlans, journal: Journal, places: Places, bookings: BookingDesk):
        self.plans = plans
        self.journal = journal
        self.places = places
        self.bookings = bookings

    # ------------------------------------------------------------------ plausibility
    def _report_time(self, shift: VehicleShift, at: int | None) -> int:
        """When the report happened: ``at`` (now if None), if the clock allows it."""
        return check_report_time(self.plans, shift, at, self.journal.now())

    def _check_order(self, when: int, earlier: int | None, what: Message, step: Message) -> None:
        """``what`` at ``when`` comes after ``step``, reported for ``earlier`` (if it was)."""
        if earlier is not None and when < earlier:
            local = self.plans.rules.local
            raise ReportTimeRefused(msg("report_out_of_order", what=what, at=Clock(local(when), seconds=True),
                                        step=step, earlier=Clock(local(earlier), seconds=True)),
                                    code="report_out_of_order", reported_at=iso_of(self.plans, when),
                                    earlier_step_at=iso_of(self.plans, earlier))

    def _check_not_before(self, when: int, earliest: int, what: Message, why: Message) -> None:
        if when < earliest:
            local = self.plans.rules.local
            raise ImplausibleReport(msg("report_too_soon", what=what, at=Clock(local(when)), why=why,
                                        earliest=Clock(local(earliest))))

    # ------------------------------------------------------------------ driving
    def _drove_event(self, shift: VehicleShift, from_node: int, to_node: int, started: int, now: int,
                     purpose: str) -> Event | None:
        if from_node == to_node:
            return None
        return Event(now, EventKind.VEHICLE_DROVE, purpose, vehicle_id=shift.vehicle_id, shift_id=shift.shift_id,
                     data={"from_node": int(from_node), "to_node": int(to_node),
                           "distance_m": int(self.plans.distance_m(from_node, to_node)),
                           "duration_s": int(max(0, now - started)),
                           "passengers": self.plans.passengers_on_board(shift), "purpose": purpose})

    def _drive_ending_at(self, shift: VehicleShift, node: int, now: int, purpose: str = "service") -> Event | None:
        """The VEHICLE_DROVE event of the drive that brought the vehicle to ``node`` (None if it
        was there already): from where the drive in progress started, else from the anchor."""
        leg = self.plans.legs.get(shift.shift_id)
        if leg is not None:
            from_node, started = leg.from_node, leg.started
        else:
            from_node, started = shift.anchor_node, min(shift.anchor_time, now)
        return self._drove_event(shift, from_node, int(node), started, now, purpose)

    def vehicle_departed(self, shift_id: int) -> None:
        """The vehicle now drives to its first planned step; that step's place becomes its anchor
        (it is committed to that stop) with the expected arrival time.

        Reporting it again on the way changes nothing while the first step stays the same."""
        plans = self.plans
        shift = plans.shift(shift_id)
        if shift.ended:
            raise DispatchError(msg("shift_ended", shift_id=shift_id))
        if not shift.route:
            raise DispatchError(msg("no_stop_to_drive_to", shift_id=shift_id))
        now = self.journal.now()
        target = plans.step_place(shift.route[0]).node
        if shift.anchor_node == target:
            return      # there already, or on the way there
        leg = plans.legs.get(shift_id)
        eta = now + plans.travel_time_s(shift.anchor_node, target)
        new_leg = Leg(leg.from_node, target, leg.started) if leg is not None else Leg(shift.anchor_node, target, now)
        self.journal.commit(Change(shifts=[dataclasses.replace(shift, anchor_node=target, anchor_time=eta)]))
        plans.legs[shift_id] = new_leg
        plans.move_anchor(shift, target, eta)

    def vehicle_arrived(self, shift_id: int, node: int | None = None, purpose: str = "service",
                        at: int | None = None, arrived: list[Booking] | None = None) -> list[Step]:
        """The vehicle reached ``node`` (default: its first planned step) ``at`` (default now);
        returns the steps due there. ``arrived``: the bookings whose arrival (``arrived_at`` or
        ``dropoff_arrived_at`` set) the driver reported, committed with it."""
        plans = self.plans
        shift = plans.shift(shift_id)
        received_at = self.journal.now()
        now = self._report_time(shift, at)
        if node is None:
            if not shift.route:
                raise DispatchError(msg("no_stop_to_arrive_at", shift_id=shift_id))
            node = plans.step_place(shift.route[0]).node
        node = self.places.check_node(node)
        events = []
        drove = self._drive_ending_at(shift, node, now, purpose)
        if drove:
            events.append(drove)
        due = [s for s in shift.route if plans.step_place(s).node == node]
        data = {"node": int(node), "bookings": [s.booking_id for s in due]}
        if at is not None or arrived:
            data = received(data, now, received_at)
        events.append(Event(now, EventKind.VEHICLE_ARRIVED, "driver", vehicle_id=shift.vehicle_id,
                            shift_id=shift_id, data=data))
        new = dataclasses.replace(shift, anchor_node=int(node), anchor_time=now)
        self.journal.commit(Change(shifts=[new], events=events, bookings=list(arrived or [])))
        for b in arrived or []:
            plans.bookings[b.booking_id] = b
        plans.legs.pop(shift_id, None)
        plans.move_anchor(shift, node, now)
        self.journal.publish(events)
        return due

    def vehicle_moved(self, shift_id: int, node: int, purpose: str = "reposition") -> None:
        """An idle vehicle drove to ``node`` (repositioning, return to the depot)."""
        plans = self.plans
        shift = plans.shift(shift_id)
        now = self.journal.now()
        node = self.places.check_node(node)
        events = [e for e in [self._drive_ending_at(shift, node, now, purpose)] if e]
        new = dataclasses.replace(shift, anchor_node=int(node), anchor_time=now)
        self.journal.commit(Change(shifts=[new], events=events))
        plans.legs.pop(shift_id, None)
        plans.move_anchor(shift, node, now)
        self.journal.publish(events)

    def vehicle_location(self, shift_id: int, lat: float, lon: float) -> VehicleShift:
        """A position report from the driver's phone: shown to riders; the plan starts from it.

        While the vehicle drives to a stop it announced (``vehicle_departed``) it stays committed
        to that stop; otherwise the plan starts from the reported place at the time of the report,
        and the drive since the last stop goes on until the vehicle arrives somewhere."""
        plans = self.plans
        shift = plans.shift(shift_id)
        now = self.journal.now()
        place = self.places.reported_place(lat, lon)
        new = dataclasses.replace(shift, lat=float(lat), lon=float(lon), location_time=now)
        leg = plans.legs.get(shift_id)
        moved = (leg is None or not leg.committed) and place.node != shift.anchor_node
        new_leg = None
        if moved:
            new = dataclasses.replace(new, anchor_node=place.node, anchor_time=now)
            if leg is None:
                # it left its anchor at the latest when it could just have driven here since
                left = now - min(plans.travel_time_s(shift.anchor_node, place.node), UNREACHABLE_S)
                new_leg = Leg(shift.anchor_node, place.node, max(min(shift.anchor_time, now), left), committed=False)
            else:
                new_leg = dataclasses.replace(leg, to_node=place.node)
        event = Event(now, EventKind.VEHICLE_LOCATION, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data={"lat": float(lat), "lon": float(lon), "node": place.node})
        self.journal.commit(Change(shifts=[new], events=[event]))
        shift.lat, shift.lon, shift.location_time = float(lat), float(lon), now
        if moved:
            plans.legs[shift_id] = new_leg
            plans.move_anchor(shift, place.node, now)
        self.journal.publish([event])
        return shift

    # ------------------------------------------------------------------ riders
    def rider_boarded(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        plans = self.plans
        booking = self.bookings.booking(booking_id)
        if booking.status is not BookingStatus.CONFIRMED:
            raise DispatchError(msg("cannot_board", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        shift = plans.shift_of_booking(booking, shift_id)
        received_at = self.journal.now()
        now = self._report_time(shift, at)
        self._check_order(now, booking.arrived_at, msg("report_boarding"), msg("step_arrival_at_pickup"))
        self._check_not_before(now, booking.pickup_earliest - plans.rules.early_boarding_s, msg("report_boarding"),
                               msg("window_opens_at", at=Clock(plans.rules.local(booking.pickup_earliest))))
        v = plans.vehicle_slot_of[shift.shift_id]
        rs = plans.request_slot_of[booking_id]
        codes = [c for c in plans.routes[v] if c != 2 * rs]
        steps = [s for s in shift.route if not (s.booking_id == booking_id and s.kind is StepKind.PICKUP)]
        service_end = now + int(plans.tables.pickup_service[rs])
        new_booking = dataclasses.replace(booking, status=BookingStatus.ONBOARD, boarded_at=now)
        new_shift = dataclasses.replace(shift, route=steps, anchor_node=booking.origin.node, anchor_time=service_end)
        drove = self._drive_ending_at(shift, booking.origin.node, now)
        data = {"wait_s": now - booking.requested_time, "late_s": max(0, now - booking.pickup_latest),
                "passengers": booking.passengers, "wheelchairs": booking.wheelchairs}
        event = Event(now, EventKind.RIDER_BOARDED, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                      shift_id=shift.shift_id, rider_id=booking.rider_id, data=received(data, now, received_at))
        events = [drove, event] if drove else [event]
        self.journal.commit(Change(bookings=[new_booking], shifts=[new_shift], events=events))
        plans.bookings[booking_id] = new_booking
        t = plans.tables
        t.onboard_vehicle[rs] = v
        t.pickup_begin[rs] = now
        plans.set_route(v, codes)
        plans.legs.pop(shift.shift_id, None)
        plans.move_anchor(shift, booking.origin.node, service_end)
        self.journal.publish(events)
        return new_booking

    def no_show_possible_from(self, booking: Booking) -> int:
        """From when a no-show of ``booking`` can be reported: the pickup window's start plus the
        rule ``no_show_wait_s`` (the rider was promised the window and is given that long)."""
        return booking.pickup_earliest + self.plans.rules.no_show_wait_s

    def rider_no_show(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        booking = self.bookings.booking(booking_id)
        if booking.status is not BookingStatus.CONFIRMED:
            raise DispatchError(msg("cannot_no_show", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        shift = self.plans.shift_of_booking(booking, shift_id)
        received_at = self.journal.now()
        now = self._report_time(shift, at)
        self._check_order(now, booking.arrived_at, msg("report_no_show"), msg("step_arrival_at_pickup"))
        possible = self.no_show_possible_from(booking)
        if now < possible:
            local = self.plans.rules.local
            window = (msg("pickup_window_not_open", at=Clock(local(booking.pickup_earliest)))
                      if now < booking.pickup_earliest else
                      msg("pickup_window_opened", at=Clock(local(booking.pickup_earliest))))
            raise DispatchError(msg("no_show_too_early", possible=Clock(local(possible)), window=window,
                                    wait=max(1, round(self.plans.rules.no_show_wait_s / 60))),
                                code="no_show_too_early", possible_from=iso_of(self.plans, possible))
        event = Event(now, EventKind.RIDER_NO_SHOW, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                      shift_id=shift.shift_id, rider_id=booking.rider_id, data=received({}, now, received_at))
        return self.bookings.finish(booking, BookingStatus.NO_SHOW, event, no_show=True,
                                    shift_changes={"anchor_node": booking.origin.node, "anchor_time": now},
                                    before=[self._drive_ending_at(shift, booking.origin.node, now)], completed_at=now)

    def rider_dropped_off(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        booking = self.bookings.booking(booking_id)
        if booking.status is not BookingStatus.ONBOARD:
            raise DispatchError(msg("cannot_drop_off", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        shift = self.plans.shift_of_booking(booking, shift_id)
        received_at = self.journal.now()
        now = self._report_time(shift, at)
        self._check_order(now, booking.boarded_at, msg("report_dropoff"), msg("report_boarding"))
        self._check_order(now, booking.dropoff_arrived_at, msg("report_dropoff"), msg("report_arriving_dropoff"))
        if booking.boarded_at is not None:
            shortest = math.ceil(self.plans.rules.min_ride_fraction * booking.direct_s)
            self._check_not_before(now, booking.boarded_at + shortest, msg("report_dropoff"),
                                   msg("boarded_at_direct", at=Clock(self.plans.rules.local(booking.boarded_at),
                                                                     seconds=True),
                                       minutes=max(1, round(booking.direct_s / 60))))
        rs = self.plans.request_slot_of[booking_id]
        service_end = now + int(self.plans.tables.dropoff_service[rs])
        data = {"ride_s": now - (booking.boarded_at or now), "direct_s": booking.direct_s,
                "direct_m": booking.direct_m, "passengers": booking.passengers,
                "late_s": max(0, now - booking.dropoff_latest)}
        event = Event(now, EventKind.RIDER_DROPPED_OFF, "driver", booking_id=booking_id,
                      vehicle_id=shift.vehicle_id, shift_id=shift.shift_id, rider_id=booking.rider_id,
                      data=received(data, now, received_at))
        return self.bookings.finish(booking, BookingStatus.COMPLETED, event, completed_at=now,
                                    shift_changes={"anchor_node": booking.destination.node,
                                                   "anchor_time": service_end},
                                    before=[self._drive_ending_at(shift, booking.destination.node, now)])

    def _already_applied(self, booking: Booking | None, report: str, at: int | None = None) -> None:
        """Refuse a report the booking's state shows applied (409 ``already_reported`` with the
        state), or one that contradicts it. An arrival reported for a time not after the boarding
        is the pickup's (sent late): the boarding implies it."""
        if booking is None:
            return
        status = booking.status
        pickup_arrival_late = status is BookingStatus.ONBOARD and at is not None and \
            booking.boarded_at is not None and int(at) <= booking.boarded_at
        done = {
            "arrived": (status is BookingStatus.CONFIRMED and booking.arrived_at is not None)
            or (status is BookingStatus.ONBOARD and (booking.dropoff_arrived_at is not None or pickup_arrival_late))
            or status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW),
            "boarded": status in (BookingStatus.ONBOARD, BookingStatus.COMPLETED),
            "no_show": status is BookingStatus.NO_SHOW,
            "dropped_off": status is BookingStatus.COMPLETED,
        }[report]
        state = booking_state(self.plans, booking)
        if done:
            raise AlreadyReported(msg("already_reported", report=msg("report_" + report),
                                      booking_id=booking.booking_id, status=msg("status_" + status.value)),
                                  state=state)
        if status is not BookingStatus.CANCELLED and not status.active:
            raise DispatchError(msg("booking_finished", booking_id=booking.booking_id, report=msg("report_" + report),
                                    status=msg("status_" + status.value)), code="booking_finished", state=state)

    def step_report(self, shift_id: int, booking_id: str, report: str, at: int | None = None) -> VehicleShift:
        """A driver's report on a booking of their route: ``arrived`` (at its next stop),
        ``boarded``, ``no_show`` or ``dropped_off``, ``at`` the time it happened (default now;
        see the module docstring for what is refused)."""
        if report not in STEP_REPORTS:
            raise DispatchInputError(msg("unknown_report", report=repr(report), known=", ".join(STEP_REPORTS)))
        plans = self.plans
        shift = plans.shift(shift_id)
        booking = plans.bookings.get(booking_id)
        on_route = next((k for k, s in enumerate(shift.route) if s.booking_id == booking_id), None)
        if booking is None or booking.vehicle_id == shift.vehicle_id or on_route is not None:
            self._already_applied(booking, report, at)
        if on_route is None:
            raise NotFound(msg("not_on_route", booking_id=booking_id),
                           code="not_on_route")
        step = shift.route[on_route]
        if report == "arrived":
            when = self._report_time(shift, at)
            place = plans.step_place(step)
            if step.kind is StepKind.PICKUP:
                self._check_not_before(when, booking.pickup_earliest - plans.rules.early_arrival_s,
                                       msg("report_arriving"),
                                       msg("window_opens_at", at=Clock(plans.rules.local(booking.pickup_earliest))))
            else:
                self._check_order(when, booking.boarded_at, msg("report_arriving_dropoff"), msg("report_boarding"))
            # everybody boarding (leaving) at this stop with this booking: the driver is there for all
            a = b = on_route
            while a > 0 and shift.route[a - 1].kind is step.kind and plans.step_place(shift.route[a - 1]).node \
                    == place.node:
                a -= 1
            while b + 1 < len(shift.route) and shift.route[b + 1].kind is step.kind and \
                    plans.step_place(shift.route[b + 1]).node == place.node:
                b += 1
            field = "arrived_at" if step.kind is StepKind.PICKUP else "dropoff_arrived_at"
            arrived = [dataclasses.replace(bk, **{field: when}) for s in shift.route[a:b + 1]
                       if (bk := plans.bookings[s.booking_id]) is not None and getattr(bk, field) is None]
            self.vehicle_arrived(shift_id, place.node, at=when, arrived=arrived)
        elif report == "boarded":
            self.rider_boarded(booking_id, shift_id, at)
        elif report == "no_show":
            self.rider_no_show(booking_id, shift_id, at)
        else:
            self.rider_dropped_off(booking_id, shift_id, at)
        return shift

    # ------------------------------------------------------------------ breaks
    def _planned_break(self, shift_id: int, reported: str, already: Message) -> VehicleShift:
        """The shift, if it has a planned break whose ``reported`` time (``break_started_at`` or
        ``break_ended_at``) is not set yet; else 409 ``no_break_planned`` or ``already_reported``."""
        shift = self.plans.shift(shift_id)
        if not shift.has_break:
            raise DispatchError(msg("no_break_planned", shift_id=shift_id), code="no_break_planned")
        if getattr(shift, reported) is not None:
            raise AlreadyReported(already, state=self._break_state(shift))
        return shift

    def break_started(self, shift_id: int, at: int | None = None) -> VehicleShift:
        """The driver begins the shift's planned break ``at`` (default now): the break leaves the
        plan and the vehicle is next free where it is, ``break_s`` after the start."""
        plans = self.plans
        shift = self._planned_break(shift_id, "break_started_at", msg("break_started_already", shift_id=shift_id))
        received_at = self.journal.now()
        when = self._report_time(shift, at)
        free_at = when + int(shift.break_s)
        steps = plans.booking_steps(shift)
        new = dataclasses.replace(shift, route=steps, break_started_at=when, anchor_time=max(free_at,
                                                                                            shift.anchor_time))
        event = Event(when, EventKind.BREAK_STARTED, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data=received({"planned_s": int(shift.break_s), "break_earliest": shift.break_earliest,
                                     "break_latest": shift.break_latest}, when, received_at))
        self.journal.commit(Change(shifts=[new], events=[event]))
        plans.drop_break(shift)
        shift.break_started_at = when
        plans.move_anchor(shift, shift.anchor_node, new.anchor_time)
        self.journal.publish([event])
        return shift

    def break_ended(self, shift_id: int, at: int | None = None) -> VehicleShift:
        """The driver ends the break ``at`` (default now): the vehicle is free from then."""
        plans = self.plans
        shift = self._planned_break(shift_id, "break_ended_at", msg("break_ended_already", shift_id=shift_id))
        if shift.break_started_at is None:
            raise DispatchError(msg("break_not_started", shift_id=shift_id), code="break_not_started")
        received_at = self.journal.now()
        when = self._report_time(shift, at)
        self._check_order(when, shift.break_started_at, msg("report_break_end"), msg("report_break_start"))
        new = dataclasses.replace(shift, break_ended_at=when, anchor_time=when)
        event = Event(when, EventKind.BREAK_ENDED, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data=received({"break_s": when - shift.break_started_at, "planned_s": int(shift.break_s)},
                                    when, received_at))
        self.journal.commit(Change(shifts=[new], events=[event]))
        shift.break_ended_at = when
        plans.move_anchor(shift, shift.anchor_node, when)
        self.journal.publish([event])
        return shift

    def _break_state(self, shift: VehicleShift) -> dict:
        return {"shift_id": shift.shift_id, "break_started_at": iso_of(self.plans, shift.break_started_at),
                "break_ended_at": iso_of(self.plans, shift.break_ended_at)}
