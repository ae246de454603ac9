"""The dispatcher of one service area: the one door through which the API and the simulator
change anything.

A thin facade over the dispatcher's parts: it holds the lock (one operation at a time), the
injected clock and the store (through :class:`~ride_pool.dispatch.journal.Journal`: every change
is committed, with its named cause, *before* it becomes visible, then published to listeners) and
hands each call to the part whose job it is:

- :mod:`.area` - the service area and places; :mod:`.plans` - the live plans;
- :mod:`.admission` - request validation and rider rules; :mod:`.quotes` - offers;
- :mod:`.bookings` - booking (with idempotency), cancelling; :mod:`.reports` - driver reports;
- :mod:`.fleet` - shifts and drivers; :mod:`.route_steps` - what a vehicle does next;
- :mod:`.optimiser` - background re-optimisation; :mod:`.recovery` - restore after a restart.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from typing import Callable, ContextManager

from ride_pool.dispatch import access, notices, recovery, route_steps
from ride_pool.dispatch.access import StopDirectory, StopPoint
from ride_pool.dispatch.admission import RiderLedger
from ride_pool.dispatch.area import Places, area_of
from ride_pool.dispatch.bookings import BookingDesk, LookupNeeded
from ride_pool.dispatch.connections import Connections
from ride_pool.dispatch.control_room import BreakdownResult, ControlRoom
from ride_pool.dispatch.domain import (
    Booking,
    Event,
    EventKind,
    NoticeKind,
    Place,
    Step,
    TripRequest,
    VehicleShift,
    anonymised_place,
    report_hash,
)
from ride_pool.dispatch.errors import (  # noqa: F401  (the errors callers catch, importable from here)
    BookingRefused,
    DispatchError,
    DispatchInputError,
    IdempotencyKeyReused,
    NotFound,
    OutsideServiceArea,
)
from ride_pool.dispatch.fleet import Fleet
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.optimiser import Optimiser
from ride_pool.dispatch.plans import LivePlans, LiveProblem
from ride_pool.dispatch.quotes import Quote, QuoteDesk
from ride_pool.dispatch.replays import Recorder, ReportReplays
from ride_pool.dispatch.reports import DriverReports
from ride_pool.dispatch.route_steps import PlannedStep, RouteStep
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.dispatch.store import AreaSettings, Change, InMemoryStore, Store, StoredState
from routing.geo import haversine_m
from routing.travel_times import TravelTimes

#: ``set_area(polygon=KEEP)``: leave the service area as it is
KEEP = object()


def _new_id() -> str:
    return uuid.uuid4().hex


class Dispatcher:
    """Dispatcher of one service area (thread-safe: one lock around every operation)."""

    def __init__(self, travel_times: TravelTimes, *, rules: ServiceRules | None = None, store: Store | None = None,
                 clock: Callable[[], int], new_id: Callable[[], str] | None = None,
                 service_area: list | dict | None = None, name: str = "default", location_capacity: int = 256,
                 lock: ContextManager | None = None):
        """``lock``: what every operation holds (a ``threading.RLock`` unless given, e.g. one that
        times waits for a benchmark); it must be reentrant."""
        self.tt = travel_times
        self.name = name
        self.journal = Journal(store if store is not None else InMemoryStore(), clock)
        self.plans = LivePlans(travel_times, rules or ServiceRules(), clock, name=name,
                               location_capacity=location_capacity)
        # a stored area was checked when it was set (or predates the checks: repaired, not refused)
        self.places = Places(travel_times, area_of(service_area, checked=False))
        self.riders = RiderLedger()
        new_id = new_id or _new_id
        self._lock = lock if lock is not None else threading.RLock()
        self._quotes = QuoteDesk(self.plans, self.journal, self.riders, new_id)
        #: the service's stops, for points served at the nearest stop (see :meth:`set_stops`)
        self.stops = StopDirectory(float(travel_times.network.node_lat.mean()))
        self._quotes.serve = self._serve_access
        self._bookings = BookingDesk(self.plans, self.journal, self.riders, new_id)
        self._reports = DriverReports(self.plans, self.journal, self.places, self._bookings)
        self._fleet = Fleet(self.plans, self.journal)
        self._optimiser = Optimiser(self.plans, self.journal, self._lock)
        self._replays = ReportReplays()
        #: connections to trains and buses: resolved in quotes, guarded in the live plan
        self.connections = Connections(self.plans, self.journal)
        self.journal.subscribe(self.connections.on_event)
        self._optimiser.after_round.append(self.check_connections)
        self._room = ControlRoom(self.plans, self.journal)

    # ------------------------------------------------------------------ what callers read
    @property
    def store(self) -> Store:
        return self.journal.store

    @property
    def clock(self) -> Callable[[], int]:
        return self.journal.clock

    @property
    def rules(self) -> ServiceRules:
        """The service rules in force (change them with :meth:`set_area`)."""
        return self.plans.rules

    @property
    def shifts(self) -> dict[int, VehicleShift]:
        return self.plans.shifts

    @property
    def bookings(self) -> dict[str, Booking]:
        return self.plans.bookings

    @property
    def offers(self):
        return self.plans.offers

    @property
    def no_shows(self) -> dict[int, int]:
        return self.riders.no_shows

    @property
    def locations(self):
        return self.plans.locations

    @property
    def version(self) -> int:
        """Bumped by every plan change."""
        return self.plans.version

    @property
    def service_area(self):
        """The :class:`~ride_pool.dispatch.area.ServiceArea` (None: everywhere near a road); a new
        object after every change, so callers may cache places per area."""
        return self.places.area

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every committed event; returns an unsubscribe function."""
        return self.journal.subscribe(callback)

    # ------------------------------------------------------------------ places and area
    def place(self, lat: float, lon: float, name: str = "", stop_id: int | None = None) -> Place:
        """A pickup/drop-off place at a coordinate (snapped to the nearest road node, in the area)."""
        return self.places.place(lat, lon, name, stop_id)

    def set_stops(self, stops: list[StopPoint], version: object = None) -> None:
        """The stops points that are not served at the door are taken to (the service's stop
        table; ``version`` tells callers whether they changed since)."""
        self.stops.replace(stops, version)

    def _serve_access(self, request: TripRequest):
        plans = self.plans
        net = self.tt.network

        def walk_road_m(a: int, b: int) -> int:
            return min(plans.distance_m(a, b), plans.distance_m(b, a))

        def straight_m(lat: float, lon: float, node: int) -> float:
            return float(haversine_m(lon, lat, float(net.node_lon[node]), float(net.node_lat[node])))

        def usable(stop: StopPoint) -> bool:
            area = self.places.area
            return area is None or area.contains(stop.lon, stop.lat)

        return access.serve(request, plans.rules, self.stops, self.places.place_at_node, walk_road_m, straight_m,
                            usable)

    def place_at_node(self, node: int, name: str = "", stop_id: int | None = None) -> Place:
        return self.places.place_at_node(node, name, stop_id)

    def service_area_polygon(self) -> list | dict | None:
        area = self.places.area
        return None if area is None else area.points

    def set_area(self, *, rules: ServiceRules | None = None, polygon=KEEP, cause: str = "operator") -> None:
        """Change the service rules and/or the service-area polygon (None: the whole network),
        committed with a ``service_area_changed`` event."""
        with self._lock:
            area = self.places.area if polygon is KEEP else area_of(polygon)
            rules = rules if rules is not None else self.plans.rules
            points = None if area is None else area.points
            event = Event(self.journal.now(), EventKind.SERVICE_AREA_CHANGED, cause,
                          data={"rules": rules.to_dict(), "polygon": points})
            self.journal.commit(Change(area=AreaSettings(rules=rules.to_dict(), polygon=points), events=[event]))
            self.places.area, self.plans.rules = area, rules
            self.journal.publish([event])

    def set_service_area(self, polygon) -> None:
        """Limit pickups and drop-offs to a polygon (list of ``[lon, lat]`` or GeoJSON Polygon)."""
        self.set_area(polygon=polygon)

    def travel_time_s(self, from_node: int, to_node: int) -> int:
        with self._lock:
            return self.plans.travel_time_s(from_node, to_node)

    def distance_m(self, from_node: int, to_node: int) -> int:
        """Length in metres of the fastest path (0 when there is none)."""
        with self._lock:
            return self.plans.distance_m(from_node, to_node)

    # ------------------------------------------------------------------ fleet
    def add_shift(self, shift_id: int, vehicle_id: int, label: str, seats: int, wheelchair_places: int,
                  start: int, end: int, depot: Place, driver_id: int | None = None, *,
                  break_earliest: int | None = None, break_latest: int | None = None,
                  break_s: int = 0, break_place: Place | None = None) -> VehicleShift:
        """Put a vehicle shift into service (it can take bookings for its hours right away), with
        a planned break of ``break_s`` seconds beginning within [``break_earliest``, ``break_latest``]."""
        with self._lock:
            return self._fleet.add_shift(shift_id, vehicle_id, label, seats, wheelchair_places, start, end, depot,
                                         driver_id, break_earliest=break_earliest, break_latest=break_latest,
                                         break_s=break_s, break_place=break_place)

    def check_break(self, start: int, end: int, earliest: int | None, latest: int | None, break_s: int) -> None:
        """A break fits a shift ``start``-``end`` (else 422 ``invalid_break``)."""
        self._fleet.check_break(start, end, earliest, latest, break_s)

    def shift(self, shift_id: int) -> VehicleShift:
        return self.plans.shift(shift_id)

    def start_shift(self, shift_id: int, driver_id: int | None = None, at: int | None = None) -> VehicleShift:
        with self._lock:
            return self._fleet.start_shift(shift_id, driver_id, at)

    def start_for_driver(self, driver_id: int, *, shift_id: int | None = None, vehicle_id: int | None = None,
                         as_operator: bool = False) -> VehicleShift:
        """A driver starts a shift (see :meth:`Fleet.start_for_driver` for who may start which)."""
        with self._lock:
            return self._fleet.start_for_driver(driver_id, shift_id=shift_id, vehicle_id=vehicle_id,
                                                as_operator=as_operator)

    def end_shift(self, shift_id: int, cause: str = "driver", at: int | None = None) -> VehicleShift:
        """End a shift (``at`` the reported time, default now); refused while it still has planned
        stops."""
        with self._lock:
            return self._fleet.end_shift(shift_id, cause, at)

    def shifts_for_driver(self, driver_id: int) -> list[VehicleShift]:
        with self._lock:
            return self._fleet.shifts_for_driver(driver_id)

    def driver_shift(self, driver_id: int) -> VehicleShift:
        """The shift the driver is driving now (:class:`NotFound` ``no_shift`` if none)."""
        with self._lock:
            return self._fleet.driver_shift(driver_id)

    def driver_of_booking(self, booking_id: str) -> int | None:
        """The driver of the shift planned to serve the active booking ``booking_id`` (None when it
        is not planned on a shift, or that shift has no driver)."""
        with self._lock:
            booking = self.plans.bookings.get(booking_id)
            v = None if booking is None else self.plans.vehicle_of(booking)
            return None if v is None else self.plans.shift_at(v).driver_id

    def changeable_shift(self, shift_id: int) -> VehicleShift:
        """The shift if an operator may still change it (open, not started; else why not)."""
        with self._lock:
            return self._fleet.changeable_shift(shift_id)

    def assign_driver(self, shift_id: int, driver_id: int | None, cause: str = "operator") -> VehicleShift:
        """Plan another driver (None: nobody) for a shift that has not started."""
        with self._lock:
            return self._fleet.assign_driver(shift_id, driver_id, cause)

    def check_shift_times(self, vehicle_id: int, label: str, start: int, end: int) -> None:
        """A new shift of the vehicle may run ``start``-``end`` (else the rule it breaks)."""
        with self._lock:
            self._fleet.check_shift_times(vehicle_id, label, start, end)

    def check_new_times(self, shift_id: int, start: int, end: int) -> VehicleShift:
        """The shift if it may move to ``start``-``end`` (else the rule it breaks)."""
        with self._lock:
            return self._fleet.check_new_times(shift_id, start, end)

    # ------------------------------------------------------------------ riders
    def quote(self, request: TripRequest) -> Quote:
        """Offers (binding pickup windows) for ``request``, or the reason there is none."""
        with self._lock:
            return self._quotes.quote(self.connections.resolve(request))

    def set_timetable(self, timetable) -> None:
        """The scheduled lines' timetable (:class:`ride_pool.gtfs.timetable.Timetable`, or None)
        that connection requests are resolved against."""
        with self._lock:
            self.connections.timetable = timetable

    def check_connections(self) -> list[Event]:
        """Check every open connection against the live plan: re-plan or raise alerts
        (:meth:`Connections.check`)."""
        with self._lock:
            return self.connections.check()

    def decline(self, offer_id: str, cause: str = "rider") -> None:
        """The rider does not take an offer (recorded for the KPIs)."""
        with self._lock:
            self._quotes.decline(offer_id, cause)

    def book(self, offer_id: str, *, idempotency_key: str | None = None, rider_id: int | None = None,
             channel: str | None = None, rider_confirmed: bool | None = None) -> Booking:
        """Confirm an offer (see :meth:`BookingDesk.book`: ownership, idempotency, and the limits
        of accounts that are not confirmed, ``rider_confirmed`` None: as when quoted)."""
        return self.book_with_eta(offer_id, idempotency_key=idempotency_key, rider_id=rider_id,
                                  channel=channel, rider_confirmed=rider_confirmed, eta=False)[0]

    def book_with_eta(self, offer_id: str, *, idempotency_key: str | None = None, rider_id: int | None = None,
                      channel: str | None = None, rider_confirmed: bool | None = None,
                      eta: bool = True) -> tuple[Booking, dict]:
        """:meth:`book`, and the booking's :meth:`eta` from the same plan (one hold of the lock)."""
        with self._lock:
            try:
                booking = self._bookings.book(offer_id, idempotency_key=idempotency_key, rider_id=rider_id,
                                              channel=channel, rider_confirmed=rider_confirmed)
                return booking, self._eta_of(booking) if eta else {}
            except LookupNeeded as need:
                pending = need
        stored = self._bookings.stored_booking(pending.scope, pending.key)   # a database read: not under the lock
        with self._lock:
            booking = self._bookings.after_lookup(pending, stored, offer_id, rider_id=rider_id, channel=channel,
                                                  rider_confirmed=rider_confirmed)
            return booking, self._eta_of(booking) if eta else {}

    def _eta_of(self, booking: Booking) -> dict:
        return route_steps.eta(self.plans, booking.booking_id, self.journal.now())

    def booking(self, booking_id: str) -> Booking:
        return self._bookings.booking(booking_id)

    def idempotency_keys(self) -> dict[tuple[str, str], str]:
        """(idempotency scope, key) -> booking id of the bookings made or restored since the start."""
        with self._lock:
            return dict(self._bookings.idempotent)

    def cancel(self, booking_id: str, cause: str = "rider") -> Booking:
        """Cancel a confirmed booking (not once the rider is on board)."""
        with self._lock:
            return self._bookings.cancel(booking_id, cause)

    def active_bookings(self) -> list[Booking]:
        """Every open booking (confirmed or on board), by pickup window."""
        with self._lock:
            return sorted((b for b in self.plans.bookings.values() if b.status.active),
                          key=lambda b: b.pickup_earliest)

    def all_shifts(self) -> list[VehicleShift]:
        """Every shift the dispatcher knows (ended ones too), by id."""
        with self._lock:
            return sorted(self.plans.shifts.values(), key=lambda s: s.shift_id)

    def active_bookings_of(self, rider_id: int) -> list[Booking]:
        with self._lock:
            return [self.plans.bookings[b] for b in self.riders.active_bookings(rider_id)]

    # ------------------------------------------------------------------ vehicles and drivers
    def vehicle_departed(self, shift_id: int) -> None:
        with self._lock:
            self._reports.vehicle_departed(shift_id)

    def vehicle_arrived(self, shift_id: int, node: int | None = None, purpose: str = "service",
                        at: int | None = None) -> list[Step]:
        with self._lock:
            return self._reports.vehicle_arrived(shift_id, node, purpose, at)

    def vehicle_moved(self, shift_id: int, node: int, purpose: str = "reposition") -> None:
        with self._lock:
            self._reports.vehicle_moved(shift_id, node, purpose)

    def vehicle_location(self, shift_id: int, lat: float, lon: float) -> VehicleShift:
        with self._lock:
            return self._reports.vehicle_location(shift_id, lat, lon)

    def rider_boarded(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        with self._lock:
            return self._reports.rider_boarded(booking_id, shift_id, at)

    def rider_no_show(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        with self._lock:
            return self._reports.rider_no_show(booking_id, shift_id, at)

    def rider_dropped_off(self, booking_id: str, shift_id: int | None = None, at: int | None = None) -> Booking:
        with self._lock:
            return self._reports.rider_dropped_off(booking_id, shift_id, at)

    def step_report(self, shift_id: int, booking_id: str, report: str, at: int | None = None) -> VehicleShift:
        """A driver's report (arrived, boarded, no_show, dropped_off) on a booking of their route,
        ``at`` the time it happened (default now); implausible reports are refused
        (:mod:`.reports` says which)."""
        with self._lock:
            return self._reports.step_report(shift_id, booking_id, report, at)

    def break_started(self, shift_id: int, at: int | None = None) -> VehicleShift:
        with self._lock:
            return self._reports.break_started(shift_id, at)

    def break_ended(self, shift_id: int, at: int | None = None) -> VehicleShift:
        with self._lock:
            return self._reports.break_ended(shift_id, at)

    # ------------------------------------------------------------------ driver reports with replay
    def driver_report(self, driver_id: int, report: str, *, booking_id: str | None = None,
                      shift_id: int | None = None, vehicle_id: int | None = None, at: int | None = None,
                      key: str | None = None, as_operator: bool = False) -> tuple[dict, bool]:
        """A report from a driver's phone, sent once or again (see :mod:`.replays`): ``report`` is
        a booking report (``arrived``, ``boarded``, ``no_show``, ``dropped_off`` about
        ``booking_id``), ``shift_start`` (``shift_id`` or ``vehicle_id``), ``shift_end``,
        ``break_start`` or ``break_end`` (of the driver's running shift); ``at`` the time it
        happened (default now), ``key`` its ``Idempotency-Key``.

        Returns the answer (the shift after the report and ``report``: what, the reported and the
        received time; epoch seconds) and whether it is the first answer of an earlier request
        with the same key."""
        target = (f"booking:{booking_id}" if booking_id is not None else f"shift:{shift_id}" if shift_id is not None
                  else f"vehicle:{vehicle_id}" if vehicle_id is not None else "running shift")
        request_hash = report_hash(report, target)
        stored = None
        if key is not None:
            with self._lock:
                known = self._replays.remembered(driver_id, key)
            if known is None:
                find = getattr(self.store, "find_report", None)
                stored = find(driver_id, key) if find is not None else None   # a database read: not under the lock
        with self._lock:
            if key is not None:
                record = self._replays.remembered(driver_id, key) or stored
                if record is not None:
                    self._replays.remember(record)
                    self._replays.check(record, request_hash, report)
                    return record.answer, True
            recorder = Recorder(driver_id, key, request_hash, report, target, self.journal.now())
            with self.journal.recording(recorder):
                self._apply_report(driver_id, report, booking_id, shift_id, vehicle_id, at, as_operator)
            if recorder.record is not None:
                self._replays.remember(recorder.record)
            if recorder.answer is None:     # nothing was committed (never expected): the shift as it is
                mine = [s for s in self.plans.shifts.values() if s.driver_id == driver_id]
                shift = max(mine, key=lambda s: (not s.ended, s.started_at or s.start))
                return recorder.answer_of(shift, self.journal.now()), False
            return recorder.answer, False

    def _apply_report(self, driver_id: int, report: str, booking_id: str | None, shift_id: int | None,
                      vehicle_id: int | None, at: int | None, as_operator: bool) -> None:
        if report == "shift_start":
            self._fleet.start_for_driver(driver_id, shift_id=shift_id, vehicle_id=vehicle_id,
                                         as_operator=as_operator, at=at)
            return
        if report == "shift_end":
            self._fleet.end_for_driver(driver_id, at)
            return
        shift = self._fleet.driver_shift(driver_id)
        if report == "break_start":
            self._reports.break_started(shift.shift_id, at)
        elif report == "break_end":
            self._reports.break_ended(shift.shift_id, at)
        else:
            self._reports.step_report(shift.shift_id, booking_id, report, at)

    def report_view(self, driver_id: int) -> dict:
        """What the driver's page reconciles with: the running shift's bookings (on the route, or
        finished on this shift) with what the server applied of each, and the server's time."""
        from ride_pool.dispatch.report_times import booking_state

        with self._lock:
            shift = self._fleet.driver_shift(driver_id)
            since = shift.started_at if shift.started_at is not None else shift.start
            states = {}
            for step in shift.route:
                b = self.plans.bookings.get(step.booking_id)
                if b is not None:
                    states[b.booking_id] = booking_state(self.plans, b)
            for b in self.plans.bookings.values():
                if b.booking_id not in states and b.vehicle_id == shift.vehicle_id and not b.status.active \
                        and (b.completed_at or b.cancelled_at or 0) >= since:
                    states[b.booking_id] = booking_state(self.plans, b)
            return {"shift": shift, "bookings": states, "server_time": self.journal.now(),
                    "no_show_from": {bid: self._reports.no_show_possible_from(self.plans.bookings[bid])
                                     for bid, st in states.items() if st["status"] == "confirmed"}}

    # ------------------------------------------------------------------ views
    def planned_schedule(self, shift_id: int, limit: int | None = None) -> list[PlannedStep]:
        """The shift's planned steps with planned times (only the first ``limit`` when given)."""
        with self._lock:
            return route_steps.planned_schedule(self.plans, shift_id, self.journal.now(), limit)

    def route_steps(self, shift_id: int, limit: int | None = None) -> list[RouteStep]:
        """The shift's route grouped by stop (what the driver sees; the first ``limit`` when given)."""
        with self._lock:
            return route_steps.route_steps(self.plans, shift_id, self.journal.now(), limit)

    def eta(self, booking_id: str) -> dict:
        """Planned pickup and drop-off times of an active booking, and its vehicle."""
        with self._lock:
            self._bookings.booking(booking_id)
            return route_steps.eta(self.plans, booking_id, self.journal.now())

    def live_problem(self, now: int | None = None) -> LiveProblem | None:
        """The live plan as a dial-a-ride problem (to check or benchmark it); None if empty."""
        with self._lock:
            return self.plans.live_problem(self.journal.now() if now is None else now)

    def unplanned_bookings(self) -> list[str]:
        """Active bookings that no vehicle's route holds."""
        with self._lock:
            return self.plans.unplanned_bookings()

    # ------------------------------------------------------------------ the operator's control room
    def assign_booking(self, booking_id: str, shift_id: int, pin: bool = False,
                       operator_id: int | None = None) -> Booking:
        """Move a booking to shift ``shift_id`` keeping its promised window (see :mod:`.control_room`)."""
        with self._lock:
            return self._room.assign(booking_id, shift_id, pin, operator_id)

    def retime_booking(self, booking_id: str, pickup_after: int | None = None, arrive_by: int | None = None,
                       operator_id: int | None = None) -> Booking:
        """Replace a booking's promised window (all or nothing)."""
        with self._lock:
            return self._room.retime(booking_id, pickup_after, arrive_by, operator_id)

    def breakdown(self, shift_id: int, operator_id: int | None = None) -> BreakdownResult:
        """The shift's vehicle broke down: it ends now, its riders are re-planned or listed."""
        with self._lock:
            return self._room.breakdown(shift_id, operator_id)

    def resize_shift(self, shift_id: int, start: int | None = None, end: int | None = None,
                     operator_id: int | None = None) -> VehicleShift:
        """Extend or shorten a running shift or one with booked stops."""
        with self._lock:
            return self._room.resize(shift_id, start, end, operator_id)

    def vehicle_state(self, shift_id: int) -> str:
        """not_started, driving, waiting, on_break or ended (see :func:`.control_room.vehicle_state`)."""
        from ride_pool.dispatch.control_room import vehicle_state

        with self._lock:
            return vehicle_state(self.plans, self.plans.shift(shift_id), self.journal.now())

    # ------------------------------------------------------------------ rider notifications (issue 17)
    def enable_notices(self) -> None:
        """Write rider notifications to the outbox with every commit (the service; see
        :mod:`~ride_pool.dispatch.notices`). The simulator leaves them off."""
        if getattr(self, "_pickup_told", None) is None:
            self._pickup_told: set[tuple[str, str]] = set()
            self.journal.add_deriver(notices.Notices(self.plans.bookings.get))

    def set_vehicle_features(self, vehicle_id: int, features) -> None:
        """The features of a vehicle for mobility needs (:mod:`~ride_pool.dispatch.needs`)."""
        with self._lock:
            self.plans.vehicle_features[int(vehicle_id)] = sorted(set(features))

    def series_refused(self, series_id: int, rider_id: int | None, date: str, pickup_time: str, cause: str,
                       reason: str, origin: str = "", phone: str | None = None, sms_consent: bool = False) -> None:
        """A ride of a series could not be booked: the event (and its outbox message) is committed."""
        with self._lock:
            now = self.journal.now()
            event = Event(now, EventKind.SERIES_OCCURRENCE_REFUSED, cause, rider_id=rider_id, data={
                "series_id": int(series_id), "date": date, "pickup_time": pickup_time, "reason": reason,
                "origin": origin})
            change = Change(events=[event])
            if phone and sms_consent:   # a phone caller's series: the number goes to the message only
                message = notices.Notices.message(NoticeKind.SERIES_REFUSED, event, None)
                change.outbox.append(dataclasses.replace(message, phone=phone))
            self.journal.commit(change)
            self.journal.publish([event])

    def check_pickups(self) -> int:
        """The periodic live-plan check: ``pickup_approaching`` (about 10 minutes before the
        planned pickup) and ``pickup_delayed`` (planned after the promised window), once per
        booking, committed with their outbox messages. Returns how many events."""
        with self._lock:
            now = self.journal.now()
            told = getattr(self, "_pickup_told", set())
            # only bookings whose window opens within the next half hour (or opened): the others
            # can be neither about 10 minutes away nor late yet
            soon = [b for b in self.plans.bookings.values() if b.pickup_earliest <= now + notices.WATCH_AHEAD_S]
            events = notices.pickup_watch(soon,
                                          lambda b: route_steps.eta(self.plans, b.booking_id, now), now, told)
            if events:
                self.journal.commit(Change(events=events))
                self.journal.publish(events)
            return len(events)

    # ------------------------------------------------------------------ data protection
    def forget_personal_data(self, booking_ids=(), rider_id: int | None = None) -> int:
        """Drop the phone caller's name and number, and the places that tell where the rider lives
        (:func:`~ride_pool.dispatch.domain.anonymised_place`), from the in-memory copies of the *finished*
        bookings ``booking_ids`` and their offers (and from every offer of ``rider_id``), after the
        store erased them (retention, a deleted account): what the API shows then matches the
        database. Active bookings are never touched (their caller is needed for the ride); no
        event - the data was removed, nothing about the trip changed. Returns how many copies
        changed."""
        ids = set(booking_ids)
        changed = 0
        with self._lock:
            for booking_id in ids:
                b = self.plans.bookings.get(booking_id)
                if b is None or b.status.active:
                    continue
                erased = dataclasses.replace(b, caller_name=None, caller_phone=None, origin=anonymised_place(b.origin),
                                             destination=anonymised_place(b.destination))
                if erased != b:
                    self.plans.bookings[booking_id] = erased
                    changed += 1
            for offer_id, offer in list(self.plans.offers.items()):
                r = offer.request
                if offer.booking_id in ids or (rider_id is not None and r.rider_id == rider_id):
                    request = dataclasses.replace(r, caller_name=None, caller_phone=None,
                                                  origin=anonymised_place(r.origin),
                                                  destination=anonymised_place(r.destination))
                    if request != r:
                        self.plans.offers[offer_id] = dataclasses.replace(offer, request=request)
                        changed += 1
        return changed

    # ------------------------------------------------------------------ re-optimisation and recovery
    def reoptimise(self, time_limit_s: float | None = None, seed: int = 0, use_ortools: bool = True) -> bool:
        """Improve the plans with the optimiser, keeping every promised window; True if applied."""
        return self._optimiser.reoptimise(time_limit_s, seed, use_ortools)

    def start_background(self) -> None:
        """Re-optimise every ``rules.reoptimise_every_s`` seconds in a daemon thread (the service)."""
        self._optimiser.start_background()

    def stop_background(self) -> None:
        self._optimiser.stop_background()

    def restore(self, state: StoredState) -> None:
        """Rebuild the live state from a store after a restart: every confirmed booking comes back
        with its promised window, in its vehicle's planned order."""
        with self._lock:
            recovery.restore(state, self.plans, self.riders, self._bookings, self.journal)
            self.connections.watch_open_bookings()
