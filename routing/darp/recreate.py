"""Recreate step of ruin-and-recreate in one numba call: greedy or regret-2 insertion of many requests.

The plain-Python loop (:meth:`routing.darp.lns.RuinAndRecreate.recreate_reference`) re-entered
numba twice per inserted request (snapshot of the changed vehicle, then its column of the cost
table); on the Cordeau a-set most of its time went into that Python glue. :func:`recreate_kernel`
runs the same loop inside numba: one fleet snapshot and cost table at the start, then per inserted
request one snapshot of the changed vehicle and one column refreshed — the same choices as the
Python twin when ``noise`` is 0 (``tests/test_darp_recreate.py`` compares them).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing.darp.insertion import batch_insertion_kernel
from routing.darp.snapshot import snapshot_kernel


@njit(cache=True)
def _snapshot_and_costs(tt, cost, reqs, rows, delay_weight, p_arrays, seat_capacity, wheelchair_capacity,
                        vehicles, route_ptr, codes, out_cost, out_i, out_j):
    (pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest, dropoff_earliest,
     dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle, pickup_begin,
     start_location, start_time, end_location, end_latest, max_duration) = p_arrays
    s = snapshot_kernel(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                        dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service,
                        onboard_vehicle, pickup_begin, start_location, start_time, end_location, end_latest,
                        max_duration, vehicles, route_ptr, codes)
    K = len(vehicles)
    sl = np.empty(K, dtype=start_location.dtype)
    el = np.empty(K, dtype=end_location.dtype)
    ela = np.empty(K, dtype=end_latest.dtype)
    md = np.empty(K, dtype=max_duration.dtype)
    sc = np.empty(K, dtype=seat_capacity.dtype)
    wc = np.empty(K, dtype=wheelchair_capacity.dtype)
    for k in range(K):
        v = vehicles[k]
        sl[k] = start_location[v]
        el[k] = end_location[v]
        ela[k] = end_latest[v]
        md[k] = max_duration[v]
        sc[k] = seat_capacity[v]
        wc[k] = wheelchair_capacity[v]
    batch_insertion_kernel(tt, cost, reqs[rows], delay_weight,
                           sl, s[17], s[14], s[15], sc, wc, el, ela, md, s[16],
                           route_ptr, s[1], s[2], s[3], s[4], s[7], s[8], s[9], s[10], s[11], s[12], s[13],
                           out_cost, out_i, out_j)


@njit(cache=True)
def recreate_kernel(tt, cost, reqs, delay_weight, p_arrays, seat_capacity, wheelchair_capacity,
                    routes, lengths, pending, regret, noise, seed, empty_cost, max_new):
    """Insert the requests ``pending`` (indices into ``reqs``) into ``routes`` (``[V, cap]`` stop codes,
    ``lengths[v]`` used), in place; returns the requests that found no place, in the order met.

    Each step places the request with the cheapest insertion (``regret`` < 2: greedy) or the largest
    regret-``regret`` (2 or 3: the second- and third-best vehicles' costs minus the best's; requests
    with no place at all go first, then those with fewer places), with costs multiplied by
    ``1 + noise * (u - 0.5)``, ``u`` uniform. An empty vehicle's insertions cost ``empty_cost`` more
    (fixed cost per used vehicle). ``max_new`` >= 0: at most that many empty vehicles are opened
    (the others take nothing); -1: no limit.
    """
    np.random.seed(seed)
    V = len(lengths)
    P = len(pending)
    costs = np.empty((P, V), dtype=np.float64)
    pos_i = np.empty((P, V), dtype=np.int64)
    pos_j = np.empty((P, V), dtype=np.int64)
    rejected = np.empty(P, dtype=np.int64)
    n_rejected = 0
    if P == 0:
        return rejected[:0]
    vehicles = np.arange(V).astype(np.int64)
    route_ptr = np.zeros(V + 1, dtype=np.int64)
    for v in range(V):
        route_ptr[v + 1] = route_ptr[v] + lengths[v]
    codes = np.empty(route_ptr[V], dtype=np.int64)
    for v in range(V):
        for q in range(lengths[v]):
            codes[route_ptr[v] + q] = routes[v, q]
    _snapshot_and_costs(tt, cost, reqs, pending, delay_weight, p_arrays, seat_capacity, wheelchair_capacity,
                        vehicles, route_ptr, codes, costs, pos_i, pos_j)
    if empty_cost != 0.0:
        for v in range(V):
            if lengths[v] == 0:
                for k in range(P):
                    costs[k, v] += empty_cost
    opened = 0
    if max_new == 0:
        for v in range(V):
            if lengths[v] == 0:
                for k in range(P):
                    costs[k, v] = np.inf
    active = np.ones(P, dtype=np.bool_)
    noisy = np.empty(V, dtype=np.float64)
    one_v = np.zeros(1, dtype=np.int64)
    one_ptr = np.zeros(2, dtype=np.int64)
    left = P
    while left > 0:
        chosen = -1
        chosen_v = -1
        chosen_score = 0.0
        for k in range(P):
            if not active[k]:
                continue
            best = np.inf
            best_v = 0
            second = np.inf
            third = np.inf
            for v in range(V):
                c = costs[k, v]
                if noise > 0.0:
                    c = c * (1.0 + noise * (np.random.random() - 0.5))
                noisy[v] = c
                if c < best:
                    third = second
                    second = best
                    best = c
                    best_v = v
                elif c < second:
                    third = second
                    second = c
                elif c < third:
                    third = c
            if regret >= 2:
                if np.isinf(best):
                    score = np.inf
                elif np.isinf(second):
                    score = 1e17 - 1e-9 * best
                elif regret == 2:
                    score = (second - best) - 1e-9 * best
                elif np.isinf(third):
                    score = 1e16 + (second - best) - 1e-9 * best
                else:
                    score = (second - best) + (third - best) - 1e-9 * best
                if chosen < 0 or score > chosen_score:
                    chosen, chosen_v, chosen_score = k, best_v, score
            else:
                if chosen < 0 or best < chosen_score:
                    chosen, chosen_v, chosen_score = k, best_v, best
        k = chosen
        v = chosen_v
        active[k] = False
        left -= 1
        r = pending[k]
        if not np.isfinite(costs[k, v]):
            rejected[n_rejected] = r
            n_rejected += 1
            continue
        # insert pickup before stop i and drop-off before stop j (positions in the old route)
        i = pos_i[k, v]
        j = pos_j[k, v]
        n = lengths[v]
        for q in range(n - 1, j - 1, -1):
            routes[v, q + 2] = routes[v, q]
        routes[v, j + 1] = 2 * r + 1
        for q in range(j - 1, i - 1, -1):
            routes[v, q + 1] = routes[v, q]
        routes[v, i] = 2 * r
        lengths[v] = n + 2
        if n == 0 and max_new > 0:
            opened += 1
            if opened >= max_new:
                for u in range(V):
                    if lengths[u] == 0:
                        for q in range(P):
                            costs[q, u] = np.inf
        if left == 0:
            break
        rows = np.empty(left, dtype=np.int64)
        idx = np.empty(left, dtype=np.int64)
        m = 0
        for q in range(P):
            if active[q]:
                rows[m] = pending[q]
                idx[m] = q
                m += 1
        one_v[0] = v
        one_ptr[1] = lengths[v]
        col_cost = np.empty((left, 1), dtype=np.float64)
        col_i = np.empty((left, 1), dtype=np.int64)
        col_j = np.empty((left, 1), dtype=np.int64)
        _snapshot_and_costs(tt, cost, reqs, rows, delay_weight, p_arrays, seat_capacity, wheelchair_capacity,
                            one_v, one_ptr, routes[v, :lengths[v]].copy(), col_cost, col_i, col_j)
        for m in range(left):
            q = idx[m]
            costs[q, v] = col_cost[m, 0]
            pos_i[q, v] = col_i[m, 0]
            pos_j[q, v] = col_j[m, 0]
    return rejected[:n_rejected]


def problem_arrays(problem) -> tuple:
    """The request and vehicle arrays :func:`recreate_kernel` reads (``p_arrays``)."""
    return (problem.pickup_location, problem.dropoff_location, problem.seats, problem.wheelchairs,
            problem.pickup_earliest, problem.pickup_latest, problem.dropoff_earliest, problem.dropoff_latest,
            problem.max_ride_time, problem.pickup_service, problem.dropoff_service, problem.onboard_vehicle,
            problem.pickup_begin, problem.start_location, problem.start_time, problem.end_location,
            problem.end_latest, problem.max_duration)
