"""Insertion search: the cheapest feasible place for one new request in every vehicle's plan.

For every vehicle and every (pickup position, drop-off position) pair the numba kernel checks both
capacity dimensions, every time window (the new request's and those of everyone already planned),
every ride limit, the shift end and the route duration, giving each stop its least feasible
service begin (:mod:`routing.darp.schedule`; planned stops never move earlier than planned).
The cost of an insertion is the added driving cost plus ``delay_weight`` times the added
delay of riders already planned (seconds of later service begin, per person).

:func:`routing.darp.insertion_reference.best_insertions_reference` is the plain-Python twin; both
give the same answer on plans that keep every bound. On a plan that already misses one (a vehicle
held up in traffic) the kernel judges only what an insertion changes: it never makes a stop late
that was on time, and it inserts nothing before a stop that is already late.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from routing.darp.pruning import prune_bounds_ok
from routing.darp.schedule import least_schedule
from routing.darp.snapshot import VehicleSnapshots

#: Cost reported for a vehicle that cannot take the request.
INFEASIBLE = np.inf
#: ``prune_ok`` argument of :func:`insertion_kernel` meaning "prune nothing"
_NO_PRUNING = np.zeros(0, dtype=np.bool_)


@dataclass(frozen=True)
class NewRequest:
    """The request to insert, in the problem's time units and matrix locations."""

    pickup_location: int
    dropoff_location: int
    seats: int
    wheelchairs: int
    pickup_earliest: int
    pickup_latest: int
    dropoff_earliest: int
    dropoff_latest: int
    max_ride_time: int
    pickup_service: int
    dropoff_service: int

    @classmethod
    def from_problem(cls, problem, r: int) -> "NewRequest":
        """Request ``r`` of a :class:`~routing.darp.problem.DarpProblem`."""
        return cls(*(int(getattr(problem, name)[r]) for name in (
            "pickup_location", "dropoff_location", "seats", "wheelchairs", "pickup_earliest", "pickup_latest",
            "dropoff_earliest", "dropoff_latest", "max_ride_time", "pickup_service", "dropoff_service")))

    def as_array(self) -> np.ndarray:
        return np.array([self.pickup_location, self.dropoff_location, self.seats, self.wheelchairs,
                         self.pickup_earliest, self.pickup_latest, self.dropoff_earliest, self.dropoff_latest,
                         self.max_ride_time, self.pickup_service, self.dropoff_service], dtype=np.int64)


@dataclass(frozen=True)
class Insertions:
    """Best insertion per vehicle (``cost`` inf where none) and the overall best."""

    cost: np.ndarray            # float64 [V]
    pickup_position: np.ndarray  # int64 [V]: the pickup goes before this planned stop
    dropoff_position: np.ndarray  # int64 [V]: the drop-off goes before this planned stop

    @property
    def best_vehicle(self) -> int:
        """Vehicle of the cheapest insertion, or -1 when no vehicle can take the request."""
        if not np.isfinite(self.cost).any():
            return -1
        return int(np.argmin(self.cost))

    def feasible_vehicles(self) -> np.ndarray:
        """Vehicles that can take the request, cheapest first."""
        ok = np.flatnonzero(np.isfinite(self.cost))
        return ok[np.argsort(self.cost[ok], kind="stable")]


@njit(cache=True)
def _leg(cost, a, b):
    if b < 0:  # open end
        return 0
    return cost[a, b]


@njit(cache=True)
def _new_position(q, i, j):
    """Position of planned stop ``q`` once the pickup goes before stop ``i`` and the drop-off before ``j``."""
    return q + (1 if q >= i else 0) + (1 if q >= j else 0)


@njit(cache=True)
def _exact_insertion(tt, req, v, i, j, s0, n, start_location, start_departure, end_location, end_latest,
                     max_duration, stop_location, earliest, latest, service, persons, pickup_position, ride_limit,
                     begin, seq_loc, seq_lower, seq_latest, seq_service, seq_pick, seq_ride, seq_begin):
    """Least feasible schedule of the whole candidate route; ``(feasible, added delay)``.

    Used when a ride limit or the route duration is not kept by scheduling everything as early as
    possible: delaying earlier pickups (or the start) may still keep every bound.
    """
    for q in range(n):
        nq = _new_position(q, i, j)
        k = s0 + q
        seq_loc[nq] = stop_location[k]
        seq_lower[nq] = max(earliest[k], begin[k])
        seq_latest[nq] = latest[k]
        seq_service[nq] = service[k]
        pp = pickup_position[k]
        if pp >= 0:
            seq_pick[nq] = _new_position(pp, i, j)
            seq_ride[nq] = ride_limit[k]
        else:
            seq_pick[nq] = -1
            seq_ride[nq] = 0
    seq_loc[i] = req[0]
    seq_lower[i] = req[4]
    seq_latest[i] = req[5]
    seq_service[i] = req[9]
    seq_pick[i] = -1
    seq_ride[i] = 0
    seq_loc[j + 1] = req[1]
    seq_lower[j + 1] = req[6]
    seq_latest[j + 1] = req[7]
    seq_service[j + 1] = req[10]
    seq_pick[j + 1] = i
    seq_ride[j + 1] = req[9] + req[8]
    ok, _, _ = least_schedule(tt, n + 2, seq_loc, seq_lower, seq_latest, seq_service, seq_pick, seq_ride,
                              start_location[v], start_departure[v], end_location[v], end_latest[v],
                              max_duration[v], seq_begin)
    if not ok:
        return False, 0
    delay = 0
    for q in range(n):
        delay += persons[s0 + q] * (seq_begin[_new_position(q, i, j)] - begin[s0 + q])
    return True, delay


@njit(cache=True)
def insertion_kernel(tt, cost, req, delay_weight,
                     start_location, start_departure, start_seats, start_wheelchairs, seat_capacity,
                     wheelchair_capacity, end_location, end_latest, max_duration, end_time,
                     stop_ptr, stop_location, earliest, latest, service, persons, pickup_position, ride_limit,
                     begin, seats_after, wheelchairs_after, suffix_ok,
                     out_cost, out_i, out_j, prune_ok):
    """Fill ``out_cost/out_i/out_j`` with each vehicle's cheapest feasible insertion of ``req``.

    ``prune_ok`` (bool per vehicle, or empty for no pruning): vehicles that may be pruned by the
    O(1) bound of :mod:`routing.darp.pruning` are skipped when they cannot reach the pickup in time.

    Fast path: schedule the changed part as early as possible (never earlier than planned) and
    stop where the plan is unchanged; where a ride limit or the duration is not kept that way, the
    whole candidate route gets its least feasible schedule (:func:`_exact_insertion`).
    """
    p_loc = req[0]
    d_loc = req[1]
    seats = req[2]
    chairs = req[3]
    p_early = req[4]
    p_late = req[5]
    d_early = req[6]
    d_late = req[7]
    ride_max = req[8]
    p_serv = req[9]
    d_serv = req[10]
    n_vehicles = len(start_location)
    prune = len(prune_ok) == n_vehicles
    max_stops = 0
    for v in range(n_vehicles):
        max_stops = max(max_stops, stop_ptr[v + 1] - stop_ptr[v])
    new_begin = np.empty(max_stops + 1, dtype=np.int64)
    seq_loc = np.empty(max_stops + 2, dtype=np.int64)
    seq_lower = np.empty(max_stops + 2, dtype=np.int64)
    seq_latest = np.empty(max_stops + 2, dtype=np.int64)
    seq_service = np.empty(max_stops + 2, dtype=np.int64)
    seq_pick = np.empty(max_stops + 2, dtype=np.int64)
    seq_ride = np.empty(max_stops + 2, dtype=np.int64)
    seq_begin = np.empty(max_stops + 2, dtype=np.int64)

    for v in range(n_vehicles):
        out_cost[v] = np.inf
        out_i[v] = -1
        out_j[v] = -1
        if seats > seat_capacity[v] or chairs > wheelchair_capacity[v]:
            continue
        if prune and prune_ok[v] and start_departure[v] + tt[start_location[v], p_loc] > p_late:
            continue
        s0 = stop_ptr[v]
        n = stop_ptr[v + 1] - s0
        end_loc = end_location[v]
        for i in range(n + 1):
            if i == 0:
                prev_loc = start_location[v]
                prev_dep = start_departure[v]
                load_s = start_seats[v]
                load_w = start_wheelchairs[v]
            else:
                k = s0 + i - 1
                prev_loc = stop_location[k]
                prev_dep = begin[k] + service[k]
                load_s = seats_after[k]
                load_w = wheelchairs_after[k]
            if prev_dep > p_late:
                break
            if load_s + seats > seat_capacity[v] or load_w + chairs > wheelchair_capacity[v]:
                continue
            b_pick = max(prev_dep + tt[prev_loc, p_loc], p_early)
            if b_pick > p_late:
                continue
            next_loc_i = stop_location[s0 + i] if i < n else end_loc
            # an empty vehicle costs nothing today (it does not drive from its start to its end)
            pick_delta = cost[prev_loc, p_loc] - (_leg(cost, prev_loc, next_loc_i) if n > 0 else 0)
            t = b_pick + p_serv
            cur_loc = p_loc
            prefix_delay = 0
            prefix_ride_broken = False
            for j in range(i, n + 1):
                if j > i:
                    # advance through planned stop j-1, now with the new rider on board
                    k = s0 + j - 1
                    if (seats_after[k] + seats > seat_capacity[v]
                            or wheelchairs_after[k] + chairs > wheelchair_capacity[v]):
                        break
                    b = max(t + tt[cur_loc, stop_location[k]], earliest[k], begin[k])
                    if b > latest[k]:
                        break  # times only grow from here: no later drop-off position helps
                    pp = pickup_position[k]
                    if pp >= 0:
                        pb = begin[s0 + pp] if pp < i else new_begin[pp]
                        if b - pb > ride_limit[k]:
                            prefix_ride_broken = True
                    new_begin[j - 1] = b
                    prefix_delay += persons[k] * (b - begin[k])
                    t = b + service[k]
                    cur_loc = stop_location[k]
                if t > d_late or t - p_late - p_serv > ride_max:
                    break
                b_drop = max(t + tt[cur_loc, d_loc], d_early)
                if b_drop > d_late:
                    continue
                exact = prefix_ride_broken or b_drop - b_pick - p_serv > ride_max
                feasible = True
                delay = prefix_delay
                if not exact:
                    # the planned stops after the drop-off
                    t2 = b_drop + d_serv
                    c_loc = d_loc
                    reached_end = True
                    for q in range(j, n):
                        k = s0 + q
                        b = max(t2 + tt[c_loc, stop_location[k]], earliest[k], begin[k])
                        if b == begin[k] and suffix_ok[k]:
                            reached_end = False  # the rest of the plan is as before, and it was fine
                            break
                        if b > latest[k]:
                            feasible = False
                            break
                        pp = pickup_position[k]
                        if pp >= 0:
                            pb = begin[s0 + pp] if pp < i else new_begin[pp]
                            if b - pb > ride_limit[k]:
                                exact = True
                                break
                        new_begin[q] = b
                        delay += persons[k] * (b - begin[k])
                        t2 = b + service[k]
                        c_loc = stop_location[k]
                    if feasible and not exact and reached_end:
                        arrive = t2 + (tt[c_loc, end_loc] if end_loc >= 0 else 0)
                        if arrive > end_latest[v]:
                            feasible = False
                        else:
                            # leaving later costs nothing until the vehicle would reach its first
                            # stop late, so the duration counts from the latest departure that keeps
                            # every time of this schedule (the least schedule would move it there too)
                            if i == 0:
                                leave = b_pick - tt[start_location[v], p_loc]
                            else:
                                leave = begin[s0] - tt[start_location[v], stop_location[s0]]
                            if arrive - max(leave, start_departure[v]) > max_duration[v]:
                                exact = True
                if feasible and exact:
                    feasible, delay = _exact_insertion(
                        tt, req, v, i, j, s0, n, start_location, start_departure, end_location, end_latest,
                        max_duration, stop_location, earliest, latest, service, persons, pickup_position,
                        ride_limit, begin, seq_loc, seq_lower, seq_latest, seq_service, seq_pick, seq_ride,
                        seq_begin)
                if not feasible:
                    continue
                if j == i:
                    drive = pick_delta + cost[p_loc, d_loc] + _leg(cost, d_loc, next_loc_i)
                else:
                    before_d = stop_location[s0 + j - 1]
                    next_loc_j = stop_location[s0 + j] if j < n else end_loc
                    drive = (pick_delta + cost[p_loc, next_loc_i] + cost[before_d, d_loc]
                             + _leg(cost, d_loc, next_loc_j) - _leg(cost, before_d, next_loc_j))
                total = float(drive) + delay_weight * float(delay)
                if total < out_cost[v]:
                    out_cost[v] = total
                    out_i[v] = i
                    out_j[v] = j


@njit(cache=True)
def batch_insertion_kernel(tt, cost, reqs, delay_weight,
                           start_location, start_departure, start_seats, start_wheelchairs, seat_capacity,
                           wheelchair_capacity, end_location, end_latest, max_duration, end_time,
                           stop_ptr, stop_location, earliest, latest, service, persons, pickup_position, ride_limit,
                           begin, seats_after, wheelchairs_after, suffix_ok,
                           out_cost, out_i, out_j):
    """:func:`insertion_kernel` for each row of ``reqs``, into row ``q`` of the outputs."""
    for q in range(reqs.shape[0]):
        insertion_kernel(tt, cost, reqs[q], delay_weight,
                         start_location, start_departure, start_seats, start_wheelchairs, seat_capacity,
                         wheelchair_capacity, end_location, end_latest, max_duration, end_time,
                         stop_ptr, stop_location, earliest, latest, service, persons, pickup_position, ride_limit,
                         begin, seats_after, wheelchairs_after, suffix_ok,
                         out_cost[q], out_i[q], out_j[q], _NO_PRUNING)


def _snapshot_args(s: VehicleSnapshots):
    return (s.start_location, s.start_departure, s.start_seats, s.start_wheelchairs, s.seat_capacity,
            s.wheelchair_capacity, s.end_location, s.end_latest, s.max_duration, s.end_time,
            s.stop_ptr, s.stop_location, s.earliest, s.latest, s.service, s.persons, s.pickup_position,
            s.ride_limit, s.begin, s.seats_after, s.wheelchairs_after, s.suffix_ok)


def batch_insertions(snapshots: VehicleSnapshots, requests: np.ndarray, travel_time: np.ndarray,
                     travel_cost: np.ndarray, delay_weight: float = 0.0):
    """Best insertion per (request row, vehicle): ``requests`` is ``[Q, 11]`` rows of
    :meth:`NewRequest.as_array`; returns cost ``[Q, V]`` (inf = infeasible), pickup and drop-off positions."""
    Q, V = len(requests), snapshots.vehicle_count
    out_cost = np.empty((Q, V), dtype=np.float64)
    out_i = np.empty((Q, V), dtype=np.int64)
    out_j = np.empty((Q, V), dtype=np.int64)
    if Q:
        batch_insertion_kernel(travel_time, travel_cost, requests, float(delay_weight), *_snapshot_args(snapshots),
                               out_cost, out_i, out_j)
    return out_cost, out_i, out_j


def best_insertions(snapshots: VehicleSnapshots, request: NewRequest, travel_time: np.ndarray,
                    travel_cost: np.ndarray | None = None, *, delay_weight: float = 0.0,
                    prune: bool = False) -> Insertions:
    """Each vehicle's cheapest feasible insertion of ``request`` (numba kernel).

    ``prune``: skip vehicles that cannot reach the pickup in time by an O(1) bound (same result;
    needs ``travel_time`` to keep the triangle inequality, as shortest-path times do; see
    :mod:`routing.darp.pruning`)."""
    s = snapshots
    prune_ok = prune_bounds_ok(s, travel_time) if prune else _NO_PRUNING
    V = s.vehicle_count
    out_cost = np.empty(V, dtype=np.float64)
    out_i = np.empty(V, dtype=np.int64)
    out_j = np.empty(V, dtype=np.int64)
    insertion_kernel(
        travel_time, travel_time if travel_cost is None else travel_cost, request.as_array(), float(delay_weight),
        *_snapshot_args(s), out_cost, out_i, out_j, prune_ok,
    )
    return Insertions(out_cost, out_i, out_j)


def insert_into_route(route, request_index: int, pickup_position: int, dropoff_position: int) -> list[int]:
    """The route with request ``request_index`` inserted as :func:`best_insertions` reported."""
    route = [int(s) for s in route]
    out = route[:pickup_position] + [2 * request_index] + route[pickup_position:dropoff_position]
    out += [2 * request_index + 1] + route[dropoff_position:]
    return out


def warm_up() -> None:
    """Compile (or load from the cache) the kernel now rather than on the first booking."""
    from routing.darp.problem import Plan, warm_up_problem
    from routing.darp.snapshot import build_snapshots

    p = warm_up_problem()
    tt = p.travel_time
    snaps = build_snapshots(p, Plan.empty(p))
    best_insertions(snaps, NewRequest.from_problem(p, 0), tt)
    best_insertions(snaps, NewRequest.from_problem(p, 0), tt, prune=True)
    batch_insertions(snaps, NewRequest.from_problem(p, 0).as_array()[None, :], tt, tt)
