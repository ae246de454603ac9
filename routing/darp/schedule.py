"""The least feasible schedule of one route (numba).

A route's service-begin times must satisfy ``x_k >= x_{k-1} + service + travel``, ``x_k >= lower_k``,
``x_k <= latest_k``, the ride limits ``x_drop - x_pick <= limit`` (which push a pickup *later*,
``x_pick >= x_drop - limit``: waiting before a pickup shortens a ride), the shift end and the route
duration (which may push the departure from the start later). Every constraint but the upper bounds
has the form ``x_b >= x_a + w``, so the least solution is found by raising times until nothing
changes (longest paths, Bellman-Ford); the route is feasible exactly when that least solution keeps
every upper bound. This is what lets the insertion search delay earlier pickups to keep ride limits.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def least_schedule(tt, n, loc, lower, latest, service, pick_pos, ride_limit,
                   start_loc, start_lower, end_loc, end_latest, max_duration, out_begin):
    """Fill ``out_begin[:n]`` with the least feasible schedule; ``lower`` is raised in place.

    Returns ``(feasible, departure from the start, arrival at the end)``. ``pick_pos[k]`` is the
    position of drop-off ``k``'s pickup in this route, or -1; ``end_loc`` -1 means an open end.
    """
    x_start = start_lower
    for _ in range(n + 3):
        t = x_start
        prev = start_loc
        for k in range(n):
            b = max(t + tt[prev, loc[k]], lower[k])
            if b > latest[k]:
                return False, x_start, 0
            out_begin[k] = b
            t = b + service[k]
            prev = loc[k]
        end = t + (tt[prev, end_loc] if end_loc >= 0 else 0)
        if end > end_latest:
            return False, x_start, end
        changed = False
        for k in range(n):
            pp = pick_pos[k]
            if pp >= 0 and out_begin[k] - out_begin[pp] > ride_limit[k]:
                need = out_begin[k] - ride_limit[k]
                if need > lower[pp]:
                    lower[pp] = need
                    changed = True
        if end - x_start > max_duration:
            x_start = end - max_duration
            changed = True
        if not changed:
            return True, x_start, end
    return False, x_start, 0
