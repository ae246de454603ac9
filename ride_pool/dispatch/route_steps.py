"""What a vehicle will do next, with planned times: the shape the driver's route list, the
operator's live view, a rider's ETA and the simulated vehicles all read.

A :class:`PlannedStep` is one booking's pickup or drop-off; a :class:`RouteStep` is what a driver
does at one stop: the consecutive planned steps of the same kind at the same road node (several
riders boarding at the village square), with who boards or leaves and the load afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ride_pool.dispatch.domain import Place, StepKind
from ride_pool.dispatch.plans import LivePlans


@dataclass(frozen=True)
class PlannedStep:
    """One stop of a vehicle's plan with its planned times (epoch seconds)."""

    booking_id: str
    kind: StepKind
    node: int
    place: Place
    arrival: int
    begin: int
    departure: int
    passengers: int
    wheelchairs: int
    seats_after: int
    wheelchairs_after: int
    window_earliest: int
    window_latest: int


@dataclass(frozen=True)
class RouteStep:
    """The planned steps of one kind at one stop, in plan order (``stops[0]`` is served first)."""

    kind: StepKind
    node: int
    place: Place
    stops: tuple[PlannedStep, ...]

    @property
    def booking_ids(self) -> list[str]:
        """Who boards (pickup) or leaves (drop-off) here."""
        return [s.booking_id for s in self.stops]

    @property
    def passengers(self) -> int:
        return sum(s.passengers for s in self.stops)

    @property
    def wheelchairs(self) -> int:
        return sum(s.wheelchairs for s in self.stops)

    @property
    def arrival(self) -> int:
        return self.stops[0].arrival

    @property
    def begin(self) -> int:
        """When serving the first of them begins."""
        return self.stops[0].begin

    @property
    def departure(self) -> int:
        return self.stops[-1].departure

    @property
    def window_earliest(self) -> int:
        """The latest of the windows' starts: the stop is on time from then for everybody."""
        return max(s.window_earliest for s in self.stops)

    @property
    def window_latest(self) -> int:
        return min(s.window_latest for s in self.stops)

    @property
    def seats_after(self) -> int:
        return self.stops[-1].seats_after

    @property
    def wheelchairs_after(self) -> int:
        return self.stops[-1].wheelchairs_after


def planned_schedule(plans: LivePlans, shift_id: int, now: int, limit: int | None = None) -> list[PlannedStep]:
    """The shift's first ``limit`` (default: all) planned steps in order, with arrival, service
    begin and departure times."""
    shift = plans.shift(shift_id)
    v = plans.vehicle_slot_of[shift_id]
    snaps = plans.schedule(v, now=now)
    M = plans.locations.matrix
    prev = int(plans.tables.start_location[v])
    t = int(snaps["start_departure"][0])
    stop_location, begins, service = snaps["stop_location"], snaps["begin"], snaps["service"]
    seats_after, wheelchairs_after = snaps["seats_after"], snaps["wheelchairs_after"]
    assert len(stop_location) == len(shift.route)
    out = []
    for k, step in enumerate(shift.route if limit is None else shift.route[:limit]):
        loc = int(stop_location[k])
        arrival = t + int(M[prev, loc])
        begin = int(begins[k])
        departure = begin + int(service[k])
        if step.kind is StepKind.BREAK:    # the planned break: at its place, within its window
            place = shift.break_place or shift.depot
            out.append(PlannedStep(
                booking_id=step.booking_id, kind=step.kind, node=place.node, place=place,
                arrival=min(arrival, begin), begin=begin, departure=departure, passengers=0, wheelchairs=0,
                seats_after=int(seats_after[k]), wheelchairs_after=int(wheelchairs_after[k]),
                window_earliest=int(shift.break_earliest), window_latest=int(shift.break_latest)))
            prev, t = loc, departure
            continue
        booking = plans.bookings[step.booking_id]
        pickup = step.kind is StepKind.PICKUP
        place = booking.origin if pickup else booking.destination
        out.append(PlannedStep(
            booking_id=step.booking_id, kind=step.kind, node=place.node, place=place, arrival=min(arrival, begin),
            begin=begin, departure=departure, passengers=booking.passengers, wheelchairs=booking.wheelchairs,
            seats_after=int(seats_after[k]), wheelchairs_after=int(wheelchairs_after[k]),
            window_earliest=booking.pickup_earliest,
            window_latest=booking.pickup_latest if pickup else booking.dropoff_latest))
        prev, t = loc, departure
    return out


def route_steps(plans: LivePlans, shift_id: int, now: int, limit: int | None = None) -> list[RouteStep]:
    """The shift's route as :class:`RouteStep` groups (the first ``limit`` of them when given)."""
    route = plans.shift(shift_id).route
    # where the groups end, from the route alone: times are worked out only for the groups wanted
    # (the simulated vehicles ask for the next stop after every event)
    ends: list[int] = []
    k, n, wanted = 0, len(route), len(route) if limit is None else limit
    while k < n and len(ends) < wanted:
        kind, node = route[k].kind, plans.step_place(route[k]).node
        k += 1
        while k < n and kind is not StepKind.BREAK and route[k].kind is kind and \
                plans.step_place(route[k]).node == node:
            k += 1
        ends.append(k)
    if not ends:
        return []
    planned = planned_schedule(plans, shift_id, now, ends[-1])
    starts = [0, *ends[:-1]]
    return [RouteStep(planned[a].kind, planned[a].node, planned[a].place, tuple(planned[a:b]))
            for a, b in zip(starts, ends)]


def eta(plans: LivePlans, booking_id: str, now: int) -> dict:
    """Planned pickup and drop-off begin of an active booking, its vehicle and where it was last
    seen ({} when the booking is not planned on a vehicle)."""
    booking = plans.bookings.get(booking_id)
    if booking is None or not booking.status.active:
        return {}
    v = plans.vehicle_of(booking)
    if v is None:
        return {}
    shift = plans.shift_at(v)
    times = {}
    for step in planned_schedule(plans, shift.shift_id, now):
        if step.booking_id == booking_id:
            times[step.kind.value] = step.begin
    return {"shift_id": shift.shift_id, "vehicle_id": shift.vehicle_id, "pickup": times.get("pickup"),
            "dropoff": times.get("dropoff"), "vehicle_lat": shift.lat, "vehicle_lon": shift.lon,
            "vehicle_location_time": shift.location_time}
