"""Plain-Python twin of the insertion kernel: builds every candidate route and schedules it afresh.

Slow and obvious on purpose; the tests compare it with :func:`routing.darp.insertion.best_insertions`
on thousands of seeded random cases.
"""

from __future__ import annotations

import math

import numpy as np

from routing.darp.insertion import Insertions, NewRequest
from routing.darp.snapshot import VehicleSnapshots

_NEW = -1  # marks the new request's stops in a candidate route


def _evaluate(s: VehicleSnapshots, v: int, seq, req: NewRequest, tt, cost):
    """Schedule ``seq`` (planned stop indices, or ('P'|'D')) as early as possible; None if infeasible.

    Returns (driving cost, begin time of each planned stop by its index).
    """
    loc = int(s.start_location[v])
    t = int(s.start_time[v])
    seats = int(s.start_seats[v])
    chairs = int(s.start_wheelchairs[v])
    drive = 0
    begins: dict[int, int] = {}
    b_pick = None
    for item in seq:
        if item == "P":
            nxt, lo, hi, serv = req.pickup_location, req.pickup_earliest, req.pickup_latest, req.pickup_service
            seats += req.seats
            chairs += req.wheelchairs
        elif item == "D":
            nxt, lo, hi, serv = req.dropoff_location, req.dropoff_earliest, req.dropoff_latest, req.dropoff_service
            seats -= req.seats
            chairs -= req.wheelchairs
        else:
            k = int(s.stop_ptr[v]) + item
            nxt, lo, hi, serv = int(s.stop_location[k]), int(s.earliest[k]), int(s.latest[k]), int(s.service[k])
            seats += int(s.seats_change[k])
            chairs += int(s.wheelchairs_change[k])
        if seats > s.seat_capacity[v] or chairs > s.wheelchair_capacity[v]:
            return None
        drive += int(cost[loc, nxt])
        b = max(t + int(tt[loc, nxt]), lo)
        if b > hi:
            return None
        if item == "P":
            b_pick = b
        elif item == "D":
            if b - b_pick - req.pickup_service > req.max_ride_time:
                return None
        else:
            begins[item] = b
            pp = int(s.pickup_position[k])
            if pp >= 0 and b - begins[pp] > int(s.ride_limit[k]):
                return None
        t = b + serv
        loc = nxt
    end = int(s.end_location[v])
    if end >= 0:
        drive += int(cost[loc, end])
        t += int(tt[loc, end])
    if t > s.end_latest[v] or t - s.duration_origin[v] > s.max_duration[v]:
        return None
    return drive, begins


def best_insertions_reference(snapshots: VehicleSnapshots, request: NewRequest, travel_time,
                              travel_cost=None, *, delay_weight: float = 0.0) -> Insertions:
    """Same answer as the numba kernel, by brute force."""
    s = snapshots
    tt = np.asarray(travel_time)
    cost = tt if travel_cost is None else np.asarray(travel_cost)
    V = s.vehicle_count
    out_cost = np.full(V, math.inf)
    out_i = np.full(V, -1, dtype=np.int64)
    out_j = np.full(V, -1, dtype=np.int64)
    for v in range(V):
        n = int(s.stop_ptr[v + 1] - s.stop_ptr[v])
        planned = list(range(n))
        base_drive = _route_drive(s, v, tt, cost)
        for i in range(n + 1):
            for j in range(i, n + 1):
                seq = planned[:i] + ["P"] + planned[i:j] + ["D"] + planned[j:]
                result = _evaluate(s, v, seq, request, tt, cost)
                if result is None:
                    continue
                drive, begins = result
                delay = 0
                for q in range(n):
                    k = int(s.stop_ptr[v]) + q
                    delay += int(s.persons[k]) * (begins[q] - int(s.begin[k]))
                total = float(drive - base_drive) + delay_weight * float(delay)
                if total < out_cost[v]:
                    out_cost[v], out_i[v], out_j[v] = total, i, j
    return Insertions(out_cost, out_i, out_j)


def _route_drive(s: VehicleSnapshots, v: int, tt, cost) -> int:
    loc = int(s.start_location[v])
    drive = 0
    for k in range(int(s.stop_ptr[v]), int(s.stop_ptr[v + 1])):
        drive += int(cost[loc, s.stop_location[k]])
        loc = int(s.stop_location[k])
    end = int(s.end_location[v])
    if end >= 0:
        drive += int(cost[loc, end])
    return drive
