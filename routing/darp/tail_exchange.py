"""Tail exchange between two routes where both vehicles are empty (2-opt*, numba).

Ruin-and-recreate moves requests one at a time, so two routes whose later parts would be better
swapped stay as they are unless one iteration happens to remove all those requests. On the
Cordeau a-set, swapping route tails at points where both vehicles carry nobody took the search's
final plans 0.4 % closer to the optimum (a8-96, 1244.8 to 1239.8). A cut where a vehicle is empty
keeps every request, every rider on board at the start and a driver's planned break (a request on
board that takes no seat) in one route; each new route is then
checked exactly (capacities, its least feasible schedule: windows, ride limits, shift end, route
duration), so the descent never leaves the feasible plans.

:func:`tail_exchange_descent` is the kernel the search calls; :func:`tail_exchange_reference` is its
plain-Python twin on :class:`~routing.darp.problem.Plan` objects, checked with the independent
checker (``tests/test_darp_tail_exchange.py`` compares them).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing.darp.problem import Plan
from routing.darp.snapshot import _onboard_loads, stops_and_schedule


@njit(cache=True)
def _empty_points(routes, lengths, start_open, locked, v, out):
    """Cut positions ``a`` (``0..lengths[v]``) after which vehicle ``v`` carries nobody and no request
    of the tail is ``locked`` (kept in its vehicle), into ``out``; returns how many. Requests are
    counted, not seats: a planned break is a request on board that takes no seat, and it must stay
    with its vehicle."""
    last_locked = -1
    for q in range(lengths[v]):
        if locked[routes[v, q] // 2]:
            last_locked = q
    open_requests = start_open[v]
    m = 0
    if open_requests == 0 and last_locked < 0:
        out[m] = 0
        m += 1
    for q in range(lengths[v]):
        open_requests += 1 if routes[v, q] % 2 == 0 else -1
        if open_requests == 0 and q >= last_locked:
            out[m] = q + 1
            m += 1
    return m


@njit(cache=True)
def _time_bounds(tt, p_arrays, routes, lengths, v, code_location, earliest_out, latest_out):
    """Bounds every feasible schedule keeps, windows and travel only (no ride limits): ``earliest_out[q]``
    the earliest departure from stop ``q`` of vehicle ``v`` (``q = -1``, the start, at index 0, so
    stop ``q`` at ``q + 1``); ``latest_out[q]`` the latest service begin at stop ``q`` that leaves the
    stops after it their windows."""
    (pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest, dropoff_earliest,
     dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle, pickup_begin,
     start_location, start_time, end_location, end_latest, max_duration) = p_arrays
    t = start_time[v]
    prev = start_location[v]
    earliest_out[0] = t
    for q in range(lengths[v]):
        code = routes[v, q]
        r = code // 2
        here = code_location[code]
        if code % 2 == 0:
            t = max(t + tt[prev, here], pickup_earliest[r]) + pickup_service[r]
        else:
            t = max(t + tt[prev, here], dropoff_earliest[r]) + dropoff_service[r]
        earliest_out[q + 1] = t
        prev = here
    later = np.int64(2**62)
    for q in range(lengths[v] - 1, -1, -1):
        code = routes[v, q]
        r = code // 2
        if code % 2 == 0:
            own_latest, service = pickup_latest[r], pickup_service[r]
        else:
            own_latest, service = dropoff_latest[r], dropoff_service[r]
        if q + 1 < lengths[v]:
            later = later - service - tt[code_location[code], code_location[routes[v, q + 1]]]
        later = min(later, own_latest)
        latest_out[q] = later


@njit(cache=True)
def _inner_costs(cost, code_location, routes, lengths, v, out):
    """``out[q]``: driving cost among the first ``q`` stops of vehicle ``v`` (no start or end leg)."""
    out[0] = 0
    total = 0
    for q in range(lengths[v]):
        if q > 0:
            total += cost[code_location[routes[v, q - 1]], code_location[routes[v, q]]]
        out[q + 1] = total


@njit(cache=True)
def _route_cost(cost, code_location, routes, lengths, inner, start_location, end_location, v):
    """Driving cost of vehicle ``v``'s route, start to end (0 for an empty route)."""
    n = lengths[v]
    if n == 0:
        return 0
    total = cost[start_location[v], code_location[routes[v, 0]]] + inner[v, n]
    if end_location[v] >= 0:
        total += cost[code_location[routes[v, n - 1]], end_location[v]]
    return total


@njit(cache=True)
def _cut_parts(cost, code_location, routes, lengths, inner, start_location, empties, n_empty, v,
               head_cost, head_last, tail_cost, tail_first, tail_last):
    """For each empty point of vehicle ``v``: the head's cost (start leg included) and last location
    (-1: no stop before the cut), the tail's cost between its stops and its first and last location
    (-1: no stop after the cut)."""
    n = lengths[v]
    for i in range(n_empty[v]):
        a = empties[v, i]
        if a > 0:
            head_cost[v, i] = cost[start_location[v], code_location[routes[v, 0]]] + inner[v, a]
            head_last[v, i] = code_location[routes[v, a - 1]]
        else:
            head_cost[v, i] = 0
            head_last[v, i] = -1
        if a < n:
            tail_cost[v, i] = inner[v, n] - inner[v, a + 1]
            tail_first[v, i] = code_location[routes[v, a]]
            tail_last[v, i] = code_location[routes[v, n - 1]]
        else:
            tail_cost[v, i] = 0
            tail_first[v, i] = -1
            tail_last[v, i] = -1


@njit(cache=True)
def _joined_ok(tt, p_arrays, seat_capacity, wheelchair_capacity, start_seats, start_chairs, routes, lengths,
               x, a, y, b, code, scratch_i32, scratch_i64, suffix_ok):
    """Whether vehicle ``x`` can drive ``routes[x, :a]`` then ``routes[y, b:]``; the joined stop codes
    are left in ``code`` (returns (ok, length))."""
    (pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest, dropoff_earliest,
     dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle, pickup_begin,
     start_location, start_time, end_location, end_latest, max_duration) = p_arrays
    n = 0
    for q in range(a):
        code[n] = routes[x, q]
        n += 1
    for q in range(b, lengths[y]):
        code[n] = routes[y, q]
        n += 1
    if n == 0:
        return True, 0
    loc, seats_change, chairs_change, persons, pickup_position, seats_after, chairs_after = (
        scratch_i32[0], scratch_i32[1], scratch_i32[2], scratch_i32[3], scratch_i32[4], scratch_i32[5],
        scratch_i32[6])
    earliest, latest, service, ride_limit, begin, lower = (
        scratch_i64[0], scratch_i64[1], scratch_i64[2], scratch_i64[3], scratch_i64[4], scratch_i64[5])
    feasible, _, _ = stops_and_schedule(
        tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
        dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
        pickup_begin, start_location[x], start_time[x], end_location[x], end_latest[x], max_duration[x],
        code, n, start_seats[x], start_chairs[x], loc, earliest, latest, service, seats_change, chairs_change,
        persons, pickup_position, ride_limit, begin, seats_after, chairs_after, suffix_ok, lower)
    if not feasible:
        return False, n
    for q in range(n):
        if seats_after[q] > seat_capacity[x] or chairs_after[q] > wheelchair_capacity[x]:
            return False, n
    return True, n


@njit(cache=True)
def tail_exchange_descent(tt, cost, code_location, p_arrays, seat_capacity, wheelchair_capacity, routes, lengths,
                          changed, locked, vehicle_cost, max_moves):
    """Swap route tails at empty points while that lowers driving cost plus ``vehicle_cost`` per used
    vehicle; ``routes``/``lengths`` (``[V, cap]`` stop codes, as in :mod:`routing.darp.ruin`) change in
    place. Only pairs with a vehicle marked in ``changed`` are looked at (the others were looked at
    before); vehicles that change are marked. A tail holding a request marked in ``locked`` (bool
    per request) does not move. Each step takes the best move whose two new routes are feasible.
    Returns (moves made, cost saved)."""
    (pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest, dropoff_earliest,
     dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle, pickup_begin,
     start_location, start_time, end_location, end_latest, max_duration) = p_arrays
    V = len(lengths)
    cap = routes.shape[1]
    start_seats, start_chairs = _onboard_loads(V, onboard_vehicle, seats, wheelchairs)
    start_open = np.zeros(V, dtype=np.int64)   # requests on board at the start, breaks included
    for r in range(len(onboard_vehicle)):
        if 0 <= onboard_vehicle[r] < V:
            start_open[onboard_vehicle[r]] += 1
    empties = np.empty((V, cap + 1), dtype=np.int64)
    n_empty = np.empty(V, dtype=np.int64)
    inner = np.zeros((V, cap + 1), dtype=np.int64)
    own = np.empty(V, dtype=np.int64)
    leave = np.empty((V, cap + 1), dtype=np.int64)
    reach = np.empty((V, cap), dtype=np.int64)
    for v in range(V):
        _time_bounds(tt, p_arrays, routes, lengths, v, code_location, leave[v], reach[v])
        n_empty[v] = _empty_points(routes, lengths, start_open, locked, v, empties[v])
        _inner_costs(cost, code_location, routes, lengths, v, inner[v])
        own[v] = _route_cost(cost, code_location, routes, lengths, inner, start_location, end_location, v)
    # per vehicle and empty point: cost up to the cut (start leg included), the last location
    # before it (-1 at the start), and of the part after it its cost, first and last location
    head_cost = np.empty((V, cap + 1), dtype=np.int64)
    head_last = np.empty((V, cap + 1), dtype=np.int64)
    tail_cost = np.empty((V, cap + 1), dtype=np.int64)
    tail_first = np.empty((V, cap + 1), dtype=np.int64)
    tail_last = np.empty((V, cap + 1), dtype=np.int64)
    for v in range(V):
        _cut_parts(cost, code_location, routes, lengths, inner, start_location, empties, n_empty, v,
                   head_cost, head_last, tail_cost, tail_first, tail_last)
    code_u = np.empty(cap, dtype=np.int64)
    code_v = np.empty(cap, dtype=np.int64)
    scratch_i32 = np.empty((7, cap), dtype=np.int32)
    scratch_i64 = np.empty((6, cap), dtype=np.int64)
    suffix_ok = np.empty(cap, dtype=np.bool_)
    moves = 0
    saved = 0
    size = 64
    c_delta = np.empty(size, dtype=np.int64)
    c_move = np.empty((size, 4), dtype=np.int64)
    while moves < max_moves:
        m = 0
        for u in range(V):
            for v in range(u + 1, V):
                if not (changed[u] or changed[v]) or (lengths[u] == 0 and lengths[v] == 0):
                    continue
                used_before = (1 if lengths[u] > 0 else 0) + (1 if lengths[v] > 0 else 0)
                for ia in range(n_empty[u]):
                    a = empties[u, ia]
                    for ib in range(n_empty[v]):
                        b = empties[v, ib]
                        if a == lengths[u] and b == lengths[v]:
                            continue  # nothing moves
                        # cost of u's head with v's tail, and of v's head with u's tail, written out
                        # twice: a pass on a8-96 takes 19 µs so, 80 µs with a helper called per pair
                        # of cuts even when only the cost matrix is an array argument (numba counts
                        # references per call), 325 µs with every per-route array passed
                        delta = -own[u] - own[v]
                        last = head_last[u, ia]
                        first = tail_first[v, ib]
                        if last >= 0 or first >= 0:
                            delta += head_cost[u, ia] + tail_cost[v, ib]
                            if first >= 0:
                                delta += cost[start_location[u] if last < 0 else last, first]
                                last = tail_last[v, ib]
                            if end_location[u] >= 0:
                                delta += cost[last, end_location[u]]
                        last = head_last[v, ib]
                        first = tail_first[u, ia]
                        if last >= 0 or first >= 0:
                            delta += head_cost[v, ib] + tail_cost[u, ia]
                            if first >= 0:
                                delta += cost[start_location[v] if last < 0 else last, first]
                                last = tail_last[u, ia]
                            if end_location[v] >= 0:
                                delta += cost[last, end_location[v]]
                        used_after = ((1 if a > 0 or b < lengths[v] else 0)
                                      + (1 if b > 0 or a < lengths[u] else 0))
                        delta += vehicle_cost * (used_after - used_before)
                        if delta >= 0:
                            continue
                        # windows alone rule most cuts out: leaving the prefix as early as possible, the
                        # other tail's first stop must still be reachable in its (propagated) window
                        if b < lengths[v]:
                            at = start_location[u] if a == 0 else code_location[routes[u, a - 1]]
                            if leave[u, a] + tt[at, code_location[routes[v, b]]] > reach[v, b]:
                                continue
                        if a < lengths[u]:
                            at = start_location[v] if b == 0 else code_location[routes[v, b - 1]]
                            if leave[v, b] + tt[at, code_location[routes[u, a]]] > reach[u, a]:
                                continue
                        if m == size:
                            size *= 2
                            grown = np.empty(size, dtype=np.int64)
                            grown[:m] = c_delta
                            c_delta = grown
                            grown_move = np.empty((size, 4), dtype=np.int64)
                            grown_move[:m] = c_move
                            c_move = grown_move
                        c_delta[m] = delta
                        c_move[m, 0] = u
                        c_move[m, 1] = a
                        c_move[m, 2] = v
                        c_move[m, 3] = b
                        m += 1
        if m == 0:
            break
        done = False
        for k in np.argsort(c_delta[:m], kind="mergesort"):
            u, a, v, b = c_move[k, 0], c_move[k, 1], c_move[k, 2], c_move[k, 3]
            ok_u, n_u = _joined_ok(tt, p_arrays, seat_capacity, wheelchair_capacity, start_seats, start_chairs,
                                   routes, lengths, u, a, v, b, code_u, scratch_i32, scratch_i64, suffix_ok)
            if not ok_u:
                continue
            ok_v, n_v = _joined_ok(tt, p_arrays, seat_capacity, wheelchair_capacity, start_seats, start_chairs,
                                   routes, lengths, v, b, u, a, code_v, scratch_i32, scratch_i64, suffix_ok)
            if not ok_v:
                continue
            routes[u, :n_u] = code_u[:n_u]
            routes[u, n_u:lengths[u]] = 0
            routes[v, :n_v] = code_v[:n_v]
            routes[v, n_v:lengths[v]] = 0
            lengths[u] = n_u
            lengths[v] = n_v
            for w in (u, v):
                changed[w] = True
                n_empty[w] = _empty_points(routes, lengths, start_open, locked, w, empties[w])
                _inner_costs(cost, code_location, routes, lengths, w, inner[w])
                _time_bounds(tt, p_arrays, routes, lengths, w, code_location, leave[w], reach[w])
                own[w] = _route_cost(cost, code_location, routes, lengths, inner, start_location, end_location, w)
                _cut_parts(cost, code_location, routes, lengths, inner, start_location, empties, n_empty, w,
                           head_cost, head_last, tail_cost, tail_first, tail_last)
            moves += 1
            saved -= c_delta[k]
            done = True
            break
        if not done:
            break
    return moves, saved


def _empty_points_reference(problem, v: int, route: list[int], locked) -> list[int]:
    open_requests = int((problem.onboard_vehicle == v).sum())
    cuts = [0] if open_requests == 0 else []
    for q, code in enumerate(route):
        open_requests += -1 if code % 2 else 1
        if open_requests == 0:
            cuts.append(q + 1)
    return [a for a in cuts if not any(locked[code // 2] for code in route[a:])]


def _route_cost_reference(problem, v: int, route: list[int]) -> int:
    return Plan([route if w == v else [] for w in range(problem.vehicle_count)]).cost(problem)


def tail_exchange_reference(problem, plan, vehicle_cost: int = 0, max_moves: int = 1000, locked=None):
    """Plain-Python twin of :func:`tail_exchange_descent` (all pairs looked at): the same moves in the
    same order, each new route judged by the independent checker. Returns (plan, moves made)."""
    if locked is None:
        locked = np.zeros(problem.request_count, dtype=bool)
    from routing.darp.checker import _check_route

    plan = plan.copy()
    tt = np.asarray(problem.travel_time, dtype=np.float64)
    moves = 0
    while moves < max_moves:
        found = []
        for u in range(problem.vehicle_count):
            for v in range(u + 1, problem.vehicle_count):
                ru, rv = plan.routes[u], plan.routes[v]
                if not ru and not rv:
                    continue
                before = (_route_cost_reference(problem, u, ru) + _route_cost_reference(problem, v, rv)
                          + vehicle_cost * (bool(ru) + bool(rv)))
                for a in _empty_points_reference(problem, u, ru, locked):
                    for b in _empty_points_reference(problem, v, rv, locked):
                        if a == len(ru) and b == len(rv):
                            continue
                        new_u, new_v = ru[:a] + rv[b:], rv[:b] + ru[a:]
                        after = (_route_cost_reference(problem, u, new_u) + _route_cost_reference(problem, v, new_v)
                                 + vehicle_cost * (bool(new_u) + bool(new_v)))
                        if after < before:
                            found.append((after - before, u, v, new_u, new_v))
        found.sort(key=lambda move: move[0])  # stable, as the kernel's merge sort
        for _, u, v, new_u, new_v in found:
            if not _check_route(problem, u, new_u, tt, 0.0)[1] and not _check_route(problem, v, new_v, tt, 0.0)[1]:
                plan.routes[u], plan.routes[v] = new_u, new_v
                moves += 1
                break
        else:
            break
    return plan, moves
