"""Vehicle snapshots: what the insertion search needs to know of each vehicle, as flat arrays.

Like MATSim DRT's ``VehicleEntry``: where and when the vehicle is next free, who is on board, its
planned stops with their time bounds, the load after each stop and the planned (earliest) service
begin. The insertion kernel reads only these arrays, never the problem's objects or ORM rows.

Each planned stop carries, for a drop-off whose pickup is planned on the same route, the position
of that pickup (``pickup_position``) and the ride limit ``begin(drop) - begin(pick) <= ride_limit``;
drop-offs of riders already on board have their ride limit folded into ``latest``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def build_snapshots(problem: DarpProblem, plan: Plan, *, cache: list | None = None,
                    changed=None) -> VehicleSnapshots:
    """Snapshot every vehicle of ``plan`` (each stop at its least feasible service begin).

    With ``cache`` (a list kept by the caller between calls) only the vehicles in ``changed``
    are recomputed; the others are taken from the cache.
    """
    tt = problem.travel_time
    V = problem.vehicle_count
    if cache is None:
        cache = []
    if len(cache) != V:
        cache[:] = [None] * V
        changed = range(V)
    elif changed is None:
        changed = range(V)
    for v in changed:
        cache[v] = _route_arrays(problem, v, plan.routes[v], tt)
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
