"""Vehicle snapshots: what the insertion search needs to know of each vehicle, as flat arrays.

Like MATSim DRT's ``VehicleEntry``: where and when the vehicle is next free, who is on board, its
planned stops with their time bounds, the load after each stop and the planned (earliest) service
begin. The insertion kernel reads only these arrays, never the problem's objects or ORM rows.

Each planned stop carries, for a drop-off whose pickup is planned on the same route, the position
of that pickup (``pickup_position``) and the ride limit ``begin(drop) - begin(pick) <= ride_limit``;
drop-offs of riders already on board have their ride limit folded into ``latest``.

:func:`snapshot_kernel` (numba) builds the arrays of a whole fleet in one call;
:func:`_route_arrays` / :func:`build_snapshots_reference` is its plain-Python twin, compared in
``tests/test_darp_snapshot.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from routing.darp.problem import OPEN_END, DarpProblem, Plan
from routing.darp.schedule import least_schedule


@dataclass(frozen=True, eq=False)
class VehicleSnapshots:
    """Flat arrays for all vehicles; stops of vehicle ``v`` are ``stop_ptr[v]:stop_ptr[v+1]``."""

    start_location: np.ndarray      # int32 [V]
    start_time: np.ndarray          # int64 [V] earliest departure from the start location
    start_seats: np.ndarray         # int32 [V] seats taken on departure (riders on board)
    start_wheelchairs: np.ndarray   # int32 [V]
    seat_capacity: np.ndarray       # int32 [V]
    wheelchair_capacity: np.ndarray  # int32 [V]
    end_location: np.ndarray        # int32 [V] (OPEN_END = -1: the route ends at its last stop)
    end_latest: np.ndarray          # int64 [V]
    start_departure: np.ndarray     # int64 [V] planned departure from the start (duration counts from it)
    max_duration: np.ndarray        # int64 [V]
    end_time: np.ndarray            # int64 [V] planned arrival at the end (or leaving the last stop)
    stop_ptr: np.ndarray            # int64 [V+1]
    stop_code: np.ndarray           # int64 [S] problem stop code (2r pickup, 2r+1 drop-off)
    stop_location: np.ndarray       # int32 [S]
    earliest: np.ndarray            # int64 [S] earliest service begin
    latest: np.ndarray              # int64 [S] latest service begin
    service: np.ndarray             # int64 [S]
    seats_change: np.ndarray        # int32 [S] +seats at a pickup, -seats at a drop-off
    wheelchairs_change: np.ndarray  # int32 [S]
    persons: np.ndarray             # int32 [S] riders boarding or leaving (weights delay cost)
    pickup_position: np.ndarray     # int32 [S] position (within the route) of this drop-off's pickup, or -1
    ride_limit: np.ndarray          # int64 [S] pickup service + max ride time (drop-offs with a pickup position)
    begin: np.ndarray               # int64 [S] planned service begin (least feasible schedule)
    seats_after: np.ndarray         # int32 [S]
    wheelchairs_after: np.ndarray   # int32 [S]
    suffix_ok: np.ndarray           # bool  [S] this stop and all after it keep every bound as planned

    @property
    def vehicle_count(self) -> int:
        return len(self.start_location)

    def route(self, v: int) -> np.ndarray:
        return self.stop_code[self.stop_ptr[v]:self.stop_ptr[v + 1]]


def _route_arrays(problem: DarpProblem, v: int, route, tt: np.ndarray):
    """Stop arrays and the least feasible schedule of one vehicle's route."""
    n = len(route)
    code = np.asarray(route, dtype=np.int64)
    r = code // 2
    is_drop = (code % 2).astype(bool)
    loc = np.where(is_drop, problem.dropoff_location[r], problem.pickup_location[r]).astype(np.int32)
    earliest = np.where(is_drop, problem.dropoff_earliest[r], problem.pickup_earliest[r]).astype(np.int64)
    latest = np.where(is_drop, problem.dropoff_latest[r], problem.pickup_latest[r]).astype(np.int64)
    service = np.where(is_drop, problem.dropoff_service[r], problem.pickup_service[r]).astype(np.int64)
    sign = np.where(is_drop, -1, 1)
    seats_change = (sign * problem.seats[r]).astype(np.int32)
    chairs_change = (sign * problem.wheelchairs[r]).astype(np.int32)
    persons = (problem.seats[r] + problem.wheelchairs[r]).astype(np.int32)
    pickup_position = np.full(n, -1, dtype=np.int32)
    ride_limit = np.zeros(n, dtype=np.int64)
    where = {}
    for pos in range(n):
        c = int(code[pos])
        if c % 2 == 0:
            where[c // 2] = pos
        else:
            req = c // 2
            if problem.onboard_vehicle[req] >= 0 and req not in where:
                bound = int(problem.pickup_begin[req] + problem.pickup_service[req] + problem.max_ride_time[req])
                latest[pos] = min(int(latest[pos]), bound)
            elif req in where:
                pickup_position[pos] = where[req]
                ride_limit[pos] = int(problem.pickup_service[req] + problem.max_ride_time[req])
    start_seats = int(problem.seats[problem.onboard_vehicle == v].sum())
    start_chairs = int(problem.wheelchairs[problem.onboard_vehicle == v].sum())
    seats_after = (start_seats + np.cumsum(seats_change)).astype(np.int32)
    chairs_after = (start_chairs + np.cumsum(chairs_change)).astype(np.int32)

    begin = np.empty(n, dtype=np.int64)
    end_loc = int(problem.end_location[v])
    feasible, departure, end_time = least_schedule(
        tt, n, loc, earliest.copy(), latest, service, pickup_position, ride_limit,
        int(problem.start_location[v]), int(problem.start_time[v]), end_loc, int(problem.end_latest[v]),
        int(problem.max_duration[v]), begin)
    if feasible:
        suffix_ok = np.ones(n, dtype=bool)
    else:
        # A plan that already breaks a bound (e.g. a vehicle held up in traffic): keep the
        # earliest-start times and mark which stops still keep theirs, so insertions are judged
        # only on what they change and never make a kept stop late.
        ok = np.empty(n, dtype=bool)
        t = int(problem.start_time[v])
        prev = int(problem.start_location[v])
        for pos in range(n):
            b = max(t + int(tt[prev, loc[pos]]), int(earliest[pos]))
            begin[pos] = b
            good = b <= latest[pos]
            if pickup_position[pos] >= 0:
                good = good and b - begin[pickup_position[pos]] <= ride_limit[pos]
            ok[pos] = good
            t = b + int(service[pos])
            prev = int(loc[pos])
        departure = int(problem.start_time[v])
        end_time = t + (int(tt[prev, end_loc]) if end_loc != OPEN_END else 0)
        end_ok = end_time <= problem.end_latest[v] and end_time - departure <= problem.max_duration[v]
        suffix_ok = np.empty(n, dtype=bool)
        running = bool(end_ok)
        for pos in range(n - 1, -1, -1):
            running = running and bool(ok[pos])
            suffix_ok[pos] = running
    return dict(
        stop_code=code, stop_location=loc, earliest=earliest, latest=latest, service=service,
        seats_change=seats_change, wheelchairs_change=chairs_change, persons=persons,
        pickup_position=pickup_position, ride_limit=ride_limit, begin=begin,
        seats_after=seats_after, wheelchairs_after=chairs_after, suffix_ok=suffix_ok,
    ), start_seats, start_chairs, int(end_time), int(departure)


@njit(cache=True)
def stops_and_schedule(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                       dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service,
                       onboard_vehicle, pickup_begin, start_loc, start_t, end_loc, end_lat, max_dur, code, n,
                       s_load, w_load, loc, earliest, latest, service, seats_change, chairs_change, persons,
                       pickup_position, ride_limit, begin, seats_after, chairs_after, suffix_ok, lower):
    """The stop arrays (positions ``0..n-1`` of the outputs) of one vehicle's route ``code[:n]``,
    starting with ``s_load`` seats and ``w_load`` wheelchairs taken, and its least feasible schedule
    (:func:`~routing.darp.schedule.least_schedule`): returns (feasible, departure, end time).
    Capacities are not checked here (``seats_after``, ``chairs_after`` hold the loads)."""
    for pos in range(n):
        c = code[pos]
        r = c // 2
        pickup_position[pos] = -1
        ride_limit[pos] = 0
        suffix_ok[pos] = True
        if c % 2 == 1:
            loc[pos] = dropoff_location[r]
            earliest[pos] = dropoff_earliest[r]
            latest[pos] = dropoff_latest[r]
            service[pos] = dropoff_service[r]
            seats_change[pos] = -seats[r]
            chairs_change[pos] = -wheelchairs[r]
            pick = -1
            for p in range(pos - 1, -1, -1):       # the last pickup of this request before here
                if code[p] == c - 1:
                    pick = p
                    break
            if onboard_vehicle[r] >= 0 and pick < 0:
                bound = pickup_begin[r] + pickup_service[r] + max_ride_time[r]
                if bound < latest[pos]:
                    latest[pos] = bound
            elif pick >= 0:
                pickup_position[pos] = pick
                ride_limit[pos] = pickup_service[r] + max_ride_time[r]
        else:
            loc[pos] = pickup_location[r]
            earliest[pos] = pickup_earliest[r]
            latest[pos] = pickup_latest[r]
            service[pos] = pickup_service[r]
            seats_change[pos] = seats[r]
            chairs_change[pos] = wheelchairs[r]
        persons[pos] = seats[r] + wheelchairs[r]
        s_load += seats_change[pos]
        w_load += chairs_change[pos]
        seats_after[pos] = s_load
        chairs_after[pos] = w_load
        lower[pos] = earliest[pos]
    return least_schedule(tt, n, loc, lower, latest, service, pickup_position, ride_limit, start_loc, start_t,
                          end_loc, end_lat, max_dur, begin)


@njit(cache=True)
def _vehicle_snapshot(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                      dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service,
                      onboard_vehicle, pickup_begin, start_loc, start_t, end_loc, end_lat, max_dur, code, n,
                      s_load, w_load, loc, earliest, latest, service, seats_change, chairs_change, persons,
                      pickup_position, ride_limit, begin, seats_after, chairs_after, suffix_ok, lower):
    """:func:`stops_and_schedule`, and where the route already breaks a bound, its earliest-start
    times with the stops that keep theirs marked in ``suffix_ok``; returns (end time, departure)."""
    feasible, departure, end_time = stops_and_schedule(
        tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
        dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
        pickup_begin, start_loc, start_t, end_loc, end_lat, max_dur, code, n, s_load, w_load, loc, earliest,
        latest, service, seats_change, chairs_change, persons, pickup_position, ride_limit, begin, seats_after,
        chairs_after, suffix_ok, lower)
    if not feasible:
        # the plan already breaks a bound: earliest-start times, and which stops keep theirs
        t = start_t
        prev = start_loc
        for pos in range(n):
            b = max(t + tt[prev, loc[pos]], earliest[pos])
            begin[pos] = b
            good = b <= latest[pos]
            if pickup_position[pos] >= 0:
                good = good and b - begin[pickup_position[pos]] <= ride_limit[pos]
            suffix_ok[pos] = good
            t = b + service[pos]
            prev = loc[pos]
        departure = start_t
        end_time = t + (tt[prev, end_loc] if end_loc != OPEN_END else 0)
        running = end_time <= end_lat and end_time - departure <= max_dur
        for pos in range(n - 1, -1, -1):
            running = running and suffix_ok[pos]
            suffix_ok[pos] = running
    return end_time, departure


@njit(cache=True)
def _onboard_loads(n_vehicles, onboard_vehicle, seats, wheelchairs):
    """Seats and wheelchairs taken on each vehicle by the riders on board."""
    onboard_seats = np.zeros(n_vehicles, dtype=np.int64)
    onboard_chairs = np.zeros(n_vehicles, dtype=np.int64)
    for r in range(len(onboard_vehicle)):
        o = onboard_vehicle[r]
        if 0 <= o < n_vehicles:
            onboard_seats[o] += seats[r]
            onboard_chairs[o] += wheelchairs[r]
    return onboard_seats, onboard_chairs


@njit(cache=True)
def snapshot_kernel(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                    dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service,
                    onboard_vehicle, pickup_begin, start_location, start_time, end_location, end_latest,
                    max_duration, vehicles, route_ptr, codes):
    """:func:`_route_arrays` of every vehicle in ``vehicles`` at once (numba).

    ``codes[route_ptr[k]:route_ptr[k+1]]`` is the route of vehicle ``vehicles[k]``. Returns the
    per-stop arrays over all those routes, one after the other (code, location, earliest, latest,
    service, seats change, wheelchairs change, persons, pickup position, ride limit, begin, seats
    after, wheelchairs after, suffix ok), then per listed vehicle the seats and wheelchairs taken
    at the start, the planned end time and the planned departure.
    """
    onboard_seats, onboard_chairs = _onboard_loads(len(start_location), onboard_vehicle, seats, wheelchairs)
    S = len(codes)
    K = len(vehicles)
    loc = np.empty(S, dtype=np.int32)
    earliest = np.empty(S, dtype=np.int64)
    latest = np.empty(S, dtype=np.int64)
    service = np.empty(S, dtype=np.int64)
    seats_change = np.empty(S, dtype=np.int32)
    chairs_change = np.empty(S, dtype=np.int32)
    persons = np.empty(S, dtype=np.int32)
    pickup_position = np.full(S, -1, dtype=np.int32)
    ride_limit = np.zeros(S, dtype=np.int64)
    begin = np.empty(S, dtype=np.int64)
    seats_after = np.empty(S, dtype=np.int32)
    chairs_after = np.empty(S, dtype=np.int32)
    suffix_ok = np.ones(S, dtype=np.bool_)
    start_seats = np.empty(K, dtype=np.int32)
    start_chairs = np.empty(K, dtype=np.int32)
    end_times = np.empty(K, dtype=np.int64)
    departures = np.empty(K, dtype=np.int64)
    lower = np.empty(S, dtype=np.int64)
    for k in range(K):
        v = vehicles[k]
        a = route_ptr[k]
        b = route_ptr[k + 1]
        start_seats[k] = onboard_seats[v]
        start_chairs[k] = onboard_chairs[v]
        end_times[k], departures[k] = _vehicle_snapshot(
            tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
            dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
            pickup_begin, start_location[v], start_time[v], end_location[v], end_latest[v], max_duration[v],
            codes[a:b], b - a, onboard_seats[v], onboard_chairs[v], loc[a:b], earliest[a:b], latest[a:b],
            service[a:b], seats_change[a:b], chairs_change[a:b], persons[a:b], pickup_position[a:b],
            ride_limit[a:b], begin[a:b], seats_after[a:b], chairs_after[a:b], suffix_ok[a:b], lower[a:b])
    return (codes, loc, earliest, latest, service, seats_change, chairs_change, persons, pickup_position,
            ride_limit, begin, seats_after, chairs_after, suffix_ok, start_seats, start_chairs, end_times,
            departures)


_STOP_FIELDS = ("stop_code", "stop_location", "earliest", "latest", "service", "seats_change",
                "wheelchairs_change", "persons", "pickup_position", "ride_limit", "begin", "seats_after",
                "wheelchairs_after", "suffix_ok")


def route_snapshots(problem, routes, vehicles=None) -> dict:
    """Snapshot arrays of some vehicles' routes (numba, :func:`snapshot_kernel`).

    ``problem``: a :class:`DarpProblem` or any object with its request and vehicle arrays (the
    live dispatcher's tables); ``routes``: one stop-code sequence per entry of ``vehicles``
    (default: every vehicle, ``routes`` then holds all of them). Returns the per-stop arrays
    (:data:`_STOP_FIELDS`, the routes one after the other), ``stop_ptr`` and per listed vehicle
    ``start_seats``, ``start_wheelchairs``, ``end_time`` and ``start_departure``.
    """
    if vehicles is None:
        vehicles = np.arange(len(problem.start_location), dtype=np.int64)
    else:
        vehicles = np.asarray(vehicles, dtype=np.int64)
    lengths = [len(r) for r in routes]
    ptr = np.fromiter(itertools.accumulate(lengths, initial=0), dtype=np.int64, count=len(lengths) + 1)
    codes = np.fromiter(itertools.chain.from_iterable(routes), dtype=np.int64, count=int(ptr[-1]))
    return flat_snapshots(problem, vehicles, ptr, codes)


def flat_snapshots(problem, vehicles: np.ndarray, ptr: np.ndarray, codes: np.ndarray) -> dict:
    """:func:`route_snapshots` with the routes given flat: vehicle ``vehicles[k]`` has the stop
    codes ``codes[ptr[k]:ptr[k+1]]`` (int64 arrays)."""
    out = snapshot_kernel(
        problem.travel_time, problem.pickup_location, problem.dropoff_location, problem.seats, problem.wheelchairs,
        problem.pickup_earliest, problem.pickup_latest, problem.dropoff_earliest, problem.dropoff_latest,
        problem.max_ride_time, problem.pickup_service, problem.dropoff_service, problem.onboard_vehicle,
        problem.pickup_begin, problem.start_location, problem.start_time, problem.end_location,
        problem.end_latest, problem.max_duration, vehicles, ptr, codes)
    arrays = dict(zip(_STOP_FIELDS, out[:14]))
    arrays.update(stop_ptr=ptr, start_seats=out[14], start_wheelchairs=out[15], end_time=out[16],
                  start_departure=out[17])
    return arrays


def build_snapshots(problem: DarpProblem, plan: Plan) -> VehicleSnapshots:
    """Snapshot every vehicle of ``plan`` (each stop at its least feasible service begin).

    One numba call for the whole fleet (:func:`snapshot_kernel`; its plain-Python twin is
    :func:`build_snapshots_reference`).
    """
    return fleet_snapshots(problem, route_snapshots(problem, plan.routes))


def fleet_snapshots(problem, a: dict) -> VehicleSnapshots:
    """The :class:`VehicleSnapshots` of the arrays :func:`route_snapshots` gave for every vehicle."""
    return VehicleSnapshots(     # copies: a snapshot never changes with the problem's arrays
        start_location=np.array(problem.start_location, dtype=np.int32),
        start_time=np.array(problem.start_time, dtype=np.int64),
        seat_capacity=np.array(problem.seat_capacity, dtype=np.int32),
        wheelchair_capacity=np.array(problem.wheelchair_capacity, dtype=np.int32),
        end_location=np.array(problem.end_location, dtype=np.int32),
        end_latest=np.array(problem.end_latest, dtype=np.int64),
        max_duration=np.array(problem.max_duration, dtype=np.int64),
        **a,
    )


def build_snapshots_reference(problem: DarpProblem, plan: Plan) -> VehicleSnapshots:
    """Plain-Python twin of :func:`build_snapshots` (one :func:`_route_arrays` per vehicle)."""
    tt = problem.travel_time
    V = problem.vehicle_count
    cache = [_route_arrays(problem, v, plan.routes[v], tt) for v in range(V)]
    per_route = [c[0] for c in cache]
    stop_ptr = np.zeros(V + 1, dtype=np.int64)
    stop_ptr[1:] = np.cumsum([len(a["stop_code"]) for a in per_route])
    stops = {key: np.concatenate([a[key] for a in per_route]) for key in per_route[0]}
    return VehicleSnapshots(
        start_location=problem.start_location.astype(np.int32),
        start_time=problem.start_time.astype(np.int64),
        start_seats=np.array([c[1] for c in cache], dtype=np.int32),
        start_wheelchairs=np.array([c[2] for c in cache], dtype=np.int32),
        seat_capacity=problem.seat_capacity.astype(np.int32),
        wheelchair_capacity=problem.wheelchair_capacity.astype(np.int32),
        end_location=problem.end_location.astype(np.int32),
        end_latest=problem.end_latest.astype(np.int64),
        start_departure=np.array([c[4] for c in cache], dtype=np.int64),
        max_duration=problem.max_duration.astype(np.int64),
        end_time=np.array([c[3] for c in cache], dtype=np.int64),
        stop_ptr=stop_ptr,
        **stops,
    )
