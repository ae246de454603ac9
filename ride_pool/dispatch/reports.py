"""What drivers (and simulated vehicles) report: departures, arrivals, positions, and riders
boarding, not showing up and being dropped off. Each report moves the vehicle's anchor, changes
the plan and is committed as events with the driver as their cause.

Reports are checked against the clock and the booking (:class:`ImplausibleReport`, 422
``implausible_report``, the message names the rule). A report may carry the time it happened
(``at``, e.g. queued on a phone that was offline; default: now) and is refused when

- it lies more than :data:`CLOCK_SKEW_S` (2 min) in the future of the service's clock, or before
  its shift could start (the planned start less :data:`~ride_pool.dispatch.fleet.EARLY_START_S`);
- ``arrived`` at a pickup lies more than the rule ``early_arrival_s`` (default 30 min) before the
  pickup window opens (drivers are often a little early and wait; hours early is a wrong booking
  or a wrong clock);
- ``boarded`` lies more than the rule ``early_boarding_s`` (default 10 min) before the window
  opens: a rider who is there early may get in a little early, but the window is what was
  promised and planned;
- ``dropped_off`` lies before the boarding plus the rule ``min_ride_fraction`` (default 30 %) of
  the direct driving time (nobody gets there in a third of the time of the fastest route);
- ``no_show`` lies before the pickup window opens (the rider may still come).

A plausible past time is kept: the events carry it, the plan continues from the later of it and now.
"""

from __future__ import annotations

import dataclasses
import math

from ride_pool.dispatch.area import Places
from ride_pool.dispatch.bookings import BookingDesk
from ride_pool.dispatch.domain import Booking, BookingStatus, Event, EventKind, Step, StepKind, VehicleShift
from ride_pool.dispatch.errors import DispatchError, DispatchInputError, NotFound
from ride_pool.dispatch.fleet import EARLY_START_S
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.locations import UNREACHABLE_S
from ride_pool.dispatch.plans import Leg, LivePlans
from ride_pool.dispatch.store import Change
from ride_pool.messages import Clock, Day, Message, msg

#: what a driver can report about a booking on their route (the driver API's path names)
STEP_REPORTS = ("arrived", "boarded", "no_show", "dropped_off")
#: how far a report's time may lie after the service's clock (the phone's clock may be ahead)
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
        now = self.journal.now()
        if at is None:
            return now
        at = int(at)
        local = self.plans.rules.local
        if at > now + CLOCK_SKEW_S:
            raise ImplausibleReport(msg("report_in_future", at=Clock(local(at), seconds=True),
                                        now=Clock(local(now), seconds=True)))
        if at < shift.start - EARLY_START_S:
            raise ImplausibleReport(msg("report_before_shift", at=Day(local(at)), shift_id=shift.shift_id,
                                        start=Clock(local(shift.start - EARLY_START_S))))
        return at

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
                        at: int | None = None) -> list[Step]:
        """The vehicle reached ``node`` (default: its first planned step) ``at`` (default now);
        returns the steps due there."""
        plans = self.plans
        shift = plans.shift(shift_id)
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
        events.append(Event(now, EventKind.VEHICLE_ARRIVED, "driver", vehicle_id=shift.vehicle_id,
                            shift_id=shift_id, data={"node": int(node), "bookings": [s.booking_id for s in due]}))
        new = dataclasses.replace(shift, anchor_node=int(node), anchor_time=now)
        self.journal.commit(Change(shifts=[new], events=events))
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
        now = self._report_time(shift, at)
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
        event = Event(now, EventKind.RIDER_BOARDED, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                      shift_id=shift.shift_id, rider_id=booking.rider_id, data={
                          "wait_s": now - booking.requested_time,
                          "late_s": max(0, now - booking.pickup_latest),
                          "passengers": booking.passengers, "wheelchairs": booking.wheelchairs})
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

    def rider_no_show(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        booking = self.bookings.booking(booking_id)
        if booking.status is not BookingStatus.CONFIRMED:
            raise DispatchError(msg("cannot_no_show", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        shift = self.plans.shift_of_booking(booking, shift_id)
        now = self._report_time(shift, at)
        if now < booking.pickup_earliest:
            raise DispatchError(msg("no_show_too_early", booking_id=booking_id,
                                    at=Clock(self.plans.rules.local(booking.pickup_earliest))))
        event = Event(now, EventKind.RIDER_NO_SHOW, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                      shift_id=shift.shift_id, rider_id=booking.rider_id)
        return self.bookings.finish(booking, BookingStatus.NO_SHOW, event, no_show=True,
                                    shift_changes={"anchor_node": booking.origin.node, "anchor_time": now},
                                    before=[self._drive_ending_at(shift, booking.origin.node, now)], completed_at=now)

    def rider_dropped_off(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        booking = self.bookings.booking(booking_id)
        if booking.status is not BookingStatus.ONBOARD:
            raise DispatchError(msg("cannot_drop_off", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        shift = self.plans.shift_of_booking(booking, shift_id)
        now = self._report_time(shift, at)
        if booking.boarded_at is not None:
            shortest = math.ceil(self.plans.rules.min_ride_fraction * booking.direct_s)
            self._check_not_before(now, booking.boarded_at + shortest, msg("report_dropoff"),
                                   msg("boarded_at_direct", at=Clock(self.plans.rules.local(booking.boarded_at),
                                                                     seconds=True),
                                       minutes=max(1, round(booking.direct_s / 60))))
        rs = self.plans.request_slot_of[booking_id]
        service_end = now + int(self.plans.tables.dropoff_service[rs])
        event = Event(now, EventKind.RIDER_DROPPED_OFF, "driver", booking_id=booking_id,
                      vehicle_id=shift.vehicle_id, shift_id=shift.shift_id, rider_id=booking.rider_id, data={
                          "ride_s": now - (booking.boarded_at or now), "direct_s": booking.direct_s,
                          "direct_m": booking.direct_m, "passengers": booking.passengers,
                          "late_s": max(0, now - booking.dropoff_latest)})
        return self.bookings.finish(booking, BookingStatus.COMPLETED, event, completed_at=now,
                                    shift_changes={"anchor_node": booking.destination.node,
                                                   "anchor_time": service_end},
                                    before=[self._drive_ending_at(shift, booking.destination.node, now)])

    def step_report(self, shift_id: int, booking_id: str, report: str, at: int | None = None) -> VehicleShift:
        """A driver's report on a booking of their route: ``arrived`` (at its next stop),
        ``boarded``, ``no_show`` or ``dropped_off``, ``at`` the time it happened (default now;
        see the module docstring for what is refused as implausible)."""
        if report not in STEP_REPORTS:
            raise DispatchInputError(msg("unknown_report", report=repr(report), known=", ".join(STEP_REPORTS)))
        shift = self.plans.shift(shift_id)
        step = next((s for s in shift.route if s.booking_id == booking_id), None)
        if step is None:
            raise NotFound(msg("not_on_route", booking_id=booking_id),
                           code="not_on_route")
        if report == "arrived":
            when = self._report_time(shift, at)
            if step.kind is StepKind.PICKUP:
                booking = self.plans.bookings[booking_id]
                self._check_not_before(when, booking.pickup_earliest - self.plans.rules.early_arrival_s,
                                       msg("report_arriving"),
                                       msg("window_opens_at",
                                           at=Clock(self.plans.rules.local(booking.pickup_earliest))))
            self.vehicle_arrived(shift_id, self.plans.step_place(step).node, at=when)
        elif report == "boarded":
            self.rider_boarded(booking_id, shift_id, at)
        elif report == "no_show":
            self.rider_no_show(booking_id, shift_id, at)
        else:
            self.rider_dropped_off(booking_id, shift_id, at)
        return shift
