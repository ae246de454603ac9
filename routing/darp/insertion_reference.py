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
    """Least feasible schedule of ``seq`` (planned stop indices, or 'P'/'D'); None if infeasible.

    Written as plain constraints ``x_b >= x_a + w`` relaxed until nothing changes (longest paths),
    with the upper bounds checked on the result. Planned stops never begin earlier than planned.
    Returns (driving cost, begin time of each planned stop by its index).
    """
    m = len(seq)
    start, end = 0, m + 1  # node 0: departure from the start; 1..m: stops; m+1: arrival at the end
    lower = [max(int(s.start_time[v]), int(s.start_departure[v]))] + [0] * (m + 1)
    upper = [None] * (m + 2)
    upper[end] = int(s.end_latest[v])
    constraints = []  # (a, b, w): x_b >= x_a + w
    seats = int(s.start_seats[v])
    chairs = int(s.start_wheelchairs[v])
    drive = 0
    loc = int(s.start_location[v])
    prev_node, prev_service = start, 0
    node_of = {}
    for pos, item in enumerate(seq):
        node = pos + 1
        if item == "P":
            nxt, lo, hi, serv = req.pickup_location, req.pickup_earliest, req.pickup_latest, req.pickup_service
            seats += req.seats
            chairs += req.wheelchairs
        elif item == "D":
            nxt, lo, hi, serv = req.dropoff_location, req.dropoff_earliest, req.dropoff_latest, req.dropoff_service
            seats -= req.seats
            chairs -= req.wheelchairs
            constraints.append((node, node_of["P"], -(req.pickup_service + req.max_ride_time)))
        else:
            k = int(s.stop_ptr[v]) + item
            nxt, hi, serv = int(s.stop_location[k]), int(s.latest[k]), int(s.service[k])
            lo = max(int(s.earliest[k]), int(s.begin[k]))
            seats += int(s.seats_change[k])
            chairs += int(s.wheelchairs_change[k])
            pp = int(s.pickup_position[k])
            if pp >= 0:
                constraints.append((node, node_of[pp], -int(s.ride_limit[k])))
        if seats > s.seat_capacity[v] or chairs > s.wheelchair_capacity[v]:
            return None
        node_of[item] = node
        lower[node], upper[node] = lo, hi
        constraints.append((prev_node, node, prev_service + int(tt[loc, nxt])))
        drive += int(cost[loc, nxt])
        loc, prev_node, prev_service = nxt, node, serv
    end_loc = int(s.end_location[v])
    leg = int(tt[loc, end_loc]) if end_loc >= 0 else 0
    if end_loc >= 0:
        drive += int(cost[loc, end_loc])
    constraints.append((prev_node, end, prev_service + leg))
    if s.max_duration[v] < 2**51:
        constraints.append((end, start, -int(s.max_duration[v])))
    x = list(lower)
    for _ in range(2 * (m + 3)):
        changed = False
        for a, b, w in constraints:
            if x[a] + w > x[b]:
                x[b] = x[a] + w
                changed = True
        if any(u is not None and xi > u for xi, u in zip(x, upper)):
            return None
        if not changed:
            break
    else:
        return None  # times keep growing: a ride limit or the duration can never be kept
    begins = {item: x[node_of[item]] for item in seq if item not in ("P", "D")}
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
    if s.stop_ptr[v] == s.stop_ptr[v + 1]:
        return 0  # an unused vehicle drives nowhere
    loc = int(s.start_location[v])
    drive = 0
    for k in range(int(s.stop_ptr[v]), int(s.stop_ptr[v + 1])):
        drive += int(cost[loc, s.stop_location[k]])
        loc = int(s.stop_location[k])
    end = int(s.end_location[v])
    if end >= 0:
        drive += int(cost[loc, end])
    return drive
